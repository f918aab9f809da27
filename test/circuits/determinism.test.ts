import assert from "node:assert/strict";
import { circuitDeterminism, circuitIds } from "../../prover/src/verify/circuit-determinism.ts";
import { strayFreeWitnesses, unexplained } from "../../prover/src/verify/explained.ts";
import { LocalSolver } from "../../prover/src/verify/smt.ts";
import { TEST_PARAMS } from "../helpers/circuit.ts";

// Every production circuit has one witness per input: each wire is fixed by the inputs
// (propagation, case splits, z3 on bit blocks), except circomlib's IsZero inverses (free
// witnesses: in one constraint, flowing nowhere) and what docs/verification.md explains
// by hand (EXPLAINED in prover/src/verify/explained.ts). `npm run verify:circuits` is the
// full report, at the demo parameters too.
describe("determinism: every wire of every circuit is fixed by its inputs (test parameters)", function () {
  let solver: LocalSolver;
  before(async function () {
    solver = await LocalSolver.create();
  });
  after(function () {
    solver?.close();
  });

  for (const id of circuitIds()) {
    it(`${id}: no wire left open but those explained`, async function () {
      const d = await circuitDeterminism(id, TEST_PARAMS, solver, { wireQueries: false });
      const open = unexplained(d);
      assert.deepEqual(
        open.map((g) => `${g.wires} x ${g.example}`),
        [],
        `${id}: wires the constraints do not fix`,
      );
      // the free witnesses are IsZero's inverses and nothing else
      assert.deepEqual(
        strayFreeWitnesses(d).map((g) => `${g.wires} x ${g.example}`),
        [],
        `${id}: free witnesses other than IsZero's inverses`,
      );
      // most of what is not explained by hand is fixed by propagation (AnswerForced's
      // explained verdict and what follows it are more than half of its wires)
      const explained = [...d.undecided, ...d.conditional]
        .filter((g) => !open.includes(g))
        .reduce((n, g) => n + g.wires, 0);
      assert.ok(d.result.propagation > (d.result.wires - explained) / 2);
    });
  }
});
