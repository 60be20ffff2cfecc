// tcp probes against real loopback listeners: a connection established is up, a refused one is
// down, and the probe's socket is closed either way. The schema: a port is required, and
// "connection_established" is the only method.

import net from "node:net";
import { describe, expect, it } from "vitest";
import { tcp } from "./tcp.js";

const spec = (port: number) => ({ type: "tcp" as const, host: "127.0.0.1", port, timeoutMs: 500, retries: 0 });
const sockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;

describe("tcp probe", () => {
  it("a connection established is up, with its RTT, and the probe closes it", async () => {
    const closed: Promise<void>[] = [];
    const server = net.createServer((s) => { closed.push(new Promise((r) => s.once("close", () => r()))); s.resume(); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as net.AddressInfo;
    const before = sockets();
    const r = await tcp.once(spec(port));
    expect(r).toMatchObject({ ok: true, reason: "connected" });
    expect(r.rttMs).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 50));
    expect(closed).toHaveLength(1);
    await closed[0]; // the server saw the probe hang up
    expect(sockets()).toBe(before);
    server.close();
  });

  it("a refused connection is down", async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    const { port } = s.address() as net.AddressInfo;
    await new Promise<void>((r) => s.close(() => r()));
    expect(await tcp.once(spec(port))).toEqual({ ok: false, rttMs: null, reason: "connection refused" });
  });
});

describe("tcp settings", () => {
  const target = { host: "127.0.0.9", hostHeader: null, originHostName: null };

  it("needs a port: absent, null or 0 is an error that says so", () => {
    for (const port of [undefined, null, 0]) {
      const r = tcp.schema.safeParse({ type: "tcp", port });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]).toMatchObject({ path: ["port"], message: expect.stringMatching(/^a tcp monitor needs a port \(1-65535\)/) });
    }
    expect(tcp.spec(tcp.schema.parse({ type: "tcp", port: 5432 }), target)).toEqual({ type: "tcp", host: "127.0.0.9", port: 5432, timeoutMs: 5000, retries: 2 });
  });

  it("takes method connection_established (the only one) and Cloudflare's http fields without effect", () => {
    expect(tcp.schema.safeParse({ type: "tcp", port: 22, method: "connection_established" }).success).toBe(true);
    const bad = tcp.schema.safeParse({ type: "tcp", port: 22, method: "GET" });
    expect(bad.error!.issues[0]).toMatchObject({ path: ["method"], message: expect.stringContaining('"connection_established"') });
    const s = tcp.schema.parse({ type: "tcp", port: 22, path: "/health", expected_codes: "2xx", probe_zone: "example.com", header: null });
    expect(s).toMatchObject({ type: "tcp", port: 22, path: "/health", probe_zone: "example.com" });
    expect(Object.keys(tcp.ignored).sort()).toEqual(["allow_insecure", "expected_body", "expected_codes", "follow_redirects", "header", "path", "probe_zone"]);
  });
});
