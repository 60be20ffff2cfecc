// A load balancer's answer for one query: who is asking (ECS or resolver, per prefer_ecs) →
// where (locate) → which pool (policies) → which origins → records, plus the ECS scope and the
// reason. The same Explanation is what `explain` would print and what query logs carry.

import type { Location } from "../locate/locate.js";
import { BLOCK_BITS, NOWHERE, type Locator } from "../locate/locate.js";
import { masked } from "../locate/networks.js";
import { RRClass, RRType } from "../wire/constants.js";
import { parseIPv4, parseIPv6 } from "../wire/ip.js";
import type { ClientSubnet, ResourceRecord } from "../wire/types.js";
import { chooseOrigins, type OriginDecision } from "./origins.js";
import { choosePool, effectivePolicy } from "./policies.js";
import { applyRules } from "./rules.js";
import type { HealthView, LoadBalancer, Pool, PoolDecision } from "./types.js";

export interface SteerContext {
  readonly health: HealthView;
  readonly random: () => number;
}

export interface Explanation {
  readonly loadBalancer: string;
  readonly clientAddress: string;
  readonly locatedFrom: "ecs" | "resolver";
  readonly location: Location;
  /** Rules whose condition matched, in order (the last one terminated, if any did). */
  readonly rules: readonly string[];
  readonly pool: PoolDecision;
  readonly origins: OriginDecision | null;
  readonly ttl: number;
  /** ECS scope prefix for the reply (RFC 7871 §7.2.1): how many bits of the subnet the answer depended on. */
  readonly scope: number;
}

export interface Steered {
  readonly records: ResourceRecord[];
  readonly explanation: Explanation;
}

export function steer(
  base: LoadBalancer,
  pools: ReadonlyMap<string, Pool>,
  family: "A" | "AAAA",
  owner: string,
  resolver: string,
  ecs: ClientSubnet | null,
  locator: Locator,
  ctx: SteerContext,
): Steered {
  // Rules first: they see the ECS subnet unless the load balancer never uses ECS.
  const ruleEcs = ecs !== null && ecs.sourcePrefix > 0 && base.preferEcs !== "never";
  const ruleAddress = ruleEcs ? ecs.address : resolver;
  const v4 = parseIPv4(ruleAddress);
  const ruleBytes = v4 ?? parseIPv6(ruleAddress) ?? Buffer.alloc(16);
  const ruleBits = ruleEcs ? ecs.sourcePrefix : v4 !== null ? 32 : 128;
  const ruled = applyRules(base, base.rules, {
    qtype: family, family: v4 !== null ? 4 : 6, bytes: ruleBytes, bits: ruleBits,
    location: () => locator.locate(ruleAddress, ruleEcs ? ecs.sourcePrefix : undefined),
  });
  const lb = ruled.lb;
  const policy = effectivePolicy(lb);
  // prefer_ecs: always / never / only for the proximity or geo policy (Cloudflare's location_strategy).
  const ecsAllowed = lb.preferEcs === "always" || (lb.preferEcs !== "never" && lb.preferEcs === policy);
  // A source prefix of 0 means "use the resolver's address" (RFC 7871 §7.1.2).
  const useEcs = ecs !== null && ecs.sourcePrefix > 0 && ecsAllowed;
  const address = useEcs ? ecs.address : resolver;
  const prefix = useEcs ? ecs.sourcePrefix : undefined;
  const needsLocation = policy === "geo" || policy === "proximity";
  const location = needsLocation ? locator.locate(address, prefix) : NOWHERE;
  const client = { location, subnetKey: subnetKey(address, prefix) };

  const pool = choosePool(lb, pools, ctx.health, client, ctx.random);
  const origins = pool.pool === null ? null : chooseOrigins(pool.pool, family, lb.maxAnswers, ctx.health, client, ctx.random, pool.fallback);

  let scope = 0;
  // A rule that looked at the client's subnet or location: the answer depends on all we were given.
  if (ruleEcs && ruled.usedClient) scope = ecs.sourcePrefix;
  if (useEcs) {
    if (pool.usedLocation) scope = Math.max(scope, location.bits);
    if (origins?.usedSubnet) scope = Math.max(scope, Math.min(ecs.sourcePrefix, BLOCK_BITS[ecs.family === 1 ? 4 : 6]));
  }

  const records: ResourceRecord[] = [];
  for (const o of origins?.origins ?? []) {
    if (o.kind === "CNAME") {
      // A host-name origin is answered as a CNAME; the resolver follows it. One is enough.
      if (records.length === 0) records.push({ name: owner, type: RRType.CNAME, class: RRClass.IN, ttl: lb.ttl, data: o.address });
      break;
    }
    records.push({ name: owner, type: family === "A" ? RRType.A : RRType.AAAA, class: RRClass.IN, ttl: lb.ttl, data: o.address });
  }
  return {
    records,
    explanation: { loadBalancer: lb.name, clientAddress: address, locatedFrom: useEcs ? "ecs" : "resolver", location, rules: ruled.matched, pool, origins, ttl: lb.ttl, scope },
  };
}

/** The client's subnet for hash steering: the ECS subnet, or the resolver's /24 or /48. */
function subnetKey(address: string, prefix: number | undefined): string {
  const v4 = parseIPv4(address);
  const bytes = v4 ?? parseIPv6(address);
  if (bytes === null) return address;
  const bits = Math.min(prefix ?? Infinity, BLOCK_BITS[v4 !== null ? 4 : 6]);
  return `${masked(bytes, bits).toString("hex")}/${bits}`;
}
