import assert from "node:assert/strict";
import {
  bigintAxis,
  drawChart,
  endsAxis,
  log2Axis,
  measureAxis,
  type Panel,
} from "../../prover/src/report/svg-chart.ts";

const panel = (over: Partial<Panel<number, number>> = {}): Panel<number, number> => ({
  x: endsAxis([0, 10], String),
  y: measureAxis([5]),
  series: [{ name: "s", color: "#123456", points: [0, 5, 10].map((x) => ({ x, y: 5 })) }],
  xCaption: "x",
  ...over,
});

describe("SVG chart module", function () {
  it("places exact integers beyond 2^53 and labels close ticks distinctly", function () {
    const big = 2n ** 200n;
    assert.deepEqual([big, big + 1n, big + 4n].map(bigintAxis([big, big + 4n]).at), [0, 0.25, 1]);
    const fund = [1_000_200n, 1_000_900n, 1_000_500n].map((v) => v * 10n ** 18n);
    const axis = bigintAxis(fund);
    assert.deepEqual(
      axis.ticks.map((t) => t.label),
      ["1.0002e24", "1.0005e24", "1.0009e24"],
      "as many digits as distinct ticks need",
    );
    assert.deepEqual(
      axis.ticks.map((t) => t.title),
      ["1000200", "1000550", "1000900"].map((v) => `${v}000000000000000000`),
      "exact digits as tooltips",
    );
    assert.equal(bigintAxis([7n, 7n]).at(7n), 0.5, "a constant sits in the middle");
    assert.equal(bigintAxis([5n, 9n], true).at(0n), 0, "zero-based includes 0");
  });

  it("puts round ticks on linear and log measures, and sizes on a log2 scale", function () {
    const lin = measureAxis([0.3, 150.4]);
    assert.equal(lin.at(0), 0);
    assert.deepEqual(
      lin.ticks.map((t) => t.label),
      ["0", "50", "100", "150"],
    );
    const log = measureAxis([4_029, 257_800, 17_000], true);
    assert.deepEqual(
      log.ticks.map((t) => t.label),
      ["5k", "10k", "20k", "50k", "100k", "200k"],
    );
    assert.ok(log.ticks.every((t) => t.at > 0 && t.at < 1));
    const sizes = log2Axis([1, 2, 4, 8, 16, 32, 64]);
    assert.deepEqual([1, 8, 64].map(sizes.at), [0, 0.5, 1]);
    assert.equal(log2Axis([16]).at(16), 0.5);
  });

  it("draws inline markup for a page, and a standalone file with its own styles", function () {
    const inline = drawChart({
      title: "t",
      legend: [],
      panels: [panel()],
      columns: 1,
      panelHeight: 200,
    }).html;
    assert.match(inline, /^<svg class="chart" viewBox="0 0 960 \d+"/);
    assert.doesNotMatch(inline, /xmlns|<style/, "the page has the namespace and the styles");
    const file = drawChart({
      title: "t",
      legend: [],
      panels: [
        panel({ references: [{ value: 4, label: "goal <4>" }], notes: [{ x: 10, label: "n" }] }),
      ],
      columns: 1,
      panelHeight: 200,
      standalone: true,
    }).html;
    assert.match(file, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart"/);
    assert.match(file, /<style>svg\.chart \{/);
    assert.match(
      file,
      /<line class="reference"[^>]*\/><text class="reference-label"[^>]*>goal &lt;4&gt;</,
    );
    assert.match(file, /<text class="note" x="944" /, "the note at x = 10, the plot's right end");
  });

  it("thins a long series to what a pixel column shows, keeping each column's extremes", function () {
    const n = 20_000;
    const points = Array.from({ length: n }, (_, i) => ({ x: i, y: i === 12_345 ? 1e6 : i % 97 }));
    const svg = drawChart({
      title: "t",
      legend: [],
      panels: [
        panel({
          x: endsAxis([0, n - 1], String),
          y: measureAxis([1e6]),
          series: [{ name: "s", color: "#000", points }],
        }),
      ],
      columns: 1,
      panelHeight: 200,
    }).html;
    const d = /<path class="line" d="([^"]+)"/.exec(svg)![1];
    const drawn = d.split(/[ML]/).filter(Boolean).length;
    assert.ok(drawn < 4 * 900 && drawn > 868, `${drawn} points drawn`);
    const top = Math.min(
      ...d
        .split(/[ML]/)
        .filter(Boolean)
        .map((p) => Number(p.split(",")[1])),
    );
    assert.equal(top, 85.5, "the spike is kept: plot top 68 + 134 × (1 − 1e6 / 1.15e6)");
  });
});
