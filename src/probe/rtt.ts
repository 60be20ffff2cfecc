// RTT averages of successful probes, kept where the probes run (the prober process): an EWMA per
// target (an origin's probes are its target's) and per pool, the figure dynamic_latency steers by.
// The DNS server receives the averages, never the samples.

/** Weight of a new RTT sample in the moving average. */
export const EWMA_ALPHA = 0.3;

export function ewma(previous: number | undefined, sampleMs: number): number {
  return previous === undefined ? sampleMs : previous + EWMA_ALPHA * (sampleMs - previous);
}

/**
 * Which pools each target feeds, by pool index. Both sides of the prober channel compute it from
 * the same target list, so pool averages travel as a number array, not as strings.
 */
export interface PoolLayout {
  /** Pool ids ("zone/pool") in order of first appearance, and their health-table slots. */
  readonly pools: readonly string[];
  readonly poolSlots: readonly number[];
  /** For each target index: the indices of its pools, each once. */
  readonly poolsOf: readonly (readonly number[])[];
}

export function poolLayout(targets: readonly { readonly subscribers: readonly { readonly pool: string; readonly poolSlot: number }[] }[]): PoolLayout {
  const index = new Map<string, number>();
  const pools: string[] = [];
  const poolSlots: number[] = [];
  const poolsOf = targets.map((t) => {
    const mine = new Set<number>();
    for (const s of t.subscribers) {
      let i = index.get(s.pool);
      if (i === undefined) { index.set(s.pool, (i = pools.length)); pools.push(s.pool); poolSlots.push(s.poolSlot); }
      mine.add(i);
    }
    return [...mine];
  });
  return { pools, poolSlots, poolsOf };
}
