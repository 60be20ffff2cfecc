// The load-balancing sections of a zone file, as zod schemas: Cloudflare's API objects as they are
// (same field names and defaults), keyed by name. Every field of Cloudflare's load balancer, pool,
// origin and rule is known: honoured; or accepted with a warning saying why it has no effect here
// (IGNORED below: proxy-only features, things one instance cannot do); or descriptive (ids, times).
// Only `proxied: true` is refused. Monitors' schemas come from their types (monitor/registry.ts).

import { z } from "zod";
import { MonitorSchema } from "../monitor/registry.js";
import { MAX_TTL } from "../wire/constants.js";
import { POLICY_NAMES } from "./policies/index.js";

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const Ttl = int(0, MAX_TTL);
const Latitude = z.number().min(-90).max(90);
const Longitude = z.number().min(-180).max(180);
/** Read-only or free-text fields of Cloudflare's objects: accepted, not used. */
const Descriptive = z.unknown().optional();
/** Known fields that mean nothing for a DNS-only load balancer on one instance: warned about (IGNORED). */
const Ignored = z.unknown().optional();

const PoolList = z.array(z.string()).min(1);
const PolicyEnum = z.enum(["", ...POLICY_NAMES]);
const LocationStrategy = z.strictObject({
  mode: z.enum(["pop", "resolver_ip"]).optional().describe("without a PoP, gslb always locates by the resolver (resolver_ip)"),
  prefer_ecs: z.enum(["always", "never", "proximity", "geo"]).optional(),
});
const RandomSteering = z.strictObject({
  default_weight: z.number().min(0).max(1).optional(),
  pool_weights: z.record(z.string(), z.number().min(0).max(1)).optional(),
});

/** Cloudflare's pool notification filter options for one kind of resource (pool or origin); null: reset (all events). */
const FilterOptions = z.strictObject({
  disable: z.boolean().default(false).describe("true: no notifications for this kind of resource (pool or origin)"),
  healthy: z.boolean().nullable().optional().describe("only notifications of this health (false: only DOWN events); absent or null: all"),
}).nullable().optional();
/** Cloudflare's `notification_filter` (a pool's); gslb's per-zone webhooks take the same shape as their `filter`. */
export const NotificationFilterSchema = z.strictObject({
  origin: FilterOptions.describe("events of the pool's origins"),
  pool: FilterOptions.describe("events of the pool itself (healthy under minimum_origins, or not)"),
});

/** gslb: a webhook of the zone file's `notifications` section (src/notify/). */
export const WebhookSchema = z.strictObject({
  url: z.string().regex(/^https?:\/\//i, "an http:// or https:// URL").describe("POSTed a JSON body for each state change"),
  secret_file: z.string().min(1).optional().describe("a file whose first line is the HMAC secret (X-Gslb-Signature); relative to the zone directory"),
  pools: z.array(z.string()).min(1).optional().describe("only these pools' events (default: every pool of the zone)"),
  filter: NotificationFilterSchema.optional().describe("Cloudflare's notification_filter semantics, for this webhook"),
});

export const NotificationsSchema = z.strictObject({
  webhooks: z.array(WebhookSchema).default([]),
});

export const OriginSchema = z.strictObject({
  name: z.string().min(1),
  address: z.string().min(1).describe("IPv4, IPv6, or a host name (answered as a CNAME)"),
  enabled: z.boolean().default(true),
  weight: z.number().min(0).max(1).default(1).describe("0 = no traffic (still monitored)"),
  header: z.strictObject({ Host: z.union([z.string(), z.array(z.string()).length(1)]) }).optional()
    .describe("Host header (and TLS name) the monitor sends for this origin"),
  health_address: z.string().optional().describe("gslb: probe this address instead of `address`"),
  port: Ignored,
  virtual_network_id: Ignored,
  flatten_cname: Ignored,
  disabled_at: Descriptive,
});

export const PoolSchema = z.strictObject({
  origins: z.array(OriginSchema).min(1),
  minimum_origins: int(0, 1000).default(1),
  monitor: z.string().optional(),
  latitude: Latitude.optional(),
  longitude: Longitude.optional(),
  origin_steering: z.strictObject({ policy: z.enum(["random", "hash", "least_outstanding_requests", "least_connections"]).default("random") }).nullable().optional(),
  enabled: z.boolean().default(true),
  name: Descriptive,
  description: Descriptive,
  id: Descriptive,
  created_on: Descriptive,
  modified_on: Descriptive,
  disabled_at: Descriptive,
  healthy: Descriptive,
  notification_email: Ignored,
  notification_filter: NotificationFilterSchema.nullable().optional().describe("which state changes the webhooks are told of (Cloudflare's semantics)"),
  check_regions: z.array(z.string()).nullable().optional()
    .describe("gslb serve --etcd: only instances probing from these regions (--region) vote on this pool's origins; null, absent, ALL_REGIONS or ALL_DATACENTERS: every instance"),
  health_sources: Ignored,
  load_shedding: Ignored,
  monitor_group: Ignored,
  networks: Ignored,
});

/** gslb's structured rule condition: every field given must match; any value of a field may. */
export const StructuredCondition = z.strictObject({
  qtype: z.array(z.enum(["A", "AAAA"])).min(1).optional(),
  subnet: z.array(z.string()).min(1).optional().describe("CIDRs; the client (ECS subnet or resolver) is inside one"),
  country: z.array(z.string()).min(1).optional(),
  region: z.array(z.string()).min(1).optional(),
});

const SteeringFields = {
  default_pools: PoolList.optional(),
  fallback_pool: z.string().optional(),
  region_pools: z.record(z.string(), PoolList).optional(),
  country_pools: z.record(z.string(), PoolList).optional(),
  steering_policy: PolicyEnum.optional(),
  random_steering: RandomSteering.optional(),
  location_strategy: LocationStrategy.optional(),
  ttl: Ttl.optional(),
  pop_pools: z.record(z.string(), PoolList).optional().describe("points of presence (gslb serve --pop) → pools; before country_pools and region_pools, as at Cloudflare"),
  session_affinity: Ignored,
  session_affinity_ttl: Ignored,
  session_affinity_attributes: Ignored,
  adaptive_routing: Ignored,
};

export const RuleSchema = z.strictObject({
  name: z.string().optional().describe("for people (explain, logs); default: rules[i]"),
  condition: z.union([z.string(), StructuredCondition]).default("")
    .describe("a Cloudflare expression (`dns.qry.type == 28 and ip.src in {10.0.0.0/8}`) or gslb's structured form; empty: always"),
  overrides: z.strictObject(SteeringFields).default({}),
  terminates: z.boolean().default(false),
  priority: int(0, 2 ** 31 - 1).default(0).describe("lower first; equal priorities keep their order"),
  disabled: z.boolean().default(false),
  fixed_response: Ignored,
});

export const LoadBalancerSchema = z.strictObject({
  ...SteeringFields,
  default_pools: PoolList,
  steering_policy: PolicyEnum.default(""),
  ttl: Ttl.default(30),
  enabled: z.boolean().default(true),
  proxied: z.boolean().default(false),
  max_answers: int(1, 8).default(1).describe("gslb: addresses of the chosen pool per answer"),
  rules: z.array(RuleSchema).default([]),
  name: Descriptive,
  description: Descriptive,
  id: Descriptive,
  created_on: Descriptive,
  modified_on: Descriptive,
  zone_name: Descriptive,
  networks: Ignored,
  pool_sets: Ignored,
});

export const NetworkSchema = z.strictObject({
  country: z.string().optional(),
  subdivision: z.string().optional(),
  region: z.string().optional(),
  latitude: Latitude.optional(),
  longitude: Longitude.optional(),
});

/** The zone file's load-balancing keys. */
export const BalancingSections = {
  monitors: z.record(z.string(), MonitorSchema).default({}),
  pools: z.record(z.string(), PoolSchema).default({}),
  load_balancers: z.record(z.string(), LoadBalancerSchema).default({}).describe("owner name → load balancer (Cloudflare's object)"),
  networks: z.record(z.string(), NetworkSchema).default({}).describe("gslb: CIDR → location, checked before GeoIP"),
  notifications: NotificationsSchema.default({ webhooks: [] }).describe("gslb: webhooks told of this zone's origin and pool state changes"),
};

const STEERING_IGNORED = {
  session_affinity: "no effect: session affinity needs Cloudflare's proxy (DNS-only)",
  session_affinity_ttl: "no effect: session affinity needs Cloudflare's proxy (DNS-only)",
  session_affinity_attributes: "no effect: session affinity needs Cloudflare's proxy (DNS-only)",
  adaptive_routing: "no effect: adaptive routing retries requests in Cloudflare's proxy (DNS-only)",
};

/** Accepted fields that have no effect here, and why: the loader prints one warning per field present. */
export const IGNORED = {
  load_balancer: {
    ...STEERING_IGNORED,
    networks: "no effect: Cloudflare's network selection",
    pool_sets: "no effect: pool sets are not supported yet; use rules",
  },
  overrides: STEERING_IGNORED,
  rule: { fixed_response: "no effect: fixed responses are for proxied load balancers (DNS-only)" },
  pool: {
    notification_email: "no effect: gslb sends no e-mail; use webhooks (notifications.webhooks, gslb serve --webhook)",
    health_sources: "no effect: one instance probes from where it runs",
    load_shedding: "no effect: load shedding needs Cloudflare's proxy (DNS-only)",
    monitor_group: "no effect: monitor groups are not supported; set `monitor`",
    networks: "no effect: Cloudflare's network selection",
  },
  origin: {
    port: "no effect: a DNS answer carries no port (the monitor's port is probed)",
    virtual_network_id: "no effect: virtual networks are Cloudflare Tunnel's",
    flatten_cname: "no effect: gslb answers a host-name origin as a CNAME (as flatten_cname: false)",
  },
} as const;
