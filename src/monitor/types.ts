// What a monitor type is (its settings schema and its probe), and what every probe shares: the
// result, the deadline that tells a slow origin from a stalled prober, the error wording.

import { isIP } from "node:net";
import type { z } from "zod";

/** Where one origin is probed: built by the prober's target list, one per (monitor, origin). */
export interface ProbeTarget {
  /** Address or host name to connect to: the origin's health_address, else its address. */
  readonly host: string;
  /** The origin's header.Host[0]: overrides the monitor's Host header and TLS SNI for that origin. */
  readonly hostHeader: string | null;
  /** The origin's address when it is a host name (SNI when no Host header gives one). */
  readonly originHostName: string | null;
}

/**
 * What one probe needs, as plain data: specs cross to the prober's child process
 * (`serialization: "advanced"`), so no functions, classes or sockets in here.
 */
export interface BaseSpec<Name extends string = string> {
  readonly type: Name;
  readonly host: string;
  /** 0 for types without ports (icmp_ping). */
  readonly port: number;
  readonly timeoutMs: number;
  /** Immediate retries before the probe counts as failed. */
  readonly retries: number;
}

/**
 * A monitor's settings once parsed: Cloudflare's field names and units (seconds), defaults
 * applied, the port resolved (types with ports add `port: number`), consecutive_up/down at least 1. The
 * fields the type ignores and the descriptive ones stay as written, so the loader can warn about
 * the former. (A type alias, not an interface, so it converts to Record<string, unknown>.)
 */
export type BaseSettings<Name extends string = string> = {
  readonly type: Name;
  readonly timeout: number;
  readonly retries: number;
  readonly interval: number;
  readonly consecutive_up: number;
  readonly consecutive_down: number;
  readonly id?: string | undefined;
  readonly description?: string | null | undefined;
  readonly created_on?: string | undefined;
  readonly modified_on?: string | undefined;
};

export interface ProbeResult {
  readonly ok: boolean;
  /** Milliseconds the type measures (each type's file says what), for successful probes; else null. */
  readonly rttMs: number | null;
  /** "200", "timeout after 5000 ms", "connection refused", "status 500", "banner 554 ...", "ICMP port unreachable". */
  readonly reason: string;
  /**
   * The prober itself did not run in time (its timeout fired late: CPU starved, it runs at the
   * lowest priority), so the origin may well have answered: the result says nothing about it.
   */
  readonly stalled?: boolean;
}

/**
 * One monitor type: its own file exports one of these, and registry.ts lists it under its name.
 * `Settings` and `Spec` are the type's own; the registry derives the unions from its entries.
 */
export interface MonitorType<Name extends string, Settings extends BaseSettings<Name>, Spec extends BaseSpec<Name>> {
  readonly name: Name;
  /**
   * Cloudflare's monitor object of this type in (a strict object: unknown keys are errors, with
   * `type` the discriminator), normalised settings out.
   */
  readonly schema: z.ZodType<Settings>;
  /** Every key the schema accepts (for "did you mean" on unknown keys). */
  readonly fields: readonly string[];
  /** Fields of Cloudflare's monitor object accepted but without effect for this type → why. */
  readonly ignored: Readonly<Record<string, string>>;
  spec(settings: Settings, target: ProbeTarget): Spec;
  /** One attempt (registry.probe() does the retries). Never rejects; sockets always closed. */
  once(spec: Spec): Promise<ProbeResult>;
  /** Longest one attempt may take, when more than spec.timeoutMs (bounds the first round). */
  attemptMs?(spec: Spec): number;
}

/** A timeout that fires this much later than due means the prober, not the origin, was stalled. */
export const STALL_TOLERANCE_MS = 500;

export const timedOut = (timeoutMs: number): ProbeResult => ({ ok: false, rttMs: null, reason: `timeout after ${timeoutMs} ms` });

/**
 * The timeout of one attempt. Fired on time: `onTime()` (a failure, unless the type says that
 * silence is success, as udp_icmp does). Fired late: the prober was stalled, so first let I/O that
 * is already waiting be read (setImmediate runs after the poll phase), and if nothing settles the
 * attempt, it is stalled, not failed.
 */
export function deadline(timeoutMs: number, start: number, finish: (r: ProbeResult) => void, onTime: () => ProbeResult = () => timedOut(timeoutMs)): NodeJS.Timeout {
  return setTimeout(() => {
    const lateMs = performance.now() - start - timeoutMs;
    if (lateMs <= STALL_TOLERANCE_MS) { finish(onTime()); return; }
    setImmediate(() => finish({ ok: false, rttMs: null, reason: `prober stalled ${Math.round(lateMs)} ms past the timeout`, stalled: true }));
  }, timeoutMs);
}

export function describeError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ECONNREFUSED": return "connection refused";
    case "ECONNRESET": return "connection reset";
    case "ENOTFOUND": case "EAI_AGAIN": return `DNS: ${err.code === "ENOTFOUND" ? "name does not resolve" : "lookup failed"}`;
    case "EHOSTUNREACH": case "ENETUNREACH": return "unreachable";
  }
  if (err.code?.startsWith("ERR_TLS") || err.code?.includes("CERT") || err.code === "DEPTH_ZERO_SELF_SIGNED_CERT" || err.code === "SELF_SIGNED_CERT_IN_CHAIN") return `TLS: ${err.code}`;
  return err.code ?? err.message;
}

/** A peer's text in a reason: one line, printable, short (reasons go to logs and `gslb health`). */
export function excerpt(text: string, max = 60): string {
  const clean = text.replace(/[^\x20-\x7e]+/g, " ").trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * Where probes leave from (gslb serve --probe-source): one address per family, null: the OS
 * chooses. Set once in the prober's process, before any probe; a host name connects over the
 * family that has a source (IPv4 first).
 */
export const probeSource: { v4: string | null; v6: string | null } = { v4: null, v6: null };

/** Socket options that bind a probe to the source address for `host` (nothing when none is set). */
export function sourceFor(host: string): { localAddress?: string; family?: 4 | 6 } {
  const family = isIP(host);
  if (family === 4) return probeSource.v4 === null ? {} : { localAddress: probeSource.v4 };
  if (family === 6) return probeSource.v6 === null ? {} : { localAddress: probeSource.v6 };
  if (probeSource.v4 !== null) return { localAddress: probeSource.v4, family: 4 };
  if (probeSource.v6 !== null) return { localAddress: probeSource.v6, family: 6 };
  return {};
}
