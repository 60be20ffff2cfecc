// Several instances, one truth (issue 11): a real 3-member etcd cluster and three `gslb serve`
// processes on loopback, started here. Each instance probes the same HTTP origin from its own
// source address (--probe-source 127.0.0.1, .2, .3); the origin answers 503 to the sources a test
// blocks, which makes a partial outage seen by some instances only. Then the faults: an etcd member
// killed, all of etcd unreachable, an instance killed; and, on a cluster of their own, an instance
// that reaches etcd through a proxy the test slows down and stalls (test/support/proxy.ts), and one
// whose wall clock is an hour behind (libfaketime, test/support/clock.ts).

import { spawnSync } from "node:child_process";
import dns from "node:dns";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerData, opt, udpQuery } from "./support/client.js";
import { startEtcd, startTlsEtcd, etcdVersion, type EtcdCluster } from "./support/etcd.js";
import { Etcd3 } from "etcd3";
import { metric, request, sleep, until } from "./support/http.js";
import { GSLB, killGroup, serve, type Running } from "./support/processes.js";
import { balancedZone } from "./support/zones.js";
import { slowProxy, type ProxyMode, type SlowProxy } from "./support/proxy.js";
import { skewedClock } from "./support/clock.js";

const MAIN = "192.0.2.1", BACKUP = "198.51.100.1";
const WWW = "www.lb.example.com", EU = "eu.lb.example.com", ENAM = "enam.lb.example.com";
const TOKEN = "0123456789abcdef0123456789abcdef";
/** Probes every 5 s (the schema's minimum), one failure or success decides: a vote moves within ~7 s. */
const VOTE_MS = 25_000;

interface Instance { name: string; source: string; region: string; dir: string; p: Running & { port: number }; base: string }

/** The origin: 200 to every source address but the blocked ones (503). */
function origin() {
  const blocked = new Set<string>();
  const server = http.createServer((req, res) => {
    res.statusCode = blocked.has(req.socket.remoteAddress ?? "") ? 503 : 200;
    res.end("ok");
  });
  return { server, blocked };
}

/** An origin that answers the listed source addresses 300 ms late: far from them, near the others. */
function slowFor(...sources: string[]) {
  const server = http.createServer((req, res) => setTimeout(() => res.end("ok"), sources.includes(req.socket.remoteAddress ?? "") ? 300 : 0));
  return { server, port: 0 };
}
/** A: slow from SEAS (g3's 127.0.0.3); B: slow from WEU and ENAM (g1, g2). */
const latency = { a: slowFor("127.0.0.3"), b: slowFor("127.0.0.1", "127.0.0.2") };
const FAST_A = "192.0.2.11", FAST_B = "192.0.2.12";

function zone(port: number): Record<string, unknown> {
  return balancedZone({
    monitors: {
      // A 2 s timeout: a loaded test machine must not fail probes the test means to pass.
      web: { type: "http", port, interval: 5, timeout: 2, retries: 0, expected_codes: "200" },
      ma: { type: "http", port: latency.a.port, interval: 5, timeout: 2, retries: 0 },
      mb: { type: "http", port: latency.b.port, interval: 5, timeout: 2, retries: 0 },
    },
    // Clients by ECS subnet: a region each (two of them with no instance of their own).
    networks: { "10.1.0.0/16": { region: "SEAS" }, "10.2.0.0/16": { region: "WEU" }, "10.3.0.0/16": { region: "NEAS" }, "10.4.0.0/16": { region: "EEU" } },
    pools: {
      main: { origins: [{ name: "o1", address: MAIN, health_address: "127.0.0.1" }], monitor: "web" },
      // The same origin, but only instances probing from WEU vote on it.
      weu: { origins: [{ name: "o1", address: MAIN, health_address: "127.0.0.1" }], monitor: "web", check_regions: ["WEU"] },
      backup: { origins: [{ name: "b1", address: BACKUP }] },
      la: { origins: [{ name: "a", address: FAST_A, health_address: "127.0.0.1" }], monitor: "ma" },
      lb: { origins: [{ name: "b", address: FAST_B, health_address: "127.0.0.1" }], monitor: "mb" },
    },
    load_balancers: {
      www: { default_pools: ["main", "backup"], fallback_pool: "backup", ttl: 30 },
      eu: { default_pools: ["weu", "backup"], fallback_pool: "backup", ttl: 30 },
      // By the answering instance's --pop: G2 answers from the backup.
      pop: { default_pools: ["main", "backup"], pop_pools: { G2: ["backup"] }, fallback_pool: "backup", ttl: 30 },
      fast: { default_pools: ["la", "lb"], steering_policy: "dynamic_latency", location_strategy: { prefer_ecs: "always" }, fallback_pool: "lb", ttl: 30 },
    },
  });
}

describe("several instances voting through etcd", () => {
  let etcd: EtcdCluster;
  const o = origin();
  let originPort = 0;
  const prefix = `/gslb-test-${process.pid}/`;
  const instances: Instance[] = [];
  const answers = async (name = WWW) => Promise.all(instances.filter((i) => i.p.proc.exitCode === null && i.p.proc.signalCode === null).map(async (i) => (await answerData(i.p.port, name))[0]));
  const all = (name: string, want: string) => async () => (await answers(name)).every((a) => a === want);

  async function start(name: string, source: string, region: string, extra: string[] = []): Promise<Instance> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gslb-etcd-${name}-`));
    fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(zone(originPort), null, 2));
    fs.writeFileSync(path.join(dir, "token"), `${TOKEN}\n`);
    const p = await serve(["--zones", dir, "--http", "127.0.0.1:0", "--api-token-file", path.join(dir, "token"),
      "--instance", name, "--region", region, "--pop", name.toUpperCase(), "--probe-source", source,
      "--etcd", etcd.endpoints, "--etcd-prefix", prefix, "--etcd-lease-ttl", "3", ...extra], 40_000);
    const serving = await p.waitFor("serving");
    const i = { name, source, region, dir, p, base: `http://${serving.http}` };
    instances.push(i);
    return i;
  }

  beforeAll(async () => {
    // etcd missing fails here (CI installs etcd-server): never a silent skip.
    expect(etcdVersion(), "etcd is installed (apt-get install etcd-server)").toMatch(/^3\./);
    etcd = await startEtcd(3);
    await new Promise<void>((r) => o.server.listen(0, "127.0.0.1", () => r()));
    for (const l of [latency.a, latency.b]) {
      await new Promise<void>((r) => l.server.listen(0, "127.0.0.1", () => r()));
      l.port = (l.server.address() as { port: number }).port;
    }
    originPort = (o.server.address() as { port: number }).port;
    await start("g1", "127.0.0.1", "WEU");
    // g2 answers from two worker processes: the voted state reaches them as any health change does.
    await start("g2", "127.0.0.2", "ENAM", ["--workers", "2"]);
    await start("g3", "127.0.0.3", "SEAS");
    // Everyone sees everyone.
    await until(async () => (await Promise.all(instances.map(async (i) => (await request(i.base, "/api/v1/cluster")).json.instances.filter((x: any) => !x.gone).length))).every((n) => n === 3), 15_000, "three instances in /api/v1/cluster");
  }, 150_000);

  afterAll(async () => {
    for (const i of instances) {
      if (i.p.proc.exitCode === null && i.p.proc.signalCode === null) killGroup(i.p.pid), i.p.proc.kill("SIGKILL");
      fs.rmSync(i.dir, { recursive: true, force: true });
    }
    for (const s of [o.server, latency.a.server, latency.b.server]) { s.closeAllConnections(); s.close(); }
    await etcd?.stop();
  });

  it("a partial outage seen by one instance of three: the vote keeps the origin up on all three", async () => {
    expect(await answers()).toEqual([MAIN, MAIN, MAIN]);
    o.blocked.add("127.0.0.3");
    // g3's own verdict goes down; the vote (1 of 3 regions down) stays up.
    const g3 = instances[2]!;
    await until(async () => {
      const pools = (await request(g3.base, "/api/v1/pools")).json.pools;
      const v = pools.find((p: any) => p.pool === "main").origins[0].vote;
      return v?.verdicts.find((x: any) => x.instance === "g3")?.state === "down" ? v : null;
    }, VOTE_MS, "g3's own verdict down");
    const v = (await request(g3.base, "/api/v1/pools")).json.pools.find((p: any) => p.pool === "main").origins[0].vote;
    expect(v).toMatchObject({ state: "up", basis: "vote", counted: 3, down: 1 });
    expect(v.verdicts.map((x: any) => [x.instance, x.region, x.state]).sort()).toEqual([["g1", "WEU", "up"], ["g2", "ENAM", "up"], ["g3", "SEAS", "down"]]);
    expect(await answers()).toEqual([MAIN, MAIN, MAIN]);
    // check_regions: only WEU (g1) votes on pool weu; g1 still sees it up.
    expect(await answers(EU)).toEqual([MAIN, MAIN, MAIN]);
  }, 60_000);

  it("a majority down: every instance answers the same, including the one whose own probes succeed", async () => {
    o.blocked.add("127.0.0.2");
    const started = Date.now();
    await until(all(WWW, BACKUP), VOTE_MS, "every instance answers the backup");
    const ms = Date.now() - started;
    // The bound: a single instance's failover (interval + 10% jitter, × consecutive_down 1, + timeout) plus 2 s.
    expect(ms).toBeLessThan(5000 * 1.1 + 2000 + 2000);
    const g1 = instances[0]!;
    const v = (await request(g1.base, "/api/v1/pools")).json.pools.find((p: any) => p.pool === "main").origins[0];
    expect(v.vote).toMatchObject({ state: "down", counted: 3, down: 2 });
    expect(v.vote.verdicts.find((x: any) => x.instance === "g1").state).toBe("up");
    expect(v.state).toBe("down");
    // Pool weu: only g1 (WEU) votes, and it says up: MAIN everywhere.
    expect(await answers(EU)).toEqual([MAIN, MAIN, MAIN]);
    console.log(`vote to every instance's answers: ${ms} ms (probe interval 5 s)`);
  }, 60_000);

  it("check_regions: one WEU instance's verdict decides pool weu for every instance", async () => {
    o.blocked.clear();
    o.blocked.add("127.0.0.1");
    await until(all(EU, BACKUP), VOTE_MS, "every instance answers eu from the backup (g1, WEU, says down)");
    // Pool main: one of three down: up.
    await until(all(WWW, MAIN), VOTE_MS, "www back to main");
    const v = (await request(instances[1]!.base, "/api/v1/pools")).json.pools.find((p: any) => p.pool === "weu").origins[0].vote;
    expect(v).toMatchObject({ state: "down", counted: 1 });
    expect(v.verdicts.filter((x: any) => x.counted).map((x: any) => x.instance)).toEqual(["g1"]);
    o.blocked.clear();
    await until(all(EU, MAIN), VOTE_MS, "eu back to main");
  }, 60_000);

  it("an override written through one instance's API applies to all within a second; the file on one instance wins there", async () => {
    const [g1, g2, g3] = instances as [Instance, Instance, Instance];
    const put = await request(g1.base, "/api/v1/overrides/lb.example.com/main/o1", { method: "PUT", token: TOKEN, body: JSON.stringify({ state: "down", comment: "test" }) });
    expect(put.status, put.text).toBe(200);
    expect(put.json.layer).toBe("etcd");
    const t = Date.now();
    await until(all(WWW, BACKUP), 1000, "the override on every instance");
    expect(Date.now() - t).toBeLessThan(1000);
    expect((await request(g3.base, "/api/v1/overrides")).json.etcd.entries).toEqual([{ zone: "lb.example.com", pool: "main", origin: "o1", state: "down", comment: "test" }]);
    // g2's own file forces it up there: the per-instance layer wins on that instance only.
    fs.writeFileSync(path.join(g2.dir, "_overrides.json"), JSON.stringify({ overrides: [{ zone: "lb.example.com", pool: "main", origin: "o1", state: "up" }] }));
    await until(async () => (await answerData(g2.p.port, WWW))[0] === MAIN, 5000, "g2's file override");
    expect((await answerData(g1.p.port, WWW))[0]).toBe(BACKUP);
    fs.rmSync(path.join(g2.dir, "_overrides.json"));
    const del = await request(g3.base, "/api/v1/overrides/lb.example.com/main/o1", { method: "DELETE", token: TOKEN });
    expect(del.status, del.text).toBe(200);
    await until(all(WWW, MAIN), 5000, "override removed everywhere");
  }, 60_000);

  it("/api/v1/cluster: instances with region, pop, last seen; zone serials and digests; skew flagged", async () => {
    const c = (await request(instances[0]!.base, "/api/v1/cluster")).json;
    expect(c.etcd).toMatchObject({ state: "connected", degraded: false, prefix });
    expect(c.instances.map((i: any) => [i.instance, i.self, i.region, i.pop, i.gone, i.degraded])).toEqual([
      ["g1", true, "WEU", "G1", false, false], ["g2", false, "ENAM", "G2", false, false], ["g3", false, "SEAS", "G3", false, false],
    ]);
    expect(c.zones).toHaveLength(1);
    expect(c.zones[0]).toMatchObject({ zone: "lb.example.com", skew: false });
    expect(c.skew).toBe(false);
    // gslb cluster status: the same, as a table; exit 0 while nothing is flagged.
    const cli = spawnSync(process.execPath, [GSLB, "cluster", "status", "--http", instances[0]!.base.slice("http://".length)], { encoding: "utf8" });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^etcd: connected since /);
    expect(cli.stdout).toMatch(/g1 \(this\)\s+WEU\s+G1\s+now\s+ok/);
    expect(cli.stdout).toMatch(/g3\s+SEAS\s+G3\s+\d+ s ago\s+ok/);
    expect(cli.stdout).toMatch(/lb\.example\.com\s+2026112201 \w{8}\s+2026112201 \w{8}\s+2026112201 \w{8}\s*$/m);
    // g3 serves an edited file: skew, seen from g1.
    const g3 = instances[2]!;
    const z = zone(originPort) as any;
    z.soa.serial = 99;
    fs.writeFileSync(path.join(g3.dir, "lb.example.com.json"), JSON.stringify(z, null, 2));
    await until(async () => (await request(instances[0]!.base, "/api/v1/cluster")).json.skew === true, 10_000, "skew flagged");
    const after = (await request(instances[0]!.base, "/api/v1/cluster")).json;
    expect(after.zones[0].instances.g3.serial).toBe(99);
    expect(after.zones[0].instances.g1.serial).not.toBe(99);
    const skewed = spawnSync(process.execPath, [GSLB, "cluster", "status", "--http", instances[0]!.base.slice("http://".length)], { encoding: "utf8" });
    expect(skewed.status).toBe(3);
    expect(skewed.stdout).toMatch(/SKEW/);
    fs.writeFileSync(path.join(g3.dir, "lb.example.com.json"), JSON.stringify(zone(originPort), null, 2));
    await until(async () => (await request(instances[0]!.base, "/api/v1/cluster")).json.skew === false, 10_000, "skew gone");
  }, 60_000);

  it("pop_pools: keyed by the answering instance's --pop (g2 answers from two workers)", async () => {
    await until(async () => JSON.stringify(await answers("pop.lb.example.com")) === JSON.stringify([MAIN, BACKUP, MAIN]), VOTE_MS, "g2 alone answers pop from the backup");
    // Every worker of g2 answers the same.
    for (let k = 0; k < 10; k++) expect((await answerData(instances[1]!.p.port, "pop.lb.example.com"))[0]).toBe(BACKUP);
  });

  it("dynamic_latency: a client in region R gets the RTT measured from R, else from the nearest region measured, on every instance", async () => {
    // ECS from a subnet the zone's networks place in a region.
    const ask = async (i: Instance, net: number) => ((await udpQuery(i.p.port, "fast.lb.example.com", "A", { additionals: [opt([{ code: 8, data: Buffer.from([0, 1, 24, 0, 10, net, 0]) }])] })).answers ?? []).map((r: any) => r.data)[0];
    const want = { 1: FAST_B, 2: FAST_A, 3: FAST_B, 4: FAST_A } as const; // SEAS, WEU, NEAS (→ SEAS), EEU (→ WEU)
    await until(async () => {
      for (const i of instances) for (const [net, addr] of Object.entries(want)) if (await ask(i, Number(net)) !== addr) return false;
      return true;
    }, 40_000, "every instance steers each region's clients by that region's RTT");
    const pools = (await request(instances[0]!.base, "/api/v1/pools")).json.pools;
    const la = pools.find((p: any) => p.pool === "la"), lb = pools.find((p: any) => p.pool === "lb");
    expect(la.rtt_ms_by_region.SEAS).toBeGreaterThan(250);
    expect(la.rtt_ms_by_region.WEU).toBeLessThan(100);
    expect(lb.rtt_ms_by_region.ENAM).toBeGreaterThan(250);
    // Each instance's own figure beside the vote.
    expect(la.origins[0].vote.verdicts.find((v: any) => v.instance === "g3").rtt_ms).toBeGreaterThan(250);
  }, 60_000);

  it("one etcd member killed: nothing changes", async () => {
    o.blocked.add("127.0.0.2");
    o.blocked.add("127.0.0.3");
    await until(all(WWW, BACKUP), VOTE_MS, "majority down");
    await etcd.kill(0);
    // Long enough for a leader election, lease keep-alives and the watch to move to another member.
    for (let t = 0; t < 8; t++) {
      expect(await answers()).toEqual([BACKUP, BACKUP, BACKUP]);
      await sleep(1000);
    }
    for (const i of instances) {
      // A lease that expired during the election is replaced at once ("reconnecting", never degraded).
      await until(async () => (await request(i.base, "/api/v1/cluster")).json.etcd.state === "connected", 10_000, `${i.name} connected`);
      expect(i.p.lines().filter((l) => l.msg?.startsWith("etcd unreachable")).map((l) => l.reason), i.name).toEqual([]);
    }
    await etcd.start(0);
  }, 60_000);

  it("every lease revoked behind the instances' backs (their verdicts deleted): each takes a new one at once and republishes, never degraded", async () => {
    await until(all(WWW, BACKUP), VOTE_MS, "majority down");
    const mark = instances.map((i) => i.p.lines().length);
    const admin = new Etcd3({ hosts: etcd.endpoints.split(",") });
    try {
      const { leases } = await admin.leaseClient.leaseLeases({});
      expect(leases.length).toBeGreaterThanOrEqual(3);
      // A lease listed may expire before its revoke (an instance's old one, from an earlier fault): gone either way.
      for (const l of leases) await admin.leaseClient.leaseRevoke({ ID: l.ID }).catch((err: Error) => { if (!/not found/i.test(err.message)) throw err; });
    } finally {
      admin.close();
    }
    // Revoking deleted every verdict; each instance notices its lease gone, takes a new one and
    // publishes again: the vote is back on every instance within seconds.
    const t = Date.now();
    await until(all(WWW, BACKUP), 10_000, "the vote back on every instance");
    console.log(`leases revoked: the vote back everywhere after ${Date.now() - t} ms`);
    for (const [n, i] of instances.entries()) {
      await until(async () => (await request(i.base, "/api/v1/cluster")).json.instances.filter((x: any) => !x.gone).length === 3, 15_000, `${i.name} sees three instances again`);
      // Its own records may be seen before it has noticed its lease gone (a keep-alive's round): wait for it.
      await until(() => i.p.lines().slice(mark[n]).some((l) => l.msg?.startsWith("etcd: a new lease")), 15_000, `${i.name} takes a new lease`);
      expect(i.p.lines().slice(mark[n]).filter((l) => l.msg?.startsWith("etcd unreachable")), i.name).toEqual([]);
    }
  }, 60_000);

  it("all of etcd unreachable: each instance answers from its own verdicts, says so once, and converges when etcd is back", async () => {
    // Majority down (g2, g3 blocked): g1's own verdict is up, the others' down.
    await until(all(WWW, BACKUP), VOTE_MS, "majority down");
    const mark = instances.map((i) => i.p.lines().length);
    etcd.pauseAll();
    try {
      await until(async () => (await answerData(instances[0]!.p.port, WWW))[0] === MAIN, 25_000, "g1 falls back to its own verdict (up)");
      expect((await answerData(instances[1]!.p.port, WWW))[0]).toBe(BACKUP);
      for (const i of instances) {
        // Each instance notices on its own clock (its last keep-alive + twice the TTL).
        const ready = (await until(async () => { const r = await request(i.base, "/readyz"); return r.json.etcd?.degraded === true ? r : null; }, 10_000, `${i.name} degraded on /readyz`))!;
        expect(ready.status, i.name).toBe(200);
        expect(ready.json.etcd, i.name).toMatchObject({ degraded: true, state: "degraded" });
        expect((await request(i.base, "/api/v1/cluster")).json.etcd.degraded, i.name).toBe(true);
        expect(metric((await request(i.base, "/metrics")).text, "gslb_etcd_degraded"), i.name).toBe(1);
      }
      // DNS never waits on etcd: answers come at once while it is frozen.
      const t = Date.now();
      for (let k = 0; k < 20; k++) await answerData(instances[2]!.p.port, WWW);
      expect(Date.now() - t).toBeLessThan(2000);
      await sleep(3000);
    } finally {
      etcd.resumeAll();
    }
    // Said once per outage, however many retries.
    instances.forEach((i, n) => expect(i.p.lines().slice(mark[n]).filter((l) => l.msg?.startsWith("etcd unreachable")).length, i.name).toBe(1));
    await until(all(WWW, BACKUP), VOTE_MS, "the vote again on every instance");
    for (const i of instances) {
      await until(async () => (await request(i.base, "/readyz")).json.etcd.degraded === false, 15_000, `${i.name} connected again`);
      expect(metric((await request(i.base, "/metrics")).text, "gslb_etcd_degraded"), i.name).toBe(0);
      expect(i.p.lines().some((l) => l.msg?.startsWith("etcd reachable again")), i.name).toBe(true);
    }
  }, 90_000);

  it("an instance killed: its verdicts expire within the lease TTL and the vote goes on without it", async () => {
    // g2 and g3 say down, g1 up: down. Without g3: one each way, a tie: up.
    await until(all(WWW, BACKUP), VOTE_MS, "majority down");
    const g3 = instances[2]!;
    g3.p.proc.kill("SIGKILL");
    await g3.p.exited;
    const killed = Date.now();
    await until(async () => {
      const a = await Promise.all(instances.slice(0, 2).map(async (i) => (await answerData(i.p.port, WWW))[0]));
      return a.every((x) => x === MAIN);
    }, 15_000, "g1 and g2 answer main once g3's verdicts expire");
    const ms = Date.now() - killed;
    // Lease TTL 3 s (etcd's minimum for these election settings) plus the keep-alive period.
    expect(ms).toBeLessThan(8000);
    const c = (await request(instances[0]!.base, "/api/v1/cluster")).json;
    expect(c.instances.find((i: any) => i.instance === "g3")).toMatchObject({ gone: true, degraded: true });
    console.log(`killed instance's verdicts gone from the vote after ${ms} ms (lease TTL 3 s)`);
  }, 60_000);
});

/** Every query of a run: answered or not, its latency, what it said; and the control instance's latencies, asked alternately. */
interface Run { sent: number; answered: number; wrong: string[]; ms: number[]; control: number[] }

/**
 * `count` A queries for `name` through node's dns.Resolver (c-ares), one every `paceMs`, each given
 * 1 s; each followed by one to `controlPort` (an instance etcd's slowness does not reach: the
 * machine's own noise, at the same moments).
 */
async function measure(port: number, controlPort: number, name: string, want: string, count: number, paceMs: number, until?: () => boolean): Promise<Run> {
  const resolver = (p: number) => { const r = new dns.promises.Resolver({ timeout: 1000, tries: 1 }); r.setServers([`127.0.0.1:${p}`]); return r; };
  const r = resolver(port), c = resolver(controlPort);
  const run: Run = { sent: 0, answered: 0, wrong: [], ms: [], control: [] };
  while (run.sent < count || (until !== undefined && !until())) {
    run.sent++;
    let t = performance.now();
    try {
      const a = await r.resolve4(name);
      run.ms.push(performance.now() - t);
      run.answered++;
      if (a.join(",") !== want) run.wrong.push(a.join(","));
    } catch (err) {
      run.wrong.push((err as Error).message);
    }
    t = performance.now();
    if (await c.resolve4(name).then(() => true, () => false)) run.control.push(performance.now() - t);
    await sleep(paceMs);
  }
  return run;
}
const pct = (ms: readonly number[], p: number) => { const s = [...ms].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN; };
const summary = (r: Run) => `${r.answered}/${r.sent} answered, p50 ${pct(r.ms, 50).toFixed(2)} ms, p99 ${pct(r.ms, 99).toFixed(2)} ms, max ${Math.max(...r.ms).toFixed(2)} ms (n1 meanwhile: p99 ${pct(r.control, 99).toFixed(2)} ms, max ${Math.max(...r.control).toFixed(2)} ms)`;

describe("an instance whose network to etcd or whose clock is slow", () => {
  // Three instances of their own on a cluster of their own: n1 (normal), s2 (reaches etcd only
  // through proxies the test slows down and stalls), c3 (its wall clock an hour behind).
  let etcd: EtcdCluster;
  // o: www's origin; o2: enam's, which only ENAM (s2) votes on: how s2's own writes reach the others.
  const o = origin(), o2 = origin();
  const prefix = `/gslb-slow-${process.pid}/`;
  const proxies: SlowProxy[] = [];
  const clock = skewedClock("-1h");
  const running: Instance[] = [];
  const setMode = (mode: ProxyMode) => { for (const p of proxies) p.mode = mode; };
  const ask = async (i: Instance) => (await answerData(i.p.port, WWW))[0];
  const everyone = (want: string) => async () => (await Promise.all(running.map(ask))).every((a) => a === want);
  const vote = async (i: Instance) => (await request(i.base, "/api/v1/pools")).json.pools.find((p: any) => p.pool === "main").origins[0].vote;

  async function start(name: string, source: string, region: string, endpoints: string, env?: NodeJS.ProcessEnv): Promise<Instance> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gslb-slow-${name}-`));
    const [port, port2] = [o, o2].map((x) => (x.server.address() as { port: number }).port);
    fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(balancedZone({
      monitors: { web: { type: "http", port, interval: 5, timeout: 2, retries: 0, expected_codes: "200" }, web2: { type: "http", port: port2, interval: 5, timeout: 2, retries: 0, expected_codes: "200" } },
      pools: {
        main: { origins: [{ name: "o1", address: MAIN, health_address: "127.0.0.1" }], monitor: "web" },
        enam: { origins: [{ name: "o1", address: MAIN, health_address: "127.0.0.1" }], monitor: "web2", check_regions: ["ENAM"] },
        backup: { origins: [{ name: "b1", address: BACKUP }] },
      },
      load_balancers: { www: { default_pools: ["main", "backup"], fallback_pool: "backup", ttl: 30 }, enam: { default_pools: ["enam", "backup"], fallback_pool: "backup", ttl: 30 } },
    })));
    const p = await serve(["--zones", dir, "--instance", name, "--region", region, "--probe-source", source,
      "--etcd", endpoints, "--etcd-prefix", prefix, "--etcd-lease-ttl", "3"], 40_000, env);
    const i = { name, source, region, dir, p, base: `http://${(await p.waitFor("serving")).http}` };
    running.push(i);
    return i;
  }

  beforeAll(async () => {
    etcd = await startEtcd(3);
    for (const x of [o, o2]) await new Promise<void>((r) => x.server.listen(0, "127.0.0.1", () => r()));
    for (const m of etcd.members) { const u = new URL(m.clientUrl); proxies.push(await slowProxy(u.hostname, Number(u.port))); }
    await start("n1", "127.0.0.1", "WEU", etcd.endpoints);
    await start("s2", "127.0.0.2", "ENAM", proxies.map((p) => `http://${p.address}`).join(","));
    await start("c3", "127.0.0.3", "SEAS", etcd.endpoints, clock.env);
    await until(async () => (await Promise.all(running.map(async (i) => (await request(i.base, "/api/v1/cluster")).json.instances.filter((x: any) => !x.gone).length))).every((n) => n === 3), 15_000, "three instances in /api/v1/cluster");
  }, 90_000);

  afterAll(async () => {
    for (const i of running) {
      if (i.p.proc.exitCode === null && i.p.proc.signalCode === null) i.p.proc.kill("SIGKILL");
      fs.rmSync(i.dir, { recursive: true, force: true });
    }
    for (const p of proxies) await p.close();
    for (const x of [o, o2]) { x.server.closeAllConnections(); x.server.close(); }
    clock.remove();
    await etcd?.stop();
  });

  it("a clock an hour behind: its verdicts count on the others, theirs on it; nobody shows it stale; NTP stepping it right changes nothing", async () => {
    const [n1, , c3] = running as [Instance, Instance, Instance];
    // The preload works: c3's own idea of now is an hour behind n1's.
    const [tn, tc] = await Promise.all([n1, c3].map(async (i) => Date.parse((await request(i.base, "/api/v1/status")).json.generated_at)));
    expect(tn! - tc!).toBeGreaterThan(3500_000);
    // s2 and c3 down: n1's own probes succeed, but c3's verdict is one of the majority.
    o.blocked.add("127.0.0.2");
    o.blocked.add("127.0.0.3");
    await until(everyone(BACKUP), VOTE_MS, "every instance answers the backup (n1 by c3's verdict)");
    const onN1 = await vote(n1);
    expect(onN1).toMatchObject({ state: "down", counted: 3, down: 2 });
    expect(onN1.verdicts.map((v: any) => [v.instance, v.state, v.counted]).sort()).toEqual([["c3", "down", true], ["n1", "up", true], ["s2", "down", true]]);
    // Now c3's own probes succeed and n1's fail: c3 answers the backup by the others' verdicts.
    o.blocked.delete("127.0.0.3");
    o.blocked.add("127.0.0.1");
    const onC3 = await until(async () => { const v = await vote(c3); return v.verdicts.find((x: any) => x.instance === "c3")?.state === "up" && v.state === "down" ? v : null; }, VOTE_MS, "c3 up by itself, down by the vote");
    expect(onC3).toMatchObject({ state: "down", basis: "vote", counted: 3, down: 2 });
    expect(await Promise.all(running.map(ask))).toEqual([BACKUP, BACKUP, BACKUP]);
    // Seen from n1, c3 is neither gone nor stale; seen from c3, nor are the others. "Last seen" is
    // the reader's clock when a record arrived (rewritten every 10 s), so the writer's clock is no part of it.
    for (const [from, other] of [[c3, "n1"], [c3, "s2"], [n1, "c3"]] as const) {
      const c = (await request(from.base, "/api/v1/cluster")).json;
      const seen = c.instances.find((i: any) => i.instance === other);
      expect(seen, `${other} from ${from.name}`).toMatchObject({ gone: false, degraded: false });
      // `gslb cluster status` on this (normal) machine, asking either instance: seconds, not an hour.
      const cli = spawnSync(process.execPath, [GSLB, "cluster", "status", "--http", from.base.slice("http://".length)], { encoding: "utf8" });
      const ago = Number(new RegExp(`^${other}\\s+\\S+\\s+\\S+\\s+(\\d+) s ago\\s+ok`, "m").exec(cli.stdout)?.[1]);
      expect(ago, cli.stdout).toBeLessThan(12);
      expect(seen.last_seen_s_ago, `${other} from ${from.name}`).toBeGreaterThanOrEqual(0);
      expect(seen.last_seen_s_ago, `${other} from ${from.name}`).toBeLessThan(12);
    }
    // NTP steps c3's clock right: a jump of an hour forward. Durations are measured on the
    // monotonic clock: no keep-alive looks an hour late, no lease is dropped, nothing is reconnected.
    const mark = c3.p.lines().length;
    clock.set("+0");
    await until(async () => Math.abs(Date.parse((await request(c3.base, "/api/v1/status")).json.generated_at) - Date.now()) < 60_000, 5000, "c3's clock stepped right");
    await sleep(2000);
    expect(c3.p.lines().slice(mark).filter((l) => String(l.msg).startsWith("etcd")).map((l) => `${l.msg} ${l.reason ?? ""}`)).toEqual([]);
    expect((await request(c3.base, "/api/v1/cluster")).json.etcd.state).toBe("connected");
    expect(await Promise.all(running.map(ask))).toEqual([BACKUP, BACKUP, BACKUP]);
  }, 60_000);

  it("a slow, then stalled, network to etcd: that instance's answers stay fast and right; when the network is back it converges", async () => {
    const [n1, s2] = running as [Instance, Instance, Instance];
    o.blocked.clear();
    await until(everyone(MAIN), VOTE_MS, "every instance answers main");
    const before = await measure(s2.p.port, n1.p.port, WWW, MAIN, 200, 10);
    const writes0 = metric((await request(s2.base, "/metrics")).text, "gslb_etcd_writes_total");
    const lost = (from: number) => s2.p.lines().slice(from).filter((l) => String(l.msg).startsWith("etcd: lease or watch lost") || String(l.msg).startsWith("etcd unreachable"));
    // Slow: every chunk to and from etcd held 0.2–0.8 s (a round trip of up to 1.6 s, within the
    // 3 s lease and call deadline). Meanwhile s2's own verdict on enam's origin goes down (only
    // ENAM, s2, votes on it): written through the slow path, n1 answers enam from the backup once
    // it has arrived. s2 stays connected throughout.
    let mark = s2.p.lines().length;
    setMode({ kind: "slow", minMs: 200, maxMs: 800 });
    const slowAt = Date.now();
    o2.blocked.add("127.0.0.2");
    let followed = 0, done = false;
    const follow = until(async () => (await answerData(n1.p.port, ENAM))[0] === BACKUP, VOTE_MS, "n1 follows s2's verdict, written through the slow path")
      .then(() => { followed = Date.now() - slowAt; }).finally(() => { done = true; });
    const slow = await measure(s2.p.port, n1.p.port, WWW, MAIN, 200, 25, () => done);
    await follow;
    expect((await answerData(s2.p.port, ENAM))[0]).toBe(BACKUP);
    expect(lost(mark)).toEqual([]);
    // Slower: 1–3 s a chunk, as long as the lease itself: s2 may lose its lease and be degraded
    // (its own verdicts then) or stay connected; either way its answers do not wait.
    mark = s2.p.lines().length;
    setMode({ kind: "slow", minMs: 1000, maxMs: 3000 });
    const slower = await measure(s2.p.port, n1.p.port, WWW, MAIN, 200, 25);
    const slowerEvents = lost(mark).map((l) => l.msg.split(":")[0]);
    // Stalled: nothing passes, connections stay open. The others' verdicts change meanwhile (n1 and
    // c3 now fail their probes), which s2 cannot learn: it answers by what it knows, then, degraded,
    // by its own verdicts (up): main either way.
    setMode({ kind: "stalled" });
    const stalledAt = Date.now();
    o.blocked.add("127.0.0.1");
    o.blocked.add("127.0.0.3");
    let degraded = false, degradedAfter = 0;
    const poll = until(async () => (await request(s2.base, "/readyz")).json.etcd?.degraded === true, 25_000, "s2 degraded")
      .then(() => { degradedAfter = Date.now() - stalledAt; }).finally(() => { degraded = true; });
    const stalled = await measure(s2.p.port, n1.p.port, WWW, MAIN, 200, 25, () => degraded);
    await poll;
    const held = proxies.reduce((n, p) => n + p.held(), 0);
    const writes1 = metric((await request(s2.base, "/metrics")).text, "gslb_etcd_writes_total");
    console.log(`s2's DNS answers: before ${summary(before)}; etcd slow (0.2–0.8 s a chunk) ${summary(slow)}, s2's verdict followed by n1 after ${followed} ms (probe interval 5 s); ` +
      `slower (1–3 s) ${summary(slower)}, s2 meanwhile: ${slowerEvents.join(", ") || "connected"}; stalled ${summary(stalled)}, degraded after ${degradedAfter} ms; ` +
      `etcd writes confirmed meanwhile ${writes1 - writes0}, ${held} bytes held in the proxies`);
    for (const [what, r] of [["before", before], ["slow", slow], ["slower", slower], ["stalled", stalled]] as const) {
      expect(r.answered, what).toBe(r.sent);
      expect(r.wrong, what).toEqual([]);
      // About a millisecond, tens at worst on a loaded 2-core machine, as before the slowdown.
      expect(pct(r.ms, 50), what).toBeLessThan(Math.max(5, 3 * pct(before.ms, 50)));
      expect(pct(r.ms, 99), what).toBeLessThan(Math.max(100, 5 * pct(before.ms, 99), 2 * pct(r.control, 99)));
      // Not one query waited for etcd (a second or more in the slower phase, forever while stalled).
      expect(Math.max(...r.ms), what).toBeLessThan(1000);
    }
    // Back to normal: s2 takes a new lease, reads everyone's verdicts and answers as the others do.
    setMode({ kind: "normal" });
    const t = Date.now();
    await until(everyone(BACKUP), VOTE_MS, "every instance answers the backup (s2 by the others' verdicts)");
    console.log(`network back: s2 answers with the others after ${Date.now() - t} ms`);
    expect(await vote(s2)).toMatchObject({ state: "down", basis: "vote", counted: 3, down: 2 });
    for (const i of running) {
      const c = await until(async () => { const j = (await request(i.base, "/api/v1/cluster")).json; return j.etcd.state === "connected" && j.instances.filter((x: any) => !x.gone).length === 3 ? j : null; }, 15_000, `${i.name} sees three instances`);
      expect(c!.instances.find((x: any) => x.instance === "s2").degraded, i.name).toBe(false);
    }
    expect(s2.p.lines().some((l) => l.msg?.startsWith("etcd reachable again"))).toBe(true);
  }, 90_000);
});

describe("etcd unreachable from the start", () => {
  it("the instance starts within seconds, answers from its own checks, and says why", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-etcd-down-"));
    // A port nothing listens on (bound, then closed).
    const port = await new Promise<number>((r) => { const s = http.createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => r(p)); }); });
    fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(balancedZone({ pools: { p: { origins: [{ name: "o", address: MAIN }] } }, load_balancers: { www: { default_pools: ["p"] } } })));
    let g: Awaited<ReturnType<typeof serve>> | null = null;
    try {
      const started = Date.now();
      g = await serve(["--zones", dir, "--http", "127.0.0.1:0", "--instance", "alone", "--etcd", `http://127.0.0.1:${port}`], 40_000);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect((await answerData(g.port, WWW))[0]).toBe(MAIN);
      const base = `http://${(await g.waitFor("serving")).http}`;
      const ready = await request(base, "/readyz");
      expect(ready.status).toBe(200);
      expect(ready.json.etcd).toMatchObject({ degraded: true });
      expect(ready.json.etcd.last_error).toMatch(/connecting/);
      expect(g.lines().filter((l) => l.msg?.startsWith("etcd unreachable")).length).toBe(1);
    } finally {
      g?.proc.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("etcd over TLS, with a client certificate and a user", () => {
  it("--etcd-ca, --etcd-cert, --etcd-key, --etcd-user and --etcd-password-file reach a real cluster; a wrong password is degraded, and says why", async () => {
    const tls = await startTlsEtcd();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-etcd-tls-zones-"));
    const running: Awaited<ReturnType<typeof serve>>[] = [];
    try {
      // Authentication on: the root user, with its password.
      const admin = new Etcd3({ hosts: tls.endpoint, credentials: { rootCertificate: fs.readFileSync(tls.ca), certChain: fs.readFileSync(tls.cert), privateKey: fs.readFileSync(tls.key) } });
      await admin.role("root").create();
      await admin.user("root").create("s3cret-root-pw");
      await admin.user("root").addRole("root");
      await admin.auth.authEnable({});
      admin.close();
      fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(balancedZone({ pools: { p: { origins: [{ name: "o", address: MAIN }] } }, load_balancers: { www: { default_pools: ["p"] } } })));
      fs.writeFileSync(path.join(dir, "pw"), "s3cret-root-pw\n");
      fs.writeFileSync(path.join(dir, "bad"), "not-the-password\n");
      const flags = (name: string, pw: string) => ["--zones", dir, "--http", "127.0.0.1:0", "--instance", name, "--etcd", tls.endpoint, "--etcd-ca", tls.ca, "--etcd-cert", tls.cert, "--etcd-key", tls.key, "--etcd-user", "root", "--etcd-password-file", path.join(dir, pw), "--etcd-lease-ttl", "3"];
      const good = await serve(flags("tls1", "pw"), 40_000);
      running.push(good);
      const goodBase = `http://${(await good.waitFor("serving")).http}`;
      await until(async () => (await request(goodBase, "/api/v1/cluster")).json.etcd?.state === "connected", 15_000, "connected over TLS with the password");
      const bad = await serve(flags("tls2", "bad"), 40_000);
      running.push(bad);
      const badBase = `http://${(await bad.waitFor("serving")).http}`;
      const c = await until(async () => { const j = (await request(badBase, "/api/v1/cluster")).json; return j.etcd?.degraded === true && j.etcd.last_error !== null ? j : null; }, 15_000, "a wrong password: degraded");
      expect(c!.etcd.last_error).toMatch(/auth|password|permission/i);
      expect((await answerData(bad.port, WWW))[0]).toBe(MAIN);
      // The good one sees only itself: the other never got in.
      expect((await request(goodBase, "/api/v1/cluster")).json.instances.map((i: any) => i.instance)).toEqual(["tls1"]);
    } finally {
      for (const g of running) g.proc.kill("SIGKILL");
      await tls.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe("gslb serve's flags for several instances", () => {
  const fail = (...args: string[]) => spawnSync(process.execPath, [GSLB, "serve", "--zones", "/nonexistent", ...args], { encoding: "utf8" });
  it("are checked before anything starts: one line, exit 2", () => {
    for (const [args, message] of [
      [["--region", "weu"], 'gslb serve: --region: unknown region "weu" (did you mean "WEU"?)'],
      [["--instance", "a/b"], '--instance "a/b": letters, digits'],
      [["--etcd-prefix", "/x/"], "--etcd-prefix: there is no --etcd"],
      [["--etcd", "127.0.0.1:2379"], '--etcd "127.0.0.1:2379": not a URL; expected http://HOST:PORT or https://HOST:PORT'],
      [["--etcd", "ftp://127.0.0.1:2379"], '--etcd "ftp://127.0.0.1:2379": expected http://HOST:PORT or https://HOST:PORT'],
      [["--etcd", "http://127.0.0.1:2379", "--etcd-user", "u"], "--etcd-user and --etcd-password-file: give both"],
      [["--etcd", "http://127.0.0.1:2379", "--etcd-lease-ttl", "1"], '--etcd-lease-ttl "1": expected a whole number from 2 to 3600'],
      [["--probe-source", "host.example"], '--probe-source "host.example": not an IP address'],
      [["--probe-source", "127.0.0.2", "--probe-source", "127.0.0.3"], '--probe-source "127.0.0.3": one IPv4 address at most'],
      [["--pop", "L H R"], '--pop "L H R": a code such as LHR'],
    ] as const) {
      const r = fail(...args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});
