import assert from "node:assert/strict";
import { applyMutant, mutantsOf, templateStatements } from "../../prover/src/verify/mutants.ts";

const SOURCE = `pragma circom 2.1.9;
// a comment with template Fake() { x === y; }
function WIDTH() { return 8; }
template Check(n) {
    signal input a;
    signal input b;
    signal output c;
    /* block comment: c <== a; */
    c <== a * b;
    signal d <== a + 1;
    a * (a - 1) === 0;
    RangeCheck(WIDTH())(b);
    _ <== SignedRangeCheck(n)(a);
    signal e <== IsZero()(a);
    component bits = Num2Bits(n);
    bits.in <== b;
    for (var i = 0; i < n; i++) {
        bits.out[i] * d === bits.out[i];
    }
    (a - b) * d === 0;
}
`;

describe("mutants of circuit templates", function () {
  const mutants = mutantsOf("check.circom", SOURCE);
  const byLine = (line: number) => mutants.filter((m) => m.line === line).map((m) => m.kind);

  it("finds the statements of templates only, not of functions or comments", function () {
    const texts = templateStatements(SOURCE).map((s) => s.text);
    assert.ok(texts.includes("c <== a * b;"));
    assert.ok(!texts.some((t) => t.includes("return 8")));
    assert.ok(!texts.some((t) => t.includes("x === y")));
    assert.ok(templateStatements(SOURCE).every((s) => s.template === "Check"));
  });

  it("deletes constraints and checks, unconstrains assignments, narrows and widens widths", function () {
    assert.deepEqual(byLine(9), ["unconstrain"]); // c <== a * b
    assert.deepEqual(byLine(10), ["unconstrain"]); // signal d <== a + 1
    assert.deepEqual(byLine(11), ["delete"]); // a * (a - 1) === 0
    assert.deepEqual(byLine(12), ["delete", "narrow", "widen"]); // RangeCheck(WIDTH())(b)
    assert.deepEqual(byLine(13), ["delete", "narrow", "widen"]); // _ <== SignedRangeCheck
    assert.deepEqual(byLine(14), []); // a component call cannot become <--
    assert.deepEqual(byLine(15), ["narrow", "widen"]); // Num2Bits(n)
    assert.deepEqual(byLine(16), ["unconstrain"]); // bits.in <== b
    assert.deepEqual(byLine(18), ["delete"]); // inside a loop
    assert.deepEqual(byLine(20), ["delete"]); // (a - b) * d === 0: opens with a bracket
    assert.equal(mutants.find((m) => m.line === 20)?.before, "(a - b) * d === 0;");
    assert.equal(new Set(mutants.map((m) => m.id)).size, mutants.length, "ids are unique");
  });

  it("applies one change and leaves the rest of the file as it was", function () {
    const m = (line: number, kind: string) =>
      mutants.find((x) => x.line === line && x.kind === kind)!;
    const lines = (s: string) => s.split("\n");
    const un = lines(applyMutant(SOURCE, m(10, "unconstrain")));
    assert.equal(un[9].trim(), "signal d; d <-- a + 1;");
    assert.deepEqual(
      un.filter((_, i) => i !== 9),
      lines(SOURCE).filter((_, i) => i !== 9),
    );
    assert.equal(
      lines(applyMutant(SOURCE, m(12, "narrow")))[11].trim(),
      "RangeCheck((WIDTH()) - 1)(b);",
    );
    assert.equal(lines(applyMutant(SOURCE, m(11, "delete")))[10].trim(), "/* mutant: deleted */");
    // the whole statement, its opening bracket too (a stray "(" would not compile, and the
    // mutant would be filed as one that does not compile instead of being judged)
    assert.equal(lines(applyMutant(SOURCE, m(20, "delete")))[19].trim(), "/* mutant: deleted */");
  });
});
