// The messages between the DNS server and its prober process (thread.ts ↔ worker.ts).

import type { OriginState } from "../health/table.js";
import type { Target } from "./scheduler.js";

export type ToWorker =
  | { kind: "update"; generation: number; targets: readonly Target[] }
  | { kind: "firstRound"; id: number; deadlineMs: number }
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
  | { kind: "stalled"; discarded: number; reason: string };
