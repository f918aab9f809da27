/** The explorer page's stylesheet (inline in the page: no request for it, system fonts only). */
export const EXPLORER_CSS = `
:root { color-scheme: light; --fg: #1d2430; --muted: #5c6675; --line: #d9dee6; --bg: #f6f7f9; --accent: #2457c5; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header, main, .banner { max-width: 1180px; margin: 0 auto; padding: 12px 20px; }
header h1 { margin: 8px 0 4px; font-size: 22px; }
.deployment { margin: 2px 0; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 14px 0; }
h2 { font-size: 16px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
.num { font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; }
.none, .empty, .note { color: var(--muted); }
.banner { border-radius: 6px; margin-top: 8px; }
.banner.live { background: #e7f5ea; border: 1px solid #9fd3aa; }
.banner.frozen { background: #fdecea; border: 1px solid #f0a39b; }
.kind { padding: 1px 6px; border-radius: 4px; background: #eef1f6; }
.kind-liquidations, .kind-forced { background: #fff1d6; }
.status-refused, .status-dropped, .forced-overdue, .forced-refused { color: #b3261e; }
.forced-paid { color: #1e7a34; }
.anomaly-active td { background: #fdecea; } .anomaly-active [data-k="status"] { color: #b3261e; font-weight: 600; }
td[data-k="message"] { white-space: normal; }
dl.funds { display: grid; grid-template-columns: max-content auto; gap: 4px 16px; margin: 10px 0 0; }
dl.funds dt { color: var(--muted); }
dl.funds dd { margin: 0; }
textarea { width: 100%; font: 12px ui-monospace, monospace; margin: 6px 0; }
button { font: inherit; padding: 5px 12px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
.error { color: #b3261e; font-weight: 600; }
#account-view table { margin: 8px 0; }
.ok { color: #1e7a34; } .bad { color: #b3261e; }
a.download { display: inline-block; margin-top: 6px; }
`;
