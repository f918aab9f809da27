import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { CIRCUIT_SOURCES } from "../../prover/src/proving/paths.ts";
import { readR1cs } from "../../prover/src/proving/r1cs.ts";
import {
  inputSignals,
  mainInputWires,
  readWireNames,
} from "../../prover/src/verify/circuit-info.ts";
import type { CircuitDeterminism } from "../../prover/src/verify/circuit-determinism.ts";
import {
  assumedWires,
  strayFreeWitnesses,
  unexplained,
} from "../../prover/src/verify/explained.ts";
import { settleTradesCircuit } from "../helpers/circuit.ts";

describe("determinism report: inputs and explanations", function () {
  it("takes main's inputs from the .sym file: --O2 drops inputs fixed to 0 but the header counts them", async function () {
    const files = await settleTradesCircuit();
    const r1cs = readR1cs(files.r1cs);
    const names = readWireNames(files.sym);
    const source = fs.readFileSync(path.join(CIRCUIT_SOURCES, "settle-trades.circom"), "utf8");
    const inputs = mainInputWires(names, inputSignals(source, "SettleTrades"));
    // the 4-ary level's unused siblings (3 of 7 per side and the fee account's) are gone
    assert.ok(inputs.length < r1cs.nPubIn + r1cs.nPrvIn, `${inputs.length} input wires`);
    const header = r1cs.nPubIn + r1cs.nPrvIn;
    const taken = Array.from({ length: header }, (_, i) => 1 + i).filter(
      (w) => !inputs.includes(w),
    );
    assert.ok(taken.length > 0);
    // the wires the header would take for inputs include intermediate signals
    assert.ok(
      taken.some((w) => names.names.get(w)!.some((n) => n === "main.root[1]")),
      "main.root[1] sits among the first header-count wires",
    );
    assert.deepEqual(inputs.slice(0, 4), [1, 2, 3, 4]); // the public inputs come first
  });

  it("explains circomlib's EdDSA internals but not the verifier's own inputs", function () {
    const group = (g: string) => ({ group: g, wires: 1, example: g });
    const d = {
      undecided: [
        group("main.side[][].OrderSignature.verifier.mulAny.segments[].bits[].adder.lamda"),
        group("main.side[][].OrderSignature.verifier.Ax"),
        group("main.slot[].sig.h2bits.out[]"),
        group("main.slot[].sig.M"),
        group("main.side[][].fee"),
      ],
      conditional: [],
    } as unknown as CircuitDeterminism;
    assert.deepEqual(
      unexplained(d).map((g) => g.group),
      ["main.side[][].OrderSignature.verifier.Ax", "main.slot[].sig.M", "main.side[][].fee"],
    );
  });

  it("allows IsZero's inverses as free witnesses and nothing else", function () {
    const group = (g: string) => ({ group: g, wires: 1, example: g });
    const d = {
      freeWitness: [
        group("main.side[][].IsZero.inv"),
        group("main.select[][].isz.inv"),
        group("main.side[][].TradesIn.elsewhere"),
        group("main.slot[].involved"),
      ],
    } as unknown as CircuitDeterminism;
    assert.deepEqual(
      strayFreeWitnesses(d).map((g) => g.group),
      ["main.side[][].TradesIn.elsewhere", "main.slot[].involved"],
    );
  });

  it("assumes AttributeCharges' penalty and share quotients only, not what is computed from them", function () {
    const names = new Map<number, string[]>([
      [1, ["main.slot[0].attribution.penalty[0]"]],
      [2, ["main.slot[1].attribution.share[1]"]],
      [3, ["main.slot[0].attribution.penaltyBase[0]"]],
      [4, ["main.slot[0].attribution.charge[0]", "main.slot[0].charge[0]"]],
      [5, ["main.slot[0].attribution.kept"]],
      [6, ["main.side[0][0].penalty[0]"]],
    ]);
    assert.deepEqual(assumedWires({ names }), [1, 2]);
  });

  it("assumes only the deepest copy of an entry's lots: a copy cut loose is left to the check", function () {
    const lots = (m: [number, string[]][]) => assumedWires({ names: new Map(m) }).sort();
    // the copies joined (one wire, whichever name survives --O2): that wire
    assert.deepEqual(lots([[7, ["main.adl.entry[0].q"]]]), [7]);
    assert.deepEqual(
      lots([
        [7, ["main.candidate.q"]],
        [8, ["main.x"]],
      ]),
      [7],
    );
    // the entry's copy cut from the candidate's (`q <-- candidate.q`): the candidate's only
    assert.deepEqual(
      lots([
        [7, ["main.adl.entry[0].q"]],
        [8, ["main.adl.entry[0].candidate.q"]],
        [9, ["main.adl.entry[1].q"]],
      ]),
      [8, 9],
    );
    // the candidate's cut from DeleverageTake's (`q <-- take.q`): DeleverageTake's only
    assert.deepEqual(
      lots([
        [7, ["main.candidate.q"]],
        [8, ["main.candidate.take.q"]],
      ]),
      [8],
    );
  });

  it("gives each circuit's anchors among its public inputs, and computes the rest", function () {
    for (const spec of Object.values(CIRCUITS)) {
      const source = fs.readFileSync(path.join(CIRCUIT_SOURCES, spec.source), "utf8");
      const inputs = inputSignals(source, spec.template);
      for (const a of spec.anchors) {
        assert.ok(spec.publicInputs.includes(a), `${spec.id}: anchor ${a} is a public input`);
        assert.ok(inputs.includes(a), `${spec.id}: anchor ${a} is an input of ${spec.template}`);
      }
      // each circuit publishes something it computes (a root, a commitment, a payout, ...)
      assert.ok(
        spec.publicInputs.some((n) => !spec.anchors.includes(n)),
        spec.id,
      );
    }
  });
});
