// HTTP for the status API's tests: requests with node's fetch, and reading the Prometheus text format.

import http from "node:http";
import net from "node:net";

export interface HttpReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body as JSON (undefined when it is not). */
  readonly json: any;
}

export async function request(base: string, path: string, init: { method?: string; body?: string; token?: string; headers?: Record<string, string> } = {}): Promise<HttpReply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(new URL(path, base), { method: init.method ?? "GET", body: init.body, headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** Sum of the samples of `name` whose labels include all of `labels` (Prometheus text format). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const l of (m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(l[1]!, l[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[4]);
  }
  return sum;
}

/** Whether any sample of `name` is in the text. */
export function hasMetric(text: string, name: string): boolean {
  return text.split("\n").some((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

/** An HTTP origin on its own loopback address whose every answer is `status` (changeable), after `delayMs`. */
export async function httpOrigin(host: string, port = 0): Promise<{ server: http.Server; port: number; status: number; delayMs: number; close(): Promise<void> }> {
  const o = {
    server: http.createServer((_req, res) => setTimeout(() => { res.statusCode = o.status; res.end("ok"); }, o.delayMs)),
    port: 0, status: 200, delayMs: 0,
    close: () => new Promise<void>((r) => { o.server.closeAllConnections(); o.server.close(() => r()); }),
  };
  await new Promise<void>((r) => o.server.listen(port, host, () => r()));
  o.port = (o.server.address() as net.AddressInfo).port;
  return o;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `check` returns something truthy (polling), or fail with what it last returned. */
export async function until<T>(check: () => Promise<T> | T, limitMs: number, what: string): Promise<T> {
  const start = Date.now();
  let last: T;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() - start > limitMs) throw new Error(`${what}: still not so after ${limitMs} ms`);
    await sleep(50);
  }
}
