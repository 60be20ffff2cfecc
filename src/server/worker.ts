// An answering worker (cluster.ts): answers DNS from the zone texts and health its primary sends,
// on sockets shared with the other workers. It loads nothing itself but GeoIP, and leaves when
// the primary's channel closes (the primary exited or was killed): no orphans.

import { loadTexts, type DirLoad } from "../config/load.js";
import { HealthTable } from "../health/table.js";
import { createLogger } from "../log/logger.js";
import { startAnswering, type Answering } from "./answering.js";
import type { FromWorker, ToWorker } from "./messages.js";

/** Stats are reported this often (the primary sums them). */
const STATS_EVERY_MS = 500;

const send = (m: FromWorker) => { if (process.connected) process.send!(m); };
process.on("disconnect", () => process.exit(0));
// Stopping and reloading are the primary's calls: Ctrl-C (and a terminal's hangup) reaches the
// whole process group, and a service manager may signal every process; the primary stops each
// worker in turn, after its TCP replies ("stop"), and a worker whose primary is gone leaves ("disconnect").
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
process.on("SIGHUP", () => {});

let answering: Answering | null = null;
let load: DirLoad | null = null;
let health: HealthTable | null = null;
let version = -1;
/** Messages that arrive while starting are applied in order once answering is up. */
const early: ToWorker[] = [];

process.on("message", (m: ToWorker) => {
  if (m.t === "start") { void start(m); return; }
  if (answering === null) { early.push(m); return; }
  apply(m);
});
send({ t: "hello" });

function apply(m: ToWorker): void {
  switch (m.t) {
    case "load":
      version = m.version;
      load = loadTexts(m.files, load?.results);
      health!.bind(load.balancing.values());
      answering!.setLoad(load);
      send({ t: "loaded", version });
      return;
    case "health":
      health!.apply(m.changes);
      return;
    case "overrides":
      health!.setOverrides(new Map(m.active));
      return;
    case "metrics":
      send({ t: "metrics", id: m.id, counters: answering!.counters(), tcp: answering!.tcpStats(), rrl: answering!.rrlStats(), answers: answering!.answerStats() });
      return;
    case "stop":
      void answering!.close(m.drainMs).then(() => process.exit(0));
      return;
  }
}

async function start(m: Extract<ToWorker, { t: "start" }>): Promise<void> {
  const log = createLogger(m.logLevel).child({ worker: m.index });
  try {
    health = new HealthTable(m.unknownHealth);
    health.apply(m.health);
    health.setOverrides(new Map(m.overrides));
    version = m.version;
    load = loadTexts(m.files);
    health.bind(load.balancing.values());
    const o = m.answering;
    // Buffers cross the channel as Uint8Arrays.
    const buf = (b: Uint8Array | null | undefined) => (b === null || b === undefined ? b : Buffer.from(b));
    answering = await startAnswering({ ...o, nsid: buf(o.nsid), cookieSecret: buf(o.cookieSecret) ?? undefined }, log, load, health, true);
    for (const e of early.splice(0)) apply(e);
    setInterval(() => send({ t: "stats", queries: answering!.queries(), tcp: answering!.tcpStats(), rrl: answering!.rrlStats(), answers: answering!.answerStats() }), STATS_EVERY_MS).unref();
    send({ t: "ready", version, addresses: [...answering.addresses] });
  } catch (err) {
    log.error({ err }, "worker failed to start");
    send({ t: "failed", message: (err as Error).message });
    process.exit(1);
  }
}
