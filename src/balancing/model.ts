// The load-balancing model, as steering reads it: built once per zone file load (build.ts), immutable,
// with everything a query needs computed up front (origins by family, dense indexes for health).
// Nothing here knows about health states or sockets: health/ implements HealthView for it. The
// pool-level types policies use are in pool.ts.

import type { Network } from "../locate/networks.js";
import type { RegionCode } from "../locate/regions.js";
import type { MonitorSettings } from "../monitor/registry.js";
import type { Expression } from "./expression.js";
import type { PolicyName } from "./policies/index.js";
import type { Family, NotificationFilter, Origin, Pool, SteeringBase } from "./pool.js";

export type { Client, Family, FilterOptions, HealthView, NotificationFilter, Origin, Pool, PreferEcs, RandomSteering, SteeringBase } from "./pool.js";

/** What a load balancer steers with; rules override these fields. */
export interface SteeringSettings extends SteeringBase {
  /** Cloudflare's "": geo when a region or country map is in force (after rules), else off (policies/index.ts: policyOf). */
  readonly policy: PolicyName | "";
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
  /** The condition looks at the client's address or location (the answer then depends on them). */
  readonly usesClient: boolean;
}

/** One zone's load balancing: what the zone's load balancer names resolve to. */
export interface Balancing {
  readonly origin: string;
  readonly monitors: ReadonlyMap<string, MonitorSettings>;
  readonly pools: ReadonlyMap<string, Pool>;
  /** By owner name; only enabled load balancers (a disabled one leaves its name to the records). */
  readonly balancers: ReadonlyMap<string, LoadBalancer>;
  /** How many load balancers are disabled (`enabled: false`): checked, not served. */
  readonly disabled: number;
  readonly networks: readonly Network[];
  /** Every origin of every pool, by Origin.index. */
  readonly origins: readonly Origin[];
  /** Pools by Pool.index. */
  readonly poolList: readonly Pool[];
  /** gslb: the zone's webhooks (`notifications.webhooks`), told of its state changes (src/notify/). */
  readonly webhooks: readonly ZoneWebhook[];
}

export interface ZoneWebhook {
  readonly url: string;
  /** As written (relative: to the zone directory); read by the notifier on each load. */
  readonly secretFile: string | null;
  /** Only these pools' events (null: every pool of the zone). */
  readonly pools: readonly string[] | null;
  readonly filter: NotificationFilter | null;
}

