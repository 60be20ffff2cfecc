// Runs probes on their intervals. The same (monitor settings, target) is probed once however many
// pools or zones use it; each target has its own timer with a random phase and jitter (never
// aligned to wall-clock boundaries, so 10,000 targets never fire together); a probe never overlaps
// the previous one for its target; a global cap bounds the probes in flight.

import { probe, type ProbeResult, type ProbeSpec } from "../monitor/registry.js";
import { OriginMonitor, type Transition } from "./state.js";

export interface Subscriber {
  /** Pool id ("zone/pool") and origin name, as the health table keys them. */
  readonly pool: string;
  readonly origin: string;
  /** The origin's and the pool's slots in the health table, as the config loader assigned them. */
  readonly slot: number;
  readonly poolSlot: number;
}

export interface Target {
  /** Identity of (monitor settings, target): equal keys are probed once. */
  readonly key: string;
  readonly spec: ProbeSpec;
  readonly intervalMs: number;
  readonly consecutiveUp: number;
  readonly consecutiveDown: number;
  readonly subscribers: readonly Subscriber[];
}

export interface ProberEvents {
  /** Every result (RTT for successful ones), and how long the probe took, retries included (ms). */
  onResult?(target: Target, result: ProbeResult, state: OriginMonitor["state"], durationMs: number): void;
  /** A state change, once per transition. */
  onTransition?(target: Target, t: Transition): void;
  /**
   * Probes are waiting for a slot under the concurrency cap for longer than a second, which
   * stretches intervals and failover times; reported at most once a minute.
   */
  onSaturated?(s: { waitedMs: number; waiting: number; cap: number }): void;
  /**
   * Results thrown away because the prober itself was stalled (monitor/types.ts deadline(): a
   * timeout that fired late), so the origins' states stand; reported at most once a minute with
   * the count so far.
   */
  onStalled?(s: { discarded: number; reason: string }): void;
}

/** Default cap on probes in flight: 10,000 origins at 15 s whose probes all time out after 5 s need ~3,300. */
export const DEFAULT_PROBE_CONCURRENCY = 1000;
const SATURATED_WAIT_MS = 1000;
const SATURATED_REPORT_EVERY_MS = 60_000;

interface Running {
  target: Target;
  monitor: OriginMonitor;
  timer: NodeJS.Timeout | null;
  busy: boolean;
  stopped: boolean;
}

/** ±10% of the interval, so targets that start together drift apart. */
const JITTER = 0.1;

export class Prober {
  private readonly running = new Map<string, Running>();
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private lastSaturatedReport = -Infinity;
  private lastStalledReport = -Infinity;
  private stalledSinceReport = 0;

  constructor(private readonly events: ProberEvents, private readonly concurrency = DEFAULT_PROBE_CONCURRENCY, private readonly random: () => number = Math.random) {}

  /** Replace the set of targets: unchanged keys keep their state and timer; new ones start at a random phase. */
  update(targets: readonly Target[]): void {
    const keep = new Set(targets.map((t) => t.key));
    for (const [key, r] of this.running) if (!keep.has(key)) { this.stopOne(r); this.running.delete(key); }
    for (const t of targets) {
      const r = this.running.get(t.key);
      if (r !== undefined) { r.target = t; continue; }
      const fresh: Running = { target: t, monitor: new OriginMonitor(t.consecutiveUp, t.consecutiveDown), timer: null, busy: false, stopped: false };
      this.running.set(t.key, fresh);
      this.schedule(fresh, this.random() * t.intervalMs);
    }
  }

  /** Probe every target whose state is still unknown, now; resolves when all have a result or after `deadlineMs`. */
  firstRound(deadlineMs: number): Promise<void> {
    const pending = [...this.running.values()].filter((r) => r.monitor.state === "unknown").map((r) => this.run(r));
    return Promise.race([Promise.all(pending).then(() => undefined), new Promise<void>((res) => setTimeout(res, deadlineMs).unref())]);
  }

  states(): { target: Target; monitor: OriginMonitor }[] {
    return [...this.running.values()].map((r) => ({ target: r.target, monitor: r.monitor }));
  }

  stop(): void {
    for (const r of this.running.values()) this.stopOne(r);
    this.running.clear();
  }

  private stopOne(r: Running): void {
    r.stopped = true;
    if (r.timer !== null) clearTimeout(r.timer);
    r.timer = null;
  }

  private schedule(r: Running, delayMs: number): void {
    if (r.stopped) return;
    r.timer = setTimeout(() => {
      r.timer = null;
      // Probes start an interval apart (not an interval after the previous one ended), so a
      // failing origin is seen within interval × consecutive_down + timeout, jitter aside.
      // Spans on the monotonic clock: a wall clock stepped back (NTP) must not delay the next probe.
      const started = performance.now();
      void this.run(r).then(() => this.schedule(r, Math.max(0, this.nextDelay(r.target) - (performance.now() - started))));
    }, delayMs);
    r.timer.unref();
  }

  private nextDelay(t: Target): number {
    return t.intervalMs * (1 - JITTER + 2 * JITTER * this.random());
  }

  /** One probe of a target, unless one is already running for it; waits for a slot under the cap. */
  private async run(r: Running): Promise<void> {
    if (r.busy || r.stopped) return;
    r.busy = true;
    try {
      if (this.inFlight >= this.concurrency) {
        const since = performance.now();
        await new Promise<void>((res) => this.waiting.push(res));
        const waitedMs = performance.now() - since;
        if (waitedMs > SATURATED_WAIT_MS && since - this.lastSaturatedReport > SATURATED_REPORT_EVERY_MS) {
          this.lastSaturatedReport = since;
          this.events.onSaturated?.({ waitedMs, waiting: this.waiting.length, cap: this.concurrency });
        }
        // Removed by a reload while it waited: give the slot to the next one.
        if (r.stopped) { this.waiting.shift()?.(); return; }
      }
      this.inFlight++;
      let result: ProbeResult;
      const started = performance.now();
      try {
        result = await probe(r.target.spec);
      } catch (err) {
        // probe() does not throw; if it ever does, it is a failed probe, not a crash.
        result = { ok: false, rttMs: null, reason: `probe error: ${(err as Error).message}` };
      } finally {
        this.inFlight--;
        this.waiting.shift()?.();
      }
      if (r.stopped) return;
      // A stalled prober knows nothing about the origin: one odd CPU-starved second must not
      // take healthy origins out of the answers. The state stands until a real result.
      if (result.stalled === true) {
        this.stalledSinceReport++;
        const now = performance.now();
        if (now - this.lastStalledReport > SATURATED_REPORT_EVERY_MS) {
          this.lastStalledReport = now;
          this.events.onStalled?.({ discarded: this.stalledSinceReport, reason: result.reason });
          this.stalledSinceReport = 0;
        }
        return;
      }
      const t = r.monitor.observe(result);
      this.events.onResult?.(r.target, result, r.monitor.state, performance.now() - started);
      if (t !== null) this.events.onTransition?.(r.target, t);
    } finally {
      r.busy = false;
    }
  }
}
