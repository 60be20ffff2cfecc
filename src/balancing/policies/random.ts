// random: a usable pool of default_pools at random, by random_steering weights (pool_weights,
// else default_weight). A pool of weight 0 gets no traffic from this policy (as an origin of weight
// 0 gets none): when every usable pool weighs 0, drained pools and then the fallback pool answer.

import { defaultPools, weightedPick, type Policy } from "./policy.js";

/** Random by weight, saying `reason` when it chooses (least_* reuse it: DNS-only, they steer alike). */
export function byWeight(reason: string): Policy {
  return {
    usesLocation: () => false,
    lists: defaultPools,
    choose([list], lb, ctx) {
      const w = lb.randomSteering;
      const pool = weightedPick(list?.pools ?? [], (p) => w.poolWeights.get(p.name) ?? w.defaultWeight, ctx.random);
      return pool ? { pool, reason } : null;
    },
  };
}

export const random: Policy = byWeight("healthy pool at random, by random_steering weights");
