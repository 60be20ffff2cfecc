// least_connections: counts open connections through Cloudflare's proxy; DNS-only, Cloudflare
// steers it like random, by weight. So do we.

import { random } from "./random.js";
import type { Policy } from "./policy.js";

export const least_connections: Policy = {
  ...random,
  choose(candidates, lb, ctx) {
    const c = random.choose(candidates, lb, ctx);
    return c && { pool: c.pool, reason: "least_connections: in DNS-only mode, random by weight (as Cloudflare)" };
  },
};
