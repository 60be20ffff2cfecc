// The status API: its own HTTP listener (node:http), loopback by default. Read endpoints for
// probes and people (/healthz, /readyz, /metrics, /api/v1/...); write endpoints for overrides only
// when a bearer token was configured (without one they do not exist: 404). Every answer is JSON but
// /metrics (Prometheus text). Nothing here is on the DNS path: it reads what the hub gathered.

import crypto from "node:crypto";
import http from "node:http";
import type net from "node:net";
import type { Logger } from "../log/logger.js";
import { policyOf } from "../balancing/policies/index.js";
import type { GeoProvider } from "../locate/geoip.js";
import { explainQuery, locatorFor, parseSubnet, typeCode, type ExplainContext } from "../query/explain.js";
import { parseIPv4, parseIPv6 } from "../wire/ip.js";
import { formatListen, type ListenAddress } from "../transport/types.js";
import type { StatusHub } from "./hub.js";
import { createMetrics } from "./metrics.js";
import { deleteOverride, putOverride, readEntries, writeEtcdOverride, type Outcome, type OverrideTarget } from "./overrides.js";
import { clusterStatus } from "./cluster.js";
import { statusPage } from "./page.js";
import { statusSnapshot } from "./snapshot.js";

export interface StatusServerOptions {
  readonly address: ListenAddress;
  /** Bearer token of the write endpoints; null: they do not exist. */
  readonly token: string | null;
  readonly logger: Logger;
  readonly version: string;
  /** How origins not yet checked count (for explain's health line). */
  readonly unknownHealth: "up" | "down";
}

export interface StatusServer {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** The status listener could not be bound: one line for the CLI, like a DNS port in use. */
export class StatusListenError extends Error {}

/** Largest request body (a PUT of an override is a few hundred bytes). */
const MAX_BODY = 64 * 1024;
const API = "/api/v1";

export async function startStatusServer(hub: StatusHub, options: StatusServerOptions): Promise<StatusServer> {
  const log = options.logger;
  const metrics = createMetrics(hub, options.version);
  // Compared as SHA-256 digests with timingSafeEqual: constant time whatever the lengths.
  const tokenDigest = options.token === null ? null : digest(options.token);
  /** One locator per GeoIP provider (null: none), each keeping one Locator per Balancing. */
  const locators = new Map<GeoProvider | null, ReturnType<typeof locatorFor>>();
  const page = statusPage(options.version);

  const routes: Record<string, Partial<Record<string, (req: http.IncomingMessage, url: URL) => Promise<Outcome | Text>>>> = {
    // The status page (page.ts): first view rendered here, then it re-reads /api/v1/status by itself.
    "/": { GET: async () => ({ text: page.html(await statusSnapshot(hub)), contentType: "text/html; charset=utf-8", headers: { "content-security-policy": page.csp, "x-content-type-options": "nosniff" } }) },
    "/healthz": { GET: async () => json(200, { status: "ok" }) },
    "/readyz": {
      GET: async () => {
        const r = hub.readiness();
        const peers = hub.control?.peers?.etcd;
        const etcd = peers?.status;
        // Degraded (etcd unreachable) is still ready: the instance answers, from its own verdicts.
        return json(r.ready ? 200 : 503, {
          ready: r.ready, waiting: r.waiting, health_checks: r.healthChecks, since: new Date(hub.startedAt).toISOString(),
          ...(etcd !== undefined ? { etcd: { state: etcd.state, degraded: peers!.degraded, since: new Date(etcd.since).toISOString(), last_error: etcd.lastError } } : {}),
        });
      },
    },
    "/metrics": { GET: async () => ({ text: await metrics.render(), contentType: metrics.contentType }) },
    [`${API}/zones`]: { GET: async () => zones(hub) },
    [`${API}/status`]: {
      GET: async () => {
        const snapshot = await statusSnapshot(hub);
        return snapshot === null ? notReady() : { status: 200, body: snapshot as unknown as Record<string, unknown> };
      },
    },
    [`${API}/pools`]: { GET: async () => pools(hub) },
    [`${API}/cluster`]: { GET: async () => cluster(hub) },
    [`${API}/events`]: {
      GET: async (_req, url) => {
        const since = intParam(url, "since", 0);
        const limit = intParam(url, "limit", hub.events.capacity);
        if (since === null || limit === null) return json(400, { error: "since and limit: whole numbers" });
        return json(200, { events: hub.events.recent(since, limit), last: hub.events.last });
      },
    },
    [`${API}/explain`]: { GET: async (_req, url) => explain(url) },
    [`${API}/overrides`]: {
      GET: async () => {
        const control = hub.control;
        if (control === null) return notReady();
        const read = readEntries(control.overridesFile);
        return json(200, {
          file: control.overridesFile, writable: tokenDigest !== null,
          ...("error" in read ? { entries: null, file_error: read.error } : { entries: read.entries }),
          active: Object.fromEntries(control.health.overrides()), errors: hub.overrideErrors,
          ...(control.peers != null ? { etcd: { entries: [...control.peers.etcd.overrideEntries().values()], prefix: `${control.peers.etcd.status.prefix}overrides/` }, writes_go_to: "etcd" } : {}),
        });
      },
    },
  };

  async function explain(url: URL): Promise<Outcome> {
    const control = hub.control, answering = hub.answering;
    if (control === null || answering === null) return notReady();
    const name = url.searchParams.get("name");
    if (name === null || name === "") return json(400, { error: "name: required, e.g. ?name=www.example.com&type=A" });
    const type = typeCode(url.searchParams.get("type") ?? "A");
    if (type === undefined) return json(400, { error: `type: unknown type ${JSON.stringify(url.searchParams.get("type"))}` });
    const client = url.searchParams.get("client") ?? "127.0.0.1";
    if (parseIPv4(client) === null && parseIPv6(client) === null) return json(400, { error: `client: ${JSON.stringify(client)} is not an IP address` });
    const ecsText = url.searchParams.get("ecs");
    const ecs = ecsText === null || ecsText === "" ? null : parseSubnet(ecsText);
    if (typeof ecs === "string") return json(400, { error: `ecs: ${JSON.stringify(ecsText)}: ${ecs}` });
    const geo = await answering.geo();
    let locator = locators.get(geo);
    if (locator === undefined) locators.set(geo, (locator = locatorFor(geo)));
    const ctx: ExplainContext = {
      zones: answering.zones(), balancing: control.current().balancing, health: (b) => control.health.view(b), locator,
      healthNote: `live: this server's health checks and overrides (origins not yet checked count as ${options.unknownHealth})`,
    };
    return { status: 200, body: explainQuery({ name: name.replace(/\.$/, "").toLowerCase(), type, client, ecs }, ctx) as unknown as Record<string, unknown> };
  }

  /** PUT and DELETE /api/v1/overrides/ZONE/POOL[/ORIGIN]: with the token, else 401; without a token configured, 404. */
  async function writeOverride(req: http.IncomingMessage, segments: string[]): Promise<Outcome> {
    if (!authorized(req)) return { status: 401, body: { error: "a bearer token is required: Authorization: Bearer TOKEN (--api-token-file)" } };
    const control = hub.control;
    if (control === null) return notReady();
    const target: OverrideTarget = { zone: segments[0]!, pool: segments[1]!, origin: segments[2] ?? null };
    const balancing = control.current().balancing;
    // With --etcd, writes go to etcd: every instance applies them (this one too, through its watch).
    const peers = control.peers;
    if (peers != null) {
      let body: unknown = undefined;
      if (req.method === "PUT") {
        body = await readBody(req);
        if (typeof body === "object" && body !== null && "tooLarge" in body) return json(413, { error: `body over ${MAX_BODY} bytes` });
        if (typeof body === "object" && body !== null && "invalid" in body) return json(400, { error: `body: invalid JSON: ${(body as { invalid: string }).invalid}` });
      }
      const outcome = await writeEtcdOverride(peers.etcd, balancing, target, req.method === "PUT" ? body : null);
      if (outcome.status === 200) log.info({ method: req.method, zone: target.zone, pool: target.pool, origin: target.origin, client: req.socket.remoteAddress, layer: "etcd", ...outcome.body }, "override written to etcd through the status API");
      return outcome;
    }
    let outcome: Outcome;
    if (req.method === "PUT") {
      const body = await readBody(req);
      if (typeof body === "object" && body !== null && "tooLarge" in body) return json(413, { error: `body over ${MAX_BODY} bytes` });
      if (typeof body === "object" && body !== null && "invalid" in body) return json(400, { error: `body: invalid JSON: ${(body as { invalid: string }).invalid}` });
      outcome = putOverride(control.overridesFile, balancing, target, body);
    } else {
      outcome = deleteOverride(control.overridesFile, balancing, target);
    }
    if (outcome.status !== 200) return outcome;
    // Applied now (the directory watcher would too, a moment later, and find nothing new).
    const errors = control.reloadOverrides();
    log.info({ method: req.method, zone: target.zone, pool: target.pool, origin: target.origin, client: req.socket.remoteAddress, ...outcome.body }, "override written through the status API");
    return json(errors.length === 0 ? 200 : 500, { ...outcome.body, file: control.overridesFile, active: Object.fromEntries(control.health.overrides()), ...(errors.length > 0 ? { error: "written, but not applied", problems: errors } : {}) });
  }

  function authorized(req: http.IncomingMessage): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    return m !== null && tokenDigest !== null && crypto.timingSafeEqual(digest(m[1]!), tokenDigest);
  }

  async function route(req: http.IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://status.invalid");
    const method = req.method === "HEAD" ? "GET" : req.method ?? "GET";
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    const handlers = routes[path];
    if (handlers !== undefined) {
      const h = handlers[method];
      if (h === undefined) return { ...json(405, { error: `${req.method} is not allowed here; allowed: ${Object.keys(handlers).join(", ")}` }), allow: Object.keys(handlers).join(", ") };
      return h(req, url);
    }
    // Write endpoints exist only with a token configured.
    if (tokenDigest !== null && path.startsWith(`${API}/overrides/`)) {
      let segments: string[];
      try { segments = path.slice(`${API}/overrides/`.length).split("/").map(decodeURIComponent); } catch { return json(400, { error: "bad percent-encoding in the path" }); }
      if (segments.length < 2 || segments.length > 3 || segments.some((s) => s === "")) return json(404, { error: `not found: ${API}/overrides/ZONE/POOL or ${API}/overrides/ZONE/POOL/ORIGIN` });
      if (method !== "PUT" && method !== "DELETE") return { ...json(405, { error: `${req.method} is not allowed here; allowed: PUT, DELETE` }), allow: "PUT, DELETE" };
      return writeOverride(req, segments);
    }
    return json(404, { error: `not found: ${url.pathname}` });
  }

  const server = http.createServer((req, res) => {
    route(req).then((r) => send(res, r), (err: unknown) => {
      log.error({ err, url: req.url }, "status API request failed");
      send(res, json(500, { error: "internal error" }));
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxConnections = 256;

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const why = err.code === "EADDRINUSE" ? "address already in use (is another gslb running? --http ADDR:PORT or --no-http)"
        : err.code === "EACCES" ? "permission denied" : err.code === "EADDRNOTAVAIL" ? "address not available on this host" : err.message;
      reject(new StatusListenError(`cannot listen on http ${formatListen(options.address)}: ${why}`));
    });
    server.listen({ host: options.address.host, port: options.address.port, ipv6Only: options.address.host.includes(":") }, () => resolve());
  });
  server.on("error", (err) => log.warn({ err }, "status API socket error"));
  const bound = server.address() as net.AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

interface Text { readonly text: string; readonly contentType: string; readonly headers?: Record<string, string> }
type Reply = (Outcome | Text) & { allow?: string };

function send(res: http.ServerResponse, r: Reply): void {
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (r.allow !== undefined) headers.allow = r.allow;
  if ("text" in r) {
    res.writeHead(200, { ...headers, ...r.headers, "content-type": r.contentType });
    res.end(r.text);
    return;
  }
  if (r.status === 401) headers["www-authenticate"] = 'Bearer realm="gslb"';
  res.writeHead(r.status, { ...headers, "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(r.body, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v)) + "\n");
}

function json(status: number, body: Record<string, unknown>): Outcome {
  return { status, body };
}

function notReady(): Outcome {
  return json(503, { error: "starting: the configuration is not loaded yet" });
}

function intParam(url: URL, name: string, fallback: number): number | null {
  const v = url.searchParams.get(name);
  if (v === null) return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

function digest(s: string): Buffer {
  return crypto.createHash("sha256").update(s, "utf8").digest();
}

/** The request's JSON body, or what is wrong with it. */
function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { over = true; chunks.length = 0; return; }
      if (!over) chunks.push(c);
    });
    req.on("end", () => {
      if (over) return resolve({ tooLarge: true });
      const text = Buffer.concat(chunks).toString("utf8");
      try { resolve(JSON.parse(text)); } catch (e) { resolve({ invalid: (e as Error).message }); }
    });
    req.on("error", reject);
  });
}

// ------------------------------------------------------------------ read endpoints' bodies

function zones(hub: StatusHub): Outcome {
  const control = hub.control;
  if (control === null) return notReady();
  const load = control.current();
  const files = [...load.results.values()].map((r) => {
    const z = r.zone;
    const b = r.balancing;
    return {
      file: r.file,
      zone: z?.origin ?? null,
      // loaded: this version serves; last good: this version is broken and the last good one serves; error: nothing serves from this file.
      state: r.errors.length === 0 ? "loaded" : z !== null ? "last good" : "error",
      serial: z?.serial ?? null,
      names: z === null ? null : z.nodes.size,
      rrsets: z === null ? null : [...z.nodes.values()].reduce((n, node) => n + node.rrsets.size, 0),
      load_balancers: b === null ? [] : [...b.balancers.values()].map((lb) => ({
        name: lb.name, policy: policyOf(lb), default_pools: lb.defaultPools, fallback_pool: lb.fallbackPool ?? lb.defaultPools[lb.defaultPools.length - 1] ?? null, ttl: lb.ttl, rules: lb.rules.length,
      })),
      disabled_load_balancers: b?.disabled ?? 0,
      pools: b === null ? [] : [...b.pools.keys()],
      errors: r.errors,
      warnings: r.warnings,
    };
  });
  return json(200, {
    zones: files,
    errors: load.errors.filter((e) => !load.results.has(e.file)),
    overrides: { file: control.overridesFile, state: hub.overrideErrors.length === 0 ? "loaded" : "error", errors: hub.overrideErrors },
    reloads: hub.reloads, last_load_ok: hub.lastLoadOk, last_load_at: hub.lastLoadAt === 0 ? null : new Date(hub.lastLoadAt).toISOString(),
  });
}

async function pools(hub: StatusHub): Promise<Outcome> {
  const control = hub.control, tracker = hub.tracker;
  if (control === null || tracker === null) return notReady();
  const fresh = await hub.refreshProbes();
  const iso = (ms: number) => new Date(ms).toISOString();
  const out = [];
  for (const [zone, b] of control.current().balancing) {
    for (const pool of b.poolList) {
      const p = tracker.poolStatus(b, pool);
      const rtt = control.health.view(b).poolRtt(pool);
      out.push({
        zone, pool: pool.name, enabled: pool.enabled, monitor: pool.monitor, minimum_origins: pool.minimumOrigins,
        state: p.state, forced: p.forced, healthy: p.healthy, origins_up: p.originsUp, override: p.override, since: iso(p.since),
        rtt_ms: rtt,
        ...(control.peers != null ? { rtt_ms_by_region: control.health.poolRegionalRtt(pool.key) } : {}),
        origins: pool.origins.map((o) => {
          const s = tracker.originStatus(b, pool, o);
          const last = hub.probes.lastOf(o.key);
          return {
            origin: o.name, address: o.address, enabled: o.enabled, weight: o.weight,
            state: s.state, forced: s.forced, monitor_state: s.monitor, counts_as_up: s.countsAsUp, override: s.override, since: iso(s.since),
            last_probe: last === undefined ? null : { ok: last.ok, reason: last.reason, at: iso(last.at), duration_ms: Math.round(last.durationMs * 100) / 100 },
            rtt_ms: control.health.originRtt(pool.key, o.name),
            ...(control.peers != null ? { vote: voteOf(control.peers.voted, control.health, o.key) } : {}),
          };
        }),
      });
    }
  }
  return json(200, { pools: out, probes_fresh: fresh || hub.prober === null, unknown_health: control.health.unknownPolicy });
}

/** An origin's verdicts, each instance's, beside the vote (gslb serve --etcd). */
function voteOf(voted: NonNullable<NonNullable<StatusHub["control"]>["peers"]>["voted"], health: NonNullable<StatusHub["control"]>["health"], originKey: string) {
  const v = voted.verdictsOf(originKey, health.slotOf(originKey));
  if (v === null) return null;
  return {
    state: v.outcome.state, basis: v.basis, counted: v.outcome.counted, down: v.outcome.down, regions: v.outcome.regions, regions_down: v.outcome.regionsDown,
    verdicts: v.verdicts.map((x) => ({ instance: x.instance, region: x.region, state: x.state, reason: x.reason, rtt_ms: x.rttMs, counted: x.counted })),
  };
}

function cluster(hub: StatusHub): Outcome {
  const control = hub.control;
  if (control === null) return notReady();
  return json(200, clusterStatus(control.peers?.etcd ?? null) as unknown as Record<string, unknown>);
}
