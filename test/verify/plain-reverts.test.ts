import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { plainReverts } from "../../prover/src/verify/plain-reverts.ts";
import {
  checkerInput,
  lineAt,
  readFindings,
  runModelChecker,
  type Compile,
} from "../../prover/src/verify/smtchecker.ts";
import { SmtLibZ3 } from "../../prover/src/verify/smtlib-z3.ts";

const require = createRequire(import.meta.url);
const solc = require("solc") as { compile: Compile };
const compile: Compile = (input, callbacks) => solc.compile(input, callbacks);

const GUARDED = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;
contract Guarded {
  error Zero(uint256 a, string why);
  function custom(uint256 a) external pure returns (uint256) {
    if (a == 0) revert Zero(a, "a (is) zero");
    return 10 / a;
  }
  function plain(uint256 a) external pure returns (uint256) {
    if (a == 0) revert();
    return 10 / a;
  }
}
`;

describe("SMTChecker: custom-error reverts made plain for solc 0.8.28", function () {
  it("rewrites each `revert Name(args)` to `revert()`, keeping lines, comments and strings", function () {
    const src = [
      'string constant S = "revert Fake(1)"; // revert Comment(2)',
      "/* revert Block(3) */ if (x) revert Lib.Err(f(a, (b)),",
      '   "multi)line");',
      "revert();",
      "reverted(1); myrevert Y(2);",
    ].join("\n");
    const { text, count } = plainReverts(src);
    assert.equal(count, 1);
    assert.equal(
      text,
      [
        'string constant S = "revert Fake(1)"; // revert Comment(2)',
        "/* revert Block(3) */ if (x) revert()",
        ";",
        "revert();",
        "reverted(1); myrevert Y(2);",
      ].join("\n"),
    );
    assert.equal(text.split("\n").length, src.split("\n").length);
  });

  it("solc reports the division after a custom-error guard as a violation, and proves it once the revert is plain", function () {
    const z3 = SmtLibZ3.create();
    try {
      const verdicts = (src: string) => {
        const run = runModelChecker(
          compile,
          checkerInput(
            { "g.sol": src },
            { file: "g.sol", name: "Guarded" },
            {
              engine: "bmc",
              targets: ["divByZero"],
              timeoutMs: 10_000,
            },
          ),
          z3.answer(10_000),
        );
        return readFindings(run.output, (_f, o) => lineAt(src, o))
          .findings.map((f) => [f.line, f.verdict])
          .sort();
      };
      assert.deepEqual(verdicts(GUARDED), [
        [11, "safe"],
        [7, "violated"],
      ]);
      assert.deepEqual(verdicts(plainReverts(GUARDED).text), [
        [11, "safe"],
        [7, "safe"],
      ]);
    } finally {
      void z3.close();
    }
  });
});
