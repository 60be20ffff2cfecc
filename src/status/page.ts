// The status page at / (issue 10 §2): one self-contained HTML document, no external resource of any
// kind (a Content-Security-Policy says so to the browser). The server renders the first view from
// the snapshot (snapshot.ts: GET /api/v1/status); an inline script then fetches that endpoint every
// REFRESH_MS and renders it again with the very same function, whose source is put in the page
// (renderStatus below is written as a self-contained function for that: it may call nothing
// outside itself). Without JavaScript a <noscript> meta refresh reloads the page instead.

import crypto from "node:crypto";
import type { StatusSnapshot } from "./snapshot.js";

/** How often the page fetches /api/v1/status. */
export const REFRESH_MS = 3000;

/**
 * The page's body for a snapshot (null: the server is starting). Self-contained: its source runs in
 * the browser too, so it uses no import, no module-level name, only what browsers and Node share.
 * Every string that comes from configuration or probes goes through esc().
 */
export function renderStatus(s: StatusSnapshot | null): string {
  const esc = (v: unknown): string => String(v).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
  const ms = (v: number | null): string => (v === null ? "–" : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
  const time = (iso: string): string => esc(iso.replace("T", " ").replace(/\.\d+Z$/, "Z"));
  const badge = (state: string, forced: string | null): string =>
    `<span class="st st-${esc(state)}" data-state="${esc(state)}">${esc(state)}${forced !== null ? ` ${esc(forced)}` : ""}</span>`;
  if (s === null) return `<p class="note" id="updated" data-generated="">starting: the configuration is not loaded yet</p>`;

  const out: string[] = [];
  out.push(`<p class="note" id="updated" data-generated="${esc(s.generated_at)}">updated ${time(s.generated_at)}${s.ready ? "" : " · not ready yet (first round of health checks)"} · origins not yet checked count as ${esc(s.unknown_health)}</p>`);
  if (s.load_balancers.length === 0) out.push(`<p class="note">no load balancer is configured</p>`);
  for (const lb of s.load_balancers) {
    const zonePools = s.pools[lb.zone] ?? {};
    const roles = (name: string): string => {
      const r: string[] = [];
      const i = lb.default_pools.indexOf(name);
      if (i >= 0) r.push(`default #${i + 1}`);
      for (const [k, v] of Object.entries(lb.region_pools)) if (v.includes(name)) r.push(`region ${k}`);
      for (const [k, v] of Object.entries(lb.country_pools)) if (v.includes(name)) r.push(`country ${k}`);
      if (name === lb.fallback_pool) r.push("fallback");
      return esc(r.join(", "));
    };
    out.push(`<section class="lb" data-lb="${esc(lb.name)}"><h2>${esc(lb.name)} <small>${esc(lb.zone)} · policy ${esc(lb.policy)}</small></h2>`);
    out.push(`<div class="cols"><div><h3>Pools in order</h3><table class="pools"><thead><tr><th>pool</th><th>role</th><th>health</th><th>origins up</th><th>RTT</th></tr></thead><tbody>`);
    for (const name of lb.pools) {
      const p = zonePools[name];
      if (p === undefined) continue;
      out.push(`<tr class="pool" data-pool="${esc(p.pool)}"><td class="name">${esc(p.pool)}${p.enabled ? "" : " <em>(disabled)</em>"}</td><td>${roles(p.pool)}</td><td>${badge(p.state, p.forced)}</td>`
        + `<td class="up">${p.origins_up} of ${p.origins.filter((o) => o.enabled).length} (minimum ${p.minimum_origins})</td><td class="rtt">${ms(p.rtt_ms)}</td></tr>`);
      for (const o of p.origins) {
        out.push(`<tr class="origin" data-pool="${esc(p.pool)}" data-origin="${esc(o.origin)}"><td class="name">↳ ${esc(o.origin)} <small>${esc(o.address)}</small>${o.enabled ? "" : " <em>(disabled)</em>"}</td>`
          + `<td>${o.last_probe === null ? "" : `<small>last probe: ${esc(o.last_probe)}</small>`}</td><td>${badge(o.state, o.forced)}</td><td><small>since ${time(o.since)}</small></td><td class="rtt">${ms(o.rtt_ms)}</td></tr>`);
      }
    }
    out.push(`</tbody></table></div><div><h3>Pool each region gets now</h3><table class="regions"><thead><tr><th>region</th><th>pool</th><th>why</th></tr></thead><tbody>`);
    for (const r of lb.regions) {
      out.push(`<tr data-region="${esc(r.region)}"><td title="${esc(r.name)}">${esc(r.region)} <small>${esc(r.name)}</small></td>`
        + `<td class="pool-name${r.fallback ? " fallback" : ""}">${r.pool === null ? "none" : esc(r.pool)}</td><td><small>${esc(r.reason)}</small></td></tr>`);
    }
    out.push(`</tbody></table></div></div></section>`);
  }
  out.push(`<section><h2>Last state changes</h2>`);
  if (s.events.length === 0) out.push(`<p class="note">none yet</p>`);
  else {
    out.push(`<table class="events"><thead><tr><th>time</th><th>zone</th><th>pool / origin</th><th>change</th><th>reason</th></tr></thead><tbody>`);
    for (const e of s.events) {
      out.push(`<tr data-seq="${e.seq}"><td>${time(e.time)}</td><td>${esc(e.zone)}</td><td>${esc(e.pool)}${e.origin === null ? "" : ` / ${esc(e.origin)}`}</td>`
        + `<td>${badge(e.from, null)} → ${badge(e.to, e.forced)}</td><td><small>${esc(e.reason)}</small></td></tr>`);
    }
    out.push(`</tbody></table>`);
  }
  out.push(`</section>`);
  return out.join("\n");
}

const STYLE = `
:root { color-scheme: light dark; --up: #1a7f37; --down: #cf222e; --unknown: #6e7781; --forced: #8250df; --drained: #bf8700; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; padding: 1em 2em; max-width: 1400px; }
h1 { font-size: 1.4em; margin: 0 0 .2em; }
h2 { font-size: 1.15em; margin: 1.2em 0 .4em; border-bottom: 1px solid #8884; padding-bottom: .2em; }
h2 small, .note, small { color: #6e7781; font-weight: normal; }
h3 { font-size: 1em; margin: .5em 0; }
.cols { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .2em .6em; border-bottom: 1px solid #8882; vertical-align: top; }
th { font-weight: 600; font-size: .9em; }
tr.pool td { font-weight: 600; border-top: 1px solid #8886; }
td.rtt { text-align: right; font-variant-numeric: tabular-nums; }
.st { display: inline-block; padding: 0 .5em; border-radius: 1em; color: #fff; font-size: .85em; font-weight: 600; background: var(--unknown); }
.st-up { background: var(--up); } .st-down { background: var(--down); } .st-forced { background: var(--forced); } .st-drained { background: var(--drained); }
.fallback::after { content: " (fallback: health ignored)"; color: var(--down); font-weight: normal; font-size: .85em; }
#updated.stale { color: var(--down); font-weight: 600; }
`;

/** The browser side: fetch the snapshot every REFRESH_MS, render it with renderStatus's own source. */
function script(): string {
  return `"use strict";
(function () {
  var __name = function (f) { return f; };
  var render = ${renderStatus.toString()};
  var app = document.getElementById("app");
  function tick() {
    fetch("/api/v1/status", { cache: "no-store" })
      .then(function (r) { if (!r.ok && r.status !== 503) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (s) { app.innerHTML = render(s && s.load_balancers ? s : null); })
      .catch(function (e) {
        var u = document.getElementById("updated");
        if (u) { u.className = "note stale"; u.textContent = "not updated since " + (u.getAttribute("data-generated") || "start") + ": " + e.message; }
      })
      .then(function () { setTimeout(tick, ${REFRESH_MS}); });
  }
  setTimeout(tick, ${REFRESH_MS});
})();
`;
}

const hash = (text: string) => `'sha256-${crypto.createHash("sha256").update(text, "utf8").digest("base64")}'`;

export interface StatusPage {
  /** The whole document for a snapshot. */
  html(s: StatusSnapshot | null): string;
  /** Its Content-Security-Policy: nothing from anywhere, but the page's own style and script and fetches to this server. */
  readonly csp: string;
}

/** Built once at start: the shell (style, script, their hashes); each request fills in the first view. */
export function statusPage(version: string): StatusPage {
  const js = script();
  const csp = `default-src 'none'; style-src ${hash(STYLE)}; script-src ${hash(js)}; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  const head = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gslb status</title>
<noscript><meta http-equiv="refresh" content="${Math.round(REFRESH_MS / 1000) * 3}"></noscript>
<style>${STYLE}</style></head>
<body><h1>gslb status <small>${version.replace(/[^0-9A-Za-z.+-]/g, "")}</small></h1>
<main id="app">`;
  const tail = `</main>
<script>${js}</script>
</body></html>
`;
  return { csp, html: (s) => head + renderStatus(s) + tail };
}
