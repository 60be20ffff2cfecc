// Operator overrides, zones/_overrides.json, reloaded with the zones: force a pool or an origin
// "up", "down" or "drain" (healthy, but no new traffic) without a restart; for now, `until` a
// time, or during recurring maintenance windows (a cron `schedule` plus a `duration`).

import fs from "node:fs";
import cron, { type ScheduledTask } from "node-cron";
import { z } from "zod";
import type { ConfigError } from "../config/load.js";
import { formatPath } from "../config/paths.js";
import type { Zone } from "../zone/types.js";
import type { HealthTable, OverrideState } from "./table.js";

const Duration = z.string().regex(/^\d+(s|m|h|d)$/, 'a duration like "90s", "30m", "2h", "1d"');

export const OverridesFile = z.strictObject({
  overrides: z.array(z.strictObject({
    zone: z.string().min(1),
    pool: z.string().min(1),
    origin: z.string().min(1).optional().describe("omit to override the whole pool"),
    state: z.enum(["up", "down", "drain"]),
    until: z.iso.datetime({ offset: true }).optional().describe("ISO 8601 time the override ends"),
    schedule: z.string().optional().describe("cron expression: when each window opens"),
    duration: Duration.optional().describe("how long each window lasts"),
    comment: z.string().optional(),
  })).default([]),
});

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

  constructor(private readonly health: HealthTable, private readonly now: () => number = Date.now) {}

  /** (Re)read the file. A broken file keeps the previous overrides; a missing one clears them. */
  load(file: string, zones: readonly Zone[]): ConfigError[] {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      this.replace([]);
      this.loadedText = null;
      return [];
    }
    if (text === this.loadedText) return [];
    const errors: ConfigError[] = [];
    const err = (path: (string | number)[], message: string) => errors.push({ file, path: formatPath(path), message });
    let json: unknown;
    try { json = JSON.parse(text); } catch (e) { err([], `invalid JSON: ${(e as Error).message}`); return this.keep(errors); }
    const parsed = OverridesFile.safeParse(json);
    if (!parsed.success) {
      for (const i of parsed.error.issues) err(i.path as (string | number)[], i.message);
      return this.keep(errors);
    }
    const rules: Rule[] = [];
    parsed.data.overrides.forEach((o, i) => {
      const zone = zones.find((z) => z.origin === o.zone.replace(/\.$/, "").toLowerCase());
      const pool = zone?.balancing.pools.get(o.pool);
      if (zone === undefined) return err(["overrides", i, "zone"], `no zone ${o.zone} is served`);
      if (pool === undefined) return err(["overrides", i, "pool"], `zone ${zone.origin} has no pool ${JSON.stringify(o.pool)}`);
      if (o.origin !== undefined && !pool.origins.some((x) => x.name === o.origin)) return err(["overrides", i, "origin"], `pool ${o.pool} has no origin ${JSON.stringify(o.origin)}`);
      if ((o.schedule === undefined) !== (o.duration === undefined)) return err(["overrides", i], "a schedule needs a duration, and a duration a schedule");
      if (o.schedule !== undefined && !cron.validate(o.schedule)) return err(["overrides", i, "schedule"], `not a cron expression: ${JSON.stringify(o.schedule)}`);
      const d = o.duration === undefined ? 0 : Number(o.duration.slice(0, -1)) * UNIT_MS[o.duration.slice(-1) as keyof typeof UNIT_MS];
      rules.push({ key: o.origin === undefined ? pool.id : `${pool.id}/${o.origin}`, state: o.state, until: o.until ? Date.parse(o.until) : null, schedule: o.schedule ?? null, durationMs: d, windowEnd: 0 });
    });
    if (errors.length > 0) return this.keep(errors);
    this.loadedText = text;
    this.replace(rules);
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

  private keep(errors: ConfigError[]): ConfigError[] {
    if (this.loadedText !== null) errors.push({ file: errors[0]!.file, path: "", message: "keeping the previous overrides" });
    return errors;
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
