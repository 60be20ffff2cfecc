// The health table steering reads: origin states (up, down, unknown) and RTT averages. Monitors
// (issue 4) write it; tests set it directly. A pool is healthy while at least minimum_origins of
// its enabled origins are up; a pool with no monitor is always healthy.

import type { HealthView, Origin, Pool } from "../steer/types.js";

export type OriginState = "up" | "down" | "unknown";

/**
 * How an origin nobody has checked yet counts. "up" (default): a cold start answers from the
 * configured pools rather than nothing; issue 4's monitors run a first round before answering.
 */
export type UnknownPolicy = "up" | "down";

/** Weight of a new RTT sample in the moving average. */
const EWMA_ALPHA = 0.3;

export class HealthTable implements HealthView {
  private readonly states = new Map<string, OriginState>();
  private readonly rtts = new Map<string, number>();
  private readonly poolRtts = new Map<string, number>();

  constructor(readonly unknownPolicy: UnknownPolicy = "up") {}

  /** `pool` is the pool's id ("zone/pool"). */
  set(pool: string, origin: string, state: OriginState): void {
    this.states.set(`${pool}/${origin}`, state);
  }

  state(pool: string, origin: string): OriginState {
    return this.states.get(`${pool}/${origin}`) ?? "unknown";
  }

  /** Record an RTT sample (ms) of a successful probe. */
  recordRtt(pool: string, origin: string, ms: number): void {
    const key = `${pool}/${origin}`;
    const prev = this.rtts.get(key);
    this.rtts.set(key, prev === undefined ? ms : prev + EWMA_ALPHA * (ms - prev));
    const p = this.poolRtts.get(pool);
    this.poolRtts.set(pool, p === undefined ? ms : p + EWMA_ALPHA * (ms - p));
  }

  originRtt(pool: string, origin: string): number | null {
    return this.rtts.get(`${pool}/${origin}`) ?? null;
  }

  originUp(pool: Pool, origin: Origin): boolean {
    if (pool.monitor === null) return true;
    const s = this.state(pool.id, origin.name);
    return s === "up" || (s === "unknown" && this.unknownPolicy === "up");
  }

  poolHealthy(pool: Pool): boolean {
    if (!pool.enabled) return false;
    if (pool.monitor === null) return true;
    let up = 0;
    for (const o of pool.origins) if (o.enabled && this.originUp(pool, o)) up++;
    return up >= pool.minimumOrigins;
  }

  poolRtt(pool: Pool): number | null {
    return this.poolRtts.get(pool.id) ?? null;
  }
}
