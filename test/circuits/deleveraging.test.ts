import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { decodeSigned, encodeSigned } from "../../prover/src/domain/amounts.ts";
import { FIELD_MODULUS as FIELD } from "../../prover/src/domain/field.ts";
import {
  bankruptcyPrice,
  deleverageScore,
  deleverageTake,
  PRICE_MAX,
  SCORE_MAX,
  SCORE_MIN,
} from "../../prover/src/domain/deleveraging.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { assertEveryWireFixed, wiresNamed } from "../helpers/determinism.ts";
import { invMod } from "../../prover/src/verify/propagation.ts";
import { CIRCUIT_SOURCES } from "../../prover/src/proving/paths.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";

interface Entry {
  readonly size: bigint;
  readonly mark: bigint;
  readonly result: bigint;
  readonly equity: bigint;
}

const inputs = (e: Entry) => ({
  size: encodeSigned(e.size).toString(),
  sizeNegative: e.size < 0n ? "1" : "0",
  mark: e.mark.toString(),
  result: encodeSigned(e.result).toString(),
  equity: encodeSigned(e.equity).toString(),
});
const twin = (e: Entry) =>
  deleverageScore(
    { account: 3n, size: e.size, result: e.result, equity: e.equity, surplus: 0n },
    e.mark,
  );

/**
 * The deleveraging ranking's score (circuits/src/deleveraging.circom, DeleverageScore;
 * twin prover/src/domain/deleveraging.ts, deleverageScore), which a deleveraging slot
 * recomputes for each entry it lists and a skip proof for the account it shows was left out.
 */
describe("DeleverageScore: the published ranking's score, proven (twin of domain/deleveraging.ts)", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe("deleverage_score", "deleveraging.circom", "DeleverageScore()", {
      wasm: true,
      publicInputs: ["size", "sizeNegative", "mark", "result", "equity"],
    });
  });
  const scoreOf = async (e: Entry) =>
    decodeSigned((await calculateWitness(probe.wasm!, inputs(e)))[1]);

  const entry: fc.Arbitrary<Entry> = fc.record({
    size: fc
      .oneof(fc.bigInt(-(1n << 20n), 1n << 20n), fc.bigInt(-(1n << 64n), 1n << 64n))
      .filter((s) => s !== 0n),
    mark: fc.oneof(fc.bigInt(1n, 1n << 20n), fc.bigInt(1n, (1n << 64n) - 1n)),
    result: fc.oneof(fc.bigInt(-(1n << 40n), 1n << 40n), fc.bigInt(-(1n << 128n), 1n << 128n)),
    equity: fc.oneof(fc.bigInt(1n, 1n << 40n), fc.bigInt(1n, (1n << 131n) - 1n)),
  });

  it("scores what deleverageScore scores, clamps included (property)", async function () {
    await fc.assert(
      fc.asyncProperty(entry, async (e) => assert.equal(await scoreOf(e), twin(e))),
      { numRuns: 100 },
    );
  });

  it("at the clamps and the sign's edges", async function () {
    const cases: Entry[] = [
      // pnlBps above 2^31 - 1 and leverage above 2^31 - 1: the largest score
      { size: 1n << 40n, mark: 1n << 20n, result: 1n << 90n, equity: 1n },
      // pnlBps below -2^31
      { size: 1n, mark: 1n, result: -(1n << 40n), equity: 1n },
      // exactly -1 bps and exactly +1 bps (value 10^4)
      { size: -100n, mark: 100n, result: -1n, equity: 5n },
      { size: -100n, mark: 100n, result: 1n, equity: 5n },
      // -0.5 bps rounds down to -1; +0.5 to 0 (not positive: scored 0, no leverage)
      { size: 200n, mark: 100n, result: -1n, equity: 5n },
      { size: 200n, mark: 100n, result: 1n, equity: 5n },
      // leverage below 1 (equity far above the value) is 1
      { size: 1n, mark: 1n, result: 1n, equity: (1n << 131n) - 1n },
      // the largest value and result
      { size: -(1n << 64n), mark: (1n << 64n) - 1n, result: (1n << 128n) - 1n, equity: 1n },
    ];
    for (const e of cases)
      assert.equal(
        await scoreOf(e),
        twin(e),
        JSON.stringify(e, (_, v) => String(v)),
      );
    assert.equal(twin(cases[0]), SCORE_MAX * SCORE_MAX);
    assert.equal(twin(cases[1]), SCORE_MIN);
    assert.deepEqual([twin(cases[4]), twin(cases[5])], [-1n, 0n]);
  });

  it("refuses a sign that is not a bit (it would scale the position's value at will)", async function () {
    const e = { size: 5n, mark: 1n, result: -1n, equity: 1n };
    const half = ((1n - 200n + FIELD) * ((FIELD + 1n) / 2n)) % FIELD;
    await assert.rejects(
      calculateWitness(probe.wasm!, { ...inputs(e), sizeNegative: half.toString() }),
      /AssertBit|DeleverageScore/,
    );
  });

  it("refuses an account without equity", async function () {
    for (const equity of [0n, -1n, -(1n << 100n)])
      await assert.rejects(
        calculateWitness(probe.wasm!, inputs({ size: 3n, mark: 10n, result: 5n, equity })),
        /DeleverageScore|RangeCheck|Assert/,
      );
  });

  it("refuses a forged score, and a forged quotient inside or outside the clamp", async function () {
    const r1cs = readR1cs(probe.r1cs);
    const sym = readSymbols(probe.sym!);
    for (const e of [
      { size: -100n, mark: 100n, result: 5_000n, equity: 700n },
      { size: 1n, mark: 1n, result: -(1n << 40n), equity: 1n },
    ]) {
      const honest = await calculateWitness(probe.wasm!, inputs(e));
      assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
      const score = sym.get("main.score")!;
      const forged = [...honest];
      forged[score] = encodeSigned(decodeSigned(honest[score]) + 1n);
      assert.ok(unsatisfiedConstraints(r1cs, forged).length > 0, "a forged score was accepted");
    }
    // the pnl division's quotient one higher with the remainder one denominator lower (the
    // equation still holds), inside the clamp; and a quotient outside it
    const names = readWireNames(probe.sym!);
    // the pnl division: 5,000 * 10^4 / 10^4 = 5,000 (the leverage one is 10^6 / 700 = 1,428)
    const inside = await calculateWitness(
      probe.wasm!,
      inputs({ size: -100n, mark: 100n, result: 5_000n, equity: 700n }),
    );
    const [q] = [...names.names].find(
      ([w, ns]) => ns.some((n) => /ClampedFloorDiv_\d+_\d+\.q$/.test(n)) && inside[w] === 5_000n,
    )!;
    const prefix = names.names
      .get(q)!
      .find((n) => n.endsWith(".q"))!
      .slice(0, -2);
    const [r] = [...names.names].find(([, ns]) => ns.includes(`${prefix}.r`))!;
    const shifted = [...inside];
    shifted[q] = encodeSigned(decodeSigned(inside[q]) + 1n);
    shifted[r] = encodeSigned(decodeSigned(inside[r]) - 10_000n);
    assert.ok(unsatisfiedConstraints(r1cs, shifted).length > 0, "a shifted quotient was accepted");
    const clamped = await calculateWitness(
      probe.wasm!,
      inputs({ size: 1n, mark: 1n, result: -(1n << 40n), equity: 1n }),
    );
    const loose = [...clamped];
    loose[q] = 5n;
    assert.ok(
      unsatisfiedConstraints(r1cs, loose).length > 0,
      "a quotient outside the clamp was accepted",
    );
  });

  it("has one witness per input: every wire is fixed by the entry, given the divisions' unique quotients", async function () {
    // The propagation and the solver cannot divide by a variable: ClampedFloorDiv's header
    // proves q and r unique (an integer division with remainder, inside the field's range);
    // with them taken as known, every other wire must follow.
    await assertEveryWireFixed(probe, "deleveraging.circom", "DeleverageScore", {
      known: (names) => {
        const quotients = wiresNamed(names, /ClampedFloorDiv[^.]*\.(q|r)$/);
        assert.equal(quotients.length, 4, "two divisions, a quotient and a remainder each");
        return quotients;
      },
    });
  });
});

describe("DeleverageTake: each ranked entry gives up the greedy maximum, and stays at maintenance (twin of domain/deleveraging.ts)", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe("deleverage_take", "deleveraging.circom", "DeleverageTake()", {
      wasm: true,
      publicInputs: ["left", "size", "surplus", "cost"],
    });
  });
  const signals = (left: bigint, size: bigint, surplus: bigint, cost: bigint) => ({
    left: left.toString(),
    size: size.toString(),
    surplus: encodeSigned(surplus).toString(),
    cost: encodeSigned(cost).toString(),
  });
  const lots = fc.oneof(fc.bigInt(0n, 50n), fc.bigInt(0n, 1n << 64n));

  it("takes what deleverageTake takes, and leaves the surplus at or above zero (property)", async function () {
    const sym = () => readSymbols(probe.sym!);
    await fc.assert(
      fc.asyncProperty(
        lots,
        lots,
        fc.oneof(fc.bigInt(0n, 1000n), fc.bigInt(0n, (1n << 148n) - 1n)),
        fc.oneof(fc.bigInt(-50n, 50n), fc.bigInt(-(1n << 80n), 1n << 80n)),
        async (left, size, surplus, cost) => {
          const q = deleverageTake(left, size, surplus, cost);
          const w = await calculateWitness(probe.wasm!, signals(left, size, surplus, cost));
          assert.equal(w[sym().get("main.q")!], q);
          const out = decodeSigned(w[sym().get("main.surplusOut")!]);
          assert.equal(out, surplus - q * cost);
          assert.ok(out >= 0n);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses one lot more or less than the greedy maximum, and an entry below maintenance", async function () {
    const r1cs = readR1cs(probe.r1cs);
    const sym = readSymbols(probe.sym!);
    const [qWire, outWire] = [sym.get("main.q")!, sym.get("main.surplusOut")!];
    // bound by each of the three in turn: left 3, size 4, affordable floor(100 / 30) = 3 ...
    for (const [left, size, surplus, cost] of [
      [3n, 9n, 1_000n, 30n],
      [9n, 4n, 1_000n, 30n],
      [9n, 9n, 100n, 30n],
      [9n, 9n, 0n, 30n],
    ]) {
      const honest = await calculateWitness(probe.wasm!, signals(left, size, surplus, cost));
      assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
      for (const delta of [1n, -1n]) {
        const q = honest[qWire] + delta;
        const forged = [...honest];
        forged[qWire] = encodeSigned(q);
        forged[outWire] = encodeSigned(surplus - q * cost);
        assert.ok(
          unsatisfiedConstraints(r1cs, forged).length > 0,
          `q ${q} accepted for left ${left}, size ${size}, surplus ${surplus}, cost ${cost}`,
        );
      }
    }
    await assert.rejects(
      calculateWitness(probe.wasm!, signals(5n, 5n, -1n, 3n)),
      /DeleverageTake|RangeCheck|Assert/,
    );
  });

  it("has one witness per input: every wire is fixed by the entry, given q, which the header proves unique", async function () {
    // q's uniqueness rests on q * cost (a product of two unknowns): the template's header
    // proves it by hand; with q known every other wire must follow
    await assertEveryWireFixed(probe, "deleveraging.circom", "DeleverageTake", {
      known: (names) => wiresNamed(names, /^main\.q$/),
      free: /\.inv$/,
    });
  });
});

describe("BankruptcyPrice: the price that covers a bankrupt position's loss, within the price's bounds (twin of domain/deleveraging.ts)", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe("bankruptcy_price", "deleveraging.circom", "BankruptcyPrice()", {
      wasm: true,
      publicInputs: ["bankruptLong", "mark", "lots", "x"],
    });
  });
  const signals = (long: boolean, mark: bigint, lots: bigint, x: bigint) => ({
    bankruptLong: long ? "1" : "0",
    mark: mark.toString(),
    lots: lots.toString(),
    x: x.toString(),
  });
  const priceOf = async (long: boolean, mark: bigint, lots: bigint, x: bigint) => {
    const w = await calculateWitness(probe.wasm!, signals(long, mark, lots, x));
    const sym = readSymbols(probe.sym!);
    return {
      price: w[sym.get("main.price")!],
      uncovered: decodeSigned(w[sym.get("main.uncovered")!]),
    };
  };

  it("prices what bankruptcyPrice prices, clamps included (property)", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.oneof(fc.bigInt(1n, 1000n), fc.bigInt(1n, PRICE_MAX)),
        fc.oneof(fc.bigInt(1n, 100n), fc.bigInt(1n, 1n << 64n)),
        fc.oneof(fc.bigInt(0n, 10n ** 6n), fc.bigInt(0n, (1n << 134n) - 1n)),
        async (long, mark, lots, x) =>
          assert.deepEqual(
            await priceOf(long, mark, lots, x),
            bankruptcyPrice(long, mark, lots, x),
          ),
      ),
      { numRuns: 100 },
    );
    for (const [long, mark, lots, x] of [
      [true, 100n, 3n, 10n],
      [false, 100n, 3n, 10n],
      [false, 10n, 2n, 50n],
      [true, PRICE_MAX - 1n, 2n, 50n],
      [true, 5n, 1n, 0n],
      [false, 1n, 1n << 64n, (1n << 134n) - 1n],
    ] as const)
      assert.deepEqual(await priceOf(long, mark, lots, x), bankruptcyPrice(long, mark, lots, x));
  });

  it("refuses a step other than the ceiling, and zero lots", async function () {
    const r1cs = readR1cs(probe.r1cs);
    const names = readWireNames(probe.sym!);
    const wire = (n: string) => [...names.names].find(([, ns]) => ns.includes(n))![0];
    const honest = await calculateWitness(probe.wasm!, signals(true, 100n, 3n, 10n));
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    // step 5 with r = 5 also satisfies 5 * 3 - 5 = 10, but r >= lots
    const forged = [...honest];
    forged[wire("main.step")] = 5n;
    forged[wire("main.r")] = 5n;
    assert.ok(
      unsatisfiedConstraints(r1cs, forged).length > 0,
      "a step above the ceiling was accepted",
    );
    await assert.rejects(
      calculateWitness(probe.wasm!, signals(true, 100n, 0n, 10n)),
      /BankruptcyPrice|RangeCheck|Num2Bits/,
    );
    // a mark of 0 (round 0's, before any price) would move a short's price the wrong way
    await assert.rejects(
      calculateWitness(probe.wasm!, signals(false, 0n, 3n, 10n)),
      /BankruptcyPrice|RangeCheck|Num2Bits/,
    );
  });

  it("has one witness per input: every wire is fixed, given the step the header proves unique", async function () {
    await assertEveryWireFixed(probe, "deleveraging.circom", "BankruptcyPrice", {
      known: (names) => wiresNamed(names, /^main\.step$/),
    });
  });
});

/**
 * ClampedFloorDiv's quotient and remainder are `<--` wires whose uniqueness the header
 * proves by hand, so the determinism check takes them as known and cannot see a constraint
 * that proof rests on go missing. Here they are made inputs (the template's text with its
 * two `<--` lines taken out, read from the sources under test, so a mutant's copy is
 * tested as it is): the witness calculator then accepts a choice of q and r exactly when
 * the constraints do, and every choice but the honest one must be refused.
 */
describe("ClampedFloorDiv: with its quotient and remainder free, only the honest ones satisfy it", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileFree("ClampedFloorDiv", ["q", "r"], "(143, 129, 0)");
  });

  const accepts = (num: bigint, den: bigint, q: bigint, r: bigint) =>
    calculateWitness(probe.wasm!, {
      num: encodeSigned(num).toString(),
      den: den.toString(),
      q: encodeSigned(q).toString(),
      r: encodeSigned(r).toString(),
    }).then(
      () => true,
      () => false,
    );

  it("outside the clamp, q and r are 0", async function () {
    // num below -2^31 * den: out is -2^31 whatever q is, unless q is pinned
    assert.ok(await accepts(-(1n << 40n), 100n, 0n, 0n));
    assert.ok(!(await accepts(-(1n << 40n), 100n, 5n, 0n)), "a quotient of 5 below the clamp");
    assert.ok(!(await accepts(-(1n << 40n), 100n, 0n, 7n)), "a remainder of 7 below the clamp");
    assert.ok(!(await accepts(1n << 50n, 3n, 5n, 0n)), "a quotient of 5 above the clamp");
  });

  it("inside it, q is a 31-bit value and r is below den", async function () {
    // 1000 / 7 = 142 rem 6
    assert.ok(await accepts(1000n, 7n, 142n, 6n));
    // r = 5 makes q = 995 / 7 in the field, far from any 31-bit value
    const inv7 = invMod(7n, FIELD);
    assert.ok(!(await accepts(1000n, 7n, (995n * inv7) % FIELD, 5n)), "a field quotient");
    assert.ok(!(await accepts(1000n, 7n, 143n, -1n)), "a negative remainder");
    assert.ok(!(await accepts(1000n, 7n, 141n, 13n)), "a remainder above den");
    assert.ok(
      !(await accepts(1000n, 7n, 100n, 6n)),
      "another quotient with an honest-looking remainder",
    );
    // the clamp's ends, and a remainder and den at the top of their 129 bits
    const top = (1n << 31n) - 1n;
    assert.ok(await accepts(top * 7n + 3n, 7n, top, 3n), "the largest quotient");
    assert.ok(await accepts(-(1n << 31n) * 7n, 7n, -(1n << 31n), 0n), "the smallest quotient");
    const den = (1n << 129n) - 1n;
    assert.ok(await accepts(den - 1n, den, 0n, den - 1n), "the largest remainder");
    assert.ok(await accepts(0n, den, 0n, 0n), "den - 1 - r at the top");
    // a negative numerator rounds down: -1000 / 7 = -143 rem 1
    assert.ok(await accepts(-1000n, 7n, -143n, 1n));
    assert.ok(!(await accepts(-1000n, 7n, -142n, -6n)), "rounded towards zero");
  });
});

describe("DeleverageTake and BankruptcyPrice: with their <-- signals free, only the honest ones satisfy them", function () {
  let take: ProbeBuild;
  let price: ProbeBuild;
  before(async function () {
    take = await compileFree("DeleverageTake", ["q"], "()");
    price = await compileFree("BankruptcyPrice", ["step", "r"], "()");
  });
  const ok = (p: Promise<unknown>) =>
    p.then(
      () => true,
      () => false,
    );

  it("DeleverageTake: q is the greedy maximum, neither more nor less, in each of its regimes", async function () {
    const accepts = (left: bigint, size: bigint, surplus: bigint, cost: bigint, q: bigint) =>
      ok(
        calculateWitness(take.wasm!, {
          left: left.toString(),
          size: size.toString(),
          surplus: surplus.toString(),
          cost: encodeSigned(cost).toString(),
          q: encodeSigned(q).toString(),
        }),
      );
    for (const [left, size, surplus, cost] of [
      [3n, 9n, 1_000n, 30n], // bound by the lots left
      [9n, 4n, 1_000n, 30n], // by the entry's size
      [9n, 9n, 100n, 30n], // by its surplus
      [9n, 9n, 0n, 30n], // at its maintenance
      [9n, 5n, 10n, -30n], // a lot frees more than it costs
      [3n, 9n, 120n, 30n], // the lots left and the surplus bind at once
      [9n, 3n, 120n, 30n], // the size and the surplus bind at once
    ]) {
      const q = deleverageTake(left, size, surplus, cost);
      assert.ok(await accepts(left, size, surplus, cost, q), `the honest q ${q}`);
      for (const other of [q - 1n, q + 1n])
        assert.ok(
          !(await accepts(left, size, surplus, cost, other)),
          `q ${other} for ${left}, ${size}, ${surplus}, ${cost}`,
        );
    }
  });

  it("DeleverageTake: an entry below maintenance gives up nothing, even a lot that would free more than it costs", async function () {
    const w = (q: bigint) =>
      ok(
        calculateWitness(take.wasm!, {
          left: "5",
          size: "5",
          surplus: encodeSigned(-1n).toString(),
          cost: encodeSigned(-30n).toString(),
          q: q.toString(),
        }),
      );
    for (const q of [0n, 1n, 5n]) assert.ok(!(await w(q)), `q ${q} from a surplus of -1`);
  });

  it("BankruptcyPrice: the side is a bit", async function () {
    const w = await ok(
      calculateWitness(price.wasm!, {
        bankruptLong: "2",
        mark: "100",
        lots: "3",
        x: "10",
        step: "4",
        r: "2",
      }),
    );
    assert.ok(!w, "a side of 2");
  });

  it("BankruptcyPrice: the step is the ceiling of x / lots, neither more nor less", async function () {
    const accepts = (
      long: boolean,
      mark: bigint,
      lots: bigint,
      x: bigint,
      step: bigint,
      r: bigint,
    ) =>
      ok(
        calculateWitness(price.wasm!, {
          bankruptLong: long ? "1" : "0",
          mark: mark.toString(),
          lots: lots.toString(),
          x: x.toString(),
          step: encodeSigned(step).toString(),
          r: encodeSigned(r).toString(),
        }),
      );
    for (const [long, mark, lots, x] of [
      [true, 100n, 3n, 10n],
      [false, 100n, 3n, 10n],
      [false, 10n, 2n, 50n],
      [true, 100n, 4n, 0n],
    ] as const) {
      const step = (x + lots - 1n) / lots;
      const r = step * lots - x;
      assert.ok(await accepts(long, mark, lots, x, step, r), "the honest step");
      assert.ok(!(await accepts(long, mark, lots, x, step + 1n, r + lots)), "a step one above");
      assert.ok(!(await accepts(long, mark, lots, x, step - 1n, r - lots)), "a step one below");
    }
  });
});

/**
 * A template of deleveraging.circom (read from the sources under test) with its `<--`
 * signals `free` made inputs, compiled as `<Template>Free<args>`: its witness calculator
 * accepts a choice of those signals exactly when the constraints do.
 */
async function compileFree(
  template: string,
  free: readonly string[],
  args: string,
): Promise<ProbeBuild> {
  const source = fs.readFileSync(path.join(CIRCUIT_SOURCES, "deleveraging.circom"), "utf8");
  const start = source.indexOf(`template ${template}(`);
  let body = source.slice(start, source.indexOf("\n}\n", start) + 3);
  body = body.replace(`template ${template}(`, `template ${template}Free(`);
  for (const name of free)
    body = body
      .replace(new RegExp(`signal (output )?${name};`), `signal input ${name};`)
      .replace(new RegExp(`\\n\\s*${name} <--[^;]*;`), "");
  assert.ok(!/<--/.test(body), `the free copy of ${template} keeps no <--`);
  const probeName = `${template.replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase())}_free`;
  return compileProbe(probeName, "deleveraging.circom", `${template}Free${args}`, {
    wasm: true,
    body,
  });
}
