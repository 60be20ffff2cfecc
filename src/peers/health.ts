// Health by vote, in memory. The prober writes this instance's own verdicts here (it is the
// prober's HealthSink); other instances' verdicts arrive from etcd (etcd.ts); each origin's voted
// state (vote.ts, among the instances its pool's check_regions allow) goes into the health table,
// which steering reads as before. DNS never waits on any of it: a verdict arriving changes an array
// entry, as a transition from the prober does.
//
// Verdicts are per probe target (a target is what the prober probes once for every pool that uses
// it), named across instances by a digest of the target's key, so instances with the same zone files
// name the same targets alike. A pool's origins may have a vote of their own when pools that share
// a target have different check_regions: the vote is taken per origin slot.

import crypto from "node:crypto";
import type { Balancing } from "../balancing/model.js";
import type { HealthSink, HealthTable, OriginState } from "../health/table.js";
import { REGION_CODES, REGION_POINTS, type RegionCode } from "../locate/regions.js";
import { greatCircleKm } from "../balancing/policies/proximity.js";
import type { Target } from "../probe/scheduler.js";
import { vote, type Outcome, type Verdict } from "./vote.js";

/** A verdict as published: state, the last probe's reason, when (ms since the epoch, the writer's clock). */
export interface Published {
  readonly state: "up" | "down";
  readonly reason: string;
  readonly at: number;
}

/** A target's name across instances: a digest of its key (monitor settings + address + timing). */
export function targetId(target: Target): string {
  return crypto.createHash("sha256").update(target.key).digest("base64url").slice(0, 22);
}

interface SlotInfo {
  readonly id: string;
  readonly originKey: string;
  readonly allowed: ReadonlySet<RegionCode> | null;
}

/** For each region, every region nearest first (itself first): where a region without measurements borrows them. */
const NEAREST: ReadonlyMap<RegionCode, readonly RegionCode[]> = new Map(REGION_CODES.map((r) => {
  const p = REGION_POINTS[r];
  return [r, [...REGION_CODES].sort((a, b) => greatCircleKm(p.latitude, p.longitude, REGION_POINTS[a].latitude, REGION_POINTS[a].longitude) - greatCircleKm(p.latitude, p.longitude, REGION_POINTS[b].latitude, REGION_POINTS[b].longitude))];
}));

/** Regional pool RTTs are recomputed at most this often (they steer dynamic_latency, which moves slowly). */
const REGIONAL_EVERY_MS = 2000;

export interface VoteEvents {
  /** This instance's own verdict on a target changed (publish it). */
  ownChanged(id: string): void;
  /** Voted states changed for these origins ("zone/pool/origin"), and why. */
  votedChanged(originKeys: readonly string[], reason: string): void;
}

export class VotedHealth implements HealthSink {
  /** By slot: this instance's own verdict (what its prober says). */
  private readonly own = new Map<number, OriginState>();
  /** By target id: the last reason this instance's prober gave. */
  private readonly reasons = new Map<string, string>();
  private slots = new Map<number, SlotInfo>();
  private byId = new Map<string, number[]>();
  /** By target id: other instances' fresh verdicts, by instance. */
  private readonly remote = new Map<string, Map<string, Published>>();
  /** Other instances' regions (from their instance records). */
  private readonly regions = new Map<string, RegionCode | null>();
  /** false while etcd is unreachable: own verdicts only. */
  private useRemote = false;
  /** By target id: this instance's RTT average (ms). */
  private readonly ownRtt = new Map<string, number>();
  /** By instance: its published RTT averages, by chunk (etcd.ts) and merged by target id. */
  private readonly remoteRttChunks = new Map<string, Map<number, Readonly<Record<string, number>>>>();
  private readonly remoteRtt = new Map<string, Map<string, number>>();
  /** By pool key: its slot and the target ids of its origins. */
  private pools = new Map<string, { slot: number; ids: string[] }>();
  private rttDirty = false;
  private readonly regionalTimer: NodeJS.Timeout;

  constructor(private readonly table: HealthTable, readonly instance: string, readonly region: RegionCode | null, private readonly events: VoteEvents) {
    this.regionalTimer = setInterval(() => { if (this.rttDirty) this.regional(); }, REGIONAL_EVERY_MS);
    this.regionalTimer.unref();
  }

  stop(): void {
    clearInterval(this.regionalTimer);
  }

  // ------------------------------------------------------------------ the prober's side (HealthSink)

  stateAt(slot: number): OriginState {
    return this.own.get(slot) ?? "unknown";
  }

  setState(slot: number, state: OriginState): void {
    const before = this.own.get(slot) ?? "unknown";
    if (before === state) return;
    this.own.set(slot, state);
    const info = this.slots.get(slot);
    if (info === undefined) { this.table.setState(slot, state); return; }
    // Several subscriber slots of one target change together: publish once, when the first moves.
    if (this.byId.get(info.id)?.[0] === slot) this.events.ownChanged(info.id);
    this.decide([slot], `this instance's verdict: ${state}`);
  }

  setOriginRtt(slot: number, ms: number): void {
    this.table.setOriginRtt(slot, ms);
    const info = this.slots.get(slot);
    if (info === undefined || this.byId.get(info.id)?.[0] !== slot) return;
    if (Number.isNaN(ms)) this.ownRtt.delete(info.id); else this.ownRtt.set(info.id, ms);
    this.rttDirty = true;
  }

  /** This instance's RTT averages by target id (published by etcd.ts at a bounded rate). */
  ownRtts(): ReadonlyMap<string, number> {
    return this.ownRtt;
  }

  /** One chunk of an instance's published RTT averages (null: withdrawn). */
  setRemoteRtt(instance: string, chunk: number, data: Readonly<Record<string, number>> | null): void {
    if (instance === this.instance) return;
    let chunks = this.remoteRttChunks.get(instance);
    if (data === null) chunks?.delete(chunk);
    else {
      if (chunks === undefined) this.remoteRttChunks.set(instance, (chunks = new Map()));
      chunks.set(chunk, data);
    }
    const merged = new Map<string, number>();
    for (const c of chunks?.values() ?? []) for (const [id, ms] of Object.entries(c)) if (typeof ms === "number" && Number.isFinite(ms)) merged.set(id, ms);
    if (merged.size === 0) { this.remoteRtt.delete(instance); this.remoteRttChunks.delete(instance); } else this.remoteRtt.set(instance, merged);
    this.rttDirty = true;
  }

  /**
   * Each pool's RTT for clients of each region: the mean of what the instances probing from that
   * region measured on its origins, else the nearest region's (REGION_POINTS); none while etcd is
   * unreachable or nobody measured (dynamic_latency then reads this instance's own figure).
   */
  private regional(): void {
    this.rttDirty = false;
    const byRegion = new Map<RegionCode, ReadonlyMap<string, number>[]>();
    const add = (region: RegionCode | null, rtts: ReadonlyMap<string, number>) => {
      if (region === null || rtts.size === 0) return;
      const list = byRegion.get(region) ?? [];
      list.push(rtts);
      byRegion.set(region, list);
    };
    if (this.useRemote) {
      add(this.region, this.ownRtt);
      for (const [instance, rtts] of this.remoteRtt) add(this.regions.get(instance) ?? null, rtts);
    }
    for (const { slot, ids } of this.pools.values()) {
      const measured = new Map<RegionCode, number>();
      for (const [region, lists] of byRegion) {
        let sum = 0, n = 0;
        for (const rtts of lists) for (const id of ids) { const ms = rtts.get(id); if (ms !== undefined) { sum += ms; n++; } }
        if (n > 0) measured.set(region, sum / n);
      }
      if (measured.size === 0) { this.table.setPoolRegionalRtt(slot, null); continue; }
      this.table.setPoolRegionalRtt(slot, REGION_CODES.map((r) => {
        for (const near of NEAREST.get(r)!) { const ms = measured.get(near); if (ms !== undefined) return ms; }
        return NaN;
      }));
    }
  }

  setPoolRtt(slot: number, ms: number): void {
    this.table.setPoolRtt(slot, ms);
  }

  /** The prober's reason for a transition (for what is published). */
  noteReason(target: Target, reason: string): void {
    this.reasons.set(targetId(target), reason);
  }

  // ------------------------------------------------------------------ configuration

  /** The prober's targets now (at start and on every reload), and the pools' check_regions. */
  setTargets(targets: readonly Target[], balancing: ReadonlyMap<string, Balancing>): void {
    const allowedOf = new Map<string, ReadonlySet<RegionCode> | null>();
    for (const b of balancing.values()) for (const p of b.poolList) allowedOf.set(p.key, p.checkRegions);
    this.slots = new Map();
    this.byId = new Map();
    const before = this.pools;
    this.pools = new Map();
    for (const t of targets) {
      const id = targetId(t);
      const list: number[] = [];
      for (const s of t.subscribers) {
        const pool = this.pools.get(s.pool) ?? { slot: s.poolSlot, ids: [] };
        if (!pool.ids.includes(id)) pool.ids.push(id);
        this.pools.set(s.pool, pool);
        this.slots.set(s.slot, { id, originKey: `${s.pool}/${s.origin}`, allowed: allowedOf.get(s.pool) ?? null });
        list.push(s.slot);
      }
      this.byId.set(id, list);
    }
    // Pools no longer probed steer by no regional figure.
    for (const [key, p] of before) if (!this.pools.has(key)) this.table.setPoolRegionalRtt(p.slot, null);
    this.rttDirty = true;
    this.decide([...this.slots.keys()], "configuration reloaded");
  }

  /** Target ids probed now. */
  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  /** This instance's verdict on a target, as published (null: not checked yet). */
  ownVerdict(id: string): Published | null {
    const slot = this.byId.get(id)?.[0];
    const state = slot === undefined ? undefined : this.own.get(slot);
    if (state !== "up" && state !== "down") return null;
    return { state, reason: this.reasons.get(id) ?? "", at: Date.now() };
  }

  // ------------------------------------------------------------------ other instances (etcd.ts)

  /** Whether other instances' verdicts count (false: etcd unreachable, own verdicts only). */
  setUseRemote(on: boolean, reason: string): void {
    if (this.useRemote === on) return;
    this.useRemote = on;
    this.rttDirty = true;
    this.decide([...this.slots.keys()], reason);
  }

  setRegion(instance: string, region: RegionCode | null): void {
    if (instance === this.instance || this.regions.get(instance) === region) return;
    this.regions.set(instance, region);
    this.rttDirty = true;
    if (this.useRemote) this.decide([...this.slots.keys()], `instance ${instance} is in region ${region ?? "(none)"}`);
  }

  /** One instance's verdict on a target (null: withdrawn: its lease expired, or the target went). */
  setRemote(instance: string, id: string, verdict: Published | null): void {
    if (instance === this.instance) return;
    let byInstance = this.remote.get(id);
    if (verdict === null) {
      if (byInstance?.delete(instance) !== true) return;
      if (byInstance.size === 0) this.remote.delete(id);
    } else {
      if (byInstance === undefined) this.remote.set(id, (byInstance = new Map()));
      const before = byInstance.get(instance);
      byInstance.set(instance, verdict);
      if (before?.state === verdict.state) return;
    }
    if (this.useRemote) this.decide(this.byId.get(id) ?? [], verdict === null ? `instance ${instance}'s verdict withdrawn` : `instance ${instance} says ${verdict.state}: ${verdict.reason}`);
  }

  /** Every verdict of an instance goes (its instance record expired). */
  dropInstance(instance: string): void {
    const touched: number[] = [];
    for (const [id, byInstance] of this.remote) {
      if (!byInstance.delete(instance)) continue;
      if (byInstance.size === 0) this.remote.delete(id);
      touched.push(...(this.byId.get(id) ?? []));
    }
    this.regions.delete(instance);
    if (this.remoteRtt.delete(instance) || this.remoteRttChunks.delete(instance)) this.rttDirty = true;
    if (this.useRemote && touched.length > 0) this.decide(touched, `instance ${instance} gone: its verdicts expired`);
  }

  /** Forget every other instance's RTT averages (a full re-read from etcd follows). */
  clearRemoteRtt(): void {
    this.remoteRtt.clear();
    this.remoteRttChunks.clear();
    this.rttDirty = true;
  }

  /** Every other instance's region and verdicts as a full read of etcd found them, applied in one step. */
  replaceRemote(regions: ReadonlyMap<string, RegionCode | null>, verdicts: readonly (readonly [instance: string, id: string, verdict: Published])[]): void {
    this.regions.clear();
    for (const [instance, region] of regions) if (instance !== this.instance) this.regions.set(instance, region);
    this.remote.clear();
    for (const [instance, id, v] of verdicts) {
      if (instance === this.instance) continue;
      let byInstance = this.remote.get(id);
      if (byInstance === undefined) this.remote.set(id, (byInstance = new Map()));
      byInstance.set(instance, v);
    }
    this.rttDirty = true;
    if (this.useRemote) this.decide([...this.slots.keys()], "everyone's verdicts read again from etcd");
  }

  // ------------------------------------------------------------------ reading (status API)

  /** Every instance's verdict on an origin's target, this one's first, and the vote over them. */
  verdictsOf(originKey: string, slot: number): { verdicts: (Verdict & { reason: string; rttMs: number | null; counted: boolean })[]; outcome: Outcome; basis: "vote" | "own" } | null {
    const info = this.slots.get(slot);
    if (info === undefined || info.originKey !== originKey) return null;
    const all = this.ballot(info);
    const outcome = vote(all, info.allowed);
    return {
      verdicts: all.map((v) => ({ ...v, counted: info.allowed === null || (v.region !== null && info.allowed.has(v.region)) })),
      outcome,
      basis: this.useRemote && outcome.state !== null ? "vote" : "own",
    };
  }

  // ------------------------------------------------------------------ the vote

  private ballot(info: SlotInfo): (Verdict & { reason: string; rttMs: number | null })[] {
    const out: (Verdict & { reason: string; rttMs: number | null })[] = [];
    const slot = this.byId.get(info.id)?.[0];
    const own = slot === undefined ? undefined : this.own.get(slot);
    if (own === "up" || own === "down") out.push({ instance: this.instance, region: this.region, state: own, reason: this.reasons.get(info.id) ?? "", rttMs: this.ownRtt.get(info.id) ?? null });
    if (this.useRemote) {
      for (const [instance, v] of this.remote.get(info.id) ?? []) out.push({ instance, region: this.regions.get(instance) ?? null, state: v.state, reason: v.reason, rttMs: this.remoteRtt.get(instance)?.get(info.id) ?? null });
    }
    return out;
  }

  private decide(slots: Iterable<number>, reason: string): void {
    const changed: string[] = [];
    for (const slot of slots) {
      const info = this.slots.get(slot);
      if (info === undefined) continue;
      const own = this.own.get(slot) ?? "unknown";
      const outcome = this.useRemote ? vote(this.ballot(info), info.allowed) : null;
      // Nobody allowed has a verdict (or etcd is unreachable): this instance's own, as without etcd.
      const state: OriginState = outcome?.state ?? own;
      if (this.table.stateAt(slot) === state) continue;
      this.table.setState(slot, state);
      changed.push(info.originKey);
    }
    if (changed.length > 0) this.events.votedChanged(changed, reason);
  }
}
