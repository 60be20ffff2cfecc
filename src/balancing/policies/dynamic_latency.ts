// dynamic_latency: the usable pool of default_pools with the lowest moving average of monitor RTT;
// with no RTT yet, failover order. Alone, the RTT is this server's. With several instances (gslb
// serve --etcd), a client in region R gets the RTT measured by the instances probing from R (else
// from the nearest region that has measurements: peers/health.ts), as Cloudflare's "fastest pool
// for a given Cloudflare Region"; a pool without a regional figure falls back to this server's.

import type { Pool } from "../pool.js";
import { site } from "../site.js";
import { defaultPools, type Policy } from "./policy.js";

export const dynamic_latency: Policy = {
  // By region only with several instances: alone, every client gets the same answer (and no ECS scope).
  usesLocation: () => site.regionalRtt,
  locationClass: (_lb, l) => (l.regionId + 1) * 256 + l.bits,
  readsRtt: true,
  lists: defaultPools,
  choose([list], _lb, ctx) {
    const pools = list?.pools ?? [];
    const region = site.regionalRtt ? ctx.client.location().region : null;
    let best: Pool | null = null;
    let bestRtt = Infinity;
    let regional = false;
    for (const p of pools) {
      const inRegion = region !== null ? ctx.health.poolRttIn(p, region) : null;
      const rtt = inRegion ?? ctx.health.poolRtt(p);
      if (rtt !== null && rtt < bestRtt) { best = p; bestRtt = rtt; regional = inRegion !== null; }
    }
    if (best) return { pool: best, reason: regional ? `lowest monitor RTT average from ${region} (${bestRtt.toFixed(1)} ms)` : `lowest monitor RTT average (${bestRtt.toFixed(1)} ms)` };
    return pools[0] ? { pool: pools[0], reason: "no RTT data yet: failover order" } : null;
  },
};
