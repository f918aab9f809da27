import assert from "node:assert/strict";
import path from "node:path";
import { CIRCUIT_SOURCES } from "../../prover/src/proving/paths.ts";
import { statementLine } from "./circuit.ts";

/**
 * A rewrite for compileProbeO0: `file` of the sources under test (a mutant's, when the
 * tests run against one) with the line of `statement` replaced by `to`, padded to the
 * line's length (anonymous components' names carry a file offset). The line is found where
 * the repository's own file has it, as the statement or as the mutant that makes it `<--`.
 */
export function rewriteLine(
  file: string,
  statement: string,
  to: string,
): (f: string, text: string) => string {
  return (f, text) => {
    if (f !== file) return text;
    const n = statementLine(file, statement) - 1;
    const lines = text.split("\n");
    const line = lines[n];
    assert.ok(
      [statement, statement.replace("<==", "<--")].includes(line.trim()),
      `line ${n + 1} of ${path.join(CIRCUIT_SOURCES, file)} is the link: ${line}`,
    );
    assert.ok(to.length <= line.length, `${to} fits the line`);
    lines[n] = to.padStart(line.length);
    return lines.join("\n");
  };
}

/**
 * An --O0 probe's witness on the wires of an --O2 build (`names`: wire -> its names, from
 * readWireNames): each wire gets its first name's value in the probe (`sym`: name -> wire).
 */
export function graftByName(
  names: ReadonlyMap<number, readonly string[]>,
  nWires: number,
  o0: { sym: Map<string, number>; witness: readonly bigint[] },
): bigint[] {
  const w = Array<bigint>(nWires).fill(0n);
  w[0] = 1n;
  for (const [i, ns] of names) {
    const at = o0.sym.get(ns[0]);
    assert.ok(at !== undefined && at > 0, `the --O0 probe has ${ns[0]}`);
    w[i] = o0.witness[at];
  }
  assert.equal(names.size, nWires - 1, "every wire but the constant one is named");
  return w;
}
