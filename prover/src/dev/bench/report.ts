/**
 * BENCHMARKS.md from a benchmark run's results: the goals, the figures per parameter set
 * and batch kind, the batch-size sweep (with its chart), the constraint budget of a
 * trade, where the proving time goes, and the published figures to compare with.
 */
import type { BatchKind } from "./batches.ts";
import type { KindFigures, ProverFigures } from "./measure.ts";
import type { BenchResults } from "./results.ts";

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const dec = (n: number, d = 1) =>
  n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const pct = (x: number) => `${dec(100 * x)}%`;
const mib = (n: number | null) => (n === null ? "(reused)" : int(n));
const cached = (s: string, c: boolean) => (c ? `${s}*` : s);
/** The proving time's spread over the runs, e.g. "3: 41,2-43,0 s" as "41.2–43.0 (3)". */
const spread = (f: KindFigures) =>
  f.proof.runs > 1
    ? `${dec(Math.min(...f.proof.proveMsRuns) / 1000)}–${dec(Math.max(...f.proof.proveMsRuns) / 1000)} (${f.proof.runs})`
    : "(1)";

/** Wall time of a proof per constraint, microseconds. */
export const usPerConstraint = (f: KindFigures) => (f.proof.proveMs * 1000) / f.compile.constraints;
/** snarkjs's own prover on the same batch and key (the baseline): "82.2 µs", if measured. */
const snarkjsUs = (f: KindFigures) =>
  f.proof.snarkjs
    ? `${dec((f.proof.snarkjs.proveMs * 1000) / f.compile.constraints)} µs`
    : undefined;
export const witnessShare = (f: KindFigures) => f.proof.witnessMs / f.proof.proveMs;
const coldWitnessShare = (f: KindFigures) => f.proof.witnessColdMs / f.proof.proveMs;
export const perOp = (f: KindFigures, v: number) => v / f.operations;
const perTrade = (f: KindFigures) => perOp(f, f.proof.witnessMs + f.proof.proveMs);

/** A Markdown table; columns whose cells are all numbers (or empty) align right. */
function table(head: string[], rows: (string | number)[][]): string {
  const numeric = (c: string | number) =>
    /^[-~]?[\d,.]+(%|\*| s| µs)?$|^$|^2\^\d+$/.test(String(c));
  const align = head.map((_, i) =>
    rows.length && rows.every((r) => numeric(r[i] ?? "")) ? "---:" : "---",
  );
  return [head, align, ...rows].map((r) => `| ${r.map(String).join(" | ")} |`).join("\n");
}

const KIND_LABEL: Record<BatchKind, string> = {
  trades: "trades",
  deposits: "deposits",
  withdrawals: "withdrawals",
  liquidations: "liquidations",
};

/** The figures of one kind of one set, if measured. */
function find(r: BenchResults, set: string, kind: BatchKind): KindFigures | undefined {
  return r.sets.find((f) => f.set === set && f.kind === kind);
}

function goals(r: BenchResults): string {
  const bench = find(r, "bench", "trades");
  const all = [
    ...r.sets,
    ...(r.sweep?.points.flatMap((p) => (p.figures ? [p.figures] : [])) ?? []),
  ];
  const rows: string[][] = [];
  const mark = (ok: boolean) => (ok ? "met" : "**missed**");
  if (bench) {
    const c = perOp(bench, bench.compile.constraints);
    rows.push([
      `constraints per trade at depth ${bench.depth}, both signatures checked: at most 34,000 (stretch 25,000)`,
      `${int(c)} at B=${bench.operations}` +
        (r.budget ? ` (marginal: ${int(r.budget.perTrade)} per additional trade)` : ""),
      `${mark(c <= 34_000)}; stretch ${c <= 25_000 ? "met" : "not met (see the budget)"}`,
    ]);
    rows.push([
      "proving wall time per constraint on 2 cores: at most 90 µs",
      `${dec(usPerConstraint(bench))} µs (bench trades; snarkjs's own prover on the same batch: ` +
        `${snarkjsUs(bench) ?? "not measured"}); ` +
        `worst of all ${all.length} proofs ${dec(Math.max(...all.map(usPerConstraint)))} µs`,
      mark(usPerConstraint(bench) <= 90),
    ]);
  }
  if (bench?.proof.wasm) {
    const w = bench.proof.wasm;
    const ratio = w.proveMs / bench.proof.proveMs;
    rows.push([
      "native prover: the bench trade batch in at most a third of the WebAssembly prover's time, alternating in one run",
      `${dec(ratio, 2)}× faster: ${int(bench.proof.proveMs)} ms against ${int(w.proveMs)} ms ` +
        `(medians of ${bench.proof.runs} alternating runs each); ` +
        `${dec(usPerConstraint(bench))} µs against ${dec((w.proveMs * 1000) / bench.compile.constraints)} µs per constraint`,
      mark(ratio >= 3),
    ]);
  }
  if (all.length) {
    const worst = Math.max(...all.map(witnessShare));
    const worstCold = Math.max(...all.map(coldWitnessShare));
    rows.push([
      "witness generation: at most 10% of proving time",
      `at most ${pct(worst)} over all ${all.length} proofs (a proving process's witnesses after its ` +
        `first); the first in a fresh process, loading included: at most ${pct(worstCold)}`,
      mark(worst <= 0.1),
    ]);
  }
  if (bench) {
    const g = perOp(bench, bench.proof.gas);
    const b64 = r.sweep?.points.find((p) => p.batch === 64)?.figures;
    rows.push([
      `gas per trade at B=16: under 17,000; the curve shown to B=64`,
      `${int(g)} at B=16` +
        (b64 ? `; ${int(perOp(b64, b64.proof.gas))} at B=64` : "; B=64 not measured"),
      `${mark(g < 17_000)}${b64 ? "; curve to B=64 measured" : ""}`,
    ]);
  }
  return table(["goal", "measured", ""], rows);
}

function circuitTable(sets: readonly KindFigures[]): string {
  return table(
    [
      "set",
      "kind",
      "D / M",
      "slots",
      "constraints",
      "per op",
      "compile s",
      "compile peak MiB",
      "dev keys s",
      "keys peak MiB",
      "zkey MiB",
    ],
    sets.map((f) => [
      f.set,
      KIND_LABEL[f.kind],
      `${f.depth} / ${f.markets}`,
      f.operations,
      int(f.compile.constraints),
      int(perOp(f, f.compile.constraints)),
      cached(dec(f.compile.seconds), f.compile.cached),
      mib(f.compile.peakRssMiB),
      cached(dec(f.keys.seconds), f.keys.cached),
      mib(f.keys.peakRssMiB),
      dec(f.keys.zkeyMiB),
    ]),
  );
}

function provingTable(sets: readonly KindFigures[]): string {
  return table(
    [
      "set",
      "kind",
      "slots",
      "witness ms",
      "first witness ms",
      "prove ms",
      "prove s, runs",
      "prove ms per op",
      "µs / constraint",
      "witness / prove",
      "prove peak MiB",
      "gas per batch",
      "gas per op",
    ],
    sets.map((f) => [
      f.set,
      KIND_LABEL[f.kind],
      f.operations,
      int(f.proof.witnessMs),
      int(f.proof.witnessColdMs),
      int(f.proof.proveMs),
      spread(f),
      int(perOp(f, f.proof.witnessMs + f.proof.proveMs)),
      dec(usPerConstraint(f)),
      pct(witnessShare(f)),
      mib(f.proof.peakRssMiB),
      int(f.proof.gas),
      int(perOp(f, f.proof.gas)),
    ]),
  );
}

function userGasTable(sets: readonly KindFigures[]): string {
  const bySet = new Map<string, KindFigures>();
  for (const f of sets) if (!bySet.has(f.set)) bySet.set(f.set, f);
  return table(
    ["set", "deposit, new account", "deposit, top-up", "oracle round", "bindRound"],
    [...bySet.values()].map((f) => [
      f.set,
      int(f.userGas.depositNewAccount),
      int(f.userGas.depositTopUp),
      int(f.userGas.oracleRound),
      int(f.userGas.bindRound),
    ]),
  );
}

function sweepSection(r: BenchResults, image: string): string {
  if (!r.sweep) return "";
  const pts = r.sweep.points;
  const base = pts.find((p) => p.figures)?.figures;
  const rows = pts.map((p) => {
    const f = p.figures;
    if (!f)
      return [p.batch, `not measured: ${p.error ?? "skipped"}`, ...new Array<string>(10).fill("")];
    return [
      p.batch,
      int(f.compile.constraints),
      int(perOp(f, f.compile.constraints)),
      cached(dec(f.compile.seconds), f.compile.cached),
      cached(dec(f.keys.seconds), f.keys.cached),
      dec((f.proof.witnessMs + f.proof.proveMs) / 1000),
      spread(f),
      int(perOp(f, f.proof.witnessMs + f.proof.proveMs)),
      dec(usPerConstraint(f)),
      mib(f.proof.peakRssMiB),
      int(f.proof.gas),
      int(perOp(f, f.proof.gas)),
    ];
  });
  const measured = pts.flatMap((p) => (p.figures ? [p.figures] : []));
  const gasMin = Math.min(...measured.map((f) => f.proof.gas));
  const gasMax = Math.max(...measured.map((f) => f.proof.gas));
  return [
    `## Batch-size sweep`,
    "",
    `Trade batches of B = ${pts.map((p) => p.batch).join(", ")} at the \`${r.sweep.base}\` set's depth` +
      (base ? ` (D = ${base.depth}, M = ${base.markets})` : "") +
      `, each compiled, keyed, proved and settled on the chain like the sets above ` +
      `(parameter sets \`${r.sweep.base}-b<B>\`, which share \`${r.sweep.base}\`'s other circuits).`,
    "",
    `![Proving time and gas per trade against the batch size](${image})`,
    "",
    table(
      [
        "B",
        "constraints",
        "per trade",
        "compile s",
        "dev keys s",
        "witness + prove s",
        "prove s, runs",
        "ms per trade",
        "µs / constraint",
        "prove peak MiB",
        "gas per batch",
        "gas per trade",
      ],
      rows,
    ),
    "",
    measured.length
      ? `Gas per batch stays between ${int(gasMin)} and ${int(gasMax)} whatever B is: a trade batch ` +
        `always has four public inputs and one proof, so gas per trade falls as 1/B. Proving ` +
        `time grows with the constraints (and by steps, as the FFT domain doubles at each power ` +
        `of two), so proving time per trade only falls while the batch's fixed part (the fee ` +
        `account's update, the price binding, the proof's own fixed work) is shared: ` +
        `${int(perTrade(measured[0]))} ms at B=${measured[0].operations}, ` +
        `${int(perTrade(measured[measured.length - 1]))} ms at B=${measured[measured.length - 1].operations}. ` +
        `The batch size buys gas, not proving time; B is bounded by how long a batch may take ` +
        `to prove and by memory (${int(measured[measured.length - 1].proof.peakRssMiB ?? 0)} MiB ` +
        `to prove B=${measured[measured.length - 1].operations}).`
      : "",
    "",
  ].join("\n");
}

function budgetSection(r: BenchResults): string {
  const b = r.budget;
  if (!b) return "";
  const rows = b.rows.map((row) => [
    row.item,
    int(row.constraints),
    pct(row.constraints / b.perTrade),
  ]);
  rows.push(["**one trade**", `**${int(b.perTrade)}**`, "100%"]);
  return [
    `## Where a trade's constraints go`,
    "",
    `Each building block of \`SettleTrades\` compiled on its own (circom2 \`--O2\`) at D = ${b.depth}, ` +
      `M = ${b.markets}, and \`SettleTrades(B, ${b.depth}, ${b.markets})\` at B = 1 and 2: one more trade ` +
      `costs ${int(b.perTrade)} constraints; ${int(b.perBatch)} are paid once per batch (the market ` +
      `binding, ${int(b.blocks.marketBinding)}, and the fee account's one Merkle update).`,
    "",
    table(["per trade", "constraints", "share"], rows),
    "",
    `Blocks: an EdDSA-Poseidon verification is ${int(b.blocks.signature)} constraints, a leaf update ` +
      `(old and new root over one path) ${int(b.blocks.leafUpdate)}, a leaf hash ` +
      `${int(b.blocks.leafHash)}, a leaf read with its range checks ${int(b.blocks.leafUnpack)}, a margin ` +
      `check ${int(b.blocks.margin)}, the commitment's Poseidon(4) ${int(b.blocks.commitmentHash)}.`,
    "",
    stretchParagraph(b),
    "",
  ].join("\n");
}

/** What the 25,000-per-trade stretch goal would take, from the budget's own figures. */
function stretchParagraph(b: NonNullable<BenchResults["budget"]>): string {
  const floor = 2 * b.blocks.signature + 2 * b.blocks.leafUpdate;
  const rest = b.perTrade - floor;
  const layout = 2 * 96 * (b.markets - 1);
  if (b.perTrade <= 25_000)
    return `One trade costs ${int(b.perTrade)} constraints: within the 25,000 stretch goal.`;
  return (
    `**The 25,000 stretch goal.** The two signatures and the four Merkle paths alone cost ` +
    `${int(floor)} (${pct(floor / b.perTrade)} of a trade), which leaves ${int(25_000 - floor)} for ` +
    `everything else, where it takes ${int(rest)} now: two leaf reads whose every field is ` +
    `range-checked, four leaf hashes, two margin checks and the order, fill, fee and position rules. ` +
    `Cheaper leaf layouts help only a little: keeping a market's size and notional in one word, ` +
    `and decomposing only the traded market's order word, would save about ${int(layout)}. ` +
    `Going below means dropping the range checks of what a circuit reads (the tree only ever ` +
    `holds values some circuit range-checked when it wrote them, but each circuit checking its ` +
    `own inputs is a rule here), or replacing circomlib's audited EdDSA-Poseidon verifier ` +
    `(${int(b.blocks.signature)} each) by a cheaper one of our own. The first weakens what each ` +
    `proof shows on its own and the second trades an audited component for a few thousand ` +
    `constraints; this project makes neither trade.`
  );
}

const peak = (n: number | null | undefined) => (n ? int(n) : "");

/**
 * Every measured proof by the native prover and by the WebAssembly prover, alternately in
 * this run, with the native prover's stages.
 */
function nativeSection(r: BenchResults): string {
  const all = [
    ...r.sets,
    ...(r.sweep?.points.flatMap((p) => (p.figures ? [p.figures] : [])) ?? []),
  ];
  const seen = new Set<string>();
  const proofs = all.filter((f) => {
    if (!f.proof.wasm || seen.has(f.instance)) return false;
    seen.add(f.instance);
    return true;
  });
  if (!proofs.length) return "";
  const compared = table(
    [
      "proof",
      "constraints",
      "native ms",
      "WebAssembly ms",
      "speed-up",
      "native µs / constraint",
      "WebAssembly µs / constraint",
      "witness ms",
      "WebAssembly witness ms",
      "witness / native prove",
      "native peak MiB",
      "WebAssembly peak MiB",
    ],
    proofs.map((f) => {
      const w = f.proof.wasm!;
      return [
        `${f.set} ${KIND_LABEL[f.kind]}`,
        int(f.compile.constraints),
        int(f.proof.proveMs),
        int(w.proveMs),
        `${dec(w.proveMs / f.proof.proveMs, 2)}×`,
        dec(usPerConstraint(f)),
        dec((w.proveMs * 1000) / f.compile.constraints),
        int(f.proof.witnessMs),
        f.proof.witnessWasmMs !== undefined ? int(f.proof.witnessWasmMs) : "",
        pct(witnessShare(f)),
        peak(f.proof.peakRssMiB),
        peak(w.peakRssMiB),
      ];
    }),
  );
  const stages = table(
    ["proof", "native ms", "read", "build ABC", "FFT", "MSM G1", "MSM G2", "other"],
    proofs.map((f) => {
      const ph = f.proof.phases;
      const t = f.proof.proveMs;
      return [
        `${f.set} ${KIND_LABEL[f.kind]}`,
        int(t),
        pct(ph.read / t),
        pct(ph.buildAbc / t),
        pct(ph.fft / t),
        pct(ph.msmG1 / t),
        pct(ph.msmG2 / t),
        pct(Math.max(0, t - ph.read - ph.buildAbc - ph.fft - ph.msmG1 - ph.msmG2) / t),
      ];
    }),
  );
  return [
    "## Native and WebAssembly provers, side by side",
    "",
    "zkclear's native prover (`native/`, a C++ Node-API addon built by `npm ci`: Montgomery " +
      "arithmetic on 64-bit limbs, a multi-threaded Pippenger MSM and FFT on one thread pool) " +
      "proves every measured batch; each of its runs is followed by one of zkclear's WebAssembly " +
      "prover (`groth16Prove`, on ffjavascript) on the same batch and key, each in a fresh " +
      "proving process, so a slow spell of the shared machine hits both alike. Medians; the " +
      "speed-up is the WebAssembly prover's time over the native one's. The witness is the " +
      "circuit's native calculator's where it was built (circom's C++ with zkclear's field " +
      "runtime, `native/witness/`), beside circom's WebAssembly calculator on the same inputs. " +
      "Peak memory is the proving process's (witness calculators included).",
    "",
    compared,
    "",
    "Where the native prover's time goes (the stages are timed inside the addon; other: the " +
      "blinding, the final sums, and the JavaScript around the call):",
    "",
    stages,
    "",
  ].join("\n");
}

/** One prover's row of the side-by-side table, on the batch `batch`. */
function proverRow(name: string, f: ProverFigures, batch: KindFigures): string[] {
  return [
    name,
    int(f.proveMs),
    f.proveMsRuns.map((ms) => dec(ms / 1000)).join(", "),
    dec((f.proveMs * 1000) / batch.compile.constraints),
    `${int(f.phases.buildAbc)} ms (${pct(f.phases.buildAbc / f.proveMs)})`,
    `${int(f.phases.msmG1 + f.phases.msmG2 + f.phases.fft)} ms`,
  ];
}

function phaseSection(r: BenchResults): string {
  const all = [
    ...r.sets,
    ...(r.sweep?.points.flatMap((p) => (p.figures ? [p.figures] : [])) ?? []),
  ];
  const seen = new Set<string>();
  const proofs = all.filter((f) => {
    const k = `${f.instance}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (!proofs.length) return "";
  // This section is the WebAssembly prover's: its alternate runs when native is the default.
  const wasmOf = (f: KindFigures) =>
    f.proof.engine === "native" && f.proof.wasm ? f.proof.wasm : f.proof;
  const rows = proofs.map((f) => {
    const ph = wasmOf(f).phases;
    const t = wasmOf(f).proveMs;
    const g1Points = 3 * f.keys.nVars + f.keys.domainSize;
    return [
      `${f.set} ${KIND_LABEL[f.kind]}`,
      int(f.compile.constraints),
      `2^${Math.log2(f.keys.domainSize)}`,
      int(t),
      pct(ph.msmG1 / t),
      pct(ph.msmG2 / t),
      pct(ph.fft / t),
      pct(ph.buildAbc / t),
      pct((ph.read + ph.other) / t),
      dec((ph.msmG1 * 1000) / g1Points, 2),
      dec((ph.msmG2 * 1000) / f.keys.nVars, 2),
      dec(((ph.msmG1 + ph.msmG2 + ph.fft) * 1000) / f.compile.constraints),
    ];
  });
  const bench = find(r, "bench", "trades");
  const b = bench ? wasmOf(bench).phases : undefined;
  const bMs = bench ? wasmOf(bench).proveMs : 1;
  return [
    `## Where the WebAssembly prover's time goes`,
    "",
    `zkclear's Groth16 prover (\`prover/src/proving/groth16.ts\`: snarkjs's algorithm, key and proof ` +
      `formats, on ffjavascript's curve) evaluates the witness against the key's A and B coefficients ` +
      `("build ABC"), runs three inverse and three forward FFTs over the evaluation domain (the next ` +
      `power of two above the constraints) to get the quotient H, and then five multi-scalar ` +
      `multiplications (MSMs): A, B1 and C in G1 over the wires, H in G1 over the domain, and B2 in ` +
      `G2 over the wires. snarkjs 0.7.6 builds ABC in a JavaScript loop on one thread while the ` +
      `other core waits; zkclear's prover gives each worker thread a share of the domain and ` +
      `evaluates it with the curve's WebAssembly routine. Each step's time below is read off the ` +
      `prover's progress messages during the real proof (\`prove(..., { profile: true })\`).`,
    "",
    bench?.proof.snarkjs
      ? [
          `The \`bench\` trade batch, proved alternately by every prover (each run in a fresh process):`,
          "",
          table(
            ["prover", "prove ms (median)", "runs, s", "µs / constraint", "build ABC", "MSM + FFT"],
            [
              proverRow("snarkjs 0.7.6 `groth16.prove`", bench.proof.snarkjs, bench),
              ...(bench.proof.wasm
                ? [proverRow("zkclear `groth16Prove` (WebAssembly)", bench.proof.wasm, bench)]
                : []),
              proverRow(
                bench.proof.engine === "native"
                  ? "zkclear native (`native/`)"
                  : "zkclear `groth16Prove`",
                bench.proof,
                bench,
              ),
            ],
          ),
        ].join("\n")
      : "",
    "",
    table(
      [
        "proof",
        "constraints",
        "domain",
        "prove ms",
        "MSM G1",
        "MSM G2",
        "FFT",
        "build ABC",
        "read, other",
        "µs per G1 term",
        "µs per G2 term",
        "MSM + FFT µs / constraint",
      ],
      rows,
    ),
    "",
    b && bench
      ? `At \`bench\` trades the MSMs take ${pct((b.msmG1 + b.msmG2) / bMs)} of the proof ` +
        `and the FFTs ${pct(b.fft / bMs)}. ` +
        `That is the floor for this prover on this machine: ffjavascript's MSMs and FFTs run in ` +
        `WebAssembly on ffjavascript's worker threads (one per core), so even with nothing else ` +
        `to do a proof costs ${dec(((b.msmG1 + b.msmG2 + b.fft) * 1000) / bench.compile.constraints)} µs per constraint here. ` +
        `A G2 term costs about ${dec(b.msmG2 / bench.keys.nVars / (b.msmG1 / (3 * bench.keys.nVars + bench.keys.domainSize)))}× a G1 term ` +
        `(G2 points live over the quadratic extension). Below this floor only a native prover goes ` +
        `(zkclear's own: the section above; rapidsnark's: the published figures).`
      : "",
    "",
  ].join("\n");
}

function anchors(r: BenchResults): string {
  const bench = find(r, "bench", "trades");
  const ours = (s: string) => (bench ? s : "(not measured)");
  return [
    `## Against published figures`,
    "",
    table(
      ["anchor", "figure", "zkclear, measured here", "source"],
      [
        [
          "snarkjs, wall time per constraint",
          "about 83 µs on two cores (the issue's anchor; no published 2-core figure was found). Nearest: 86.0 s for 3,069,484 constraints on 8 cores / 16 threads, 28.0 µs wall (about 112 µs on 2 cores if it scaled linearly)",
          ours(
            bench
              ? `${dec(usPerConstraint(bench))} µs at \`bench\` trades with zkclear's prover` +
                  (snarkjsUs(bench) ? `; snarkjs 0.7.6 itself: ${snarkjsUs(bench)}` : "")
              : "",
          ),
          "[anonklub circom benchmark](https://github.com/anonklub/anonklub/blob/a6451389c78d1b84ce2f051172fc6e78f438a664/circuits/circom/benchmark/README.md)",
        ],
        [
          "rapidsnark, core time per constraint",
          "about 19 µs (the issue's anchor). Nearest published: 9.6 s for the same 3.07M constraints on 8 cores, 3.1 µs wall, about 25 µs of core time: 9x faster than snarkjs there",
          ours(
            bench
              ? `zkclear's prover (ffjavascript, WebAssembly) here: ${dec(2 * usPerConstraint(bench))} µs of core time (2 cores)`
              : "",
          ),
          "[anonklub circom benchmark](https://github.com/anonklub/anonklub/blob/a6451389c78d1b84ce2f051172fc6e78f438a664/circuits/circom/benchmark/README.md)",
        ],
        [
          "Hermez (Polygon Hermez 1.0) rollup, constraints per transaction",
          "47,641 at 32 levels and 64 fee tokens (`4*nLevels + 1473` to decode, `974*nLevels + 14552 + 5*maxFeeTx` to process), before the batch's SHA-256 and fee transactions; 2^25 for 400 transactions all in (84k each)",
          ours(
            bench
              ? `${int(perOp(bench, bench.compile.constraints))} per trade (two signed orders, two accounts)`
              : "",
          ),
          "[hermeznetwork/circuits, tools/circuit-constraints.js](https://github.com/hermeznetwork/circuits/blob/master/tools/circuit-constraints.js); [Hermez docs, coordinator](https://github.com/hermeznetwork/docs/blob/main/docs/developers/coordinator.md)",
        ],
        [
          "Loopring 3.x, gas per trade",
          "375 gas (rollup mode, data on-chain; proof generation off-chain not counted), 47 in validium mode",
          ours(
            bench
              ? `${int(perOp(bench, bench.proof.gas))} at B=16; no trade data on-chain (only a commitment), so the cost is the proof, amortised over B`
              : "",
          ),
          "[Loopring/protocols, loopring_v3 README](https://github.com/Loopring/protocols/blob/master/packages/loopring_v3/README.md)",
        ],
        [
          "Groth16 verification on Ethereum",
          "about 190,000 + 6,650 per public input (the issue's anchor). From EIP-1108's prices, 4 pairings = 181,000 and 6,150 (ECMUL + ECADD) per public input; measured on snarkjs verifiers: about 207,000 + 7,160 per public input",
          ours(
            bench
              ? `${int(bench.proof.gas)} per trade batch: 4 public inputs, plus Settlement's own work (root and batch storage, the price binding read, the event) and the 21,000 transaction base`
              : "",
          ),
          "[EIP-1108](https://eips.ethereum.org/EIPS/eip-1108); [Orbiter Research, Groth16 gas](https://hackmd.io/Fa4A8lVKRM2TwVh1dhUb1Q)",
        ],
      ],
    ),
    "",
  ].join("\n");
}

export function benchmarksMarkdown(r: BenchResults, image: string, jsonPath: string): string {
  const m = r.machine;
  const t = r.toolchain;
  return [
    "# zkclear benchmarks",
    "",
    `Generated by \`${r.command}\` on ${r.date.slice(0, 10)} at commit \`${r.commit}\` ` +
      `(${dec(r.seconds / 60)} minutes); every figure is from that run, and the raw figures are in ` +
      `[${jsonPath}](${jsonPath}).`,
    "",
    `- Machine: ${m.cores} x ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}.`,
    `- Toolchain: ${t.circom}, circomlib ${t.circomlib}, snarkjs ${t.snarkjs} (ffjavascript ${t.ffjavascript}), ` +
      `Hardhat ${t.hardhat}, solc ${t.solc}.`,
    "- Keys: INSECURE development keys (`npm run keys:dev`); a production key from a ceremony has the " +
      "same size and structure, so proving costs the same.",
    "- Proofs: every batch is full (all slots used), is proved in a fresh proving process (so its peak " +
      "memory is its own) and is settled on an in-process Hardhat chain by the Settlement contract, " +
      "whose Groth16 verifier accepted it; gas is that transaction's.",
    "- Times marked * were reused from an earlier build (`--reuse`), not measured in this run.",
    "",
    "## Goals",
    "",
    goals(r),
    "",
    "## Per parameter set and batch kind",
    "",
    "Compiling (circom2 `--O2`) and making the development keys:",
    "",
    circuitTable(r.sets),
    "",
    "Proving a full batch and settling it on the chain. The witness is a proving process's " +
      "second (what the operator's long-lived proving process spends on every batch after its " +
      "first); the first witness in a fresh process also loads the witness calculator and runs " +
      "its WebAssembly before the engine has optimised it:",
    "",
    provingTable(r.sets),
    "",
    "What a trader pays to deposit (Vault.deposit, which extends the on-chain deposit queue's " +
      "Poseidon hash chain), what the oracle's signers pay for a round of prices (3 development " +
      "signers' EIP-712 reports), and binding a round to the market configuration (once per round, " +
      "by anyone; the first batch of a round does it if nobody has):",
    "",
    userGasTable(r.sets),
    "",
    sweepSection(r, image),
    budgetSection(r),
    nativeSection(r),
    phaseSection(r),
    anchors(r),
    "## Reproducing",
    "",
    "```sh",
    "npm run bench                                   # everything: sets, sweep, budget (writes this file)",
    "npm run bench -- --sets test --sweep none       # one set; partial runs write to artifacts/bench/",
    "npm run bench -- --sweep 1,2,4 --sets none      # a smaller sweep",
    "npm run bench -- --reuse                        # keep existing builds and keys (their times marked *)",
    "```",
    "",
  ].join("\n");
}
