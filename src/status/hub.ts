// Everything the status API reads, in the process that loads the configuration and runs the prober
// (the primary with --workers N, else the one process): start-up progress (/readyz), the
// configuration's load state, the health tracker and its events, the prober's figures, and the
// answering side's counters. server/ fills it in as the server starts (control, then answering);
// the HTTP side (http.ts) only reads it, and writes overrides through the control it was given.

import type { DirLoad } from "../config/load.js";
import type { ConfigError } from "../problems/problems.js";
import type { HealthTable } from "../health/table.js";
import type { GeoProvider } from "../locate/geoip.js";
import type { ProbeStats } from "../probe/channel.js";
import type { Target } from "../probe/scheduler.js";
import type { CounterTotals } from "../query/counters.js";
import type { RrlStats } from "../query/rrl.js";
import type { TcpStats } from "../transport/tcp.js";
import type { ZoneSet } from "../zone/zoneset.js";
import type { EtcdPeers } from "../peers/etcd.js";
import type { VotedHealth } from "../peers/health.js";
import { EventLog } from "./events.js";
import { HealthTracker, type StateChange } from "./health.js";
import { ProbeFigures } from "./probes.js";

/** The control side, as the status API needs it. */
export interface ControlView {
  current(): DirLoad;
  /** The overrides file (zones/_overrides.json) the write endpoints edit. */
  readonly overridesFile: string;
  /** Read the overrides file again now (after a write); its problems, none when it was applied. */
  reloadOverrides(): readonly ConfigError[];
  readonly health: HealthTable;
  /** The other instances (gslb serve --etcd); null or absent: this instance is alone. */
  readonly peers?: { readonly etcd: EtcdPeers; readonly voted: VotedHealth } | null;
}

/** The prober, as the status API needs it (probe/thread.ts). */
export interface ProberView {
  current(): readonly Target[];
  stats(timeoutMs: number): Promise<{ targets: readonly Target[]; stats: ProbeStats } | null>;
}

/** What the answering processes have counted, summed (server/answering.ts, server/cluster.ts). */
export interface AnsweringFigures {
  /** null: counting is off (--no-metrics). */
  readonly counters: CounterTotals | null;
  readonly tcp: TcpStats;
  readonly rrl: RrlStats;
  /** Load-balanced answers reused from the answer cache, and kept in it. */
  readonly answers: { readonly reused: number; readonly kept: number };
  /** Answering processes now (workers, or 1). */
  readonly processes: number;
}

export interface AnsweringView {
  zones(): ZoneSet;
  /** The GeoIP provider explain locates with (the answering one, or loaded on first use). */
  geo(): Promise<GeoProvider | null>;
  gather(): Promise<AnsweringFigures>;
}

/** How long a scrape or a read waits for the prober, which runs at idle priority. */
const PROBER_WAIT_MS = 1000;

export class StatusHub {
  readonly events: EventLog<StateChange>;
  readonly probes = new ProbeFigures();
  readonly startedAt = Date.now();
  tracker: HealthTracker | null = null;
  health: HealthTable | null = null;
  control: ControlView | null = null;
  prober: ProberView | null = null;
  answering: AnsweringView | null = null;

  // Start-up, for /readyz.
  zonesLoaded = false;
  /** Targets of the first round of health checks (null: not started yet), and whether it is over. */
  firstRound: { readonly targets: readonly Target[]; done: boolean } | null = null;
  answeringUp = false;

  // The configuration's loads (metrics and /api/v1/zones).
  reloads = 0;
  reloadErrors = 0;
  lastLoadOk = true;
  lastLoadAt = 0;
  overrideErrors: readonly ConfigError[] = [];

  constructor(onListenerError: (err: unknown) => void = () => {}) {
    this.events = new EventLog<StateChange>(1000, onListenerError);
  }

  // ------------------------------------------------------------------ told by the control side

  /** The health table exists (control started). */
  attachHealth(health: HealthTable): void {
    this.health = health;
    this.tracker = new HealthTracker(health, this.events);
  }

  /** A load of the zones directory (the first, or a reload) and of the overrides beside it. */
  loaded(load: DirLoad, overrideErrors: readonly ConfigError[], reload: boolean): void {
    if (reload) this.reloads++;
    const ok = load.errors.length === 0 && overrideErrors.length === 0;
    if (reload && !ok) this.reloadErrors++;
    this.lastLoadOk = ok;
    this.lastLoadAt = Date.now();
    this.overrideErrors = overrideErrors;
    this.zonesLoaded = true;
    this.tracker?.setBalancing(load.balancing);
  }

  /** The prober says these origins ("zone/pool/origin") went from one state to another, and why. */
  transition(originKeys: readonly string[], reason: string): void {
    this.tracker?.transition(originKeys, reason);
  }

  overridesChanged(): void {
    this.tracker?.sync();
  }

  stop(): void {
    this.tracker?.stop();
  }

  // ------------------------------------------------------------------ read by the HTTP side

  /** What /readyz says: ready once the zones are loaded, the first round of checks is over and DNS is answered. */
  readiness(): { ready: boolean; waiting: string[]; healthChecks: { targets: number; decided: number; done: boolean } | null } {
    const waiting: string[] = [];
    if (!this.zonesLoaded) waiting.push("zones: not loaded yet");
    let healthChecks = null;
    if (this.firstRound !== null) {
      const decided = this.decided(this.firstRound.targets);
      healthChecks = { targets: this.firstRound.targets.length, decided, done: this.firstRound.done };
      if (!this.firstRound.done) waiting.push(`first round of health checks: ${decided} of ${this.firstRound.targets.length} targets have a result`);
    } else if (this.zonesLoaded) waiting.push("first round of health checks: not started yet");
    if (!this.answeringUp) waiting.push("DNS: sockets not answering yet");
    return { ready: waiting.length === 0, waiting, healthChecks };
  }

  /** Targets whose origins have a state from the prober. */
  private decided(targets: readonly Target[]): number {
    const health = this.health;
    if (health === null) return 0;
    let n = 0;
    for (const t of targets) if (t.subscribers.some((s) => health.stateAt(s.slot) !== "unknown")) n++;
    return n;
  }

  /** Ask the prober for its figures now (bounded wait); false when it did not answer (the last figures stand). */
  async refreshProbes(): Promise<boolean> {
    const got = await this.prober?.stats(PROBER_WAIT_MS);
    if (got === undefined || got === null) return false;
    this.probes.update(got.targets, got.stats);
    return true;
  }
}
