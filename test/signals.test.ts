// Signals to `gslb serve` as a service manager sends them, to a real process: SIGTERM stops
// gracefully (no new connections; a TCP query in flight still gets its reply; health checks stop;
// every log line is out; exit 0), within --shutdown-timeout whatever a client does; with
// --workers, the primary has the workers finish first. SIGHUP reloads.

import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeQuery } from "./support/client.js";
import { alive, descendants, GSLB, run, serve, waitGone, type Running } from "./support/processes.js";
import { balancedZone } from "./support/zones.js";

let dir: string;
let origin: http.Server;
const started: Running[] = [];

beforeAll(async () => {
  // An origin the zone's monitor probes: the server runs a prober process, which must go with it.
  origin = http.createServer((_req, res) => res.end("ok"));
  await new Promise<void>((r) => origin.listen(0, "127.0.0.42", () => r()));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-signals-"));
  fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(balancedZone({
    monitors: { hc: { type: "http", path: "/", port: (origin.address() as net.AddressInfo).port, interval: 5, timeout: 1, retries: 0 } },
    pools: { p: { origins: [{ name: "o", address: "127.0.0.42" }], monitor: "hc" } },
    load_balancers: { k: { default_pools: ["p"] } },
  })));
});
afterAll(() => {
  for (const p of started) for (const pid of [p.pid, ...descendants(p.pid)]) try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
  origin.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A TCP connection the server has taken (a first query answered on it) that has then sent the
 * first `split` bytes of a second framed query, for ns1.lb.example.com.
 */
async function partialQuery(port: number, split: number) {
  const frame = (q: Buffer) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
  const framed = frame(makeQuery("ns1.lb.example.com", "A"));
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((r, j) => { socket.once("connect", () => r()); socket.once("error", j); });
  let received = Buffer.alloc(0);
  socket.on("data", (d) => { received = Buffer.concat([received, d]); });
  socket.on("error", () => {});
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  // A connection the kernel completed may still wait to be accepted; one with an answer is served.
  socket.write(frame(makeQuery("mail.lb.example.com", "A")));
  while (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) await new Promise((r) => setTimeout(r, 10));
  received = received.subarray(2 + received.readUInt16BE(0));
  socket.write(framed.subarray(0, split));
  return {
    rest: () => socket.write(framed.subarray(split)),
    /** The reply to the second query, once the server has closed the connection (null if none came). */
    reply: async () => {
      await closed;
      return received.length >= 2 ? dnsPacket.decode(received.subarray(2, 2 + received.readUInt16BE(0))) : null;
    },
  };
}

/** Resolves once a new TCP connection is refused: the server no longer accepts. */
async function refused(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const code = await new Promise<string | null>((r) => {
      const s = net.connect({ host: "127.0.0.1", port });
      s.once("connect", () => { s.destroy(); r(null); });
      s.once("error", (e: NodeJS.ErrnoException) => r(e.code ?? "error"));
    });
    if (code === "ECONNREFUSED") return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("new connections are still accepted");
}

/**
 * Start a server, put a TCP query in flight, signal, and check the graceful stop. `group`: signal
 * every process of the server as a terminal's Ctrl-C does (SIGINT to the whole process group).
 */
async function gracefulStop(workers: string, signal: "SIGTERM" | "SIGINT" = "SIGTERM", group = false) {
  const g = await serve(["--zones", dir, "--workers", workers]);
  started.push(g);
  const children = descendants(g.pid);
  // The prober, and with --workers N, N answering workers.
  expect(children.length).toBeGreaterThanOrEqual(Number(workers) > 1 ? Number(workers) + 1 : 1);
  const inFlight = await partialQuery(g.port, 7);
  const start = Date.now();
  for (const pid of group ? [g.pid, ...children] : [g.pid]) process.kill(pid, signal);
  await refused(g.port);
  // Stopping, no longer accepting: the query that was on its way still arrives whole, and is answered.
  inFlight.rest();
  const reply = await inFlight.reply();
  expect(reply?.answers?.map((a: any) => a.data), g.text()).toEqual(["192.0.2.53"]);
  expect(await g.exited).toBe(0);
  expect(Date.now() - start).toBeLessThan(5000);
  // Nothing it started outlives it: the prober (health checks stopped) and the workers.
  expect(await waitGone(children, 2000)).toEqual([]);
  // Every log line is out, the last one last.
  const lines = g.lines();
  expect(lines.at(-1)).toMatchObject({ msg: "stopped" });
  expect(lines.find((l) => l.msg?.startsWith("stopping"))).toMatchObject({ signal, drainMs: 5000 });
  // An expected stop is no failure: no prober or worker restarted on the way out.
  expect(lines.filter((l) => /exited|died|failed/.test(l.msg ?? ""))).toEqual([]);
}

describe("SIGTERM: a graceful stop", () => {
  it("one process: stops accepting, answers the TCP query in flight, stops the prober, flushes the log, exit 0", () => gracefulStop("1"), 20_000);

  it("--workers 2: the primary has its workers finish their TCP replies, then exits 0 with nothing left behind", () => gracefulStop("2"), 30_000);

  it("is bounded: a client that never finishes its query is cut at --shutdown-timeout", async () => {
    const g = await serve(["--zones", dir, "--shutdown-timeout", "1"]);
    started.push(g);
    const stuck = await partialQuery(g.port, 7);
    const start = Date.now();
    g.proc.kill("SIGTERM");
    expect(await stuck.reply()).toBeNull();
    expect(await g.exited).toBe(0);
    const took = Date.now() - start;
    expect(took).toBeGreaterThanOrEqual(900);
    // Without the bound, the stuck message would hold it until the 5 s message timeout.
    expect(took).toBeLessThan(4500);
    expect(g.lines().at(-1)).toMatchObject({ msg: "stopped" });
  }, 20_000);

  // What a terminal does: every process of the group gets the signal at once. Workers and the
  // prober leave it to the primary, so the worker holding the connection still answers.
  it("Ctrl-C (SIGINT to the whole process group) stops the same way: the workers and the prober wait for the primary", () => gracefulStop("2", "SIGINT", true), 30_000);
});

describe("signals during start-up (GeoIP, the first round of health checks)", () => {
  /** A zone whose first round of health checks takes a second: an origin that answers late. */
  async function slowStart() {
    const slow = http.createServer((_req, res) => setTimeout(() => res.end("ok"), 1000));
    await new Promise<void>((r) => slow.listen(0, "127.0.0.43", () => r()));
    const zones = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-signals-slow-"));
    fs.writeFileSync(path.join(zones, "lb.example.com.json"), JSON.stringify(balancedZone({
      monitors: { hc: { type: "http", path: "/", port: (slow.address() as net.AddressInfo).port, interval: 5, timeout: 3, retries: 0 } },
      pools: { p: { origins: [{ name: "o", address: "127.0.0.43" }], monitor: "hc" } },
      load_balancers: { k: { default_pools: ["p"] } },
    })));
    const g = run(process.execPath, [GSLB, "serve", "--workers", "1", "--zones", zones, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"]);
    started.push(g);
    // Loaded, not serving yet: the first round waits for the slow origin.
    await g.waitFor("zone loaded");
    return { g, done: () => { slow.close(); fs.rmSync(zones, { recursive: true, force: true }); } };
  }

  it("SIGHUP (systemctl reload) does not end the process: the reload comes once it serves", async () => {
    const { g, done } = await slowStart();
    try {
      g.proc.kill("SIGHUP");
      await g.waitFor("serving");
      expect(g.lines().some((l) => l.msg === "serving")).toBe(true);
      await g.waitFor("reloading the zone directory");
      await g.waitFor("reload: nothing changed");
      g.proc.kill("SIGTERM");
      expect(await g.exited).toBe(0);
    } finally {
      done();
    }
  });

  it("SIGTERM ends it at once, exit 0, its prober with it", async () => {
    const { g, done } = await slowStart();
    try {
      const children = descendants(g.pid);
      expect(children.length).toBeGreaterThan(0);
      g.proc.kill("SIGTERM");
      expect(await g.exited).toBe(0);
      expect(g.lines().at(-1)).toMatchObject({ msg: "stopped during start-up", signal: "SIGTERM" });
      expect(g.lines().some((l) => l.msg === "serving")).toBe(false);
      expect(await waitGone(children, 3000)).toEqual([]);
    } finally {
      done();
    }
  });
});

describe("SIGHUP", () => {
  it("reloads the zone directory", async () => {
    const g = await serve(["--zones", dir, "--no-monitors"]);
    started.push(g);
    g.proc.kill("SIGHUP");
    expect(await g.waitFor("reloading the zone directory", 5000)).toMatchObject({ signal: "SIGHUP" });
    await g.waitFor("reload: nothing changed", 5000);
    expect(alive(g.pid)).toBe(true);
    g.proc.kill("SIGTERM");
    expect(await g.exited).toBe(0);
  });
});
