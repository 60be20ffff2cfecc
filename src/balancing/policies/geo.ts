// geo: the pools mapped to the answering instance's point of presence (pop_pools, gslb serve
// --pop), else to the client's country (country_pools), else to its region (region_pools), else
// default_pools: only the most specific mapping that exists is walked, in
// failover order. When all its pools are down the fallback pool answers, not default_pools, as
// Cloudflare does ("If all of the Pools in a specified region are unhealthy, then we will use the
// fallback_pool"; default_pools serve locations with no mapping). See docs/decisions.md.

import type { Client, SteeringBase } from "../pool.js";
import type { Policy, PoolList } from "./policy.js";
import { site } from "../site.js";

export const geo: Policy = {
  // With no geo map every client walks default_pools: the answer does not depend on location.
  usesLocation: (lb) => lb.regionPools.size > 0 || lb.countryPools.size > 0,
  // The mapping the client falls in decides (the same walk as lists): countries and regions
  // without a mapping of their own are one class, so 10,000 load balancers need few answers each.
  // A number (the entry's interned code, its kind, the bits): no string is built per query.
  locationClass(lb, l) {
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
