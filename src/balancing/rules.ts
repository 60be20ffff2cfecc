// Custom rules (Cloudflare's load balancing rules): in order (priority, then as listed; disabled
// ones dropped at build), each condition is tried against the query; a match applies its
// overrides and, if it terminates, stops (Cloudflare: `terminates` defaults to false). A condition
// is gslb's structured object or Cloudflare's expression language (expression.ts).

import { contains } from "../locate/networks.js";
import type { Expression } from "./expression.js";
import { geoMapped } from "./policies/geo.js";
import type { Client, Family, Rule, RuleCondition, SteeringSettings } from "./model.js";

export interface RuleQuery {
  readonly qname: string;
  readonly family: Family;
  /** The load balancer's name, for cf.load_balancer.name. */
  readonly loadBalancer: string;
  /** ip.src: the ECS subnet unless prefer_ecs is "never", else the resolver. */
  readonly client: Client;
  /** The query's ECS option, used or not (dns.rr.opt.client). */
  readonly ecs: { readonly address: string } | null;
}

export interface RulesOutcome {
  readonly settings: SteeringSettings;
  readonly matched: readonly string[];
  /** A condition looked at the client's address or location (the answer depends on them). */
  readonly usedClient: boolean;
}

export function applyRules(base: SteeringSettings, rules: readonly Rule[], q: RuleQuery): RulesOutcome {
  if (rules.length === 0) return { settings: base, matched: [], usedClient: false };
  let settings = base;
  const matched: string[] = [];
  let usedClient = false;
  for (const rule of rules) {
    const c = rule.condition;
    if (rule.usesClient) usedClient = true;
    const hit = isExpression(c)
      ? c.evaluate({ qname: q.qname, qtype: q.family === "A" ? 1 : 28, client: q.client, loadBalancer: q.loadBalancer, location: q.client.location, ecs: q.ecs })
      : matches(c, q);
    if (!hit) continue;
    matched.push(rule.name);
    settings = overridden(settings, rule.overrides);
    if (rule.terminates) break;
  }
  return { settings, matched, usedClient };
}

export function isExpression(c: RuleCondition | Expression): c is Expression {
  return typeof (c as Partial<Expression>).evaluate === "function";
}

function matches(c: RuleCondition, q: RuleQuery): boolean {
  if (c.qtype !== undefined && !c.qtype.includes(q.family)) return false;
  const client = q.client;
  // A subnet can only be told apart with enough known bits of the client's address.
  if (c.subnet !== undefined && !c.subnet.some((n) => n.prefix <= client.bits && contains(n, client.family, client.bytes))) return false;
  if (c.country !== undefined) {
    const country = client.location().country;
    if (country === null || !c.country.includes(country)) return false;
  }
  if (c.region !== undefined) {
    const region = client.location().region;
    if (region === null || !c.region.includes(region)) return false;
  }
  return true;
}

/** Settings with a rule's overrides, field by field (one hidden class for every result; see build.ts). */
function overridden(s: SteeringSettings, o: Partial<SteeringSettings>): SteeringSettings {
  return {
    defaultPools: o.defaultPools ?? s.defaultPools, fallbackPool: o.fallbackPool !== undefined ? o.fallbackPool : s.fallbackPool,
    regionPools: o.regionPools ?? s.regionPools, countryPools: o.countryPools ?? s.countryPools, popPools: o.popPools ?? s.popPools,
    geoMapped: o.regionPools === undefined && o.countryPools === undefined ? s.geoMapped : geoMapped(o.regionPools ?? s.regionPools, o.countryPools ?? s.countryPools),
    policy: o.policy ?? s.policy, randomSteering: o.randomSteering ?? s.randomSteering, preferEcs: o.preferEcs ?? s.preferEcs, ttl: o.ttl ?? s.ttl,
  };
}
