// Health as an operator reads it: each origin's and pool's state in five words (up, down, unknown,
// forced, drained), since when, and every change of them as an event (zone, pool, origin, from, to,
// reason, time) into an EventLog that others subscribe to. It reads the health table (the monitors'
// verdicts) and the overrides in force; it is told of prober transitions (with their reasons),
// override changes and reloads, and also notices, once a second, changes that came another way.

import type { Balancing, Origin, Pool } from "../balancing/model.js";
import type { HealthTable, OriginState, OverrideState } from "../health/table.js";
import type { EventLog, Sequenced } from "./events.js";

/** What an operator sees: the monitor's verdict, or what an override made of it. */
export type StateName = "up" | "down" | "unknown" | "forced" | "drained";

export interface StateChange extends Sequenced {
  /** ISO 8601. */
  readonly time: string;
  readonly zone: string;
  readonly pool: string;
  /** null: the pool's own state changed (healthy or not, forced, drained). */
  readonly origin: string | null;
  readonly from: StateName;
  readonly to: StateName;
  /** When `to` is "forced": forced up or down. */
  readonly forced: "up" | "down" | null;
  readonly reason: string;
}

export interface OriginStatus {
  readonly state: StateName;
  readonly forced: "up" | "down" | null;
  /** The monitor's verdict (null: the pool has no monitor, so its origins count as up). */
  readonly monitor: OriginState | null;
  /** Whether steering counts it up (overrides, --unknown-health and all). */
  readonly countsAsUp: boolean;
  /** The override in force on it, and whether it is the origin's own or its pool's. */
  readonly override: { readonly state: OverrideState; readonly on: "origin" | "pool" } | null;
  /** ms since the epoch: when `state` last changed (or when the server first knew the origin). */
  readonly since: number;
}

export interface PoolStatus {
  readonly state: StateName;
  readonly forced: "up" | "down" | null;
  readonly healthy: boolean;
  readonly originsUp: number;
  readonly override: OverrideState | null;
  readonly since: number;
}

interface Seen { state: StateName; forced: "up" | "down" | null; since: number }
interface Place { readonly b: Balancing; readonly pool: Pool; readonly origin: Origin }

/** How often changes made without a notice (a test writing the table) are looked for. */
const SWEEP_MS = 1000;

export class HealthTracker {
  private balancing: ReadonlyMap<string, Balancing> = new Map();
  private byOrigin = new Map<string, Place>();
  private readonly seen = new Map<string, Seen>();
  /** Prober reasons waiting for the sync that reports their change, by origin key. */
  private readonly reasons = new Map<string, string>();
  private overrides = new Map<string, OverrideState>();
  private overridesSeen = -1;
  private synced = -1;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly health: HealthTable, private readonly events: EventLog<StateChange>, private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => { if (this.health.version !== this.synced) this.sync(); }, SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A new configuration: new pools and origins start being followed (no event), gone ones are forgotten. */
  setBalancing(all: ReadonlyMap<string, Balancing>): void {
    this.balancing = all;
    this.byOrigin = new Map();
    const keep = new Set<string>();
    for (const b of all.values()) for (const pool of b.poolList) {
      keep.add(pool.key);
      for (const origin of pool.origins) { this.byOrigin.set(origin.key, { b, pool, origin }); keep.add(origin.key); }
    }
    for (const key of this.seen.keys()) if (!keep.has(key)) this.seen.delete(key);
    this.sync("configuration reloaded");
  }

  /** The prober says these origins changed state, and why. */
  transition(originKeys: readonly string[], reason: string): void {
    this.refreshOverrides();
    const pools = new Map<string, Place>();
    for (const key of originKeys) {
      const place = this.byOrigin.get(key);
      if (place === undefined) continue;
      this.reasons.set(key, reason);
      this.visitOrigin(place, "");
      pools.set(place.pool.key, place);
    }
    for (const place of pools.values()) this.visitPool(place.b, place.pool, "");
    this.synced = this.health.version;
  }

  /** Look at everything now (overrides changed, a reload, or the sweep). */
  sync(reason = ""): void {
    this.refreshOverrides();
    for (const b of this.balancing.values()) for (const pool of b.poolList) {
      for (const origin of pool.origins) this.visitOrigin({ b, pool, origin }, reason);
      this.visitPool(b, pool, reason);
    }
    this.synced = this.health.version;
  }

  originStatus(b: Balancing, pool: Pool, origin: Origin): OriginStatus {
    this.refreshOverrides();
    const s = this.originState(pool, origin);
    return { ...s, countsAsUp: origin.enabled && this.health.view(b).originUp(pool, origin), since: this.seen.get(origin.key)?.since ?? this.now() };
  }

  poolStatus(b: Balancing, pool: Pool): PoolStatus {
    this.refreshOverrides();
    const s = this.poolState(b, pool);
    return { ...s, since: this.seen.get(pool.key)?.since ?? this.now() };
  }

  private refreshOverrides(): void {
    if (this.health.overridesVersion === this.overridesSeen) return;
    this.overridesSeen = this.health.overridesVersion;
    this.overrides = new Map(this.health.overrides());
  }

  private originState(pool: Pool, origin: Origin): Omit<OriginStatus, "countsAsUp" | "since"> {
    const own = this.overrides.get(origin.key);
    const ofPool = this.overrides.get(pool.key);
    const monitor = pool.monitor === null ? null : this.health.state(pool.key, origin.name);
    if (own === "up" || own === "down") return { state: "forced", forced: own, monitor, override: { state: own, on: "origin" } };
    if (own === "drain") return { state: "drained", forced: null, monitor, override: { state: own, on: "origin" } };
    // A pool forced up counts its origins up (those without an override of their own).
    if (ofPool === "up") return { state: "forced", forced: "up", monitor, override: { state: ofPool, on: "pool" } };
    const override = ofPool === undefined ? null : { state: ofPool, on: "pool" as const };
    return { state: monitor ?? "up", forced: null, monitor, override };
  }

  private poolState(b: Balancing, pool: Pool): Omit<PoolStatus, "since"> {
    const view = this.health.view(b);
    let originsUp = 0;
    for (const o of pool.origins) if (o.enabled && view.originUp(pool, o)) originsUp++;
    const healthy = view.poolHealthy(pool);
    const ov = this.overrides.get(pool.key) ?? null;
    const state: StateName = ov === "up" || ov === "down" ? "forced" : ov === "drain" ? "drained" : healthy ? "up" : "down";
    return { state, forced: ov === "up" || ov === "down" ? ov : null, healthy, originsUp, override: ov };
  }

  private visitOrigin(place: Place, reason: string): void {
    const { b, pool, origin } = place;
    const s = this.originState(pool, origin);
    const why = this.reasons.get(origin.key);
    this.reasons.delete(origin.key);
    this.record(b, pool, origin.name, origin.key, s.state, s.forced, (from) =>
      s.state === "forced" || s.state === "drained" ? `override ${s.override!.state} on the ${s.override!.on}`
        : from === "forced" || from === "drained" ? "override ended"
          : why ?? (reason || "health changed"));
  }

  private visitPool(b: Balancing, pool: Pool, reason: string): void {
    const s = this.poolState(b, pool);
    this.record(b, pool, null, pool.key, s.state, s.forced, (from) =>
      s.override !== null ? `override ${s.override} on the pool`
        : from === "forced" || from === "drained" ? `override ended; ${s.originsUp} of ${pool.origins.filter((o) => o.enabled).length} origins up (minimum_origins ${pool.minimumOrigins})`
        : !pool.enabled ? "pool disabled"
          : `${s.originsUp} of ${pool.origins.filter((o) => o.enabled).length} origins up (minimum_origins ${pool.minimumOrigins})${reason ? `; ${reason}` : ""}`);
  }

  private record(b: Balancing, pool: Pool, origin: string | null, key: string, state: StateName, forced: "up" | "down" | null, reason: (from: StateName) => string): void {
    const before = this.seen.get(key);
    const now = this.now();
    if (before === undefined) { this.seen.set(key, { state, forced, since: now }); return; }
    if (before.state === state && before.forced === forced) return;
    this.events.emit({ time: new Date(now).toISOString(), zone: b.origin, pool: pool.name, origin, from: before.state, to: state, forced, reason: reason(before.state) });
    before.state = state;
    before.forced = forced;
    before.since = now;
  }
}
