// The types a steering policy works with: origins, pools, the client, health, and the settings
// every policy reads. Kept apart from model.ts so that policies/ imports nothing that names them
// (model.ts names policies by their registry's keys).

import type { Location } from "../locate/locate.js";
import type { RegionCode } from "../locate/regions.js";

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
  /** Cloudflare's notification_filter: which of its state changes webhooks are told of (null: all). */
  readonly notificationFilter: NotificationFilter | null;
  /** Cloudflare's check_regions: with several instances (gslb serve --etcd), only those probing from these regions vote on its origins' health (null: every instance). */
  readonly checkRegions: ReadonlySet<RegionCode> | null;
}

/** Cloudflare's filter options for one kind of resource: none (disable), or only one health (healthy; null: both). */
export interface FilterOptions {
  readonly disable: boolean;
  readonly healthy: boolean | null;
}

/** Cloudflare's notification_filter: per kind of resource, null when not set (every event). */
export interface NotificationFilter {
  readonly origin: FilterOptions | null;
  readonly pool: FilterOptions | null;
}

/** prefer_ecs (Cloudflare's location_strategy): when the EDNS Client Subnet locates the client. */
export type PreferEcs = "always" | "never" | "proximity" | "geo";

export interface RandomSteering {
  readonly defaultWeight: number;
  readonly poolWeights: ReadonlyMap<string, number>;
}

/** What a load balancer steers with, but the policy's name (model.ts adds it); rules override these fields. */
export interface SteeringBase {
  readonly defaultPools: readonly string[];
  /** The last resort, health ignored: `fallback_pool`, or null for the last of `default_pools` (Cloudflare). */
  readonly fallbackPool: string | null;
  readonly regionPools: ReadonlyMap<RegionCode, readonly string[]>;
  readonly countryPools: ReadonlyMap<string, readonly string[]>;
  /** Cloudflare's pop_pools: by the answering instance's point of presence (gslb serve --pop), upper-cased; before countries and regions. */
  readonly popPools: ReadonlyMap<string, readonly string[]>;
  /**
   * The codes the two maps above hold, as one table by code number (locate.ts: codeId): bit 1 a
   * country, bit 2 a region (policies/geo.ts: geoMapped). Shared by every load balancer with the
   * same codes, so classing a client reads one small array that stays in cache, not two Maps per
   * load balancer. Absent: the maps are read.
   */
  readonly geoMapped?: Uint8Array;
  readonly randomSteering: RandomSteering;
  readonly preferEcs: PreferEcs;
  readonly ttl: number;
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
  /** The pool's RTT as measured by the instances probing from a region (else the nearest region that has measurements); null without (gslb serve --etcd only). */
  poolRttIn(pool: Pool, region: RegionCode): number | null;
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
