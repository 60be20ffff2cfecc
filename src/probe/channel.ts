// The messages between the DNS server and its prober process (thread.ts ↔ worker.ts).

import type { OriginState } from "../health/table.js";
import type { Target } from "./scheduler.js";

export type ToWorker =
  | { kind: "update"; generation: number; targets: readonly Target[] }
  | { kind: "firstRound"; id: number; deadlineMs: number }
  /** The status API asks (on a scrape or a read, never per probe): answered with "stats". */
  | { kind: "stats"; id: number }
  | { kind: "stop" };

/** Origin states on the wire: the health table's codes. */
export { STATE_CODES } from "../health/table.js";

// What the prober sends is sized by what changed, not by how many probes ran: a transition when a
// state changes, RTT averages once a second as number arrays indexed by target and by pool (NaN:
// no new sample), and a full snapshot after each update of the targets. Messages of an older
// generation of targets are dropped; the snapshot of the new one follows them.
export type FromWorker =
  | { kind: "transition"; generation: number; index: number; from: OriginState; to: OriginState; reason: string }
  | { kind: "rtt"; generation: number; targets: Float64Array; pools: Float64Array }
  | { kind: "snapshot"; generation: number; states: Uint8Array; targets: Float64Array; pools: Float64Array }
  | { kind: "ready" }
  | { kind: "firstRoundDone"; id: number }
  | { kind: "saturated"; waitedMs: number; waiting: number; cap: number }
  | { kind: "stalled"; discarded: number; reason: string }
  | ({ kind: "stats"; id: number; generation: number } & ProbeStats);

/**
 * What the prober has counted, by target index of the current generation (asked for by the status
 * API; nothing is sent unasked): results since the prober started, the last result of each target,
 * and probe durations by monitor type as histogram buckets (DURATION_BUCKETS, then +Inf, then the
 * sum in seconds).
 */
export interface ProbeStats {
  readonly ok: Float64Array;
  readonly failed: Float64Array;
  /** Last result: 1 ok, 0 failed, -1 none yet; its reason, when (ms since the epoch) and how long it took (ms). */
  readonly lastOk: Int8Array;
  readonly lastReason: (string | null)[];
  readonly lastAt: Float64Array;
  readonly lastMs: Float64Array;
  readonly durations: [type: string, buckets: Float64Array][];
}

/** Upper bounds of the probe duration histogram's buckets, in seconds. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
