// Opens a node's GET /dashboard in Debian's headless chromium (playwright-core drives it) as a
// person would: the first request has no credentials, the 401's Basic challenge is answered
// with the admin key as the password. Every request to another origin is refused and
// recorded. Prints one JSON line: what the page shows (the per-team table, as text and as the
// exact figures it carries), every request the page made, the ones refused, console errors;
// and saves a full-page screenshot.
//
//   node dashboard.mjs <admin base URL> <admin key> <screenshot.png> [<page query>]
import { chromium } from "playwright-core";

const [base, adminKey, screenshot, query = ""] = process.argv.slice(2);
const origin = new URL(base).origin;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const out = { ok: false, requests: [], refused: [], console_errors: [], statuses: {} };

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // No sandbox: the tests run as root in a container. No background services that would
  // reach the internet on their own.
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--disable-dev-shm-usage"],
});
try {
  const context = await browser.newContext({
    httpCredentials: { username: "admin", password: adminKey, origin },
    viewport: { width: 1400, height: 1000 },
    serviceWorkers: "block",
  });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    out.requests.push(url);
    if (new URL(url).origin !== origin) {
      out.refused.push(url);
      return route.abort("blockedbyclient");
    }
    return route.continue();
  });
  const page = await context.newPage();
  // A node without federation answers /admin/peers 404, which the page expects (it then shows
  // this node's own view); chromium logs every 4xx as a console error, so that one is skipped.
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    if (new URL(m.location().url || base).pathname === "/admin/peers" && out.statuses["/admin/peers"] === 404) return;
    out.console_errors.push(m.text() + " (" + m.location().url + ")");
  });
  page.on("pageerror", (e) => out.console_errors.push(String(e)));
  page.on("response", (r) => { out.statuses[new URL(r.url()).pathname + new URL(r.url()).search] = r.status(); });
  const first = await page.goto(base + "/dashboard" + query, { waitUntil: "load", timeout: 30000 });
  out.page_status = first ? first.status() : 0;
  await page.waitForSelector('body[data-ready="1"], body[data-ready="error"]', { timeout: 30000 });
  out.ready = await page.getAttribute("body", "data-ready");
  out.notice = await page.textContent("#notice");
  out.scope = await page.getAttribute("body", "data-scope");
  out.period = await page.getAttribute("body", "data-period");
  const rows = (sel) => page.$$eval(sel, (trs) => trs.map((tr) => {
    const cost = tr.querySelector("td.usd");
    return {
      key: tr.getAttribute("data-key"),
      requests: Number(tr.getAttribute("data-requests")),
      cost_micro_usd: cost ? Number(cost.getAttribute("data-cost-micro-usd")) : null,
      cost_text: cost ? cost.textContent : null,
      text: tr.innerText,
    };
  }));
  out.teams = await rows("#team-table tbody tr[data-key]");
  out.total = (await rows("#team-table tfoot tr[data-key]"))[0] || null;
  out.regions = await rows("#region-table tbody tr[data-key]");
  out.deployments = await rows("#routing-table tbody tr[data-key]");
  out.routes = await page.$$eval("#routes-table tbody tr[data-key]", (trs) => trs.map((tr) => tr.getAttribute("data-key")));
  out.peers = await page.$$eval("#peers-table tbody tr[data-key]", (trs) => trs.map((tr) => tr.getAttribute("data-key")));
  out.budgets = await page.$$eval("#budget-table tbody tr[data-key]", (trs) => trs.map((tr) => tr.innerText));
  // Charts drew when Chart.js ran: each canvas then has a chart instance.
  out.charts = await page.evaluate(() => typeof Chart === "undefined" ? -1
    : [...document.querySelectorAll("canvas")].filter((c) => Chart.getChart(c)).length);
  await page.screenshot({ path: screenshot, fullPage: true });
  out.screenshot = screenshot;
  out.ok = true;
} catch (e) {
  out.error = String(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
process.exit(out.ok ? 0 : 1);
