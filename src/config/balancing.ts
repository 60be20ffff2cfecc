// The load-balancing part of a zone file → typed, immutable objects steering reads: pools (with
// their origins), load balancers keyed by owner name, networks, monitors. References are checked
// here: an unknown pool or monitor name is an error at its path.

import type { z } from "zod";
import { parseCidr, type Network } from "../locate/networks.js";
import { isRegionCode, type RegionCode } from "../locate/regions.js";
import type { Rule } from "../steer/rules.js";
import type { LoadBalancer, Origin, Pool } from "../steer/types.js";
import { canonicalIPv6, parseIPv4 } from "../wire/ip.js";
import { checkName, inZone, resolveName } from "./names.js";
import type { Path } from "./paths.js";
import { suggest } from "./paths.js";
import type { Monitor, ZoneFile } from "./schema.js";
import { healthKey, healthSlot } from "../health/slots.js";
import type { Problem } from "./validate.js";

export type MonitorConfig = z.infer<typeof Monitor>;

export interface Balancing {
  readonly monitors: ReadonlyMap<string, MonitorConfig>;
  readonly pools: ReadonlyMap<string, Pool>;
  readonly balancers: ReadonlyMap<string, LoadBalancer>;
  readonly networks: readonly Network[];
}

export const NO_BALANCING: Balancing = Object.freeze({ monitors: new Map(), pools: new Map(), balancers: new Map(), networks: [] });

export function validateBalancing(file: ZoneFile, origin: string, recordOwners: ReadonlySet<string>, problems: Problem[]): Balancing {
  const monitors = new Map(Object.entries(file.monitors));
  for (const [name, m] of monitors) {
    if (m.type === "tcp" && m.port === undefined) problems.push({ path: ["monitors", name, "port"], message: "a tcp monitor needs a port" });
  }
  const poolNames = Object.keys(file.pools);
  const unknown = (kind: string, name: string, known: string[], path: Path) => {
    const hint = suggest(name, known);
    problems.push({ path, message: `unknown ${kind} ${JSON.stringify(name)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : known.length ? ` (known: ${known.join(", ")})` : ""}` });
  };

  const pools = new Map<string, Pool>();
  for (const [name, p] of Object.entries(file.pools)) {
    const path: Path = ["pools", name];
    if (p.monitor !== undefined && !monitors.has(p.monitor)) unknown("monitor", p.monitor, [...monitors.keys()], [...path, "monitor"]);
    if ((p.latitude === undefined) !== (p.longitude === undefined)) problems.push({ path, message: "give both latitude and longitude, or neither" });
    const seen = new Set<string>();
    const origins: Origin[] = p.origins.map((o, i) => {
      const at: Path = [...path, "origins", i];
      if (seen.has(o.name)) problems.push({ path: [...at, "name"], message: `origin name ${JSON.stringify(o.name)} is used twice in this pool` });
      seen.add(o.name);
      let kind: Origin["kind"];
      let address = o.address;
      if (parseIPv4(o.address) !== null) kind = "A";
      else if (canonicalIPv6(o.address) !== null) { kind = "AAAA"; address = canonicalIPv6(o.address)!; }
      else {
        kind = "CNAME";
        const host = o.address.endsWith(".") ? o.address.slice(0, -1) : o.address;
        const problem = checkName(host, false);
        if (problem !== null) problems.push({ path: [...at, "address"], message: `${JSON.stringify(o.address)} is not an IP address or a host name: ${problem}` });
        address = host.toLowerCase();
      }
      return Object.freeze({ name: o.name, address, kind, enabled: o.enabled, weight: o.weight, healthAddress: o.health_address ?? null, ...healthKeyAndSlot(`${origin}/${name}`, o.name) });
    });
    if (p.minimum_origins > origins.length) problems.push({ path: [...path, "minimum_origins"], message: `${p.minimum_origins} is more than the pool's ${origins.length} origins: the pool could never be healthy` });
    pools.set(name, Object.freeze({
      id: `${origin}/${name}`, healthSlot: healthSlot(`${origin}/${name}`),
      name, origins: Object.freeze(origins), minimumOrigins: p.minimum_origins, monitor: p.monitor ?? null,
      latitude: p.latitude ?? null, longitude: p.longitude ?? null, originPolicy: p.origin_steering?.policy ?? "random", enabled: p.enabled,
    }));
  }

  const poolList = (names: readonly string[], path: Path): string[] => {
    names.forEach((n, i) => { if (!pools.has(n)) unknown("pool", n, poolNames, [...path, i]); });
    return [...names];
  };

  const balancers = new Map<string, LoadBalancer>();
  for (const [key, lb] of Object.entries(file.load_balancers)) {
    const path: Path = ["load_balancers", key];
    const owner = resolveName(key, origin);
    if (typeof owner !== "string") { problems.push({ path, message: owner.error }); continue; }
    if (!inZone(owner, origin)) { problems.push({ path, message: `${owner} is outside the zone ${origin}` }); continue; }
    if (owner.startsWith("*.")) { problems.push({ path, message: "a load balancer needs a name of its own, not a wildcard" }); continue; }
    if (recordOwners.has(owner)) problems.push({ path, message: `${owner} also has records: a load balancer answers A and AAAA at its name, and nothing else is served there` });
    if (balancers.has(owner)) { problems.push({ path, message: `a second load balancer for ${owner}` }); continue; }
    const regionMap = (m: Record<string, string[]>, at: Path) => {
      const out = new Map<RegionCode, readonly string[]>();
      for (const [region, names] of Object.entries(m)) {
        if (!isRegionCode(region)) problems.push({ path: [...at, region], message: `unknown region ${JSON.stringify(region)} (WNAM ENAM WEU EEU NSAM SSAM OC ME NAF SAF SAS SEAS NEAS)` });
        else out.set(region, poolList(names, [...at, region]));
      }
      return out;
    };
    const countryMap = (m: Record<string, string[]>, at: Path) => {
      const out = new Map<string, readonly string[]>();
      for (const [country, names] of Object.entries(m)) {
        if (!/^[A-Z]{2}$/.test(country)) problems.push({ path: [...at, country], message: "country codes are two capital letters (ISO 3166-1 alpha-2)" });
        else out.set(country, poolList(names, [...at, country]));
      }
      return out;
    };
    const regionPools = regionMap(lb.region_pools ?? {}, [...path, "region_pools"]);
    const countryPools = countryMap(lb.country_pools ?? {}, [...path, "country_pools"]);
    const rules: Rule[] = [];
    lb.rules.forEach((r, i) => {
      const at: Path = [...path, "rules", i];
      if (r.disabled) return;
      const c = r.condition;
      const subnet = c.subnet?.flatMap((cidr, j) => {
        const parsed = parseCidr(cidr);
        if (typeof parsed === "string") { problems.push({ path: [...at, "condition", "subnet", j], message: parsed }); return []; }
        return [{ cidr, ...parsed, location: {} }];
      });
      c.region?.forEach((reg, j) => { if (!isRegionCode(reg)) problems.push({ path: [...at, "condition", "region", j], message: `unknown region ${JSON.stringify(reg)}` }); });
      const o = r.overrides;
      if (o.fallback_pool !== undefined && !pools.has(o.fallback_pool)) unknown("pool", o.fallback_pool, poolNames, [...at, "overrides", "fallback_pool"]);
      rules.push(Object.freeze({
        name: r.name,
        condition: Object.freeze({ qtype: c.qtype, subnet, country: c.country, region: c.region as RegionCode[] | undefined }),
        overrides: Object.freeze({
          ...(o.default_pools ? { defaultPools: poolList(o.default_pools, [...at, "overrides", "default_pools"]) } : {}),
          ...(o.fallback_pool !== undefined ? { fallbackPool: o.fallback_pool } : {}),
          ...(o.steering_policy !== undefined ? { policy: o.steering_policy } : {}),
          ...(o.ttl !== undefined ? { ttl: o.ttl } : {}),
          ...(o.region_pools ? { regionPools: regionMap(o.region_pools, [...at, "overrides", "region_pools"]) } : {}),
          ...(o.country_pools ? { countryPools: countryMap(o.country_pools, [...at, "overrides", "country_pools"]) } : {}),
          ...(o.location_strategy ? { preferEcs: o.location_strategy.prefer_ecs } : {}),
        }),
        terminates: r.terminates,
      }));
    });
    const weights = new Map(Object.entries(lb.random_steering?.pool_weights ?? {}));
    for (const name of weights.keys()) if (!pools.has(name)) unknown("pool", name, poolNames, [...path, "random_steering", "pool_weights", name]);
    if (lb.fallback_pool !== undefined && !pools.has(lb.fallback_pool)) unknown("pool", lb.fallback_pool, poolNames, [...path, "fallback_pool"]);
    balancers.set(owner, Object.freeze({
      name: owner,
      defaultPools: poolList(lb.default_pools, [...path, "default_pools"]),
      fallbackPool: lb.fallback_pool ?? null,
      regionPools, countryPools,
      policy: lb.steering_policy,
      randomSteering: { defaultWeight: lb.random_steering?.default_weight ?? 1, poolWeights: weights },
      preferEcs: lb.location_strategy?.prefer_ecs ?? "proximity",
      ttl: lb.ttl,
      maxAnswers: lb.max_answers,
      rules: Object.freeze(rules),
    }));
  }

  const networks: Network[] = [];
  for (const [cidr, location] of Object.entries(file.networks)) {
    const parsed = parseCidr(cidr);
    if (typeof parsed === "string") { problems.push({ path: ["networks", cidr], message: parsed }); continue; }
    if (location.region !== undefined && !isRegionCode(location.region)) problems.push({ path: ["networks", cidr, "region"], message: `unknown region ${JSON.stringify(location.region)}` });
    networks.push(Object.freeze({ cidr, ...parsed, location: Object.freeze({ ...location }) }));
  }
  return Object.freeze({ monitors, pools, balancers, networks: Object.freeze(networks) });
}

function healthKeyAndSlot(poolId: string, origin: string): { healthKey: string; healthSlot: number } {
  const key = healthKey(poolId, origin);
  return { healthKey: key, healthSlot: healthSlot(key) };
}
