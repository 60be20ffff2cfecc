// The server's handle on the prober: a child process (same face as Prober: update, firstRound,
// stop), results delivered as events with the server's Target objects. A process rather than a
// worker thread so that it can run below the DNS server's CPU priority (SCHED_IDLE on Linux, else
// nice 10): measured with scripts/scale on two cores, a worker thread probing 10,000 origins
// raised the DNS p99 tenfold.

import { fork, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import os from "node:os";
import type { OriginState } from "../health/table.js";
import type { ProbeResult } from "./probe.js";
import type { ProberEvents, Target } from "./scheduler.js";
import type { Transition } from "./state.js";

export type ToWorker =
  | { kind: "update"; targets: readonly Target[] }
  | { kind: "firstRound"; id: number; deadlineMs: number }
  | { kind: "stop" };

/** A result: key, ok, rttMs, reason, state (a tuple: they come in batches). */
export type ResultTuple = [key: string, ok: boolean, rttMs: number | null, reason: string, state: OriginState];

export type FromWorker =
  | { kind: "results"; results: ResultTuple[] }
  | { kind: "transition"; key: string; from: OriginState; to: OriginState; reason: string }
  | { kind: "firstRoundDone"; id: number };

// The compiled prober, found from src/ (vitest) and dist/ alike; `npm test` builds first.
const WORKER = new URL("../../dist/probe/worker.js", import.meta.url);
/** Nice value of the prober process when SCHED_IDLE is not available: the DNS server comes first. */
const PROBER_NICE = 10;
/** Linux SCHED_IDLE through chrt: the prober runs only when the DNS server does not want the CPU. */
const HAS_CHRT = process.platform === "linux" && spawnSync("chrt", ["--help"], { stdio: "ignore" }).status === 0;

export class ProberThread {
  private readonly worker: ChildProcess;
  private targets = new Map<string, Target>();
  private rounds = new Map<number, () => void>();
  private nextRound = 0;
  private stopping = false;

  constructor(private readonly events: ProberEvents, onError: (err: Error) => void) {
    const stdio: ["ignore", "ignore", "inherit", "ipc"] = ["ignore", "ignore", "inherit", "ipc"];
    this.worker = HAS_CHRT
      ? spawn("chrt", ["--idle", "0", process.execPath, fileURLToPath(WORKER)], { stdio, serialization: "advanced" })
      : fork(WORKER, [], { stdio, serialization: "advanced" });
    if (!HAS_CHRT) {
      try { os.setPriority(this.worker.pid!, PROBER_NICE); } catch { /* not permitted: probes still run, at normal priority */ }
    }
    // The prober never keeps the server's process alive by itself.
    this.worker.unref();
    this.worker.channel?.unref();
    this.worker.on("error", onError);
    this.worker.on("exit", (code, signal) => { if (!this.stopping) onError(new Error(`prober process exited (${signal ?? code})`)); });
    this.worker.on("message", (m: FromWorker) => {
      if (m.kind === "firstRoundDone") { this.rounds.get(m.id)?.(); this.rounds.delete(m.id); return; }
      if (m.kind === "results") {
        for (const [key, ok, rttMs, reason, state] of m.results) {
          const target = this.targets.get(key);
          // A target removed by a reload meanwhile is ignored.
          if (target !== undefined) this.events.onResult?.(target, { ok, rttMs, reason } satisfies ProbeResult, state);
        }
        return;
      }
      const target = this.targets.get(m.key);
      if (target === undefined) return;
      {
        const t: Transition = { from: m.from, to: m.to, reason: m.reason };
        this.events.onTransition?.(target, t);
      }
    });
  }

  update(targets: readonly Target[]): void {
    this.targets = new Map(targets.map((t) => [t.key, t]));
    this.send({ kind: "update", targets } satisfies ToWorker);
  }

  firstRound(deadlineMs: number): Promise<void> {
    const id = this.nextRound++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.rounds.delete(id); resolve(); }, deadlineMs + 500);
      this.rounds.set(id, () => { clearTimeout(timer); resolve(); });
      this.send({ kind: "firstRound", id, deadlineMs } satisfies ToWorker);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.worker.exitCode !== null || this.worker.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.worker.once("exit", () => r()));
    this.send({ kind: "stop" });
    const timer = setTimeout(() => this.worker.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  }

  private send(m: ToWorker): void {
    if (this.worker.connected) this.worker.send(m);
  }
}
