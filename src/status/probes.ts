// What the prober counted, as the status API shows it: results per origin (a probe shared by several
// pools counts for each of its origins), probe durations by monitor type, and each origin's last
// result. The prober sends cumulative counts by target when asked (probe/channel.ts "stats"); here
// they become deltas added to per-origin totals, so the figures only grow even when the prober
// restarts (its counts start again from zero) or a reload renumbers the targets.

import { DURATION_BUCKETS, type ProbeStats } from "../probe/channel.js";
import type { Target } from "../probe/scheduler.js";

export interface LastProbe {
  readonly ok: boolean;
  readonly reason: string;
  /** ms since the epoch. */
  readonly at: number;
  readonly durationMs: number;
}

export interface OriginResults {
  /** "zone/pool" and the origin's name (the health table's keys). */
  readonly pool: string;
  readonly origin: string;
  success: number;
  failure: number;
}

export class ProbeFigures {
  private readonly lastSeen = new Map<string, { ok: number; failed: number }>();
  private readonly lastDurations = new Map<string, Float64Array>();
  /** By origin key ("zone/pool/origin"). */
  readonly results = new Map<string, OriginResults>();
  /** By monitor type: bucket counts (DURATION_BUCKETS, then +Inf; not cumulative), then the sum in seconds. */
  readonly durations = new Map<string, Float64Array>();
  /** By origin key: the last result of the origin's target. */
  private last = new Map<string, LastProbe>();

  /** Take in what the prober sent for these targets. */
  update(targets: readonly Target[], s: ProbeStats): void {
    const last = new Map<string, LastProbe>();
    targets.forEach((t, i) => {
      const ok = s.ok[i] ?? 0, failed = s.failed[i] ?? 0;
      const prev = this.lastSeen.get(t.key);
      // Lower than last time: the prober started again (or dropped the target and took it back).
      const dOk = prev === undefined || ok < prev.ok || failed < prev.failed ? ok : ok - prev.ok;
      const dFailed = prev === undefined || ok < prev.ok || failed < prev.failed ? failed : failed - prev.failed;
      this.lastSeen.set(t.key, { ok, failed });
      const lastOk = s.lastOk[i] ?? -1;
      for (const sub of t.subscribers) {
        const key = `${sub.pool}/${sub.origin}`;
        let r = this.results.get(key);
        if (r === undefined) this.results.set(key, (r = { pool: sub.pool, origin: sub.origin, success: 0, failure: 0 }));
        r.success += dOk;
        r.failure += dFailed;
        if (lastOk >= 0) last.set(key, { ok: lastOk === 1, reason: s.lastReason[i] ?? "", at: s.lastAt[i]!, durationMs: s.lastMs[i]! });
      }
    });
    this.last = last;
    for (const [type, d] of s.durations) {
      const prev = this.lastDurations.get(type);
      let total = this.durations.get(type);
      if (total === undefined) this.durations.set(type, (total = new Float64Array(DURATION_BUCKETS.length + 2)));
      const reset = prev === undefined || d.some((v, i) => v < prev[i]!);
      for (let i = 0; i < d.length; i++) total[i]! += reset ? d[i]! : d[i]! - prev[i]!;
      this.lastDurations.set(type, d);
    }
  }

  /** The last result of an origin's probes, when there is one. */
  lastOf(originKey: string): LastProbe | undefined {
    return this.last.get(originKey);
  }
}
