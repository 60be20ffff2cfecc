// The monitor types by name, and what the rest of gslb uses them through: the zone file's monitor
// schema (the union of the types' schemas), the probe target's spec, one probe with its retries,
// the timing of a monitor. A new type is one file (its schema and probe), its test, and one line
// below; the compiler checks each entry's name against its key and that every type Cloudflare's
// API has is here.

import { z } from "zod";
import { http } from "./http.js";
import { https } from "./https.js";
import { icmp_ping } from "./icmp_ping.js";
import { smtp } from "./smtp.js";
import { tcp } from "./tcp.js";
import type { BaseSettings, BaseSpec, MonitorType, ProbeResult, ProbeTarget } from "./types.js";
import { udp_icmp } from "./udp_icmp.js";

type AnyMonitorType = MonitorType<string, BaseSettings, BaseSpec>;

/** Each entry's name must be its key (and its settings and spec carry that name as `type`). */
export function defineRegistry<const R extends { [K in keyof R]: MonitorType<K & string, BaseSettings<K & string>, BaseSpec<K & string>> }>(types: R): R {
  return types;
}

export const MONITOR_TYPES = defineRegistry({ http, https, tcp, smtp, udp_icmp, icmp_ping });

export type MonitorTypeName = keyof typeof MONITOR_TYPES;
export const MONITOR_TYPE_NAMES = Object.keys(MONITOR_TYPES) as MonitorTypeName[];

/** The types of Cloudflare's monitor object (its API reference); a missing one fails to compile here. */
type CloudflareMonitorType = "http" | "https" | "tcp" | "udp_icmp" | "icmp_ping" | "smtp";
const everyCloudflareType: [Exclude<CloudflareMonitorType, MonitorTypeName>] extends [never] ? true : Exclude<CloudflareMonitorType, MonitorTypeName> = true;
void everyCloudflareType;

type SettingsOf<T> = T extends MonitorType<string, infer S, BaseSpec> ? S : never;
type SpecOf<T> = T extends MonitorType<string, BaseSettings, infer P> ? P : never;

/** A monitor's parsed, normalised settings (what MonitorSchema outputs), by type. */
export type MonitorSettings = { [K in MonitorTypeName]: SettingsOf<(typeof MONITOR_TYPES)[K]> }[MonitorTypeName];
/** One probe target's spec (plain data, crosses to the prober process), by type. */
export type ProbeSpec = { [K in MonitorTypeName]: SpecOf<(typeof MONITOR_TYPES)[K]> }[MonitorTypeName];
export type { ProbeResult, ProbeTarget } from "./types.js";

const entries = Object.values(MONITOR_TYPES) as AnyMonitorType[];

/**
 * A zone file's monitor: Cloudflare's monitor object, `type` defaulting to "http", each type with
 * its own strict fields (an unknown key, or a field of the wrong form, is an error at its path:
 * `monitors.web.port`). Outputs MonitorSettings.
 */
export const MonitorSchema = z.discriminatedUnion(
  "type",
  entries.map((t) => t.schema) as unknown as [z.ZodObject, ...z.ZodObject[]],
  {
    error: (iss) => iss.code === "invalid_union" && iss.note === "No matching discriminator"
      ? `type must be one of ${MONITOR_TYPE_NAMES.join(", ")} (default http)`
      : undefined,
  },
) as unknown as z.ZodType<MonitorSettings, unknown>;

/** Every key a monitor of some type accepts (for "did you mean" on unknown keys). */
export const MONITOR_FIELDS: readonly string[] = [...new Set(entries.flatMap((t) => t.fields))];

/**
 * The fields of a monitor object (as written, before parsing) that its type accepts but ignores,
 * with why, for the loader's warnings. Empty values (null, "", false, {}, []), which Cloudflare's
 * API returns for every field a type does not use, are not worth a warning.
 */
export function ignoredFields(raw: unknown): { field: string; reason: string }[] {
  if (typeof raw !== "object" || raw === null) return [];
  const m = raw as Record<string, unknown>;
  const name = m.type ?? "http";
  if (typeof name !== "string" || !Object.hasOwn(MONITOR_TYPES, name)) return [];
  const type = MONITOR_TYPES[name as MonitorTypeName] as unknown as AnyMonitorType;
  const empty = (v: unknown) => v == null || v === "" || v === false || (typeof v === "object" && Object.keys(v as object).length === 0);
  return Object.entries(type.ignored).filter(([f]) => Object.hasOwn(m, f) && !empty(m[f])).map(([field, reason]) => ({ field, reason }));
}

/** The probe spec of one (monitor, origin). */
export function specFor(settings: MonitorSettings, target: ProbeTarget): ProbeSpec {
  return (MONITOR_TYPES[settings.type] as unknown as AnyMonitorType).spec(settings, target) as ProbeSpec;
}

/** How often a monitor probes, and how many results in a row change an origin's state. */
export function timing(settings: MonitorSettings): { intervalMs: number; consecutiveUp: number; consecutiveDown: number } {
  return { intervalMs: settings.interval * 1000, consecutiveUp: settings.consecutive_up, consecutiveDown: settings.consecutive_down };
}

/** Longest one probe (every attempt) may take: bounds the first round of checks. */
export function probeBudgetMs(spec: ProbeSpec): number {
  const type = MONITOR_TYPES[spec.type] as unknown as AnyMonitorType | undefined;
  return (type?.attemptMs?.(spec) ?? spec.timeoutMs) * (spec.retries + 1);
}

/** Runs the probe with its retries (immediate, as at Cloudflare); resolves with the last attempt's result. */
export async function probe(spec: ProbeSpec): Promise<ProbeResult> {
  const type = Object.hasOwn(MONITOR_TYPES, spec.type) ? (MONITOR_TYPES[spec.type] as unknown as AnyMonitorType) : undefined;
  if (type === undefined) return { ok: false, rttMs: null, reason: `unknown monitor type ${JSON.stringify(spec.type)}` };
  let last: ProbeResult = { ok: false, rttMs: null, reason: "not run" };
  for (let attempt = 0; attempt <= spec.retries; attempt++) {
    try {
      last = await type.once(spec);
    } catch (err) {
      // Types never reject; if one ever does, it is a failed attempt, not a crash.
      last = { ok: false, rttMs: null, reason: `probe error: ${(err as Error).message}` };
    }
    if (last.ok || last.stalled) return last;
  }
  return last;
}
