// Operator overrides, zones/_overrides.json, reloaded with the zones: force a pool or an origin
// "up", "down" or "drain" (healthy, but no new traffic) without a restart; for now, `until` a
// time, or during recurring maintenance windows (a cron `schedule` plus a `duration`).

import fs from "node:fs";
import cron, { type ScheduledTask } from "node-cron";
import { z } from "zod";
import type { Balancing } from "../balancing/model.js";
import { didYouMean, formatPath, WHOLE_FILE, type ConfigError } from "../problems/problems.js";
import type { OverrideState } from "./table.js";

/** What the override manager writes: the overrides in force, by key. */
export interface OverrideSink {
  setOverrides(active: ReadonlyMap<string, OverrideState>): void;
}

const Duration = z.string().regex(/^\d+(s|m|h|d)$/, 'a duration like "90s", "30m", "2h", "1d"');

const Override = z.strictObject({
  zone: z.string().min(1),
  pool: z.string().min(1),
  origin: z.string().min(1).optional().describe("omit to override the whole pool"),
  state: z.enum(["up", "down", "drain"]),
  until: z.iso.datetime({ offset: true }).optional().describe("ISO 8601 time the override ends"),
  schedule: z.string().optional().describe("cron expression: when each window opens"),
  duration: Duration.optional().describe("how long each window lasts"),
  comment: z.string().optional(),
});

export const OverridesFile = z.strictObject({ overrides: z.array(Override).default([]) });

const KEYS = ["overrides", ...Object.keys(Override.shape)];

/**
 * Check an overrides file against the zones served (`gslb check` and the server alike): JSON,
 * shape, every zone, pool and origin named, states, `until`, cron schedules and durations.
 */
export function parseOverrides(file: string, text: string, balancing: ReadonlyMap<string, Balancing>): { rules: Rule[]; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const err = (path: (string | number)[], message: string) => errors.push({ file, path: formatPath(path), message });
  const report = (issues: readonly z.core.$ZodIssue[], base: (string | number)[]) => {
    // Unknown keys first: "stat" explains the missing "state".
    for (const i of [...issues].sort((a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"))) {
      const at = [...base, ...(i.path as (string | number)[])];
      if (i.code === "unrecognized_keys") for (const k of i.keys) err([...at, k], `unknown key ${JSON.stringify(k)}${didYouMean(k, KEYS)}`);
      else err(at, i.message.replace(/^Invalid (input|option): /, ""));
    }
  };
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { err([], `invalid JSON: ${(e as Error).message}`); return { rules: [], errors }; }
  // The file's shape, then each entry on its own: every entry's problems, shape and references alike, in one run.
  const shape = z.strictObject({ overrides: z.array(z.unknown()).default([]) }).safeParse(json);
  if (!shape.success) { report(shape.error.issues, []); return { rules: [], errors }; }
  const rules: Rule[] = [];
  shape.data.overrides.forEach((entry, i) => {
    const parsed = Override.safeParse(entry);
    if (!parsed.success) return report(parsed.error.issues, ["overrides", i]);
    const o = parsed.data;
    const origin = o.zone.replace(/\.$/, "").toLowerCase();
    const b = balancing.get(origin);
    if (b === undefined) return err(["overrides", i, "zone"], `no zone ${o.zone} is served${didYouMean(origin, [...balancing.keys()])}`);
    const pool = b.pools.get(o.pool);
    if (pool === undefined) return err(["overrides", i, "pool"], `zone ${origin} has no pool ${JSON.stringify(o.pool)}${didYouMean(o.pool, [...b.pools.keys()])}`);
    if (o.origin !== undefined && !pool.origins.some((x) => x.name === o.origin)) return err(["overrides", i, "origin"], `pool ${o.pool} has no origin ${JSON.stringify(o.origin)}${didYouMean(o.origin, pool.origins.map((x) => x.name))}`);
    if ((o.schedule === undefined) !== (o.duration === undefined)) return err(["overrides", i], "a schedule needs a duration, and a duration a schedule");
    if (o.schedule !== undefined && !cron.validate(o.schedule)) return err(["overrides", i, "schedule"], `not a cron expression: ${JSON.stringify(o.schedule)}`);
    const d = o.duration === undefined ? 0 : Number(o.duration.slice(0, -1)) * UNIT_MS[o.duration.slice(-1) as keyof typeof UNIT_MS];
    rules.push({ key: o.origin === undefined ? pool.key : `${pool.key}/${o.origin}`, state: o.state, until: o.until ? Date.parse(o.until) : null, schedule: o.schedule ?? null, durationMs: d, windowEnd: 0 });
  });
  return { rules, errors };
}

interface Rule {
  readonly key: string;
  readonly state: OverrideState;
  readonly until: number | null;
  readonly schedule: string | null;
  readonly durationMs: number;
  /** End of the current window (scheduled rules), 0 when closed. */
  windowEnd: number;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export class OverrideManager {
  private rules: Rule[] = [];
  private tasks: ScheduledTask[] = [];
  private timers: NodeJS.Timeout[] = [];
  private loadedText: string | null = null;
  private loadedFor: ReadonlyMap<string, Balancing> | null = null;
  private lastReadError: string | null = null;

  constructor(private readonly health: OverrideSink, private readonly now: () => number = Date.now) {}

  /** The text of the file whose overrides are in force; null when none is (no file, or it went). */
  get fileText(): string | null {
    return this.loadedText;
  }

  /** Why the last read found no file: "ENOENT" when it was removed; null when it was read. */
  get readError(): string | null {
    return this.lastReadError;
  }

  /** (Re)read the file. A broken file keeps the previous overrides; a missing one clears them. */
  load(file: string, balancing: ReadonlyMap<string, Balancing>): ConfigError[] {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
      this.lastReadError = null;
    } catch (err) {
      this.lastReadError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      this.replace([]);
      this.loadedText = null;
      return [];
    }
    return this.loadText(file, text, balancing);
  }

  /** The same from a text (the overrides in etcd, as a file would hold them); `source` names it in errors. */
  loadText(source: string, text: string, balancing: ReadonlyMap<string, Balancing>): ConfigError[] {
    const file = source;
    // Checked again when the file or the zones change: a reload may drop a pool an override names.
    if (text === this.loadedText && balancing === this.loadedFor) return [];
    const { rules, errors } = parseOverrides(file, text, balancing);
    if (errors.length > 0) {
      if (this.loadedText !== null) errors.push({ file, path: WHOLE_FILE, message: "keeping the previous overrides" });
      return errors;
    }
    const same = text === this.loadedText;
    this.loadedText = text;
    this.loadedFor = balancing;
    // The same file, still valid against the new zones: keep the rules, and their open windows.
    if (!same) this.replace(rules);
    return [];
  }

  stop(): void {
    this.replace([]);
  }

  /** What is in force now, for logs and `explain`. */
  active(): ReadonlyMap<string, OverrideState> {
    const now = this.now();
    const map = new Map<string, OverrideState>();
    for (const r of this.rules) {
      if (r.until !== null && now >= r.until) continue;
      if (r.schedule !== null && now >= r.windowEnd) continue;
      map.set(r.key, r.state);
    }
    return map;
  }

  private replace(rules: Rule[]): void {
    for (const t of this.tasks) t.destroy();
    for (const t of this.timers) clearTimeout(t);
    this.tasks = [];
    this.timers = [];
    this.rules = rules;
    for (const r of rules) {
      if (r.until !== null) this.at(r.until);
      if (r.schedule !== null) {
        this.tasks.push(cron.schedule(r.schedule, () => {
          r.windowEnd = this.now() + r.durationMs;
          this.apply();
          this.at(r.windowEnd);
        }));
      }
    }
    this.apply();
  }

  /** Recompute at time t (timers cap at 2^31-1 ms: re-armed until reached). */
  private at(t: number): void {
    const delay = t - this.now();
    if (delay <= 0) return;
    const timer = setTimeout(() => (this.now() >= t ? this.apply() : this.at(t)), Math.min(delay + 5, 2 ** 31 - 1));
    timer.unref();
    this.timers.push(timer);
  }

  private apply(): void {
    this.health.setOverrides(this.active());
  }
}
