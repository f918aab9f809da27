import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { toDeploymentFile } from "../../prover/src/domain/deployment.ts";
import { encryptKey } from "../../prover/src/domain/keystore.ts";
import {
  BPS_DENOMINATOR,
  FEE_ACCOUNT,
  INSURANCE_ACCOUNT,
} from "../../prover/src/domain/constants.ts";
import { parseExitDataFile, toExitDataFile } from "../../prover/src/domain/exit-data.ts";
import { equity, scaledRequirement } from "../../prover/src/domain/margin.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { exitDataOf } from "../../prover/src/engine/exit-data.ts";
import { accountQueryJson, signAccountQuery } from "../../prover/src/explorer/query.ts";
import type { Participant } from "../../prover/src/dev/onchain.ts";
import type { ProofResult } from "../../prover/src/domain/ports.ts";
import {
  launchBrowser,
  withPage,
  type Browser,
  type Page,
  type PageRecord,
} from "../helpers/browser.ts";
import { MARKS_2, startExplorerRig, type ExplorerRig } from "../helpers/explorer-rig.ts";

/** The exact value behind a figure on the page (data-k names it). */
async function value(page: Page, k: string, scope = "body"): Promise<string> {
  const v = await page.$eval(`${scope} [data-k="${k}"]`, (e) => e.getAttribute("data-value"));
  assert.ok(v !== null, `${k} has a value on the page`);
  return v;
}

/** Nothing failed and nothing was asked of another origin than the server's. */
function clean(seen: PageRecord, origin: string, allowed: RegExp[] = []): void {
  assert.deepEqual(
    seen.errors.filter((e) => !allowed.some((a) => a.test(e))),
    [],
    "no console error",
  );
  const outside = seen.requests.filter(
    (u) => !u.startsWith(`${origin}/`) && !u.startsWith("data:"),
  );
  assert.deepEqual(outside, [], "no request outside the origin");
}

/**
 * The explorer page in headless Chromium against a real operator (real chain, real proofs):
 * the overview's figures are the engine's and the store's, the account view shows an
 * account's collateral, equity and margin for its key holder and refuses another key's
 * query, the exit data download is engine/exit-data.ts's file, and a frozen exchange says so.
 */
describe("explorer: the page in headless Chromium against the operator (real chain, real proofs)", function () {
  let x: ExplorerRig;
  let browser: Browser;

  before(async function () {
    [x, browser] = await Promise.all([startExplorerRig(), launchBrowser()]);
  });

  after(async function () {
    await browser?.close();
    await x?.close();
  });

  const query = (who: Participant, key = who) =>
    accountQueryJson(
      signAccountQuery(
        key.keys.privateKey,
        who.account!,
        BigInt(Math.floor(Date.now() / 1000)),
        x.rig.w.domain,
      ),
    );

  /** `zkclear account --print-query` with the participant's keystore: what a user pastes. */
  async function cliQuery(who: Participant): Promise<string> {
    const dir = fs.mkdtempSync(path.join(x.rig.dir, "cli-"));
    const key = path.join(dir, "key.json");
    const deployment = path.join(dir, "deployment.json");
    fs.writeFileSync(key, JSON.stringify(encryptKey(who.keys, "explorer passphrase")));
    fs.writeFileSync(deployment, JSON.stringify(toDeploymentFile(x.rig.w.deployment)));
    const { stdout } = await promisify(execFile)(
      "bin/zkclear",
      [
        "account",
        "--key",
        key,
        "--account",
        String(who.account),
        "--deployment",
        deployment,
        "--print-query",
      ],
      { env: { ...process.env, ZKCLEAR_PASSPHRASE: "explorer passphrase" }, timeout: 120_000 },
    );
    return stdout.trim();
  }

  /** Pastes a query into the account view and waits for its answer (figures or refusal). */
  async function ask(page: Page, q: string): Promise<void> {
    await page.$eval("#query", (e, v) => ((e as HTMLTextAreaElement).value = v), q);
    await page.click("#account-show");
    await page.waitForSelector("#account-view:not([hidden]), #account-error:not([hidden])");
  }

  it("shows the batches, rounds, open interest, funds and forced requests the engine and the store hold", async function () {
    const op = x.rig.op;
    await withPage(
      { url: `${x.url}/explorer` },
      async (page, seen) => {
        const { batches, total } = op.latestBatches(20);
        assert.ok(total >= 4, "deposits, trades and a forced batch");
        assert.equal(await value(page, "batch-count"), String(total));
        const rows = await page.$$eval("tr[data-batch]", (trs) =>
          trs.map((tr) => ({
            id: tr.getAttribute("data-batch"),
            kind: tr.querySelector(".kind")?.textContent,
            newRoot: tr.querySelector('[data-k="new-root"]')?.getAttribute("data-value"),
            proof: tr.querySelector("a")?.getAttribute("href"),
            short: tr.querySelector("a")?.textContent,
          })),
        );
        assert.deepEqual(
          rows,
          batches.map((b) => ({
            id: String(b.id),
            kind: b.kind,
            newRoot: b.newRoot.toString(),
            proof: `/v1/batches/${b.id}`,
            short: `π_a 0x${BigInt((b.proof as ProofResult).proof.pi_a[0])
              .toString(16)
              .slice(0, 8)}…${BigInt((b.proof as ProofResult).proof.pi_a[0])
              .toString(16)
              .slice(-4)}`,
          })),
        );
        assert.equal(await value(page, "root"), op.state.root.toString());
        assert.equal(await value(page, "chain-root"), op.state.root.toString(), "all settled");

        // open interest and funds, summed here from the engine's accounts
        const long = [0n, 0n];
        const short = [0n, 0n];
        for (const [, a] of op.state.entries())
          a.positions.forEach((p, j) => (p.size > 0n ? (long[j] += p.size) : (short[j] -= p.size)));
        assert.deepEqual(
          [long, short],
          [
            [2n, 5n],
            [2n, 5n],
          ],
        );
        for (const j of [0, 1]) {
          assert.equal(await value(page, `oi-long-${j}`), String(long[j]));
          assert.equal(await value(page, `oi-short-${j}`), String(short[j]));
          assert.equal(await value(page, `mark-${j}`), String(MARKS_2[j]));
        }
        // each market's insurance compartment at the mark, from the fund's leaf
        const compartments = compartmentValues(op.state.getAccount(INSURANCE_ACCOUNT), MARKS_2);
        for (const j of [0, 1])
          assert.equal(await value(page, `compartment-${j}`), String(compartments[j]));
        const fund = op.state.getAccount(INSURANCE_ACCOUNT).collateral;
        const fees = op.state.getAccount(FEE_ACCOUNT).collateral;
        assert.ok(fees > 0n, "the trades paid fees");
        assert.equal(await value(page, "insurance-fund"), String(fund));
        assert.equal(await value(page, "fee-account"), String(fees));

        // the oracle rounds, newest first, and the forced request answered in its batch
        const rounds = await page.$$eval("tr[data-round]", (trs) =>
          trs.map((tr) => tr.getAttribute("data-round")),
        );
        assert.deepEqual(rounds, ["2", "1"]);
        assert.equal(await value(page, "price-0", 'tr[data-round="2"]'), String(MARKS_2[0]));
        const forcedBatch = batches.find((b) => b.kind === "forced")!;
        assert.equal(await value(page, "account", 'tr[data-forced="0"]'), String(x.bob.account));
        assert.equal(await value(page, "batch", 'tr[data-forced="0"]'), String(forcedBatch.id));
        assert.equal(
          await page.$eval('tr[data-forced="0"] [data-k="status"]', (e) => e.textContent),
          "paid",
        );
        assert.equal(await page.$eval("#freeze", (e) => e.getAttribute("data-frozen")), "false");
        clean(seen, x.url);
      },
      { browser },
    );
  });

  it("shows an account's collateral, positions, equity and margin at the latest prices to its key holder, and its exit data", async function () {
    const op = x.rig.op;
    const index = x.alice.account!;
    await withPage(
      { url: `${x.url}/explorer` },
      async (page, seen) => {
        const pasted = await cliQuery(x.alice);
        assert.equal(
          (JSON.parse(pasted) as { account: string }).account,
          String(index),
          "the CLI prints one line of JSON",
        );
        await ask(page, pasted);
        assert.equal(await page.$eval("#account-error", (e) => (e as HTMLElement).hidden), true);
        const a = op.state.getAccount(index);
        const m = op.state.markets;
        const ceil = (s: bigint) => (s + BPS_DENOMINATOR - 1n) / BPS_DENOMINATOR;
        assert.equal(await value(page, "collateral"), String(a.collateral));
        assert.equal(await value(page, "equity"), String(equity(a, MARKS_2)));
        assert.notEqual(equity(a, MARKS_2), a.collateral, "the prices moved since the trades");
        assert.equal(
          await value(page, "maintenance-margin"),
          String(ceil(scaledRequirement(a, MARKS_2, m, "maintenance"))),
        );
        assert.equal(
          await value(page, "initial-margin"),
          String(ceil(scaledRequirement(a, MARKS_2, m, "initial"))),
        );
        for (const j of [0, 1]) {
          const row = `#account-positions tr[data-market="${j}"]`;
          assert.equal(await value(page, "size", row), String(a.positions[j].size));
          assert.equal(await value(page, "notional", row), String(a.positions[j].notional));
        }
        assert.deepEqual(
          a.positions.map((p) => p.size),
          [2n, -5n],
        );

        // the exit data link: the file engine/exit-data.ts makes at the chain's root
        const href = await page.$eval("#exit-data-link", (e) => e.getAttribute("href")!);
        const text = await page.evaluate((u) => fetch(u).then((r) => r.text()), href);
        const batches = Number(await x.rig.w.d.settlement.getFunction("batchCount")());
        const expected = exitDataOf(
          op.state,
          index,
          {
            chainId: x.rig.w.deployment.chainId,
            settlement: x.settlement,
            batches,
            roundId: 2n,
            fundingIndices: x.rig.w.fundingIndices,
            margins: x.rig.w.margins,
            marks: MARKS_2,
          },
          `operator ${x.settlement}`,
        );
        assert.equal(text, toExitDataFile(expected));
        assert.equal(parseExitDataFile(text).payout, equity(a, MARKS_2));
        clean(seen, x.url);
      },
      { browser },
    );
  });

  it("refuses a query signed by another key (AUTH_FAILED, said on the page) and a malformed one", async function () {
    await withPage(
      { url: `${x.url}/explorer` },
      async (page, seen) => {
        await ask(page, query(x.alice, x.carol));
        const shown = await page.$eval("#account-error", (e) => e.textContent ?? "");
        assert.match(shown, /^AUTH_FAILED: only account \d+'s key holder may read it/);
        assert.equal(await page.$eval("#account-view", (e) => (e as HTMLElement).hidden), true);
        assert.equal(await page.$("#exit-data-link"), null, "no exit data for the wrong key");
        // the exit data route refuses the same query
        const href = `/v1/explorer/accounts/${x.alice.account}/exit-data?${new URLSearchParams(
          Object.entries(JSON.parse(query(x.alice, x.carol)) as Record<string, string>).filter(
            ([k]) => k !== "account",
          ),
        )}`;
        const r = await page.evaluate(
          (u) => fetch(u).then(async (res) => ({ status: res.status, body: await res.json() })),
          href,
        );
        assert.deepEqual([r.status, r.body.error], [401, "AUTH_FAILED"]);

        await ask(page, '{"account": "3", "timestamp": "x"}');
        assert.match(
          await page.$eval("#account-error", (e) => e.textContent ?? ""),
          /^FORMAT_INVALID: the query's timestamp must be a non-negative integer/,
        );
        await ask(page, "not a query");
        assert.match(
          await page.$eval("#account-error", (e) => e.textContent ?? ""),
          /^FORMAT_INVALID: the query is not JSON/,
        );
        await ask(page, "[1, 2]");
        assert.match(
          await page.$eval("#account-error", (e) => e.textContent ?? ""),
          /^FORMAT_INVALID: the query must be a JSON object/,
        );
        // the browser logs the two refused requests (401) as failed loads; nothing else
        clean(seen, x.url, [/status of 401/]);
      },
      { browser },
    );
  });

  it("shows a frozen exchange and its exits, and gives the exit data at the frozen root", async function () {
    await x.freeze();
    const payout = await x.exit(x.carol);
    const root = BigInt(await x.rig.w.d.settlement.getFunction("frozenRoot")());
    await withPage(
      { url: `${x.url}/explorer` },
      async (page, seen) => {
        assert.equal(await page.$eval("#freeze", (e) => e.getAttribute("data-frozen")), "true");
        assert.equal(await value(page, "freeze-root"), root.toString());
        assert.equal(await value(page, "freeze-round"), "2");
        assert.equal(await value(page, "exits"), "1");
        assert.equal(await value(page, "exits-claimed"), payout.toString());
        await ask(page, query(x.bob));
        const href = await page.$eval("#exit-data-link", (e) => e.getAttribute("href")!);
        const data = parseExitDataFile(
          await page.evaluate((u) => fetch(u).then((r) => r.text()), href),
        );
        assert.equal(data.root, root);
        assert.equal(data.account, x.bob.account);
        clean(seen, x.url);
      },
      { browser },
    );
  });
});
