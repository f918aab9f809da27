// The exit proof a user makes with `zkclear exit`: ExitAccount's size and proving time per
// parameter set, with each proving engine side by side, on the same machine in the same run.
//
//   npm run bench:exit [-- --params test,bench] [--runs 3]
//
// It builds the circuit instance and makes its INSECURE development key if missing (the
// `bench` instance takes a few minutes the first time), then proves the exit of an account
// holding an open position (the CLI's path: exit data -> input -> witness -> Groth16).
import { parseArgs } from "node:util";
import { signExit } from "../prover/src/domain/exit.ts";
import { paramSet } from "../prover/src/domain/params.ts";
import { PROVE_ENGINES, type ProveEngine } from "../prover/src/domain/ports.ts";
import { CIRCUITS } from "../prover/src/domain/circuits.ts";
import { oneX } from "../prover/src/domain/volatility.ts";
import { exitDataOf, exitInputFromData } from "../prover/src/engine/exit-data.ts";
import { settleTrades } from "../prover/src/engine/trades.ts";
import { sampleExchange, simpleTrade } from "../prover/src/dev/sample.ts";
import { ensureDevKeys } from "../prover/src/proving/keys.ts";
import { circuitFiles } from "../prover/src/proving/paths.ts";
import { nativeUnavailable } from "../prover/src/proving/native.ts";
import { prove, terminateCurve } from "../prover/src/proving/prover.ts";

const { values } = parseArgs({
  options: { params: { type: "string", default: "test,bench" }, runs: { type: "string" } },
});
const runs = Number(values.runs ?? 3);
const TO = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows: {
  set: string;
  constraints: number;
  engine: string;
  witnessMs: number;
  proveMs: number;
}[] = [];
try {
  for (const name of values.params!.split(",")) {
    const p = paramSet(name);
    const t0 = performance.now();
    const keys = await ensureDevKeys("exit_account", p, { log: (s) => console.error(s) });
    console.error(
      `${name}: circuit and key ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const s = sampleExchange(p, 4, 1_000_000_00n);
    const [a, b] = s.traders;
    settleTrades(
      s.state,
      [simpleTrade(s, a, b, 0, 1n, s.marks[0], { buy: 1n, sell: 1n })],
      s.marks,
      p.batch,
    );
    const data = exitDataOf(
      s.state,
      a.index,
      {
        chainId: 31337n,
        settlement: "0x0000000000000000000000000000000000000001",
        batches: 1,
        roundId: 1n,
        marks: s.marks,
        fundingIndices: s.marks.map(() => 0n),
        margins: oneX(s.marks.length),
      },
      "bench",
    );
    const input = exitInputFromData(
      data,
      s.state,
      TO,
      signExit(a.index, TO, a.keys.privateKey, s.domain),
    );
    const signals = CIRCUITS.exit_account.toSignals(input);
    const wasm = circuitFiles("exit_account", p).wasm;
    const engines = PROVE_ENGINES.filter((e) => e !== "native" || !nativeUnavailable());
    for (const engine of engines as ProveEngine[]) {
      await prove(wasm, keys.devZkey, signals, { engine }); // warm-up: loads the key and the calculator
      const w: number[] = [];
      const pr: number[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await prove(wasm, keys.devZkey, signals, { engine });
        w.push(r.witnessMs);
        pr.push(r.proveMs);
      }
      rows.push({
        set: `${name} (D${p.depth}, M${p.markets})`,
        constraints: keys.build.constraints,
        engine,
        witnessMs: Math.round(median(w)),
        proveMs: Math.round(median(pr)),
      });
    }
  }
  console.log("| parameter set | constraints | engine | witness (ms) | proof (ms) | total (ms) |");
  console.log("|---|---:|---|---:|---:|---:|");
  for (const r of rows)
    console.log(
      `| ${r.set} | ${r.constraints} | ${r.engine} | ${r.witnessMs} | ${r.proveMs} | ${r.witnessMs + r.proveMs} |`,
    );
  console.log(`(median of ${runs} runs after a warm-up; one process, ${new Date().toISOString()})`);
} finally {
  await terminateCurve();
}
