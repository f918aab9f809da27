import { reduceOnlyMarkets } from "../domain/breakers.ts";
import { grouped, h, type Safe } from "../report/markup.ts";
import {
  ANOMALY_KIND_NAMES,
  ANOMALY_WINDOW_MS,
  anomalyKey,
  anomalyMarket,
  type AnomalyRecord,
} from "../domain/anomalies.ts";
import type {
  ExplorerAnomalies,
  ExplorerBatch,
  ExplorerForcedRequest,
  ExplorerRound,
  ExplorerSnapshot,
} from "./source.ts";
import { EXPLORER_CSS } from "./style.ts";

/**
 * The explorer page, rendered on the server from a snapshot (GET /explorer): every figure
 * is in the markup with its exact value in `data-value` (the tests read those), grouped
 * digits for people. The account view is the one part that runs in the browser
 * (./client.ts, served from /explorer/app.js): the key holder pastes a signed query and
 * the page asks GET /v1/explorer/accounts/:index. Nothing is loaded from elsewhere.
 */

/** A number with its exact value kept for machines; `k` names it for tests. */
function num(value: bigint | number | null, k?: string): Safe {
  if (value === null) return h`<span class="none" data-k="${k ?? null}">—</span>`;
  return h`<span class="num" data-k="${k ?? null}" data-value="${value.toString()}">${grouped(value)}</span>`;
}

/** A long hex or decimal value cut to its ends, the whole in its title. */
function short(value: bigint | string | null, k?: string): Safe {
  if (value === null) return h`<span class="none">—</span>`;
  const s = typeof value === "bigint" ? `0x${value.toString(16)}` : value;
  const cut = s.length > 18 ? `${s.slice(0, 10)}…${s.slice(-6)}` : s;
  return h`<code title="${s}" data-k="${k ?? null}" data-value="${typeof value === "bigint" ? value.toString() : value}">${cut}</code>`;
}

function time(t: number | null): Safe {
  if (t === null) return h`<span class="none">—</span>`;
  const iso = new Date(t * 1000).toISOString().replace(".000Z", "Z");
  return h`<time datetime="${iso}" data-value="${t}">${iso.replace("T", " ")}</time>`;
}

/** Seconds as people say them: "7 days", "2 h 30 min", "45 s". */
export function duration(seconds: number): string {
  if (seconds > 0 && seconds % 86_400 === 0)
    return `${seconds / 86_400} day${seconds === 86_400 ? "" : "s"}`;
  if (seconds >= 3600)
    return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${seconds} s`;
}

function section(id: string, title: string, body: Safe, note?: string): Safe {
  return h`<section id="${id}"><h2>${title}</h2>${note ? h`<p class="note">${note}</p>` : null}${body}</section>`;
}

function table(head: readonly string[], rows: readonly Safe[], empty: string): Safe {
  if (rows.length === 0) return h`<p class="empty">${empty}</p>`;
  return h`<table><thead><tr>${head.map((c) => h`<th>${c}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
}

function batchRow(b: ExplorerBatch): Safe {
  return h`<tr data-batch="${b.id}">
<td>${num(b.id)}</td><td><span class="kind kind-${b.kind}">${b.kind}</span></td>
<td class="status-${b.status}">${b.status}</td>
<td>${short(b.oldRoot, "old-root")}</td><td>${short(b.newRoot, "new-root")}</td>
<td>${short(b.commitment, "commitment")}</td><td>${num(b.round, "round")}</td>
<td>${b.proof ? h`<a href="${b.proof.url}" title="the whole proof (JSON)"><code>${b.proof.short}</code></a>` : h`<span class="none">not proven yet</span>`}</td>
<td>${short(b.txHash, "tx")}</td></tr>`;
}

function roundRow(r: ExplorerRound): Safe {
  return h`<tr data-round="${r.id.toString()}"><td>${num(r.id)}</td><td>${time(r.time)}</td>${r.prices.map((p, j) => h`<td>${num(p, `price-${j}`)}</td>`)}<td data-k="reduce-only">${reduceOnlyText(r.reduceOnly, r.prices.length)}</td></tr>`;
}

/** The markets a round's circuit breakers made reduce-only ("none"; "?" when unknown). */
function reduceOnlyText(mask: bigint | null, markets: number): string {
  if (mask === null) return "?";
  const tripped = reduceOnlyMarkets(mask, markets);
  return tripped.length ? tripped.map((j) => `market ${j}`).join(", ") : "none";
}

function forcedRow(f: ExplorerForcedRequest): Safe {
  const status =
    f.status === "answered" ? (f.outcome ?? "answered") : f.overdue ? "overdue" : "pending";
  return h`<tr data-forced="${f.index}"><td>${num(f.index)}</td><td>${num(f.account, "account")}</td>
<td>${num(f.amount, "amount")}</td><td>${time(f.requestedAt)}</td><td>${time(f.dueAt)}</td>
<td class="forced-${status}" data-k="status">${status}</td><td>${num(f.batch, "batch")}</td></tr>`;
}

function anomalyRow(a: AnomalyRecord): Safe {
  const status = a.until === null ? "active" : "ended";
  return h`<tr data-anomaly="${anomalyKey(a)}" class="anomaly-${status}"><td data-k="kind">${a.kind}</td>
<td data-k="market">${anomalyMarket(a)}</td><td data-k="status">${status}</td>
<td>${num(Math.round(a.peakBps), "peak-bps")} bps</td><td>${num(a.thresholdBps, "threshold-bps")} bps</td>
<td>${time(a.since)}</td><td>${time(a.until)}</td><td data-k="message">${a.message}</td></tr>`;
}

/** The operator's anomalies: active first, then the latest ended ones, and the thresholds. */
function anomalies(a: ExplorerAnomalies | null): Safe {
  if (!a)
    return h`<p class="empty">This source does not watch for anomalies (the operator does).</p>`;
  const thresholds = ANOMALY_KIND_NAMES.map((k) => `${k} > ${a.thresholds[k]} bps`).join(", ");
  return h`${table(
    ["kind", "market", "status", "peak", "threshold", "since", "until", "what happened"],
    [...a.active, ...a.recent].map(anomalyRow),
    "no anomaly seen",
  )}
<p class="note">Thresholds: ${thresholds} (price jumps and the signers' spread per market and round; the fund's fall and the withdrawals within ${ANOMALY_WINDOW_MS / 60_000} min). Detection only: nothing is paused by it.</p>`;
}

function freezeBanner(s: ExplorerSnapshot): Safe {
  const f = s.freeze;
  if (!f)
    return h`<div class="banner live" id="freeze" data-frozen="false">Live: not frozen. A forced request not answered within ${duration(s.forced.deadline)} lets anyone freeze the exchange.</div>`;
  return h`<div class="banner frozen" id="freeze" data-frozen="true"><strong>Frozen</strong> at ${time(f.at)},
after ${num(f.batches, "freeze-batches")} batches, root ${short(f.root, "freeze-root")}, exit prices of oracle round ${num(f.roundId, "freeze-round")}.
Exits so far: ${num(f.exits, "exits")} (claiming ${num(f.claimed, "exits-claimed")}). Accounts leave by exits; download your exit data below.</div>`;
}

function accountForm(): Safe {
  return h`<form id="account-form" autocomplete="off">
<label for="query">Your signed account query (<code>zkclear account --key &lt;keystore&gt; --account &lt;n&gt; --print-query</code>, valid 5 minutes):</label>
<textarea id="query" name="query" rows="5" spellcheck="false" placeholder='{"account":"3","timestamp":"…","r8x":"…","r8y":"…","s":"…"}'></textarea>
<button type="submit" id="account-show">Show my account</button>
</form>
<p id="account-error" class="error" role="alert" hidden></p>
<div id="account-view" hidden></div>`;
}

/** The whole page for a snapshot. */
export function renderExplorerPage(s: ExplorerSnapshot): string {
  const d = s.deployment;
  const markets = s.markets.map(
    (m) =>
      h`<tr data-market="${m.index}"><td>${m.index}</td><td>${num(m.mark, `mark-${m.index}`)}</td><td>${num(m.openInterestLong, `oi-long-${m.index}`)}</td><td>${num(m.openInterestShort, `oi-short-${m.index}`)}</td><td>${num(m.compartment, `compartment-${m.index}`)}</td></tr>`,
  );
  const priceHeads = s.markets.map((m) => `price ${m.index}`);
  const body = h`<header><h1>zkclear explorer</h1>
<p class="deployment">chain <code data-k="chain" data-value="${d.chainId.toString()}">${d.chainId.toString()}</code> · Settlement ${short(d.settlement, "settlement")} · parameters <code>${d.params}</code> ·
served by <strong data-k="source">${d.source}</strong>${d.member ? h` (member ${short(d.member, "member")})` : null}</p>
<p class="deployment">state root ${short(s.root, "root")} · on-chain root ${short(s.chainRoot, "chain-root")} · as of ${time(s.at)} · <a href="/explorer">refresh</a> · <a href="/v1/explorer">JSON</a></p>
</header>
${freezeBanner(s)}
<main>
${section(
  "overview",
  "Markets and funds",
  h`${table(["market", "mark", "open interest long", "open interest short", "insurance compartment"], markets, "no markets")}
<dl class="funds"><dt>insurance fund reserve</dt><dd>${num(s.insuranceFund, "insurance-fund")}</dd><dt>fee account</dt><dd>${num(s.feeAccount, "fee-account")}</dd><dt>batches</dt><dd>${num(s.batchCount, "batch-count")}</dd></dl>`,
)}
${section("anomalies", "Anomalies", anomalies(s.anomalies))}
${section("account", "Your account", accountForm(), "Your collateral, positions, equity and margin at the latest prices, and your exit data, for the key holder only.")}
${section(
  "batches",
  "Latest batches",
  table(
    ["#", "kind", "status", "old root", "new root", "commitment", "round", "proof", "transaction"],
    s.batches.map(batchRow),
    "no batches yet",
  ),
)}
${section("rounds", "Oracle rounds", table(["round", "time", ...priceHeads, "reduce-only (circuit breaker)"], s.rounds.map(roundRow), "no oracle round yet"))}
${section(
  "forced",
  "Forced withdrawal requests",
  table(
    ["#", "account", "amount", "requested", "deadline", "status", "batch"],
    s.forced.requests.map(forcedRow),
    "no forced request",
  ),
  `The operator must answer each within ${duration(s.forced.deadline)} of its request, or anyone may freeze the exchange.`,
)}
</main>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zkclear explorer</title>
<link rel="icon" href="data:,">
<style>${EXPLORER_CSS}</style>
</head><body>${body.html}
<script src="/explorer/app.js"></script>
</body></html>
`;
}
