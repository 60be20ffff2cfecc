// The server's handle on the prober: a child process (update, firstRound, stop, like Prober) that
// writes origin states and RTT averages into the server's health table, one way. A process rather
// than a worker thread so that it can run below the DNS server's CPU priority (SCHED_IDLE on Linux,
// else nice 10): measured with scripts/scale on two cores, a worker thread probing 10,000 origins
// raised the DNS p99 tenfold. What crosses the channel is sized by changes, not by probes: a
// message per probe result, even batched, still doubled the DNS p99 (scripts/scale).

import { fork, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import os from "node:os";
import type { HealthSink } from "../health/table.js";
import { poolLayout } from "./rtt.js";
import { DEFAULT_PROBE_CONCURRENCY, type Target } from "./scheduler.js";
import type { Transition } from "./state.js";
import { STATE_CODES, type FromWorker, type ProbeStats, type ToWorker } from "./channel.js";


export interface ProberThreadEvents {
  onTransition(target: Target, t: Transition): void;
  onSaturated(s: { waitedMs: number; waiting: number; cap: number }): void;
  onStalled(s: { discarded: number; reason: string }): void;
  /** The prober process could not be started or signalled (a fault: the error says what). */
  onError(err: Error): void;
  /** The prober process exited on its own or was killed; it is started again in `restartInMs`. */
  onExited(e: { pid: number | undefined; code: number | null; signal: NodeJS.Signals | null; restartInMs: number }): void;
  /** A new prober process runs (after onExited), with the current targets. */
  onRestarted(pid: number | undefined): void;
}

// The compiled prober, found from src/ (vitest) and dist/ alike; `npm test` builds first.
const WORKER = new URL("../../dist/probe/worker.js", import.meta.url);
/** Nice value of the prober process when SCHED_IDLE is not available: the DNS server comes first. */
const PROBER_NICE = 10;
/** Linux SCHED_IDLE through chrt: the prober runs only when the DNS server does not want the CPU. */
const HAS_CHRT = process.platform === "linux" && spawnSync("chrt", ["--help"], { stdio: "ignore" }).status === 0;

/** Longest a prober process may take to load before a first round stops waiting for it. */
const STARTUP_MAX_MS = 10_000;
/** A prober that dies is started again after this, doubling up to a minute while it keeps dying. */
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 60_000;
/** A prober that ran this long before dying was healthy: the next restart waits the minimum again. */
const HEALTHY_RUN_MS = 60_000;

export class ProberThread {
  private worker!: ChildProcess;
  private readonly command: readonly string[];
  private startedAt = 0;
  private restartDelayMs = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  private generation = 0;
  private targets: readonly Target[] = [];
  /** Per target index: its subscribers' health slots, found once per update, not per message. */
  private slots: readonly (readonly number[])[] = [];
  /** Per pool index (rtt.ts's layout): the pool's health slot. */
  private poolSlots: readonly number[] = [];
  private rounds = new Map<number, () => void>();
  /** Resolves when the current process has loaded (its "ready"), or has exited. */
  private ready: Promise<void> = Promise.resolve();
  private markReady: () => void = () => {};
  private nextRound = 0;
  private stopping = false;
  /** Stats asked for (the status API), by request id. */
  private asked = new Map<number, (s: ProbeStats & { generation: number }) => void>();
  private nextAsk = 0;

  /**
   * `cpus`: a CPU list (as taskset takes it, "1" or "2-3,6") the prober is confined to, so that
   * on a machine with cores to spare the DNS server can have its own (taskset -c 0 gslb serve).
   * `probeSource`: the addresses probes leave from (gslb serve --probe-source), one per family.
   * `env`: the prober process's environment (the server's: server/memory.ts, childEnv).
   */
  constructor(private readonly sink: HealthSink, private readonly events: ProberThreadEvents, concurrency = DEFAULT_PROBE_CONCURRENCY, cpus?: string, probeSource: readonly string[] = [], private readonly env: NodeJS.ProcessEnv = process.env) {
    const node = [process.execPath, fileURLToPath(WORKER), String(concurrency), ...probeSource];
    // taskset and chrt each set their attribute and exec the next: the prober keeps one pid.
    this.command = [...(cpus !== undefined ? ["taskset", "-c", cpus] : []), ...(HAS_CHRT ? ["chrt", "--idle", "0"] : []), ...node];
    this.start();
  }

  private start(): void {
    const stdio: ["ignore", "ignore", "inherit", "ipc"] = ["ignore", "ignore", "inherit", "ipc"];
    const [cmd, ...args] = this.command;
    const worker = cmd === process.execPath
      ? fork(WORKER, args.slice(1), { stdio, serialization: "advanced", env: this.env })
      : spawn(cmd!, args, { stdio, serialization: "advanced", env: this.env });
    this.worker = worker;
    this.startedAt = Date.now();
    this.ready = new Promise((r) => { this.markReady = r; });
    if (!HAS_CHRT && worker.pid !== undefined) {
      try { os.setPriority(worker.pid, PROBER_NICE); } catch { /* not permitted: probes still run, at normal priority */ }
    }
    // The prober never keeps the server's process alive by itself.
    worker.unref();
    worker.channel?.unref();
    worker.on("error", this.events.onError);
    worker.on("exit", (code, signal) => this.exited(worker, code, signal));
    worker.on("message", (m: FromWorker) => { if (worker === this.worker) this.receive(m); });
  }

  /**
   * Health checks stopping silently would freeze failover: a prober that dies is reported and
   * started again (with backoff), given the current targets; states stay as they were meanwhile.
   */
  private exited(worker: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (worker === this.worker) this.markReady();
    if (this.stopping || worker !== this.worker) return;
    if (Date.now() - this.startedAt > HEALTHY_RUN_MS) this.restartDelayMs = RESTART_MIN_MS;
    // An expected event with a known cause: a line, not an error with a stack.
    this.events.onExited({ pid: worker.pid, code, signal, restartInMs: this.restartDelayMs });
    // Whoever waits for a first round stops waiting: there will be none from this process.
    for (const done of this.rounds.values()) done();
    this.rounds.clear();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.start();
      if (this.targets.length > 0) this.update(this.targets);
      this.events.onRestarted(this.worker.pid);
    }, this.restartDelayMs);
    this.restartTimer.unref();
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, RESTART_MAX_MS);
  }

  /** The prober process's pid (for `gslb serve`'s log line and tests). */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  private receive(m: FromWorker): void {
    if (m.kind === "ready") { this.markReady(); return; }
    if (m.kind === "firstRoundDone") { this.rounds.get(m.id)?.(); this.rounds.delete(m.id); return; }
    if (m.kind === "saturated") { this.events.onSaturated(m); return; }
    if (m.kind === "stalled") { this.events.onStalled(m); return; }
    if (m.kind === "stats") { this.asked.get(m.id)?.(m); this.asked.delete(m.id); return; }
    if (m.generation !== this.generation) return;
    switch (m.kind) {
      case "transition": {
        const target = this.targets[m.index];
        if (target === undefined) return;
        for (const slot of this.slots[m.index]!) this.sink.setState(slot, m.to);
        this.events.onTransition(target, { from: m.from, to: m.to, reason: m.reason });
        return;
      }
      case "snapshot":
        for (let i = 0; i < m.states.length && i < this.slots.length; i++) {
          const state = STATE_CODES[m.states[i]!] ?? "unknown";
          // Not checked yet by this prober (a new target after a monitor edit, or a restarted
          // prober): the state the table has stands until the first result.
          if (state === "unknown") continue;
          for (const slot of this.slots[i]!) this.sink.setState(slot, state);
        }
        this.applyRtt(m.targets, m.pools);
        return;
      case "rtt":
        this.applyRtt(m.targets, m.pools);
    }
  }

  private applyRtt(targets: Float64Array, pools: Float64Array): void {
    for (let i = 0; i < targets.length && i < this.slots.length; i++) {
      const ms = targets[i]!;
      if (Number.isNaN(ms)) continue;
      for (const slot of this.slots[i]!) this.sink.setOriginRtt(slot, ms);
    }
    for (let p = 0; p < pools.length && p < this.poolSlots.length; p++) {
      if (!Number.isNaN(pools[p]!)) this.sink.setPoolRtt(this.poolSlots[p]!, pools[p]!);
    }
  }

  update(targets: readonly Target[]): void {
    this.generation++;
    const before = { origins: new Set(this.slots.flat()), pools: new Set(this.poolSlots) };
    const slotsBefore = new Map(this.targets.map((t, i) => [t.key, this.slots[i]!]));
    this.targets = targets;
    this.slots = targets.map((t) => t.subscribers.map((s) => s.slot));
    this.poolSlots = poolLayout(targets).poolSlots;
    // Averages of origins and pools no longer probed must not steer dynamic_latency any more.
    for (const slot of this.slots.flat()) before.origins.delete(slot);
    for (const slot of this.poolSlots) before.pools.delete(slot);
    for (const slot of before.origins) this.sink.setOriginRtt(slot, NaN);
    for (const slot of before.pools) this.sink.setPoolRtt(slot, NaN);
    // Before the new zones answer (this runs in the same tick as the swap), a new subscriber of a
    // target already probed gets the state its other subscribers have; the snapshot confirms.
    targets.forEach((t, i) => {
      const known = slotsBefore.get(t.key)?.[0];
      if (known === undefined) return;
      const state = this.sink.stateAt(known);
      if (state !== "unknown") for (const slot of this.slots[i]!) this.sink.setState(slot, state);
    });
    this.send({ kind: "update", generation: this.generation, targets } satisfies ToWorker);
  }

  async firstRound(deadlineMs: number): Promise<void> {
    const id = this.nextRound++;
    // The deadline counts from the prober being loaded; loading itself is bounded too. This timer
    // is not unref'd: at start-up (no socket open yet, the prober unref'd) it is all that keeps
    // the server's process alive while the prober loads.
    let startup: NodeJS.Timeout | undefined;
    await Promise.race([this.ready, new Promise((r) => { startup = setTimeout(r, STARTUP_MAX_MS); })]);
    clearTimeout(startup);
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.rounds.delete(id); resolve(); }, deadlineMs + 500);
      this.rounds.set(id, () => { clearTimeout(timer); resolve(); });
      this.send({ kind: "firstRound", id, deadlineMs } satisfies ToWorker);
    });
  }

  /** The targets now (the status API maps them to origins). */
  current(): readonly Target[] {
    return this.targets;
  }

  /**
   * What the prober has counted (results, last result per target, durations), for the status API;
   * null when it does not answer within `timeoutMs` (busy at idle priority, restarting) or answers
   * for another generation of targets.
   */
  stats(timeoutMs: number): Promise<{ targets: readonly Target[]; stats: ProbeStats } | null> {
    const id = this.nextAsk++;
    const targets = this.targets;
    const generation = this.generation;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.asked.delete(id); resolve(null); }, timeoutMs);
      this.asked.set(id, (s) => { clearTimeout(timer); resolve(s.generation === generation && this.targets === targets ? { targets, stats: s } : null); });
      if (!this.worker.connected) { clearTimeout(timer); this.asked.delete(id); resolve(null); return; }
      this.send({ kind: "stats", id } satisfies ToWorker);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
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
