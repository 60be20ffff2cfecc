// The health table: origin states (up, down, unknown), RTT averages and operator overrides, kept
// in arrays indexed by slot. It owns the slots: a key ("zone/pool/origin", "zone/pool") gets one
// the first time the table sees it and keeps it for the life of the process, so a reload finds the
// same states. Steering reads it through a HealthView bound to one zone's Balancing, which maps the
// Balancing's dense indexes to slots once, so a query does array reads, not string lookups
// (measured: string-keyed hits were 7% of the DNS process's CPU under scripts/scale).
//
// Writers get narrow interfaces: the prober a HealthSink (by slot), the override manager
// setOverrides. A pool is healthy while at least minimum_origins of its enabled origins are up;
// an origin of an unmonitored pool counts as up (Cloudflare: health is not considered).

import type { Balancing, HealthView, Origin, Pool } from "../balancing/model.js";
import { REGION_CODES, type RegionCode } from "../locate/regions.js";

export type OriginState = "up" | "down" | "unknown";

/** An operator's override (zones/_overrides.json): forced up, down, or drained (healthy, no new traffic). */
export type OverrideState = "up" | "down" | "drain";

/**
 * How an origin nobody has checked yet counts. "up" (default): a cold start answers from the
 * configured pools rather than nothing; the monitors run a first round before answering.
 */
export type UnknownPolicy = "up" | "down";

/** State codes as stored (and as the prober sends them: probe/channel.ts). */
export const STATE_CODES: readonly OriginState[] = ["unknown", "up", "down"];
const UNKNOWN = 0, UP = 1;
/** Override codes as stored: none, up, down, drain. */
const OVERRIDE_CODES = { up: 1, down: 2, drain: 3 } as const;
/** By code: the override's name (the codes above, reversed). */
const OVERRIDE_NAMES: (OverrideState | undefined)[] = [];
for (const [name, code] of Object.entries(OVERRIDE_CODES)) OVERRIDE_NAMES[code] = name as OverrideState;
const NO_OVERRIDE = 0, FORCED_UP = 1, FORCED_DOWN = 2, DRAINED = 3;

/** What the prober writes, by slot. */
export interface HealthSink {
  stateAt(slot: number): OriginState;
  setState(slot: number, state: OriginState): void;
  setOriginRtt(slot: number, ms: number): void;
  setPoolRtt(slot: number, ms: number): void;
}

/** Keys to slots, for whoever names targets (the prober's targets, overrides). */
export interface SlotResolver {
  slotOf(key: string): number;
}

/**
 * One slot's health as sent to answering workers (server/cluster.ts): key, state code, RTTs (NaN:
 * none), and a pool's RTT by client region (REGION_CODES order; null: none; gslb serve --etcd).
 */
export type SlotHealth = readonly [key: string, state: number, originRtt: number, poolRtt: number, regional?: readonly number[] | null];

/** A region's index in REGION_CODES (regional RTT arrays are in that order). */
const REGION_INDEX = new Map<RegionCode, number>(REGION_CODES.map((r, i) => [r, i]));

export class HealthTable implements HealthSink, SlotResolver {
  private readonly slots = new Map<string, number>();
  /** By slot: its key (to send changes to processes whose slots differ). */
  private readonly keys: string[] = [];
  /** Slots changed since the last drainChanges(), when someone follows the table; null: nobody does. */
  private dirty: Set<number> | null = null;
  /** By slot: a STATE_CODES index. */
  private states = new Uint8Array(1024);
  /** By slot: an override code. */
  private overrideCodes = new Uint8Array(1024);
  private overrideCount = 0;
  /** By origin slot and by pool slot: RTT averages in ms, NaN = none yet. */
  private rtts = new Float64Array(1024).fill(NaN);
  private poolRtts = new Float64Array(1024).fill(NaN);
  /** By pool slot: the pool's RTT as measured from each client region (several instances only). */
  private readonly regionalRtts = new Map<number, Float64Array>();
  private readonly views = new WeakMap<Balancing, HealthView>();
  /** Bumped whenever a state or an override changes (the status side's sweep looks for anything it missed). */
  version = 0;
  /**
   * Per zone (a key's first part; zoneOf gives its number), bumped when a state or an override
   * changes, and when a pool's RTT average does: answers reused across queries (query/answers.ts)
   * are valid while their zone's have not moved, so a change in one zone leaves the others' kept
   * answers valid. Read through the table: the arrays grow.
   */
  zoneVersions = new Float64Array(64);
  zoneRttVersions = new Float64Array(64);
  private readonly zoneIds = new Map<string, number>();
  /** By slot: its zone's number. */
  private slotZone = new Int32Array(1024);
  /** Bumped on every setOverrides (answering workers are sent the new set). */
  overridesVersion = 0;

  constructor(readonly unknownPolicy: UnknownPolicy = "up") {}

  slotOf(key: string): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      this.slots.set(key, (slot = this.slots.size));
      this.keys.push(key);
      if (slot >= this.states.length) {
        this.states = grow(this.states, slot, 0);
        this.overrideCodes = grow(this.overrideCodes, slot, 0);
        this.rtts = grow(this.rtts, slot, NaN);
        this.poolRtts = grow(this.poolRtts, slot, NaN);
        this.slotZone = grow(this.slotZone, slot, 0);
      }
      const cut = key.indexOf("/");
      this.slotZone[slot] = this.zoneOf(cut < 0 ? key : key.slice(0, cut));
    }
    return slot;
  }

  /** A zone's number, for zoneVersions (the zone's origin, as in its keys). */
  zoneOf(zone: string): number {
    let id = this.zoneIds.get(zone);
    if (id === undefined) {
      this.zoneIds.set(zone, (id = this.zoneIds.size));
      if (id >= this.zoneVersions.length) {
        this.zoneVersions = grow(this.zoneVersions, id, 0);
        this.zoneRttVersions = grow(this.zoneRttVersions, id, 0);
      }
    }
    return id;
  }

  /** Steering's view of one zone's Balancing (made once per Balancing, on first use or by bind at load). */
  view(b: Balancing): HealthView {
    let v = this.views.get(b);
    if (v === undefined) this.views.set(b, (v = this.makeView(b)));
    return v;
  }

  /** Give every pool and origin of these Balancings its slot now, at load, not on a query. */
  bind(all: Iterable<Balancing>): void {
    for (const b of all) this.view(b);
  }

  // ------------------------------------------------------------------ writers

  stateAt(slot: number): OriginState {
    return STATE_CODES[this.states[slot] ?? UNKNOWN]!;
  }

  setState(slot: number, state: OriginState): void {
    const code = STATE_CODES.indexOf(state);
    if (this.states[slot] === code) return;
    this.states[slot] = code;
    this.version++;
    this.zoneVersions[this.slotZone[slot]!]!++;
    this.dirty?.add(slot);
  }

  setOriginRtt(slot: number, ms: number): void {
    if (this.rtts[slot] === ms) return;
    this.rtts[slot] = ms;
    this.dirty?.add(slot);
  }

  setPoolRtt(slot: number, ms: number): void {
    if (this.poolRtts[slot] === ms) return;
    this.poolRtts[slot] = ms;
    this.zoneRttVersions[this.slotZone[slot]!]!++;
    this.dirty?.add(slot);
  }

  /** A pool's RTT by client region (REGION_CODES order, NaN: none), or null to forget them (peers/health.ts). */
  setPoolRegionalRtt(slot: number, byRegion: readonly number[] | null): void {
    const before = this.regionalRtts.get(slot);
    if (byRegion === null) {
      if (before === undefined) return;
      this.regionalRtts.delete(slot);
    } else {
      if (before !== undefined && before.every((v, i) => Object.is(v, byRegion[i]))) return;
      this.regionalRtts.set(slot, Float64Array.from(byRegion));
    }
    this.zoneRttVersions[this.slotZone[slot]!]!++;
    this.dirty?.add(slot);
  }

  /** Replace the active overrides, keyed "zone/pool" or "zone/pool/origin" (the override manager calls this whenever a window opens or closes). */
  setOverrides(active: ReadonlyMap<string, OverrideState>): void {
    this.overrideCodes.fill(NO_OVERRIDE);
    for (const [key, state] of active) this.overrideCodes[this.slotOf(key)] = OVERRIDE_CODES[state];
    this.overrideCount = active.size;
    this.version++;
    // Every zone: overrides change seldom, and working out which zones they touch is not worth it.
    for (let z = 0; z < this.zoneVersions.length; z++) this.zoneVersions[z]!++;
    this.overridesVersion++;
  }

  /** Active overrides by key (to send to answering workers). */
  overrides(): [string, OverrideState][] {
    const out: [string, OverrideState][] = [];
    if (this.overrideCount > 0) for (let slot = 0; slot < this.keys.length; slot++) {
      const name = OVERRIDE_NAMES[this.overrideCodes[slot]!];
      if (name !== undefined) out.push([this.keys[slot]!, name]);
    }
    return out;
  }

  // ------------------------------------------------------------------ mirroring (answering workers)

  /** Every slot's health, and from now on track changes for drainChanges() (pending ones are kept: other followers still need them). */
  snapshot(): SlotHealth[] {
    this.dirty ??= new Set();
    return this.keys.map((key, slot) => [key, this.states[slot]!, this.rtts[slot]!, this.poolRtts[slot]!, this.regionalOf(slot)]);
  }

  /** Slots changed since the snapshot or the last drain. */
  drainChanges(): SlotHealth[] {
    if (this.dirty === null || this.dirty.size === 0) return [];
    const out: SlotHealth[] = [];
    for (const slot of this.dirty) out.push([this.keys[slot]!, this.states[slot]!, this.rtts[slot]!, this.poolRtts[slot]!, this.regionalOf(slot)]);
    this.dirty.clear();
    return out;
  }

  /** Apply another table's snapshot or changes (by key: slots differ between processes). */
  apply(changes: readonly SlotHealth[]): void {
    for (const [key, state, rtt, poolRtt, regional] of changes) {
      const slot = this.slotOf(key);
      this.setState(slot, STATE_CODES[state] ?? "unknown");
      this.setOriginRtt(slot, rtt);
      if (!(Number.isNaN(poolRtt) && Number.isNaN(this.poolRtts[slot]!))) this.setPoolRtt(slot, poolRtt);
      this.setPoolRegionalRtt(slot, regional ?? null);
    }
  }

  private regionalOf(slot: number): number[] | null {
    const a = this.regionalRtts.get(slot);
    return a === undefined ? null : [...a];
  }

  /** A pool's RTT for clients of a region (tools and the status API), null when there is none. */
  poolRegionalRtt(poolKey: string): Partial<Record<RegionCode, number>> | null {
    const slot = this.slots.get(poolKey);
    const a = slot === undefined ? undefined : this.regionalRtts.get(slot);
    if (a === undefined) return null;
    const out: Partial<Record<RegionCode, number>> = {};
    REGION_CODES.forEach((r, i) => { if (!Number.isNaN(a[i]!)) out[r] = a[i]!; });
    return out;
  }

  // ------------------------------------------------------------------ readers by key (tools, tests)

  /** Tests and `gslb health` write by key: `pool` is "zone/pool". */
  set(pool: string, origin: string, state: OriginState): void {
    this.setState(this.slotOf(`${pool}/${origin}`), state);
  }

  state(pool: string, origin: string): OriginState {
    const slot = this.slots.get(`${pool}/${origin}`);
    return slot === undefined ? "unknown" : this.stateAt(slot);
  }

  /** An origin's RTT average by its slot (slotOf(its key)); null: none yet. */
  originRttAt(slot: number): number | null {
    const ms = this.rtts[slot];
    return ms === undefined || Number.isNaN(ms) ? null : ms;
  }

  originRtt(pool: string, origin: string): number | null {
    const slot = this.slots.get(`${pool}/${origin}`);
    return slot === undefined ? null : this.originRttAt(slot);
  }

  private makeView(b: Balancing): HealthView {
    const originSlots = Int32Array.from(b.origins, (o) => this.slotOf(o.key));
    const poolSlots = Int32Array.from(b.poolList, (p) => this.slotOf(p.key));
    // Arrays may grow (new slots): read them through the table each time, never keep a reference.
    const table = this;
    const override = (slot: number) => (table.overrideCount > 0 ? table.overrideCodes[slot]! : NO_OVERRIDE);
    // Overrides: "down" forces down; "up" forces up (a pool forced up counts its origins up unless
    // they have overrides of their own); "drain" keeps the monitor's verdict and only ranks last.
    const originUp = (pool: Pool, o: Origin): boolean => {
      const slot = originSlots[o.index]!;
      const own = override(slot);
      if (own === FORCED_UP) return true;
      if (own === FORCED_DOWN) return false;
      if (own === NO_OVERRIDE && override(poolSlots[pool.index]!) === FORCED_UP) return true;
      if (pool.monitor === null) return true;
      const s = table.states[slot]!;
      return s === UP || (s === UNKNOWN && table.unknownPolicy === "up");
    };
    return {
      originUp,
      originDrained: (o) => override(originSlots[o.index]!) === DRAINED,
      poolHealthy(pool) {
        if (!pool.enabled) return false;
        const forced = override(poolSlots[pool.index]!);
        if (forced === FORCED_UP) return true;
        if (forced === FORCED_DOWN) return false;
        let up = 0;
        for (const o of pool.origins) if (o.enabled && originUp(pool, o)) up++;
        return up >= pool.minimumOrigins;
      },
      poolDrained: (pool) => override(poolSlots[pool.index]!) === DRAINED,
      poolRtt(pool) {
        const ms = table.poolRtts[poolSlots[pool.index]!]!;
        return Number.isNaN(ms) ? null : ms;
      },
      poolRttIn(pool, region) {
        if (table.regionalRtts.size === 0) return null;
        const ms = table.regionalRtts.get(poolSlots[pool.index]!)?.[REGION_INDEX.get(region)!];
        return ms === undefined || Number.isNaN(ms) ? null : ms;
      },
    };
  }
}

/** A copy of `a` large enough for index `slot`, new entries set to `fill`. */
function grow<T extends Uint8Array | Int32Array | Float64Array>(a: T, slot: number, fill: number): T {
  const next = new (a.constructor as new (n: number) => T)(Math.max(slot + 1, a.length * 2));
  next.fill(fill);
  next.set(a);
  return next;
}
