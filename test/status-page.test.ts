/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The status page at / (issue 10 §2) in a real browser: headless Chromium (Debian's `chromium`,
// driven by playwright-core) against a real server whose monitors probe real HTTP origins. The page
// must show every load balancer, its pools in order with their health, each origin's state and RTT,
// the region → pool table and the last state changes; update by itself (no reload) when an origin
// goes down; and ask nothing of anyone but the server. A screenshot is kept in
// test/artifacts/status-page.png (git-ignored). Required in CI (CI=true); elsewhere skipped when
// chromium is missing (apt-get install chromium). CHROMIUM=/path/to/chrome picks another binary.

import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { balancedZone } from "./support/zones.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { httpOrigin, request } from "./support/http.js";
import { REGION_CODES } from "../src/locate/regions.js";
import { REFRESH_MS } from "../src/status/page.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === "true") throw new Error(`chromium is required in CI: apt-get install -y chromium (looked for ${CHROMIUM})`);
const SCREENSHOT = new URL("./artifacts/status-page.png", import.meta.url).pathname;
/** The monitor's interval and timeout: how long an origin's failure takes to be seen. */
const INTERVAL_S = 5, TIMEOUT_S = 1;
const MONITOR_BOUND_MS = (INTERVAL_S + TIMEOUT_S) * 1000 + 1000;

let a: Awaited<ReturnType<typeof httpOrigin>>;
let b: Awaited<ReturnType<typeof httpOrigin>>;
let t: TestServer;
let base: string;
let browser: Browser;
let page: Page;
const requested: string[] = [];
let navigations = 0;

function zone(): Record<string, any> {
  return balancedZone({
    monitors: { hc: { type: "http", path: "/", port: a.port, interval: INTERVAL_S, timeout: TIMEOUT_S, retries: 0 } },
    pools: {
      pa: { origins: [{ name: "a", address: "127.0.0.61" }], monitor: "hc" },
      pb: { origins: [{ name: "b", address: "127.0.0.62" }], monitor: "hc" },
      pc: { origins: [{ name: "c", address: "192.0.2.99" }] },
    },
    load_balancers: {
      app: { default_pools: ["pa", "pb"], region_pools: { WEU: ["pb", "pa"] }, fallback_pool: "pc", steering_policy: "geo" },
      other: { default_pools: ["pb"], fallback_pool: "pc", steering_policy: "off" },
    },
  });
}

/** What the page shows now, read from its DOM. */
async function shown(p: Page) {
  return p.evaluate(() => {
    const lbs = [...document.querySelectorAll<HTMLElement>("section.lb")].map((s) => ({
      name: s.dataset.lb!,
      pools: [...s.querySelectorAll<HTMLElement>("tr.pool")].map((r) => ({
        pool: r.dataset.pool!, state: r.querySelector<HTMLElement>("[data-state]")!.dataset.state!, up: r.querySelector(".up")!.textContent!, rtt: r.querySelector(".rtt")!.textContent!,
      })),
      origins: [...s.querySelectorAll<HTMLElement>("tr.origin")].map((r) => ({
        pool: r.dataset.pool!, origin: r.dataset.origin!, state: r.querySelector<HTMLElement>("[data-state]")!.dataset.state!, rtt: r.querySelector(".rtt")!.textContent!, text: r.textContent!,
      })),
      regions: Object.fromEntries([...s.querySelectorAll<HTMLElement>("tr[data-region]")].map((r) => [r.dataset.region!, r.querySelector(".pool-name")!.textContent!])),
    }));
    const events = [...document.querySelectorAll("table.events tbody tr")].map((r) => r.textContent!);
    return { lbs, events, updated: document.getElementById("updated")!.dataset.generated! };
  });
}

beforeAll(async () => {
  if (!hasChromium) return;
  a = await httpOrigin("127.0.0.61");
  b = await httpOrigin("127.0.0.62", a.port);
  t = await startTestServer({ "lb.example.com.json": zone() }, { http: { host: "127.0.0.1", port: 0 } });
  base = `http://127.0.0.1:${t.server.http!.port}`;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("request", (r) => requested.push(r.url()));
  page.on("framenavigated", (f) => { if (f === page.mainFrame()) navigations++; });
}, 60_000);
afterAll(async () => { await browser?.close(); await t?.close(); await a?.close(); await b?.close(); });

describe.skipIf(!hasChromium)("the status page in headless Chromium", () => {
  it("shows every load balancer, its pools in order with health, origins' state and RTT, and each region's pool", async () => {
    const res = await page.goto(`${base}/`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()["content-security-policy"]).toContain("default-src 'none'");
    const s = await shown(page);
    expect(s.lbs.map((l) => l.name)).toEqual(["app.lb.example.com", "other.lb.example.com"]);
    const app = s.lbs[0]!;
    // default_pools, then the fallback pool; each pool's origins after it.
    expect(app.pools.map((p) => [p.pool, p.state, p.up])).toEqual([
      ["pa", "up", "1 of 1 (minimum 1)"], ["pb", "up", "1 of 1 (minimum 1)"], ["pc", "up", "1 of 1 (minimum 1)"],
    ]);
    expect(app.origins.map((o) => [o.pool, o.origin, o.state])).toEqual([["pa", "a", "up"], ["pb", "b", "up"], ["pc", "c", "up"]]);
    // Monitored origins have an RTT; the unmonitored one has none.
    expect(app.origins[0]!.rtt).toMatch(/^\d+\.\d+ ms$/);
    expect(app.origins[1]!.rtt).toMatch(/^\d+\.\d+ ms$/);
    expect(app.origins[2]!.rtt).toBe("–");
    expect(app.origins[0]!.text).toContain("127.0.0.61");
    // All 13 regions: WEU has its own pools, the rest walk default_pools.
    expect(Object.keys(app.regions)).toEqual([...REGION_CODES]);
    for (const r of REGION_CODES) expect(app.regions[r]).toBe(r === "WEU" ? "pb" : "pa");
    // The page and the JSON endpoint say the same.
    const api = (await request(base, "/api/v1/status")).json;
    expect(Object.fromEntries(api.load_balancers[0].regions.map((r: any) => [r.region, r.pool]))).toEqual(app.regions);
    expect(api.load_balancers[0].pools).toEqual(["pa", "pb", "pc"]);
    // The first round's changes are listed (unknown → up of each monitored origin).
    expect(s.events.some((e) => e.includes("pa / a") && e.includes("unknown") && e.includes("up"))).toBe(true);
  }, 30_000);

  it("updates by itself, without a reload, when an origin goes down", async () => {
    await page.evaluate(() => { (window as any).notReloaded = true; });
    const before = navigations;
    a.status = 500;
    const started = Date.now();
    await page.waitForFunction(() => {
      const row = document.querySelector('section[data-lb="app.lb.example.com"] tr.origin[data-origin="a"] [data-state]') as HTMLElement | null;
      return row?.dataset.state === "down";
    }, undefined, { timeout: MONITOR_BOUND_MS + REFRESH_MS + 2000, polling: 200 });
    const took = Date.now() - started;
    expect(took).toBeLessThan(MONITOR_BOUND_MS + REFRESH_MS + 2000);
    expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true);
    expect(navigations).toBe(before);
    const s = await shown(page);
    const app = s.lbs[0]!;
    expect(app.pools.find((p) => p.pool === "pa")!.state).toBe("down");
    expect(app.pools.find((p) => p.pool === "pa")!.up).toBe("0 of 1 (minimum 1)");
    // Every region now gets pb (pa is down; WEU had pb first anyway).
    for (const r of REGION_CODES) expect(app.regions[r]).toBe("pb");
    // The newest change is listed first, with the prober's reason.
    expect(s.events.slice(0, 2).join(" ")).toContain("status 500");
    fs.mkdirSync(new URL("./artifacts/", import.meta.url), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  }, 40_000);

  it("asks nothing of anyone but the server: the page, then /api/v1/status", () => {
    expect(requested.length).toBeGreaterThan(1);
    for (const url of requested) expect(url.startsWith(`${base}/`)).toBe(true);
    expect(new Set(requested.map((u) => new URL(u).pathname))).toEqual(new Set(["/", "/api/v1/status"]));
  });
});
