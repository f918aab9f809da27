import assert from "node:assert/strict";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { newAccount } from "../../prover/src/domain/account.ts";
import { exitPayout } from "../../prover/src/domain/exit.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import type { ExitEvent } from "../../prover/src/audit/exit-checks.ts";
import { bookExit, checkExits } from "../../prover/src/audit/exit-checks.ts";
import type { ExitRecord } from "../../prover/src/audit/progress.ts";
import { P } from "./helpers.ts";

const MARKS = [60_000_00n, 3_000_00n];
const TO = "0x00000000000000000000000000000000000A11cE";
const OTHER = "0x0000000000000000000000000000000000000B0B";

/**
 * The exit checks on synthetic Settlement events (the exit is not on-chain in this branch:
 * the events follow the exit ABI) against a frozen state made in the engine: one account in
 * profit, one under water.
 */
describe("audit: exits against the frozen state (synthetic events)", function () {
  const markets = defaultMarkets(P.markets);
  const state = ExchangeState.genesis(P.depth, markets, 1n, devOwners());
  const key = devKeyPair("exit-check").publicKey;
  const rich = newAccount(key, P.markets, 10_000n);
  // long 1 BTC bought at 70,000.00: at 60,000.00 it lost 1,000,000 > its 500,000
  const poor = {
    ...newAccount(key, P.markets, 500_000n),
    positions: newAccount(key, P.markets).positions.map((p, j) =>
      j === 0 ? { ...p, size: 1n, notional: 70_000_00n } : p,
    ),
  };
  state.setAccount(3n, rich);
  state.setAccount(4n, poor);
  const payoutOf = (a: number) =>
    state.hasAccount(BigInt(a))
      ? exitPayout(state.getAccount(BigInt(a)), MARKS, zeroIndices(MARKS.length))
      : undefined;
  let block = 100;
  const claimed = (account: number, payout: bigint, recipient = TO): ExitEvent => ({
    block: block++,
    txIndex: 0,
    logIndex: 0,
    txHash: "0x",
    name: "ExitClaimed",
    account,
    recipient,
    payout,
  });
  const paid = (account: number, payout: bigint, amount: bigint, recipient = TO): ExitEvent => ({
    ...claimed(account, payout, recipient),
    name: "ExitPaid",
    paid: amount,
  });
  const book = (events: ExitEvent[], frozen = true) => {
    const exits: ExitRecord[] = [];
    const found = events.flatMap((e) => bookExit(exits, e, frozen));
    return { exits, found };
  };
  const codes = (fs: readonly { code: string }[]) => fs.map((f) => f.code);

  it("passes exits that pay the frozen equity (0 under water), settled in full when the pool covers the claims", function () {
    assert.equal(payoutOf(3), 10_000n);
    assert.equal(payoutOf(4), 0n);
    const { exits, found } = book([
      claimed(3, 10_000n),
      claimed(4, 0n),
      paid(3, 10_000n, 10_000n),
      paid(4, 0n, 0n),
    ]);
    assert.deepEqual(found, []);
    assert.deepEqual(
      checkExits(exits, { payoutOf, pool: 10_000n, claimed: 10_000n, backing: 10_000n }),
      [],
    );
  });

  it("finds a payout that is not the frozen state's equity, and an exit of an account without a leaf", function () {
    const { exits } = book([claimed(3, 10_001n), paid(9, 5n, 5n)]);
    const found = checkExits(exits, { payoutOf });
    assert.deepEqual(codes(found), ["EXIT_PAYOUT", "EXIT_PAYOUT"]);
    assert.match(found[0].message, /account 3 exited for 10001; its equity .* is 10000/);
    assert.match(found[1].message, /account 9 exited for 5 but has no leaf in the frozen state/);
  });

  it("finds an exit before the freeze, a second exit, and a settled claim that differs from the claim", function () {
    const { found } = book(
      [claimed(3, 10_000n), claimed(3, 10_000n), paid(3, 10_000n, 10_000n, OTHER)],
      false,
    );
    assert.deepEqual(codes(found), [
      "EXIT_UNFROZEN",
      "EXIT_UNFROZEN",
      "EXIT_TWICE",
      "EXIT_UNFROZEN",
      "EXIT_PAYOUT",
    ]);
    const again = book([paid(3, 10_000n, 10_000n), paid(3, 10_000n, 10_000n)]).found;
    assert.deepEqual(codes(again), ["EXIT_TWICE"]);
  });

  it("finds payouts beyond the pool: a claim paid more than its pro-rata share, a sum above the pool, a pool other than the books'", function () {
    // claims of 10,000 and 30,000 against a pool of 20,000: each gets half
    const fair = book([
      claimed(3, 10_000n),
      claimed(5, 30_000n),
      paid(3, 10_000n, 5_000n),
      paid(5, 30_000n, 15_000n),
    ]).exits;
    assert.deepEqual(checkExits(fair, { pool: 20_000n, claimed: 40_000n, backing: 20_000n }), []);
    const greedy = book([
      claimed(3, 10_000n),
      claimed(5, 30_000n),
      paid(3, 10_000n, 10_000n),
      paid(5, 30_000n, 15_000n),
    ]).exits;
    const found = checkExits(greedy, { pool: 20_000n, claimed: 40_000n, backing: 20_000n });
    assert.deepEqual(codes(found), ["EXIT_OVERPAID", "EXIT_OVERPAID"]);
    assert.match(found[0].message, /claim of 10000 was settled for 10000; .* is 5000/);
    assert.match(found[1].message, /paid 25000 in total, more than the exit pool of 20000/);
    // paid at once after the window: never more than the payout
    const direct = book([paid(3, 10_000n, 10_001n)]).exits;
    assert.deepEqual(codes(checkExits(direct, { pool: 20_000n })), ["EXIT_OVERPAID"]);
    const pool = checkExits(fair, { pool: 20_000n, claimed: 40_000n, backing: 19_999n });
    assert.deepEqual(codes(pool), ["EXIT_POOL"]);
    assert.match(pool[0].message, /exit pool is 20000; the Vault held 19999/);
  });
});
