/**
 * The explorer's one script (GET /explorer/app.js): the account view. It reads the signed
 * query the key holder pasted, asks GET /v1/explorer/accounts/:index with it, and shows the
 * answer or the refusal (its code and message); the exit data link carries the same query.
 * Plain ES5-style JavaScript, no dependencies, DOM text only (nothing parsed as markup).
 */
export const EXPLORER_CLIENT_JS = String.raw`(function () {
  "use strict";
  var form = document.getElementById("account-form");
  if (!form) return;
  var errorBox = document.getElementById("account-error");
  var view = document.getElementById("account-view");
  var FIELDS = ["account", "timestamp", "r8x", "r8y", "s"];

  function fail(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    view.hidden = true;
  }

  // the query, or a refusal in the server's form ({ error: code, message }): shown alike
  function parseQuery(text) {
    var bad = function (message) {
      return { refusal: { error: "FORMAT_INVALID", message: message } };
    };
    var q;
    try {
      q = JSON.parse(text);
    } catch (e) {
      return bad("the query is not JSON: paste what zkclear account --print-query printed");
    }
    if (!q || typeof q !== "object" || Array.isArray(q)) return bad("the query must be a JSON object");
    for (var i = 0; i < FIELDS.length; i++) {
      var f = FIELDS[i];
      var v = q[f];
      if (typeof v === "number") v = String(v);
      if (typeof v !== "string" || !/^(0|[1-9][0-9]*)$/.test(v))
        return bad("the query's " + f + " must be a non-negative integer written as a decimal string");
      q[f] = v;
    }
    return { query: q };
  }

  function grouped(s) {
    var sign = s.charAt(0) === "-" ? "-" : "";
    return sign + s.slice(sign.length).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function numberCell(value, k) {
    var td = el("td");
    td.appendChild(el("span", grouped(String(value)), { class: "num", "data-k": k, "data-value": String(value) }));
    return td;
  }

  function row(label, value, k) {
    var tr = el("tr");
    tr.appendChild(el("th", label));
    tr.appendChild(numberCell(value, k));
    return tr;
  }

  function render(a, exitHref) {
    view.textContent = "";
    view.appendChild(el("h3", "Account " + a.index));
    var t = el("table", null, { id: "account-figures" });
    t.appendChild(row("collateral", a.collateral, "collateral"));
    t.appendChild(row("equity", a.equity, "equity"));
    t.appendChild(row("maintenance margin", a.maintenanceMargin, "maintenance-margin"));
    t.appendChild(row("initial margin", a.initialMargin, "initial-margin"));
    t.appendChild(row("withdrawal nonce", a.withdrawNonce, "withdraw-nonce"));
    var mode = el("tr");
    mode.appendChild(el("th", "margin mode"));
    mode.appendChild(el("td", a.isolatedMarket === null ? "cross (all collateral backs every market)" : "isolated to market " + a.isolatedMarket + " (this collateral backs that market alone)", { "data-k": "margin-mode" }));
    t.appendChild(mode);
    var tr = el("tr");
    tr.appendChild(el("th", "margin"));
    var m = el("td", null, { "data-k": "margin-status" });
    m.appendChild(el("span", a.meetsMaintenance ? "meets maintenance" : "BELOW MAINTENANCE: liquidatable", { class: a.meetsMaintenance ? "ok" : "bad" }));
    m.appendChild(document.createTextNode(" · "));
    m.appendChild(el("span", a.meetsInitial ? "meets initial (may open more)" : "below initial (may only reduce)", { class: a.meetsInitial ? "ok" : "bad" }));
    tr.appendChild(m);
    t.appendChild(tr);
    view.appendChild(t);
    view.appendChild(el("p", a.roundId === null ? "No oracle round yet: equity is the collateral." : "At the prices of oracle round " + a.roundId + ": " + a.marks.map(function (p) { return grouped(String(p)); }).join(", ") + ".", { class: "note" }));
    var p = el("table", null, { id: "account-positions" });
    var head = el("tr");
    ["market", "size (lots)", "entry notional"].forEach(function (h) { head.appendChild(el("th", h)); });
    p.appendChild(head);
    a.positions.forEach(function (pos) {
      var r = el("tr", null, { "data-market": String(pos.market) });
      r.appendChild(el("td", String(pos.market)));
      r.appendChild(numberCell(pos.size, "size"));
      r.appendChild(numberCell(pos.notional, "notional"));
      p.appendChild(r);
    });
    view.appendChild(p);
    view.appendChild(el("p", "Leaf in root " + a.root + ".", { class: "note" }));
    var link = el("a", "Download exit data (exit-data-" + a.index + ".json)", {
      id: "exit-data-link",
      class: "download",
      href: exitHref,
      download: "exit-data-" + a.index + ".json",
    });
    view.appendChild(link);
    view.hidden = false;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    var parsed = parseQuery(document.getElementById("query").value);
    if (parsed.refusal) {
      fail(parsed.refusal.error + ": " + parsed.refusal.message);
      return;
    }
    var q = parsed.query;
    var qs = "?timestamp=" + q.timestamp + "&r8x=" + q.r8x + "&r8y=" + q.r8y + "&s=" + q.s;
    var base = "/v1/explorer/accounts/" + q.account;
    fetch(base + qs, { headers: { accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (res) {
        if (!res.ok) fail(res.body.error + ": " + res.body.message);
        else render(res.body, base + "/exit-data" + qs);
      })
      .catch(function (e) { fail("the server did not answer: " + e.message); });
  });
})();
`;
