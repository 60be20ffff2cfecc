// Zones → probe targets: one per (monitor settings, address, port), shared by every pool and zone
// that uses it. Built once per (re)load.

import type { MonitorConfig } from "../config/balancing.js";
import type { Zone } from "../zone/types.js";
import type { ProbeSpec } from "./probe.js";
import type { Subscriber, Target } from "./scheduler.js";

const DEFAULT_PORT = { http: 80, https: 443, tcp: 0 } as const;

export function buildTargets(zones: readonly Zone[]): Target[] {
  const byKey = new Map<string, { spec: ProbeSpec; m: MonitorConfig; subscribers: Subscriber[] }>();
  for (const zone of zones) {
    for (const pool of zone.balancing.pools.values()) {
      if (pool.monitor === null) continue;
      const m = zone.balancing.monitors.get(pool.monitor)!;
      for (const origin of pool.origins) {
        if (!origin.enabled) continue;
        const spec = specFor(m, origin.healthAddress ?? origin.address, origin.kind === "CNAME" ? origin.address : null);
        const key = JSON.stringify([m, spec.host, spec.port]);
        let entry = byKey.get(key);
        if (entry === undefined) byKey.set(key, (entry = { spec, m, subscribers: [] }));
        entry.subscribers.push({ pool: pool.id, origin: origin.name, slot: origin.healthSlot, poolSlot: pool.healthSlot });
      }
    }
  }
  return [...byKey].map(([key, e]) => ({
    key,
    spec: e.spec,
    intervalMs: e.m.interval * 1000,
    consecutiveUp: e.m.consecutive_up,
    consecutiveDown: e.m.consecutive_down,
    subscribers: e.subscribers,
  }));
}

function specFor(m: MonitorConfig, host: string, originHostName: string | null): ProbeSpec {
  const headers: Record<string, string | string[]> = { ...(m.header ?? {}) };
  const hostHeader = Object.entries(headers).find(([k]) => k.toLowerCase() === "host")?.[1];
  return {
    type: m.type,
    host,
    port: m.port ?? DEFAULT_PORT[m.type],
    method: m.method ?? "GET",
    path: m.path ?? "/",
    headers,
    timeoutMs: m.timeout * 1000,
    retries: m.retries,
    expectedCodes: m.expected_codes === undefined ? ["2xx"] : typeof m.expected_codes === "string" ? [m.expected_codes] : m.expected_codes,
    expectedBody: m.expected_body ?? null,
    followRedirects: m.follow_redirects,
    allowInsecure: m.allow_insecure,
    servername: (Array.isArray(hostHeader) ? hostHeader[0] : hostHeader) ?? originHostName,
  };
}

/** Longest a first round may take: the largest timeout times its attempts. */
export function firstRoundDeadlineMs(targets: readonly Target[]): number {
  return targets.reduce((max, t) => Math.max(max, t.spec.timeoutMs * (t.spec.retries + 1)), 0) + 250;
}
