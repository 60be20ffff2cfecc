// udp_icmp probes on loopback, through the real fping for the echo and real UDP sockets: a
// listener that stays silent (up after the timeout), one that replies (up at once), a closed port
// (the kernel's ICMP port unreachable: down), a host that ignores echo requests (down before any
// datagram is sent: fping runs in a network namespace of its own for that).

import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { icmpOptions } from "./icmp_ping.js";
import { udp_icmp, type UdpIcmpSpec } from "./udp_icmp.js";

// fping is required in CI (CI=true: .ci/run installs the Debian package); elsewhere these probe
// tests are skipped without it.
const hasFping = spawnSync("fping", ["-v"]).status === 0;
if (!hasFping && process.env.CI === "true") throw new Error("fping is required in CI: apt-get install -y fping");
const unshare = process.getuid?.() === 0 ? ["unshare", "-n"] : ["unshare", "-rn"];
const SILENT = [...unshare, "sh", "-c", 'ip link set lo up && echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all && exec fping "$@"', "fping"];

const spec = (port: number, host = "127.0.0.1", timeoutMs = 300): UdpIcmpSpec => ({ type: "udp_icmp", host, port, timeoutMs, retries: 0 });
/** UDP sockets open beyond the test's own listeners, once closes in progress are done. */
async function leftOpen(): Promise<number> {
  await new Promise((r) => setTimeout(r, 20));
  return process.getActiveResourcesInfo().filter((r) => r === "UDPWrap").length - sockets.length;
}

const sockets: dgram.Socket[] = [];
async function listener(type: "udp4" | "udp6", reply: boolean): Promise<{ port: number; got: string[] }> {
  const s = dgram.createSocket(type);
  const got: string[] = [];
  s.on("message", (m, rinfo) => { got.push(m.toString()); if (reply) s.send("pong", rinfo.port, rinfo.address); });
  await new Promise<void>((r) => s.bind(0, type === "udp4" ? "127.0.0.1" : "::1", () => r()));
  sockets.push(s);
  return { port: s.address().port, got };
}
async function closedPort(type: "udp4" | "udp6"): Promise<number> {
  const s = dgram.createSocket(type);
  await new Promise<void>((r) => s.bind(0, type === "udp4" ? "127.0.0.1" : "::1", () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(() => { icmpOptions.windowMs = 20; });
afterEach(() => { icmpOptions.command = ["fping"]; });
afterAll(() => { icmpOptions.windowMs = 1000; for (const s of sockets) s.close(); });

describe.skipIf(!hasFping)("udp_icmp probe", () => {
  it("no ICMP port unreachable within the timeout is up (with the echo's RTT); the datagram arrived", async () => {
    const l = await listener("udp4", false);
    const started = performance.now();
    const r = await udp_icmp.once(spec(l.port));
    expect(r).toMatchObject({ ok: true, reason: "no ICMP port unreachable within 300 ms" });
    expect(r.rttMs).toBeGreaterThanOrEqual(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(l.got).toEqual(["gslb health check\n"]);
    expect(await leftOpen()).toBe(0);
  });

  it("a UDP reply is up at once, with its RTT", async () => {
    const l = await listener("udp4", true);
    const started = performance.now();
    expect(await udp_icmp.once(spec(l.port))).toMatchObject({ ok: true, reason: "UDP reply" });
    expect(performance.now() - started).toBeLessThan(250);
  });

  it("a closed port (ICMP port unreachable) is down, IPv4 and IPv6, and the socket is closed", async () => {
    expect(await udp_icmp.once(spec(await closedPort("udp4")))).toEqual({ ok: false, rttMs: null, reason: "ICMP port unreachable" });
    expect(await udp_icmp.once(spec(await closedPort("udp6"), "::1"))).toEqual({ ok: false, rttMs: null, reason: "ICMP port unreachable" });
    expect(await leftOpen()).toBe(0);
    const l6 = await listener("udp6", false);
    expect(await udp_icmp.once(spec(l6.port, "::1"))).toMatchObject({ ok: true });
  });

  it("a host that does not answer the echo request is down, and no datagram is sent (Cloudflare pings first)", async () => {
    const l = await listener("udp4", false);
    icmpOptions.command = SILENT;
    expect(await udp_icmp.once(spec(l.port))).toEqual({ ok: false, rttMs: null, reason: "ICMP echo: no echo reply within 300 ms" });
    expect(l.got).toEqual([]);
  });
});

describe("udp_icmp settings", () => {
  it("needs a port (Cloudflare: required for UDP)", () => {
    const r = udp_icmp.schema.safeParse({ type: "udp_icmp" });
    expect(r.error!.issues[0]).toMatchObject({ path: ["port"], message: expect.stringMatching(/^a udp_icmp monitor needs a port/) });
    expect(udp_icmp.spec(udp_icmp.schema.parse({ type: "udp_icmp", port: 53, timeout: 2 }), { host: "127.0.0.1", hostHeader: null, originHostName: null }))
      .toEqual({ type: "udp_icmp", host: "127.0.0.1", port: 53, timeoutMs: 2000, retries: 2 });
  });
});
