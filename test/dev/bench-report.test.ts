import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { scalingChart } from "../../prover/src/dev/bench/chart.ts";
import type { KindFigures } from "../../prover/src/dev/bench/measure.ts";
import { benchmarksMarkdown } from "../../prover/src/dev/bench/report.ts";
import type { BenchResults } from "../../prover/src/dev/bench/results.ts";
import { parseBenchArgs } from "../../prover/src/dev/bench/run.ts";
import { withPage } from "../helpers/browser.ts";

/** A trade batch's figures, scaled from a per-trade cost (the report only does arithmetic). */
function trades(
  set: string,
  batch: number,
  o: { usPerConstraint: number; gas: number; wasmSpeedUp?: number },
): KindFigures {
  const constraints = 30_000 * batch + 10_000;
  const proveMs = (constraints * o.usPerConstraint) / 1000;
  return {
    set,
    kind: "trades",
    instance: `settle_trades/B${batch}-D24-M4`,
    operations: batch,
    depth: 24,
    markets: 4,
    compile: { constraints, wires: constraints, seconds: 10, peakRssMiB: 500, cached: false },
    keys: {
      seconds: 5,
      peakRssMiB: 600,
      zkeyMiB: 100,
      nVars: constraints,
      domainSize: 2 ** Math.ceil(Math.log2(constraints)),
      coefficients: 2 * constraints,
      cached: false,
    },
    proof: {
      engine: "native",
      ...(o.wasmSpeedUp
        ? {
            wasm: {
              proveMs: proveMs * o.wasmSpeedUp,
              proveMsRuns: [proveMs * o.wasmSpeedUp],
              phases: { read: 1, buildAbc: 1, fft: 1, msmG1: 1, msmG2: 1, other: 0 },
              peakRssMiB: 1500,
            },
          }
        : {}),
      witnessMs: proveMs * 0.05,
      witnessColdMs: proveMs * 0.07,
      proveMs,
      runs: 1,
      proveMsRuns: [proveMs],
      phases: { read: 1, buildAbc: 1, fft: 1, msmG1: proveMs - 4, msmG2: 1, other: 0 },
      peakRssMiB: 900,
      verified: true,
      gas: o.gas,
    },
    userGas: {
      depositNewAccount: 197_000,
      depositTopUp: 193_000,
      oracleRound: 140_000,
      bindRound: 245_000,
    },
  };
}

function results(bench: KindFigures, sweep: BenchResults["sweep"]): BenchResults {
  return {
    format: "zkclear-bench/1",
    date: "2026-12-02T00:00:00.000Z",
    command: "npm run bench",
    commit: "abc",
    seconds: 60,
    machine: { cpu: "cpu", cores: 2, memoryGiB: 24, os: "Linux", node: "v20" },
    toolchain: {
      circom: "c",
      circomlib: "l",
      snarkjs: "s",
      ffjavascript: "f",
      hardhat: "h",
      solc: "o",
    },
    sets: [bench],
    sweep,
    budget: null,
  };
}

const goalRow = (md: string, start: string) =>
  md.split("\n").find((l) => l.startsWith(`| ${start}`)) ?? "";

describe("benchmark report", function () {
  it("says which goals the figures meet and which they miss", function () {
    const good = benchmarksMarkdown(
      results(trades("bench", 16, { usPerConstraint: 75, gas: 257_000 }), null),
      "s.svg",
      "b.json",
    );
    assert.match(goalRow(good, "proving wall time"), /\| met \|$/);
    assert.match(goalRow(good, "gas per trade"), /16,063 at B=16; B=64 not measured \| met \|$/);
    const slow = benchmarksMarkdown(
      results(trades("bench", 16, { usPerConstraint: 95, gas: 300_000 }), null),
      "s.svg",
      "b.json",
    );
    assert.match(goalRow(slow, "proving wall time"), /\*\*missed\*\*/);
    assert.match(goalRow(slow, "gas per trade"), /18,750 at B=16.*\*\*missed\*\*/);
  });

  it("sets the native prover against the WebAssembly prover: the goal of a third, and every proof side by side", function () {
    const fast = benchmarksMarkdown(
      results(trades("bench", 16, { usPerConstraint: 25, gas: 257_000, wasmSpeedUp: 3.2 }), null),
      "s.svg",
      "b.json",
    );
    assert.match(
      goalRow(fast, "native prover"),
      /3\.20× faster: 12,250 ms against 39,200 ms.*\| met \|$/,
    );
    assert.match(
      fast,
      /\| bench trades \| 490,000 \| 12,250 \| 39,200 \| 3\.20× \| 25\.0 \| 80\.0 \|/,
    );
    const slow = benchmarksMarkdown(
      results(trades("bench", 16, { usPerConstraint: 25, gas: 257_000, wasmSpeedUp: 2.5 }), null),
      "s.svg",
      "b.json",
    );
    assert.match(goalRow(slow, "native prover"), /2\.50× faster.*\*\*missed\*\*/);
    const none = benchmarksMarkdown(
      results(trades("bench", 16, { usPerConstraint: 25, gas: 257_000 }), null),
      "s.svg",
      "b.json",
    );
    assert.equal(goalRow(none, "native prover"), "");
    assert.doesNotMatch(none, /side by side/);
  });

  it("reports a sweep point that could not be measured, with the reason, in the table and the chart", function () {
    const points = [
      { batch: 16, figures: trades("bench", 16, { usPerConstraint: 75, gas: 257_000 }) },
      { batch: 64, error: "circom2 ran out of memory" },
    ];
    const md = benchmarksMarkdown(
      results(points[0].figures!, { base: "bench", points }),
      "s.svg",
      "b.json",
    );
    assert.match(md, /\| 64 \| not measured: circom2 ran out of memory \|/);
    const svg = scalingChart(points, "t");
    assert.match(svg, /^<svg [^>]+>/);
    assert.match(svg, /not measured/);
    assert.match(svg, /<\/svg>\n$/);
  });

  it("draws the sweep as an SVG file a browser shows on its own", async function () {
    this.timeout(60_000);
    const points = [1, 2, 4].map((batch) => ({
      batch,
      figures: trades("bench", batch, { usPerConstraint: 80, gas: 250_000 + batch * 16_000 }),
    }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-chart-"));
    try {
      const file = path.join(dir, "scaling.svg");
      fs.writeFileSync(file, scalingChart(points, "sweep"));
      const url = pathToFileURL(file).href;
      await withPage({ url }, async (page, seen) => {
        const drawn = await page.evaluate(() => {
          const svg = document.documentElement as unknown as SVGSVGElement;
          const box = svg.getBBox();
          const css = getComputedStyle(svg.querySelector(".reference")!);
          return {
            root: svg.tagName,
            width: box.width,
            panels: svg.querySelectorAll("g.panel").length,
            lines: svg.querySelectorAll("path.line").length,
            dash: css.strokeDasharray,
          };
        });
        assert.deepEqual(
          { ...drawn, width: drawn.width > 900 },
          { root: "svg", width: true, panels: 4, lines: 4, dash: "5px, 4px" },
          "its own styles apply",
        );
        assert.deepEqual(seen.requests, [url]);
        assert.deepEqual(seen.errors, []);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses unknown options, kinds and parameter sets, and writes partial runs aside", function () {
    assert.throws(() => parseBenchArgs(["--fast"]), /unknown option --fast/);
    assert.throws(() => parseBenchArgs(["--kinds", "swaps"]), /unknown batch kind "swaps"/);
    assert.throws(() => parseBenchArgs(["--sets", "huge"]), /unknown parameter set "huge"/);
    assert.throws(() => parseBenchArgs(["--sweep", "0"]), /not a batch size/);
    assert.throws(() => parseBenchArgs(["--sets"]), /--sets needs a value/);
    assert.match(parseBenchArgs(["--sets", "test"]).outDir, /artifacts[/\\]bench$/);
    assert.doesNotMatch(parseBenchArgs([]).outDir, /artifacts/);
    assert.deepEqual(parseBenchArgs(["--sweep", "none"]).sweep, []);
  });
});
