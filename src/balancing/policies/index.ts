// The steering policies by name. Adding a policy is one file in this folder, its test, a line
// here and its name in names.ts; the compiler checks that every name has a policy and no more.

import { dynamic_latency } from "./dynamic_latency.js";
import { geo } from "./geo.js";
import { least_connections } from "./least_connections.js";
import { least_outstanding_requests } from "./least_outstanding_requests.js";
import { off } from "./off.js";
import type { PolicyName } from "./names.js";
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
} as const satisfies Record<PolicyName, Policy>;

export { POLICY_NAMES, type PolicyName } from "./names.js";
