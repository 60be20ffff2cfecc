// The registry: the zone file's monitor schema (Cloudflare's forms and defaults, errors at precise
// paths, ignored fields accepted), specs and timing from settings, probe() with its retries.

import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { http as httpType } from "./http.js";
import { defineRegistry, ignoredFields, MONITOR_FIELDS, MONITOR_TYPE_NAMES, MonitorSchema, probe, probeBudgetMs, specFor, timing, type MonitorSettings, type ProbeSpec } from "./registry.js";
import { tcp } from "./tcp.js";

const Zone = z.strictObject({ monitors: z.record(z.string(), MonitorSchema) });
/** The issues of parsing `monitor` as zone file monitor "web", path and message only. */
function issues(monitor: unknown): { path: string; message: string }[] {
  const r = Zone.safeParse({ monitors: { web: monitor } });
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}
const target = { host: "127.0.0.1", hostHeader: null, originHostName: null };

describe("MonitorSchema", () => {
  it("gives Cloudflare's defaults: http, port by type, interval 60, timeout 5, retries 2, consecutive 1, expected_codes 200", () => {
    expect(MonitorSchema.parse({})).toEqual({
      type: "http", port: 80, timeout: 5, retries: 2, interval: 60, consecutive_up: 1, consecutive_down: 1,
      method: "GET", path: "/", header: {}, expected_codes: ["200"], expected_body: null, follow_redirects: false,
    });
    expect(MonitorSchema.parse({ type: "https" })).toMatchObject({ port: 443, allow_insecure: false });
    expect(MonitorSchema.parse({ type: "smtp" })).toMatchObject({ type: "smtp", port: 25 });
    expect(MonitorSchema.parse({ type: "icmp_ping" })).not.toHaveProperty("port");
    // port 0 (Cloudflare's "default") and null mean the type's port; consecutive 0 means 1.
    expect(MonitorSchema.parse({ type: "https", port: 0, consecutive_up: 0, consecutive_down: 3 })).toMatchObject({ port: 443, consecutive_up: 1, consecutive_down: 3 });
    expect(MonitorSchema.parse({ port: null })).toMatchObject({ port: 80 });
  });

  it("takes a Cloudflare API monitor object as the API returns it", () => {
    const cf = {
      id: "f1aba936b94213e5b8dca0c0dbf1f9cc", created_on: "2014-01-01T05:20:00.12345Z", modified_on: "2014-01-01T05:20:00.12345Z",
      type: "https", description: "Login page monitor", method: "GET", path: "/health", header: { Host: ["example.com"], "X-App-ID": ["abc123"] },
      port: 8080, timeout: 3, retries: 0, interval: 90, expected_body: "alive", expected_codes: "2xx", follow_redirects: true,
      allow_insecure: true, consecutive_up: 3, consecutive_down: 2, probe_zone: "example.com",
    };
    const s = MonitorSchema.parse(cf);
    expect(s).toMatchObject({ type: "https", port: 8080, expected_codes: ["2xx"], header: { Host: ["example.com"] }, description: "Login page monitor", probe_zone: "example.com" });
    expect(specFor(s, target)).toMatchObject({ type: "https", port: 8080, timeoutMs: 3000, retries: 0, allowInsecure: true, expectedBody: "alive", headers: { Host: "example.com", "X-App-ID": "abc123" } });
    expect(timing(s)).toEqual({ intervalMs: 90_000, consecutiveUp: 3, consecutiveDown: 2 });
    // What the API returns for a tcp monitor carries the http fields too.
    expect(MonitorSchema.parse({ type: "tcp", method: "connection_established", port: 22, path: "", header: null, expected_codes: "", expected_body: "", follow_redirects: false, allow_insecure: false })).toMatchObject({ type: "tcp", port: 22 });
  });

  it("expected_codes: 200, 2xx, or a list (array or comma-separated); anything else is an error saying what is accepted", () => {
    expect(MonitorSchema.parse({ expected_codes: "2xx" })).toMatchObject({ expected_codes: ["2xx"] });
    expect(MonitorSchema.parse({ expected_codes: "200, 301,3XX" })).toMatchObject({ expected_codes: ["200", "301", "3xx"] });
    expect(MonitorSchema.parse({ expected_codes: ["204", "2xx"] })).toMatchObject({ expected_codes: ["204", "2xx"] });
    expect(issues({ expected_codes: "9xx" })).toEqual([{ path: "monitors.web.expected_codes", message: expect.stringMatching(/^"9xx" is not a status code or range: use "200", "2xx", or a list of those/) }]);
    expect(issues({ type: "https", expected_codes: ["200", "abc"] })).toEqual([{ path: "monitors.web.expected_codes.1", message: expect.stringContaining('"abc"') }]);
    expect(issues({ expected_codes: "600" })).toHaveLength(1);
    expect(issues({ expected_codes: 200 })[0]!.message).toMatch(/^expected_codes: expected "200", "2xx"/);
  });

  it("puts errors at their path: a missing port, a bad method, an unknown key, an unknown type", () => {
    expect(issues({ type: "tcp" })).toEqual([{ path: "monitors.web.port", message: "a tcp monitor needs a port (1-65535): tcp has no default port" }]);
    expect(issues({ type: "udp_icmp", port: 0 })).toEqual([{ path: "monitors.web.port", message: expect.stringMatching(/^a udp_icmp monitor needs a port .*0 means the type's default port, and udp_icmp has none/) }]);
    expect(issues({ method: "POST" })).toEqual([{ path: "monitors.web.method", message: "an http monitor's method is GET or HEAD" }]);
    expect(issues({ port: 70000 })[0]!.path).toBe("monitors.web.port");
    expect(issues({ type: "https", timeot: 5 })).toEqual([{ path: "monitors.web", message: 'Unrecognized key: "timeot"' }]);
    expect(issues({ type: "dns" })).toEqual([{ path: "monitors.web.type", message: `type must be one of ${MONITOR_TYPE_NAMES.join(", ")} (default http)` }]);
    expect(MONITOR_TYPE_NAMES).toEqual(["http", "https", "tcp", "smtp", "udp_icmp", "icmp_ping"]);
  });

  it("accepts the fields a type does not use, and names them (with why) for the loader's warnings", () => {
    expect(ignoredFields({ type: "tcp", port: 22, path: "/health", expected_codes: "2xx", header: {}, expected_body: null, follow_redirects: false, description: "db" }))
      .toEqual([{ field: "path", reason: expect.any(String) }, { field: "expected_codes", reason: expect.any(String) }]);
    expect(ignoredFields({ probe_zone: "example.com" })).toEqual([{ field: "probe_zone", reason: expect.stringContaining("no zone to emulate") }]);
    expect(ignoredFields({ allow_insecure: true })).toEqual([{ field: "allow_insecure", reason: "only https monitors verify a certificate" }]);
    expect(ignoredFields({ type: "https", allow_insecure: true, id: "x", created_on: "y" })).toEqual([]);
    // The parsed settings keep them as written, so the same works after parsing.
    expect(ignoredFields(MonitorSchema.parse({ type: "icmp_ping", port: 7 }))).toEqual([{ field: "port", reason: "ICMP has no ports" }]);
    expect(ignoredFields(MonitorSchema.parse({ type: "icmp_ping" }))).toEqual([]);
    expect(ignoredFields(MonitorSchema.parse({ type: "tcp", port: 22 }))).toEqual([]);
    for (const f of ["type", "description", "method", "path", "header", "port", "timeout", "retries", "interval", "expected_codes", "expected_body",
      "follow_redirects", "allow_insecure", "consecutive_up", "consecutive_down", "probe_zone", "id", "created_on", "modified_on"]) expect(MONITOR_FIELDS).toContain(f);
  });

  it("is idempotent: parsed settings parse to themselves (so settings can be checked again anywhere)", () => {
    for (const m of [{}, { type: "https", header: { Host: "a.test" }, expected_codes: "200,3xx", allow_insecure: true }, { type: "tcp", port: 22, path: "/x" },
      { type: "smtp", port: 0 }, { type: "udp_icmp", port: 53 }, { type: "icmp_ping", port: 9, consecutive_up: 0 }]) {
      const once = MonitorSchema.parse(m);
      expect(MonitorSchema.parse(once)).toEqual(once);
    }
  });

  it("makes a JSON Schema for editors: one branch per type", () => {
    const schema = z.toJSONSchema(MonitorSchema, { io: "input" }) as unknown as { oneOf: { properties: { type: { const: string } } }[] };
    expect(schema.oneOf.map((o) => o.properties.type.const)).toEqual(MONITOR_TYPE_NAMES);
  });
});

describe("specs", () => {
  it("the origin's Host header overrides the monitor's, for the request and SNI", () => {
    const s = MonitorSchema.parse({ type: "https", header: { host: ["monitor.test"], Accept: ["a", "b"] } });
    expect(specFor(s, target)).toMatchObject({ headers: { Host: "monitor.test", Accept: ["a", "b"] }, servername: "monitor.test" });
    expect(specFor(s, { ...target, hostHeader: "origin.test" })).toMatchObject({ headers: { Host: "origin.test" }, servername: "origin.test" });
    expect(specFor(MonitorSchema.parse({ type: "https" }), { ...target, originHostName: "name.test" })).toMatchObject({ servername: "name.test" });
    expect("Host" in (specFor(MonitorSchema.parse({}), target) as { headers: object }).headers).toBe(false);
  });

  it("bounds a probe's time: timeout × attempts, plus what a type adds (the ICMP batch window)", () => {
    const spec = (m: object) => specFor(MonitorSchema.parse(m), target);
    expect(probeBudgetMs(spec({ timeout: 2, retries: 1 }))).toBe(4000);
    expect(probeBudgetMs(spec({ type: "icmp_ping", timeout: 2, retries: 0 }))).toBeGreaterThan(2000);
    expect(probeBudgetMs(spec({ type: "udp_icmp", port: 53, timeout: 2, retries: 0 }))).toBeGreaterThan(4000);
  });

  it("the compiler checks each registry entry's name against its key", () => {
    // @ts-expect-error tcp's type filed under "http"
    void defineRegistry({ http: tcp });
    void defineRegistry({ http: httpType, tcp });
  });
});

describe("probe()", () => {
  let server: http.Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => { hits++; res.statusCode = req.url === "/500" ? 500 : 200; res.end(); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => { server.close(); });
  const spec = (path: string, retries: number): ProbeSpec => specFor(MonitorSchema.parse({ port, path, retries, timeout: 1 }) as MonitorSettings, target);

  it("retries immediately before counting a failure, and stops at the first success", async () => {
    let before = hits;
    expect(await probe(spec("/500", 2))).toMatchObject({ ok: false, reason: "status 500" });
    expect(hits - before).toBe(3);
    before = hits;
    expect(await probe(spec("/", 2))).toMatchObject({ ok: true, reason: "200" });
    expect(hits - before).toBe(1);
  });

  it("never rejects: an unknown type, or a type whose attempt throws, is a failure with a reason", async () => {
    expect(await probe({ type: "gopher", host: "127.0.0.1", port: 70, timeoutMs: 100, retries: 0 } as unknown as ProbeSpec)).toEqual({ ok: false, rttMs: null, reason: 'unknown monitor type "gopher"' });
    const once = tcp.once;
    let calls = 0;
    (tcp as { once: unknown }).once = () => { calls++; return Promise.reject(new Error("boom")); };
    try {
      expect(await probe({ type: "tcp", host: "127.0.0.1", port, timeoutMs: 100, retries: 1 })).toEqual({ ok: false, rttMs: null, reason: "probe error: boom" });
      expect(calls).toBe(2);
    } finally {
      (tcp as { once: unknown }).once = once;
    }
  });
});
