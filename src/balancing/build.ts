// The load-balancing sections of one zone file → an immutable Balancing, checked as a whole:
// every reference (pools, monitors), region and country codes, CIDRs, rule conditions, addresses.
// All problems are collected with their paths; fields that have no effect here become warnings.
// Pure: nothing outside the returned objects is touched (health slots are the health table's).

import type { z } from "zod";
import { parseCidr, type Network } from "../locate/networks.js";
import { countryCodeProblem, regionCodeProblem, type RegionCode } from "../locate/regions.js";
import { ignoredFields } from "../monitor/registry.js";
import { unknownName, type Path, type Problem } from "../problems/problems.js";
import { canonicalIPv6, parseIPv4 } from "../wire/ip.js";
import { checkName, inZone, resolveName } from "../records/names.js";
import { parseExpression } from "./expression.js";
import { isExpression } from "./rules.js";
import { geoMapped } from "./policies/geo.js";
import type { Balancing, LoadBalancer, NotificationFilter, Origin, Pool, Rule, RuleCondition, SteeringSettings, ZoneWebhook } from "./model.js";
import { BalancingSections, IGNORED, type NotificationFilterSchema, type LoadBalancerSchema, type RuleSchema, type StructuredCondition } from "./schema.js";

type Sections = { [K in keyof typeof BalancingSections]: z.output<(typeof BalancingSections)[K]> };
type LbInput = z.output<typeof LoadBalancerSchema>;
type SteeringInput = Omit<z.output<typeof RuleSchema>["overrides"], never>;

/** What the balancing build needs to know of the zone's records. */
export interface ZoneFacts {
  readonly origin: string;
  /** The cut a name is at or below, or null. */
  cutAbove(name: string): string | null;
}

/** Pools and monitors dropped for schema problems already reported: references to them are not reported again. */
export interface Removed {
  readonly pools: ReadonlySet<string>;
  readonly monitors: ReadonlySet<string>;
}

export interface BalancingBuild {
  readonly balancing: Balancing;
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
}

export function buildBalancing(file: Sections, zone: ZoneFacts, removed: Removed = { pools: new Set(), monitors: new Set() }): BalancingBuild {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const origin = zone.origin;
  const problem = (path: Path, message: string) => problems.push({ path, message });
  const ignored = (table: Readonly<Record<string, string>>, object: Record<string, unknown>, path: Path) => {
    for (const [field, why] of Object.entries(table)) if (meaningful(object[field])) warnings.push({ path: [...path, field], message: why });
  };

  // Monitors: the schema did the checking; what remains are fields with no effect for the type.
  const monitors = new Map(Object.entries(file.monitors));
  for (const [name, m] of monitors) for (const { field, reason } of ignoredFields(m)) warnings.push({ path: ["monitors", name, field], message: reason });

  // Cloudflare's check_regions: region codes, or ALL_REGIONS / ALL_DATACENTERS (every instance, as absent or null).
  const checkRegions = (list: readonly string[] | null | undefined, path: Path): ReadonlySet<RegionCode> | null => {
    if (list === null || list === undefined || list.length === 0 || list.includes("ALL_REGIONS") || list.includes("ALL_DATACENTERS")) return null;
    list.forEach((code, i) => { const bad = regionCodeProblem(code); if (bad !== null) problem([...path, i], `${bad}, ALL_REGIONS or ALL_DATACENTERS`); });
    return Object.freeze(new Set(list.filter((c): c is RegionCode => regionCodeProblem(c) === null)));
  };

  // Dropped pools are still names worth suggesting.
  const poolNames = [...Object.keys(file.pools), ...removed.pools];
  const pools = new Map<string, Pool>();
  const origins: Origin[] = [];
  const poolList: Pool[] = [];
  for (const [name, p] of Object.entries(file.pools)) {
    const path: Path = ["pools", name];
    // Cloudflare's rule for pool names; it also keeps "zone/pool/origin" health keys unambiguous.
    if (!/^[A-Za-z0-9_-]+$/.test(name)) problem(path, `pool name ${JSON.stringify(name)} may hold only letters, digits, "-" and "_" (as at Cloudflare)`);
    ignored(IGNORED.pool, p, path);
    if (p.monitor !== undefined && !monitors.has(p.monitor) && !removed.monitors.has(p.monitor)) problem([...path, "monitor"], unknownName("monitor", p.monitor, [...monitors.keys(), ...removed.monitors]));
    if ((p.latitude === undefined) !== (p.longitude === undefined)) problem(path, "give both latitude and longitude, or neither");
    const key = `${origin}/${name}`;
    const seen = new Set<string>();
    const own = p.origins.map((o, i): Origin => {
      const at: Path = [...path, "origins", i];
      const { flatten_cname: flatten, ...rest } = IGNORED.origin;
      ignored(rest, o, at);
      if (seen.has(o.name)) problem([...at, "name"], `origin name ${JSON.stringify(o.name)} is used twice in this pool`);
      seen.add(o.name);
      const address = originAddress(o.address, [...at, "address"], problems);
      // Cloudflare flattens host-name origins by default (flatten_cname: true); we answer the CNAME.
      if (address.kind === "CNAME" && o.flatten_cname !== undefined && o.flatten_cname !== false) warnings.push({ path: [...at, "flatten_cname"], message: flatten });
      const host = o.header === undefined ? null : typeof o.header.Host === "string" ? o.header.Host : o.header.Host[0]!;
      if (host !== null && checkName(host.replace(/\.$/, ""), false) !== null) problem([...at, "header", "Host"], `${JSON.stringify(host)} is not a host name`);
      if (o.health_address !== undefined && parseIPv4(o.health_address) === null && canonicalIPv6(o.health_address) === null && checkName(o.health_address.replace(/\.$/, ""), false) !== null) {
        problem([...at, "health_address"], `${JSON.stringify(o.health_address)} is not an IP address or a host name`);
      }
      const made: Origin = Object.freeze({
        name: o.name, ...address, enabled: o.enabled, weight: o.weight, healthAddress: o.health_address ?? null,
        hostHeader: host, key: `${key}/${o.name}`, index: origins.length,
      });
      origins.push(made);
      return made;
    });
    if (p.minimum_origins > own.length) problem([...path, "minimum_origins"], `${p.minimum_origins} is more than the pool's ${own.length} origins: the pool could never be healthy`);
    const answerable = (kind: "A" | "AAAA") => Object.freeze(own.filter((o) => o.enabled && o.weight > 0 && (o.kind === kind || o.kind === "CNAME")));
    const pool: Pool = Object.freeze({
      name, key, index: poolList.length, origins: Object.freeze(own), byFamily: Object.freeze({ A: answerable("A"), AAAA: answerable("AAAA") }),
      minimumOrigins: p.minimum_origins, monitor: p.monitor ?? null, latitude: p.latitude ?? null, longitude: p.longitude ?? null,
      // DNS-only, Cloudflare steers least_* origin policies like random, by weight.
      originPolicy: p.origin_steering?.policy === "hash" ? "hash" : "random", enabled: p.enabled,
      notificationFilter: notificationFilter(p.notification_filter),
      checkRegions: checkRegions(p.check_regions, [...path, "check_regions"]),
    });
    pools.set(name, pool);
    poolList.push(pool);
  }

  const poolRef = (name: string, path: Path): boolean => {
    if (pools.has(name)) return true;
    if (!removed.pools.has(name)) problem(path, unknownName("pool", name, poolNames));
    return false;
  };
  const poolListOf = (names: readonly string[], path: Path): readonly string[] => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      poolRef(n, [...path, i]);
      if (seen.has(n)) problem([...path, i], `pool ${JSON.stringify(n)} is listed twice`);
      seen.add(n);
    });
    return Object.freeze([...names]);
  };
  const regionMap = (m: Record<string, string[]> | undefined, path: Path) => {
    const out = new Map<RegionCode, readonly string[]>();
    for (const [region, names] of Object.entries(m ?? {})) {
      const bad = regionCodeProblem(region);
      if (bad !== null) problem([...path, region], bad);
      else out.set(region as RegionCode, poolListOf(names, [...path, region]));
    }
    return out;
  };
  const countryMap = (m: Record<string, string[]> | undefined, path: Path) => {
    const out = new Map<string, readonly string[]>();
    for (const [country, names] of Object.entries(m ?? {})) {
      const bad = countryCodeProblem(country);
      if (bad !== null) problem([...path, country], bad);
      else out.set(country, poolListOf(names, [...path, country]));
    }
    return out;
  };
  // Cloudflare's data centers are IATA codes (LAX, LHR); ours are whatever --pop says, compared upper-cased.
  const popMap = (m: Record<string, string[]> | undefined, path: Path) => {
    const out = new Map<string, readonly string[]>();
    for (const [pop, names] of Object.entries(m ?? {})) {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(pop)) problem([...path, pop], `${JSON.stringify(pop)} is not a point of presence code (letters, digits, "-", "_"; gslb serve --pop)`);
      else out.set(pop.toUpperCase(), poolListOf(names, [...path, pop]));
    }
    return out;
  };
  const weights = (w: SteeringInput["random_steering"], path: Path) => {
    const map = new Map(Object.entries(w?.pool_weights ?? {}));
    for (const name of map.keys()) poolRef(name, [...path, "pool_weights", name]);
    return { defaultWeight: w?.default_weight ?? 1, poolWeights: map };
  };

  // Load balancers, keyed by owner; disabled ones are checked but leave their name to the records.
  const balancers = new Map<string, LoadBalancer>();
  let disabled = 0;
  const owners = new Map<string, string>();
  for (const [ownerKey, lb] of Object.entries(file.load_balancers)) {
    const path: Path = ["load_balancers", ownerKey];
    const owner = resolveName(ownerKey, origin, { wildcard: true });
    if (typeof owner !== "string") { problem(path, owner.error); continue; }
    if (!inZone(owner, origin)) { problem(path, `${owner} is outside the zone ${origin}`); continue; }
    const first = owners.get(owner);
    if (first !== undefined) { problem(path, `names the same owner as load_balancers[${JSON.stringify(first)}] (${owner})`); continue; }
    owners.set(owner, ownerKey);
    const cut = zone.cutAbove(owner);
    if (cut !== null) problem(path, `${owner} is at or below the delegation ${cut}: its answers belong to the delegated zone`);
    if (lb.proxied) problem([...path, "proxied"], "gslb answers DNS only: a proxied (orange-cloud) load balancer needs Cloudflare's proxy; set false or remove it");
    ignored(IGNORED.load_balancer, lb, path);
    if (lb.location_strategy?.mode === "pop") warnings.push({ path: [...path, "location_strategy", "mode"], message: "no effect: gslb has no points of presence; a client without ECS is located by its resolver's address (resolver_ip)" });

    const base = steeringSettings(lb, path, { poolListOf, poolRef, regionMap, countryMap, popMap, weights });
    const rules = lb.rules
      .map((r, i) => ({ r, i }))
      .filter(({ r, i }) => { ignored(IGNORED.rule, r, [...path, "rules", i]); ignored(IGNORED.overrides, r.overrides, [...path, "rules", i, "overrides"]); return true; })
      .map(({ r, i }) => ({ r, i, rule: buildRule(r, `rules[${i}]`, [...path, "rules", i], problems, { poolListOf, poolRef, regionMap, countryMap, popMap, weights }) }))
      .filter(({ r }) => !r.disabled)
      // Lower priority first; equal priorities (Cloudflare's default, 0) keep their order.
      .sort((a, b) => a.r.priority - b.r.priority || a.i - b.i)
      .map(({ rule }) => rule);

    // Field by field, not spread: spread objects each get their own hidden class in V8, and steering
    // reads these on every query (10,000 load balancers would make every such read megamorphic).
    const made: LoadBalancer = Object.freeze({
      defaultPools: base.defaultPools, fallbackPool: base.fallbackPool, regionPools: base.regionPools, countryPools: base.countryPools, geoMapped: base.geoMapped, popPools: base.popPools,
      policy: base.policy, randomSteering: base.randomSteering, preferEcs: base.preferEcs, ttl: base.ttl,
      name: owner, maxAnswers: lb.max_answers, rules: Object.freeze(rules),
    });
    if (owner === origin) apexOrigins(made, pools, path, problems);
    if (lb.enabled) balancers.set(owner, made);
    else disabled++;
  }

  const networks: Network[] = [];
  for (const [cidr, location] of Object.entries(file.networks)) {
    const path: Path = ["networks", cidr];
    const parsed = parseCidr(cidr);
    if (typeof parsed === "string") { problem(path, parsed); continue; }
    if (location.region !== undefined) { const bad = regionCodeProblem(location.region); if (bad !== null) problem([...path, "region"], bad); }
    if (location.country !== undefined) { const bad = countryCodeProblem(location.country); if (bad !== null) problem([...path, "country"], bad); }
    networks.push(Object.freeze({ cidr, family: parsed.family, bytes: parsed.bytes, prefix: parsed.prefix, location: Object.freeze(Object.assign({}, location)) }));
  }

  const webhooks = file.notifications.webhooks.map((w, i): ZoneWebhook => {
    const path: Path = ["notifications", "webhooks", i];
    let url: URL | null = null;
    try { url = new URL(w.url); } catch { problem([...path, "url"], `${JSON.stringify(w.url)} is not a URL`); }
    if (url !== null && url.hash !== "") problem([...path, "url"], "a webhook URL has no #fragment");
    (w.pools ?? []).forEach((name, j) => { if (!pools.has(name) && !removed.pools.has(name)) problem([...path, "pools", j], unknownName("pool", name, poolNames)); });
    return Object.freeze({ url: w.url, secretFile: w.secret_file ?? null, pools: w.pools === undefined ? null : Object.freeze([...w.pools]), filter: notificationFilter(w.filter) });
  });

  const balancing: Balancing = Object.freeze({
    origin, monitors, pools, balancers, disabled, networks: Object.freeze(networks), origins: Object.freeze(origins), poolList: Object.freeze(poolList),
    webhooks: Object.freeze(webhooks),
  });
  return { balancing, problems, warnings };
}

/** Cloudflare's notification_filter as the model holds it (null fields: not set). */
function notificationFilter(f: z.output<typeof NotificationFilterSchema> | null | undefined): NotificationFilter | null {
  if (f === null || f === undefined) return null;
  const options = (o: { disable: boolean; healthy?: boolean | null | undefined } | null | undefined) =>
    o === null || o === undefined ? null : Object.freeze({ disable: o.disable, healthy: o.healthy ?? null });
  return Object.freeze({ origin: options(f.origin), pool: options(f.pool) });
}

interface Refs {
  poolListOf(names: readonly string[], path: Path): readonly string[];
  poolRef(name: string, path: Path): boolean;
  regionMap(m: Record<string, string[]> | undefined, path: Path): Map<RegionCode, readonly string[]>;
  countryMap(m: Record<string, string[]> | undefined, path: Path): Map<string, readonly string[]>;
  popMap(m: Record<string, string[]> | undefined, path: Path): Map<string, readonly string[]>;
  weights(w: SteeringInput["random_steering"], path: Path): SteeringSettings["randomSteering"];
}

function steeringSettings(lb: LbInput, path: Path, refs: Refs): SteeringSettings {
  const defaultPools = refs.poolListOf(lb.default_pools, [...path, "default_pools"]);
  if (lb.fallback_pool !== undefined) refs.poolRef(lb.fallback_pool, [...path, "fallback_pool"]);
  const regionPools = refs.regionMap(lb.region_pools, [...path, "region_pools"]);
  const countryPools = refs.countryMap(lb.country_pools, [...path, "country_pools"]);
  const popPools = refs.popMap(lb.pop_pools, [...path, "pop_pools"]);
  return Object.freeze({
    defaultPools,
    // Cloudflare: "The default fallback pool is the last pool listed".
    fallbackPool: lb.fallback_pool ?? null,
    regionPools, countryPools, popPools, geoMapped: geoMapped(regionPools, countryPools),
    policy: lb.steering_policy,
    randomSteering: refs.weights(lb.random_steering, [...path, "random_steering"]),
    preferEcs: lb.location_strategy?.prefer_ecs ?? "proximity",
    ttl: lb.ttl,
  });
}

function buildRule(r: z.output<typeof RuleSchema>, label: string, path: Path, problems: Problem[], refs: Refs): Rule {
  const o = r.overrides;
  const at: Path = [...path, "overrides"];
  const overrides: { -readonly [K in keyof SteeringSettings]?: SteeringSettings[K] } = {};
  if (o.default_pools !== undefined) overrides.defaultPools = refs.poolListOf(o.default_pools, [...at, "default_pools"]);
  if (o.fallback_pool !== undefined) { refs.poolRef(o.fallback_pool, [...at, "fallback_pool"]); overrides.fallbackPool = o.fallback_pool; }
  if (o.region_pools !== undefined) overrides.regionPools = refs.regionMap(o.region_pools, [...at, "region_pools"]);
  if (o.country_pools !== undefined) overrides.countryPools = refs.countryMap(o.country_pools, [...at, "country_pools"]);
  if (o.pop_pools !== undefined) overrides.popPools = refs.popMap(o.pop_pools, [...at, "pop_pools"]);
  if (o.steering_policy !== undefined) overrides.policy = o.steering_policy;
  if (o.random_steering !== undefined) overrides.randomSteering = refs.weights(o.random_steering, [...at, "random_steering"]);
  if (o.location_strategy?.prefer_ecs !== undefined) overrides.preferEcs = o.location_strategy.prefer_ecs;
  if (o.ttl !== undefined) overrides.ttl = o.ttl;
  const condition = buildCondition(r.condition, [...path, "condition"], problems);
  const usesClient = isExpression(condition) ? condition.usesClient : condition.subnet !== undefined || condition.country !== undefined || condition.region !== undefined;
  return Object.freeze({ name: r.name || label, condition, overrides: Object.freeze(overrides), terminates: r.terminates, usesClient });
}

function buildCondition(c: string | z.output<typeof StructuredCondition>, path: Path, problems: Problem[]): Rule["condition"] {
  if (typeof c === "string") {
    const parsed = parseExpression(c);
    if (parsed.ok) return parsed.expression;
    problems.push({ path, message: `${parsed.message} (at offset ${parsed.offset})` });
    return Object.freeze({});
  }
  const subnet = c.subnet?.flatMap((cidr, j) => {
    const parsed = parseCidr(cidr);
    if (typeof parsed === "string") { problems.push({ path: [...path, "subnet", j], message: parsed }); return []; }
    return [{ cidr, ...parsed, location: {} }];
  });
  c.region?.forEach((reg, j) => { const bad = regionCodeProblem(reg); if (bad !== null) problems.push({ path: [...path, "region", j], message: bad }); });
  c.country?.forEach((cc, j) => { const bad = countryCodeProblem(cc); if (bad !== null) problems.push({ path: [...path, "country", j], message: bad }); });
  const condition: RuleCondition = { qtype: c.qtype, subnet, country: c.country, region: c.region as RegionCode[] | undefined };
  return Object.freeze(condition);
}

/**
 * An origin address: an IP literal (canonical), else a host name answered as a CNAME. Text that
 * looks like an IP literal (digits and dots only, or a colon) must be a valid one: "192.0.2.300"
 * is a typo, not a host name.
 */
function originAddress(text: string, path: Path, problems: Problem[]): { address: string; kind: Origin["kind"] } {
  if (parseIPv4(text) !== null) return { address: text, kind: "A" };
  const v6 = canonicalIPv6(text);
  if (v6 !== null) return { address: v6, kind: "AAAA" };
  if (/^[\d.]+$/.test(text)) problems.push({ path, message: `${JSON.stringify(text)} is not an IPv4 address (four numbers 0-255, no leading zeros)` });
  else if (text.includes(":")) problems.push({ path, message: `${JSON.stringify(text)} is not an IPv6 address` });
  else {
    const host = text.endsWith(".") ? text.slice(0, -1) : text;
    const bad = checkName(host, false);
    if (bad !== null) problems.push({ path, message: `${JSON.stringify(text)} is not an IP address or a host name: ${bad}` });
    return { address: host.toLowerCase(), kind: "CNAME" };
  }
  return { address: text, kind: "A" };
}

/** At the apex a host-name origin would be a CNAME beside the SOA and NS (RFC 1034 §3.6.2). */
function apexOrigins(lb: LoadBalancer, pools: ReadonlyMap<string, Pool>, path: Path, problems: Problem[]): void {
  const named = (s: Partial<SteeringSettings>) => [...(s.defaultPools ?? []), s.fallbackPool ?? "", ...[...(s.regionPools?.values() ?? []), ...(s.countryPools?.values() ?? []), ...(s.popPools?.values() ?? [])].flat()];
  const names = new Set([...named(lb), ...lb.rules.flatMap((r) => named(r.overrides))]);
  for (const name of names) {
    const host = pools.get(name)?.origins.find((o) => o.kind === "CNAME");
    if (host !== undefined) problems.push({ path, message: `pool ${name}'s origin ${host.name} is a host name (${host.address}): at the apex it would be a CNAME beside the SOA and NS; give it an address` });
  }
}

/** A field worth a warning: present with something other than an empty or default value. */
function meaningful(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "" || v === "none") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.values(v as object).some(meaningful);
  return true;
}
