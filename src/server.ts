// The one place that wires the parts. Control (server/control.ts: zone files, health checks,
// overrides) and answering (server/answering.ts: sockets → Responder) run in this process, or,
// with `workers` > 1, control here and answering in worker processes (server/cluster.ts). The
// status API (server/status.ts → src/status/) runs in this process either way, started first.
// A query's path: transport (udp.ts / tcp.ts) → Responder.respond (decode → lookup → steer → encode) → transport.

import { formatListen } from "./transport/types.js";
import { startControl, type Control } from "./server/control.js";
import { startAnswering, VERSION, type Answering } from "./server/answering.js";
import { startCluster, WorkerStartError } from "./server/cluster.js";
import { startStatusSide, totalsOf } from "./server/status.js";
import type { RunningServer, ServerOptions } from "./server/types.js";
import { StatusListenError } from "./status/http.js";

export { VERSION, WorkerStartError, StatusListenError };
export type { RunningServer, ServerOptions };

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  if ((options.workers ?? 1) > 1) return startCluster(options);
  const log = options.logger;
  const status = await startStatusSide(options);
  const hub = status.hub;
  let answering: Answering | null = null;
  let control: Control;
  try {
    control = await startControl({ ...options, status: hub }, (load) => answering?.setLoad(load));
  } catch (err) {
    await status.close();
    throw err;
  }
  hub.control = control;
  try {
    answering = await startAnswering({ ...options, pop: options.peers?.pop ?? null, regionalRtt: options.peers?.etcd != null, metrics: status.counting }, log, control.current(), control.health);
  } catch (err) {
    // Nothing may outlive a failed start: sockets, the prober process, override timers.
    await control.close();
    await status.close();
    throw err;
  }
  const a = answering;
  hub.answering = {
    zones: () => a.zones(),
    geo: async () => a.geo(),
    gather: async () => ({ counters: totalsOf(a.counters()), tcp: a.tcpStats(), rrl: a.rrlStats(), answers: a.answerStats(), processes: 1 }),
  };
  hub.answeringUp = true;
  log.info({ listen: a.addresses.map(formatListen), http: status.server === null ? null : formatListen(status.server.address), zones: a.zones().zones.map((z) => z.origin), version: VERSION, pid: process.pid }, "serving");
  const c = control;
  return {
    addresses: a.addresses,
    http: status.server?.address ?? null,
    status: hub,
    reload: () => c.reload(),
    zones: () => a.zones(),
    balancing: () => c.current().balancing,
    rrlStats: () => a.rrlStats(),
    answerStats: () => a.answerStats(),
    tcpStats: () => a.tcpStats(),
    health: c.health,
    get proberPid() { return c.proberPid; },
    workerPids: [],
    workers: () => [],
    version: 0,
    close: async (o) => {
      await status.close();
      await Promise.all([c.close(), a.close(o?.drainMs)]);
    },
  };
}
