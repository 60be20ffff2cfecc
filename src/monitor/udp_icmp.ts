// The udp_icmp monitor, as Cloudflare documents its own (developers.cloudflare.com/load-balancing/
// monitors/, "Supported protocols"): "UDP-ICMP monitor works by sending a UDP probe packet after
// ICMP Ping monitor completes as healthy. [...] After receiving a successful ICMP reply, the
// monitor sends a UDP probe packet to the endpoint. If no ICMP Port Unreachable message is
// received, the endpoint is considered healthy. [...] If the monitor receives an ICMP Port
// Unreachable message within the configured timeout and retries, the endpoint is considered
// unhealthy."
//
// So, as there: first an echo request through icmp_ping's fping batches (no echo reply within the
// timeout: down, since silence from a dead host would otherwise pass for health); then one
// datagram to the port from a connected UDP socket, on which Linux reports the ICMP port
// unreachable that comes back as ECONNREFUSED (no privileges needed): down. No answer within the
// timeout: up. A UDP reply: up at once. An attempt can so take the batch window, the echo's
// timeout, then the UDP timeout. RTT: the UDP reply's when there is one, else the echo's.
// No default port: Cloudflare requires one for UDP.

import dgram from "node:dgram";
import { baseSettings, ignore, monitorObject, requiredPort } from "./fields.js";
import { echo, icmpOptions, lookupAddress } from "./icmp_ping.js";
import { deadline, describeError, sourceFor, type BaseSettings, type BaseSpec, type MonitorType, type ProbeResult } from "./types.js";

export type UdpIcmpSettings = BaseSettings<"udp_icmp"> & { readonly port: number };
export type UdpIcmpSpec = BaseSpec<"udp_icmp">;

/** What the datagram carries: something a person reading a capture recognises. */
const PAYLOAD = Buffer.from("gslb health check\n");

const ignored = ignore("probe_zone", "method", "path", "header", "expected_codes", "expected_body", "follow_redirects", "allow_insecure");

const input = monitorObject("udp_icmp", ignored, { port: requiredPort("udp_icmp") });

export const udp_icmp: MonitorType<"udp_icmp", UdpIcmpSettings, UdpIcmpSpec> = {
  name: "udp_icmp",
  schema: input.transform((m) => ({ ...baseSettings("udp_icmp", m), port: m.port })),
  fields: Object.keys(input.shape),
  ignored,
  spec: (s, target) => ({ type: "udp_icmp", host: target.host, port: s.port, timeoutMs: s.timeout * 1000, retries: s.retries }),
  once: async (spec) => {
    const a = await lookupAddress(spec.host, spec.timeoutMs);
    if ("ok" in a) return a;
    const ping = await echo(a.address, spec.timeoutMs);
    if (!ping.ok) return ping.stalled === true ? ping : { ...ping, reason: `ICMP echo: ${ping.reason}` };
    return udpOnce(spec, a.address, a.family, ping.rttMs);
  },
  attemptMs: (spec) => icmpOptions.windowMs + 2 * spec.timeoutMs + 100,
};

/** The UDP half: one datagram, then an ICMP port unreachable (down), a reply (up) or silence (up). */
export function udpOnce(spec: UdpIcmpSpec, address: string, family: 4 | 6, echoRttMs: number | null): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const socket = dgram.createSocket(family === 6 ? "udp6" : "udp4");
    let settled = false;
    let sentAt = start;
    const done = (r: ProbeResult) => { if (!settled) { settled = true; clearTimeout(timer); socket.close(); resolve(r); } };
    // Silence until the timeout is the healthy outcome here.
    const timer = deadline(spec.timeoutMs, start, done, () => ({ ok: true, rttMs: echoRttMs, reason: `no ICMP port unreachable within ${spec.timeoutMs} ms` }));
    socket.on("error", (err: NodeJS.ErrnoException) => done({ ok: false, rttMs: null, reason: err.code === "ECONNREFUSED" ? "ICMP port unreachable" : describeError(err) }));
    socket.on("message", () => done({ ok: true, rttMs: performance.now() - sentAt, reason: "UDP reply" }));
    const send = () => socket.connect(spec.port, address, () => {
      sentAt = performance.now();
      socket.send(PAYLOAD, (err) => { if (err) done({ ok: false, rttMs: null, reason: describeError(err) }); });
    });
    // From --probe-source, when one is set for this family.
    const source = sourceFor(address).localAddress;
    if (source === undefined) send();
    else socket.bind({ address: source, port: 0 }, send);
  });
}
