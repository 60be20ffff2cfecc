// The one place that wires the parts: zone files → ZoneSet → Responder ← transport sockets.
// A query's path: transport (udp.ts / tcp.ts) → Responder.respond (decode → lookup → encode) → transport.

import fs from "node:fs";
import os from "node:os";
import { loadZoneDir, type DirLoad } from "./config/load.js";
import type { Logger } from "./log/logger.js";
import { CookieJar } from "./query/cookie.js";
import { Responder, type ChaosIdentity, type QueryOutcome } from "./query/respond.js";
import { DEFAULT_RRL, ResponseRateLimiter, type RrlOptions, type RrlStats } from "./query/rrl.js";
import { listenTcp, DEFAULT_TCP_OPTIONS, type TcpLimitEvent, type TcpListener, type TcpOptions, type TcpStats } from "./transport/tcp.js";
import { formatListen, type ListenAddress, type Peer } from "./transport/types.js";
import { listenUdp, type UdpListener } from "./transport/udp.js";
import { DEFAULT_EDNS_UDP_OCTETS } from "./wire/constants.js";
import { typeName } from "./wire/constants.js";
import { ZoneSet } from "./zone/zoneset.js";
import { HealthTable } from "./health/table.js";
import type { Balancing } from "./balancing/model.js";
import { geoipLite, mmdb, type GeoProvider } from "./locate/geoip.js";
import { ProberThread } from "./probe/thread.js";
import { OverrideManager } from "./health/overrides.js";
import path from "node:path";
import { buildTargets, firstRoundDeadlineMs } from "./probe/targets.js";

export const VERSION = "0.1.0";

export interface ServerOptions {
  readonly zonesDir: string;
  readonly listen: readonly ListenAddress[];
  readonly logger: Logger;
  readonly udpSize?: number;
  /** NSID payload; null disables NSID. Default: the host name. */
  readonly nsid?: Buffer | null;
  /** CHAOS answers; null refuses CHAOS queries. */
  readonly chaos?: ChaosIdentity | null;
  /** Fraction of queries logged, 0 (default) to 1. */
  readonly logQueries?: number;
  /** Reload when a file in zonesDir changes (default true). */
  readonly watch?: boolean;
  readonly tcp?: Partial<TcpOptions>;
  /** Cookie secret (16 bytes); random by default. Set it to share cookies across servers (RFC 9018). */
  readonly cookieSecret?: Buffer;
  /** Reuse whole replies to repeated client-independent queries (default true). */
  readonly packetCache?: boolean;
  /** Reuse load-balanced answers per query shape and location class while health holds (default true). */
  readonly answerCache?: boolean;
  /** A MaxMind-format database to locate clients with, instead of geoip-lite's bundled data. */
  readonly geoipMmdb?: string;
  /** Origin health (tests and, with issue 4, the monitors write it). */
  readonly health?: HealthTable;
  /** How origins not yet checked count: "up" (default) or "down". */
  readonly unknownHealth?: "up" | "down";
  /** Random source for random steering (tests fix it). */
  readonly random?: () => number;
  /** Run the zones' monitors (default true; tests that set health by hand turn them off). */
  readonly monitors?: boolean;
  /** Probes in flight at most (default DEFAULT_PROBE_CONCURRENCY). */
  readonly probeConcurrency?: number;
  /** CPUs the prober process may use (a taskset list), e.g. "1" to keep it off the DNS server's core. */
  readonly proberCpus?: string;
  /** Response rate limiting over UDP (query/rrl.ts); rate 0 (the default) is off. */
  readonly rrl?: Partial<RrlOptions>;
}

export interface RunningServer {
  /** Addresses actually bound (port 0 resolved), UDP and TCP alike. */
  readonly addresses: readonly ListenAddress[];
  /** Reread the zones directory now; a file that fails keeps its last good version. */
  reload(): DirLoad;
  zones(): ZoneSet;
  /** Each zone's load balancing, by origin. */
  balancing(): ReadonlyMap<string, Balancing>;
  /** What the TCP defences did, over every listener (refusals, timeouts, drops, bytes waiting now). */
  tcpStats(): TcpStats;
  /** Responses rate limiting truncated or dropped. */
  rrlStats(): RrlStats;
  /** Load-balanced answers reused for clients of the same location class, and kept for reuse. */
  answerStats(): { reused: number; kept: number };
  readonly health: HealthTable;
  /** The prober process now (SCHED_IDLE, confined to `proberCpus` when given; restarted if it dies). */
  readonly proberPid: number | undefined;
  close(): Promise<void>;
}

/** TCP limits reached are logged at most this often (with the count of refusals since). */
const LIMIT_LOG_EVERY_MS = 10_000;
/** How long file events are gathered before one reload (editors write several in a row). */
const RELOAD_DEBOUNCE_MS = 150;

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.logger;
  const hostname = os.hostname();
  let current: DirLoad = loadAndReport(options.zonesDir, undefined, log);
  let zoneSet = new ZoneSet(current.zones);

  const health = options.health ?? new HealthTable(options.unknownHealth ?? "up");
  health.bind(current.balancing.values());
  // Operator overrides beside the zones, reloaded with them.
  const overrides = new OverrideManager(health);
  const overridesFile = path.join(options.zonesDir, "_overrides.json");
  const loadOverrides = () => {
    for (const e of overrides.load(overridesFile, current.balancing)) log.error({ file: e.file, path: e.path }, `overrides error: ${e.file}: ${e.path}: ${e.message}`);
    const active = overrides.active();
    if (active.size > 0) log.info({ overrides: Object.fromEntries(active) }, "overrides in force");
  };
  loadOverrides();
  // GeoIP only when some zone has load balancers: geoip-lite holds ~110 MB of tables.
  const hasBalancers = () => [...current.balancing.values()].some((b) => b.balancers.size > 0);
  let geo: GeoProvider | null = null;
  const loadGeo = async () => {
    if (geo !== null || (!hasBalancers() && options.geoipMmdb === undefined)) return;
    geo = options.geoipMmdb !== undefined ? await mmdb(options.geoipMmdb) : geoipLite();
    log.info({ geoip: geo.name }, "geoip loaded");
  };
  await loadGeo();

  // Monitors: results go one way, prober → health table → steering. First round before the
  // sockets open (bounded by the largest timeout), so the first answers are already informed.
  const prober = new ProberThread(health, {
    onTransition: (target, t) => log.info({
      target: `${target.spec.type}://${target.spec.host}:${target.spec.port}${"path" in target.spec ? target.spec.path : ""}`,
      origins: target.subscribers.map((s) => `${s.pool}/${s.origin}`), from: t.from, to: t.to, reason: t.reason,
    }, `origin ${t.to}`),
    onSaturated: (s) => log.warn(s, "prober saturated: probes wait for a slot, so intervals and failover stretch; raise --probe-concurrency or the monitors' intervals"),
    onStalled: (s) => log.warn(s, "prober starved of CPU: results that timed out late were discarded and origins keep their states; give the machine (or --prober-cpus) room"),
    onError: (err) => log.error({ err }, "prober process failed"),
  }, options.probeConcurrency, options.proberCpus);
  if (options.monitors !== false) {
    const targets = buildTargets(current.balancing.values(), health);
    prober.update(targets);
    if (targets.length > 0) {
      const started = Date.now();
      await prober.firstRound(firstRoundDeadlineMs(targets));
      log.info({ targets: targets.length, ms: Date.now() - started }, "first round of health checks done");
    }
  }
  const steering = { health, get geo() { return geo; }, random: options.random };

  const logRate = Math.max(0, Math.min(1, options.logQueries ?? 0));
  const onOutcome = logRate > 0 ? (o: QueryOutcome) => { if (Math.random() < logRate) logQuery(log, o); } : null;
  const rrlOptions: RrlOptions = { ...DEFAULT_RRL, ...options.rrl };
  const rrl = rrlOptions.rate > 0 ? new ResponseRateLimiter(rrlOptions) : undefined;
  const responder = new Responder(
    {
      rrl,
      udpSize: options.udpSize ?? DEFAULT_EDNS_UDP_OCTETS,
      nsid: options.nsid === undefined ? Buffer.from(hostname, "utf8") : options.nsid,
      chaos: options.chaos === undefined ? { hostname, version: `gslb ${VERSION}` } : options.chaos,
      cookies: new CookieJar(options.cookieSecret),
      packetCache: options.packetCache ?? true,
      answerCache: options.answerCache ?? true,
      steering,
    },
    zoneSet,
    current.balancing,
    onOutcome,
    (err: unknown, peer: Peer) => log.error({ err, client: peer.address, transport: peer.transport }, "query failed: answered SERVFAIL"),
  );
  const handler = (query: Buffer, peer: Peer) => responder.respond(query, peer);
  const onSocketError = (err: Error) => log.warn({ err }, "socket error");
  const tcpOptions: TcpOptions = { ...DEFAULT_TCP_OPTIONS, ...options.tcp };
  // A limit reached is worth a line, but a flood of refusals must not become a flood of logs.
  let limitLogged = 0;
  let limitsSince = 0;
  const onTcpLimit = (e: TcpLimitEvent) => {
    limitsSince++;
    const now = Date.now();
    if (now - limitLogged < LIMIT_LOG_EVERY_MS) return;
    log.warn({ limit: e.limit, client: e.client, refused: limitsSince }, `tcp ${e.limit} limit reached: connections refused`);
    limitLogged = now;
    limitsSince = 0;
  };

  const udp: UdpListener[] = [];
  const tcp: TcpListener[] = [];
  try {
    for (const address of options.listen) {
      const u = await listenUdp(address, handler, onSocketError);
      udp.push(u);
      // Port 0 (tests): TCP takes the port UDP was given, so one address serves both.
      tcp.push(await listenTcp({ host: address.host, port: u.address.port }, handler, onSocketError, tcpOptions, onTcpLimit));
    }
  } catch (err) {
    // Nothing may outlive a failed start: sockets, the prober process, override timers.
    await Promise.all([...udp, ...tcp].map((l) => l.close()));
    await prober.stop();
    overrides.stop();
    throw err;
  }

  const reload = (): DirLoad => {
    current = loadAndReport(options.zonesDir, current, log);
    zoneSet = new ZoneSet(current.zones);
    // geoip-lite loads synchronously; a reload that brings the first load balancer loads it.
    if (geo === null && hasBalancers()) void loadGeo().catch((err) => log.error({ err }, "geoip load failed"));
    health.bind(current.balancing.values());
    responder.setZones(zoneSet, current.balancing);
    if (options.monitors !== false) prober.update(buildTargets(current.balancing.values(), health));
    loadOverrides();
    return current;
  };

  let timer: NodeJS.Timeout | null = null;
  let watcher: fs.FSWatcher | null = null;
  if (options.watch ?? true) {
    try {
      watcher = fs.watch(options.zonesDir, () => {
        if (timer !== null) clearTimeout(timer);
        timer = setTimeout(() => { timer = null; reload(); }, RELOAD_DEBOUNCE_MS);
      });
      watcher.on("error", (err) => log.warn({ err, dir: options.zonesDir }, "zone directory watch failed; reload with SIGHUP"));
    } catch (err) {
      log.warn({ err, dir: options.zonesDir }, "cannot watch the zone directory; reload with SIGHUP");
    }
  }

  const addresses = udp.map((u) => u.address);
  log.info({ listen: addresses.map(formatListen), zones: zoneSet.zones.map((z) => z.origin), version: VERSION, pid: process.pid }, "serving");
  return {
    addresses,
    reload,
    zones: () => zoneSet,
    balancing: () => current.balancing,
    rrlStats: () => ({ ...(rrl?.stats ?? { slipped: 0, dropped: 0 }) }),
    answerStats: () => responder.answerStats(),
    tcpStats: () => {
      const sum: TcpStats = { refusedTotal: 0, refusedPerClient: 0, messageTimeouts: 0, stalledDrops: 0, pendingBytes: 0 };
      for (const l of tcp) for (const [k, v] of Object.entries(l.stats())) sum[k as keyof TcpStats] += v;
      return sum;
    },
    health,
    get proberPid() { return prober.pid; },
    close: async () => {
      await prober.stop();
      overrides.stop();
      if (timer !== null) clearTimeout(timer);
      watcher?.close();
      await Promise.all([...udp, ...tcp].map((l) => l.close()));
    },
  };
}

function loadAndReport(dir: string, previous: DirLoad | undefined, log: Logger): DirLoad {
  const load = loadZoneDir(dir, previous?.results);
  for (const e of load.errors) log.error({ file: e.file, path: e.path }, `zone file error: ${e.file}: ${e.path}: ${e.message}`);
  // Warnings once per version of a file, not on every reload.
  for (const [file, r] of load.results) {
    if (previous?.results.get(file) === r) continue;
    for (const w of r.warnings) log.warn({ file: w.file, path: w.path }, `zone file warning: ${w.file}: ${w.path}: ${w.message}`);
  }
  for (const z of load.zones) {
    const before = previous?.zones.find((p) => p.origin === z.origin);
    if (before !== z) log.info({ zone: z.origin, serial: z.serial, file: z.source, names: z.nodes.size }, "zone loaded");
  }
  for (const p of previous?.zones ?? []) {
    if (!load.zones.some((z) => z.origin === p.origin)) log.warn({ zone: p.origin, file: p.source }, "zone removed");
  }
  return load;
}

function logQuery(log: Logger, o: QueryOutcome): void {
  const st = o.steering;
  log.info({
    steering: st === undefined ? undefined : {
      lb: st.loadBalancer, client: st.clientAddress, from: st.locatedFrom, country: st.location.country, region: st.location.region,
      policy: st.pool.policy, pool: st.pool.pool?.name ?? null, reason: st.pool.reason, origins: st.origins?.origins.map((x) => x.name), scope: st.scope,
    },
    client: o.peer.address,
    transport: o.peer.transport,
    qname: o.question?.name,
    qtype: o.question ? typeName(o.question.type) : undefined,
    rcode: o.rcode,
    tc: o.truncated || undefined,
    size: o.size,
    reason: o.reason,
  }, "query");
}
