import assert from "node:assert/strict";
import { decodeSigned, encodeSigned } from "../../prover/src/domain/amounts.ts";
import { packPositionWord } from "../../prover/src/domain/account.ts";
import { FUNDING_SCALE, SIZE_BITS } from "../../prover/src/domain/constants.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { editWitness, type WireEdit } from "../helpers/circuit.ts";

// SettleFundingByMarket (circuits/src/funding.circom) rounds each market's funding term up
// by reading the bits of term + 2^20 - 1 + 2^B:
//     bits[j].in <== term[j] + (1 << S) - 1 + (1 << B);
// --O2 substitutes the input away, so the bits' own equation reads the term. With the link
// made `<--` the input is a wire of its own, pinned by nothing: the bits may be those of
// any value, and the payment they give is the prover's choice. In LiquidateBatch this is
// the insurance fund's funding, charged to each market's compartment: the determinism
// stage cannot decide it there (solver timeouts), and the witness calculator computes the
// honest bits, so no test that feeds inputs tells the mutant apart
// (npm run mutate:circuits -- --tests <this file> --id funding.circom:90:unconstrain).
//
// Here, on the template alone, the prover writes the bits of a payment 1,000 lower in
// market 0: the fund's compartment is credited 1,000 of funding that no trader paid.

const M = 2;
/** SettleFundingByMarket's B: the funding term's offset bit, 2 * SIZE_BITS + 1. */
const B = 2 * SIZE_BITS + 1;

describe("SettleFundingByMarket: the rounding's bits read the funding term, not a value of the prover's", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe(
      "settle_funding_by_market_links",
      "funding.circom",
      `SettleFundingByMarket(${M})`,
      { wasm: true, publicInputs: ["size", "lastIndex", "index", "word", "notional"] },
    );
  });

  it("refuses a fund's funding payment other than ceil(term / 2^20): a compartment credited funding nobody paid", async function () {
    // the fund is long 3 lots in market 0 and short 2 in market 1; the index moved by
    // 5 * 2^20 in market 0 and by -7 * 2^20 in market 1 since it last paid
    const positions = [
      { size: 3n, lastIndex: 0n, index: 5n * FUNDING_SCALE, notional: -10_000n },
      { size: -2n, lastIndex: 0n, index: -7n * FUNDING_SCALE, notional: 4_000n },
    ];
    const honest = await calculateWitness(probe.wasm!, {
      size: positions.map((p) => encodeSigned(p.size).toString()),
      lastIndex: positions.map((p) => encodeSigned(p.lastIndex).toString()),
      index: positions.map((p) => encodeSigned(p.index).toString()),
      word: positions.map((p) =>
        packPositionWord({
          size: p.size,
          notional: p.notional,
          nonce: 0n,
          filled: 0n,
          fundingIndex: p.lastIndex,
        }).toString(),
      ),
      notional: positions.map((p) => encodeSigned(p.notional).toString()),
    });
    const r1cs = readR1cs(probe.r1cs);
    const sym = readSymbols(probe.sym!);
    const read = (name: string) => decodeSigned(honest[sym.get(`main.${name}`)!]);
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    // market 0 pays 3 * 5 = 15, market 1 pays -2 * -7 = 14
    assert.deepEqual([read("payment[0]"), read("payment[1]")], [15n, 14n]);

    // the bits of the term 1,000 * 2^20 lower: a payment of -985, a notional 1,000 lower
    const term = 15n * FUNDING_SCALE;
    const forgedIn = term - 1_000n * FUNDING_SCALE + FUNDING_SCALE - 1n + (1n << BigInt(B));
    const edits: WireEdit[] = [
      ["main.bits[0].in", "set", forgedIn],
      ...Array.from(
        { length: B + 1 },
        (_, k): WireEdit => [`main.bits[0].out[${k}]`, "set", (forgedIn >> BigInt(k)) & 1n],
      ),
      ["main.payment[0]", "add", -1_000n],
      ["main.notionalOut[0]", "add", -1_000n],
    ];
    const forged = editWitness(honest, sym, edits);
    assert.equal(decodeSigned(forged[sym.get("main.payment[0]")!]), -985n);
    const broken = unsatisfiedConstraints(r1cs, forged);
    assert.ok(
      broken.length > 0,
      "a funding payment the term does not give was accepted: the fund's compartment is credited 1,000 nobody paid",
    );
  });
});
