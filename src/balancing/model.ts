// The load-balancing model, as steering reads it: built once per zone file load (build.ts), immutable,
// with everything a query needs computed up front (origins by family, dense indexes for health).
// Nothing here knows about health states or sockets: health/ implements HealthView for it.

import type { Location } from "../locate/locate.js";
import type { Network } from "../locate/networks.js";
import type { RegionCode } from "../locate/regions.js";
import type { MonitorSettings } from "../monitor/registry.js";
import type { Expression } from "./expression.js";
import type { PolicyName } from "./policies/names.js";

export type Family = "A" | "AAAA";

export interface Origin {
  readonly name: string;
  /** IPv4 or IPv6 text (canonical), or a host name (answered as a CNAME). */
  readonly address: string;
  readonly kind: "A" | "AAAA" | "CNAME";
  readonly enabled: boolean;
  /** 0 to 1; 0 = never answered (Cloudflare: no traffic), though still monitored and counted for health. */
  readonly weight: number;
  /** What the monitor probes instead of `address`, when given (check one thing, answer another). */
  readonly healthAddress: string | null;
  /** The origin's `header.Host` (Cloudflare): the monitor's Host header and TLS name for this origin. */
  readonly hostHeader: string | null;
  /** "zone/pool/origin": how overrides and the health table name it. */
  readonly key: string;
  /** Dense index among all origins of the zone's pools: where a bound health view keeps its slot. */
  readonly index: number;
}

export interface Pool {
  readonly name: string;
  /** "zone/pool": how overrides and the health table name it. */
  readonly key: string;
  /** Dense index among the zone's pools. */
  readonly index: number;
  readonly origins: readonly Origin[];
  /** Origins that may be answered for each family: enabled, weight > 0, and IPv4 (A), IPv6 (AAAA) or a host name (both). */
  readonly byFamily: { readonly A: readonly Origin[]; readonly AAAA: readonly Origin[] };
  readonly minimumOrigins: number;
  /** Monitor name, or null: the pool's enabled origins count as up. */
  readonly monitor: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly originPolicy: "random" | "hash";
  readonly enabled: boolean;
}

/** prefer_ecs (Cloudflare's location_strategy): when the EDNS Client Subnet locates the client. */
export type PreferEcs = "always" | "never" | "proximity" | "geo";

export interface RandomSteering {
  readonly defaultWeight: number;
  readonly poolWeights: ReadonlyMap<string, number>;
}

/** What a load balancer steers with; rules override these fields. */
export interface SteeringSettings {
  readonly defaultPools: readonly string[];
  /** The last resort, health ignored: `fallback_pool`, or null for the last of `default_pools` (Cloudflare). */
  readonly fallbackPool: string | null;
  readonly regionPools: ReadonlyMap<RegionCode, readonly string[]>;
  readonly countryPools: ReadonlyMap<string, readonly string[]>;
  /** "" resolved at build: geo when a geo map is set, else off. */
  readonly policy: PolicyName;
  readonly randomSteering: RandomSteering;
  readonly preferEcs: PreferEcs;
  readonly ttl: number;
}

export interface LoadBalancer extends SteeringSettings {
  /** Owner name, absolute, lower case ("*.app.lb.example.com" for a wildcard). */
  readonly name: string;
  readonly maxAnswers: number;
  /** Custom rules in evaluation order (priority, then as listed); disabled ones are not here. */
  readonly rules: readonly Rule[];
}

export interface RuleCondition {
  readonly qtype?: readonly Family[];
  readonly subnet?: readonly Network[];
  readonly country?: readonly string[];
  readonly region?: readonly RegionCode[];
}

export interface Rule {
  readonly name: string;
  /** gslb's structured condition, or Cloudflare's expression. */
  readonly condition: RuleCondition | Expression;
  readonly overrides: Partial<SteeringSettings>;
  readonly terminates: boolean;
}

/** One zone's load balancing: what the zone's load balancer names resolve to. */
export interface Balancing {
  readonly origin: string;
  readonly monitors: ReadonlyMap<string, MonitorSettings>;
  readonly pools: ReadonlyMap<string, Pool>;
  /** By owner name; only enabled load balancers (a disabled one leaves its name to the records). */
  readonly balancers: ReadonlyMap<string, LoadBalancer>;
  readonly networks: readonly Network[];
  /** Every origin of every pool, by Origin.index. */
  readonly origins: readonly Origin[];
  /** Pools by Pool.index. */
  readonly poolList: readonly Pool[];
}

/** What steering may ask of health, bound to one zone's Balancing (health/ implements it). */
export interface HealthView {
  /** Up by its monitor (or unmonitored), or forced up or drained by an operator; enabled or not. */
  originUp(pool: Pool, origin: Origin): boolean;
  originDrained(origin: Origin): boolean;
  /** Enabled, and at least minimum_origins of its enabled origins up (or forced up, or drained). */
  poolHealthy(pool: Pool): boolean;
  poolDrained(pool: Pool): boolean;
  /** EWMA of monitor RTT in ms, or null with no data yet. */
  poolRtt(pool: Pool): number | null;
}

/** The client as steering sees it, parsed once per query. */
export interface Client {
  /** The address located and hashed: the ECS subnet when used, else the resolver. */
  readonly address: string;
  readonly family: 4 | 6;
  /** 4 or 16 bytes, bits past `bits` zero. */
  readonly bytes: Buffer;
  /** Known leading bits: the ECS source prefix, or all of the resolver's. */
  readonly bits: number;
  readonly fromEcs: boolean;
  /** Located lazily: only geo, proximity and location rules ask. */
  location(): Location;
}
