// The status API (issue 10 §1) through real HTTP against a real server: real HTTP origins whose
// health the server's monitors probe, DNS queries from real sockets, and every endpoint read back.

import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dnsPacket from "dns-packet";
import { answerData, makeQuery, tcpExchange, udpExchange } from "./support/client.js";
import { balancedZone } from "./support/zones.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { httpOrigin, metric, hasMetric, request, sleep, until } from "./support/http.js";
import type { StateChange } from "../src/status/health.js";

const TOKEN = "a-token-for-the-status-api-tests-0123456789";
const main = new URL("../dist/cli/main.js", import.meta.url).pathname;
/** The CLI as a child process, without blocking this process (which runs the server it may ask). */
function gslb(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [main, ...args]);
    let stdout = "", stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d));
    p.stderr.on("data", (d: Buffer) => (stderr += d));
    p.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

let a: Awaited<ReturnType<typeof httpOrigin>>;
let b: Awaited<ReturnType<typeof httpOrigin>>;
let t: TestServer;
let base: string;
const seen: StateChange[] = [];

function zone(): Record<string, any> {
  return balancedZone({
    monitors: { hc: { type: "http", path: "/", port: a.port, interval: 5, timeout: 3, retries: 0 } },
    pools: {
      pa: { origins: [{ name: "a", address: "127.0.0.51" }], monitor: "hc" },
      pb: { origins: [{ name: "b", address: "127.0.0.52" }], monitor: "hc", minimum_origins: 1 },
      pc: { origins: [{ name: "c", address: "192.0.2.99" }] },
    },
    load_balancers: {
      app: { default_pools: ["pa", "pb"], fallback_pool: "pc", steering_policy: "off" },
      fb: { default_pools: ["pa"], fallback_pool: "pc", steering_policy: "off" },
    },
  });
}

beforeAll(async () => {
  a = await httpOrigin("127.0.0.51");
  b = await httpOrigin("127.0.0.52", a.port);
  a.status = 500; // down from the first round on
  t = await startTestServer({ "lb.example.com.json": zone() }, { http: { host: "127.0.0.1", port: 0 }, apiToken: TOKEN });
  base = `http://127.0.0.1:${t.server.http!.port}`;
  t.server.status.events.on((e) => seen.push(e));
}, 30_000);
afterAll(async () => { await t?.close(); await a?.close(); await b?.close(); });

describe("health and readiness", () => {
  it("/healthz answers; /readyz is 200 once the first round of checks is over", async () => {
    const h = await request(base, "/healthz");
    expect(h.status).toBe(200);
    expect(h.json).toEqual({ status: "ok" });
    const r = await request(base, "/readyz");
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ready: true, waiting: [], health_checks: { targets: 2, decided: 2, done: true } });
    expect((await request(base, "/nowhere")).status).toBe(404);
    const wrong = await request(base, "/readyz", { method: "POST" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
  });
});

describe("/api/v1/pools", () => {
  it("gives each origin's state, last probe result and reason, RTT and since when; each pool's health with minimum_origins", async () => {
    const r = await request(base, "/api/v1/pools");
    expect(r.status).toBe(200);
    const pools = new Map<string, any>(r.json.pools.map((p: any) => [p.pool, p]));
    const pa = pools.get("pa"), pb = pools.get("pb"), pc = pools.get("pc");
    expect(pa).toMatchObject({ zone: "lb.example.com", monitor: "hc", minimum_origins: 1, healthy: false, state: "down", origins_up: 0 });
    expect(pa.origins[0]).toMatchObject({ origin: "a", address: "127.0.0.51", state: "down", monitor_state: "down", counts_as_up: false, last_probe: { ok: false, reason: "status 500" } });
    expect(pb).toMatchObject({ healthy: true, state: "up", origins_up: 1 });
    expect(pb.origins[0]).toMatchObject({ origin: "b", state: "up", last_probe: { ok: true, reason: "200" } });
    expect(pb.origins[0].rtt_ms).toBeGreaterThan(0);
    expect(pb.origins[0].last_probe.duration_ms).toBeGreaterThan(0);
    expect(Date.parse(pb.origins[0].last_probe.at)).toBeLessThanOrEqual(Date.now());
    // An unmonitored pool's origins count as up.
    expect(pc.origins[0]).toMatchObject({ state: "up", monitor_state: null, counts_as_up: true, last_probe: null });
    // Since when: the first round's result, after the server started.
    expect(Date.parse(pa.origins[0].since)).toBeGreaterThanOrEqual(t.server.status.startedAt);
    expect(r.json.probes_fresh).toBe(true);
  });

  it("keeps the state changes as events (with the prober's reason), and tells subscribers", async () => {
    const r = await request(base, "/api/v1/events");
    const events: StateChange[] = r.json.events;
    expect(events.find((e) => e.origin === "a")).toMatchObject({ zone: "lb.example.com", pool: "pa", from: "unknown", to: "down", reason: "status 500" });
    expect(events.find((e) => e.origin === "b")).toMatchObject({ pool: "pb", from: "unknown", to: "up", reason: "200" });
    expect(events.find((e) => e.origin === null && e.pool === "pa")).toMatchObject({ from: "up", to: "down", reason: "0 of 1 origins up (minimum_origins 1)" });
    const last = r.json.last as number;
    const later = await request(base, `/api/v1/events?since=${last}`);
    expect(later.json.events).toEqual([]);
    expect((await request(base, "/api/v1/events?since=-1")).status).toBe(400);
    // An operator's override is a state change too: drained, seen by a subscriber at once.
    const put = await request(base, "/api/v1/overrides/lb.example.com/pb/b", { method: "PUT", token: TOKEN, body: JSON.stringify({ state: "drain", comment: "deploy" }) });
    expect(put.status).toBe(200);
    try {
      expect(seen.at(-1)).toMatchObject({ pool: "pb", origin: "b", from: "up", to: "drained", reason: "override drain on the origin" });
      const pools = (await request(base, "/api/v1/pools")).json.pools;
      expect(pools.find((p: any) => p.pool === "pb").origins[0]).toMatchObject({ state: "drained", override: { state: "drain", on: "origin" } });
      expect((await request(base, `/api/v1/events?since=${last}`)).json.events.map((e: StateChange) => e.to)).toContain("drained");
    } finally {
      expect((await request(base, "/api/v1/overrides/lb.example.com/pb/b", { method: "DELETE", token: TOKEN })).status).toBe(200);
    }
    expect(seen.at(-1)).toMatchObject({ origin: "b", from: "drained", to: "up", reason: "override ended" });
  });
});

describe("/api/v1/zones", () => {
  it("lists each zone file with serial, load state, names and load balancers; a broken file says where", async () => {
    const ok = await request(base, "/api/v1/zones");
    expect(ok.status).toBe(200);
    const file = path.join(t.dir, "lb.example.com.json");
    expect(ok.json.zones).toEqual([expect.objectContaining({
      file, zone: "lb.example.com", state: "loaded", serial: 2026112201, errors: [],
      load_balancers: [
        expect.objectContaining({ name: "app.lb.example.com", policy: "off", default_pools: ["pa", "pb"], fallback_pool: "pc" }),
        expect.objectContaining({ name: "fb.lb.example.com" }),
      ],
      pools: ["pa", "pb", "pc"],
    })]);
    expect(ok.json.zones[0].names).toBeGreaterThan(5);
    const reloadsBefore = ok.json.reloads;
    // Broken: the last good version still serves, and the error has file, path and reason.
    const broken = zone();
    broken.records.mail.A = ["192.0.2.300"];
    t.writeZone("lb.example.com.json", broken);
    t.writeZone("other.test.json", "{ not json");
    try {
      t.server.reload();
      const r = await request(base, "/api/v1/zones");
      const byFile = new Map<string, any>(r.json.zones.map((z: any) => [z.file, z]));
      expect(byFile.get(file)).toMatchObject({ zone: "lb.example.com", state: "last good", serial: 2026112201 });
      expect(byFile.get(file).errors).toContainEqual({ file, path: "records.mail.A[0]", message: '"192.0.2.300" is not an IPv4 address' });
      expect(byFile.get(path.join(t.dir, "other.test.json"))).toMatchObject({ zone: null, state: "error", errors: [expect.objectContaining({ path: "$", message: expect.stringMatching(/invalid JSON/) })] });
      expect(r.json).toMatchObject({ reloads: reloadsBefore + 1, last_load_ok: false });
    } finally {
      fs.rmSync(path.join(t.dir, "other.test.json"));
      t.writeZone("lb.example.com.json", zone());
      t.server.reload();
    }
    expect((await request(base, "/api/v1/zones")).json.zones[0].state).toBe("loaded");
  });
});

describe("/api/v1/explain", () => {
  it("explains with the live health and overrides, and gslb explain --server prints it as gslb explain does", async () => {
    const q = "/api/v1/explain?name=app.lb.example.com&type=A&client=192.0.2.1";
    const r = await request(base, q);
    expect(r.status).toBe(200);
    // a is down (the monitors say so): pb answers. A local explain, which runs no monitors, says pa.
    expect(r.json).toMatchObject({ loadBalancer: "app.lb.example.com", kind: "balancer", pool: { pool: { name: "pb" }, considered: [{ pool: "pa", state: "unhealthy" }, { pool: "pb", state: "healthy" }] }, answers: [{ name: "app.lb.example.com", type: "A", data: "127.0.0.52" }] });
    const local = await gslb(["explain", "app.lb.example.com", "--zones", t.dir, "--client", "192.0.2.1"]);
    expect(local.stdout).toMatch(/chosen\s+pa:/);
    const remote = await gslb(["explain", "app.lb.example.com", "--server", base, "--client", "192.0.2.1"]);
    expect(remote.status).toBe(0);
    expect(remote.stdout).toMatch(/pools\s+pa UNHEALTHY, pb healthy/);
    expect(remote.stdout).toMatch(/chosen\s+pb: first healthy pool of default_pools/);
    expect(remote.stdout).toMatch(/answer\s+app\.lb\.example\.com\. 30 A 127\.0\.0\.52/);
    expect(remote.stdout).toMatch(/health\s+live: this server's health checks and overrides/);
    // The same lines as a local explain but for the decision and the health line.
    const shape = (s: string) => s.split("\n").map((l) => l.slice(0, 11));
    expect(shape(remote.stdout)).toEqual(shape(local.stdout));
    const json = await gslb(["explain", "app.lb.example.com", "--server", base, "--client", "192.0.2.1", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(r.json);
    // Overrides count: a forced up, pa answers again.
    expect((await request(base, "/api/v1/overrides/lb.example.com/pa/a", { method: "PUT", token: TOKEN, body: '{"state":"up"}' })).status).toBe(200);
    try {
      expect((await request(base, q)).json.pool.pool.name).toBe("pa");
    } finally {
      await request(base, "/api/v1/overrides/lb.example.com/pa/a", { method: "DELETE", token: TOKEN });
    }
    // Static names and bad input.
    expect((await request(base, "/api/v1/explain?name=mail.lb.example.com")).json).toMatchObject({ kind: "static", rcode: 0, answers: [{ type: "A", data: "192.0.2.25" }] });
    expect((await request(base, "/api/v1/explain?name=app.lb.example.com&ecs=nonsense")).status).toBe(400);
    expect((await request(base, "/api/v1/explain")).status).toBe(400);
    const closed = await new Promise<number>((r) => { const srv = net.createServer().listen(0, "127.0.0.1", () => { const p = (srv.address() as net.AddressInfo).port; srv.close(() => r(p)); }); });
    const unreachable = await gslb(["explain", "app.lb.example.com", "--server", `http://127.0.0.1:${closed}`]);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toBe(`gslb explain: cannot reach http://127.0.0.1:${closed}: ECONNREFUSED\n`);
  });
});

describe("overrides through the API", () => {
  const file = () => path.join(t.dir, "_overrides.json");
  const text = () => (fs.existsSync(file()) ? fs.readFileSync(file(), "utf8") : null);
  const put = (p: string, body: string, token: string | null = TOKEN) => request(base, `/api/v1/overrides/${p}`, { method: "PUT", token: token ?? undefined, body });

  it("refuses writes without the token, or with a wrong one (401)", async () => {
    const before = text();
    const none = await put("lb.example.com/pa", '{"state":"drain"}', null);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await put("lb.example.com/pa", '{"state":"drain"}', TOKEN.slice(0, -1) + "x")).status).toBe(401);
    expect((await put("lb.example.com/pa", '{"state":"drain"}', TOKEN + "x")).status).toBe(401);
    expect((await request(base, "/api/v1/overrides/lb.example.com/pa", { method: "DELETE" })).status).toBe(401);
    expect(text()).toBe(before);
  });

  it("says what is wrong with a request: 400 for the body, 404 for what the URL names", async () => {
    const before = text();
    const badJson = await put("lb.example.com/pa", "{state: drain}");
    expect(badJson.status).toBe(400);
    expect(badJson.json.error).toMatch(/^body: invalid JSON/);
    const badState = await put("lb.example.com/pa", '{"state":"sideways"}');
    expect(badState.status).toBe(400);
    expect(badState.json.problems).toEqual([{ path: "state", message: expect.stringMatching(/"up"\|"down"\|"drain"/) }]);
    const typo = await put("lb.example.com/pa", '{"stat":"drain"}');
    expect(typo.json.problems).toEqual(expect.arrayContaining([{ path: "stat", message: 'unknown key "stat" (did you mean "state"?)' }]));
    const until = await put("lb.example.com/pa", '{"state":"drain","until":"tomorrow"}');
    expect(until.status).toBe(400);
    expect(until.json.problems[0].path).toBe("until");
    const noPool = await put("lb.example.com/pz", '{"state":"drain"}');
    expect(noPool.status).toBe(404);
    expect(noPool.json.error).toMatch(/zone lb\.example\.com has no pool "pz"/);
    expect((await put("example.net/pa", '{"state":"drain"}')).status).toBe(404);
    expect((await put("lb.example.com/pa/zz", '{"state":"drain"}')).status).toBe(404);
    expect((await request(base, "/api/v1/overrides/lb.example.com/pa", { method: "PATCH", token: TOKEN })).status).toBe(405);
    expect(text()).toBe(before);
  });

  it("writes through to _overrides.json atomically, keeps the entries it does not touch, and applies at once", async () => {
    fs.writeFileSync(file(), JSON.stringify({ overrides: [{ zone: "lb.example.com", pool: "pc", state: "drain", comment: "by hand" }] }, null, 2));
    t.server.reload();
    expect(await answerData(t.port, "app.lb.example.com")).toEqual(["127.0.0.52"]);
    const r = await put("lb.example.com/pa/a", '{"state":"up","comment":"forced for the test"}');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ override: { zone: "lb.example.com", pool: "pa", origin: "a", state: "up" }, active: { "lb.example.com/pa/a": "up", "lb.example.com/pc": "drain" } });
    // DNS follows at once: a forced up, pa answers.
    expect(await answerData(t.port, "app.lb.example.com")).toEqual(["127.0.0.51"]);
    const onDisk = JSON.parse(fs.readFileSync(file(), "utf8"));
    expect(onDisk.overrides).toEqual([
      { zone: "lb.example.com", pool: "pc", state: "drain", comment: "by hand" },
      { zone: "lb.example.com", pool: "pa", origin: "a", state: "up", comment: "forced for the test" },
    ]);
    // PUT again replaces (one entry per target); no temporary file is left beside it.
    expect((await put("lb.example.com/pa/a", '{"state":"down"}')).json.replaced).toBe(1);
    expect(JSON.parse(fs.readFileSync(file(), "utf8")).overrides).toHaveLength(2);
    expect(fs.readdirSync(t.dir).filter((f) => f.includes("tmp"))).toEqual([]);
    // The file is what `gslb check` checks: still valid.
    expect((await gslb(["check", t.dir])).status).toBe(0);
    const listed = await request(base, "/api/v1/overrides");
    expect(listed.json).toMatchObject({ writable: true, entries: onDisk.overrides.slice(0, 1).concat([{ zone: "lb.example.com", pool: "pa", origin: "a", state: "down" }]) });
    const del = await request(base, "/api/v1/overrides/lb.example.com/pa/a", { method: "DELETE", token: TOKEN });
    expect(del.json).toMatchObject({ removed: 1, active: { "lb.example.com/pc": "drain" } });
    expect((await request(base, "/api/v1/overrides/lb.example.com/pa/a", { method: "DELETE", token: TOKEN })).status).toBe(404);
    expect(await answerData(t.port, "app.lb.example.com")).toEqual(["127.0.0.52"]);
    await request(base, "/api/v1/overrides/lb.example.com/pc", { method: "DELETE", token: TOKEN });
    expect(JSON.parse(fs.readFileSync(file(), "utf8"))).toEqual({ overrides: [] });
  });

  it("does not write over a broken file (409): the file stays the one truth", async () => {
    fs.writeFileSync(file(), "{ broken");
    try {
      const r = await put("lb.example.com/pa", '{"state":"drain"}');
      expect(r.status).toBe(409);
      expect(r.json.error).toMatch(/invalid JSON/);
      expect(fs.readFileSync(file(), "utf8")).toBe("{ broken");
    } finally {
      fs.rmSync(file());
    }
  });

  it("has no write endpoints without --api-token-file (404), and says so when listing", async () => {
    const s = await startTestServer({ "lb.example.com.json": zone() }, { http: { host: "127.0.0.1", port: 0 }, monitors: false });
    try {
      const sbase = `http://127.0.0.1:${s.server.http!.port}`;
      expect((await request(sbase, "/api/v1/overrides/lb.example.com/pa", { method: "PUT", token: TOKEN, body: '{"state":"drain"}' })).status).toBe(404);
      expect((await request(sbase, "/api/v1/overrides/lb.example.com/pa", { method: "DELETE", token: TOKEN })).status).toBe(404);
      expect((await request(sbase, "/api/v1/overrides")).json).toMatchObject({ writable: false, entries: [] });
      expect(fs.existsSync(path.join(s.dir, "_overrides.json"))).toBe(false);
    } finally {
      await s.close();
    }
  });
});

describe("/metrics", () => {
  const scrape = async () => {
    const r = await request(base, "/metrics");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return r.text;
  };

  it("counts queries by zone, type, rcode and transport, answers by load balancer and pool (reused ones too), fallbacks, drops and latency", async () => {
    const before = await scrape();
    const q = (labels: Record<string, string>, text: string) => metric(text, "gslb_dns_queries_total", labels);
    for (let i = 0; i < 10; i++) expect(await answerData(t.port, "app.lb.example.com")).toEqual(["127.0.0.52"]);
    for (let i = 0; i < 3; i++) expect(await answerData(t.port, "fb.lb.example.com")).toEqual(["192.0.2.99"]);
    await answerData(t.port, "nope.lb.example.com").catch(() => {});
    await udpExchange(t.port, makeQuery("example.org"));
    await tcpExchange(t.port, [makeQuery("lb.example.com", "MX")]);
    // Malformed: 5 bytes (no reply); a header without a question (FORMERR); EDNS version 1 (BADVERS).
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((r) => sock.send(Buffer.from([1, 2, 3, 4, 5]), t.port, "127.0.0.1", () => r()));
    sock.close();
    await udpExchange(t.port, Buffer.from([0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    await udpExchange(t.port, dnsPacket.encode({ type: "query", id: 7, questions: [{ name: "lb.example.com", type: "SOA" }], additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, ednsVersion: 1, flags: 0, options: [] } as any] }));
    await sleep(100);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => metric(after, name, labels) - metric(before, name, labels);
    const zoneA = { zone: "lb.example.com", qtype: "A", transport: "udp" };
    expect(q({ ...zoneA, rcode: "NOERROR" }, after) - q({ ...zoneA, rcode: "NOERROR" }, before)).toBe(13);
    expect(q({ ...zoneA, rcode: "NXDOMAIN" }, after) - q({ ...zoneA, rcode: "NXDOMAIN" }, before)).toBe(1);
    expect(delta("gslb_dns_queries_total", { zone: "(none)", rcode: "REFUSED", transport: "udp" })).toBe(1);
    expect(delta("gslb_dns_queries_total", { zone: "lb.example.com", qtype: "MX", rcode: "NOERROR", transport: "tcp" })).toBe(1);
    expect(delta("gslb_dns_queries_total", { zone: "(none)", qtype: "NONE", rcode: "FORMERR" })).toBe(1);
    expect(delta("gslb_dns_queries_total", { qtype: "SOA", rcode: "BADVERS" })).toBe(1);
    expect(delta("gslb_dns_dropped_queries_total", { reason: "malformed" })).toBe(1);
    // Every answer by pool, the reused ones included (steering off, one origin a pool: reusable).
    expect(delta("gslb_lb_answers_total", { load_balancer: "app.lb.example.com", pool: "pb" })).toBe(10);
    expect(delta("gslb_answer_cache_reused_total")).toBeGreaterThanOrEqual(8);
    expect(delta("gslb_lb_answers_total", { load_balancer: "fb.lb.example.com", pool: "pc" })).toBe(3);
    expect(delta("gslb_lb_fallbacks_total", { load_balancer: "fb.lb.example.com", pool: "pc" })).toBe(3);
    expect(delta("gslb_lb_fallbacks_total", { load_balancer: "app.lb.example.com" })).toBe(0);
    expect(delta("gslb_tcp_connections_total")).toBe(1);
    // Latency: one observation per query handled (the dropped one too).
    // 10 + 3 load-balanced, NXDOMAIN, REFUSED, the 5 bytes, FORMERR, BADVERS.
    expect(delta("gslb_dns_query_duration_seconds_count", { transport: "udp" })).toBe(18);
    expect(delta("gslb_dns_query_duration_seconds_bucket", { transport: "udp", le: "+Inf" })).toBe(18);
    expect(delta("gslb_dns_query_duration_seconds_count", { transport: "tcp" })).toBe(1);
    expect(metric(after, "gslb_dns_query_duration_seconds_sum", { transport: "udp" })).toBeGreaterThan(0);
  });

  it("shows health checks (results, durations), origin and pool gauges, reloads and reload errors", async () => {
    const text = await scrape();
    expect(metric(text, "gslb_probe_results_total", { zone: "lb.example.com", pool: "pa", origin: "a", result: "failure" })).toBeGreaterThanOrEqual(1);
    expect(metric(text, "gslb_probe_results_total", { pool: "pb", origin: "b", result: "success" })).toBeGreaterThanOrEqual(1);
    expect(metric(text, "gslb_probe_duration_seconds_count", { type: "http" })).toBeGreaterThanOrEqual(2);
    expect(metric(text, "gslb_origin_up", { pool: "pa", origin: "a" })).toBe(0);
    expect(metric(text, "gslb_origin_up", { pool: "pb", origin: "b" })).toBe(1);
    expect(metric(text, "gslb_pool_up", { pool: "pa" })).toBe(0);
    expect(metric(text, "gslb_pool_up", { pool: "pb" })).toBe(1);
    expect(metric(text, "gslb_origin_rtt_seconds", { origin: "b" })).toBeGreaterThan(0);
    expect(metric(text, "gslb_ready")).toBe(1);
    const reloads = metric(text, "gslb_config_reloads_total"), errors = metric(text, "gslb_config_reload_errors_total");
    t.server.reload();
    let now = await scrape();
    expect(metric(now, "gslb_config_reloads_total")).toBe(reloads + 1);
    expect(metric(now, "gslb_config_reload_errors_total")).toBe(errors);
    t.writeZone("lb.example.com.json", "{");
    try {
      t.server.reload();
      now = await scrape();
      expect(metric(now, "gslb_config_reload_errors_total")).toBe(errors + 1);
      expect(metric(now, "gslb_config_last_reload_successful")).toBe(0);
    } finally {
      t.writeZone("lb.example.com.json", zone());
      t.server.reload();
    }
    expect(metric(await scrape(), "gslb_config_last_reload_successful")).toBe(1);
    // prom-client's process metrics come along.
    expect(hasMetric(now, "process_cpu_seconds_total")).toBe(true);
  });
});

describe("/metrics with --workers 2", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ "lb.example.com.json": zone() }, { workers: 2, monitors: false, http: { host: "127.0.0.1", port: 0 } });
  }, 60_000);
  afterAll(async () => { await s?.close(); });

  it("sums every worker's counters, and keeps a dead worker's", async () => {
    const sbase = `http://127.0.0.1:${s.server.http!.port}`;
    const count = async () => metric((await request(sbase, "/metrics")).text, "gslb_dns_queries_total", { zone: "lb.example.com", qtype: "MX", rcode: "NOERROR" });
    const ask = async (n: number) => { for (let i = 0; i < n; i++) expect(await udpExchange(s.port, makeQuery("lb.example.com", "MX"))).not.toBeNull(); };
    await ask(200);
    expect(await count()).toBe(200);
    await sleep(600); // per-worker stats come every 0.5 s
    const shares = s.server.workers().map((w) => w.queries);
    expect(shares).toHaveLength(2);
    expect(Math.min(...shares)).toBeGreaterThan(0); // both answered: the sum is a sum
    expect(metric((await request(sbase, "/metrics")).text, "gslb_answering_processes")).toBe(2);
    // A worker dies: what it counted stays counted; its replacement counts on.
    process.kill(s.server.workerPids[0]!, "SIGKILL");
    await until(async () => s.server.workerPids.length === 2 && s.server.workers().length === 2, 15_000, "a worker restarted");
    await ask(50);
    // The dead worker's figures as last gathered (the scrape above: nothing came since) stand.
    expect(await count()).toBe(250);
  }, 40_000);
});

describe("--no-metrics", () => {
  it("counts nothing per query; the rest of /metrics stays", async () => {
    const s = await startTestServer({ "lb.example.com.json": zone() }, { monitors: false, http: { host: "127.0.0.1", port: 0 }, metrics: false });
    try {
      await udpExchange(s.port, makeQuery("lb.example.com", "MX"));
      const text = (await request(`http://127.0.0.1:${s.server.http!.port}`, "/metrics")).text;
      expect(hasMetric(text, "gslb_dns_queries_total")).toBe(false);
      expect(metric(text, "gslb_pool_up", { pool: "pc" })).toBe(1);
    } finally {
      await s.close();
    }
  });
});
