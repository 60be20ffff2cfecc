// Shared flag handling: node's util.parseArgs in strict mode, turned into one clear line on error.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { isIP } from "node:net";
import type { ListenAddress } from "../transport/types.js";

/** A user mistake on the command line: printed as one line, exit 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseFlags<T extends Options>(argv: string[], options: T, allowPositionals: boolean) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    // parseArgs messages are good but long; keep the first sentence.
    const message = (err as Error).message.split(". ")[0]!.replace(/\.$/, "");
    throw new UsageError(message);
  }
}

/** "127.0.0.1:5300", "[::1]:5300" → {host, port}. Only IP literals: a DNS server must not resolve names to bind. */
export function parseListen(text: string, flag = "listen"): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:\[\]]+):(\d+)$/.exec(text);
  if (m === null) throw new UsageError(`--${flag} ${JSON.stringify(text)}: expected ADDR:PORT, e.g. 127.0.0.1:5300 or [::1]:5300`);
  const host = m[1]!;
  const port = Number(m[2]);
  if (isIP(host) === 0) throw new UsageError(`--${flag} ${JSON.stringify(text)}: ${JSON.stringify(host)} is not an IP address`);
  if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--${flag} ${JSON.stringify(text)}: port must be 0-65535`);
  return { host, port };
}

export function parseInteger(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`);
  return n;
}

export function parseNumber(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${flag} ${JSON.stringify(text)}: expected a number from ${min} to ${max}`);
  return n;
}
