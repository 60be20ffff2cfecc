// The health table steering reads: origin states (up, down, unknown) and RTT averages. Monitors
// (issue 4) write it; tests set it directly. A pool is healthy while at least minimum_origins of
// its enabled origins are up; a pool with no monitor is always healthy.

import type { HealthView, Origin, Pool } from "../steer/types.js";

export type OriginState = "up" | "down" | "unknown";

/** An operator's override (zones/_overrides.json): forced up, down, or drained (healthy, no new traffic). */
export type OverrideState = "up" | "down" | "drain";

/**
 * How an origin nobody has checked yet counts. "up" (default): a cold start answers from the
 * configured pools rather than nothing; issue 4's monitors run a first round before answering.
 */
export type UnknownPolicy = "up" | "down";

/** The table's key of an origin: "poolId/origin". */
export const healthKey = (pool: string, origin: string): string => `${pool}/${origin}`;

export class HealthTable implements HealthView {
  private readonly states = new Map<string, OriginState>();
  private readonly rtts = new Map<string, number>();
  private readonly poolRtts = new Map<string, number>();
  /** Active overrides by "poolId" or "poolId/origin". */
  private overrides: ReadonlyMap<string, OverrideState> = new Map();

  constructor(readonly unknownPolicy: UnknownPolicy = "up") {}

  /** `pool` is the pool's id ("zone/pool"). */
  set(pool: string, origin: string, state: OriginState): void {
    this.states.set(healthKey(pool, origin), state);
  }

  /** The prober's writes, by precomputed key (see healthKey). */
  setState(key: string, state: OriginState): void {
    this.states.set(key, state);
  }

  state(pool: string, origin: string): OriginState {
    return this.states.get(healthKey(pool, origin)) ?? "unknown";
  }

  /** RTT averages (ms) of successful probes; the prober keeps the EWMA (probe/rtt.ts). */
  setOriginRtt(key: string, ms: number): void {
    this.rtts.set(key, ms);
  }

  setPoolRtt(pool: string, ms: number): void {
    this.poolRtts.set(pool, ms);
  }

  originRtt(pool: string, origin: string): number | null {
    return this.rtts.get(healthKey(pool, origin)) ?? null;
  }

  /** Replace the active overrides (the override manager calls this whenever a window opens or closes). */
  setOverrides(active: ReadonlyMap<string, OverrideState>): void {
    this.overrides = active;
  }

  override(pool: string, origin?: string): OverrideState | undefined {
    return this.overrides.get(origin === undefined ? pool : `${pool}/${origin}`);
  }

  originUp(pool: Pool, origin: Origin): boolean {
    const o = this.overrides.get(origin.healthKey);
    if (o !== undefined) return o !== "down";
    if (pool.monitor === null) return true;
    const s = this.states.get(origin.healthKey) ?? "unknown";
    return s === "up" || (s === "unknown" && this.unknownPolicy === "up");
  }

  poolHealthy(pool: Pool): boolean {
    if (!pool.enabled) return false;
    const o = this.overrides.get(pool.id);
    if (o !== undefined) return o !== "down";
    if (pool.monitor === null) return true;
    let up = 0;
    for (const o of pool.origins) if (o.enabled && this.originUp(pool, o)) up++;
    return up >= pool.minimumOrigins;
  }

  poolDrained(pool: Pool): boolean {
    return this.overrides.get(pool.id) === "drain";
  }

  originDrained(_pool: Pool, origin: Origin): boolean {
    return this.overrides.get(origin.healthKey) === "drain";
  }

  poolRtt(pool: Pool): number | null {
    return this.poolRtts.get(pool.id) ?? null;
  }
}
