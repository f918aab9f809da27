import assert from "node:assert/strict";
import type { MutationReport } from "../../prover/src/verify/mutation-report.ts";
import { scores, scoreTable } from "../../prover/src/verify/mutation-score.ts";

const mutant = (id: string, template: string) => {
  const [file, line, kind] = id.split(":");
  return { id, file, template, line: Number(line), kind: kind as "delete", before: "", after: "" };
};

describe("mutation score: per template, from the report", function () {
  const report = (): MutationReport => ({
    sourceHash: "s",
    testsHash: "t",
    baseline: {},
    mutants: Object.fromEntries(
      [
        ["order.circom:10:delete", "T"],
        ["order.circom:11:delete", "T"],
        ["order.circom:12:delete", "T"],
        ["order.circom:13:delete", "T"],
        ["order.circom:14:delete", "T"],
        ["order.circom:15:delete", "U"],
      ].map(([id, t]) => [id, mutant(id, t)]),
    ),
    results: {
      "order.circom:10:delete": { outcome: "killed", stage: "determinism", seconds: 9 },
      "order.circom:11:delete": { outcome: "killed", stage: "tests", seconds: 90 },
      "order.circom:12:delete": { outcome: "survived", stage: "tests", seconds: 300 },
      "order.circom:13:delete": { outcome: "invalid", stage: "determinism", seconds: 2 },
    },
    pending: {
      "order.circom:14:delete": "determinism (order, test) passed",
      "order.circom:15:delete": "determinism (order, test) passed",
      // decided since: counted once, as decided
      "order.circom:11:delete": "determinism (order, test) passed",
    },
  });

  it("counts each mutant once: killed, survived, did not compile, pending", function () {
    const zero = { invalid: 0, timeout: 0 };
    assert.deepEqual(scores(report()), [
      {
        file: "order.circom",
        template: "T",
        mutants: 5,
        killed: 2,
        survived: 1,
        ...zero,
        invalid: 1,
        pending: 1,
      },
      {
        file: "order.circom",
        template: "U",
        mutants: 1,
        killed: 0,
        survived: 0,
        ...zero,
        pending: 1,
      },
    ]);
  });

  it("prints the score of the decided, and none for a template with nothing decided", function () {
    const rows = scoreTable(report()).slice(2);
    assert.deepEqual(rows, [
      "| order.circom | T | 5 | 2 | 1 | 1 | 1 | 0 | 67% |",
      "| order.circom | U | 1 | 0 | 0 | 1 | 0 | 0 | - |",
    ]);
  });
});
