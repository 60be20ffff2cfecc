// dynamic_latency: the usable pool of default_pools with the lowest moving average of monitor RTT
// (measured from this server); with no RTT yet, failover order.

import type { Pool } from "../pool.js";
import { defaultPools, type Policy } from "./policy.js";

export const dynamic_latency: Policy = {
  usesLocation: () => false,
  readsRtt: true,
  lists: defaultPools,
  choose([list], _lb, ctx) {
    const pools = list?.pools ?? [];
    let best: Pool | null = null;
    let bestRtt = Infinity;
    for (const p of pools) {
      const rtt = ctx.health.poolRtt(p);
      if (rtt !== null && rtt < bestRtt) { best = p; bestRtt = rtt; }
    }
    if (best) return { pool: best, reason: `lowest monitor RTT average (${bestRtt.toFixed(1)} ms)` };
    return pools[0] ? { pool: pools[0], reason: "no RTT data yet: failover order" } : null;
  },
};
