// off: failover. The first usable pool of default_pools.

import { defaultPools, type Policy } from "./policy.js";

export const off: Policy = {
  usesLocation: () => false,
  lists: defaultPools,
  choose([list]) {
    const first = list?.pools[0];
    return first ? { pool: first, reason: "first healthy pool of default_pools (failover order)" } : null;
  },
};
