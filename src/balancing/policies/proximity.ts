// proximity: the usable pool of default_pools nearest the client by great-circle distance. Pools
// without coordinates are skipped; a client that cannot be placed gets failover order.

import { defaultPools, type Policy } from "./policy.js";

export const proximity: Policy = {
  usesLocation: () => true,
  locationClass: (_lb, l) => l.point,
  lists: defaultPools,
  choose([list], _lb, ctx) {
    const pools = list?.pools ?? [];
    const { latitude, longitude } = ctx.client.location();
    if (latitude === null || longitude === null) return pools[0] ? { pool: pools[0], reason: "client not locatable: failover order" } : null;
    let best = null;
    let bestKm = Infinity;
    for (const p of pools) {
      if (p.latitude === null || p.longitude === null) continue;
      const km = greatCircleKm(latitude, longitude, p.latitude, p.longitude);
      if (km < bestKm) { best = p; bestKm = km; }
    }
    if (best) return { pool: best, reason: `nearest healthy pool (${Math.round(bestKm)} km)` };
    return pools[0] ? { pool: pools[0], reason: "no healthy pool has coordinates: failover order" } : null;
  },
};

const EARTH_RADIUS_KM = 6371.0088;

/** Haversine distance in km. */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}
