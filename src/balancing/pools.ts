// Which pool answers: the policy chooses among usable pools; when it declines, a healthy drained
// pool (in the policy's list order); then the fallback pool, health ignored (Cloudflare's last
// resort: `fallback_pool`, else the last of `default_pools`). A pool is usable for a query when it
// is enabled, healthy (minimum_origins), not drained, and has a healthy enabled origin of the
// asked family: a pool that cannot answer AAAA is passed over for AAAA like an unhealthy one.

import type { Family, Pool, SteeringSettings } from "./model.js";
import { POLICIES, policyOf, type PolicyName } from "./policies/index.js";
import type { Candidates, PolicyContext } from "./policies/policy.js";

export type PoolState = "healthy" | "drained" | "unhealthy" | "disabled" | "no-family";

export interface PoolConsidered {
  readonly pool: string;
  readonly state: PoolState;
}

/** A pool choice and why: what `explain` prints and query logs carry. */
export interface PoolDecision {
  readonly pool: Pool | null;
  readonly policy: PolicyName;
  readonly reason: string;
  readonly considered: readonly PoolConsidered[];
  /** The choice depended on where the client is (geo with a map, proximity). */
  readonly usedLocation: boolean;
  /** The fallback pool answers: origins are taken whatever their health. */
  readonly fallback: boolean;
}

export function choosePool(lb: SteeringSettings, pools: ReadonlyMap<string, Pool>, family: Family, ctx: PolicyContext): PoolDecision {
  const name = policyOf(lb);
  const policy = POLICIES[name];
  const lists = policy.lists(lb, ctx.client);
  const considered: PoolConsidered[] = [];
  const states = new Map<Pool, PoolState>();
  const stateOf = (pool: Pool): PoolState => {
    let s = states.get(pool);
    if (s === undefined) {
      states.set(pool, (s = poolState(pool, family, ctx)));
      considered.push({ pool: pool.name, state: s });
    }
    return s;
  };
  const candidates: Candidates[] = lists.map((l) => ({ label: l.label, pools: l.names.map((n) => pools.get(n)!).filter((p) => stateOf(p) === "healthy") }));
  const usedLocation = policy.usesLocation(lb);
  const decision = (pool: Pool | null, reason: string, fallback: boolean): PoolDecision => ({ pool, policy: name, reason, considered, usedLocation, fallback });

  const choice = policy.choose(candidates, lb, ctx);
  if (choice !== null) return decision(choice.pool, choice.reason, false);
  // Drained pools take traffic only when nothing else healthy can, and always before the fallback.
  for (const l of lists) {
    for (const name of l.names) {
      const pool = pools.get(name)!;
      if (stateOf(pool) === "drained") return decision(pool, `no undrained healthy pool: drained pool of ${l.label} (failover order)`, false);
    }
  }
  // Cloudflare: "The default fallback pool is the last pool listed".
  const last = lb.fallbackPool ?? lb.defaultPools[lb.defaultPools.length - 1]!;
  const fallback = pools.get(last)!;
  if (!fallback.enabled) return decision(null, `no healthy pool, and the fallback pool ${last} is disabled`, true);
  if (fallback.byFamily[family].length === 0) return decision(null, `no healthy pool, and the fallback pool ${last} has no enabled origin of family ${family}`, true);
  return decision(fallback, `no healthy pool of family ${family}: fallback pool ${last} (health ignored)`, true);
}

function poolState(pool: Pool, family: Family, { health }: PolicyContext): PoolState {
  if (!pool.enabled) return "disabled";
  if (!health.poolHealthy(pool)) return "unhealthy";
  let up = 0;
  let undrained = 0;
  for (const o of pool.byFamily[family]) {
    if (!health.originUp(pool, o)) continue;
    up++;
    if (!health.originDrained(o)) undrained++;
  }
  if (up === 0) return "no-family";
  // A pool whose healthy origins of this family are all drained is drained for this query.
  return health.poolDrained(pool) || undrained === 0 ? "drained" : "healthy";
}
