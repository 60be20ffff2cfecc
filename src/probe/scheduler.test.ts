// The scheduler and the state machine, driving real HTTP probes against loopback servers: timers,
// no overlap, the cap on probes in flight, saturation and stall reports. (The probes themselves
// are tested beside their types in src/monitor.)

import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpSpec } from "../monitor/http.js";
import { probe } from "../monitor/registry.js";
import { Prober, type Target } from "./scheduler.js";
import { OriginMonitor } from "./state.js";

let server: http.Server;
let port = 0;
let hits = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    if (req.url === "/500") res.statusCode = 500;
    res.end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => { server.close(); });

const spec = (over: Partial<HttpSpec>): HttpSpec => ({
  type: "http", host: "127.0.0.1", port, method: "GET", path: "/ok", headers: {}, timeoutMs: 500, retries: 0,
  expectedCodes: ["2xx"], expectedBody: null, followRedirects: false, allowInsecure: false, servername: null, ...over,
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
