// GET /dashboard's script: reads the admin API of the node that served it (same origin, the
// browser's Basic credentials) and draws spend over time, the routing mix, provider health and
// budget use with Chart.js (served by the node too). Every figure is also shown as text, in
// dollars with the ledger's six decimals, so it can be read, copied and checked against
// /admin/spend. The page sets <body data-ready="1"> when it has drawn everything (or
// data-ready="error" with the reason in #notice).
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const SERIES_DAYS = Math.min(Math.max(parseInt(params.get("days") || "14", 10) || 14, 1), 400);
const PALETTE = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477",
                 "#66aa00", "#b82e2e", "#316395", "#994499", "#22aa99", "#aaaa11", "#6633cc"];

// "12.345678" from micro-dollars, exactly as `llm-edge spend` prints them (no rounding).
function usd(micros) {
  const m = Math.trunc(Number(micros) || 0);
  const sign = m < 0 ? "-" : "";
  const a = Math.abs(m);
  return sign + Math.floor(a / 1e6) + "." + String(a % 1e6).padStart(6, "0");
}

function label(v) { return v === "" ? "(none)" : v; }

async function getJson(path) {
  const r = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch (e) { body = null; }
  if (!r.ok) {
    const why = body && body.error && body.error.message ? body.error.message : text.slice(0, 200);
    const err = new Error(path + ": " + r.status + " " + why);
    err.status = r.status;
    throw err;
  }
  return body;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function fillRows(table, rows, emptyText) {
  const tbody = table.querySelector("tbody");
  tbody.replaceChildren();
  if (rows.length === 0) {
    const cols = table.querySelectorAll("thead th").length;
    tbody.append(el("tr", {}, el("td", { class: "empty", colSpan: cols }, emptyText)));
    return;
  }
  for (const r of rows) tbody.append(r);
}

// One table row per Spend JSON row: the dimension, requests, and cost in dollars; the exact
// figures ride along as data attributes for whoever checks them.
function spendRows(doc, dim, withTokens) {
  return doc.rows.map((row) => {
    const cells = [el("td", {}, label(row[dim])), el("td", { class: "num" }, row.requests)];
    if (withTokens) cells.push(el("td", { class: "num" }, row.input_tokens + " / " + row.output_tokens));
    cells.push(el("td", { class: "num usd", "data-cost-micro-usd": row.cost_micro_usd }, "$" + usd(row.cost_micro_usd)));
    return el("tr", { "data-key": row[dim], "data-requests": row.requests }, ...cells);
  });
}

const charts = {};
function chartReady(canvasId) {
  if (typeof Chart === "undefined") {
    const box = $(canvasId).parentElement;
    if (!box.querySelector(".missing")) {
      box.append(el("p", { class: "missing" }, "Chart library not installed on this node (run scripts/setup.sh); the figures are in the tables."));
    }
    return false;
  }
  if (charts[canvasId]) charts[canvasId].destroy();
  return true;
}

function dollarsAxis() {
  return { beginAtZero: true, ticks: { callback: (v) => "$" + Number(v).toLocaleString("en-US", { maximumFractionDigits: 6 }) } };
}

function drawBars(canvasId, labels, datasets, stacked) {
  if (!chartReady(canvasId)) return;
  charts[canvasId] = new Chart($(canvasId), {
    type: "bar",
    data: { labels, datasets },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { stacked }, y: Object.assign({ stacked }, dollarsAxis()) },
      plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ": $" + usd(Math.round(c.raw * 1e6)) } } },
    },
  });
}

function drawDoughnut(canvasId, labels, values) {
  if (!chartReady(canvasId)) return;
  charts[canvasId] = new Chart($(canvasId), {
    type: "doughnut",
    data: { labels, datasets: [{ data: values, backgroundColor: labels.map((_, i) => PALETTE[i % PALETTE.length]) }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "right" } } },
  });
}

function isoDay(d) { return d.toISOString().slice(0, 10); }

// A stacked bar per day of the window, one dataset per value of `dim`.
function drawSeries(canvasId, doc, dim, days) {
  const names = [...new Set(doc.rows.map((r) => r[dim]))].sort();
  const datasets = names.map((name, i) => ({
    label: label(name),
    backgroundColor: PALETTE[i % PALETTE.length],
    data: days.map((day) => {
      let micros = 0;
      for (const r of doc.rows) if (r.day === day && r[dim] === name) micros += r.cost_micro_usd;
      return micros / 1e6;
    }),
  }));
  drawBars(canvasId, days, datasets, true);
}

async function load() {
  const scopeParam = params.get("scope");
  // Federated nodes show the merged view of every region unless ?scope=local is asked for.
  let peers = null;
  try {
    peers = await getJson("/admin/peers");
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  const scope = peers && scopeParam !== "local" ? "global" : "local";
  const nav = $("scope-switch");
  nav.replaceChildren();
  if (peers) {
    for (const s of ["global", "local"]) {
      nav.append(el("a", { href: "?scope=" + s, class: s === scope ? "current" : "" }, s === "global" ? "all regions" : "this node"));
    }
  }

  const [teams, features, envs, regions, deployments, routes, budgets] = await Promise.all([
    getJson("/admin/spend?group_by=team&scope=" + scope),
    getJson("/admin/spend?group_by=feature&scope=" + scope),
    getJson("/admin/spend?group_by=env&scope=" + scope),
    getJson("/admin/spend?group_by=region&scope=" + scope),
    getJson("/admin/spend?group_by=deployment"),
    getJson("/admin/routes"),
    getJson("/admin/budgets"),
  ]);

  $("where").textContent = (scope === "global" ? "All regions (federated)" : "This node") +
    " · period " + teams.period + (teams.regions ? " · regions: " + Object.keys(teams.regions).join(", ") : "");
  document.body.setAttribute("data-scope", scope);
  document.body.setAttribute("data-period", teams.period);

  // Spend this month by team: the table the figures are checked against, and its chart.
  const teamTable = $("team-table");
  $("team-period").textContent = "Period " + teams.period + ", scope " + scope + " (the same as /admin/spend?group_by=team&scope=" + scope + ").";
  fillRows(teamTable, spendRows(teams, "team", true), "No spend recorded this month.");
  const t = teams.totals;
  teamTable.querySelector("tfoot").replaceChildren(el("tr", { "data-key": "TOTAL" },
    el("td", {}, "total"), el("td", { class: "num" }, t.requests),
    el("td", { class: "num" }, t.input_tokens + " / " + t.output_tokens),
    el("td", { class: "num usd", "data-cost-micro-usd": t.cost_micro_usd }, "$" + usd(t.cost_micro_usd))));
  drawBars("chart-team-month", teams.rows.map((r) => label(r.team)),
    [{ label: "cost (USD)", backgroundColor: PALETTE[0], data: teams.rows.map((r) => r.cost_micro_usd / 1e6) }], false);

  fillRows($("feature-table"), spendRows(features, "feature", false), "No spend.");
  fillRows($("env-table"), spendRows(envs, "env", false), "No spend.");
  fillRows($("region-table"), spendRows(regions, "region", false), "No spend.");

  // Spend over time: daily cells of the last SERIES_DAYS days (UTC), one query per dimension.
  const today = new Date();
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (SERIES_DAYS - 1)));
  const days = [];
  for (let d = new Date(first); days.length < SERIES_DAYS; d.setUTCDate(d.getUTCDate() + 1)) days.push(isoDay(d));
  const range = "&from=" + days[0] + "&to=" + days[days.length - 1] + "&scope=" + scope;
  $("series-window").textContent = "Daily, " + days[0] + " to " + days[days.length - 1] + " (UTC), scope " + scope + ".";
  const dims = ["team", "feature", "env", "region"];
  const series = await Promise.all(dims.map((d) => getJson("/admin/spend?group_by=day," + d + range)));
  dims.forEach((d, i) => drawSeries("chart-series-" + d, series[i], d, days));

  // Routing mix: this node's ledger by deployment, beside the router's live view.
  fillRows($("routing-table"), spendRows(deployments, "deployment", false), "No requests routed this month.");
  drawDoughnut("chart-routing", deployments.rows.map((r) => label(r.deployment)), deployments.rows.map((r) => r.requests));

  fillRows($("routes-table"), routes.deployments.map((d) => el("tr", { "data-key": d.id },
    el("td", {}, d.id), el("td", {}, d.jurisdiction === null ? "unknown" : d.jurisdiction),
    el("td", { class: "state-" + d.state }, d.state + (d.cooldown_until ? " until " + d.cooldown_until : "")),
    el("td", { class: "num" }, d.latency && d.latency.ttfb_ms !== null ? d.latency.ttfb_ms.toFixed(1) : "–"),
    el("td", { class: "num" }, d.last_minute.requests + " req, " + d.last_minute.failures + " failed"))), "No deployments.");
  fillRows($("peers-table"), peers ? peers.members.map((m) => el("tr", { "data-key": m.id },
    el("td", {}, m.id), el("td", {}, m.region), el("td", {}, m.address),
    el("td", { class: "state-" + m.state }, m.state), el("td", {}, m.last_seen || "–"))) : [],
    "This node has no federation.");

  fillRows($("budget-table"), budgets.accounts.map((a) => {
    const limit = a.global_budget_micro_usd !== null ? a.global_budget_micro_usd : a.budget_micro_usd;
    const spent = a.spent_micro_usd + (a.global_budget_micro_usd !== null ? a.remote_spent_micro_usd : 0);
    const used = limit ? spent / limit : null;
    const meter = el("span", { class: "meter" }, el("span", { class: used === null ? "" : used >= 1 ? "over" : used >= 0.8 ? "high" : "" }));
    meter.firstChild.style.width = used === null ? "0" : Math.min(100, used * 100).toFixed(1) + "%";
    return el("tr", { "data-key": a.kind + ":" + a.name },
      el("td", {}, a.kind + " " + a.name + (a.global_budget_micro_usd !== null ? " (global)" : "")),
      el("td", { class: "num usd", "data-cost-micro-usd": spent }, "$" + usd(spent)),
      el("td", { class: "num" }, limit === null ? "no budget" : "$" + usd(limit)),
      el("td", { class: "num" }, meter, used === null ? "–" : used > 0 && used < 0.001 ? "<0.1%" : (used * 100).toFixed(1) + "%"));
  }), "No accounts.");

  $("loaded-at").textContent = "Loaded " + new Date().toISOString() + ".";
}

load().then(() => {
  document.body.setAttribute("data-ready", "1");
}, (e) => {
  const n = $("notice");
  n.hidden = false;
  n.textContent = "Could not load the dashboard: " + e.message;
  document.body.setAttribute("data-ready", "error");
});
