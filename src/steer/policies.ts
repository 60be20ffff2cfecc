// Pool steering policies: small pure functions of (load balancer, pools, health, client) that
// return the pool and the reason. When no pool qualifies, the fallback pool (health ignored).
// Semantics follow Cloudflare Load Balancing in DNS-only mode.

import type { HealthView, LoadBalancer, Pool, PoolConsidered, PoolDecision, SteeringPolicy, Client } from "./types.js";

type Pools = ReadonlyMap<string, Pool>;
type Policy = Exclude<SteeringPolicy, "">;

/** The policy in force: "" means geo when a geo map is set, else off. */
export function effectivePolicy(lb: LoadBalancer): Policy {
  if (lb.policy !== "") return lb.policy;
  return lb.regionPools.size > 0 || lb.countryPools.size > 0 ? "geo" : "off";
}

export function choosePool(lb: LoadBalancer, pools: Pools, health: HealthView, client: Client, random: () => number): PoolDecision {
  const policy = effectivePolicy(lb);
  const considered: PoolConsidered[] = [];
  const look = (names: readonly string[]): Pool[] => {
    const healthy: Pool[] = [];
    for (const name of names) {
      const pool = pools.get(name)!;
      const ok = health.poolHealthy(pool);
      // A drained pool stays healthy (it is not down) but takes no new traffic.
      const drained = ok && health.poolDrained(pool);
      considered.push(drained ? { pool: name, healthy: ok, drained } : { pool: name, healthy: ok });
      if (ok && !drained) healthy.push(pool);
    }
    return healthy;
  };
  // Geo with a map, and proximity, depend on where the client is for every outcome: a client
  // elsewhere could get another pool even when this one ends at default_pools or failover order.
  // Saying otherwise (ECS scope 0) would let a resolver serve this answer to every client.
  const usedLocation = (policy === "geo" && (lb.regionPools.size > 0 || lb.countryPools.size > 0)) || policy === "proximity";
  const done = (pool: Pool, reason: string): PoolDecision => ({ pool, policy, reason, considered, usedLocation, fallback: false });

  switch (policy) {
    case "off": {
      const [first] = look(lb.defaultPools);
      if (first) return done(first, "first healthy pool of default_pools (failover order)");
      break;
    }
    case "random":
    case "least_outstanding_requests":
    case "least_connections": {
      // DNS-only: Cloudflare steers these two like random, by weight.
      const pick = weightedPick(look(lb.defaultPools), (p) => lb.randomSteering.poolWeights.get(p.name) ?? lb.randomSteering.defaultWeight, random);
      if (pick) return done(pick, policy === "random" ? "healthy pool at random, by random_steering weights" : `${policy}: in DNS-only mode, random by weight (as Cloudflare)`);
      break;
    }
    case "geo": {
      const loc = client.location;
      const lists: [string, readonly string[] | undefined][] = [
        [`country_pools[${loc.country}]`, loc.country !== null ? lb.countryPools.get(loc.country) : undefined],
        [`region_pools[${loc.region}]`, loc.region !== null ? lb.regionPools.get(loc.region) : undefined],
        ["default_pools", lb.defaultPools],
      ];
      for (const [label, names] of lists) {
        if (names === undefined) continue;
        const [first] = look(names);
        if (first) return done(first, `first healthy pool of ${label}`);
      }
      break;
    }
    case "proximity": {
      const loc = client.location;
      const healthy = look(lb.defaultPools);
      if (loc.latitude === null || loc.longitude === null) {
        if (healthy[0]) return done(healthy[0], "client not locatable: failover order");
        break;
      }
      let best: Pool | null = null;
      let bestKm = Infinity;
      for (const p of healthy) {
        if (p.latitude === null || p.longitude === null) continue;
        const km = greatCircleKm(loc.latitude, loc.longitude, p.latitude, p.longitude);
        if (km < bestKm) { best = p; bestKm = km; }
      }
      if (best) return done(best, `nearest healthy pool (${Math.round(bestKm)} km)`);
      if (healthy[0]) return done(healthy[0], "no healthy pool has coordinates: failover order");
      break;
    }
    case "dynamic_latency": {
      const healthy = look(lb.defaultPools);
      let best: Pool | null = null;
      let bestRtt = Infinity;
      for (const p of healthy) {
        const rtt = health.poolRtt(p);
        if (rtt !== null && rtt < bestRtt) { best = p; bestRtt = rtt; }
      }
      if (best) return done(best, `lowest monitor RTT average (${bestRtt.toFixed(1)} ms)`);
      if (healthy[0]) return done(healthy[0], "no RTT data yet: failover order");
      break;
    }
  }

  // No pool qualifies: the fallback pool, whatever its health.
  const fallback = lb.fallbackPool !== null ? pools.get(lb.fallbackPool) ?? null : null;
  return { pool: fallback, policy, reason: fallback ? "no healthy pool: fallback_pool (health ignored)" : "no healthy pool and no fallback_pool", considered, usedLocation, fallback: true };
}

/** Weighted random choice; items of weight 0 only if nothing else can be chosen. */
export function weightedPick<T>(items: readonly T[], weight: (t: T) => number, random: () => number): T | undefined {
  let total = 0;
  for (const i of items) total += Math.max(0, weight(i));
  if (total <= 0) return items[0];
  let r = random() * total;
  for (const i of items) {
    r -= Math.max(0, weight(i));
    if (r < 0) return i;
  }
  // Rounding left r ≥ 0 after the last item: take the last one with weight.
  for (let k = items.length - 1; k >= 0; k--) if (weight(items[k]!) > 0) return items[k];
  return items[0];
}

const EARTH_RADIUS_KM = 6371.0088;

/** Haversine distance in km. */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}
