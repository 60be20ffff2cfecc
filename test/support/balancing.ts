// Load balancing built the real way (schema → build) from zone-file JSON, for the unit tests of
// policies, pools, origins and rules; health set by the test through the real health table.

import { z } from "zod";
import { buildBalancing } from "../../src/balancing/build.js";
import type { Balancing, Client, Family, LoadBalancer } from "../../src/balancing/model.js";
import { choosePool, type PoolDecision } from "../../src/balancing/pools.js";
import { BalancingSections } from "../../src/balancing/schema.js";
import { HealthTable } from "../../src/health/table.js";
import { NOWHERE, type Location } from "../../src/locate/locate.js";

export const ZONE = "lb.example.com";

/** Parse and build; throws with every problem when the JSON is not valid. */
export function balancing(json: Record<string, unknown>): Balancing {
  const sections = z.object(BalancingSections).parse(json);
  const built = buildBalancing(sections, { origin: ZONE, cutAbove: () => null });
  if (built.problems.length > 0) throw new Error(built.problems.map((p) => `${p.path.join(".")}: ${p.message}`).join("\n"));
  return built.balancing;
}

/** The same, returning problems and warnings as "path: message" lines. */
export function problemsOf(json: Record<string, unknown>): { problems: string[]; warnings: string[] } {
  const parsed = z.object(BalancingSections).safeParse(json);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`), warnings: [] };
  const built = buildBalancing(parsed.data, { origin: ZONE, cutAbove: () => null });
  const line = (p: { path: readonly (string | number)[]; message: string }) => `${p.path.join(".")}: ${p.message}`;
  return { problems: built.problems.map(line), warnings: built.warnings.map(line) };
}

/** Four pools (three monitored, one not) and a geo load balancer "www", like the sample zone. */
export function sample(lb: Record<string, unknown> = {}, pools: Record<string, unknown> = {}): Balancing {
  return balancing({
    monitors: { web: { type: "http", port: 8080 } },
    pools: {
      "us-east": { origins: [{ name: "use1", address: "192.0.2.10" }, { name: "use2", address: "2001:db8::10", weight: 0.5 }], monitor: "web", latitude: 38.9, longitude: -77.0 },
      "eu-west": { origins: [{ name: "euw1", address: "198.51.100.10" }], monitor: "web", latitude: 53.3, longitude: -6.3 },
      "ap-ne": { origins: [{ name: "apn1", address: "203.0.113.20" }], monitor: "web", latitude: 35.7, longitude: 139.7 },
      backup: { origins: [{ name: "static", address: "203.0.113.10" }] },
      ...pools,
    },
    load_balancers: {
      www: {
        default_pools: ["us-east", "eu-west", "ap-ne"], fallback_pool: "backup", steering_policy: "geo",
        region_pools: { WEU: ["eu-west", "us-east"], EEU: ["eu-west"] }, country_pools: { IE: ["eu-west"] },
        location_strategy: { prefer_ecs: "always" }, ...lb,
      },
    },
  });
}

export function lbOf(b: Balancing, name = `www.${ZONE}`): LoadBalancer {
  return b.balancers.get(name)!;
}

/** A client located at `l` (an address of its own for hashing). */
export function clientAt(l: Partial<Location>, address = "198.51.100.1"): Client {
  const bytes = Buffer.from(address.split(".").map(Number));
  const location = { ...NOWHERE, ...l };
  return { address, family: 4, bytes, bits: 32, fromEcs: false, location: () => location };
}

/** Health by "pool/origin" → state, through the real table. */
export function healthOf(b: Balancing, states: Record<string, "up" | "down"> = {}, overrides: Record<string, "up" | "down" | "drain"> = {}, unknown: "up" | "down" = "up") {
  const table = new HealthTable(unknown);
  for (const [key, state] of Object.entries(states)) { const [pool, origin] = key.split("/"); table.set(`${ZONE}/${pool}`, origin!, state); }
  table.setOverrides(new Map(Object.entries(overrides).map(([k, v]) => [`${ZONE}/${k}`, v])));
  return { table, view: table.view(b) };
}

/** A seeded linear congruential generator: runs repeat. */
export function seeded(seed = 7): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** The pool decision for a client, as the server makes it. */
export function decide(b: Balancing, opts: { lb?: LoadBalancer; family?: Family; client?: Client; states?: Record<string, "up" | "down">; overrides?: Record<string, "up" | "down" | "drain">; random?: () => number } = {}): PoolDecision {
  const { view } = healthOf(b, opts.states, opts.overrides);
  return choosePool(opts.lb ?? lbOf(b), b.pools, opts.family ?? "A", { client: opts.client ?? clientAt({}), health: view, random: opts.random ?? Math.random });
}
