// What a steering policy is: one file per policy in this folder, registered in index.ts. A policy
// is a small pure function of (load balancer, candidate pools, client, health): the framework
// (../pools.ts) has already dropped pools that are unhealthy, drained, or have no healthy origin of
// the asked family, and it handles drained pools and the fallback pool after the policy declines.

import type { Location } from "../../locate/locate.js";
import type { Client, HealthView, Pool, SteeringBase } from "../pool.js";

/** One list of pool names the policy walks, labelled for explanations ("region_pools[WEU]"). */
export interface PoolList {
  readonly label: string;
  readonly names: readonly string[];
}

/** A list's usable pools (healthy, not drained, able to answer the family), in list order. */
export interface Candidates {
  readonly label: string;
  readonly pools: readonly Pool[];
}

export interface PolicyContext {
  readonly client: Client;
  readonly health: HealthView;
  readonly random: () => number;
}

export interface Choice {
  readonly pool: Pool;
  readonly reason: string;
}

export interface Policy {
  /** Whether the choice depends on where the client is: prefer_ecs and the ECS scope follow it. */
  usesLocation(lb: SteeringBase): boolean;
  /**
   * What of a location the choice reads, as a key, when it uses one: clients of equal class get
   * equal answers (with the same ECS scope), so the server reuses an answer per class (query/answers.ts).
   */
  readonly locationClass?: (lb: SteeringBase, location: Location) => LocationClass;
  /** The choice reads pools' RTT averages: a reused answer is also stale when they move. */
  readonly readsRtt?: boolean;
  /** The lists this policy considers, in order (drained pools are taken in this order when nothing else is usable). */
  lists(lb: SteeringBase, client: Client): readonly PoolList[];
  /** A pool among the candidates, or null to go on to drained pools and then the fallback pool. */
  choose(candidates: readonly Candidates[], lb: SteeringBase, ctx: PolicyContext): Choice | null;
}

/** A location class: compared by value (a string or a number, whichever the policy builds cheaper). */
export type LocationClass = string | number;

/** default_pools alone: what every policy but geo walks. */
export const defaultPools = (lb: SteeringBase): readonly PoolList[] => [{ label: "default_pools", names: lb.defaultPools }];

/** Weighted random choice; items of weight 0 are never chosen (undefined when all weigh 0). */
export function weightedPick<T>(items: readonly T[], weight: (t: T) => number, random: () => number): T | undefined {
  let total = 0;
  for (const i of items) total += Math.max(0, weight(i));
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const i of items) {
    r -= Math.max(0, weight(i));
    if (r < 0) return i;
  }
  // Rounding left r ≥ 0 after the last item: take the last one with weight.
  for (let k = items.length - 1; k >= 0; k--) if (weight(items[k]!) > 0) return items[k];
  return undefined;
}
