// Zones' load balancing → probe targets: one per (probe spec, timing), shared by every pool and
// zone that uses it. Built once per (re)load. Disabled pools and origins are not probed
// (Cloudflare: "excluded from health checks").

import type { Balancing } from "../balancing/model.js";
import type { SlotResolver } from "../health/table.js";
import { probeBudgetMs, specFor, timing } from "../monitor/registry.js";
import type { Subscriber, Target } from "./scheduler.js";

export function buildTargets(all: Iterable<Balancing>, slots: SlotResolver): Target[] {
  const byKey = new Map<string, Omit<Target, "subscribers"> & { subscribers: Subscriber[] }>();
  for (const b of all) {
    for (const pool of b.poolList) {
      if (pool.monitor === null || !pool.enabled) continue;
      const m = b.monitors.get(pool.monitor)!;
      const t = timing(m);
      for (const origin of pool.origins) {
        if (!origin.enabled) continue;
        const spec = specFor(m, {
          host: origin.healthAddress ?? origin.address,
          hostHeader: origin.hostHeader,
          originHostName: origin.kind === "CNAME" ? origin.address : null,
        });
        const key = JSON.stringify([spec, t]);
        const entry = byKey.get(key) ?? { key, spec, ...t, subscribers: [] };
        byKey.set(key, entry);
        entry.subscribers.push({ pool: pool.key, origin: origin.name, slot: slots.slotOf(origin.key), poolSlot: slots.slotOf(pool.key) });
      }
    }
  }
  return [...byKey.values()];
}

/** Longest a first round may take: the longest probe with all its attempts (ICMP waits for its batch). */
export function firstRoundDeadlineMs(targets: readonly Target[]): number {
  return targets.reduce((max, t) => Math.max(max, probeBudgetMs(t.spec)), 0) + 250;
}
