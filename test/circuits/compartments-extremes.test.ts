import assert from "node:assert/strict";
import { decodeSigned, encodeSigned, pow2 } from "../../prover/src/domain/amounts.ts";
import { EMPTY_POSITION, type Account } from "../../prover/src/domain/account.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { attributeLiquidation, sharesByMarket } from "../../prover/src/domain/compartments.ts";
import { penaltyMarket } from "../helpers/compartments.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readSymbols } from "../../prover/src/proving/r1cs.ts";
import { BPS_BITS, NOTIONAL_BITS, SIZE_BITS } from "../../prover/src/domain/constants.ts";
import { PRICE_MAX } from "../../prover/src/domain/deleveraging.ts";

// AttributeCharges at the largest M its header allows (6), fed the extremes of its
// preconditions: |collateral| < 2^129, |size| <= 2^64, mark < 2^64, -2^128 <= notional <
// 2^128, penaltyBps < 2^16. Its resources R then reach about 7 * 2^129, which is why the
// signs of R and of each want - left are read at 132 bits: at M = 2 (the test and demo
// sets) R stays below 3 * 2^129 < 2^131, so only a wider set (bench has M = 4) needs the
// last bit, and only a test at such an M can tell a 131-bit check from the right one.
const M = 6;
const KEY = devKeyPair("compartments-extremes").publicKey;
const MAX_MARK = PRICE_MAX;
const MAX_SIZE = pow2(SIZE_BITS) - 1n;
const MIN_SIZE = -pow2(SIZE_BITS);
const MAX_NOTIONAL = pow2(NOTIONAL_BITS) - 1n;
const MIN_NOTIONAL = -pow2(NOTIONAL_BITS);
/** The header's bound on the collateral after funding (a leaf holds 128 bits). */
const MAX_COLLATERAL = pow2(129) - 1n;
const MAX_PENALTY_BPS = pow2(BPS_BITS) - 1n;
const abs = (x: bigint) => (x < 0n ? -x : x);

interface Extreme {
  readonly collateral: bigint;
  /** [size, notional] per market */
  readonly positions: readonly (readonly [bigint, bigint])[];
  /** the liquidator takes market 0 at a discount equal to its penalty */
  readonly take0: boolean;
}

const marks = Array<bigint>(M).fill(MAX_MARK);
const penaltyBps = Array<bigint>(M).fill(MAX_PENALTY_BPS);

function resourcesOf(c: Extreme): bigint {
  return c.positions.reduce((r, [size, notional]) => {
    const u = size * MAX_MARK - notional;
    return r + (size !== 0n && u < 0n ? 0n : u);
  }, c.collateral);
}

describe("AttributeCharges at M = 6: the extremes of its preconditions, proven as the twin splits them", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe(
      "attribute_charges_6",
      "compartments.circom",
      `AttributeCharges(${M})`,
      {
        wasm: true,
      },
    );
  });

  async function check(c: Extreme) {
    const account: Account = {
      pubKey: KEY,
      collateral: c.collateral,
      withdrawNonce: 0n,
      positions: c.positions.map(([size, notional]) => ({ ...EMPTY_POSITION, size, notional })),
    };
    const take = c.positions.map((_, j) => j === 0 && c.take0);
    const discountBps = take.map((t) => (t ? MAX_PENALTY_BPS : 0n));
    const shares = sharesByMarket(account, marks, take, discountBps);
    const twin = attributeLiquidation(account, marks, penaltyBps.map(penaltyMarket), shares);
    const values = c.positions.map(([size]) => size * MAX_MARK);
    const w = await calculateWitness(probe.wasm!, {
      enabled: "1",
      collateral: encodeSigned(c.collateral).toString(),
      size: c.positions.map(([size]) => encodeSigned(size).toString()),
      markValue: values.map((v) => encodeSigned(v).toString()),
      absMarkValue: values.map((v) => abs(v).toString()),
      notional: c.positions.map(([, n]) => encodeSigned(n).toString()),
      penaltyBps: penaltyBps.map(String),
      shareBase: values.map((v, j) => (abs(v) * discountBps[j]).toString()),
    });
    const sym = readSymbols(probe.sym!);
    const out = (name: string) => decodeSigned(w[sym.get(`main.${name}`)!]);
    assert.deepEqual(
      Array.from({ length: M }, (_, j) => out(`charge[${j}]`)),
      twin.charges,
      "charges",
    );
    assert.deepEqual(
      Array.from({ length: M }, (_, j) => out(`share[${j}]`)),
      shares,
      "shares",
    );
    assert.equal(out("penaltyTotal"), twin.penalty, "penalty");
    assert.equal(out("kept"), twin.kept, "kept");
    return twin;
  }

  it("takes resources above 2^131: the largest collateral and six markets at their largest gain", async function () {
    const c: Extreme = {
      collateral: MAX_COLLATERAL,
      positions: Array.from({ length: M }, () => [MAX_SIZE, MIN_NOTIONAL] as const),
      take0: true,
    };
    const r = resourcesOf(c);
    // past what a 131-bit sign check takes, within the 132 bits the template reads
    assert.ok(r >= 1n << 131n && r < 1n << 132n, `R = ${r}`);
    const twin = await check(c);
    assert.equal(twin.negativeResources, null);
    // six penalties of about 6.55 * 2^128 each are more than R: nothing is kept
    assert.equal(twin.kept, 0n);
  });

  it("covers a loss of nearly 2^129 in full out of resources above 2^131, before any penalty", async function () {
    const c: Extreme = {
      collateral: MAX_COLLATERAL,
      positions: [
        // short 2^64 at the largest mark, sold for nothing: u = -2^128 + 2^64 - (2^128 - 1)
        [MIN_SIZE, MAX_NOTIONAL],
        ...Array.from({ length: M - 1 }, () => [MAX_SIZE, MIN_NOTIONAL] as const),
      ],
      take0: false,
    };
    const r = resourcesOf(c);
    assert.ok(r >= 1n << 131n, `R = ${r}`);
    const twin = await check(c);
    assert.equal(twin.negativeResources, null);
    // market 0's loss is covered in full, so its compartment gains its whole penalty
    const penalty0 = (abs(MIN_SIZE * MAX_MARK) * MAX_PENALTY_BPS) / 10_000n;
    assert.equal(twin.charges[0], penalty0);
  });

  it("takes the lowest resources, about -2^131: the lowest collateral and six flat markets' leftover notionals", async function () {
    const c: Extreme = {
      collateral: -MAX_COLLATERAL,
      positions: Array.from({ length: M }, () => [0n, MAX_NOTIONAL] as const),
      take0: false,
    };
    const r = resourcesOf(c);
    assert.ok(r < -(1n << 130n) && r >= -(1n << 131n), `R = ${r}`);
    const twin = await check(c);
    // nothing open: market 0 carries the negative resources
    assert.deepEqual(twin.negativeResources, { amount: -r, market: 0 });
  });

  it("charges negative resources to the largest of two losses near 2^129", async function () {
    const c: Extreme = {
      collateral: -MAX_COLLATERAL,
      positions: [
        [MIN_SIZE + 1n, MAX_NOTIONAL],
        [MIN_SIZE, MAX_NOTIONAL],
        ...Array.from({ length: M - 2 }, () => [0n, MAX_NOTIONAL] as const),
      ],
      take0: false,
    };
    const twin = await check(c);
    // market 1's loss is the larger (one more unit short at the largest mark)
    assert.deepEqual(twin.negativeResources, { amount: -resourcesOf(c), market: 1 });
  });
});
