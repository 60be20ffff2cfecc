// The one place that wires the parts. Control (server/control.ts: zone files, health checks,
// overrides) and answering (server/answering.ts: sockets → Responder) run in this process, or,
// with `workers` > 1, control here and answering in worker processes (server/cluster.ts).
// A query's path: transport (udp.ts / tcp.ts) → Responder.respond (decode → lookup → steer → encode) → transport.

import { formatListen } from "./transport/types.js";
import { startControl } from "./server/control.js";
import { startAnswering, VERSION, type Answering } from "./server/answering.js";
import { startCluster, WorkerStartError } from "./server/cluster.js";
import type { RunningServer, ServerOptions } from "./server/types.js";

export { VERSION, WorkerStartError };
export type { RunningServer, ServerOptions };

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  if ((options.workers ?? 1) > 1) return startCluster(options);
  const log = options.logger;
  let answering: Answering | null = null;
  const control = await startControl(options, (load) => answering?.setLoad(load));
  try {
    answering = await startAnswering(options, log, control.current(), control.health);
  } catch (err) {
    // Nothing may outlive a failed start: sockets, the prober process, override timers.
    await control.close();
    throw err;
  }
  const a = answering;
  log.info({ listen: a.addresses.map(formatListen), zones: a.zones().zones.map((z) => z.origin), version: VERSION, pid: process.pid }, "serving");
  return {
    addresses: a.addresses,
    reload: () => control.reload(),
    zones: () => a.zones(),
    balancing: () => control.current().balancing,
    rrlStats: () => a.rrlStats(),
    answerStats: () => a.answerStats(),
    tcpStats: () => a.tcpStats(),
    health: control.health,
    get proberPid() { return control.proberPid; },
    workerPids: [],
    workers: () => [],
    version: 0,
    close: async (o) => {
      await Promise.all([control.close(), a.close(o?.drainMs)]);
    },
  };
}
