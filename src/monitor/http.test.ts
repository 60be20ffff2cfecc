// http and https probes against real servers on loopback: answering 200, 500, the wrong body,
// slowly, not at all, closing the connection; HTTPS with a self-signed certificate made here. One
// attempt each (registry.test.ts has the retries).

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeMatcher, http as httpType, type HttpSpec } from "./http.js";
import { https as httpsType } from "./https.js";

/** One attempt, through the type's own probe (https specs through the https type). */
const probe = (s: HttpSpec) => (s.type === "https" ? httpsType.once(s as HttpSpec<"https">) : httpType.once(s as HttpSpec<"http">));

let server: http.Server;
let tls: https.Server;
let port = 0;
let tlsPort = 0;
let lastHost: string | undefined;
let lastServername: string | false | null | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-probe-"));

const handler: http.RequestListener = (req, res) => {
  lastHost = req.headers.host;
  lastServername = (req.socket as import("node:tls").TLSSocket).servername;
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

const spec = (over: Partial<HttpSpec>): HttpSpec => ({
  type: "http", host: "127.0.0.1", port, method: "GET", path: "/ok", headers: {}, timeoutMs: 500, retries: 0,
  expectedCodes: ["2xx"], expectedBody: null, followRedirects: false, allowInsecure: false, servername: null, ...over,
});

describe("http and https probes", () => {
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

  it("HTTPS: a self-signed certificate fails verification unless allow_insecure", async () => {
    expect((await probe(spec({ type: "https", port: tlsPort }))).reason).toMatch(/^TLS: /);
    expect(await probe(spec({ type: "https", port: tlsPort, allowInsecure: true, servername: "origin.test" }))).toMatchObject({ ok: true, reason: "200" });
  });

  it("sends the origin's Host header over the monitor's, and names it in SNI (settings → spec → probe)", async () => {
    const settings = httpsType.schema.parse({ type: "https", port: tlsPort, path: "/ok", allow_insecure: true, header: { Host: ["monitor.test"], "X-Check": "1" } });
    const target = { host: "127.0.0.1", hostHeader: null, originHostName: "origin-name.test" };
    expect(await probe(httpsType.spec(settings, target))).toMatchObject({ ok: true });
    expect([lastHost, lastServername]).toEqual(["monitor.test", "monitor.test"]);
    expect(await probe(httpsType.spec(settings, { ...target, hostHeader: "origin.test:8443" }))).toMatchObject({ ok: true });
    expect([lastHost, lastServername]).toEqual(["origin.test:8443", "origin.test"]);
    // No Host header anywhere: Node's default Host, and the origin's host name for SNI.
    const bare = httpsType.schema.parse({ type: "https", port: tlsPort, path: "/ok", allow_insecure: true });
    expect(await probe(httpsType.spec(bare, target))).toMatchObject({ ok: true });
    expect([lastHost, lastServername]).toEqual([`127.0.0.1:${tlsPort}`, "origin-name.test"]);
    // An address is never a TLS server name.
    const byAddress = { host: "127.0.0.1", originHostName: null };
    expect(httpsType.spec(bare, { ...byAddress, hostHeader: "[::1]:443" }).servername).toBeNull();
    expect(httpsType.spec(bare, { ...byAddress, hostHeader: "192.0.2.1" }).servername).toBeNull();
  });

  it("allow_insecure is an https setting: on an http monitor it has no effect", () => {
    const target = { host: "127.0.0.1", hostHeader: null, originHostName: null };
    expect(httpType.spec(httpType.schema.parse({ allow_insecure: true }), target).allowInsecure).toBe(false);
    expect(httpsType.spec(httpsType.schema.parse({ type: "https", allow_insecure: true }), target).allowInsecure).toBe(true);
  });
});
