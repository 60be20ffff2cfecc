// The steering policies' names: `steering_policy` in zone files takes these (the schema's enum is
// built from this list), and index.ts must register a policy under each (the compiler checks).
// Kept apart from the registry so that the model can name policies without importing them.

export const POLICY_NAMES = ["off", "random", "geo", "proximity", "dynamic_latency", "least_outstanding_requests", "least_connections"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];
