// /metrics read by a real Prometheus (Debian's `prometheus`): it scrapes the status API on loopback
// every second while a real DNS client (node:dns, c-ares) asks gslb questions, then Prometheus's own
// query API must return the counters, a histogram quantile and the target as up: the exposition is
// parsed and stored by the real thing, not only by our reading of the format. Required in CI
// (CI=true); elsewhere skipped when prometheus is missing (apt-get install prometheus).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { Resolver } from "node:dns/promises";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balancedZone } from "./support/zones.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { request, sleep } from "./support/http.js";

const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;
if (!hasPrometheus && process.env.CI === "true") throw new Error("prometheus is required in CI: apt-get install -y prometheus");

/** A port free now (Prometheus cannot report a port 0 it was given). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!hasPrometheus)("a real Prometheus scraping /metrics", () => {
  let t: TestServer;
  let prom: ChildProcess | null = null;
  let promBase = "";
  let dir = "";
  let promLog = "";

  beforeAll(async () => {
    t = await startTestServer({
      "lb.example.com.json": balancedZone({
        pools: { p1: { origins: [{ name: "o1", address: "192.0.2.11" }] }, p2: { origins: [{ name: "o2", address: "192.0.2.12" }] } },
        load_balancers: { app: { default_pools: ["p1", "p2"], steering_policy: "off" } },
      }),
    }, { monitors: false, http: { host: "127.0.0.1", port: 0 } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-prometheus-"));
    fs.writeFileSync(path.join(dir, "prometheus.yml"), [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "scrape_configs:",
      "  - job_name: gslb",
      "    static_configs:",
      `      - targets: ["127.0.0.1:${t.server.http!.port}"]`,
      "",
    ].join("\n"));
    // Prometheus on loopback, its storage in the temp directory; a port taken meanwhile: try another.
    for (let attempt = 0; attempt < 5 && prom === null; attempt++) {
      const port = await freePort();
      const p = spawn("prometheus", [
        `--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn",
      ], { stdio: ["ignore", "ignore", "pipe"] });
      p.stderr!.on("data", (d: Buffer) => { promLog += d; });
      promBase = `http://127.0.0.1:${port}`;
      const started = Date.now();
      while (Date.now() - started < 20_000 && p.exitCode === null) {
        if ((await request(promBase, "/-/ready").catch(() => null))?.status === 200) { prom = p; break; }
        await sleep(100);
      }
      if (prom === null) p.kill("SIGKILL");
    }
    if (prom === null) throw new Error(`prometheus did not start: ${promLog}`);
  }, 60_000);

  afterAll(async () => {
    if (prom !== null && prom.exitCode === null) {
      const p = prom;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      const timer = setTimeout(() => p.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await t?.close();
    if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
  });

  /** An instant query's samples through Prometheus's HTTP API. */
  const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const r = await request(promBase, `/api/v1/query?query=${encodeURIComponent(q)}`);
    expect(r.status, r.text).toBe(200);
    return r.json.data.result;
  };

  it("stores gslb's counters, gauges and histograms as Prometheus parses them", async () => {
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${t.port}`]);
    for (let i = 0; i < 25; i++) expect(await resolver.resolve4("app.lb.example.com")).toEqual(["192.0.2.11"]);
    for (let i = 0; i < 5; i++) expect(await resolver.resolveMx("lb.example.com")).toHaveLength(1);
    await resolver.resolve4("nothing-here.lb.example.com").catch(() => {});

    // Scraped every second: wait until Prometheus has a scrape taken after the queries.
    const started = Date.now();
    let answers: Awaited<ReturnType<typeof query>> = [];
    while (Date.now() - started < 20_000) {
      answers = await query('gslb_lb_answers_total{load_balancer="app.lb.example.com"}');
      if (answers.length > 0 && Number(answers[0]!.value[1]) >= 25) break;
      await sleep(250);
    }
    expect(answers, promLog).toEqual([{ metric: expect.objectContaining({ __name__: "gslb_lb_answers_total", job: "gslb", zone: "lb.example.com", load_balancer: "app.lb.example.com", pool: "p1" }), value: [expect.any(Number), "25"] }]);
    const a = await query('sum(gslb_dns_queries_total{zone="lb.example.com",qtype="A",rcode="NOERROR",transport="udp"})');
    expect(Number(a[0]!.value[1])).toBe(25);
    const mx = await query('gslb_dns_queries_total{qtype="MX"}');
    expect(mx.map((s) => [s.metric.rcode, s.metric.transport, s.value[1]])).toEqual([["NOERROR", "udp", "5"]]);
    expect(Number((await query('sum(gslb_dns_queries_total{rcode="NXDOMAIN"})'))[0]!.value[1])).toBeGreaterThanOrEqual(1);
    // A histogram Prometheus can compute with, gauges, and the target healthy.
    const p99 = await query("histogram_quantile(0.99, sum by (le) (gslb_dns_query_duration_seconds_bucket))");
    expect(Number(p99[0]!.value[1])).toBeGreaterThan(0);
    expect(Number(p99[0]!.value[1])).toBeLessThanOrEqual(0.1);
    expect((await query('gslb_pool_up{pool="p1"}'))[0]!.value[1]).toBe("1");
    expect((await query('up{job="gslb"}'))[0]!.value[1]).toBe("1");
    const targets = await request(promBase, "/api/v1/targets");
    expect(targets.json.data.activeTargets).toEqual([expect.objectContaining({ health: "up", lastError: "" })]);
  }, 40_000);
});
