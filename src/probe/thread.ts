// The main thread's handle on the prober's worker thread: same face as Prober (update, firstRound,
// stop), results delivered as events with the main thread's Target objects.

import { Worker } from "node:worker_threads";
import type { OriginState } from "../health/table.js";
import type { ProbeResult } from "./probe.js";
import type { ProberEvents, Target } from "./scheduler.js";
import type { Transition } from "./state.js";

export type ToWorker =
  | { kind: "update"; targets: readonly Target[] }
  | { kind: "firstRound"; id: number; deadlineMs: number }
  | { kind: "stop" };

export type FromWorker =
  | { kind: "result"; key: string; ok: boolean; rttMs: number | null; reason: string; state: OriginState }
  | { kind: "transition"; key: string; from: OriginState; to: OriginState; reason: string }
  | { kind: "firstRoundDone"; id: number };

// The compiled worker, found from src/ (vitest) and dist/ alike; `npm test` builds first.
const WORKER = new URL("../../dist/probe/worker.js", import.meta.url);

export class ProberThread {
  private readonly worker: Worker;
  private targets = new Map<string, Target>();
  private rounds = new Map<number, () => void>();
  private nextRound = 0;

  constructor(private readonly events: ProberEvents, onError: (err: Error) => void) {
    this.worker = new Worker(WORKER);
    this.worker.unref();
    this.worker.on("error", onError);
    this.worker.on("message", (m: FromWorker) => {
      if (m.kind === "firstRoundDone") { this.rounds.get(m.id)?.(); this.rounds.delete(m.id); return; }
      const target = this.targets.get(m.key);
      if (target === undefined) return; // removed by a reload meanwhile
      if (m.kind === "result") {
        const result: ProbeResult = { ok: m.ok, rttMs: m.rttMs, reason: m.reason };
        this.events.onResult?.(target, result, m.state);
      } else {
        const t: Transition = { from: m.from, to: m.to, reason: m.reason };
        this.events.onTransition?.(target, t);
      }
    });
  }

  update(targets: readonly Target[]): void {
    this.targets = new Map(targets.map((t) => [t.key, t]));
    this.worker.postMessage({ kind: "update", targets } satisfies ToWorker);
  }

  firstRound(deadlineMs: number): Promise<void> {
    const id = this.nextRound++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.rounds.delete(id); resolve(); }, deadlineMs + 500);
      this.rounds.set(id, () => { clearTimeout(timer); resolve(); });
      this.worker.postMessage({ kind: "firstRound", id, deadlineMs } satisfies ToWorker);
    });
  }

  async stop(): Promise<void> {
    this.worker.postMessage({ kind: "stop" } satisfies ToWorker);
    await this.worker.terminate();
  }
}
