import fs from "node:fs";
import { templateStatements } from "./mutants.ts";

/**
 * What the determinism report needs to know about a compiled circuit beyond its R1CS:
 * which wires are the main component's inputs, and a readable name for every wire.
 *
 * The inputs come from the .sym file, not from the R1CS header: circom --O2 removes an
 * input that a constraint fixes to a constant (a 4-ary tree level's unused siblings, which
 * must be 0) and renumbers the wires, but the header still counts it, so "wires 1 to
 * nPubIn + nPrvIn" would take intermediate wires for inputs.
 */
export interface WireNames {
  /** wire -> every signal name circom gave it (--O2 merges signals into one wire). */
  readonly names: Map<number, string[]>;
}

export function readWireNames(symFile: string): WireNames {
  const names = new Map<number, string[]>();
  for (const line of fs.readFileSync(symFile, "utf8").split("\n")) {
    if (!line) continue;
    const parts = line.split(",");
    const w = Number(parts[1]);
    if (w < 0) continue;
    const list = names.get(w);
    if (list) list.push(parts[3]);
    else names.set(w, [parts[3]]);
  }
  return { names };
}

/** The names of a template's `signal input` declarations. */
export function inputSignals(source: string, template: string): string[] {
  const out: string[] = [];
  for (const s of templateStatements(source)) {
    if (s.template !== template) continue;
    const m = /^signal\s+input\s+(\w+)/.exec(s.text);
    if (m) out.push(m[1]);
  }
  return out;
}

/** The wires of main's inputs (the signals named main.<input> or main.<input>[...]). */
export function mainInputWires(wires: WireNames, inputs: readonly string[]): number[] {
  const set = new Set(inputs);
  const out: number[] = [];
  for (const [w, names] of wires.names) {
    if (names.some((n) => set.has(/^main\.(\w+)/.exec(n)?.[1] ?? "") && !n.slice(5).includes(".")))
      out.push(w);
  }
  return out.sort((x, y) => x - y);
}

/**
 * A wire's name for the report, and its group: the shortest of its names, with array
 * indices and circom's anonymous-component suffixes (_<line>_<column>) taken out, e.g.
 * main.side[][].OrderSignature.verifier.mulAny.segments[].bits[].adder.lamda.
 */
export function wireName(wires: WireNames, w: number): string {
  const list = wires.names.get(w);
  if (!list) return `wire ${w}`;
  return list.reduce((a, b) => (b.length < a.length ? b : a));
}

export function wireGroup(wires: WireNames, w: number): string {
  return wireName(wires, w)
    .replace(/\[\d+\]/g, "[]")
    .replace(/_\d+_\d+/g, "");
}
