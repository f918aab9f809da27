import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { BPS_DENOMINATOR } from "../../prover/src/domain/constants.ts";
import { plainLeaf, leafWitness } from "../../prover/src/engine/leaf-witness.ts";
import { compileProbe } from "../../prover/src/proving/build.ts";
import { CIRCUIT_BUILDS, CIRCUIT_SOURCES } from "../../prover/src/proving/paths.ts";
import {
  readR1cs,
  readSymbols,
  unsatisfiedConstraints,
  type R1cs,
} from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { statementLine, TEST_PARAMS } from "./circuit.ts";
import { BTC_CRASH, ETH, world } from "./deleverage-world.ts";
import { compileProbeO0 } from "./probe-o0.ts";

// The harness of the DeleverageEntry link grafts (test/circuits/deleverage-entry-links*.test.ts).
// A link `x <== y` of circuits/src/auto-deleverage.circom that --O2 substitutes away, made
// `x <-- y`, leaves x free but still read by the constraints below it; the witness
// calculator writes y there, so only a witness built by hand shows the difference. Here it
// is built by a probe of DeleverageEntry compiled at --O0 (every signal keeps its name) from
// the sources under test with the link's statement replaced by another value for x: its
// witness satisfies every constraint but the link. Its values, spliced by name into the
// witness of the --O2 probe of the same sources, must break a constraint of the circuit
// with the link and satisfy the circuit without it.

const P = TEST_PARAMS;
const M = P.markets;
export const FILE = "auto-deleverage.circom";
const EXPR = `DeleverageEntry(${P.depth}, ${M})`;

/** The BTC crash's marks and the bankruptcy price entries close at (a fund long in BTC). */
export const MARKS = [BTC_CRASH, ETH];
export const PRICE = 4_650_000n;
export const SHORT_LOTS = 3n;
export const SHORT_ENTRY = 6_000_000n;
export const SHORT_COLLATERAL = 10_000_000n;

/**
 * Accounts 4 and 5 of the deleveraging world, each short 3 BTC lots from 6,000,000 with
 * 10,000,000 of collateral, against a fund long in BTC.
 */
const state = () =>
  world(
    [100_000n, 10_000_000n],
    [
      [SHORT_COLLATERAL, SHORT_LOTS, SHORT_ENTRY],
      [SHORT_COLLATERAL, SHORT_LOTS, SHORT_ENTRY],
    ],
  );

export interface EntryCase {
  /** The account the entry names (its index bits, its system check). */
  readonly account?: bigint;
  /** Whose leaf and path the entry reads (the account's own unless said). */
  readonly leafOf?: bigint;
  /** The fund's lots still to place. */
  readonly left: bigint;
  /** The batch's BTC funding index (the leaves last paid at 0). */
  readonly btcIndex?: bigint;
}

/** DeleverageEntry's inputs: an enabled entry in BTC closing lots at PRICE. */
export function entryInputs(c: EntryCase) {
  const s = state();
  const account = c.account ?? 4n;
  const leaf = plainLeaf(leafWitness(s, c.leafOf ?? account));
  const liqMmBps = s.markets.map((m) => m.maintenanceMarginBps);
  const str = (xs: readonly bigint[]) => xs.map(String);
  return {
    enabled: "1",
    account: String(account),
    ax: String(leaf.ax),
    ay: String(leaf.ay),
    balance: String(leaf.balance),
    word: str(leaf.word),
    notional: str(leaf.notional),
    siblings: leaf.siblings.map(str),
    market: ["1", "0"],
    mark: str(MARKS),
    index: [String(c.btcIndex ?? 0n), "0"],
    liqMmBps: str(liqMmBps),
    selMark: String(MARKS[0]),
    price: String(PRICE),
    // Deleverage's costOf: what a lot closed at the price costs the entry's surplus
    cost: String(BPS_DENOMINATOR * (PRICE - MARKS[0]) - MARKS[0] * liqMmBps[0]),
    fundLong: "1",
    left: String(c.left),
    rootIn: String(s.root),
  };
}

/** A link of auto-deleverage.circom and the statement a probe puts in its place. */
export interface Link {
  /** The statement as the repository's file reads it (trimmed). */
  readonly statement: string;
  /** Its replacement: the link writing another value (one line; any length). */
  readonly alt: string;
}

/**
 * auto-deleverage.circom of the sources under test (the original, or the mutant that makes
 * this link `<--`) with the link's line replaced by `alt`. Anonymous components are named
 * after their line and file offset, so every line and every later offset must stay: a
 * shorter line is padded, a longer one is paid for by its indentation, then by cutting the
 * first comment after it (with no anonymous component in between).
 */
export function rewriteLink(link: Link): (file: string, text: string) => string {
  return (file, text) => {
    if (file !== FILE) return text;
    const lines = text.split("\n");
    const n = statementLine(FILE, link.statement) - 1;
    const line = lines[n];
    const freed = link.statement.replace("<==", "<--");
    assert.ok(
      [link.statement, freed].includes(line.trim()),
      `line ${n + 1} of ${path.join(CIRCUIT_SOURCES, FILE)} is the link: ${line}`,
    );
    // the indentation goes first, then the comment
    const indent = line.length - line.trimStart().length;
    let next = " ".repeat(Math.max(0, Math.min(indent, line.length - link.alt.length))) + link.alt;
    const extra = next.length - line.length;
    if (extra <= 0) next += " ".repeat(-extra);
    else {
      let c = n + 1;
      while (!lines[c].trim().startsWith("//")) {
        assert.ok(
          !/\)\s*\(/.test(lines[c]),
          `an anonymous component before a comment: ${lines[c]}`,
        );
        c++;
      }
      const comment = lines[c];
      assert.ok(comment.trim().length - extra >= 2, `the comment on line ${c + 1} is too short`);
      lines[c] = comment.slice(0, comment.length - extra);
    }
    lines[n] = next;
    const out = lines.join("\n");
    assert.equal(out.length, text.length, "the rewrite keeps every offset");
    return out;
  };
}

export interface Probe {
  readonly wasm: string;
  /** Signal name -> wire. */
  readonly names: Map<string, number>;
}

/** The --O0 probe of DeleverageEntry, with `link` replaced when given. */
export async function probeO0(link?: Link): Promise<Probe> {
  const name = link ? `adl_entry_link_o0_${statementLine(FILE, link.statement)}` : "adl_entry_o0";
  const build = await compileProbeO0(name, FILE, EXPR, {
    rewrite: link ? rewriteLink(link) : undefined,
  });
  return { wasm: build.wasm, names: readSymbols(build.sym) };
}

const require = createRequire(import.meta.url);

/**
 * The --O2 probe of DeleverageEntry (compileProbe) of the sources under test, reused while
 * the sources, the template and the compiler are the same.
 */
export async function probeO2(): Promise<{
  r1cs: R1cs;
  wasm: string;
  wires: Map<number, string[]>;
}> {
  const name = "adl_entry_links_o2";
  const h = createHash("sha256");
  for (const f of fs.readdirSync(CIRCUIT_SOURCES).sort())
    if (f.endsWith(".circom")) h.update(f).update(fs.readFileSync(path.join(CIRCUIT_SOURCES, f)));
  h.update(EXPR).update(`circom2@${require("circom2/package.json").version as string} --O2`);
  const hash = h.digest("hex");
  const dir = path.join(CIRCUIT_BUILDS, "probes", name);
  const stamp = path.join(dir, "links.json");
  const files = {
    r1cs: path.join(dir, `${name}.r1cs`),
    wasm: path.join(dir, `${name}_js`, `${name}.wasm`),
    sym: path.join(dir, `${name}.sym`),
  };
  const cached =
    fs.existsSync(stamp) &&
    (JSON.parse(fs.readFileSync(stamp, "utf8")) as { hash?: string }).hash === hash &&
    Object.values(files).every((f) => fs.existsSync(f));
  if (!cached) {
    await compileProbe(name, FILE, EXPR, { wasm: true });
    fs.writeFileSync(stamp, JSON.stringify({ hash }));
  }
  return {
    r1cs: readR1cs(files.r1cs),
    wasm: files.wasm,
    wires: readWireNames(files.sym).names,
  };
}

/**
 * The --O2 witness whose every wire takes the value the --O0 witness gives one of its
 * names (wire 0 is 1). Where the circuit with the link made the link's two sides one wire,
 * they disagree; the name nearest main wins (main's own signals: the inputs and outputs the
 * forged entry claims), so the witness is one for the forged inputs, which the circuit
 * with the link determines, and it differs from their honest witness.
 */
export function splice(
  wires: ReadonlyMap<number, string[]>,
  nWires: number,
  probe: Probe,
  w0: readonly bigint[],
): bigint[] {
  const out = new Array<bigint>(nWires).fill(0n);
  out[0] = 1n;
  const missing: string[] = [];
  const depth = (name: string) => name.split(".").length;
  for (const [w, names] of wires) {
    if (w === 0) continue;
    const name = names.reduce((a, b) => (depth(b) < depth(a) ? b : a));
    const i = probe.names.get(name);
    if (i === undefined) missing.push(name);
    else out[w] = w0[i];
  }
  assert.deepEqual(missing, [], "--O2 wires the --O0 probe does not name");
  for (let w = 1; w < nWires; w++) assert.ok(wires.has(w), `--O2 wire ${w} is named`);
  return out;
}

/** Reads named signals of an --O0 witness. */
export const reader = (probe: Probe, w: readonly bigint[]) => (name: string) => {
  const i = probe.names.get(name);
  assert.ok(i !== undefined, `${name} is a signal of the probe`);
  return w[i];
};

/** A field element as a signed integer (|.| < p / 2). */
export function signed(x: bigint, prime: bigint): bigint {
  return x > prime / 2n ? x - prime : x;
}

/** The signed size of a position word: its low 65 bits, less 2^64. */
export const wordSize = (word: bigint) => (word & ((1n << 65n) - 1n)) - (1n << 64n);

export { unsatisfiedConstraints };
