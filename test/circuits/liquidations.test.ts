import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import fc from "fast-check";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { newAccount, type Account } from "../../prover/src/domain/account.ts";
import { priceConfigHash } from "../../prover/src/domain/market.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { liquidate, LiquidationError } from "../../prover/src/engine/liquidations.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { assertRefused, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { fundWithCompartments } from "../helpers/compartments.ts";

const P = TEST_PARAMS;
const markets = defaultMarkets(P.markets);
const ETH = 3_000_00n;

/**
 * Account 3: long 1 lot bought at 6,000,000 with 1,250,000 of collateral; account 4 the
 * matching short. With 5% maintenance, account 3 is exactly at its requirement when the
 * mark is 5,000,000: 10^4 * (1,250,000 + 5,000,000 - 6,000,000) = 500 * 5,000,000.
 * The insurance fund holds 1,000,000 in its reserve and `compartments[j]` in market j's
 * compartment (flat, notional -compartments[j]).
 */
function world(compartments: readonly bigint[] = [1_000_000n, 1_000_000n]) {
  const s = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
  const long: Account = {
    ...newAccount(devKeyPair("long").publicKey, 2, 1_250_000n),
    positions: [
      { size: 1n, notional: 6_000_000n, nonce: 1n, filled: 1n, fundingIndex: 0n },
      { size: 0n, notional: 0n, nonce: 0n, filled: 0n, fundingIndex: 0n },
    ],
  };
  const short: Account = {
    ...newAccount(devKeyPair("short").publicKey, 2, 10_000_000n),
    positions: [
      { size: -1n, notional: -6_000_000n, nonce: 1n, filled: 1n, fundingIndex: 0n },
      { size: 0n, notional: 0n, nonce: 0n, filled: 0n, fundingIndex: 0n },
    ],
  };
  s.setAccount(3n, long);
  s.setAccount(4n, short);
  fundWithCompartments(s, compartments);
  return s;
}

const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const code = (f: () => unknown) => {
  try {
    f();
    return "accepted";
  } catch (e) {
    return (e as LiquidationError).code;
  }
};

describe("LiquidateBatch circuit (test parameters)", function () {
  it("refuses to liquidate a healthy account, even one exactly at its maintenance requirement", async function () {
    const s = world();
    assert.equal(
      code(() => liquidate(s, [3n], [5_000_000n, ETH], P.liquidations)),
      "LIQUIDATE_HEALTHY",
    );
    assert.equal(
      code(() => liquidate(s, [4n], [5_000_000n, ETH], P.liquidations)),
      "LIQUIDATE_HEALTHY",
    );
    // the witness a dishonest operator would build is refused by the constraints
    const forged = liquidate(world(), [3n], [5_000_000n, ETH], P.liquidations, { unchecked: true });
    await assertRefused(liq(forged.input), "LiquidationSlot");
    // one unit lower it is liquidatable
    const r = liquidate(world(), [3n], [4_999_999n, ETH], P.liquidations);
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.dataCommitment, r.priceConfigHash]);
  });

  it("liquidates an underwater account: the fund takes the position, its market's compartment covers the shortfall", async function () {
    const s = world();
    const r = liquidate(s, [3n], [4_000_000n, ETH], P.liquidations);
    // equity 1,250,000 + 4,000,000 - 6,000,000 = -750,000, all of it BTC's loss
    assert.deepEqual(r.charges, [[-750_000n, 0n]]);
    assert.deepEqual(r.compartmentsAfter, [250_000n, 1_000_000n]);
    const acct = s.getAccount(3n);
    assert.deepEqual(
      [
        acct.collateral,
        acct.positions[0].size,
        acct.positions[0].notional,
        acct.positions[0].nonce,
      ],
      [0n, 0n, 0n, 1n],
    );
    // the reserve is untouched; BTC's compartment is 4,000,000 - 3,750,000 = 250,000
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    assert.deepEqual(
      [fund.collateral, fund.positions[0].size, fund.positions[0].notional],
      [1_000_000n, 1n, -1_000_000n + 4_000_000n + 750_000n],
    );
    const w = await witnessFor(liq(r.input));
    assert.equal(w[2], r.newRoot);
  });

  it("charges the penalty to a liquidated account that still has equity", async function () {
    const s = world();
    // at 4,900,000: equity 150,000; maintenance 245,000; penalty 1% of 4,900,000 = 49,000
    const r = liquidate(s, [3n], [4_900_000n, ETH], P.liquidations);
    assert.deepEqual(r.charges, [[49_000n, 0n]]);
    assert.equal(s.getAccount(3n).collateral, 101_000n);
    await witnessFor(liq(r.input));
  });

  it("deleverages a loss its market's compartment cannot pay, however rich the other compartment and the reserve", async function () {
    // BTC's compartment holds 100,000 of the 750,000 shortfall; ETH's 10,000,000
    const poor = () => world([100_000n, 10_000_000n]);
    const s = poor();
    const r = liquidate(s, [3n], [4_000_000n, ETH], P.liquidations);
    // the short (account 4) closes the fund's lot at 4,000,000 + 650,000
    assert.deepEqual(r.deleveraged[0].entries, [
      { account: 4n, score: r.deleveraged[0].entries[0].score, lots: 1n },
    ]);
    assert.deepEqual(r.compartmentsAfter, [0n, 10_000_000n]);
    assert.equal(s.getAccount(INSURANCE_ACCOUNT).collateral, 1_000_000n);
    await witnessFor(liq(r.input));
    // without its deleveraging the batch is refused
    const forged = liquidate(poor(), [3n], [4_000_000n, ETH], P.liquidations, {
      unchecked: true,
    });
    await assertRefused(liq(forged.input), "LiquidateBatch");
  });

  it("settles a mixed batch with padding and refuses other prices than the bound ones", async function () {
    // an account with equity left: what it keeps depends on the mark (a bankrupt one's
    // result would not: the fund takes its position and its shortfall at any mark)
    const r = liquidate(world(), [3n], [4_900_000n, ETH], P.liquidations);
    assert.equal(r.input.slots[1].enabled, 0n);
    await witnessFor(liq(r.input));
    const marks = [4_800_000n, ETH];
    await assertRefused(liq({ ...r.input, mark: marks }), "LiquidateBatch");
    // with the other prices bound too, the slot's own arithmetic no longer matches the roots
    await assertRefused(
      liq({
        ...r.input,
        mark: marks,
        priceConfigHash: priceConfigHash(
          { markets, fundFloor: 0n, domain: SAMPLE_DOMAIN },
          marks,
          zeroIndices(2),
          oneX(marks.length),
        ),
      }),
      "LiquidateBatch",
    );
  });

  it("agrees with the engine on random liquidation batches (property)", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            collateral: fc.bigInt(0n, 2_000_000n),
            size: fc.bigInt(1n, 3n),
            long: fc.boolean(),
          }),
          { minLength: 1, maxLength: P.liquidations },
        ),
        fc.bigInt(3_000_000n, 9_000_000n),
        async (rows, mark) => {
          const s = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
          // the fund: a reserve, and both compartments funded (flat, notional -10^12)
          const fund = s.getAccount(INSURANCE_ACCOUNT);
          s.setAccount(INSURANCE_ACCOUNT, {
            ...fund,
            collateral: 10n ** 12n,
            positions: fund.positions.map((p) => ({ ...p, notional: -(10n ** 12n) })),
          });
          const ids: bigint[] = [];
          rows.forEach((r, i) => {
            const size = r.long ? r.size : -r.size;
            const a: Account = {
              ...newAccount(devKeyPair(`p${i}`).publicKey, 2, r.collateral),
              positions: [
                { size, notional: size * 6_000_000n, nonce: 1n, filled: r.size, fundingIndex: 0n },
                { size: 0n, notional: 0n, nonce: 0n, filled: 0n, fundingIndex: 0n },
              ],
            };
            s.setAccount(BigInt(3 + i), a);
            ids.push(BigInt(3 + i));
          });
          const marks = [mark, ETH];
          const liquidatable = ids.filter(
            (i) =>
              code(() => liquidate(cloneOf(s, ids), [i], marks, P.liquidations)) === "accepted",
          );
          fc.pre(liquidatable.length > 0);
          const r = liquidate(s, liquidatable, marks, P.liquidations);
          const w = await witnessFor(liq(r.input));
          assert.deepEqual(w.slice(1, 5), [
            r.oldRoot,
            r.newRoot,
            r.dataCommitment,
            r.priceConfigHash,
          ]);
          // losses in BTC never reach ETH's compartment, nor the reserve
          assert.equal(r.compartmentsAfter[1], r.compartmentsBefore[1]);
          assert.equal(s.getAccount(INSURANCE_ACCOUNT).collateral, 10n ** 12n);
        },
      ),
      { numRuns: 8 },
    );
  });
});

/** A copy of the accounts that matter, so a trial liquidation leaves `s` alone. */
function cloneOf(s: ExchangeState, ids: bigint[]): ExchangeState {
  const c = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
  c.setAccount(INSURANCE_ACCOUNT, s.getAccount(INSURANCE_ACCOUNT));
  for (const i of ids) c.setAccount(i, s.getAccount(i));
  return c;
}
