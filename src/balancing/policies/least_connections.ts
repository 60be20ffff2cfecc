// least_connections: counts open connections through Cloudflare's proxy; DNS-only, Cloudflare
// steers it like random, by weight. So do we.

import { byWeight } from "./random.js";

export const least_connections = byWeight("least_connections: in DNS-only mode, random by weight (as Cloudflare)");
