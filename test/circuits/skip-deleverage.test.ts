import assert from "node:assert/strict";
import { skippedDeleveragePublicSignals } from "../../prover/src/domain/skip-inputs.ts";
import type { SkippedDeleverageInput } from "../../prover/src/domain/skip-inputs.ts";
import { LiquidatorError } from "../../prover/src/engine/liquidators.ts";
import { skipProofInput, skippedAccounts } from "../../prover/src/engine/skip-proof.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { deleverageHeadWord } from "../../prover/src/domain/deleveraging.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import { BN128_R } from "../../prover/src/proving/dev-zkey.ts";
import { invMod } from "../../prover/src/verify/propagation.ts";
import { OFFER_TERMS, keyOf, offerOf, taken } from "../helpers/liquidators.ts";
import { TEST_PARAMS, assertRefused, witnessFor } from "../helpers/circuit.ts";
import {
  bankruptInBoth,
  CRASH_MARKS,
  crashFile,
  flat,
  position,
  settleCrash,
  twoShorts,
  world,
} from "../helpers/deleverage-world.ts";
import { newAccount } from "../../prover/src/domain/account.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";

const P = TEST_PARAMS;

/** Two bankrupt lots, accounts 4 and 5 short one each: honestly both are listed. */
const oneLotEach = () =>
  world(
    [100_000n, 10_000_000n],
    [
      [700_000n, 1n, 6_000_000n],
      [50_000_000n, 1n, 6_000_000n],
    ],
    [],
    2n,
  );

const skip = (input: SkippedDeleverageInput) => ({ kind: "skipped_deleverage", input }) as const;

async function refusedFor(f: () => unknown, code: string) {
  assert.throws(f, (e: unknown) => e instanceof LiquidatorError && e.code === code);
}

describe("skip proofs: SkippedDeleverage (test parameters)", function () {
  it("proves that a batch left out the higher-ranked account, and binds the batch, the account and the market", async function () {
    const { before, file } = settleCrash(twoShorts, { markets: [0], ranking: (rk) => rk.slice(1) });
    assert.deepEqual(
      file.deleveraged?.[0].entries.map((e) => [e.account, e.lots]),
      [[5n, 1n]],
    );
    assert.deepEqual(skippedAccounts(before, file, P), [{ market: 0, account: 4n }]);
    const input = skipProofInput(before, file, P, 4n, 0);
    const w = await witnessFor(skip(input));
    // the public signals follow the output-free main's "1" wire, in the table's order
    assert.deepEqual(w.slice(1, 5), skippedDeleveragePublicSignals(input));
    assert.equal(input.dataCommitment, file.dataCommitment);
  });

  it("proves lots left unplaced with a slot free: a lower-ranked account the ranking would have reached", async function () {
    const honest = settleCrash(oneLotEach);
    assert.deepEqual(
      honest.file.deleveraged?.[0].entries.map((e) => [e.account, e.lots]),
      [
        [4n, 1n],
        [5n, 1n],
      ],
    );
    assert.deepEqual(skippedAccounts(honest.before, honest.file, P), []);
    const { before, file } = settleCrash(oneLotEach, {
      markets: [0],
      ranking: (rk) => rk.slice(0, 1),
    });
    assert.deepEqual(skippedAccounts(before, file, P), [{ market: 0, account: 5n }]);
    await witnessFor(skip(skipProofInput(before, file, P, 5n, 0)));
  });

  it("admits no skip proof for an honest batch: the account ranked below took nothing because every lot was placed", async function () {
    const { before, file } = settleCrash(twoShorts);
    assert.deepEqual(
      file.deleveraged?.[0].entries.map((e) => [e.account, e.lots]),
      [[4n, 2n]],
    );
    assert.deepEqual(skippedAccounts(before, file, P), []);
    await refusedFor(() => skipProofInput(before, file, P, 5n, 0), "SKIP_RANKED_BELOW");
    const forced = skipProofInput(before, file, P, 5n, 0, { unchecked: true });
    await assertRefused(skip(forced), "SkippedDeleverage");
  });

  it("refuses an account that is listed, one that is not a candidate, and a market with nothing deleveraged", async function () {
    const { before, file } = settleCrash(twoShorts, { markets: [0], ranking: (rk) => rk.slice(1) });
    await refusedFor(() => skipProofInput(before, file, P, 5n, 0), "SKIP_LISTED");
    await assertRefused(
      skip(skipProofInput(before, file, P, 5n, 0, { unchecked: true })),
      "SkippedDeleverage",
    );
    // account 3, liquidated by the batch, holds nothing on the tree its market started from
    await refusedFor(() => skipProofInput(before, file, P, 3n, 0), "SKIP_NOT_ELIGIBLE");
    await assertRefused(
      skip(skipProofInput(before, file, P, 3n, 0, { unchecked: true })),
      "DeleverageCandidate",
    );
    await refusedFor(() => skipProofInput(before, file, P, 4n, 1), "SKIP_NOT_DELEVERAGED");
    const good = skipProofInput(before, file, P, 4n, 0);
    await assertRefused(skip({ ...good, market: 1n }), "SkippedDeleverage");
    // the fund is never a candidate
    await assertRefused(skip({ ...good, account: 2n }), "NotSystemAccount");
  });

  it("proves lots left unplaced in a market whose slots the batch spent on a later market", async function () {
    // both markets under water; BTC's lot has one opposing short (account 4), ETH's ten
    // lots two (accounts 5 and 6, five each). Honestly BTC takes a slot and ETH the other,
    // leaving ETH's account 6 for a later batch; the forged batch gives BTC no entry and
    // both slots to ETH, so every slot is used, but not by BTC's ranking
    const w = () => {
      const s = bankruptInBoth();
      s.setAccount(5n, { ...s.getAccount(5n), positions: [flat, position(-5n, -2_000_000n)] });
      s.setAccount(6n, {
        ...newAccount(devKeyPair("eth short 2").publicKey, 2, 10_000_000n),
        positions: [flat, position(-5n, -2_000_000n)],
      });
      return s;
    };
    const honest = settleCrash(w);
    assert.deepEqual(
      honest.file.deleveraged?.map((d) => [d.market, d.entries.map((e) => e.account)]),
      [
        [0, [4n]],
        [1, [5n]],
      ],
    );
    assert.deepEqual(skippedAccounts(honest.before, honest.file, P), []);
    const { before, file } = settleCrash(w, {
      markets: [0, 1],
      lots: (ex, m) => (m === 0 ? [] : [...ex]),
    });
    assert.deepEqual(
      file.deleveraged?.map((d) => [d.market, d.entries.map((e) => e.account)]),
      [
        [0, []],
        [1, [5n, 6n]],
      ],
    );
    assert.deepEqual(skippedAccounts(before, file, P), [{ market: 0, account: 4n }]);
    await witnessFor(skip(skipProofInput(before, file, P, 4n, 0)));
    // in ETH every lot was placed: nobody was skipped there
    await assertRefused(
      skip(skipProofInput(before, file, P, 5n, 1, { unchecked: true })),
      "SkippedDeleverage",
    );
  });

  it("reads a market an earlier batch left under water: the next batch must deleverage it, so a candidate it leaves out is shown", async function () {
    // nobody opposes the fund's BTC lot: the crash's batch leaves the compartment at -650,000
    const underWater = () => {
      const s = world([100_000n, 10_000_000n], []);
      liquidate(s, [3n], CRASH_MARKS, P.liquidations);
      return s;
    };
    // the next liquidation batch (here with no liquidation) must carry BTC's head, even
    // with nobody to take a lot
    const next = liquidate(underWater(), [], CRASH_MARKS, P.liquidations);
    assert.deepEqual(
      next.deleveraged.map((d) => [d.market, d.fundSize, d.entries.length]),
      [[0, 1n, 0]],
    );
    await witnessFor({ kind: "liquidate_batch", input: next.input });
    const without = liquidate(underWater(), [], CRASH_MARKS, P.liquidations, {
      unchecked: true,
      forgeDeleverage: { markets: [] },
    });
    await assertRefused({ kind: "liquidate_batch", input: without.input }, "LiquidateBatch");
    // a short appears (account 9, sold 1 lot at 5,000,000); a batch that lists nobody
    // leaves its lot unplaced with a slot free
    const withShort = () => {
      const s = underWater();
      s.setAccount(9n, {
        ...newAccount(devKeyPair("late short").publicKey, 2, 5_000_000n),
        positions: [position(-1n, -5_000_000n), flat],
      });
      return s;
    };
    const r = liquidate(withShort(), [], CRASH_MARKS, P.liquidations, {
      unchecked: true,
      forgeDeleverage: { markets: [0], lots: () => [] },
    });
    await witnessFor({ kind: "liquidate_batch", input: r.input });
    const before = withShort();
    const file = crashFile(r, []);
    assert.deepEqual(skippedAccounts(before, file, P), [{ market: 0, account: 9n }]);
    await witnessFor(skip(skipProofInput(before, file, P, 9n, 0)));
  });

  it("refuses a liquidator's take in a market an earlier batch left under water: a take cannot excuse its deleveraging", async function () {
    // BTC at -650,000 with the fund long a lot; account 9 could take it; account 10, a thin
    // long, is liquidatable and the operator's liquidator (account 11) takes its BTC lot
    const w = () => {
      const s = world([100_000n, 10_000_000n], []);
      liquidate(s, [3n], CRASH_MARKS, P.liquidations);
      s.setAccount(9n, {
        ...newAccount(devKeyPair("late short").publicKey, 2, 5_000_000n),
        positions: [position(-1n, -5_000_000n), flat],
      });
      s.setAccount(10n, {
        ...newAccount(devKeyPair("thin long").publicKey, 2, 2_100_000n),
        positions: [position(1n, 6_000_000n), flat],
      });
      s.setAccount(11n, {
        ...newAccount(keyOf(11n).publicKey, 2, 5_000_000n),
        positions: [flat, flat],
      });
      return s;
    };
    const req = taken(10n, offerOf(11n, OFFER_TERMS), [true, false]);
    assert.throws(
      () => liquidate(w(), [req], CRASH_MARKS, P.liquidations),
      (e: unknown) => e instanceof LiquidatorError && e.code === "LIQUIDATOR_IN_DELEVERAGED_MARKET",
    );
    // the batch that takes and deleverages nothing: refused by the rule
    const dodge = liquidate(w(), [req], CRASH_MARKS, P.liquidations, {
      unchecked: true,
      forgeDeleverage: { markets: [] },
    });
    await assertRefused({ kind: "liquidate_batch", input: dodge.input }, "LiquidateBatch");
    // without the take the fund takes account 10's lot and account 9 is deleveraged
    const honest = liquidate(w(), [10n], CRASH_MARKS, P.liquidations);
    assert.deepEqual(
      honest.deleveraged.map((d) => [d.market, d.entries.map((e) => e.account)]),
      [[0, [9n]]],
    );
    await witnessFor({ kind: "liquidate_batch", input: honest.input });
  });

  it("binds the batch's prices: another priceConfigHash, or marks other than those it names, are refused", async function () {
    const { before, file } = settleCrash(twoShorts, { markets: [0], ranking: (rk) => rk.slice(1) });
    const good = skipProofInput(before, file, P, 4n, 0);
    await witnessFor(skip(good));
    await assertRefused(
      skip({ ...good, priceConfigHash: good.priceConfigHash + 1n }),
      "SkippedDeleverage",
    );
    // a mark 1 lower: account 4 is as eligible, but the batch's binding names the other
    await assertRefused(
      skip({ ...good, mark: [good.mark[0] - 1n, ...good.mark.slice(1)] }),
      "SkippedDeleverage",
    );
  });

  it("refuses flags that are not bits: a head enabled by a field element lands a forged head on the batch's chain, an entry's market flags of -1 and 1 hide lots", async function () {
    // the honest batch: account 4 takes both lots, account 5 ranks below (nothing skipped)
    const { before, file } = settleCrash(twoShorts);
    const honest = skipProofInput(before, file, P, 5n, 0, { unchecked: true });
    await assertRefused(skip(honest), "SkippedDeleverage");
    // BTC's head read with 3 lots (one unplaced), then ETH's head "enabled" by the e that
    // takes the chain back to the batch's own value before the entries
    const h0 = honest.heads[0];
    const real = poseidon([
      honest.chainIn,
      deleverageHeadWord({ market: 0, fundSize: h0.lots }),
      h0.price,
      h0.root,
    ]);
    const fake = poseidon([
      honest.chainIn,
      deleverageHeadWord({ market: 0, fundSize: h0.lots + 1n }),
      h0.price,
      h0.root,
    ]);
    const next = poseidon([fake, deleverageHeadWord({ market: 1, fundSize: 0n }), 0n, 0n]);
    const e =
      (((real - fake) % BN128_R) * invMod((next - fake + BN128_R) % BN128_R, BN128_R)) % BN128_R;
    const landed = (fake + e * (next - fake)) % BN128_R;
    assert.equal((landed + BN128_R) % BN128_R, real);
    await assertRefused(
      skip({
        ...honest,
        heads: [
          { ...h0, lots: h0.lots + 1n },
          { enabled: (e + BN128_R) % BN128_R, lots: 0n, long: 0n, price: 0n, root: 0n },
        ],
      }),
      "SkippedDeleverage",
    );
    // a padding entry with market flags -1 and 1 (summing to its enabled 0): in BTC it
    // would count -1 lot placed and -1 entry, leaving a lot "unplaced" with a slot "free"
    assert.equal(honest.entries[1].enabled, 0n);
    await assertRefused(
      skip({
        ...honest,
        entries: [
          honest.entries[0],
          { ...honest.entries[1], market: [BN128_R - 1n, 1n], lots: 1n, account: 7n },
        ],
      }),
      "SkippedDeleverage",
    );
  });

  it("refuses other readings of an honest batch's entries that would hide a listed account or invent one ranked below", async function () {
    // honestly account 4 takes both lots and nobody is left out; each reading below would
    // prove a skip of account 4 (listed) or 5 (ranked below, every lot placed)
    const { before, file } = settleCrash(twoShorts);
    const listed = skipProofInput(before, file, P, 4n, 0, { unchecked: true });
    const below = skipProofInput(before, file, P, 5n, 0, { unchecked: true });
    const [entry, padding] = listed.entries;
    assert.deepEqual([entry.account, entry.lots, padding.enabled], [4n, 2n, 0n]);
    const field = (x: bigint) => ((x % BN128_R) + BN128_R) % BN128_R;
    // the same word, account + lots * 2^32 + market * 2^96, read as account 4 + 2^32 with 1
    // lot: account 4 unlisted, a lot unplaced (the account's range check refuses it)
    await assertRefused(
      skip({ ...listed, entries: [{ ...entry, account: 4n + (1n << 32n), lots: 1n }, padding] }),
      "SkippedDeleverage",
    );
    // read as account 7 with lots 2 + (4 - 7) / 2^32 in the field (the lots' range check)
    const lots = field(2n + field(-3n) * invMod(1n << 32n, BN128_R));
    await assertRefused(
      skip({ ...listed, entries: [{ ...entry, account: 7n, lots }, padding] }),
      "SkippedDeleverage",
    );
    // the padding entry put in BTC with a score below account 5's: 5 would rank above an
    // entry (its market flags must sum to its enabled, 0)
    await assertRefused(
      skip({
        ...below,
        entries: [
          below.entries[0],
          { ...padding, market: [1n, 0n], account: 7n, lots: 1n, score: -(1n << 60n) },
        ],
      }),
      "SkippedDeleverage",
    );
  });

  it("reads entries of accounts that use all D bits", async function () {
    // oneLotEach with account 4's short moved to account 2^D - 1 (255 at D = 8); a batch
    // that lists it and leaves account 5 out, with a lot unplaced and a slot free
    const top = (1n << BigInt(P.depth)) - 1n;
    const w = () => {
      const s = oneLotEach();
      s.setAccount(top, s.getAccount(4n));
      s.setAccount(4n, { ...s.getAccount(4n), positions: [flat, flat] });
      return s;
    };
    const { before, file } = settleCrash(w, {
      markets: [0],
      ranking: (rk) => rk.filter((r) => r.account !== 5n),
    });
    assert.deepEqual(
      file.deleveraged?.[0].entries.map((e) => e.account),
      [top],
    );
    await witnessFor(skip(skipProofInput(before, file, P, 5n, 0)));
  });

  it("refuses an account on the fund's side, even with a lot left unplaced and a slot free", async function () {
    // oneLotEach plus account 6, long a lot from 4,000,000 (healthy, on the fund's side);
    // the batch lists account 4 only, leaving a lot unplaced with a slot free
    const w = () =>
      world(
        [100_000n, 10_000_000n],
        [
          [700_000n, 1n, 6_000_000n],
          [50_000_000n, 1n, 6_000_000n],
        ],
        [[10_000_000n, 1n, 4_000_000n]],
        2n,
      );
    const { before, file } = settleCrash(w, { markets: [0], ranking: (rk) => rk.slice(0, 1) });
    assert.deepEqual(skippedAccounts(before, file, P), [{ market: 0, account: 5n }]);
    await refusedFor(() => skipProofInput(before, file, P, 6n, 0), "SKIP_NOT_ELIGIBLE");
    // the fund's side is its head's, read from the commitment: not the account's to choose
    await assertRefused(
      skip(skipProofInput(before, file, P, 6n, 0, { unchecked: true })),
      "DeleverageCandidate",
    );
  });

  it("refuses a reading of the commitment other than the batch's: a forged price, a dropped entry, a leaf on another root", async function () {
    const { before, file } = settleCrash(twoShorts, { markets: [0], ranking: (rk) => rk.slice(1) });
    const good = skipProofInput(before, file, P, 4n, 0);
    await witnessFor(skip(good));
    const heads = (f: (h: SkippedDeleverageInput["heads"][number]) => object) =>
      good.heads.map((h, j) => (j === 0 ? { ...h, ...f(h) } : h));
    // a higher price would make account 4 look unable to afford a lot (or able to)
    await assertRefused(
      skip({ ...good, heads: heads((h) => ({ price: h.price + 1n })) }),
      "SkippedDeleverage",
    );
    // more lots, or the other side
    await assertRefused(
      skip({ ...good, heads: heads((h) => ({ lots: h.lots + 1n })) }),
      "SkippedDeleverage",
    );
    // the entry dropped: lots look unplaced, account 4 ranks above nobody
    await assertRefused(
      skip({
        ...good,
        entries: good.entries.map((e) => ({ ...e, enabled: 0n, market: [0n, 0n] })),
      }),
      "SkippedDeleverage",
    );
    // another root for the market: the account's leaf as it was before the batch
    await assertRefused(
      skip({ ...good, heads: heads(() => ({ root: before.root })) }),
      "SkippedDeleverage",
    );
    // a leaf that is not the account's on the market's root
    await assertRefused(skip({ ...good, balance: good.balance + 1n }), "SkippedDeleverage");
  });
});
