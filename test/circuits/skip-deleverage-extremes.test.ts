import assert from "node:assert/strict";
import { newAccount } from "../../prover/src/domain/account.ts";
import { pow2 } from "../../prover/src/domain/amounts.ts";
import { SIZE_BITS } from "../../prover/src/domain/constants.ts";
import { deleverageScore, SCORE_MAX } from "../../prover/src/domain/deleveraging.ts";
import type { SkippedDeleverageInput } from "../../prover/src/domain/skip-inputs.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets, validateMarkets } from "../../prover/src/domain/market.ts";
import { equity } from "../../prover/src/domain/margin.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import type { ForgedDeleverage } from "../../prover/src/engine/deleverage.ts";
import { skipProofInput, skippedAccounts } from "../../prover/src/engine/skip-proof.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { fundWithCompartments } from "../helpers/compartments.ts";
import { BTC_CRASH, flat, position, settleCrash, world } from "../helpers/deleverage-world.ts";

// Skip proofs (SkippedDeleverage, circuits/src/skip-deleverage.circom) over batches whose
// published entries sit at the top of the ranges the skip circuit checks them in: an entry
// closing 2^63 + 1 lots (lots - 1 needs all SIZE_BITS bits, and so do the market head's
// lots, the same 2^63 + 1) and an entry whose score is past 2^61 (it needs the 62 bits of
// SignedRangeCheck(62)). Every enabled entry of the batch is range-checked, whichever
// market the proof is about, so a check one bit narrower would refuse these honest proofs:
// the account the operator left out of such a batch could not show it, and the batch's
// unfair ranking would stand.
const P = TEST_PARAMS;
const skip = (input: SkippedDeleverageInput) => ({ kind: "skipped_deleverage" as const, input });

/**
 * Settles the crash with a forged deleveraging, checks that LiquidateBatch accepts it (the
 * batch is one Settlement records, so its entries are what the skip circuit must read) and
 * returns the state it was proven from and its file.
 */
async function settledForged(w: () => ExchangeState, forge: ForgedDeleverage) {
  const { before, file, r } = settleCrash(w, { markets: [0], ...forge });
  const batch = await witnessFor({ kind: "liquidate_batch", input: r.input });
  assert.deepEqual(batch.slice(2, 4), [r.newRoot, r.dataCommitment]);
  return { before, file };
}

/** The entries the batch published in market 0, as [account, lots, score]. */
const entriesOf = (file: ReturnType<typeof settleCrash>["file"]) =>
  (file.deleveraged?.[0].entries ?? []).map((e) => [e.account, e.lots, e.score] as const);

describe("skip proofs over entries at the ends of their ranges (test parameters)", function () {
  it("proves an account left out of a batch that closed 2^63 + 1 lots in one entry (lots - 1 needs all SIZE_BITS bits, in the entry and in the head)", async function () {
    // the bankrupt is long B = 2^63 + 1 lots; account 4 is short B on a collateral of 2^90,
    // account 5 short 1 lot from 6,000,000 on 1,000,000: more leveraged at the same 50 %
    // profit, it ranks first. The operator drops it from the ranking, and account 4
    // closes all B lots in one entry
    const B = pow2(SIZE_BITS - 1) + 1n;
    const w = () =>
      world(
        [100_000n, 10_000_000n],
        [
          [pow2(90), B, 6_000_000n],
          [1_000_000n, 1n, 6_000_000n],
        ],
        [],
        B,
      );
    const honest = settleCrash(w);
    assert.deepEqual(
      entriesOf(honest.file).map(([a, lots]) => [a, lots]),
      [
        [5n, 1n],
        [4n, B - 1n],
      ],
    );
    const { before, file } = await settledForged(w, {
      ranking: (rk) => rk.filter((p) => p.account !== 5n),
    });
    const entries = entriesOf(file);
    assert.deepEqual(
      entries.map(([a, lots]) => [a, lots]),
      [[4n, B]],
    );
    // past what SIZE_BITS - 1 bits hold: RangeCheck(SIZE_BITS - 1) would refuse the entry
    assert.ok(entries[0][1] - 1n >= pow2(SIZE_BITS - 1));
    assert.deepEqual(skippedAccounts(before, file, P), [{ market: 0, account: 5n }]);
    const input = skipProofInput(before, file, P, 5n, 0);
    // the skip circuit reads the entry as published
    assert.deepEqual([input.entries[0].enabled, input.entries[0].lots], [1n, B]);
    // and the market's head, whose lots the skip circuit checks in SIZE_BITS bits too
    assert.deepEqual([input.heads[0].enabled, input.heads[0].lots], [1n, B]);
    await witnessFor(skip(input));
  });

  it("proves an account left out of a batch whose entry scores past 2^61 (the score needs all 62 bits)", async function () {
    // The score is pnlBps * leverage, pnlBps = floor(10^4 u / value) and leverage =
    // floor(100 value / equity), each clamped to at most SCORE_MAX = 2^31 - 1: about
    // 10^6 u / equity, and at most SCORE_MAX^2 < 2^62. It passes 2^61 only when the
    // position's profit u is above 2^61 / 10^6 times the account's equity. A ranked entry is
    // at or above maintenance, 10^4 * equity >= value * liqMmBps, so its leverage is at
    // most 10^6 / liqMmBps: past 2^30 only at a maintenance rate of 0. BTC here has one
    // (a legal configuration: validateMarkets asks only 0 <= mm <= im, im > 0; the round's
    // multipliers scale 0 to 0). Account 4 is short 2^23 lots sold at 2^40 with BTC at
    // 4,000,000, a profit u of about 2^63, and its collateral is 1,000,000 - u (below 0:
    // the profit is its only equity), so both factors clamp and its score is SCORE_MAX^2.
    // Account 5 is short 1 lot from 6,000,000 on 10,000,000. The bankrupt is long 2 lots:
    // each ranked account can afford one at the bankruptcy price, so honestly both are
    // listed; the operator's ranking stops after account 4, leaving a lot unplaced with a
    // slot free
    const markets = validateMarkets(
      defaultMarkets(P.markets).map((m, j) => (j === 0 ? { ...m, maintenanceMarginBps: 0n } : m)),
    );
    const size = pow2(23);
    const sold = pow2(40);
    const profit = size * (sold - BTC_CRASH);
    const w = () => {
      const s = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
      const account = (name: string, collateral: bigint, btc: ReturnType<typeof position>) => ({
        ...newAccount(devKeyPair(name).publicKey, 2, collateral),
        positions: [btc, flat],
      });
      s.setAccount(3n, account("bankrupt", 2_500_000n, position(2n, 12_000_000n)));
      s.setAccount(4n, account("whale", 1_000_000n - profit, position(-size, -size * sold)));
      s.setAccount(5n, account("short5", 10_000_000n, position(-1n, -6_000_000n)));
      fundWithCompartments(s, [100_000n, 10_000_000n]);
      return s;
    };
    const whale = w().getAccount(4n);
    assert.equal(equity(whale, [BTC_CRASH, 0n]), 1_000_000n);
    const honest = settleCrash(w);
    assert.deepEqual(
      entriesOf(honest.file).map(([a, lots]) => [a, lots]),
      [
        [4n, 1n],
        [5n, 1n],
      ],
    );
    const { before, file } = await settledForged(w, { ranking: (rk) => rk.slice(0, 1) });
    const entries = entriesOf(file);
    assert.deepEqual(
      entries.map(([a, lots]) => [a, lots]),
      [[4n, 1n]],
    );
    const score = entries[0][2];
    assert.equal(score, SCORE_MAX * SCORE_MAX);
    assert.equal(
      score,
      deleverageScore(
        { account: 4n, size: -size, result: profit, equity: 1_000_000n, surplus: 0n },
        BTC_CRASH,
      ),
    );
    // the check's end is (SCORE_MAX + 1)^2 = 2^62; the score is in the top half of its
    // range, which SignedRangeCheck one bit narrower refuses
    const end = (SCORE_MAX + 1n) ** 2n;
    assert.ok(score < end && score >= end / 2n);
    assert.deepEqual(skippedAccounts(before, file, P), [{ market: 0, account: 5n }]);
    const input = skipProofInput(before, file, P, 5n, 0);
    assert.deepEqual([input.entries[0].enabled, input.entries[0].score], [1n, score]);
    await witnessFor(skip(input));
  });
});
