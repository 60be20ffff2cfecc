// The typed, immutable load-balancing configuration that steering reads (built from the zone file
// once at load), and the shape of a steering decision.

import type { Location } from "../locate/locate.js";
import type { RegionCode } from "../locate/regions.js";

export type SteeringPolicy = "off" | "random" | "geo" | "proximity" | "dynamic_latency" | "least_outstanding_requests" | "least_connections" | "";

export interface Origin {
  readonly name: string;
  /** IPv4 or IPv6 text, or a host name (answered as a CNAME). */
  readonly address: string;
  readonly kind: "A" | "AAAA" | "CNAME";
  readonly enabled: boolean;
  /** 0 to 1; 0 = never chosen while another is healthy. */
  readonly weight: number;
  /** What the monitor probes instead of `address`, when given (check one thing, answer another). */
  readonly healthAddress: string | null;
  /** "poolId/name": the key of its overrides and of its slot in the health table (health/slots.ts). */
  readonly healthKey: string;
  readonly healthSlot: number;
}

export interface Pool {
  /** Unique across zones ("lb.example.com/us-east"): what health is keyed by. */
  readonly id: string;
  /** Slot of `id` in the health table (health/slots.ts), for the pool's RTT average. */
  readonly healthSlot: number;
  readonly name: string;
  readonly origins: readonly Origin[];
  readonly minimumOrigins: number;
  /** Monitor name, or null: a pool with no monitor is always healthy. */
  readonly monitor: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly originPolicy: "random" | "hash";
  readonly enabled: boolean;
}

export interface LoadBalancer {
  /** Owner name, absolute, lower case. */
  readonly name: string;
  readonly defaultPools: readonly string[];
  readonly fallbackPool: string | null;
  readonly regionPools: ReadonlyMap<RegionCode, readonly string[]>;
  readonly countryPools: ReadonlyMap<string, readonly string[]>;
  readonly policy: SteeringPolicy;
  readonly randomSteering: { readonly defaultWeight: number; readonly poolWeights: ReadonlyMap<string, number> };
  readonly preferEcs: "always" | "never" | "proximity" | "geo";
  readonly ttl: number;
  readonly maxAnswers: number;
  /** Specialized routing (rules.ts), in order. */
  readonly rules: readonly import("./rules.js").Rule[];
}

/** What steering may ask of health (src/health implements it; tests set states directly). */
export interface HealthView {
  originUp(pool: Pool, origin: Origin): boolean;
  poolHealthy(pool: Pool): boolean;
  /** EWMA of monitor RTT for the pool in ms, or null with no data yet. */
  poolRtt(pool: Pool): number | null;
  /** Drained by an operator: healthy, but given no new traffic. */
  poolDrained(pool: Pool): boolean;
  originDrained(pool: Pool, origin: Origin): boolean;
}

export interface Client {
  readonly location: Location;
  /** Key of the client's subnet for hash steering (the ECS subnet or the resolver's /24 or /48). */
  readonly subnetKey: string;
}

export interface PoolConsidered {
  readonly pool: string;
  readonly healthy: boolean;
  readonly drained?: boolean;
}

/** A pool choice and why: what `explain` prints and query logs carry. */
export interface PoolDecision {
  readonly pool: Pool | null;
  readonly policy: Exclude<SteeringPolicy, "">;
  readonly reason: string;
  readonly considered: readonly PoolConsidered[];
  /** The choice depended on where the client is (geo, proximity). */
  readonly usedLocation: boolean;
  readonly fallback: boolean;
}
