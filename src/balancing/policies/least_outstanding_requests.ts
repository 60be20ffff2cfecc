// least_outstanding_requests: counts requests through Cloudflare's proxy; a DNS-only load
// balancer sees none, and Cloudflare steers it like random, by weight. So do we.

import { byWeight } from "./random.js";

export const least_outstanding_requests = byWeight("least_outstanding_requests: in DNS-only mode, random by weight (as Cloudflare)");
