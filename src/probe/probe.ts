// One health probe: HTTP, HTTPS or TCP, with the monitor's timeout, retries, expected codes and
// body. Whatever happens (refused, reset, timeout, TLS error, DNS failure, wrong code or body) the
// result is a value with a reason, never an exception.

import http from "node:http";
import https from "node:https";
import net from "node:net";

export interface ProbeSpec {
  readonly type: "http" | "https" | "tcp";
  /** Address (or host name) to connect to, and port. */
  readonly host: string;
  readonly port: number;
  readonly method: "GET" | "HEAD";
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly timeoutMs: number;
  /** Immediate retries before the probe counts as failed. */
  readonly retries: number;
  /** "200", "2xx", ... (plain data, so specs can cross to the prober's worker thread). */
  readonly expectedCodes: readonly string[];
  /** Case-insensitive substring of the first 64 KiB of the body, or null. */
  readonly expectedBody: string | null;
  readonly followRedirects: boolean;
  readonly allowInsecure: boolean;
  /** TLS server name: the Host header, else the origin's name if it is a host name. */
  readonly servername: string | null;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** Milliseconds to the response (HTTP) or the connection (TCP), for successful probes. */
  readonly rttMs: number | null;
  /** "200", "timeout after 5000 ms", "connection refused", "status 500", "body mismatch", "TLS: ...". */
  readonly reason: string;
  /**
   * The prober itself did not run in time (its timeout fired late: CPU starved, it runs at the
   * lowest priority), so the origin may well have answered: the result says nothing about it.
   */
  readonly stalled?: boolean;
}

/** A timeout that fires this much later than due means the prober, not the origin, was stalled. */
export const STALL_TOLERANCE_MS = 500;

const BODY_LIMIT = 64 * 1024;
const MAX_REDIRECTS = 5;

/** Runs the probe with its retries; resolves with the last attempt's result. */
export async function probe(spec: ProbeSpec): Promise<ProbeResult> {
  let last: ProbeResult = { ok: false, rttMs: null, reason: "not run" };
  for (let attempt = 0; attempt <= spec.retries; attempt++) {
    last = await once(spec);
    if (last.ok || last.stalled) return last;
  }
  return last;
}

function once(spec: ProbeSpec): Promise<ProbeResult> {
  return spec.type === "tcp" ? tcpOnce(spec) : httpOnce(spec, spec.path, 0);
}

/**
 * The timeout of one attempt. Fired on time: a failure. Fired late: the prober was stalled, so
 * first let I/O that is already waiting be read (setImmediate runs after the poll phase), and if
 * nothing settles the attempt, it is stalled, not failed.
 */
function deadline(spec: ProbeSpec, start: number, finish: (r: ProbeResult) => void): NodeJS.Timeout {
  return setTimeout(() => {
    const lateMs = performance.now() - start - spec.timeoutMs;
    if (lateMs <= STALL_TOLERANCE_MS) { finish({ ok: false, rttMs: null, reason: `timeout after ${spec.timeoutMs} ms` }); return; }
    setImmediate(() => finish({ ok: false, rttMs: null, reason: `prober stalled ${Math.round(lateMs)} ms past the timeout`, stalled: true }));
  }, spec.timeoutMs);
}

function tcpOnce(spec: ProbeSpec): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const socket = net.connect({ host: spec.host, port: spec.port });
    let settled = false;
    const done = (r: ProbeResult) => { if (!settled) { settled = true; clearTimeout(timer); socket.destroy(); resolve(r); } };
    const timer = deadline(spec, start, done);
    socket.once("connect", () => done({ ok: true, rttMs: performance.now() - start, reason: "connected" }));
    socket.once("error", (err) => done({ ok: false, rttMs: null, reason: describeError(err) }));
  });
}

function httpOnce(spec: ProbeSpec, path: string, redirects: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const lib = spec.type === "https" ? https : http;
    let settled = false;
    const finish = (r: ProbeResult) => { if (!settled) { settled = true; clearTimeout(timer); req.destroy(); resolve(r); } };
    const req = lib.request({
      host: spec.host,
      port: spec.port,
      method: spec.method,
      path,
      headers: { "user-agent": "gslb-monitor", ...spec.headers },
      agent: false,
      ...(spec.type === "https" ? { rejectUnauthorized: !spec.allowInsecure, servername: spec.servername ?? undefined } : {}),
    });
    // One deadline for the whole exchange, body included.
    const timer = deadline(spec, start, finish);
    req.once("error", (err) => finish({ ok: false, rttMs: null, reason: describeError(err) }));
    req.once("response", (res) => {
      const rtt = performance.now() - start;
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (spec.followRedirects && status >= 300 && status < 400 && location !== undefined && redirects < MAX_REDIRECTS) {
        res.resume();
        let next: URL;
        try { next = new URL(location, `${spec.type}://${spec.host}:${spec.port}${path}`); } catch { finish({ ok: false, rttMs: null, reason: `bad redirect ${JSON.stringify(location)}` }); return; }
        // Redirects are followed on the same origin connection target: health is about this origin.
        clearTimeout(timer);
        settled = true;
        req.destroy();
        void httpOnce(spec, next.pathname + next.search, redirects + 1).then(resolve);
        return;
      }
      if (!codeMatcher(spec.expectedCodes)(status)) { res.resume(); finish({ ok: false, rttMs: null, reason: `status ${status}` }); return; }
      if (spec.expectedBody === null || spec.method === "HEAD") { res.resume(); finish({ ok: true, rttMs: rtt, reason: String(status) }); return; }
      const chunks: Buffer[] = [];
      let size = 0;
      const check = () => {
        const body = Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString("utf8").toLowerCase();
        finish(body.includes(spec.expectedBody!.toLowerCase())
          ? { ok: true, rttMs: rtt, reason: String(status) }
          : { ok: false, rttMs: null, reason: "body mismatch" });
      };
      res.on("data", (c: Buffer) => { chunks.push(c); size += c.length; if (size >= BODY_LIMIT) check(); });
      res.once("end", check);
      res.once("error", (err) => finish({ ok: false, rttMs: null, reason: describeError(err) }));
    });
    req.end();
  });
}

function describeError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ECONNREFUSED": return "connection refused";
    case "ECONNRESET": return "connection reset";
    case "ENOTFOUND": case "EAI_AGAIN": return `DNS: ${err.code === "ENOTFOUND" ? "name does not resolve" : "lookup failed"}`;
    case "EHOSTUNREACH": case "ENETUNREACH": return "unreachable";
  }
  if (err.code?.startsWith("ERR_TLS") || err.code?.includes("CERT") || err.code === "DEPTH_ZERO_SELF_SIGNED_CERT" || err.code === "SELF_SIGNED_CERT_IN_CHAIN") return `TLS: ${err.code}`;
  return err.code ?? err.message;
}

/** "200", "2xx", ["200", "301"] → a status matcher (memoised). Default: 2xx. */
const matchers = new Map<string, (status: number) => boolean>();
export function codeMatcher(expected: string | readonly string[] | undefined): (status: number) => boolean {
  const list = expected === undefined ? ["2xx"] : typeof expected === "string" ? [expected] : expected;
  const key = list.join(",");
  const hit = matchers.get(key);
  if (hit !== undefined) return hit;
  const tests = list.map((e) => {
    const m = /^([1-5])xx$/i.exec(e.trim());
    if (m) { const d = Number(m[1]); return (s: number) => Math.floor(s / 100) === d; }
    const n = Number(e);
    return (s: number) => s === n;
  });
  const matcher = (s: number) => tests.some((t) => t(s));
  matchers.set(key, matcher);
  return matcher;
}
