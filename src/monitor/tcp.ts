// The tcp monitor: up when a TCP connection to the port is established within the timeout
// (Cloudflare: method "connection_established", the only one), then closed at once. RTT: the
// connection's setup. No default port: Cloudflare requires one for TCP.

import net from "node:net";
import { z } from "zod";
import { baseSettings, ignore, monitorObject, requiredPort } from "./fields.js";
import { deadline, describeError, type BaseSettings, type BaseSpec, type MonitorType, type ProbeResult, sourceFor } from "./types.js";

export type TcpSettings = BaseSettings<"tcp"> & { readonly port: number };
export type TcpSpec = BaseSpec<"tcp">;

const ignored = ignore("probe_zone", "path", "header", "expected_codes", "expected_body", "follow_redirects", "allow_insecure");

const input = monitorObject("tcp", ignored, {
  port: requiredPort("tcp"),
  method: z.literal("connection_established", { error: 'a tcp monitor\'s method is "connection_established" (the only one)' }).optional(),
});

export const tcp: MonitorType<"tcp", TcpSettings, TcpSpec> = {
  name: "tcp",
  schema: input.transform((m) => ({ ...baseSettings("tcp", m), port: m.port })),
  fields: Object.keys(input.shape),
  ignored,
  spec: (s, target) => ({ type: "tcp", host: target.host, port: s.port, timeoutMs: s.timeout * 1000, retries: s.retries }),
  once: tcpOnce,
};

function tcpOnce(spec: TcpSpec): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const socket = net.connect({ host: spec.host, port: spec.port, ...sourceFor(spec.host) });
    let settled = false;
    const done = (r: ProbeResult) => { if (!settled) { settled = true; clearTimeout(timer); socket.destroy(); resolve(r); } };
    const timer = deadline(spec.timeoutMs, start, done);
    socket.once("connect", () => done({ ok: true, rttMs: performance.now() - start, reason: "connected" }));
    socket.once("error", (err) => done({ ok: false, rttMs: null, reason: describeError(err) }));
  });
}
