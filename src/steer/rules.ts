// Specialized routing: an ordered list of rules on a load balancer. Each has a condition on the
// query (qtype, client subnet, country, region: every field given must match, any value of a field
// may) and overrides. Non-terminating matches accumulate; the first terminating match wins and stops.

import type { Location } from "../locate/locate.js";
import { contains, type Network } from "../locate/networks.js";
import type { RegionCode } from "../locate/regions.js";
import type { LoadBalancer } from "./types.js";

export interface RuleCondition {
  readonly qtype?: readonly ("A" | "AAAA")[];
  readonly subnet?: readonly Network[];
  readonly country?: readonly string[];
  readonly region?: readonly RegionCode[];
}

export type Overrides = Partial<Pick<LoadBalancer, "defaultPools" | "fallbackPool" | "policy" | "ttl" | "regionPools" | "countryPools" | "preferEcs">>;

export interface Rule {
  readonly name: string;
  readonly condition: RuleCondition;
  readonly overrides: Overrides;
  readonly terminates: boolean;
}

export interface RuleQuery {
  readonly qtype: "A" | "AAAA";
  /** Client address bytes (ECS subnet or resolver) and how many bits of it are known. */
  readonly family: 4 | 6;
  readonly bytes: Buffer;
  readonly bits: number;
  /** Located only when some rule asks for country or region. */
  readonly location: () => Location;
}

export interface RulesOutcome {
  readonly lb: LoadBalancer;
  readonly matched: readonly string[];
  /** A condition looked at the client's address or location (the answer depends on them). */
  readonly usedClient: boolean;
}

export function applyRules(lb: LoadBalancer, rules: readonly Rule[], q: RuleQuery): RulesOutcome {
  if (rules.length === 0) return { lb, matched: [], usedClient: false };
  let effective: LoadBalancer = lb;
  const matched: string[] = [];
  let usedClient = false;
  for (const rule of rules) {
    const c = rule.condition;
    if (c.subnet !== undefined || c.country !== undefined || c.region !== undefined) usedClient = true;
    if (!matches(c, q)) continue;
    matched.push(rule.name);
    effective = { ...effective, ...rule.overrides };
    if (rule.terminates) break;
  }
  return { lb: effective, matched, usedClient };
}

function matches(c: RuleCondition, q: RuleQuery): boolean {
  if (c.qtype !== undefined && !c.qtype.includes(q.qtype)) return false;
  // A subnet can only be told apart with enough known bits of the client's address.
  if (c.subnet !== undefined && !c.subnet.some((n) => n.prefix <= q.bits && contains(n, q.family, q.bytes))) return false;
  if (c.country !== undefined) {
    const country = q.location().country;
    if (country === null || !c.country.includes(country)) return false;
  }
  if (c.region !== undefined) {
    const region = q.location().region;
    if (region === null || !c.region.includes(region)) return false;
  }
  return true;
}
