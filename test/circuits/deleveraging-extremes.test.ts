import assert from "node:assert/strict";
import { decodeSigned, encodeSigned, pow2 } from "../../prover/src/domain/amounts.ts";
import { PRICE_BITS, SIZE_BITS } from "../../prover/src/domain/constants.ts";
import {
  bankruptcyPrice,
  deleverageScore,
  deleverageTake,
  PRICE_MAX,
} from "../../prover/src/domain/deleveraging.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readSymbols } from "../../prover/src/proving/r1cs.ts";

// The deleveraging templates (circuits/src/deleveraging.circom) at the ends of the ranges
// their headers give, against their twins (prover/src/domain/deleveraging.ts). The random
// properties of deleveraging.test.ts draw from the same ranges but almost never land on
// an end, and it is at the ends that a check one bit narrower refuses a legal entry:
// an equity of 2^132 (DeleverageScore checks 0 < equity <= 2^132), 2^64 lots to place
// against a position of 2^64 lots (a short of -2^64, the leaf's end), and a bankrupt
// position of 2^64 lots whose step leaves a remainder of 2^64 - 1, or of one lot whose
// step passes 2^134 (BankruptcyPrice takes a loss up to 2^135 - 1).
const FILE = "deleveraging.circom";
const LOTS_MAX = pow2(SIZE_BITS);

function probeOf(name: string, template: string, inputs: readonly string[]): () => ProbeBuild {
  let probe: ProbeBuild | undefined;
  before(async function () {
    probe = await compileProbe(name, FILE, template, { wasm: true, publicInputs: [...inputs] });
  });
  return () => probe!;
}

async function outputs(probe: ProbeBuild, signals: Record<string, string>, names: string[]) {
  const w = await calculateWitness(probe.wasm!, signals);
  const sym = readSymbols(probe.sym!);
  return names.map((n) => decodeSigned(w[sym.get(`main.${n}`)!]));
}

describe("DeleverageScore at the largest equity it takes, 2^132", function () {
  const probe = probeOf("deleverage_score_ends", "DeleverageScore()", [
    "size",
    "sizeNegative",
    "mark",
    "result",
    "equity",
  ]);
  const score = (size: bigint, mark: bigint, result: bigint, equity: bigint) =>
    outputs(
      probe(),
      {
        size: encodeSigned(size).toString(),
        sizeNegative: size < 0n ? "1" : "0",
        mark: mark.toString(),
        result: encodeSigned(result).toString(),
        equity: equity.toString(),
      },
      ["score"],
    );

  it("scores an entry with equity 2^132 as the twin does, at the leverage clamp's low end and above it", async function () {
    const equity = 1n << 132n;
    // a short of 2^64 lots at the largest mark: value about 2^128, leverage
    // floor(100 * value / 2^132) = 6 hundredths, with a result of about plus or minus the
    // value (pnl +-100 %); and a small position: leverage clamped to 1
    for (const [size, mark, result] of [
      [-LOTS_MAX, PRICE_MAX, pow2(SIZE_BITS + PRICE_BITS) - 1n],
      [-LOTS_MAX, PRICE_MAX, -pow2(SIZE_BITS + PRICE_BITS)],
      [3n, 1_000n, 2_000n],
    ]) {
      const twin = deleverageScore({ account: 1n, size, result, equity, surplus: 0n }, mark);
      assert.deepEqual(await score(size, mark, result, equity), [twin], `size ${size}`);
    }
  });
});

describe("DeleverageTake with 2^64 lots to place against a position of 2^64 lots", function () {
  const probe = probeOf("deleverage_take_ends", "DeleverageTake()", [
    "left",
    "size",
    "surplus",
    "cost",
  ]);
  const take = (left: bigint, size: bigint, surplus: bigint, cost: bigint) =>
    outputs(
      probe(),
      {
        left: left.toString(),
        size: size.toString(),
        surplus: encodeSigned(surplus).toString(),
        cost: encodeSigned(cost).toString(),
      },
      ["q", "surplusOut"],
    );

  it("gives up all 2^64 lots when each frees more requirement than it costs, or costs nothing", async function () {
    for (const cost of [0n, -5n, 1n]) {
      const surplus = 1n << 100n;
      const q = deleverageTake(LOTS_MAX, LOTS_MAX, surplus, cost);
      assert.equal(q, LOTS_MAX);
      assert.deepEqual(await take(LOTS_MAX, LOTS_MAX, surplus, cost), [q, surplus - q * cost]);
    }
  });

  it("gives up nothing of 2^64 lots when one lot costs more than the surplus", async function () {
    for (const [surplus, cost] of [
      [0n, 1n],
      [999n, 1_000n],
    ]) {
      const q = deleverageTake(LOTS_MAX, LOTS_MAX, surplus, cost);
      assert.equal(q, 0n);
      assert.deepEqual(await take(LOTS_MAX, LOTS_MAX, surplus, cost), [0n, surplus]);
    }
  });
});

describe("BankruptcyPrice at its ends: 2^64 lots, and the largest loss on one lot", function () {
  const probe = probeOf("bankruptcy_price_ends", "BankruptcyPrice()", [
    "bankruptLong",
    "mark",
    "lots",
    "x",
  ]);
  const price = (long: boolean, mark: bigint, lots: bigint, x: bigint) =>
    outputs(
      probe(),
      {
        bankruptLong: long ? "1" : "0",
        mark: mark.toString(),
        lots: lots.toString(),
        x: x.toString(),
      },
      ["price", "uncovered"],
    );

  it("prices a loss of 1 over 2^64 lots (a step of 1, a remainder of 2^64 - 1) as the twin does", async function () {
    for (const [long, mark, x] of [
      [true, 1_000n, 1n],
      [false, 1_000n, 1n],
      [false, 1n, 1n],
      [true, PRICE_MAX, LOTS_MAX + 1n],
    ] as const) {
      const twin = bankruptcyPrice(long, mark, LOTS_MAX, x);
      assert.deepEqual(await price(long, mark, LOTS_MAX, x), [twin.price, twin.uncovered]);
    }
  });

  it("prices the largest loss it takes, 2^135 - 1, on one lot (a step past 2^134, a raw price past 2^135 from the bounds) as the twin does", async function () {
    const x = (1n << 135n) - 1n;
    // the raw price reaches past 2^135 above the top (a long at the largest mark) and
    // below -2^135 under 1 (a short at mark 1), both clamped
    for (const [long, mark] of [
      [true, 1_000n],
      [true, PRICE_MAX],
      [false, PRICE_MAX],
      [false, 1n],
    ] as const) {
      const twin = bankruptcyPrice(long, mark, 1n, x);
      assert.deepEqual(await price(long, mark, 1n, x), [twin.price, twin.uncovered]);
    }
  });
});
