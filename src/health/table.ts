// The health table steering reads: origin states (up, down, unknown) and RTT averages. Monitors
// (issue 4) write it; tests set it directly. A pool is healthy while at least minimum_origins of
// its enabled origins are up; a pool with no monitor is always healthy.

import type { HealthView, Origin, Pool } from "../steer/types.js";
import { existingSlot, healthKey, healthSlot } from "./slots.js";

export type OriginState = "up" | "down" | "unknown";

/** An operator's override (zones/_overrides.json): forced up, down, or drained (healthy, no new traffic). */
export type OverrideState = "up" | "down" | "drain";

/**
 * How an origin nobody has checked yet counts. "up" (default): a cold start answers from the
 * configured pools rather than nothing; issue 4's monitors run a first round before answering.
 */
export type UnknownPolicy = "up" | "down";

/** State codes as stored (and as the prober sends them: probe/channel.ts). */
export const STATE_CODES: readonly OriginState[] = ["unknown", "up", "down"];
const UNKNOWN = 0, UP = 1;

export class HealthTable implements HealthView {
  /** By origin slot: a STATE_CODES index. */
  private states = new Uint8Array(1024);
  /** By origin slot and by pool slot: RTT averages in ms, NaN = none yet. */
  private rtts = new Float64Array(1024).fill(NaN);
  private poolRtts = new Float64Array(1024).fill(NaN);
  /** Active overrides by "poolId" or "poolId/origin". */
  private overrides: ReadonlyMap<string, OverrideState> = new Map();

  constructor(readonly unknownPolicy: UnknownPolicy = "up") {}

  /** `pool` is the pool's id ("zone/pool"). Tests and `gslb health` write by name. */
  set(pool: string, origin: string, state: OriginState): void {
    this.setState(healthSlot(healthKey(pool, origin)), state);
  }

  stateAt(slot: number): OriginState {
    return STATE_CODES[this.states[slot] ?? UNKNOWN]!;
  }

  /** The prober's writes, by slot (see slots.ts). */
  setState(slot: number, state: OriginState): void {
    if (slot >= this.states.length) this.states = grow(this.states, slot, 0);
    this.states[slot] = STATE_CODES.indexOf(state);
  }

  state(pool: string, origin: string): OriginState {
    const slot = existingSlot(healthKey(pool, origin));
    return slot === undefined ? "unknown" : this.stateAt(slot);
  }

  /** RTT averages (ms) of successful probes; the prober keeps the EWMA (probe/rtt.ts). */
  setOriginRtt(slot: number, ms: number): void {
    if (slot >= this.rtts.length) this.rtts = grow(this.rtts, slot, NaN);
    this.rtts[slot] = ms;
  }

  setPoolRtt(slot: number, ms: number): void {
    if (slot >= this.poolRtts.length) this.poolRtts = grow(this.poolRtts, slot, NaN);
    this.poolRtts[slot] = ms;
  }

  originRtt(pool: string, origin: string): number | null {
    const slot = existingSlot(healthKey(pool, origin));
    const ms = slot === undefined ? undefined : this.rtts[slot];
    return ms === undefined || Number.isNaN(ms) ? null : ms;
  }

  /** Replace the active overrides (the override manager calls this whenever a window opens or closes). */
  setOverrides(active: ReadonlyMap<string, OverrideState>): void {
    this.overrides = active;
  }

  override(pool: string, origin?: string): OverrideState | undefined {
    return this.overrides.get(origin === undefined ? pool : `${pool}/${origin}`);
  }

  originUp(pool: Pool, origin: Origin): boolean {
    if (this.overrides.size > 0) {
      const o = this.overrides.get(origin.healthKey);
      if (o !== undefined) return o !== "down";
    }
    if (pool.monitor === null) return true;
    const s = this.states[origin.healthSlot] ?? UNKNOWN;
    return s === UP || (s === UNKNOWN && this.unknownPolicy === "up");
  }

  poolHealthy(pool: Pool): boolean {
    if (!pool.enabled) return false;
    const o = this.overrides.size > 0 ? this.overrides.get(pool.id) : undefined;
    if (o !== undefined) return o !== "down";
    if (pool.monitor === null) return true;
    let up = 0;
    for (const o of pool.origins) if (o.enabled && this.originUp(pool, o)) up++;
    return up >= pool.minimumOrigins;
  }

  poolDrained(pool: Pool): boolean {
    return this.overrides.size > 0 && this.overrides.get(pool.id) === "drain";
  }

  originDrained(_pool: Pool, origin: Origin): boolean {
    return this.overrides.size > 0 && this.overrides.get(origin.healthKey) === "drain";
  }

  poolRtt(pool: Pool): number | null {
    const ms = this.poolRtts[pool.healthSlot];
    return ms === undefined || Number.isNaN(ms) ? null : ms;
  }
}

/** A copy of `a` large enough for index `slot`, new entries set to `fill`. */
function grow<T extends Uint8Array | Float64Array>(a: T, slot: number, fill: number): T {
  const next = new (a.constructor as new (n: number) => T)(Math.max(slot + 1, a.length * 2));
  next.fill(fill);
  next.set(a);
  return next;
}
