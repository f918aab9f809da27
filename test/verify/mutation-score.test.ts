import assert from "node:assert/strict";
import { inputsHash, type MutationReport } from "../../prover/src/verify/mutation-report.ts";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "../../prover/src/proving/paths.ts";
import {
  ARGUED_AGAINST,
  ARGUMENTS_BY_FILE,
  MUTANT_ARGUMENTS,
  type MutantArgument,
} from "../../prover/src/verify/mutation-arguments.ts";
import { allMutants, currentReport } from "../../prover/src/verify/mutation-run.ts";
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
    const zero = { invalid: 0, timeout: 0, explained: 0, assumed: 0, pendingArgued: 0 };
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
      "| order.circom | T | 5 | 2 | 1 | 0 | 0 | 1 | 1 | 0 | 67% |",
      "| order.circom | U | 1 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | - |",
    ]);
  });

  const argue = (id: string, before = "", after = "", kind = "equivalent"): MutantArgument => ({
    id,
    before,
    after,
    kind: kind as MutantArgument["kind"],
    why: "w",
    doc: "d",
  });
  /** order.circom's arguments made against the file as it is (or, with `stale`, another version). */
  const against = (stale = false) => {
    const premises = ["circuits/src/order.circom", "circuits/src/constants.circom"];
    return { "order.circom": { premises, hash: stale ? "0".repeat(16) : inputsHash(premises) } };
  };
  const survivors = (): MutationReport => {
    const r = report();
    for (const id of ["order.circom:14:delete", "order.circom:15:delete"]) {
      r.results[id] = { outcome: "survived", stage: "tests", seconds: 1 };
      delete r.pending![id];
    }
    r.pending!["order.circom:14:delete"] = "determinism (order, test) passed";
    delete r.results["order.circom:14:delete"];
    return r;
  };

  it("counts a survivor with an argument as explained or assumed, and a pending one as pending", function () {
    const list = [
      argue("order.circom:12:delete"),
      argue("order.circom:14:delete"),
      argue("order.circom:15:delete", "", "", "assumed"),
      // for a killed mutant: a kill stays a kill
      argue("order.circom:10:delete"),
    ];
    const [t, u] = scores(survivors(), { list, against: against() });
    assert.deepEqual(
      [t.killed, t.survived, t.explained, t.pending, t.pendingArgued, u.assumed, u.survived],
      [2, 0, 1, 1, 1, 1, 0],
    );
    assert.equal(
      scoreTable(survivors(), { list, against: against() })[2],
      "| order.circom | T | 5 | 2 | 0 | 1 | 0 | 1 (1 argued) | 1 | 0 | 100% |",
    );
  });

  it("holds an argument void when the statement, or a file its premises are in, changed", function () {
    const other = [argue("order.circom:12:delete", "x === 1;"), argue("order.circom:15:delete")];
    const [t, u] = scores(survivors(), { list: other, against: against() });
    assert.deepEqual([t.survived, t.explained, u.survived, u.explained], [1, 0, 0, 1]);
    const stale = scores(survivors(), { list: other, against: against(true) });
    assert.deepEqual([stale[1].survived, stale[1].explained], [1, 0]);
  });

  it("lists the arguments that do not hold as written", function () {
    const current = new Map([
      ["order.circom:10:delete", { before: "", after: "" }],
      ["order.circom:12:delete", { before: "a  ===\n b;", after: "" }],
      ["order.circom:13:delete", { before: "", after: "" }],
      ["order.circom:14:delete", { before: "c === d;", after: "" }],
    ]);
    const list = [
      argue("order.circom:10:delete"),
      argue("order.circom:12:delete", "a === b;"),
      argue("order.circom:13:delete"),
      argue("order.circom:14:delete", "c === e;"),
      argue("order.circom:99:delete"),
      argue("order.circom:12:delete", "a === b;"),
    ];
    const problems = argumentProblems(report(), current, { list, against: against() });
    assert.deepEqual(
      problems.map((p) => p.split(": ")[0]),
      [
        "order.circom:10:delete",
        "order.circom:13:delete",
        "order.circom:14:delete",
        "order.circom:99:delete",
        "order.circom:12:delete",
      ],
    );
    assert.match(problems[0], /argued equivalent, but killed/);
    assert.match(problems[1], /argued equivalent, but invalid/);
    assert.match(problems[2], /statement changed/);
    assert.match(problems[3], /no such mutant today/);
    assert.match(problems[4], /argued twice/);
    const stale = argumentProblems(report(), current, { list: [], against: against(true) });
    assert.deepEqual(stale, []);
    const voided = argumentProblems(report(), current, {
      list: list.slice(1, 2),
      against: against(true),
    });
    assert.match(
      voided[0],
      /^order\.circom: its arguments' premises .* changed since they were checked/,
    );
    const unrecorded = argumentProblems(report(), current, { list: list.slice(1, 2), against: {} });
    assert.match(unrecorded[0], /no premises recorded/);
  });

  it("has arguments in mutation-arguments.ts that hold for the circuits as they are and the report on file", function () {
    // a circuit edit that moves or changes an argued statement, or edits a file its premises
    // are in, voids the file's arguments: check that they still hold, then update the ids,
    // texts and the hash in the file's module under prover/src/verify/arguments/. A kill of an
    // argued mutant means the argument was wrong.
    const current = new Map(allMutants().map((m) => [m.id, m]));
    assert.deepEqual(argumentProblems(currentReport(), current), []);
    for (const a of MUTANT_ARGUMENTS) assert.ok(a.why.length > 20 && a.doc.length > 5, a.id);
    const docs = fs.readFileSync(path.join(ROOT, "docs", "verification.md"), "utf8");
    const headings = new Set(
      docs.split("\n").flatMap((l: string) => /^#+ (.*)$/.exec(l)?.[1] ?? []),
    );
    for (const a of MUTANT_ARGUMENTS)
      assert.ok(headings.has(a.doc), `${a.id}: no heading "${a.doc}"`);
    assert.deepEqual(
      Object.keys(ARGUED_AGAINST).sort(),
      [...new Set(MUTANT_ARGUMENTS.map((a) => a.id.split(":")[0]))].sort(),
    );
    // each file's module argues its own mutants
    for (const [file, { arguments: list }] of Object.entries(ARGUMENTS_BY_FILE))
      for (const a of list) assert.equal(a.id.split(":")[0], file, `${a.id} in ${file}'s module`);
  });
});
