// Every core: this process (the primary) runs control (zone files, health checks, overrides) once,
// and N worker processes answer DNS from the configuration and health it sends them. Sockets are
// shared through Node's cluster module: UDP as one socket read by every worker, TCP connections
// handed to workers in turn. What crosses to workers is the served zone files' texts (rebuilt
// there by the same code, so worker and primary cannot disagree), health changes by key every
// 10 ms, and the active overrides. A worker that dies is started again while the others answer;
// workers leave when the primary does (its channel closes: worker.ts).

import cluster, { type Worker } from "node:cluster";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { servedTexts } from "../config/load.js";
import { geoipLite, mmdb, type GeoProvider } from "../locate/geoip.js";
import { addSnapshot, copyTotals, emptyTotals, type CounterTotals } from "../query/counters.js";
import type { RrlStats } from "../query/rrl.js";
import type { TcpStats } from "../transport/tcp.js";
import { formatListen, type ListenAddress } from "../transport/types.js";
import { ZoneSet } from "../zone/zoneset.js";
import type { RunningServer, ServerOptions } from "./types.js";
import { startControl } from "./control.js";
import { VERSION, type AnswerStats } from "./answering.js";
import type { FromWorker, ToWorker, WorkerFigures, WorkerStart } from "./messages.js";
import { startStatusSide } from "./status.js";
import { childEnv } from "./memory.js";

// The compiled worker, found from src/ (vitest) and dist/ alike; `npm test` builds first.
const WORKER = fileURLToPath(new URL("../../dist/server/worker.js", import.meta.url));
/**
 * A young generation of 2 MB a half, not 16: a worker's RSS stays ~30 MB lower under load at the
 * same qps (measured: docs/benchmarks.md); the CLI's shebang gives `--workers 1` the same.
 */
const WORKER_NODE_FLAGS = ["--max-semi-space-size=2"];
/** Health changes are gathered this long before they are sent (the bound is 100 ms). */
const HEALTH_FLUSH_MS = 10;
/** A worker that dies is started again after this, doubling while it keeps dying, up to 10 s. */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A worker that ran this long before dying was healthy: the next restart waits the minimum. */
const HEALTHY_RUN_MS = 60_000;
/** Longest a worker gets to start (GeoIP table, zones, sockets) before start-up fails. */
const START_TIMEOUT_MS = 60_000;
/** Longest a scrape waits for the workers' counters (a worker that does not answer counts with its last figures). */
const METRICS_WAIT_MS = 1000;

/** A worker could not start (a port in use, a GeoIP file missing): the message says why, in one line. */
export class WorkerStartError extends Error {}

interface Slot {
  worker: Worker | null;
  startedAt: number;
  restartDelay: number;
  stats: { queries: number; tcp: TcpStats; rrl: RrlStats; answers: AnswerStats } | null;
  /** The configuration version this worker has applied. */
  version: number;
  /** Its counters as last sent (metrics). */
  figures: WorkerFigures | null;
}

export async function startCluster(options: ServerOptions): Promise<RunningServer> {
  const log = options.logger;
  const n = options.workers!;
  let version = 0;
  let closing = false;
  /** Set once every worker answered: from then on, a worker that dies is started again. */
  let running = false;
  const slots: Slot[] = Array.from({ length: n }, () => ({ worker: null, startedAt: 0, restartDelay: RESTART_MIN_MS, stats: null, version: -1, figures: null }));
  // A worker may die between the check and the send: its exit handler deals with it, not a throw here.
  const tell = (w: Worker, m: ToWorker) => { if (w.isConnected()) w.send(m, undefined, () => {}); };
  const broadcast = (m: ToWorker) => { for (const s of slots) if (s.worker !== null) tell(s.worker, m); };

  // The status API first: it answers /healthz and /readyz while the rest starts.
  const status = await startStatusSide(options);
  const hub = status.hub;
  // Built only when asked (tools, tests): the primary answers no queries.
  let zoneSet: ZoneSet | null = null;
  let control: Awaited<ReturnType<typeof startControl>>;
  try {
    control = await startControl({ ...options, status: hub }, (load) => {
      version++;
      zoneSet = null;
      broadcast({ t: "load", version, files: servedTexts(load) });
    });
  } catch (err) {
    await status.close();
    throw err;
  }
  hub.control = control;
  const zones = () => (zoneSet ??= new ZoneSet(control.current().zones));
  const health = control.health;
  health.snapshot(); // from here on, changes are tracked for the workers

  // Limits that hold per process are split between the workers (cluster hands each client's
  // connections and datagrams round the workers, so each sees about 1/n of them).
  const split = (v: number | undefined) => (v === undefined ? undefined : Math.max(1, Math.ceil(v / n)));
  const tcp = { ...options.tcp, ...(options.tcp?.maxConnections !== undefined ? { maxConnections: split(options.tcp.maxConnections) } : {}), ...(options.tcp?.maxConnectionsPerClient !== undefined ? { maxConnectionsPerClient: split(options.tcp.maxConnectionsPerClient) } : {}) };
  const start = (index: number): WorkerStart => ({
    t: "start",
    index,
    logLevel: options.logLevel ?? log.level,
    unknownHealth: options.unknownHealth ?? "up",
    answering: {
      listen: options.listen, udpSize: options.udpSize, nsid: options.nsid, chaos: options.chaos, logQueries: options.logQueries,
      tcp, packetCache: options.packetCache, answerCache: options.answerCache, geoipMmdb: options.geoipMmdb, metrics: status.counting,
      // One cookie secret for all: a cookie one worker gave must be valid at every other.
      cookieSecret: options.cookieSecret ?? cookieSecret,
      pop: options.peers?.pop ?? null,
      regionalRtt: options.peers?.etcd != null,
      rrl: options.rrl?.rate !== undefined ? { ...options.rrl, rate: options.rrl.rate === 0 ? 0 : split(options.rrl.rate)! } : options.rrl,
    },
    version,
    files: servedTexts(control.current()),
    health: health.snapshot(),
    overrides: health.overrides(),
  });
  const cookieSecret = crypto.randomBytes(16);

  cluster.setupPrimary({ exec: WORKER, args: [], execArgv: [...process.execArgv.filter((a) => !a.startsWith("--max-semi-space-size")), ...WORKER_NODE_FLAGS], serialization: "advanced" });
  let addresses: readonly ListenAddress[] = [];
  const fork = (index: number): Promise<void> => new Promise((resolve, reject) => {
    const slot = slots[index]!;
    const worker = cluster.fork({ ...childEnv(), GSLB_WORKER: String(index) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.version = -1;
    const timer = setTimeout(() => reject(new Error(`worker ${index} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    worker.on("message", (m: FromWorker) => {
      if (m.t === "hello") tell(worker, start(index));
      else if (m.t === "ready") {
        clearTimeout(timer);
        addresses = m.addresses;
        slot.version = m.version;
        // A reload or override between the start message and now: send the current ones.
        if (m.version !== version) tell(worker, { t: "load", version, files: servedTexts(control.current()) });
        tell(worker, { t: "overrides", active: health.overrides() });
        log.info({ worker: index, pid: worker.process.pid }, "worker answering");
        resolve();
      } else if (m.t === "stats") slot.stats = m;
      else if (m.t === "metrics") { slot.figures = m; pulls.get(m.id)?.(); }
      else if (m.t === "loaded") slot.version = m.version;
      else if (m.t === "failed") { clearTimeout(timer); reject(new WorkerStartError(m.message)); }
    });
    worker.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (slot.worker === worker) {
        // What a dead worker counted stays counted (its last figures): metrics never go backwards.
        if (slot.figures !== null) retire(slot.figures);
        slot.worker = null; slot.stats = null; slot.figures = null;
      }
      if (closing) return;
      reject(new Error(`worker ${index} exited during start-up (code ${code}, signal ${signal})`));
      if (!running) return;
      if (Date.now() - slot.startedAt > HEALTHY_RUN_MS) slot.restartDelay = RESTART_MIN_MS;
      log.error({ worker: index, pid: worker.process.pid, code, signal, restartInMs: slot.restartDelay }, "worker died: starting it again");
      const delay = slot.restartDelay;
      slot.restartDelay = Math.min(RESTART_MAX_MS, slot.restartDelay * 2);
      setTimeout(() => {
        if (!closing) fork(index).catch((err) => log.error({ err, worker: index }, "worker restart failed"));
      }, delay).unref();
    });
  });

  // Health changes and overrides, gathered and sent every few milliseconds.
  let overridesSent = health.overridesVersion;
  const mirror = setInterval(() => {
    const changes = health.drainChanges();
    if (changes.length > 0) broadcast({ t: "health", changes });
    if (health.overridesVersion !== overridesSent) {
      overridesSent = health.overridesVersion;
      broadcast({ t: "overrides", active: health.overrides() });
    }
  }, HEALTH_FLUSH_MS);

  const stopWorkers = async (drainMs = 0) => {
    closing = true;
    clearInterval(mirror);
    await Promise.all(slots.map((s) => new Promise<void>((resolve) => {
      const w = s.worker;
      if (w === null || w.isDead()) return resolve();
      // A worker finishes its TCP replies (drainMs at most), then exits; one that does not is killed.
      const kill = setTimeout(() => w.process.kill("SIGKILL"), drainMs + 5000);
      w.once("exit", () => { clearTimeout(kill); resolve(); });
      if (w.isConnected()) tell(w, { t: "stop", drainMs });
      else w.process.kill("SIGKILL");
    })));
  };

  // Metrics: the workers' counters, asked for on a scrape; dead workers' last figures kept.
  const pulls = new Map<number, () => void>();
  let nextPull = 0;
  const retired = { counters: emptyTotals(), tcp: zeroTcp(), rrl: { slipped: 0, dropped: 0 }, answers: { reused: 0, kept: 0, packetKept: 0 } };
  function retire(f: WorkerFigures): void {
    if (f.counters !== null) addSnapshot(retired.counters, f.counters);
    for (const k of ["refusedTotal", "refusedPerClient", "messageTimeouts", "stalledDrops", "accepted"] as const) retired.tcp[k] += f.tcp[k];
    retired.rrl.slipped += f.rrl.slipped; retired.rrl.dropped += f.rrl.dropped;
    retired.answers.reused += f.answers.reused; retired.answers.kept += f.answers.kept;
  }
  const gather = async () => {
    const live = slots.filter((s) => s.worker !== null && s.worker.isConnected());
    const id = nextPull++;
    let waiting = live.length;
    await new Promise<void>((resolve) => {
      if (waiting === 0) return resolve();
      const timer = setTimeout(() => { pulls.delete(id); resolve(); }, METRICS_WAIT_MS);
      pulls.set(id, () => { if (--waiting === 0) { clearTimeout(timer); pulls.delete(id); resolve(); } });
      for (const s of live) tell(s.worker!, { t: "metrics", id });
    });
    let counters: CounterTotals | null = status.counting ? copyTotals(retired.counters) : null;
    const tcp = { ...retired.tcp }, rrl = { ...retired.rrl }, answers = { ...retired.answers };
    for (const s of slots) {
      const f = s.figures;
      if (f === null) continue;
      if (f.counters !== null) addSnapshot((counters ??= emptyTotals()), f.counters);
      for (const k of Object.keys(tcp) as (keyof TcpStats)[]) tcp[k] += f.tcp[k];
      rrl.slipped += f.rrl.slipped; rrl.dropped += f.rrl.dropped;
      answers.reused += f.answers.reused; answers.kept += f.answers.kept;
    }
    return { counters, tcp, rrl, answers, processes: live.length };
  };
  // GeoIP for explain: loaded here on first use only (the workers have their own).
  let geo: Promise<GeoProvider> | null = null;
  const needsGeo = () => options.geoipMmdb !== undefined || [...control.current().balancing.values()].some((b) => b.balancers.size > 0);
  hub.answering = {
    zones: () => zones(),
    geo: async () => (needsGeo() ? (geo ??= options.geoipMmdb !== undefined ? mmdb(options.geoipMmdb) : Promise.resolve().then(geoipLite)) : null),
    gather,
  };

  try {
    await Promise.all(slots.map((_, i) => fork(i)));
  } catch (err) {
    await stopWorkers();
    await control.close();
    await status.close();
    throw err;
  }
  running = true;
  hub.answeringUp = true;
  log.info({ listen: addresses.map(formatListen), http: status.server === null ? null : formatListen(status.server.address), workers: n, zones: control.current().zones.map((z) => z.origin), version: VERSION, pid: process.pid }, "serving");

  const sum = <T extends object>(zero: T, pick: (s: NonNullable<Slot["stats"]>) => T): T => {
    const out: Record<string, number> = { ...zero } as Record<string, number>;
    for (const s of slots) if (s.stats !== null) for (const [k, v] of Object.entries(pick(s.stats))) out[k] = (out[k] ?? 0) + (v as number);
    return out as T;
  };
  return {
    get addresses() { return addresses; },
    http: status.server?.address ?? null,
    status: hub,
    reload: () => control.reload(),
    zones,
    balancing: () => control.current().balancing,
    tcpStats: () => sum({ refusedTotal: 0, refusedPerClient: 0, messageTimeouts: 0, stalledDrops: 0, pendingBytes: 0, accepted: 0, connections: 0 }, (s) => s.tcp),
    rrlStats: () => sum({ slipped: 0, dropped: 0 }, (s) => s.rrl),
    answerStats: () => sum({ reused: 0, kept: 0, packetKept: 0 }, (s) => s.answers),
    health,
    get proberPid() { return control.proberPid; },
    get version() { return version; },
    workers: () => slots.flatMap((s) => (s.worker?.process.pid !== undefined && !s.worker.isDead() ? [{ pid: s.worker.process.pid, version: s.version, queries: s.stats?.queries ?? 0 }] : [])),
    get workerPids() { return slots.flatMap((s) => (s.worker?.process.pid !== undefined && !s.worker.isDead() ? [s.worker.process.pid] : [])); },
    close: async (o) => {
      await status.close();
      await Promise.all([stopWorkers(o?.drainMs), control.close()]);
    },
  };
}

function zeroTcp(): TcpStats {
  return { refusedTotal: 0, refusedPerClient: 0, messageTimeouts: 0, stalledDrops: 0, pendingBytes: 0, accepted: 0, connections: 0 };
}
