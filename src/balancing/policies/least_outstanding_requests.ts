// least_outstanding_requests: counts requests through Cloudflare's proxy; a DNS-only load
// balancer sees none, and Cloudflare steers it like random, by weight. So do we.

import { random } from "./random.js";
import type { Policy } from "./policy.js";

export const least_outstanding_requests: Policy = {
  ...random,
  choose(candidates, lb, ctx) {
    const c = random.choose(candidates, lb, ctx);
    return c && { pool: c.pool, reason: "least_outstanding_requests: in DNS-only mode, random by weight (as Cloudflare)" };
  },
};
