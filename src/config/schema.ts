// The zone file, as zod schemas: the single source of truth for validation (load.ts), the types
// the loader works with, and the published JSON Schema (`gslb schema`). Structure only: rules that
// need the whole zone (CNAME exclusivity, delegations, names) are in validate.ts.

import { z } from "zod";
import { MAX_TTL } from "../wire/constants.js";

const int = (min: number, max: number) => z.number().int().min(min).max(max);
export const Ttl = int(0, MAX_TTL).describe("seconds, 0 to 2147483647");
const U32 = int(0, 2 ** 32 - 1);
const U16 = int(0, 65535);
const U8 = int(0, 255);
/** A name: relative to the zone, "@" for the apex, or absolute with a trailing dot. */
const Name = z.string().min(1).describe('relative to the zone, "@" for the apex, or absolute ending in "."');

export const Soa = z.strictObject({
  mname: Name.describe("primary name server"),
  rname: Name.describe('responsible mailbox as a name: "hostmaster.example.com."'),
  serial: U32,
  refresh: U32,
  retry: U32,
  expire: U32,
  minimum: U32.describe("negative-answer TTL cap (RFC 2308)"),
});

export const Mx = z.strictObject({ preference: U16, exchange: Name });
export const Srv = z.strictObject({ priority: U16, weight: U16, port: U16, target: Name });
export const Caa = z.strictObject({
  flags: U8,
  tag: z.string().regex(/^[A-Za-z0-9]{1,15}$/, "1 to 15 letters or digits (RFC 8659)"),
  value: z.string(),
});
/** One TXT record: a string (split into 255-byte pieces) or its character-strings one by one. */
export const TxtRecord = z.union([z.string(), z.array(z.string()).min(1)]);

/**
 * The forms one RRset may take: a single value, an array, or with its own TTL:
 * { "ttl": 60, "values": [...] } / { "ttl": 60, "value": ... }.
 */
function rrset<T extends z.ZodType>(value: T) {
  return z.union([
    value,
    z.array(value).min(1),
    z.strictObject({ ttl: Ttl.optional(), values: z.array(value).min(1) }),
    z.strictObject({ ttl: Ttl.optional(), value }),
  ]);
}

const Address = z.string().describe("IP address text");

export const RecordTypes = {
  NS: rrset(Name),
  A: rrset(Address),
  AAAA: rrset(Address),
  CNAME: rrset(Name),
  MX: rrset(Mx),
  TXT: rrset(TxtRecord),
  SRV: rrset(Srv),
  CAA: rrset(Caa),
  PTR: rrset(Name),
} as const;
export type RecordTypeName = keyof typeof RecordTypes;

export const NameRecords = z.strictObject({
  NS: RecordTypes.NS.optional(),
  A: RecordTypes.A.optional(),
  AAAA: RecordTypes.AAAA.optional(),
  CNAME: RecordTypes.CNAME.optional(),
  MX: RecordTypes.MX.optional(),
  TXT: RecordTypes.TXT.optional(),
  SRV: RecordTypes.SRV.optional(),
  CAA: RecordTypes.CAA.optional(),
  PTR: RecordTypes.PTR.optional(),
});

export const DEFAULT_ZONE_TTL = 3600;

// ---------------------------------------------------------------- load balancing (Cloudflare's names)

const Latitude = z.number().min(-90).max(90);
const Longitude = z.number().min(-180).max(180);

/** Health monitor settings (probes arrive with issue 4; the fields and defaults are Cloudflare's). */
export const Monitor = z.strictObject({
  type: z.enum(["http", "https", "tcp"]).default("http"),
  method: z.enum(["GET", "HEAD"]).optional(),
  path: z.string().startsWith("/").optional(),
  header: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  port: U16.optional(),
  timeout: int(1, 60).default(5),
  retries: int(0, 5).default(2),
  interval: int(5, 3600).default(60),
  expected_codes: z.union([z.string(), z.array(z.string())]).optional(),
  expected_body: z.string().optional(),
  follow_redirects: z.boolean().default(false),
  allow_insecure: z.boolean().default(false),
  consecutive_up: int(1, 100).default(1),
  consecutive_down: int(1, 100).default(1),
});

export const OriginSchema = z.strictObject({
  name: z.string().min(1),
  address: z.string().min(1).describe("IPv4, IPv6, or a host name (answered as a CNAME)"),
  enabled: z.boolean().default(true),
  weight: z.number().min(0).max(1).default(1),
  health_address: z.string().optional().describe("checked instead of address (issue 4)"),
});

export const PoolSchema = z.strictObject({
  origins: z.array(OriginSchema).min(1),
  minimum_origins: int(1, 1000).default(1),
  monitor: z.string().optional(),
  latitude: Latitude.optional(),
  longitude: Longitude.optional(),
  origin_steering: z.strictObject({ policy: z.enum(["random", "hash"]).default("random") }).optional(),
  enabled: z.boolean().default(true),
});

const PoolList = z.array(z.string()).min(1);

/** Rule overrides: the load balancer's own fields. */
const RuleOverrides = z.strictObject({
  default_pools: PoolList.optional(),
  fallback_pool: z.string().optional(),
  steering_policy: z.enum(["off", "random", "geo", "proximity", "dynamic_latency", "least_outstanding_requests", "least_connections", ""]).optional(),
  ttl: Ttl.optional(),
  region_pools: z.record(z.string(), PoolList).optional(),
  country_pools: z.record(z.string(), PoolList).optional(),
  location_strategy: z.strictObject({ prefer_ecs: z.enum(["always", "never", "proximity", "geo"]) }).optional(),
});

export const RuleSchema = z.strictObject({
  name: z.string().min(1),
  condition: z.strictObject({
    qtype: z.array(z.enum(["A", "AAAA"])).min(1).optional(),
    subnet: z.array(z.string()).min(1).optional().describe("CIDRs; the client (ECS subnet or resolver) is inside one"),
    country: z.array(z.string().regex(/^[A-Z]{2}$/, "two capital letters (ISO 3166-1)")).min(1).optional(),
    region: z.array(z.string()).min(1).optional(),
  }).default({}).describe("every field given must match; any listed value of a field matches"),
  overrides: RuleOverrides.default({}),
  terminates: z.boolean().default(true),
  disabled: z.boolean().default(false),
});

export const LoadBalancerSchema = z.strictObject({
  default_pools: PoolList,
  fallback_pool: z.string().optional(),
  region_pools: z.record(z.string(), PoolList).optional(),
  country_pools: z.record(z.string(), PoolList).optional(),
  steering_policy: z.enum(["off", "random", "geo", "proximity", "dynamic_latency", "least_outstanding_requests", "least_connections", ""]).default(""),
  random_steering: z.strictObject({ default_weight: z.number().min(0).max(1).default(1), pool_weights: z.record(z.string(), z.number().min(0).max(1)).optional() }).optional(),
  location_strategy: z.strictObject({ prefer_ecs: z.enum(["always", "never", "proximity", "geo"]).default("proximity") }).optional(),
  ttl: Ttl.default(30),
  max_answers: int(1, 8).default(1),
  rules: z.array(RuleSchema).default([]),
});

export const NetworkSchema = z.strictObject({
  country: z.string().regex(/^[A-Z]{2}$/, "two capital letters (ISO 3166-1)").optional(),
  subdivision: z.string().optional(),
  region: z.string().optional(),
  latitude: Latitude.optional(),
  longitude: Longitude.optional(),
});

export const ZoneFile = z.strictObject({
  $schema: z.string().optional(),
  zone: z.string().min(1).describe("the apex, e.g. lb.example.com"),
  ttl: Ttl.default(DEFAULT_ZONE_TTL).describe("TTL of records that set none, and of the SOA"),
  soa: Soa,
  records: z.record(z.string(), NameRecords).default({}).describe("owner name → type → values"),
  monitors: z.record(z.string(), Monitor).default({}),
  pools: z.record(z.string(), PoolSchema).default({}),
  load_balancers: z.record(z.string(), LoadBalancerSchema).default({}).describe("owner name → load balancer"),
  networks: z.record(z.string(), NetworkSchema).default({}).describe("CIDR → location, checked before GeoIP"),
});
export type ZoneFile = z.infer<typeof ZoneFile>;

/** Known keys of each object, for "did you mean" on unknown keys. */
export const KNOWN_KEYS = {
  top: Object.keys(ZoneFile.shape),
  soa: Object.keys(Soa.shape),
  types: Object.keys(NameRecords.shape),
  rrset: ["ttl", "values", "value"],
  MX: Object.keys(Mx.shape),
  SRV: Object.keys(Srv.shape),
  CAA: Object.keys(Caa.shape),
  monitor: Object.keys(Monitor.shape),
  pool: Object.keys(PoolSchema.shape),
  origin: Object.keys(OriginSchema.shape),
  load_balancer: Object.keys(LoadBalancerSchema.shape),
  network: Object.keys(NetworkSchema.shape),
};

export function zoneJsonSchema(): unknown {
  return z.toJSONSchema(ZoneFile, { io: "input" });
}
