// Origin steering inside the chosen pool: healthy, enabled, weight > 0 first; then `random` (by
// weight) or `hash` (rendezvous hashing on the client subnet: a client keeps its origin while that
// origin is healthy, and only the clients of a failed origin move).

import crypto from "node:crypto";
import type { Client, HealthView, Origin, Pool } from "./types.js";

export interface OriginDecision {
  readonly origins: readonly Origin[];
  readonly reason: string;
  /** The choice depended on the client's subnet (hash). */
  readonly usedSubnet: boolean;
}

/**
 * Up to `max` origins able to answer `family` (A: IPv4 or a host name; AAAA: IPv6 or a host name).
 * `ignoreHealth` for the fallback pool.
 */
export function chooseOrigins(pool: Pool, family: "A" | "AAAA", max: number, health: HealthView, client: Client, random: () => number, ignoreHealth: boolean): OriginDecision {
  const fits = (o: Origin) => o.enabled && (o.kind === family || o.kind === "CNAME");
  const up = pool.origins.filter((o) => fits(o) && (ignoreHealth || health.originUp(pool, o)));
  // Drained origins take no new traffic while any other can.
  const undrained = up.filter((o) => !health.originDrained(pool, o));
  const usable = undrained.length > 0 ? undrained : up;
  const weighted = usable.filter((o) => o.weight > 0);
  const candidates = weighted.length > 0 ? weighted : usable;
  if (candidates.length === 0) return { origins: [], reason: `no ${ignoreHealth ? "enabled" : "healthy enabled"} origin of family ${family}`, usedSubnet: false };

  if (pool.originPolicy === "hash") {
    const ranked = candidates
      .map((o) => ({ o, score: rendezvousScore(client.subnetKey, o) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, max)
      .map((x) => x.o);
    return { origins: ranked, reason: `hash of client subnet ${client.subnetKey}`, usedSubnet: true };
  }
  const pool_ = [...candidates];
  const chosen: Origin[] = [];
  while (chosen.length < max && pool_.length > 0) {
    const total = pool_.reduce((n, o) => n + (o.weight > 0 ? o.weight : 1), 0);
    let r = random() * total;
    let i = 0;
    for (; i < pool_.length - 1; i++) {
      r -= pool_[i]!.weight > 0 ? pool_[i]!.weight : 1;
      if (r < 0) break;
    }
    chosen.push(pool_.splice(i, 1)[0]!);
  }
  return { origins: chosen, reason: "random by origin weight", usedSubnet: false };
}

/** Weighted rendezvous (highest random weight) score: -weight / ln(h), h uniform in (0, 1). */
function rendezvousScore(key: string, o: Origin): number {
  const digest = crypto.createHash("sha256").update(key).update("\0").update(o.name).digest();
  const h = (digest.readUInt32BE(0) + 1) / 4294967297;
  return -(o.weight > 0 ? o.weight : 1e-9) / Math.log(h);
}
