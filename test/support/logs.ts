// The server's own log output, captured: a pino logger (as createLogger makes it) writing JSON
// lines into memory instead of stdout, for tests that read what an operator would read.

import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

export interface CapturedLogs {
  readonly logger: Logger;
  /** Every line so far, parsed. */
  lines(): Record<string, any>[];
  /** Lines whose msg starts with `prefix`. */
  find(prefix: string): Record<string, any>[];
  /** The first line whose msg starts with `prefix`, waiting for it up to `ms`. */
  waitFor(prefix: string, ms?: number): Promise<Record<string, any>>;
}

export function captureLogs(level = "info"): CapturedLogs {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  const find = (prefix: string) => lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith(prefix));
  return {
    logger: pino({ level, base: { app: "gslb" } }, stream),
    lines: () => [...lines],
    find,
    waitFor: async (prefix, ms = 5000) => {
      const start = Date.now();
      for (;;) {
        const hit = find(prefix)[0];
        if (hit !== undefined) return hit;
        if (Date.now() - start > ms) throw new Error(`no log line "${prefix}..." within ${ms} ms; lines: ${lines.map((l) => l.msg).join(" | ")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
