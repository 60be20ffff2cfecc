// The answering side of a server: sockets (UDP and TCP on every listen address) → Responder,
// with the zones, load balancing and health it is given. One per process: the single process of
// `--workers 1`, or each answering worker (worker.ts).

import os from "node:os";
import { setPop, setRegionalRtt } from "../balancing/site.js";
import type { DirLoad } from "../config/load.js";
import type { Logger } from "../log/logger.js";
import { CookieJar } from "../query/cookie.js";
import { Responder, type ChaosIdentity, type QueryOutcome } from "../query/respond.js";
import { DEFAULT_RRL, ResponseRateLimiter, type RrlOptions, type RrlStats } from "../query/rrl.js";
import { listenTcp, DEFAULT_TCP_OPTIONS, type TcpLimitEvent, type TcpListener, type TcpOptions, type TcpStats } from "../transport/tcp.js";
import { ListenError, type ListenAddress, type Peer } from "../transport/types.js";
import { listenUdp, type UdpListener } from "../transport/udp.js";
import { DEFAULT_EDNS_UDP_OCTETS, typeName } from "../wire/constants.js";
import { ZoneSet } from "../zone/zoneset.js";
import type { HealthTable } from "../health/table.js";
import { geoipLite, mmdb, type GeoProvider } from "../locate/geoip.js";
import { tuneHeap } from "./memory.js";
import { QueryCounters, type CountersSnapshot } from "../query/counters.js";

export const VERSION = "0.1.0";

/** What answering needs; plain data (answering workers receive it as a message), but for `random`. */
export interface AnsweringOptions {
  readonly listen: readonly ListenAddress[];
  readonly udpSize?: number;
  /** NSID payload; null disables NSID. Default: the host name. */
  readonly nsid?: Buffer | null;
  /** CHAOS answers; null refuses CHAOS queries. */
  readonly chaos?: ChaosIdentity | null;
  /** Fraction of queries logged, 0 (default) to 1. */
  readonly logQueries?: number;
  readonly tcp?: Partial<TcpOptions>;
  /** Cookie secret (16 bytes); random by default. Set it to share cookies across servers (RFC 9018). */
  readonly cookieSecret?: Buffer;
  readonly packetCache?: boolean;
  readonly answerCache?: boolean;
  readonly geoipMmdb?: string;
  readonly random?: () => number;
  readonly rrl?: Partial<RrlOptions>;
  /** Count every query for the status API's metrics (query/counters.ts; default false). */
  readonly metrics?: boolean;
  /** This instance's point of presence (gslb serve --pop): pop_pools steer by it. */
  readonly pop?: string | null;
  /** Pools' RTT is known per client region (gslb serve --etcd): dynamic_latency reads the client's region. */
  readonly regionalRtt?: boolean;
}

export interface AnswerStats {
  readonly reused: number;
  readonly kept: number;
  /** Replies kept whole in the packet cache (a query's second sight keeps it). */
  readonly packetKept: number;
}

export interface Answering {
  readonly addresses: readonly ListenAddress[];
  /** Serve a new load from now on (queries being answered keep the one they started with). */
  setLoad(load: DirLoad): void;
  zones(): ZoneSet;
  tcpStats(): TcpStats;
  rrlStats(): RrlStats;
  answerStats(): AnswerStats;
  /** Queries handled (answered, dropped or refused) since start. */
  queries(): number;
  /** What the metrics counted (null: not counting). */
  counters(): CountersSnapshot | null;
  /** The GeoIP provider in use (null until a zone has load balancers). */
  geo(): GeoProvider | null;
  /** Stop answering; with `drainMs`, TCP connections first get the replies to what they sent (transport/tcp.ts). */
  close(drainMs?: number): Promise<void>;
}

/** With port 0, how many ports free for UDP may turn out taken for TCP before we give up. */
const PORT_ZERO_ATTEMPTS = 20;
/** TCP limits reached are logged at most this often (with the count of refusals since). */
const LIMIT_LOG_EVERY_MS = 10_000;

/** `shared`: listen on sockets shared with other answering processes (cluster workers). */
export async function startAnswering(options: AnsweringOptions, log: Logger, initial: DirLoad, health: HealthTable, shared = false): Promise<Answering> {
  tuneHeap();
  const hostname = os.hostname();
  setPop(options.pop);
  setRegionalRtt(options.regionalRtt ?? false);
  let load = initial;
  // GeoIP only when some zone has load balancers.
  const hasBalancers = () => [...load.balancing.values()].some((b) => b.balancers.size > 0);
  let geo: GeoProvider | null = null;
  const loadGeo = async () => {
    if (geo !== null || (!hasBalancers() && options.geoipMmdb === undefined)) return;
    const started = Date.now();
    geo = options.geoipMmdb !== undefined ? await mmdb(options.geoipMmdb) : geoipLite();
    log.info({ geoip: geo.name, ms: Date.now() - started }, "geoip loaded");
  };
  await loadGeo();
  const steering = { health, get geo() { return geo; }, random: options.random };
  let zoneSet = new ZoneSet(load.zones);

  const logRate = Math.max(0, Math.min(1, options.logQueries ?? 0));
  const onOutcome = logRate > 0 ? (o: QueryOutcome) => { if (Math.random() < logRate) logQuery(log, o); } : null;
  const rrlOptions: RrlOptions = { ...DEFAULT_RRL, ...options.rrl };
  const rrl = rrlOptions.rate > 0 ? new ResponseRateLimiter(rrlOptions) : undefined;
  const counters = options.metrics === true ? new QueryCounters() : null;
  for (const z of load.zones) counters?.zone(z.origin);
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
      ...(counters !== null ? { counters } : {}),
    },
    zoneSet,
    load.balancing,
    onOutcome,
    (err: unknown, peer: Peer) => log.error({ err, client: peer.address, transport: peer.transport }, "query failed: answered SERVFAIL"),
  );
  let queries = 0;
  // With metrics, the time to answer feeds the latency histogram: every query at low rates, a
  // sample under load (two clock reads cost more than all the counting: query/counters.ts).
  const handler = counters === null
    ? (query: Buffer, peer: Peer) => { queries++; return responder.respond(query, peer); }
    : (query: Buffer, peer: Peer) => {
      queries++;
      if (!counters.timing()) return responder.respond(query, peer);
      const started = performance.now();
      const reply = responder.respond(query, peer);
      counters.timed(started, performance.now(), peer.transport === "tcp");
      return reply;
    };
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
      // Port 0 (tests): TCP takes the port UDP was given, so one address serves both. That port
      // may be taken for TCP (a client connection's own port, say): then try another.
      for (let attempt = 1; ; attempt++) {
        const u = await listenUdp(address, handler, onSocketError, shared);
        try {
          tcp.push(await listenTcp({ host: address.host, port: u.address.port }, handler, onSocketError, tcpOptions, onTcpLimit, shared));
          udp.push(u);
          break;
        } catch (err) {
          await u.close();
          if (address.port !== 0 || !(err instanceof ListenError) || err.code !== "EADDRINUSE" || attempt >= PORT_ZERO_ATTEMPTS) throw err;
        }
      }
    }
  } catch (err) {
    await Promise.all([...udp, ...tcp].map((l) => l.close()));
    throw err;
  }

  return {
    addresses: udp.map((u) => u.address),
    setLoad(next) {
      load = next;
      // geoip-lite's table is built synchronously; a reload that brings the first load balancer builds it.
      if (geo === null && hasBalancers()) void loadGeo().catch((err) => log.error({ err }, "geoip load failed"));
      zoneSet = new ZoneSet(next.zones);
      for (const z of next.zones) counters?.zone(z.origin);
      responder.setZones(zoneSet, next.balancing);
    },
    zones: () => zoneSet,
    rrlStats: () => ({ ...(rrl?.stats ?? { slipped: 0, dropped: 0 }) }),
    answerStats: () => responder.answerStats(),
    queries: () => queries,
    counters: () => counters?.snapshot() ?? null,
    geo: () => geo,
    tcpStats: () => {
      const sum: TcpStats = { refusedTotal: 0, refusedPerClient: 0, messageTimeouts: 0, stalledDrops: 0, pendingBytes: 0, accepted: 0, connections: 0 };
      for (const l of tcp) for (const [k, v] of Object.entries(l.stats())) sum[k as keyof TcpStats] += v;
      return sum;
    },
    close: async (drainMs = 0) => {
      // UDP has nothing in flight: a datagram is answered as it is read.
      await Promise.all([...udp.map((l) => l.close()), ...tcp.map((l) => l.close(drainMs))]);
    },
  };
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
