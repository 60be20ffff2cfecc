// Origin steering inside the chosen pool: healthy enabled origins of the family with weight > 0
// (Cloudflare: weight 0 gets no traffic, though it is still monitored), undrained ones first
// (drained ones only when no other is up); then `random` (by weight) or `hash` (rendezvous hashing on the client's subnet: a
// client keeps its origin while that origin is healthy, and only the clients of a failed origin
// move). The fallback pool ignores health.

import crypto from "node:crypto";
import type { Family, HealthView, Origin, Pool } from "./model.js";

export interface OriginDecision {
  readonly origins: readonly Origin[];
  readonly reason: string;
  /** The choice depended on the client's subnet (hash). */
  readonly usedSubnet: boolean;
}

export function chooseOrigins(pool: Pool, family: Family, max: number, health: HealthView, subnetKey: string, random: () => number, ignoreHealth: boolean): OriginDecision {
  const fits = pool.byFamily[family];
  const up = ignoreHealth ? fits : fits.filter((o) => health.originUp(pool, o));
  const undrained = up.filter((o) => !health.originDrained(o));
  const candidates = undrained.length > 0 ? undrained : up;
  if (candidates.length === 0) return { origins: [], reason: `no ${ignoreHealth ? "enabled" : "healthy enabled"} origin of family ${family}`, usedSubnet: false };
  if (pool.originPolicy === "hash") {
    const ranked = candidates
      .map((o) => ({ o, score: rendezvousScore(subnetKey, o) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, max)
      .map((x) => x.o);
    return { origins: ranked, reason: `hash of client subnet ${subnetKey}`, usedSubnet: true };
  }
  const left = [...candidates];
  const chosen: Origin[] = [];
  while (chosen.length < max && left.length > 0) {
    // One left: no draw (an answer that drew nothing can be reused, steer.ts).
    if (left.length === 1) { chosen.push(left.pop()!); break; }
    const total = left.reduce((n, o) => n + o.weight, 0);
    let r = random() * total;
    let i = 0;
    for (; i < left.length - 1; i++) {
      r -= left[i]!.weight;
      if (r < 0) break;
    }
    chosen.push(left.splice(i, 1)[0]!);
  }
  return { origins: chosen, reason: "random by origin weight", usedSubnet: false };
}

/** Weighted rendezvous (highest random weight) score: -weight / ln(h), h uniform in (0, 1). */
function rendezvousScore(key: string, o: Origin): number {
  const digest = crypto.createHash("sha256").update(key).update("\0").update(o.name).digest();
  const h = (digest.readUInt32BE(0) + 1) / 4294967297;
  return -o.weight / Math.log(h);
}
