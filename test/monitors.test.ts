// Issue 4 through the whole path: real HTTP origins on their own loopback addresses, the server's
// monitors probing them, DNS answers following their health.

import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerData } from "./support/client.js";
import { balancedZone } from "./support/zones.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";

/** An origin whose health endpoint answers `status` after `delayMs` (both changeable), on its own loopback address. */
async function origin(host: string, port = 0): Promise<{ server: http.Server; port: number; status: number; delayMs: number }> {
  const o = {
    server: http.createServer((_req, res) => setTimeout(() => { res.statusCode = o.status; res.end("ok"); }, o.delayMs)),
    port: 0, status: 200, delayMs: 0,
  };
  await new Promise<void>((r) => o.server.listen(port, host, () => r()));
  o.port = (o.server.address() as net.AddressInfo).port;
  return o;
}

let a: Awaited<ReturnType<typeof origin>>;
let b: Awaited<ReturnType<typeof origin>>;
let t: TestServer;

beforeAll(async () => {
  a = await origin("127.0.0.21");
  b = await origin("127.0.0.22", a.port);
  a.status = 500; // down at start: the first round must see it before the first answer
  const z = balancedZone({
    monitors: { hc: { type: "http", path: "/health", port: a.port, interval: 5, timeout: 1, retries: 0, consecutive_up: 1, consecutive_down: 1 } },
    pools: { pa: { origins: [{ name: "a", address: "127.0.0.21" }], monitor: "hc" }, pb: { origins: [{ name: "b", address: "127.0.0.22" }], monitor: "hc" } },
    load_balancers: { app: { default_pools: ["pa", "pb"], steering_policy: "off" } },
  });
  t = await startTestServer({ "lb.example.com.json": z });
}, 20_000);
afterAll(async () => { await t.close(); a.server.close(); b.server.close(); });

/** A pool's RTT average as the server's health table has it. */
const poolRtt = (s: TestServer, pool: string) => { const b = s.server.balancing().get("lb.example.com")!; return s.server.health.view(b).poolRtt(b.pools.get(pool)!); };

const answer = () => answerData(t.port, "app.lb.example.com");
async function until(expected: string[], limitMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (JSON.stringify(await answer()) === JSON.stringify(expected)) return Date.now() - start;
    if (Date.now() - start > limitMs) throw new Error(`still ${JSON.stringify(await answer())} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("monitors drive answers", () => {
  it("answers from the first round: a failing origin is never served at start", async () => {
    expect(await answer()).toEqual(["127.0.0.22"]);
    expect(t.server.health.state("lb.example.com/pa", "a")).toBe("down");
  });

  it("recovers, then fails over within interval × consecutive_down + timeout + jitter", async () => {
    a.status = 200;
    // Bound: 5 s interval +10% jitter + 1 s timeout.
    const recovery = await until(["127.0.0.21"], 7000);
    expect(recovery).toBeLessThan(6600);
    a.status = 500;
    const failover = await until(["127.0.0.22"], 7000);
    expect(failover).toBeLessThan(6600);
  }, 20_000);
});

describe("gslb health", () => {
  it("runs one round and prints each pool's origins with state, result and RTT; exit 1 when a pool is down", async () => {
    const main = new URL("../dist/cli/main.js", import.meta.url).pathname;
    a.status = 500;
    try {
      const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const p = spawn(process.execPath, [main, "health", "--zones", t.dir]);
        let stdout = "";
        p.stdout.on("data", (d: Buffer) => (stdout += d));
        p.on("exit", (status) => resolve({ status, stdout }));
      });
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/lb\.example\.com pool pa: UNHEALTHY \(monitor hc, minimum_origins 1\)/);
      expect(r.stdout).toMatch(/a\s+127\.0\.0\.21\s+down\s+status 500\s+-/);
      expect(r.stdout).toMatch(/lb\.example\.com pool pb: healthy/);
      expect(r.stdout).toMatch(/b\s+127\.0\.0\.22\s+up\s+200\s+[\d.]+ ms/);
    } finally {
      a.status = 200;
    }
  });
});

describe("what the prober process sends: RTT averages and states across reloads", () => {
  it("dynamic_latency steers by the monitors' RTT, from the first answer and as it changes", async () => {
    const slow = await origin("127.0.0.31");
    const fast = await origin("127.0.0.32", slow.port);
    slow.delayMs = 200;
    const z = balancedZone({
      monitors: { hc: { type: "http", path: "/", port: slow.port, interval: 5, timeout: 2, retries: 0 } },
      pools: { ps: { origins: [{ name: "s", address: "127.0.0.31" }], monitor: "hc" }, pf: { origins: [{ name: "f", address: "127.0.0.32" }], monitor: "hc" } },
      load_balancers: { lat: { default_pools: ["ps", "pf"], steering_policy: "dynamic_latency" } },
    });
    const s = await startTestServer({ "lb.example.com.json": z });
    try {
      const lat = () => answerData(s.port, "lat.lb.example.com");
      // The first round's averages arrive before the sockets answer.
      expect(await lat()).toEqual(["127.0.0.32"]);
      expect(poolRtt(s, "ps")).toBeGreaterThan(150);
      expect(poolRtt(s, "pf")).toBeLessThan(100);
      // Swap: the EWMA (alpha 0.3) crosses after two probes of each, i.e. within two intervals.
      // Up to 40 s allowed: the prober runs at idle priority (SCHED_IDLE), and CI runs other test
      // files beside it (three etcd clusters and their instances among them), which can hold it
      // off the CPU for several intervals.
      slow.delayMs = 0;
      fast.delayMs = 200;
      const start = Date.now();
      while (JSON.stringify(await lat()) !== JSON.stringify(["127.0.0.31"])) {
        if (Date.now() - start > 40_000) throw new Error(`still ${JSON.stringify(await lat())}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(poolRtt(s, "pf")).toBeGreaterThan(poolRtt(s, "ps")!);
    } finally {
      await s.close();
      slow.server.close();
      fast.server.close();
    }
  }, 50_000);

  it("a reload that adds a pool on an origin already probed knows its state at once, not an interval later", async () => {
    const o = await origin("127.0.0.33");
    const z = balancedZone({
      // A long interval: within this test the only probe is the first round.
      monitors: { hc: { type: "http", path: "/", port: o.port, interval: 300, timeout: 1, retries: 0 } },
      pools: {
        pc: { origins: [{ name: "c", address: "127.0.0.33" }], monitor: "hc" },
        spare: { origins: [{ name: "x", address: "192.0.2.99" }] },
      },
      load_balancers: { c: { default_pools: ["pc"], fallback_pool: "spare" } },
    });
    const s = await startTestServer({ "lb.example.com.json": z }, { watch: true, unknownHealth: "down" });
    try {
      const q = (name: string) => answerData(s.port, `${name}.lb.example.com`);
      expect(await q("c")).toEqual(["127.0.0.33"]);
      z.pools.pd = { origins: [{ name: "d", address: "127.0.0.33" }], monitor: "hc" };
      z.load_balancers.d = { default_pools: ["pd"], fallback_pool: "spare" };
      s.writeZone("lb.example.com.json", z);
      const start = Date.now();
      // The first answer the new zone gives must already know: unknown would count as down here
      // and answer from the fallback pool.
      let first: string[] = [];
      while ((first = await q("d")).length === 0) {
        if (Date.now() - start > 3000) throw new Error("reload not served");
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(first).toEqual(["127.0.0.33"]);
      expect(s.server.health.state("lb.example.com/pd", "d")).toBe("up");
      // A pool no longer monitored loses its RTT average: dynamic_latency must not rank it by a stale one.
      expect(poolRtt(s, "pc")).not.toBeNull();
      delete z.pools.pc.monitor;
      s.writeZone("lb.example.com.json", z);
      const edited = Date.now();
      while (poolRtt(s, "pc") !== null) {
        if (Date.now() - edited > 3000) throw new Error("stale RTT average kept");
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await s.close();
      o.server.close();
    }
  });
});

describe("the prober process", () => {
  it("keeps at most --probe-concurrency probes in flight", async () => {
    let inFlight = 0, maxInFlight = 0, served = 0;
    const slow = http.createServer((_req, res) => {
      inFlight++; maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => { inFlight--; served++; res.end("ok"); }, 150);
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", () => r()));
    const port = (slow.address() as net.AddressInfo).port;
    // Six targets (distinct paths make distinct monitors) on one origin, all probed in the first round.
    const monitors = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`m${i}`, { type: "http", path: `/${i}`, port, interval: 300, timeout: 2, retries: 0 }]));
    const pools = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`p${i}`, { origins: [{ name: "o", address: "127.0.0.1" }], monitor: `m${i}` }]));
    const s = await startTestServer({ "lb.example.com.json": balancedZone({ monitors, pools, load_balancers: { c: { default_pools: ["p0"] } } }) }, { probeConcurrency: 2 });
    try {
      expect(served).toBe(6);
      expect(maxInFlight).toBe(2);
    } finally {
      await s.close();
      slow.close();
    }
  });

  it("a prober stopped while a probe is in flight does not fail the origin when it resumes", async () => {
    let hang = false, probing: () => void = () => {};
    const o = http.createServer((_req, res) => { if (hang) probing(); else res.end("ok"); });
    await new Promise<void>((r) => o.listen(0, "127.0.0.38", () => r()));
    const port = (o.address() as net.AddressInfo).port;
    const z = balancedZone({
      monitors: { hc: { type: "http", path: "/", port, interval: 5, timeout: 1, retries: 0 } },
      pools: { p: { origins: [{ name: "o", address: "127.0.0.38" }], monitor: "hc" } },
      load_balancers: { k: { default_pools: ["p"] } },
    });
    const s = await startTestServer({ "lb.example.com.json": z });
    try {
      expect(s.server.health.state("lb.example.com/p", "o")).toBe("up");
      // The next probe hangs; the moment it arrives, the prober loses the CPU for 2.5 s, so its
      // 1 s timeout fires late: that result says nothing about the origin.
      hang = true;
      const pid = s.server.proberPid!;
      await new Promise<void>((r) => { probing = r; });
      process.kill(pid, "SIGSTOP");
      await new Promise((r) => setTimeout(r, 2500));
      process.kill(pid, "SIGCONT");
      await new Promise((r) => setTimeout(r, 500));
      expect(s.server.health.state("lb.example.com/p", "o")).toBe("up");
      expect(await answerData(s.port, "k.lb.example.com")).toEqual(["127.0.0.38"]);
    } finally {
      await s.close();
      o.closeAllConnections();
      o.close();
    }
  }, 15_000);

  it("is started again when it dies, and health keeps following the origins", async () => {
    const o = await origin("127.0.0.36");
    const z = balancedZone({
      monitors: { hc: { type: "http", path: "/", port: o.port, interval: 5, timeout: 1, retries: 0 } },
      pools: { p: { origins: [{ name: "o", address: "127.0.0.36" }], monitor: "hc" }, spare: { origins: [{ name: "x", address: "192.0.2.99" }] } },
      load_balancers: { k: { default_pools: ["p"], fallback_pool: "spare" } },
    });
    const s = await startTestServer({ "lb.example.com.json": z });
    try {
      const q = () => answerData(s.port, "k.lb.example.com");
      expect(await q()).toEqual(["127.0.0.36"]);
      const first = s.server.proberPid!;
      process.kill(first, "SIGKILL");
      // Meanwhile the last known state stands.
      await new Promise((r) => setTimeout(r, 200));
      expect(await q()).toEqual(["127.0.0.36"]);
      const start = Date.now();
      while (s.server.proberPid === first) {
        if (Date.now() - start > 3000) throw new Error("prober not restarted");
        await new Promise((r) => setTimeout(r, 50));
      }
      // The new prober probes: a failure is seen within the restart delay + interval + timeout.
      o.status = 500;
      while ((await q())[0] !== "192.0.2.99") {
        if (Date.now() - start > 9000) throw new Error("the restarted prober did not see the failure");
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await s.close();
      o.server.close();
    }
  }, 15_000);

  it("a reload that edits a monitor keeps what the old one knew until the new one has a result", async () => {
    const o = await origin("127.0.0.37");
    o.status = 500;
    const z = balancedZone({
      monitors: { hc: { type: "http", path: "/", port: o.port, interval: 300, timeout: 1, retries: 0 } },
      pools: { p: { origins: [{ name: "o", address: "127.0.0.37" }], monitor: "hc" }, spare: { origins: [{ name: "x", address: "192.0.2.99" }] } },
      load_balancers: { k: { default_pools: ["p"], fallback_pool: "spare" } },
    });
    // Unknown counts as up (the default): forgetting the state would put the down origin back.
    const s = await startTestServer({ "lb.example.com.json": z }, { watch: true });
    try {
      const q = () => answerData(s.port, "k.lb.example.com");
      expect(await q()).toEqual(["192.0.2.99"]);
      z.monitors.hc.path = "/health";
      z.records.edited = { TXT: "yes" };
      s.writeZone("lb.example.com.json", z);
      const start = Date.now();
      while ((await answerData(s.port, "edited.lb.example.com", "TXT")).length === 0) {
        if (Date.now() - start > 3000) throw new Error("reload not served");
        await new Promise((r) => setTimeout(r, 20));
      }
      for (let i = 0; i < 10; i++) {
        expect(await q()).toEqual(["192.0.2.99"]);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await s.close();
      o.server.close();
    }
  });

  const linux = process.platform === "linux" && fs.existsSync("/proc/self/sched");
  it.runIf(linux)("runs under SCHED_IDLE, confined to --prober-cpus", async () => {
    const s = await startTestServer({ "lb.example.com.json": sampleZone() }, { proberCpus: "0" });
    try {
      const pid = s.server.proberPid!;
      // taskset and chrt set their part and exec the next, keeping the pid: wait for node.
      for (let i = 0; i < 100 && fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "node"; i++) await new Promise((r) => setTimeout(r, 20));
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      expect(status).toMatch(/^Cpus_allowed_list:\s+0$/m);
      // policy 5 = SCHED_IDLE: the prober gets a CPU only when the DNS server does not want it.
      expect(fs.readFileSync(`/proc/${pid}/sched`, "utf8")).toMatch(/^policy\s+:\s+5$/m);
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("probe/worker.js");
    } finally {
      await s.close();
    }
  });
});
