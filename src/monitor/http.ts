// The http monitor (and, through httpMonitor("https"), the https one): a request to the origin,
// up when the status is one of expected_codes and, if set, expected_body is in the first 64 KiB of
// the body. RTT: from the start of the connection to the response headers. One deadline covers
// the whole exchange, body included. Whatever happens (refused, reset, timeout, TLS error, DNS
// failure, wrong code or body) the result is a value with a reason, never an exception.

import httpLib from "node:http";
import httpsLib from "node:https";
import net from "node:net";
import { z } from "zod";
import { baseSettings, ignore, monitorObject, portOrDefault } from "./fields.js";
import { deadline, describeError, sourceFor, type BaseSettings, type BaseSpec, type MonitorType, type ProbeResult, type ProbeTarget } from "./types.js";

export type HttpName = "http" | "https";

export type HttpSettings<Name extends HttpName = HttpName> = BaseSettings<Name> & {
  readonly port: number;
  readonly method: "GET" | "HEAD";
  readonly path: string;
  readonly header: Readonly<Record<string, readonly string[]>>;
  /** "200", "2xx", ... */
  readonly expected_codes: readonly string[];
  readonly expected_body: string | null;
  readonly follow_redirects: boolean;
  /** https only; on an http monitor it is an ignored field, left as written. */
  readonly allow_insecure?: unknown;
};

export interface HttpSpec<Name extends HttpName = HttpName> extends BaseSpec<Name> {
  readonly method: "GET" | "HEAD";
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly expectedCodes: readonly string[];
  /** Case-insensitive substring of the first 64 KiB of the body, or null. */
  readonly expectedBody: string | null;
  readonly followRedirects: boolean;
  readonly allowInsecure: boolean;
  /** TLS server name: the Host header (the origin's, else the monitor's), else the origin's host name. */
  readonly servername: string | null;
}

const BODY_LIMIT = 64 * 1024;
const MAX_REDIRECTS = 5;
const DEFAULT_PORT: Record<HttpName, number> = { http: 80, https: 443 };

const CODE = /^[1-5](\d\d|xx)$/i;
const CODES_FORM = `"200", "2xx", or a list of those (an array, or comma-separated), codes 100 to 599`;

/**
 * expected_codes as Cloudflare takes it ("200", "2xx"; we also take a list as an array or a comma
 * list), validated here so a typo is a load error, not an origin that can never be up. Absent or
 * empty: Cloudflare's default, "200".
 */
const ExpectedCodes = z.union([z.string(), z.array(z.string())], { error: `expected_codes: expected ${CODES_FORM}` })
  .optional()
  .transform((v, ctx) => {
    const list = (v === undefined ? [] : typeof v === "string" ? v.split(",") : v).map((c) => c.trim()).filter((c) => c !== "");
    for (const [i, c] of list.entries()) {
      if (!CODE.test(c)) ctx.issues.push({ code: "custom", input: v, path: Array.isArray(v) ? [i] : [], message: `${JSON.stringify(c)} is not a status code or range: use ${CODES_FORM}` });
    }
    return list.length === 0 ? ["200"] : list.map((c) => c.toLowerCase());
  })
  .describe(`${CODES_FORM}; default "200"`);

const Header = z.record(z.string(), z.union([z.string(), z.array(z.string())])).nullable().optional()
  .describe('request headers, e.g. { "Host": ["www.example.com"] } (a plain string value also works)');

export function httpMonitor<Name extends HttpName>(name: Name): MonitorType<Name, HttpSettings<Name>, HttpSpec<Name>> {
  const ignored = name === "http" ? ignore("probe_zone", "allow_insecure") : ignore("probe_zone");
  const input = monitorObject(name, ignored, {
    // A monitor without a type is an http one (Cloudflare's default).
    type: name === "http" ? z.literal(name).default(name) : z.literal(name),
    port: portOrDefault(DEFAULT_PORT[name]),
    method: z.enum(["GET", "HEAD"], { error: `an ${name} monitor's method is GET or HEAD` }).default("GET"),
    path: z.string().startsWith("/", { error: "path must start with /" }).default("/"),
    header: Header,
    expected_codes: ExpectedCodes,
    expected_body: z.string().nullable().optional().describe("case-insensitive substring of the first 64 KiB of the body"),
    follow_redirects: z.boolean().default(false),
    ...(name === "https" ? { allow_insecure: z.boolean().default(false).describe("do not verify the certificate") } : {}),
  });
  const schema = input.transform((m): HttpSettings<Name> => ({
    ...baseSettings(name, m),
    port: m.port || DEFAULT_PORT[name],
    method: m.method,
    path: m.path,
    header: Object.fromEntries(Object.entries(m.header ?? {}).map(([k, v]) => [k, typeof v === "string" ? [v] : v])),
    expected_codes: m.expected_codes,
    expected_body: m.expected_body || null,
    follow_redirects: m.follow_redirects,
  }));
  return {
    name,
    schema,
    fields: Object.keys(input.shape),
    ignored,
    spec: (s, target) => httpSpec(s, target),
    once: (spec) => httpOnce(spec, spec.path, 0),
  };
}

export const http = httpMonitor("http");

function httpSpec<Name extends HttpName>(s: HttpSettings<Name>, target: ProbeTarget): HttpSpec<Name> {
  const headers: Record<string, string | string[]> = {};
  let monitorHost: string | undefined;
  for (const [k, values] of Object.entries(s.header)) {
    if (k.toLowerCase() === "host") { monitorHost ??= values[0]; continue; }
    if (values.length > 0) headers[k] = values.length === 1 ? values[0]! : [...values];
  }
  // The origin's Host header wins over the monitor's (Cloudflare: "the host header configured on
  // the endpoint takes precedence"), for the request and for SNI alike.
  const host = target.hostHeader ?? monitorHost;
  if (host !== undefined) headers.Host = host;
  return {
    type: s.type,
    host: target.host,
    port: s.port,
    timeoutMs: s.timeout * 1000,
    retries: s.retries,
    method: s.method,
    path: s.path,
    headers,
    expectedCodes: [...s.expected_codes],
    expectedBody: s.expected_body,
    followRedirects: s.follow_redirects,
    allowInsecure: s.type === "https" && s.allow_insecure === true,
    servername: serverName(host) ?? target.originHostName,
  };
}

/** The TLS server name a Host header gives: without its port, and none for an address (SNI takes names only). */
function serverName(host: string | undefined): string | null {
  if (host === undefined || host === "" || net.isIP(host)) return null;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  const name = bracketed ? bracketed[1]! : host.replace(/:\d+$/, "");
  return net.isIP(name) ? null : name;
}

function httpOnce(spec: HttpSpec, path: string, redirects: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const lib = spec.type === "https" ? httpsLib : httpLib;
    let settled = false;
    const finish = (r: ProbeResult) => { if (!settled) { settled = true; clearTimeout(timer); req.destroy(); resolve(r); } };
    const req = lib.request({
      host: spec.host,
      port: spec.port,
      method: spec.method,
      path,
      headers: { "user-agent": "gslb-monitor", ...spec.headers },
      agent: false,
      ...sourceFor(spec.host),
      ...(spec.type === "https" ? { rejectUnauthorized: !spec.allowInsecure, servername: spec.servername ?? undefined } : {}),
    });
    // One deadline for the whole exchange, body included.
    const timer = deadline(spec.timeoutMs, start, finish);
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
