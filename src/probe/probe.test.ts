// Probes against real servers on loopback: answering 200, 500, the wrong body, slowly, not at all,
// closing the connection; HTTPS with a self-signed certificate made here; TCP.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeMatcher, probe, type ProbeSpec } from "./probe.js";
import { Prober, type Target } from "./scheduler.js";
import { OriginMonitor } from "./state.js";

let server: http.Server;
let tls: https.Server;
let port = 0;
let tlsPort = 0;
let hits = 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-probe-"));

const handler: http.RequestListener = (req, res) => {
  hits++;
  switch (req.url) {
    case "/ok": res.end("all good: HEALTHY"); break;
    case "/500": res.statusCode = 500; res.end("broken"); break;
    case "/slow": setTimeout(() => res.end("late"), 2000); break;
    case "/reset": req.socket.destroy(); break;
    case "/redirect": res.statusCode = 302; res.setHeader("location", "/ok"); res.end(); break;
    default: res.statusCode = 404; res.end();
  }
};

beforeAll(async () => {
  server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as net.AddressInfo).port;
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=origin.test",
    "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });
  tls = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) }, handler);
  await new Promise<void>((r) => tls.listen(0, "127.0.0.1", () => r()));
  tlsPort = (tls.address() as net.AddressInfo).port;
});
afterAll(() => { server.close(); tls.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const spec = (over: Partial<ProbeSpec>): ProbeSpec => ({
  type: "http", host: "127.0.0.1", port, method: "GET", path: "/ok", headers: {}, timeoutMs: 500, retries: 0,
  expectedCodes: ["2xx"], expectedBody: null, followRedirects: false, allowInsecure: false, servername: null, ...over,
});

describe("probes", () => {
  it("passes on the expected code and body, with an RTT", async () => {
    const r = await probe(spec({ expectedBody: "healthy" }));
    expect(r).toMatchObject({ ok: true, reason: "200" });
    expect(r.rttMs).toBeGreaterThan(0);
    expect((await probe(spec({ method: "HEAD" }))).ok).toBe(true);
  });

  it("fails with a reason: status, body, timeout, refused, reset", async () => {
    expect(await probe(spec({ path: "/500" }))).toMatchObject({ ok: false, reason: "status 500" });
    expect(await probe(spec({ expectedBody: "nope" }))).toMatchObject({ ok: false, reason: "body mismatch" });
    const started = Date.now();
    expect(await probe(spec({ path: "/slow", timeoutMs: 200 }))).toMatchObject({ ok: false, reason: "timeout after 200 ms" });
    expect(Date.now() - started).toBeLessThan(600);
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await probe(spec({ port: closedPort }))).toMatchObject({ ok: false, reason: "connection refused" });
    expect((await probe(spec({ path: "/reset" }))).reason).toMatch(/reset|socket hang up/);
  });

  it("matches expected codes as given, and follows redirects only when asked", async () => {
    expect((await probe(spec({ path: "/500", expectedCodes: ["200", "500"] }))).ok).toBe(true);
    expect(await probe(spec({ path: "/redirect" }))).toMatchObject({ ok: false, reason: "status 302" });
    expect(await probe(spec({ path: "/redirect", followRedirects: true, expectedBody: "good" }))).toMatchObject({ ok: true });
    expect(codeMatcher("2xx")(204)).toBe(true);
    expect(codeMatcher("2xx")(301)).toBe(false);
  });

  it("retries immediately before counting a failure", async () => {
    const before = hits;
    expect((await probe(spec({ path: "/500", retries: 2 }))).ok).toBe(false);
    expect(hits - before).toBe(3);
  });

  it("HTTPS: a self-signed certificate fails verification unless allow_insecure", async () => {
    expect((await probe(spec({ type: "https", port: tlsPort }))).reason).toMatch(/^TLS: /);
    expect(await probe(spec({ type: "https", port: tlsPort, allowInsecure: true, servername: "origin.test" }))).toMatchObject({ ok: true, reason: "200" });
  });

  it("TCP: a connection established is success", async () => {
    expect(await probe(spec({ type: "tcp" }))).toMatchObject({ ok: true, reason: "connected" });
  });
});

describe("state machine", () => {
  const ok = { ok: true, rttMs: 1, reason: "200" };
  const bad = { ok: false, rttMs: null, reason: "status 500" };
  it("the first result decides; then consecutive counts, so a single odd probe never flaps", () => {
    const m = new OriginMonitor(2, 3);
    expect(m.observe(ok)).toEqual({ from: "unknown", to: "up", reason: "200" });
    expect(m.observe(bad)).toBeNull();
    expect(m.observe(ok)).toBeNull();
    expect(m.observe(bad)).toBeNull();
    expect(m.observe(bad)).toBeNull();
    expect(m.observe(bad)).toEqual({ from: "up", to: "down", reason: "status 500" });
    expect(m.observe(ok)).toBeNull();
    expect(m.observe(ok)).toEqual({ from: "down", to: "up", reason: "200" });
  });
});

describe("scheduler", () => {
  const target = (key: string, path: string, intervalMs = 100): Target => ({
    key, spec: spec({ path }), intervalMs, consecutiveUp: 1, consecutiveDown: 1, subscribers: [{ pool: "z/p", origin: key, slot: -1, poolSlot: -1 }],
  });

  it("probes each target on its own timer, reports transitions once, stops cleanly", async () => {
    const transitions: string[] = [];
    const prober = new Prober({ onTransition: (t, tr) => transitions.push(`${t.key}:${tr.to}`) });
    prober.update([target("a", "/ok"), target("b", "/500")]);
    await prober.firstRound(1000);
    expect(transitions.sort()).toEqual(["a:up", "b:down"]);
    const before = hits;
    await new Promise((r) => setTimeout(r, 450));
    // ~4 rounds of 2 targets at 100 ms ± 10% (fewer when a loaded machine delays timers).
    expect(hits - before).toBeGreaterThanOrEqual(4);
    expect(hits - before).toBeLessThanOrEqual(12);
    expect(transitions).toHaveLength(2);
    prober.stop();
    // A probe already on the wire may still land; after that, nothing new starts.
    await new Promise((r) => setTimeout(r, 150));
    const after = hits;
    await new Promise((r) => setTimeout(r, 250));
    expect(hits).toBe(after);
  });

  it("never overlaps a probe with the previous one for its target, and caps probes in flight", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = http.createServer((_req, res) => { inFlight++; maxInFlight = Math.max(maxInFlight, inFlight); setTimeout(() => { inFlight--; res.end("ok"); }, 150); });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", () => r()));
    const slowPort = (slow.address() as net.AddressInfo).port;
    const prober = new Prober({}, 3);
    // Interval shorter than the probe: no overlap means at most one in flight per target.
    prober.update(Array.from({ length: 8 }, (_, i) => ({ ...target(`s${i}`, "/", 20), spec: spec({ port: slowPort, path: `/${i}` }) })));
    await new Promise((r) => setTimeout(r, 700));
    prober.stop();
    slow.close();
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it("says when probes wait for a slot longer than a second (intervals and failover would stretch)", async () => {
    // Origins that accept and never answer: each probe holds its slot until its timeout.
    const hang = net.createServer(() => {});
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", () => r()));
    const port = (hang.address() as net.AddressInfo).port;
    const reports: { waitedMs: number; waiting: number; cap: number }[] = [];
    const prober = new Prober({ onSaturated: (s) => reports.push(s) }, 2);
    prober.update(Array.from({ length: 6 }, (_, i) => ({ ...target(`h${i}`, "/", 60_000), spec: spec({ port, path: `/${i}`, timeoutMs: 700, retries: 0 }) })));
    await prober.firstRound(3000);
    prober.stop();
    hang.close();
    // 6 probes, 2 at a time, 700 ms each: the last pair waited 1.4 s. One report, not one per probe.
    expect(reports).toHaveLength(1);
    expect(reports[0]!.cap).toBe(2);
    expect(reports[0]!.waitedMs).toBeGreaterThan(1000);
  });

  it("a prober stalled past its timeout (CPU-starved) discards the result instead of failing the origin", async () => {
    // An origin that accepts and never answers: a real timeout, unless the prober itself stalls.
    const hang = net.createServer(() => {});
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", () => r()));
    const hangPort = (hang.address() as net.AddressInfo).port;
    const busy = (ms: number) => { const end = Date.now() + ms; while (Date.now() < end); };
    const s = spec({ port: hangPort, timeoutMs: 200, retries: 2 });

    const pending = probe(s);
    busy(900); // the prober's event loop gets no CPU: the 200 ms timeout fires ~700 ms late
    expect(await pending).toMatchObject({ ok: false, stalled: true, reason: expect.stringMatching(/^prober stalled \d+ ms past the timeout$/) });

    const transitions: string[] = [];
    const stalled: { discarded: number }[] = [];
    const prober = new Prober({ onTransition: (_t, tr) => transitions.push(tr.to), onStalled: (x) => stalled.push(x) });
    prober.update([{ ...target("h", "/", 60_000), spec: s }]);
    const round = prober.firstRound(2000);
    busy(900);
    await round;
    expect(transitions).toEqual([]); // no result: the state stays unknown
    expect(stalled).toEqual([{ discarded: 1, reason: expect.stringMatching(/^prober stalled/) }]);
    // Not stalled: the same origin times out for real and goes down.
    await prober.firstRound(2000);
    expect(transitions).toEqual(["down"]);
    prober.stop();
    hang.close();
  });

  it("starts probes an interval apart, however long each took", async () => {
    const starts: number[] = [];
    const slowish = http.createServer((_req, res) => { starts.push(Date.now()); setTimeout(() => res.end("ok"), 120); });
    await new Promise<void>((r) => slowish.listen(0, "127.0.0.1", () => r()));
    const port = (slowish.address() as net.AddressInfo).port;
    const prober = new Prober({}, 10, () => 0.5); // no jitter: delay = interval exactly
    prober.update([{ ...target("t", "/", 300), spec: spec({ port, path: "/" }) }]);
    await new Promise((r) => setTimeout(r, 1400));
    prober.stop();
    slowish.close();
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    // An interval after the previous start (300 ms), not after its end (420 ms).
    for (const g of gaps) expect(g).toBeLessThan(380);
  });
});
