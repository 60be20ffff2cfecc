// What the status page shows, as one JSON object (GET /api/v1/status; the page at / renders the same
// object on the server for its first view, and again in the browser every few seconds): every load
// balancer with its pools in order and their health, each origin's state and RTT, the last state
// changes, and for each of the 13 regions the pool that region gets now. The region column is the
// real steer() with the live health and overrides, for a client placed in that region only (a
// representative point in it for proximity; no country, so country_pools do not apply).

import type { Balancing, HealthView, LoadBalancer } from "../balancing/model.js";
import { policyOf } from "../balancing/policies/index.js";
import { steer } from "../balancing/steer.js";
import { FixedLocator, regionPlace } from "../locate/locate.js";
import { REGION_CODES, REGION_POINTS, regionName, type RegionCode } from "../locate/regions.js";
// Kept importable from here (it moved to locate/regions.ts: the vote's nearest region reads it too).
export { REGION_POINTS };
import type { StateChange, StateName } from "./health.js";
import type { StatusHub } from "./hub.js";


/** The resolver address steering sees for a region's client (TEST-NET-1: rules on ip.src see no real network). */
export const REGION_CLIENT = "192.0.2.1";
/** State changes the page lists, newest first. */
export const EVENTS_SHOWN = 20;

export interface OriginView {
  readonly origin: string;
  readonly address: string;
  readonly enabled: boolean;
  readonly state: StateName;
  readonly forced: "up" | "down" | null;
  readonly rtt_ms: number | null;
  readonly last_probe: string | null;
  readonly since: string;
}

export interface PoolView {
  readonly pool: string;
  readonly enabled: boolean;
  readonly state: StateName;
  readonly forced: "up" | "down" | null;
  readonly healthy: boolean;
  readonly origins_up: number;
  readonly minimum_origins: number;
  readonly monitor: string | null;
  readonly rtt_ms: number | null;
  readonly since: string;
  readonly origins: readonly OriginView[];
}

export interface RegionView {
  readonly region: RegionCode;
  readonly name: string;
  /** The pool answering A for a client of this region now (null: none can). */
  readonly pool: string | null;
  /** Health ignored: the fallback pool answers. */
  readonly fallback: boolean;
  readonly reason: string;
}

export interface BalancerView {
  readonly zone: string;
  readonly name: string;
  readonly policy: string;
  /** Pools in the order the load balancer lists them: default_pools, then region_pools and country_pools entries not in it, then the fallback pool. */
  readonly pools: readonly string[];
  readonly default_pools: readonly string[];
  readonly fallback_pool: string;
  readonly region_pools: Readonly<Record<string, readonly string[]>>;
  readonly country_pools: Readonly<Record<string, readonly string[]>>;
  readonly regions: readonly RegionView[];
}

export interface StatusSnapshot {
  readonly generated_at: string;
  readonly ready: boolean;
  readonly unknown_health: "up" | "down";
  readonly load_balancers: readonly BalancerView[];
  /** By zone, then pool name. */
  readonly pools: Readonly<Record<string, Readonly<Record<string, PoolView>>>>;
  /** The last state changes, newest first. */
  readonly events: readonly StateChange[];
}

/** The snapshot, or null while the configuration is not loaded yet. */
export async function statusSnapshot(hub: StatusHub): Promise<StatusSnapshot | null> {
  const control = hub.control, tracker = hub.tracker;
  if (control === null || tracker === null) return null;
  await hub.refreshProbes();
  const iso = (ms: number) => new Date(ms).toISOString();
  const balancers: BalancerView[] = [];
  const pools: Record<string, Record<string, PoolView>> = {};
  for (const [zone, b] of control.current().balancing) {
    const view = control.health.view(b);
    const byName: Record<string, PoolView> = {};
    for (const pool of b.poolList) {
      const p = tracker.poolStatus(b, pool);
      byName[pool.name] = {
        pool: pool.name, enabled: pool.enabled, state: p.state, forced: p.forced, healthy: p.healthy, origins_up: p.originsUp,
        minimum_origins: pool.minimumOrigins, monitor: pool.monitor, rtt_ms: round(view.poolRtt(pool)), since: iso(p.since),
        origins: pool.origins.map((o) => {
          const s = tracker.originStatus(b, pool, o);
          const last = hub.probes.lastOf(o.key);
          return {
            origin: o.name, address: o.address, enabled: o.enabled, state: s.state, forced: s.forced,
            rtt_ms: round(control.health.originRtt(pool.key, o.name)), last_probe: last === undefined ? null : last.reason, since: iso(s.since),
          };
        }),
      };
    }
    pools[zone] = byName;
    for (const lb of b.balancers.values()) balancers.push(balancerView(zone, b, lb, view));
  }
  return {
    generated_at: new Date().toISOString(), ready: hub.readiness().ready, unknown_health: control.health.unknownPolicy,
    load_balancers: balancers, pools, events: hub.events.recent(0, EVENTS_SHOWN).reverse(),
  };
}

function balancerView(zone: string, b: Balancing, lb: LoadBalancer, health: HealthView): BalancerView {
  const fallback = lb.fallbackPool ?? lb.defaultPools[lb.defaultPools.length - 1]!;
  const order: string[] = [];
  const add = (names: readonly string[]) => { for (const n of names) if (!order.includes(n)) order.push(n); };
  add(lb.defaultPools);
  for (const names of lb.regionPools.values()) add(names);
  for (const names of lb.countryPools.values()) add(names);
  add([fallback]);
  const regions = REGION_CODES.map((region): RegionView => {
    const point = REGION_POINTS[region];
    const { explanation } = steer(b, lb.name, { family: "A", qname: lb.name, owner: lb.name, resolver: REGION_CLIENT, ecs: null }, {
      health, locator: new FixedLocator(regionPlace(region, point.latitude, point.longitude)), random: Math.random,
    });
    const decision = explanation.pool;
    return { region, name: regionName(region), pool: decision.pool?.name ?? null, fallback: decision.fallback, reason: decision.reason };
  });
  return {
    zone, name: lb.name, policy: policyOf(lb), pools: order, default_pools: lb.defaultPools, fallback_pool: fallback,
    region_pools: Object.fromEntries(lb.regionPools), country_pools: Object.fromEntries(lb.countryPools), regions,
  };
}

function round(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 100) / 100;
}
