// Issue 4 through the whole path: real HTTP origins on their own loopback addresses, the server's
// monitors probing them, DNS answers following their health.

import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { udpQuery } from "./support/client.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";

/** An origin whose health endpoint answers `status` (changeable), on its own loopback address. */
async function origin(host: string, port = 0): Promise<{ server: http.Server; port: number; status: number }> {
  const o = { server: http.createServer((_req, res) => { res.statusCode = o.status; res.end("ok"); }), port: 0, status: 200 };
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
  const z = sampleZone();
  Object.assign(z, {
    monitors: { hc: { type: "http", path: "/health", port: a.port, interval: 5, timeout: 1, retries: 0, consecutive_up: 1, consecutive_down: 1 } },
    pools: { pa: { origins: [{ name: "a", address: "127.0.0.21" }], monitor: "hc" }, pb: { origins: [{ name: "b", address: "127.0.0.22" }], monitor: "hc" } },
    load_balancers: { app: { default_pools: ["pa", "pb"], steering_policy: "off" } },
    networks: {},
  });
  delete z.load_balancers.www;
  t = await startTestServer({ "lb.example.com.json": z });
}, 20_000);
afterAll(async () => { await t.close(); a.server.close(); b.server.close(); });

const answer = async () => ((await udpQuery(t.port, "app.lb.example.com")).answers ?? []).map((r: any) => r.data);
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
