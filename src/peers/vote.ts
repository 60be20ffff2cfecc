// The vote: several instances' verdicts on one origin → the state every instance answers with.
// Cloudflare's rule for health monitor regions, with instances in place of data centers: each
// region's instances decide the region by majority, then the regions decide the origin by majority
// ("If the majority of data centers for that region pass the health monitor requests, that region
// is considered healthy. If the majority of regions is healthy, then the origin itself will be
// considered healthy": developers.cloudflare.com/load-balancing/monitors/). A tie, at either level,
// is up: one instance's network blip must not take an origin out of every answer (docs/decisions.md).
// Pure: the same verdicts give the same state on every instance.

import type { RegionCode } from "../locate/regions.js";

export interface Verdict {
  readonly instance: string;
  /** Where the instance probes from (--region); null: none given (it groups alone). */
  readonly region: RegionCode | null;
  readonly state: "up" | "down";
}

export interface Outcome {
  /** null: no verdict counted (nobody allowed has one): the caller falls back to its own. */
  readonly state: "up" | "down" | null;
  /** Verdicts counted, and how many of them said down. */
  readonly counted: number;
  readonly down: number;
  /** Regions (groups) counted, and how many of them were down. */
  readonly regions: number;
  readonly regionsDown: number;
}

/** `allowed`: the pool's check_regions (null: every instance votes). */
export function vote(verdicts: Iterable<Verdict>, allowed: ReadonlySet<RegionCode> | null): Outcome {
  const groups = new Map<string, { up: number; down: number }>();
  let counted = 0, down = 0;
  for (const v of verdicts) {
    if (allowed !== null && (v.region === null || !allowed.has(v.region))) continue;
    const key = v.region ?? `instance:${v.instance}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { up: 0, down: 0 }));
    if (v.state === "down") { g.down++; down++; } else g.up++;
    counted++;
  }
  let regionsDown = 0;
  for (const g of groups.values()) if (g.down > g.up) regionsDown++;
  const regions = groups.size;
  const state = regions === 0 ? null : regionsDown > regions - regionsDown ? "down" : "up";
  return { state, counted, down, regions, regionsDown };
}
