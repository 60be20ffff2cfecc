// The steering policies by name: `steering_policy` in zone files takes these keys (the schema's
// enum and the model's PolicyName derive from them). Adding a policy is one file in this folder,
// its test beside it, and its line here.

import { dynamic_latency } from "./dynamic_latency.js";
import { geo } from "./geo.js";
import { least_connections } from "./least_connections.js";
import { least_outstanding_requests } from "./least_outstanding_requests.js";
import { off } from "./off.js";
import type { Policy } from "./policy.js";
import { proximity } from "./proximity.js";
import { random } from "./random.js";

export const POLICIES = {
  off,
  random,
  geo,
  proximity,
  dynamic_latency,
  least_outstanding_requests,
  least_connections,
} as const satisfies Record<string, Policy>;

export type PolicyName = keyof typeof POLICIES;
export const POLICY_NAMES = Object.keys(POLICIES) as [PolicyName, ...PolicyName[]];

/** The policy in force: Cloudflare's "" is geo when a region or country map is set, else off. */
export function policyOf(s: { readonly policy: PolicyName | ""; readonly regionPools: ReadonlyMap<string, unknown>; readonly countryPools: ReadonlyMap<string, unknown>; readonly popPools?: ReadonlyMap<string, unknown> }): PolicyName {
  if (s.policy !== "") return s.policy;
  return s.regionPools.size > 0 || s.countryPools.size > 0 || (s.popPools?.size ?? 0) > 0 ? "geo" : "off";
}
