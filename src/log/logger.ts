// pino, JSON lines on stdout: one line per start, zone load, reload and error. Per-query lines only
// when asked for (--log-queries), sampled, because at 100k qps a line per query is the bottleneck.

import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string = process.env.GSLB_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { app: "gslb" }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
