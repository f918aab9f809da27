import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { AuditReport, BatchPoint, RoundPoint } from "../../prover/src/audit/auditor.ts";
import { renderHtmlReport } from "../../prover/src/audit/report-html.ts";
import { fundingReport } from "../../prover/src/audit/report-funding.ts";
import { compartmentLines } from "../../prover/src/audit/report-compartments.ts";
import { newProgress } from "../../prover/src/audit/progress.ts";
import { FUNDING_SCALE } from "../../prover/src/domain/constants.ts";
import { withPage, type Page, type PageRecord } from "../helpers/browser.ts";

const EVIL = '<script>alert(1)</script> & "quotes"';
const CHART_KINDS = ["prices", "fund", "open-interest", "batches"];
const T0 = 1_750_000_000;

/** Ten batches of mixed kinds; the first two were not replayed (no books). */
function sampleBatches(): BatchPoint[] {
  const kinds: BatchPoint["kind"][] = [
    "deposits",
    "deposits",
    "trades",
    "trades",
    "liquidations",
    "trades",
    "withdrawals",
    "trades",
    "deposits",
    "liquidations",
  ];
  return kinds.map((kind, i) => ({
    batch: i + 1,
    kind,
    block: 100 + 7 * i,
    time: T0 + 60 * i,
    ops: kind === "deposits" ? 3 : i,
    roundId: kind === "trades" || kind === "liquidations" ? String(1000 + i) : null,
    ms: 120.5 + i,
    findings: i === 6 ? 1 : 0,
    insuranceFund: i < 2 ? null : (10n ** 24n + BigInt(i) * 10n ** 20n).toString(),
    owedToAccounts: i < 2 ? null : (5n * 10n ** 24n).toString(),
    vaultBalance: (6n * 10n ** 24n).toString(),
    openInterest: i < 2 ? null : [String(i * 1000), String(BigInt(i * i) * 10n ** 18n)],
  }));
}

/** Four oracle rounds; BTC prices exceed 2^53, ETH prices are constant. */
function sampleRounds(): RoundPoint[] {
  return [0, 1, 2, 3].map((k) => ({
    roundId: String(1000 + k),
    time: T0 + 90 * k,
    prices: [(65_000n * 10n ** 18n + BigInt(k * k) * 10n ** 20n).toString(), "300000000000"],
  }));
}

function sampleReport(over: Partial<AuditReport> = {}): AuditReport {
  const batches = sampleBatches();
  return {
    format: "zkclear-audit-report/1",
    ok: false,
    chainId: "31337",
    settlement: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    paramSet: "dev",
    markets: ["BTC-USD", "ETH-USD"],
    files: "/var/zkclear/published",
    head: { block: 163, root: (2n ** 250n + 12345n).toString(), batches: batches.length },
    checks: [
      { name: "every proof verifies locally", status: "pass", findings: 0 },
      { name: "batch files match their on-chain commitments", status: "fail", findings: 1 },
      { name: "solvency: accounts = Vault balance − pending", status: "skipped", findings: 0 },
    ],
    findings: [{ code: "FILE_TAMPERED", batch: 7, message: `batch 7: ${EVIL}` }],
    notes: ["the Vault holds up to 5 more than the accounts are owed (tokens sent to it directly)"],
    owners: { fee: "1,2", fund: "3,4", rotations: [] },
    counts: {
      batches: batches.length,
      byKind: { trades: 4, deposits: 3, withdrawals: 1, liquidations: 2, forced: 0 },
      proofsVerified: 10,
      filesChecked: 10,
      replayed: 8,
    },
    final: {
      accounts: 42,
      owedToAccounts: (5n * 10n ** 24n).toString(),
      insuranceFund: "1000900000000000000000000",
      feeAccount: "777",
      openInterest: [
        { long: "9000", short: "9000" },
        { long: "81000000000000000000", short: "81000000000000000000" },
      ],
      vaultBalance: (6n * 10n ** 24n).toString(),
      pendingWithdrawals: "123",
      queuedDeposits: "0",
    },
    timing: {
      batchesThisRun: 6,
      runMs: 4321,
      msPerBatch: 125.3,
      phasesMs: { chain: 800, verify: 2500, replay: 400, invariants: 50 },
      resumedFrom: 5,
    },
    batches,
    rounds: sampleRounds(),
    escape: sampleEscape(),
    funding: sampleFunding(),
    breakers: {
      rule: { moveBps: "2500", cooldownSeconds: "900" },
      walked: true,
      trips: [
        {
          market: 0,
          roundId: "1002",
          previousPrice: "6000000",
          price: "3600000",
          until: T0 + 900,
        },
      ],
    },
    margins: {
      rule: {
        span: "32",
        refBps: "100",
        floorBps: "10000",
        ceilBps: "30000",
        graceSeconds: "3600",
      },
      walked: true,
      current: [
        { mult: "25000", liqMult: "10000" },
        { mult: "10000", liqMult: "10000" },
      ],
      changes: [{ roundId: "1002", market: 0, mult: "25000", liqMult: "10000" }],
    },
    compartments: {
      now: { reserve: "3000000", roundId: "1003", compartments: ["1500000", "2000000"] },
      changes: [
        {
          batch: 5,
          kind: "liquidations",
          roundId: "1001",
          liquidated: 0,
          reserve: "3000000",
          reserveDelta: "-2000000",
          compartments: ["2000000", "2000000"],
          deltas: ["2000000", "0"],
          funding: ["0", "0"],
          move: { market: 0, amount: "2000000", toReserve: false },
          deleveraged: [],
        },
        {
          batch: 8,
          kind: "liquidations",
          roundId: "1002",
          liquidated: 2,
          reserve: "3000000",
          reserveDelta: "0",
          compartments: ["1500000", "2000000"],
          deltas: ["-500000", "0"],
          funding: ["-7", "0"],
          move: null,
          deleveraged: [
            {
              market: 0,
              price: "4650000",
              entries: [
                { account: "4", lots: "2" },
                { account: "9", lots: "1" },
              ],
            },
          ],
        },
      ],
    },
    ...over,
  };
}

/** A ledger and two ticks: the first follows the rule, the second departs from it. */
function sampleFunding(): AuditReport["funding"] {
  return {
    ledger: { paid: "12001", received: "12000", unsettled: "0", kept: "1", settlements: 4 },
    ticks: [
      {
        tick: 1,
        block: 120,
        priceRound: "1001",
        prices: ["6000000", "300000"],
        ratesPpm: ["500", "0"],
        rulePpm: ["500", "0"],
        indices: ["3145728000", "0"],
      },
      {
        tick: 2,
        block: 150,
        priceRound: "1003",
        prices: ["6000000", "300000"],
        ratesPpm: ["700", "-20"],
        rulePpm: ["-500", "-20"],
        indices: ["7549747200", "-6291456"],
      },
    ],
  };
}

/** Two forced requests (one paid, one unanswered at the freeze), the freeze, two exits. */
function sampleEscape(): AuditReport["escape"] {
  const forced = {
    account: "3",
    recipient: "0x00000000000000000000000000000000000a11ce",
    requester: "0x00000000000000000000000000000000000a11ce",
  };
  return {
    forcedDeadline: "604800",
    forced: [
      {
        ...forced,
        index: 0,
        amount: "1234",
        requestedAt: T0,
        dueAt: T0 + 604_800,
        batch: 4,
        answeredAt: T0 + 60,
        outcome: "paid",
        status: "answered",
      },
      {
        ...forced,
        index: 1,
        amount: (10n ** 24n).toString(),
        requestedAt: T0 + 100,
        dueAt: T0 + 604_900,
        batch: null,
        answeredAt: null,
        outcome: null,
        status: "unanswered at the freeze",
      },
    ],
    freeze: {
      block: 160,
      time: T0 + 700_000,
      by: "0x00000000000000000000000000000000000b0b00",
      root: (2n ** 250n + 12345n).toString(),
      batches: 10,
      roundId: "1003",
      backing: (6n * 10n ** 24n).toString(),
    },
    exits: [
      { account: 3, recipient: forced.recipient, payout: "5000", paid: "5000" },
      { account: 4, recipient: forced.recipient, payout: "7000", paid: null },
    ],
  };
}

/** An audit of an empty deployment: nothing settled, nothing to draw. */
function emptyReport(): AuditReport {
  return sampleReport({
    ok: true,
    files: null,
    head: { block: 0, root: "0", batches: 0 },
    checks: [{ name: "every proof verifies locally", status: "pass", findings: 0 }],
    findings: [],
    notes: [],
    final: null,
    counts: {
      batches: 0,
      byKind: { trades: 0, deposits: 0, withdrawals: 0, liquidations: 0, forced: 0 },
      proofsVerified: 0,
      filesChecked: 0,
      replayed: 0,
    },
    timing: { batchesThisRun: 0, runMs: 12, msPerBatch: null, phasesMs: {}, resumedFrom: null },
    batches: [],
    rounds: [],
    escape: { forcedDeadline: "604800", forced: [], freeze: null, exits: [] },
    funding: { ledger: null, ticks: [] },
    breakers: { rule: null, walked: false, trips: [] },
    margins: { rule: null, walked: false, current: [], changes: [] },
  });
}

/** Each chart's <svg> markup by its data-chart name. */
function charts(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<svg\b[^>]*\bdata-chart="([^"]+)"[^>]*>[\s\S]*?<\/svg>/g))
    out.set(m[1], m[0]);
  return out;
}

/**
 * Opens the report file in headless Chromium (from the npm package, test/helpers/browser.ts) and
 * returns the number its script wrote into body[data-charts-rendered] and what the page loaded.
 */
async function openReport<T>(
  file: string,
  fn: (page: Page, seen: PageRecord) => Promise<T> = async () => undefined as T,
): Promise<{ rendered: number | null; seen: PageRecord; result: T }> {
  const url = pathToFileURL(file).href;
  const viewport = { width: 1200, height: 3000 };
  return withPage(
    { url },
    async (page, seen) => {
      const n = await page.evaluate(() => document.body.dataset.chartsRendered ?? null);
      return { rendered: n === null ? null : Number(n), seen, result: await fn(page, seen) };
    },
    { viewport },
  );
}

describe("audit HTML report", function () {
  let dir: string;

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-report-"));
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is one self-contained document", function () {
    const html = renderHtmlReport(sampleReport());
    assert.match(html, /^<!doctype html>/i);
    assert.equal(html.match(/<html\b/g)?.length, 1);
    assert.doesNotMatch(html, /\b(?:src|href|xlink:href|action|srcset)\s*=/i);
    assert.doesNotMatch(html, /url\(|@import|<link\b|<img\b|<iframe\b|<object\b|<embed\b/i);
    assert.doesNotMatch(html, /\w+:\/\//, "no URL of any scheme");
    assert.equal(html.match(/<script\b/g)?.length, 1, "only the inline chart-count script");
  });

  it("prints an HTTP batch file source as text, not as a link", function () {
    const html = renderHtmlReport(sampleReport({ files: "https://operator.example/v1/published" }));
    assert.ok(html.includes(">https://operator.example/v1/published<"));
    assert.doesNotMatch(html, /\b(?:src|href)\s*=/i);
  });

  it("escapes every string from the report", function () {
    const html = renderHtmlReport(
      sampleReport({ markets: ["<b>BTC</b>", "ETH&USD"], notes: [`note ${EVIL}`] }),
    );
    assert.ok(!html.includes("<script>alert(1)</script>"), "raw script tag from a message");
    assert.ok(!html.includes("<b>BTC</b>"));
    assert.ok(
      html.includes("batch 7: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
    );
    assert.ok(html.includes("note &lt;script&gt;"));
    assert.ok(html.includes("ETH&amp;USD"));
    assert.ok(!/ETH&USD/.test(html));
  });

  it("shows the verdict, the checks, the findings and the final books", function () {
    const html = renderHtmlReport(sampleReport());
    assert.match(html, /class="verdict fail"><strong>FAIL<\/strong><span>1 finding</);
    for (const s of ["pass", "fail", "skipped"])
      assert.match(html, new RegExp(`badge ${s}">${s}<`));
    assert.ok(html.includes("<code>FILE_TAMPERED</code>"));
    assert.ok(html.includes("/var/zkclear/published"));
    assert.ok(html.includes("from batch 5"));
    assert.ok(html.includes((2n ** 250n + 12345n).toString()), "the exact head root");
    assert.ok(html.includes("1,000,900,000,000,000,000,000,000"), "the insurance fund");
    assert.ok(html.includes("81,000,000,000,000,000,000"), "ETH-USD open interest");
    const order = ["<h1>", ">Checks<", ">Findings<", ">Final books<", ">Charts<", ">Batches<"];
    const at = order.map((s) => html.indexOf(s));
    assert.ok(at.every((i) => i >= 0));
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
      "sections in order",
    );

    const passing = renderHtmlReport(sampleReport({ ok: true, findings: [], final: null }));
    assert.match(passing, /class="verdict pass"><strong>PASS</);
    assert.ok(passing.includes("No findings."));
    assert.match(passing, /Final books<\/h2><p class="none">Not available/);
  });

  it("lists each forced request with its deadline and answer, the freeze and each exit", function () {
    const html = renderHtmlReport(sampleReport());
    const section = html.slice(
      html.indexOf("<h2>Escape hatch</h2>"),
      html.indexOf("<h2>Charts</h2>"),
    );
    assert.match(section, /Forced requests \(deadline 604800 s\)/);
    assert.match(section, /batch 4, 2025-06-15T15:07:40Z<\/td><td>paid<\/td>/);
    assert.match(section, /badge fail">unanswered at the freeze</);
    assert.match(
      section,
      /Frozen at block 160 .* after 10 batches; exit prices of oracle round 1003/,
    );
    assert.match(
      section,
      /<td>4<\/td><td><code>0x0+a11ce<\/code><\/td><td><span class="num" title="7000">7,000<\/span><\/td><td>claimed, not yet paid</,
    );
    const empty = renderHtmlReport(emptyReport());
    assert.match(empty, /No forced request, no freeze, no exit\./);
  });

  it("shows the funding ledger and each tick's rates beside the rule's", function () {
    const html = renderHtmlReport(sampleReport());
    const section = html.slice(
      html.indexOf("<h2>Funding</h2>"),
      html.indexOf("<h2>Escape hatch</h2>"),
    );
    assert.ok(html.indexOf(">Final books<") < html.indexOf("<h2>Funding</h2>"));
    assert.match(
      section,
      /paid by the accounts that owed<\/th><td><span class="num" title="12001">12,001</,
    );
    assert.match(section, /rounding kept by the system<\/th><td><span class="num" title="1">1</);
    assert.match(
      section,
      /still owed by positions, not settled yet<\/th><td><span class="num" title="0">0</,
    );
    assert.match(section, /<th>settlements<\/th><td>4</);
    assert.match(section, /<th>BTC-USD rate \(ppm\)<\/th><th>BTC-USD rule \(ppm\)<\/th>/);
    assert.match(
      section,
      /<td>1<\/td><td>120<\/td><td>1001<\/td><td class="num">500<\/td><td class="num">500<\/td>/,
    );
    assert.match(section, /<td class="num">700<\/td><td class="num">-500<\/td>/);
    assert.equal(section.match(/badge pass">follows</g)?.length, 1);
    assert.equal(section.match(/badge fail">departs</g)?.length, 1);
    const empty = renderHtmlReport(emptyReport());
    assert.match(empty, /Ledger<\/h3><p class="none">Not available: no batch files/);
    assert.match(empty, /No funding tick\./);
  });

  it("shows the circuit breakers' rule and each trip", function () {
    const html = renderHtmlReport(sampleReport());
    const section = html.slice(
      html.indexOf("<h2>Circuit breakers</h2>"),
      html.indexOf("<h2>Escape hatch</h2>"),
    );
    assert.ok(html.indexOf("<h2>Funding</h2>") < html.indexOf("<h2>Circuit breakers</h2>"));
    assert.match(section, /more than 2500 bps of the previous round's price/);
    assert.match(section, /for 900 s of round time/);
    assert.match(section, /walked the rule over every round/);
    assert.match(
      section,
      /<tr data-trip="1002-0"><td>1002<\/td><td>BTC-USD<\/td><td class="num">6000000<\/td><td class="num">3600000<\/td><td class="num">-40.0 %<\/td><td>/,
    );
    assert.ok(section.includes(`<td>${new Date((T0 + 900) * 1000).toISOString()}</td></tr>`));
    assert.match(renderHtmlReport(emptyReport()), /The oracle's rule was not read\./);
    const none = renderHtmlReport(
      sampleReport({
        breakers: { rule: { moveBps: "1", cooldownSeconds: "1" }, walked: false, trips: [] },
      }),
    );
    assert.match(none, /No breaker tripped\./);
    assert.match(none, /masks were taken as recorded/);
  });

  it("shows the volatility margin rule, the multipliers now and each change", function () {
    const html = renderHtmlReport(sampleReport());
    const section = html.slice(
      html.indexOf("<h2>Volatility margins</h2>"),
      html.indexOf("<h2>Escape hatch</h2>"),
    );
    assert.ok(
      html.indexOf("<h2>Circuit breakers</h2>") < html.indexOf("<h2>Volatility margins</h2>"),
    );
    assert.match(section, /over a 32-round window \(1x at 100 bps\), between 1\.00x and 3\.00x/);
    assert.match(section, /a rise reaches liquidations after 3600 s/);
    assert.match(
      section,
      /At the last round: BTC-USD 2\.50x \(liquidation 1\.00x\); ETH-USD 1\.00x/,
    );
    assert.match(
      section,
      /<tr data-margins="1002-0"><td>1002<\/td><td>BTC-USD<\/td><td class="num">2\.50x<\/td><td class="num">1\.00x<\/td><\/tr>/,
    );
    const none = renderHtmlReport(
      sampleReport({
        margins: {
          rule: { span: "1", refBps: "1", floorBps: "10000", ceilBps: "10000", graceSeconds: "1" },
          walked: false,
          current: [],
          changes: [],
        },
      }),
    );
    assert.match(none, /No change\./);
    assert.match(none, /multipliers were not recomputed/);
  });

  it("shows the insurance compartments now and each batch that changed them", function () {
    const html = renderHtmlReport(sampleReport());
    const section = html.slice(
      html.indexOf("<h2>Insurance compartments</h2>"),
      html.indexOf("<h2>Circuit breakers</h2>"),
    );
    assert.ok(html.indexOf("<h2>Funding</h2>") < html.indexOf("<h2>Insurance compartments</h2>"));
    assert.match(
      section,
      /<th>reserve<\/th><td><span class="num" title="3000000">3,000,000<\/span>/,
    );
    assert.match(section, /<th>ETH-USD at round 1003<\/th><td><span class="num" title="2000000">/);
    assert.match(section, /<tr data-compartments="5">.*move 2000000 from the reserve to BTC-USD/);
    assert.match(section, /<tr data-compartments="8">.*\(funding -7\)/);
    assert.match(
      section,
      /<tr data-compartments="8">.*BTC-USD deleveraged: 3 lot\(s\) at 4650000 \(account 4 2, account 9 1\)/,
    );
    const lines = compartmentLines(sampleReport().compartments, ["BTC-USD", "ETH-USD"]);
    assert.deepEqual(lines, [
      "insurance compartments: reserve 3000000; at round 1003: BTC-USD 1500000, ETH-USD 2000000; 2 batch(es) changed them",
      "  batch 5 (liquidations, round 1001): BTC-USD +2000000; reserve -2000000; move 2000000 from the reserve to BTC-USD",
      "  batch 8 (liquidations, round 1002, 2 liquidated): BTC-USD -500000 (funding -7); BTC-USD deleveraged: 3 lot(s) at 4650000 (account 4 2, account 9 1)",
    ]);
    const none = renderHtmlReport(sampleReport({ compartments: { now: null, changes: [] } }));
    assert.match(none, /the history was not replayed to the end\./);
    assert.match(none, /No batch changed them\./);
  });

  it("separates the funding positions still owe from the rounding the system kept", function () {
    // longs paid 10 units, settled exactly 9.5 (the basis); the shorts were not read yet
    const p = newProgress(0n, 0, true);
    p.funding = { paid: 10n, received: 0n, settlements: 1, basis: (19n * FUNDING_SCALE) / 2n };
    const l = fundingReport(p).ledger!;
    // the shorts are still owed 9.5 (shown truncated), and the system kept the payer's 0.5
    assert.deepEqual([l.unsettled, l.kept], ["-9", "0"]);
    // once the shorts are read they receive 9 (9.5 rounded down): nothing is owed, 1 kept
    p.funding = { ...p.funding, received: 9n, settlements: 2, basis: 0n };
    assert.deepEqual(
      [fundingReport(p).ledger!.unsettled, fundingReport(p).ledger!.kept],
      ["0", "1"],
    );
  });

  it("draws the four charts from the report's numbers", function () {
    const html = renderHtmlReport(sampleReport());
    const svgs = charts(html);
    assert.deepEqual([...svgs.keys()], CHART_KINDS);
    for (const svg of svgs.values()) {
      assert.match(svg, /^<svg class="chart"/);
      assert.ok(!svg.includes("no data"));
      assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
    }
    const points = (k: string) => Number(/data-points="(\d+)"/.exec(svgs.get(k)!)![1]);
    assert.equal(points("prices"), 8, "4 rounds × 2 markets");
    assert.equal(points("fund"), 8, "the 2 batches without books are skipped");
    assert.equal(points("open-interest"), 16);
    assert.equal(points("batches"), 10);
    // Small multiples (markets differ by orders of magnitude): one labelled panel each.
    for (const k of ["prices", "open-interest"]) {
      assert.match(svgs.get(k)!, /class="panel-title"[^>]*>BTC-USD<[\s\S]*>ETH-USD</, k);
      assert.equal(svgs.get(k)!.match(/class="panel"/g)?.length, 2, k);
    }
    // Close values (1.0002e24 … 1.0009e24) still get distinct y tick labels.
    const labels = [
      ...svgs.get("fund")!.matchAll(/class="tick y"[^>]*><title>[^<]*<\/title>([^<]*)</g),
    ];
    assert.equal(labels.length, 3);
    assert.equal(new Set(labels.map((m) => m[1])).size, 3, labels.map((m) => m[1]).join(" "));
    // A legend where one panel has several series.
    assert.match(svgs.get("batches")!, /class="legend"/);
    for (const k of ["trades (4)", "deposits (3)", "withdrawals (1)", "liquidations (2)"])
      assert.ok(svgs.get("batches")!.includes(k), k);
  });

  it("draws a single point as a dot and a constant series as a flat line", function () {
    const [b] = sampleBatches().slice(2);
    const html = renderHtmlReport(
      sampleReport({ batches: [b], rounds: sampleRounds().map((r) => ({ ...r, prices: ["5"] })) }),
    );
    const svgs = charts(html);
    assert.match(svgs.get("fund")!, /<circle class="dot"/);
    assert.doesNotMatch(svgs.get("fund")!, /<path/);
    const flat = /<path class="line" d="([^"]+)"/.exec(svgs.get("prices")!);
    assert.ok(flat);
    const ys = new Set([...flat[1].matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => m[1]));
    assert.equal(ys.size, 1, "constant prices draw a flat line");
    assert.doesNotMatch(html, /NaN|Infinity/);
  });

  it("folds a long batch table into <details>", function () {
    const short = renderHtmlReport(sampleReport());
    assert.ok(!short.includes("<details"));
    const many = Array.from({ length: 60 }, (_, i) => ({
      ...sampleBatches()[i % 10],
      batch: i + 1,
    }));
    const long = renderHtmlReport(sampleReport({ batches: many }));
    assert.match(long, /<details><summary>Show all 60 batches<\/summary><table class="batches">/);
    assert.equal(long.match(/<tr>/g)!.length - short.match(/<tr>/g)!.length, 50);
  });

  it("renders all four charts in headless Chromium, loading nothing else", async function () {
    this.timeout(60_000);
    const file = path.join(dir, "report.html");
    fs.writeFileSync(file, renderHtmlReport(sampleReport()));
    const {
      rendered,
      seen,
      result: png,
    } = await openReport(file, (page) => page.screenshot({ fullPage: true }));
    assert.equal(rendered, 4);
    assert.deepEqual(seen.requests, [pathToFileURL(file).href], "the page loads only itself");
    assert.deepEqual(seen.errors, [], "no script error, no CSP violation");
    assert.equal(Buffer.from(png).subarray(1, 4).toString("latin1"), "PNG");
    assert.ok(png.length > 20_000, `screenshot is only ${png.length} bytes`);
  });

  it("renders 'no data' charts for an empty history, in the browser too", async function () {
    this.timeout(60_000);
    const html = renderHtmlReport(emptyReport());
    const svgs = charts(html);
    assert.deepEqual([...svgs.keys()], CHART_KINDS);
    for (const [k, svg] of svgs) assert.ok(svg.includes(">no data<"), `${k} says no data`);
    assert.ok(html.includes("none: chain and proofs only"));
    assert.ok(html.includes("No batches."));
    assert.ok(html.includes("no findings in 0 batches"));

    const file = path.join(dir, "empty.html");
    fs.writeFileSync(file, html);
    const { rendered, seen } = await openReport(file);
    assert.equal(rendered, 4);
    assert.deepEqual(seen.errors, []);
  });
});
