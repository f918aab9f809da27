import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { deposit, postRound, type Participant } from "../../prover/src/dev/onchain.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";
import { cliAgainst, runZkclear } from "../helpers/cli.ts";

const PASSPHRASE = "a long passphrase for the liquidator test";

const zkclear = (args: string[]) => runZkclear(args, { ZKCLEAR_PASSPHRASE: PASSPHRASE });

/** `zkclear liquidator offer | withdraw | show` against the operator's API. */
describe("cli: zkclear liquidator", function () {
  let rig: OperatorRig;
  let app: FastifyInstance;
  let liq: Participant;
  let url: string;
  let file: string;
  let key: string;
  const args = (...xs: string[]) => [
    ...xs,
    "--account",
    String(liq.account),
    "--key",
    key,
    "--deployment",
    file,
    "--api",
    url,
  ];

  before(async function () {
    rig = await startOperator(1, "zkclear-cli-liq-");
    [liq] = rig.w.participants;
    await deposit(rig.w, liq, 1_000_000_00n);
    await postRound(rig.w, [60_000_00n, 3_000_00n]);
    await rig.op.tick();
    ({ app, url, file, key } = await cliAgainst(rig, liq.keys, PASSPHRASE, "liq.json"));
  });

  after(async function () {
    await app?.close();
    await rig?.close();
  });

  it("signs and posts an offer by market name, with the next nonce the operator reports", async function () {
    const symbol = rig.w.markets[0].symbol;
    const r = await zkclear([
      "--json",
      ...args("liquidator", "offer", "--market", `${symbol}:2:40`),
    ]);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.json.status, "standing");
    assert.equal(r.json.nonce, "1");
    assert.deepEqual(r.json.terms, [
      { maxSize: "2", discountBps: "40" },
      { maxSize: "0", discountBps: "0" },
    ]);
    // by index, both markets; the nonce follows on
    const again = await zkclear([
      "--json",
      ...args(
        "liquidator",
        "offer",
        "--market",
        "0:3:30",
        "--market",
        `${rig.w.markets[1].symbol.toLowerCase()}:5:20`,
      ),
    ]);
    assert.equal(again.code, 0, again.out);
    assert.equal(again.json.nonce, "2");
    const human = await zkclear(["liquidator", "show", "--deployment", file, "--api", url]);
    assert.equal(human.code, 0, human.out);
    assert.match(human.out, new RegExp(`account ${liq.account}: standing, nonce 2`));
    assert.match(human.out, new RegExp(`${symbol} up to 3 lots at 30 bps`));
  });

  it("refuses a stale nonce (the operator's code, exit 1) and a market it does not know (exit 2)", async function () {
    const stale = await zkclear([
      "--json",
      ...args("liquidator", "offer", "--market", "0:1:1", "--nonce", "2"),
    ]);
    assert.equal(stale.code, 1, stale.out);
    assert.equal(stale.json.error, "OFFER_NONCE_USED");
    const unknown = await zkclear([
      "--json",
      ...args("liquidator", "offer", "--market", "NOPE-PERP:1:1"),
    ]);
    assert.equal(unknown.code, 2, unknown.out);
    assert.equal(unknown.json.error, "BAD_ARGUMENT");
    assert.match(String(unknown.json.message), /no market NOPE-PERP/);
    const none = await zkclear(["--json", ...args("liquidator", "offer")]);
    assert.equal(none.code, 2, none.out);
    const above = await zkclear(["--json", ...args("liquidator", "offer", "--market", "0:1:101")]);
    assert.equal(above.code, 1, above.out);
    assert.equal(above.json.error, "OFFER_DISCOUNT_ABOVE_PENALTY");
    // 1,000 lots at 60,000.00 need 6,000,000.00 of initial margin: not backed
    const unbacked = await zkclear([
      "--json",
      ...args("liquidator", "offer", "--market", "0:1000:10"),
    ]);
    assert.equal(unbacked.code, 1, unbacked.out);
    assert.equal(unbacked.json.error, "OFFER_NOT_BACKED");
    assert.match(String(unbacked.json.message), /lacks 500000000 of equity/);
  });

  it("withdraws: the offer leaves the public list, its nonce stays", async function () {
    const r = await zkclear(["--json", ...args("liquidator", "withdraw")]);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.json.status, "withdrawn");
    const list = await zkclear(["--json", "liquidator", "show", "--api", url]);
    assert.deepEqual(list.json.offers, []);
    const one = await zkclear([
      "--json",
      "liquidator",
      "show",
      "--account",
      String(liq.account),
      "--api",
      url,
    ]);
    assert.equal((one.json.offer as { status: string }).status, "withdrawn");
    assert.equal(one.json.nextNonce, "4");
  });

  it("shows an offer suspended once a withdrawal leaves it unbacked, and standing again after a deposit", async function () {
    // 10 lots at 60,000.00: 60,000.00 of initial margin out of 1,000,000.00
    const posted = await zkclear(["--json", ...args("liquidator", "offer", "--market", "0:10:30")]);
    assert.equal(posted.code, 0, posted.out);
    const { w, op } = rig;
    op.requestWithdrawal(
      signWithdrawal(
        {
          account: liq.account!,
          nonce: 0n,
          amount: 950_000_00n,
          recipient: BigInt(await liq.signer.getAddress()),
        },
        liq.keys.privateKey,
        w.domain,
      ),
    );
    await op.tick();
    const show = () => zkclear(["liquidator", "show", "--deployment", file, "--api", url]);
    const after = await show();
    assert.equal(after.code, 0, after.out);
    assert.match(
      after.out,
      new RegExp(
        `account ${liq.account}: suspended, nonce 4, .*\\(suspended: account ${liq.account} lacks 1000000 of equity to back its offer`,
      ),
    );
    await deposit(w, liq, 10_000_00n);
    await op.tick();
    assert.match((await show()).out, new RegExp(`account ${liq.account}: standing, nonce 4`));
  });
});
