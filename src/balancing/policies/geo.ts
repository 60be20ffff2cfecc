// geo: the pools mapped to the answering instance's point of presence (pop_pools, gslb serve
// --pop), else to the client's country (country_pools), else to its region (region_pools), else
// default_pools: only the most specific mapping that exists is walked, in
// failover order. When all its pools are down the fallback pool answers, not default_pools, as
// Cloudflare does ("If all of the Pools in a specified region are unhealthy, then we will use the
// fallback_pool"; default_pools serve locations with no mapping). See docs/decisions.md.

import { codeId, type Location } from "../../locate/locate.js";
import type { Client, SteeringBase } from "../pool.js";
import type { Policy, PoolList } from "./policy.js";
import { site } from "../site.js";

/** Tables by content (sorted codes), and by the pair of maps they were made for. */
const tables = new Map<string, Uint8Array>();
const byMaps = new WeakMap<object, WeakMap<object, Uint8Array>>();

/** SteeringBase.geoMapped for these maps: one shared array per set of codes. */
export function geoMapped(regionPools: ReadonlyMap<string, unknown>, countryPools: ReadonlyMap<string, unknown>): Uint8Array {
  let inner = byMaps.get(regionPools);
  if (inner === undefined) byMaps.set(regionPools, (inner = new WeakMap()));
  let t = inner.get(countryPools);
  if (t !== undefined) return t;
  const key = `${[...countryPools.keys()].sort().join(",")}|${[...regionPools.keys()].sort().join(",")}`;
  t = tables.get(key);
  if (t === undefined) {
    const marks: [number, number][] = [...[...countryPools.keys()].map((c): [number, number] => [codeId(c), 1]), ...[...regionPools.keys()].map((r): [number, number] => [codeId(r), 2])];
    t = new Uint8Array(Math.max(0, ...marks.map(([id]) => id)) + 1);
    for (const [id, bit] of marks) t[id]! |= bit;
    tables.set(key, t);
  }
  inner.set(countryPools, t);
  return t;
}

/**
 * geo's location class from a geoMapped table: the answer cache (query/answers.ts) calls this
 * directly with the table it kept, so classing a client reads no per-load-balancer object.
 */
export function geoClass(t: Uint8Array, l: Location): number {
  if (l.countryId < t.length && (t[l.countryId]! & 1) !== 0) return (l.countryId * 2 + 2) * 256 + l.bits;
  if (l.regionId < t.length && (t[l.regionId]! & 2) !== 0) return (l.regionId * 2 + 3) * 256 + l.bits;
  return l.bits;
}

export const geo: Policy = {
  // With no geo map every client walks default_pools: the answer does not depend on location.
  usesLocation: (lb) => lb.regionPools.size > 0 || lb.countryPools.size > 0,
  // The mapping the client falls in decides (the same walk as lists): countries and regions
  // without a mapping of their own are one class, so 10,000 load balancers need few answers each.
  // A number (the entry's interned code, its kind, the bits): no string is built per query.
  locationClass(lb, l) {
    const t = lb.geoMapped;
    if (t !== undefined) return geoClass(t, l);
    if (l.country !== null && lb.countryPools.has(l.country)) return (l.countryId * 2 + 2) * 256 + l.bits;
    if (l.region !== null && lb.regionPools.has(l.region)) return (l.regionId * 2 + 3) * 256 + l.bits;
    return l.bits;
  },
  lists(lb: SteeringBase, client: Client): readonly PoolList[] {
    // The instance's pop is the same for every client: it comes first and reads no location.
    const pop = site.pop;
    const byPop = pop !== null && lb.popPools.size > 0 ? lb.popPools.get(pop) : undefined;
    if (byPop !== undefined) return [{ label: `pop_pools[${pop}]`, names: byPop }];
    if (!geo.usesLocation(lb)) return [{ label: "default_pools", names: lb.defaultPools }];
    const { country, region } = client.location();
    const byCountry = country !== null ? lb.countryPools.get(country) : undefined;
    if (byCountry !== undefined) return [{ label: `country_pools[${country}]`, names: byCountry }];
    const byRegion = region !== null ? lb.regionPools.get(region) : undefined;
    if (byRegion !== undefined) return [{ label: `region_pools[${region}]`, names: byRegion }];
    return [{ label: "default_pools", names: lb.defaultPools }];
  },
  choose([list]) {
    const first = list?.pools[0];
    return first ? { pool: first, reason: `first healthy pool of ${list!.label}` } : null;
  },
};
