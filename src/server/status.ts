// The status API's side of a server (src/status/): the hub that gathers what it shows, and its
// HTTP listener, started before anything else so that /healthz and /readyz answer during start-up
// (the first round of health checks can take a timeout). server.ts and cluster.ts fill the hub in.

import { addSnapshot, emptyTotals, type CountersSnapshot, type CounterTotals } from "../query/counters.js";
import { StatusHub } from "../status/hub.js";
import { startStatusServer, type StatusServer } from "../status/http.js";
import { formatListen } from "../transport/types.js";
import { VERSION } from "./answering.js";
import type { ServerOptions } from "./types.js";

export interface StatusSide {
  readonly hub: StatusHub;
  readonly server: StatusServer | null;
  /** Whether answering processes count queries (a status listener, and metrics not turned off). */
  readonly counting: boolean;
  close(): Promise<void>;
}

export async function startStatusSide(options: ServerOptions): Promise<StatusSide> {
  const log = options.logger;
  const hub = new StatusHub((err) => log.error({ err }, "a status event listener failed"));
  const server = options.http ? await startStatusServer(hub, {
    address: options.http, token: options.apiToken ?? null, logger: log, version: VERSION, unknownHealth: options.unknownHealth ?? "up",
  }) : null;
  if (server !== null) log.info({ http: formatListen(server.address), writes: options.apiToken ? "with the bearer token" : "none (no --api-token-file)" }, "status API listening");
  return {
    hub,
    server,
    counting: server !== null && options.metrics !== false,
    close: async () => {
      hub.stop();
      await server?.close();
    },
  };
}

/** One process's snapshot as totals (null: not counting). */
export function totalsOf(s: CountersSnapshot | null): CounterTotals | null {
  if (s === null) return null;
  const t = emptyTotals();
  addSnapshot(t, s);
  return t;
}
