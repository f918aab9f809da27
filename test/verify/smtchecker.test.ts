import assert from "node:assert/strict";
import { createRequire } from "node:module";
import {
  checkerInput,
  lineAt,
  readFindings,
  runModelChecker,
  SmtCheckerError,
  tally,
  type Compile,
  type Finding,
  type SolcOutput,
} from "../../prover/src/verify/smtchecker.ts";
import { SmtLibZ3 } from "../../prover/src/verify/smtlib-z3.ts";

const require = createRequire(import.meta.url);
const solc = require("solc") as { compile: Compile };
const compile: Compile = (input, callbacks) => solc.compile(input, callbacks);

// Tiny contracts: `drain` has a real bug (an unchecked subtraction wraps, and the assert
// after it fails); `bounded` is safe; `Counter` breaks its assert only after two calls,
// which only the multi-transaction engine (CHC) can see.
const BUGGY = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;
contract Buggy {
  uint256 public x;
  function drain(uint256 a) external {
    unchecked { x = x - a; }
    assert(x < 10);
  }
  function bounded(uint256 a) external pure returns (uint256) {
    require(a < 5);
    assert(a < 6);
    return a + 1;
  }
}
`;
const COUNTER = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;
contract Counter {
  uint8 public n;
  function bump() external { if (n < 2) n = n + 1; }
  function check() external view { assert(n < 2); }
}
`;

const only = (fs: Finding[], f: Partial<Finding>) =>
  fs.filter((x) => Object.entries(f).every(([k, v]) => x[k as keyof Finding] === v));

describe("SMTChecker: solc's queries answered by z3-solver", function () {
  let z3: SmtLibZ3;
  before(async function () {
    z3 = SmtLibZ3.create();
  });
  after(async function () {
    await z3?.close();
  });

  it("BMC: reports the wrapping subtraction's failing assert with solc's counterexample, and proves the bounded one", async function () {
    const input = checkerInput(
      { "b.sol": BUGGY },
      { file: "b.sol", name: "Buggy" },
      {
        engine: "bmc",
        targets: ["assert", "overflow"],
        timeoutMs: 10_000,
      },
    );
    const run = runModelChecker(compile, input, z3.answer(10_000));
    assert.ok(run.queries.length >= 3, `solc asked ${run.queries.length} queries`);
    for (const q of run.queries) assert.match(q.answer, /^(sat|unsat)$/);
    const { findings } = readFindings(run.output, (_f, o) => lineAt(BUGGY, o));
    const bug = only(findings, { target: "assert", line: 7 });
    assert.equal(bug.length, 1);
    assert.equal(bug[0].verdict, "violated");
    assert.equal(bug[0].engine, "BMC");
    // x = 10 after the wrap: a = x_before - 10 (mod 2^256)
    assert.match(bug[0].counterexample ?? "", /a = /);
    assert.match(bug[0].counterexample ?? "", /x = /);
    assert.deepEqual(
      only(findings, { line: 11 }).map((f) => [f.target, f.verdict]),
      [["assert", "safe"]],
    );
    assert.deepEqual(
      only(findings, { line: 12 }).map((f) => [f.target, f.verdict]),
      [["overflow", "safe"]],
    );
  });

  it("CHC: finds the assert a second call breaks, and proves it with the bound kept", async function () {
    const input = checkerInput(
      { "c.sol": COUNTER },
      { file: "c.sol", name: "Counter" },
      {
        engine: "chc",
        targets: ["assert", "overflow"],
        timeoutMs: 10_000,
      },
    );
    const run = runModelChecker(compile, input, z3.answer(10_000));
    const { findings } = readFindings(run.output, (_f, o) => lineAt(COUNTER, o));
    assert.deepEqual(
      findings.map((f) => [f.engine, f.target, f.line, f.verdict]).sort(),
      [
        ["CHC", "assert", 6, "violated"],
        ["CHC", "overflow", 5, "safe"],
      ].sort(),
    );
    const fixed = COUNTER.replace("n < 2) n", "n < 1) n");
    const again = runModelChecker(
      compile,
      checkerInput(
        { "c.sol": fixed },
        { file: "c.sol", name: "Counter" },
        {
          engine: "chc",
          targets: ["assert"],
          timeoutMs: 10_000,
        },
      ),
      z3.answer(10_000),
    );
    const after = readFindings(again.output, (_f, o) => lineAt(fixed, o)).findings;
    assert.deepEqual(
      after.map((f) => [f.target, f.verdict]),
      [["assert", "safe"]],
    );
  });

  it("a query the solver does not decide in time is reported unknown, not safe", function () {
    const input = checkerInput(
      { "b.sol": BUGGY },
      { file: "b.sol", name: "Buggy" },
      {
        engine: "bmc",
        targets: ["assert"],
        timeoutMs: 10_000,
      },
    );
    const run = runModelChecker(compile, input, () => ({
      output: "unknown\n",
      timedOut: true,
    }));
    assert.ok(run.queries.every((q) => q.answer === "timeout"));
    const { findings } = readFindings(run.output, (_f, o) => lineAt(BUGGY, o));
    assert.ok(findings.length >= 2);
    assert.ok(findings.every((f) => f.verdict === "unknown"));
  });

  it("refuses a source solc cannot compile, naming solc's error", function () {
    const input = checkerInput(
      { "x.sol": "contract X { function f( }" },
      { file: "x.sol", name: "X" },
      {
        engine: "bmc",
        targets: ["assert"],
        timeoutMs: 1000,
      },
    );
    assert.throws(
      () => runModelChecker(compile, input, z3.answer(1000)),
      (e: unknown) =>
        e instanceof SmtCheckerError &&
        e.code === "SMTCHECKER_COMPILE" &&
        /ParserError/.test(e.message),
    );
  });
});

describe("SMTChecker: reading solc's verdicts", function () {
  const msg = (message: string, start: number, formatted = message) => ({
    severity: "warning",
    message,
    formattedMessage: formatted,
    sourceLocation: { file: "a.sol", start, end: start + 1 },
  });

  it("reads target and verdict from each message, and counts a place once by its best verdict", function () {
    const output: SolcOutput = {
      errors: [
        msg("BMC: Underflow (resulting value less than 0) might happen here.", 10),
        msg("CHC: Underflow (resulting value less than 0) check is safe!", 10),
        msg(
          "CHC: Division by zero happens here.",
          20,
          "Warning: CHC: Division by zero happens here.\nCounterexample:\nd = 0\n\nTransaction trace:\nA.constructor()\n --> a.sol:2:1:\n  |\n2 | x / d\n  | ^^^^^\n",
        ),
        msg("BMC: Out of bounds access might happen here.", 30),
        {
          severity: "warning",
          message: "Assertion checker does not yet support this expression.",
          formattedMessage: "",
        },
      ],
    };
    const { findings, notes } = readFindings(output, (_f, o) => o);
    assert.deepEqual(
      findings.map((f) => [f.engine, f.target, f.verdict]),
      [
        ["BMC", "underflow", "unknown"],
        ["CHC", "underflow", "safe"],
        ["CHC", "divByZero", "violated"],
        ["BMC", "outOfBounds", "unknown"],
      ],
    );
    assert.equal(
      findings[2].counterexample,
      "Counterexample:\nd = 0\nTransaction trace:\nA.constructor()",
    );
    assert.equal(notes.length, 1);
    assert.deepEqual(
      tally(findings).map((r) => [r.target, r.checked, r.safe, r.violated, r.unknown]),
      [
        ["underflow", 1, 1, 0, 0],
        ["divByZero", 1, 0, 1, 0],
        ["outOfBounds", 1, 0, 0, 1],
      ],
    );
  });
});
