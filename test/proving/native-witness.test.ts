// The native witness calculators (prover/src/proving/native-witness.ts, native/witness/):
// circom's generated C++ on zkclear's field runtime computes the same witness, byte for
// byte, as circom's WebAssembly calculator, refuses bad inputs clearly, and reports a
// failed assert as a WitnessError naming the template.
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { sampleTrades } from "../../prover/src/dev/demo.ts";
import { sampleExchange } from "../../prover/src/dev/sample.ts";
import { toSettleTradesSignals } from "../../prover/src/domain/inputs.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { buildCircuit, compileCircom } from "../../prover/src/proving/build.ts";
import {
  buildNativeWitness,
  calculateWtnsNative,
  nativeWitnessFor,
  WITNESS_ENV,
} from "../../prover/src/proving/native-witness.ts";
import { circuitFiles } from "../../prover/src/proving/paths.ts";
import { calculateWtns, calculateWtnsWasm, WitnessError } from "../../prover/src/proving/prover.ts";
import { ROOT } from "../../prover/src/domain/paths.ts";

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const OUT = join(ROOT, "artifacts/test-fixtures/native-witness");
const WASM = join(OUT, "tiny_js/tiny.wasm");

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe("native witness calculator", function () {
  before(async function () {
    await compileCircom(join(ROOT, "test/fixtures/dev-zkey/tiny.circom"), OUT, {
      wasm: true,
      cpp: true,
    });
    const built = buildNativeWitness(WASM);
    assert.ok("seconds" in built, JSON.stringify(built));
  });

  it("computes the WebAssembly calculator's witness, byte for byte, on random inputs", async function () {
    const files = nativeWitnessFor(WASM);
    assert.ok(files, "built beside the .wasm");
    const value = fc.oneof(
      fc.constantFrom(0n, 1n, R - 1n, R, R + 5n, -1n, -(1n << 200n)),
      fc.bigInt(0n, (1n << 256n) - 1n),
    );
    await fc.assert(
      fc.asyncProperty(value, value, value, async (a, b, secret) => {
        const input = { a: a.toString(), b: b.toString(), secret: secret.toString() };
        const native = await calculateWtnsNative(files, input, () => new Error("no assert here"));
        assert.ok(same(native, await calculateWtnsWasm(WASM, input)), JSON.stringify(input));
      }),
      { numRuns: 25 },
    );
  });

  it("refuses an unknown input, a wrong count and a missing input, saying which", async function () {
    const files = nativeWitnessFor(WASM)!;
    const run = (input: Record<string, string | string[]>) =>
      calculateWtnsNative(files, input, () => new Error("no assert here"));
    await assert.rejects(run({ a: "1", b: "2", secret: "3", c: "4" }), {
      code: "WITNESS_NATIVE_FAILED",
      message: /the circuit has no input signal "c"/,
    });
    await assert.rejects(run({ a: ["1", "2"], b: "2", secret: "3" }), {
      message: /input signal "a" has 2 values; the circuit takes 1/,
    });
    await assert.rejects(run({ a: "1", b: "2" }), { message: /1 input values were not given/ });
  });

  it("builds with the instance and proves its batches' witnesses, with a failed assert as a WitnessError", async function () {
    const P = PARAM_SETS.test;
    const m = await buildCircuit("settle_trades", P);
    assert.ok(m.nativeWitness && "seconds" in m.nativeWitness, JSON.stringify(m.nativeWitness));
    const wasm = circuitFiles("settle_trades", P).wasm;
    const s = sampleExchange(P, 4);
    const batch = settleTrades(s.state, sampleTrades(s, P.batch), s.marks, P.batch);
    const signals = toSettleTradesSignals(batch.input);
    assert.ok(same(await calculateWtns(wasm, signals), await calculateWtnsWasm(wasm, signals)));

    // A forged new root: the circuit's final root check fails in the native calculator.
    const forged = { ...signals, newRoot: (BigInt(signals.newRoot as string) + 1n).toString() };
    await assert.rejects(calculateWtns(wasm, forged), (e: unknown) => {
      assert.ok(e instanceof WitnessError, String(e));
      assert.match(e.message, /Failed assert in template\/function \w+ line \d+/);
      assert.ok(e.templates.length > 0);
      return true;
    });

    // ZKCLEAR_WITNESS=wasm switches the native calculator off.
    process.env[WITNESS_ENV] = "wasm";
    try {
      assert.equal(nativeWitnessFor(wasm), undefined);
    } finally {
      delete process.env[WITNESS_ENV];
    }
  });
});
