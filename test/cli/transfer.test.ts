import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import {
  deposit,
  depositIsolated,
  postRound,
  type Participant,
} from "../../prover/src/dev/onchain.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";
import { cliAgainst, runZkclear } from "../helpers/cli.ts";
import { serveChain } from "../helpers/chain.ts";

const PASSPHRASE = "a long passphrase for the transfer test";

const zkclear = (args: string[]) => runZkclear(args, { ZKCLEAR_PASSPHRASE: PASSPHRASE });

/**
 * `zkclear deposit --isolated` opens a sub-account through the Vault (a served chain), and
 * `zkclear transfer` moves collateral into one through the operator's API: proven, and refused.
 */
describe("cli: zkclear deposit --isolated and zkclear transfer", function () {
  let rig: OperatorRig;
  let app: FastifyInstance;
  let alice: Participant;
  let iso: bigint;
  let url: string;
  let file: string;
  let key: string;
  let chain: { url: string; close(): Promise<void> };
  const args = (from: bigint, to: bigint, ...xs: string[]) => [
    "--json",
    "transfer",
    "--from",
    String(from),
    "--to",
    String(to),
    "--key",
    key,
    "--deployment",
    file,
    "--api",
    url,
    ...xs,
  ];

  before(async function () {
    rig = await startOperator(1, "zkclear-cli-transfer-");
    [alice] = rig.w.participants;
    await deposit(rig.w, alice, 10_000_000n);
    iso = await depositIsolated(rig.w, alice, 1_000_000n, 1);
    await postRound(rig.w, [60_000_00n, 3_000_00n]);
    await rig.op.tick();
    ({ app, url, file, key } = await cliAgainst(rig, alice.keys, PASSPHRASE, "alice.json"));
    chain = await serveChain();
  });

  after(async function () {
    await chain?.close();
    await app?.close();
    await rig?.close();
  });

  it("signs a transfer into the sub-account, naming its margin mode; the operator proves it", async function () {
    const r = await zkclear(
      args(alice.account!, iso, "--amount", "400000", "--nonce", "0", "--isolated", "1"),
    );
    assert.equal(r.code, 0, r.out);
    assert.match(String(r.json.id), /^w-/);
    await rig.op.tick();
    assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
    assert.equal(rig.op.state.getAccount(iso).collateral, 1_400_000n);
    assert.equal(rig.op.state.getAccount(alice.account!).collateral, 9_600_000n);
  });

  it("is refused, with the operator's code, when the margin mode signed is not the account's", async function () {
    // without --isolated the transfer names a cross-margin account; the sub-account is not
    const r = await zkclear(args(alice.account!, iso, "--amount", "1", "--nonce", "1"));
    assert.notEqual(r.code, 0, r.out);
    assert.equal(r.json.error, "TRANSFER_BAD_DESTINATION", r.out);
    assert.match(String(r.json.message), /isolated to market 1/);
  });

  it("opens a sub-account isolated to a market with zkclear deposit --isolated", async function () {
    const dep = (...xs: string[]) =>
      zkclear(["--json", "deposit", "--key", key, "--rpc", chain.url, "--deployment", file, ...xs]);
    const r = await dep("--amount", "500000", "--mint", "--isolated", "0");
    assert.equal(r.code, 0, r.out);
    assert.equal(r.json.isolatedMarket, 0);
    const index = BigInt(r.json.account as string);
    await rig.op.tick();
    const a = rig.op.state.getAccount(index);
    assert.deepEqual(
      [a.isolatedMarket, a.collateral, a.pubKey],
      [0, 500_000n, alice.keys.publicKey],
    );
    // an existing account keeps its margin mode; a market the exchange lacks is the Vault's refusal
    const topUp = await dep("--amount", "1", "--account", String(index), "--isolated", "0");
    assert.equal(topUp.json.error, "BAD_ARGUMENT", topUp.out);
    const none = await dep("--amount", "500000", "--mint", "--isolated", "2");
    assert.notEqual(none.code, 0, none.out);
    assert.equal(none.json.error, "CHAIN_REFUSED", none.out);
    assert.match(String(none.json.message), /the Vault refused the deposit: BadMarket\(2\)/);
  });
});
