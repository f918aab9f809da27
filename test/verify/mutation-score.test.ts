import assert from "node:assert/strict";
import type { MutationReport } from "../../prover/src/verify/mutation-report.ts";
import type { MutantArgument } from "../../prover/src/verify/mutation-arguments.ts";
import { MUTANT_ARGUMENTS } from "../../prover/src/verify/mutation-arguments.ts";
import { allMutants } from "../../prover/src/verify/mutation-run.ts";
import { argumentProblems, scores, scoreTable } from "../../prover/src/verify/mutation-score.ts";

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
    const zero = { invalid: 0, timeout: 0, explained: 0 };
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
      "| order.circom | T | 5 | 2 | 1 | 0 | 1 | 1 | 0 | 67% |",
      "| order.circom | U | 1 | 0 | 0 | 0 | 1 | 0 | 0 | - |",
    ]);
  });

  const argue = (id: string, before = "", after = ""): MutantArgument => ({
    id,
    before,
    after,
    kind: "equivalent",
    why: "w",
    doc: "d",
  });

  it("counts a survivor or a pending mutant with an argument for its text as explained", function () {
    const args = [
      argue("order.circom:12:delete"),
      argue("order.circom:14:delete"),
      // made for another text: the statement changed since, and the argument with it
      argue("order.circom:15:delete", "x === 1;"),
      // for a killed mutant: a kill stays a kill
      argue("order.circom:10:delete"),
    ];
    const [t, u] = scores(report(), args);
    assert.deepEqual(
      [t.killed, t.survived, t.explained, t.pending, u.explained, u.pending],
      [2, 0, 2, 0, 0, 1],
    );
    assert.equal(
      scoreTable(report(), args)[2],
      "| order.circom | T | 5 | 2 | 0 | 2 | 0 | 1 | 0 | 100% |",
    );
  });

  it("lists the arguments that no longer hold as written", function () {
    const current = new Map([
      ["order.circom:10:delete", { before: "", after: "" }],
      ["order.circom:12:delete", { before: "a  ===\n b;", after: "" }],
      ["order.circom:14:delete", { before: "c === d;", after: "" }],
    ]);
    const problems = argumentProblems(report(), current, [
      argue("order.circom:10:delete"),
      argue("order.circom:12:delete", "a === b;"),
      argue("order.circom:14:delete", "c === e;"),
      argue("order.circom:99:delete"),
      argue("order.circom:12:delete", "a === b;"),
    ]);
    assert.deepEqual(
      problems.map((p) => p.split(": ")[0]),
      [
        "order.circom:10:delete",
        "order.circom:14:delete",
        "order.circom:99:delete",
        "order.circom:12:delete",
      ],
    );
    assert.match(problems[0], /argued equivalent, but killed/);
    assert.match(problems[1], /statement changed/);
    assert.match(problems[2], /no such mutant today/);
    assert.match(problems[3], /argued twice/);
  });

  it("has an argument in mutation-arguments.ts only for mutants the circuits have today, as they read", function () {
    // a circuit edit that moves or changes an argued statement voids its argument: check
    // that it still holds, then update its id or text in prover/src/verify/mutation-arguments.ts
    const current = new Map(allMutants().map((m) => [m.id, m]));
    const none: MutationReport = { ...report(), mutants: {}, results: {}, pending: {} };
    assert.deepEqual(argumentProblems(none, current, MUTANT_ARGUMENTS), []);
    for (const a of MUTANT_ARGUMENTS) assert.ok(a.why.length > 20 && a.doc.length > 5, a.id);
  });
});
