// An origin's health state machine. unknown → the first result decides (so the cold-start round
// means something); afterwards up → down only after consecutive_down failures in a row, and
// down → up only after consecutive_up successes: one odd probe never flaps an answer.

import type { OriginState } from "../health/table.js";
import type { ProbeResult } from "../monitor/types.js";

export interface Transition {
  readonly from: OriginState;
  readonly to: OriginState;
  readonly reason: string;
}

export class OriginMonitor {
  state: OriginState = "unknown";
  private okRun = 0;
  private failRun = 0;
  last: ProbeResult | null = null;

  constructor(private readonly consecutiveUp: number, private readonly consecutiveDown: number) {}

  observe(r: ProbeResult): Transition | null {
    this.last = r;
    if (r.ok) { this.okRun++; this.failRun = 0; } else { this.failRun++; this.okRun = 0; }
    const from = this.state;
    let to: OriginState = from;
    if (from === "unknown") to = r.ok ? "up" : "down";
    else if (from === "up" && this.failRun >= this.consecutiveDown) to = "down";
    else if (from === "down" && this.okRun >= this.consecutiveUp) to = "up";
    if (to === from) return null;
    this.state = to;
    return { from, to, reason: r.reason };
  }
}
