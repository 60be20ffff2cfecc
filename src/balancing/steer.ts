// The one steering entry point, used by the server, `gslb explain`, query logs (and, later, the
// status API): a load balancer's answer for one query. Rules (with the client they see) → the
// client located if the policy needs it → pool (pools.ts: policy, drained, fallback) → origins →
// records, plus the ECS scope and the whole decision as an Explanation.

import type { Location } from "../locate/locate.js";
import { BLOCK_BITS, NOWHERE, type Locator } from "../locate/locate.js";
import { masked } from "../locate/networks.js";
import { RRClass, RRType } from "../wire/constants.js";
import { parseIPv4, parseIPv6 } from "../wire/ip.js";
import type { ClientSubnet, ResourceRecord } from "../wire/types.js";
import type { Balancing, Client, Family, HealthView } from "./model.js";
import { chooseOrigins, type OriginDecision, type OriginDraw } from "./origins.js";
import { POLICIES, policyOf } from "./policies/index.js";
import { choosePool, type PoolDecision } from "./pools.js";
import { applyRules } from "./rules.js";
import type { LocationClass } from "./policies/policy.js";

export interface SteerQuery {
  readonly family: Family;
  /** The question's name, lower case (rules' dns.qry.name). */
  readonly qname: string;
  /** Owner of the records: the load balancer's name, or the qname for a wildcard (a CNAME chain's last target otherwise). */
  readonly owner: string;
  /** The resolver's address (the query's source). */
  readonly resolver: string;
  readonly ecs: ClientSubnet | null;
}

export interface SteerContext {
  readonly health: HealthView;
  readonly locator: Locator;
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
  /**
   * Whether this answer holds for every client of the same location class until health (or the
   * configuration) changes, and how to class a client; null when it was client-specific (a rule
   * read the client, hash steering) or drew random numbers.
   */
  readonly reuse: Reuse | null;
}

export interface Reuse {
  /** The policy that classes clients: answers of one shape are classed alike while it stays. */
  readonly policy: string;
  /** A client's class: clients of equal class get this answer. */
  readonly classOf: (location: Location) => LocationClass;
  /**
   * geo with a shared table of mapped codes: classOf(l) is geoClass(geoMapped, l), which the answer
   * cache computes itself (no call back into this load balancer's settings); null otherwise.
   */
  readonly geoMapped: Uint8Array | null;
  /** The answer read pools' RTT averages (dynamic_latency). */
  readonly rtt: boolean;
  /** Origins drawn at random by weight: a reuse draws alike and takes the reply kept for that outcome. */
  readonly draw: OriginDraw | null;
}

/** The class of every client when the answer does not depend on location. */
export const EVERYWHERE = (): string => "";

export function steer(balancing: Balancing, lbName: string, q: SteerQuery, ctx: SteerContext): Steered {
  const lb = balancing.balancers.get(lbName)!;
  const ecs = q.ecs !== null && q.ecs.sourcePrefix > 0 ? q.ecs : null;
  const resolver = lazyClient(q.resolver, undefined, false, ctx.locator);
  const subnet = ecs === null ? null : lazyClient(ecs.address, ecs.sourcePrefix, true, ctx.locator, ecs.bytes);

  // Rules see the ECS subnet (Cloudflare's ip.src for DNS-only) unless the load balancer never uses ECS.
  const ruleClient = subnet !== null && lb.preferEcs !== "never" ? subnet : resolver;
  const ruled = applyRules(lb, lb.rules, { qname: q.qname, family: q.family, loadBalancer: lb.name, client: ruleClient, ecs: q.ecs });
  const settings = ruled.settings;

  // prefer_ecs: always / never / only for the proximity or geo policy (Cloudflare's location_strategy).
  const policy = policyOf(settings);
  // A pool drawn at random makes an answer one client's: counted, so such answers are never
  // reused. Origins drawn at random are told (origins.draw): the answer cache draws alike.
  let draws = 0;
  const random = () => { draws++; return ctx.random(); };
  const ecsAllowed = settings.preferEcs === "always" || (settings.preferEcs !== "never" && settings.preferEcs === policy);
  const client = subnet !== null && ecsAllowed ? subnet : resolver;
  const pool = choosePool(settings, balancing.pools, q.family, { client, health: ctx.health, random });
  const origins = pool.pool === null ? null
    : chooseOrigins(pool.pool, q.family, lb.maxAnswers, ctx.health, pool.pool.originPolicy === "hash" ? subnetKey(client) : "", ctx.random, pool.fallback);

  let scope = 0;
  // A rule that looked at the client's subnet or location: the answer depends on all we were given.
  if (ruleClient === subnet && ruled.usedClient) scope = subnet.bits;
  if (client === subnet) {
    if (pool.usedLocation) scope = Math.max(scope, client.location().bits);
    if (origins?.usedSubnet) scope = Math.max(scope, Math.min(subnet.bits, BLOCK_BITS[subnet.family]));
  }

  const records: ResourceRecord[] = [];
  const type = q.family === "A" ? RRType.A : RRType.AAAA;
  for (const o of origins?.origins ?? []) {
    if (o.kind === "CNAME") {
      // A host-name origin is answered as a CNAME; the resolver follows it. One is enough.
      if (records.length === 0) records.push({ name: q.owner, type: RRType.CNAME, class: RRClass.IN, ttl: settings.ttl, data: o.address });
      break;
    }
    records.push({ name: q.owner, type, class: RRClass.IN, ttl: settings.ttl, data: o.address });
  }
  // The location shown is the one the answer used (computed only when the policy needs it).
  const usedLocation = POLICIES[policy].usesLocation(settings);
  const clientSpecific = ruled.usedClient || origins?.usedSubnet === true;
  const classify = POLICIES[policy].locationClass;
  const draw = origins?.draw ?? null;
  const reuse: Reuse | null = clientSpecific || draws > 0 || (pool.usedLocation && classify === undefined) || draw?.key === -1 ? null : {
    policy,
    classOf: pool.usedLocation ? (l: Location) => classify!(settings, l) : EVERYWHERE,
    geoMapped: pool.usedLocation && policy === "geo" ? settings.geoMapped ?? null : null,
    rtt: POLICIES[policy].readsRtt === true,
    draw,
  };
  return {
    reuse,
    records,
    explanation: {
      loadBalancer: lb.name, clientAddress: client.address, locatedFrom: client.fromEcs ? "ecs" : "resolver",
      location: usedLocation ? client.location() : NOWHERE, rules: ruled.matched, pool, origins, ttl: settings.ttl, scope,
    },
  };
}

/**
 * The client (ECS subnet or resolver): its bytes as the decoder gave them (ECS, already masked), or
 * parsed once from the text (the resolver's address); located on first ask, then remembered.
 */
export function lazyClient(address: string, prefix: number | undefined, fromEcs: boolean, locator: Locator, decoded?: Buffer): Client {
  const raw = decoded ?? parseIPv4(address) ?? parseIPv6(address) ?? Buffer.alloc(16);
  const family = raw.length === 4 ? 4 : 6;
  const all = family === 4 ? 32 : 128;
  const bits = Math.min(prefix ?? all, all);
  const bytes = decoded !== undefined || bits === all ? raw : masked(raw, bits);
  let location: Location | null = null;
  return { address, family, bytes, bits, fromEcs, location: () => (location ??= locator.locateBytes(family, bytes, bits)) };
}

/** The client's subnet for hash steering: the ECS subnet, or the resolver's /24 or /48. */
function subnetKey(c: Client): string {
  const bits = Math.min(c.bits, BLOCK_BITS[c.family]);
  return `${masked(c.bytes, bits).toString("hex")}/${bits}`;
}
