import assert from "node:assert/strict";
import { INSURANCE_ACCOUNT, NOTIONAL_BITS } from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { BTC_CRASH, ETH, flat, position, world } from "../helpers/deleverage-world.ts";

// LiquidateBatch writes the insurance fund's new notional in each market (`newFundNotional`,
// section E of circuits/src/liquidate-batch.circom) and range-checks it in NOTIONAL_BITS
// signed bits, the range every leaf reader (AccountLeafUnpack) accepts. The engine checks
// the same range (`FUND_POSITION_OUT_OF_RANGE`). The fund's notional is unbounded by
// economics in one direction: a compartment is C_j = size_j * mark_j - notional_j, so a
// fund that has gathered a large compartment holds a large negative notional, and each
// short it takes from a bankrupt lowers it further. Here the batch lands the fund's notional
// on the range's last value, -2^128: proven; one unit further it is refused by the engine
// and, written unchecked as a dishonest operator would, by the circuit at that check (a
// fund leaf no circuit could read again). A check one bit narrower refuses the legal batch.

const P = TEST_PARAMS;
const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const marks = [BTC_CRASH, ETH];
const LOWEST = -(1n << BigInt(NOTIONAL_BITS));
const BTC = 0;

/**
 * Account 3 short 1 BTC from 2,000,000 on 1,250,000 of collateral: at 4,000,000 it is
 * bankrupt by 750,000. The fund is flat in BTC with a compartment of `compartment` (a
 * notional of -compartment), which pays the deficit: no deleveraging.
 */
function shortCrash(compartment: bigint): ExchangeState {
  const s = world([compartment, 10_000_000n], []);
  s.setAccount(3n, { ...s.getAccount(3n), positions: [position(-1n, -2_000_000n), flat] });
  return s;
}

const fundBtc = (s: ExchangeState) => s.getAccount(INSURANCE_ACCOUNT).positions[BTC]!;

/**
 * How much the batch lowers the fund's BTC notional (the short's notional it takes and the
 * deficit it pays), read from the engine on a fund far inside the range.
 */
function notionalStep(): bigint {
  const s = shortCrash(1n << 100n);
  const before = fundBtc(s).notional;
  const r = liquidate(s, [3n], marks, P.liquidations);
  assert.equal(r.deleveraged.length, 0, "the compartment pays: no deleveraging");
  return before - fundBtc(s).notional;
}

describe("LiquidateBatch: the fund's new notional at the end of its range (test parameters)", function () {
  it("proves a batch that leaves the fund's BTC notional at -2^128, the lowest a leaf holds", async function () {
    const step = notionalStep();
    assert.ok(step > 0n, "taking the short lowers the fund's notional");
    const s = shortCrash(-(LOWEST + step));
    const r = liquidate(s, [3n], marks, P.liquidations);
    assert.equal(fundBtc(s).notional, LOWEST);
    assert.equal(fundBtc(s).size, -1n, "the fund holds the bankrupt's short");
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(2, 4), [r.newRoot, r.dataCommitment]);
  });

  it("refuses the batch that would take it one unit below: the engine, changing nothing, and, written unchecked, the circuit at its check", async function () {
    const compartment = -(LOWEST + notionalStep()) + 1n;
    const s = shortCrash(compartment);
    const root = s.root;
    assert.throws(
      () => liquidate(s, [3n], marks, P.liquidations),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "FUND_POSITION_OUT_OF_RANGE" &&
        /would overflow$/.test(e.message),
    );
    assert.equal(s.root, root, "the state is unchanged");
    // what a dishonest operator would write: the fund's leaf past what any circuit reads
    const forged = liquidate(shortCrash(compartment), [3n], marks, P.liquidations, {
      unchecked: true,
    });
    await assertRefusedAt(
      witnessFor(liq(forged.input)),
      "liquidate-batch.circom",
      "LiquidateBatch",
      "_ <== SignedRangeCheck(NOTIONAL_BITS())(newFundNotional[j]);",
    );
  });
});
