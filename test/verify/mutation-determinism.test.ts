import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  assignedSignal,
  stageVerdict,
  templateCalls,
  templatesUsed,
  type ProcessResult,
} from "../../prover/src/verify/mutation-determinism.ts";

// The mutation runner's determinism stage reads verify-circuits' output: these are its
// verdicts on outputs of the shapes that script prints.
const run = (code: number | null, out: string, timedOut = false): ProcessResult => ({
  code,
  out,
  seconds: 3.2,
  timedOut,
});

const report = (timeouts: number, groups: string[]) =>
  [
    "exit_account/D8-M2 (test): 10879 constraints, 1.4 s",
    `solver: 0 unique, 0 not unique locally, ${timeouts} undecided (timeout)`,
    `NOT EXPLAINED (${groups.length} groups):`,
    ...groups.map((g, i) => `       ${i + 1}  ${g}  e.g. ${g.replace("[]", "[0]")}`),
    "",
  ].join("\n");

describe("mutation runner: the determinism stage's verdict", function () {
  it("names the signal a `<==` assigns, without indices or `signal`", function () {
    assert.equal(assignedSignal("term[j] <== size[j] * (index[j] - lastIndex[j]);"), "term");
    assert.equal(assignedSignal("signal fundLong <== selLong;"), "fundLong");
    assert.equal(assignedSignal("old.word <== word;"), "old.word");
    assert.equal(assignedSignal("out[i][k] <== a * b;"), "out");
    assert.equal(assignedSignal("a === b;"), undefined);
  });

  it("passes a mutant the check passes, and calls a compile error invalid", function () {
    assert.equal(stageVerdict("exit_account", run(0, "all fixed"), "x <== y;").outcome, "passed");
    const bad = stageVerdict(
      "exit_account",
      run(1, "error[T2021]: Undeclared symbol\ncircom exited with 1"),
      "x <== y;",
    );
    assert.equal(bad.outcome, "invalid");
    assert.equal(bad.detail, "Undeclared symbol");
  });

  it("kills a mutant that leaves a wire open, and names the groups", function () {
    const v = stageVerdict(
      "exit_account",
      run(1, report(0, ["main.funding.term[]", "main.funding.bits.out[]"])),
      "b <== c;",
    );
    assert.equal(v.outcome, "killed");
    assert.match(v.detail ?? "", /open main\.funding\.term\[\]; main\.funding\.bits\.out\[\]/);
  });

  it("with solver timeouts, kills only when the unconstrained wire itself is open", function () {
    const out = run(1, report(2, ["main.funding.bits.out[]", "main.funding.term[]"]));
    const own = stageVerdict("exit_account", out, "term[j] <== size[j] * d[j];");
    assert.equal(own.outcome, "killed");
    assert.match(own.detail ?? "", /solver timeouts/);
    // another wire open, with timeouts: the unmutated circuit could have timed out too
    const other = stageVerdict("exit_account", out, "signal price <== p;");
    assert.equal(other.outcome, "inconclusive");
    const deletion = stageVerdict("exit_account", out, "a === b;");
    assert.equal(deletion.outcome, "inconclusive");
  });

  it("calls a crash or a timeout inconclusive, never a kill", function () {
    assert.equal(stageVerdict("x", run(1, "TypeError: boom"), "a <== b;").outcome, "inconclusive");
    assert.equal(stageVerdict("x", run(null, "", true), "a <== b;").outcome, "inconclusive");
  });

  it("finds the templates a circuit instantiates, through components and inline calls", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "templates-"));
    try {
      fs.writeFileSync(
        path.join(dir, "a.circom"),
        [
          "template Main(N) {",
          "    signal input x;",
          "    component c = Leaf(N);",
          "    c.in <== x;",
          "    Check()(x);",
          "}",
          "template Leaf(N) { signal input in; RangeCheck(N)(in); }",
          "template Unused() { signal input y; Leaf(3)(y); }",
        ].join("\n"),
      );
      fs.writeFileSync(
        path.join(dir, "b.circom"),
        "template Check() { signal input a; a * (a - 1) === 0; }\n" +
          "template RangeCheck(n) { signal input in; }\n",
      );
      assert.deepEqual([...templatesUsed(templateCalls(dir), "Main")].sort(), [
        "Check",
        "Leaf",
        "Main",
        "RangeCheck",
      ]);
      assert.deepEqual([...templatesUsed(templateCalls(dir), "Unused")].sort(), [
        "Leaf",
        "RangeCheck",
        "Unused",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
