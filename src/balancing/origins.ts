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
  /** Drawn at random (by weight), and how; null when nothing was drawn. */
  readonly draw?: OriginDraw | null;
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
  // Draws made, and the weights they were made over: a kept answer replays them (query/answers.ts).
  const weights = candidates.map((o) => o.weight);
  const picks = drawOrder(weights, max, random);
  const left = [...candidates];
  const chosen = picks.map((i) => left.splice(i, 1)[0]!);
  return { origins: chosen, reason: "random by origin weight", usedSubnet: false, draw: picks.length > 0 && candidates.length > 1 ? { weights, picks: Math.min(max, candidates.length), key: drawKey(picks, weights.length) } : null };
}

/** Origins drawn at random: what steer.ts tells the answer cache so that it can draw alike. */
export interface OriginDraw {
  /** The candidates' weights, in order. */
  readonly weights: readonly number[];
  /** How many were drawn (one after the other, without replacement). */
  readonly picks: number;
  /** The outcome as one number (drawKey); -1 when too many outcomes to number. */
  readonly key: number;
}

/**
 * Weighted draws without replacement: each the index into what is left (0..n-1, then 0..n-2, ...).
 * The one routine for the full path and the answer cache, so that the same random numbers give
 * the same origins on both. One left: no draw.
 */
export function drawOrder(weights: readonly number[], max: number, random: () => number): number[] {
  const picks: number[] = [];
  draw(weights, max, random, picks);
  return picks;
}

/** drawKey(drawOrder(...)), drawn alike but with nothing allocated (the answer cache, per query). */
export function drawOutcome(weights: readonly number[], max: number, random: () => number): number {
  return draw(weights, max, random, null);
}

/** drawOutcome over the n weights at `from` in a typed array (the answer cache keeps them in an entry's row). */
export function drawOutcomeAt(weights: Float64Array, from: number, n: number, max: number, random: () => number): number {
  if (n > remaining.length) remaining = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) remaining[i] = weights[from + i]!;
  return drawRemaining(n, max, random, null);
}

/** What is left to draw from (a scratch: candidates are few, and this runs per query). */
let remaining = new Float64Array(64);

/** The draws; each pick into `picks` when given; the outcome's drawKey. */
function draw(weights: readonly number[], max: number, random: () => number, picks: number[] | null): number {
  const n = weights.length;
  if (n > remaining.length) remaining = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) remaining[i] = weights[i]!;
  return drawRemaining(n, max, random, picks);
}

/** The draws from the n weights in `remaining`. */
function drawRemaining(n: number, max: number, random: () => number, picks: number[] | null): number {
  let count = n, key = 0, radix = 1;
  for (let k = 0; k < max && count > 0; k++) {
    let i = 0;
    if (count > 1) {
      let total = 0;
      for (let j = 0; j < count; j++) total += remaining[j]!;
      let r = random() * total;
      for (; i < count - 1; i++) {
        r -= remaining[i]!;
        if (r < 0) break;
      }
    }
    picks?.push(i);
    if (key >= 0) {
      key += i * radix;
      radix *= n - k;
      if (radix > 2 ** 31) key = -1;
    }
    if (count === 1) break;
    // Take it out: what follows moves down one (as Array.splice did).
    for (let j = i; j < count - 1; j++) remaining[j] = remaining[j + 1]!;
    count--;
  }
  return key;
}

/** The outcome of drawOrder over n candidates as one number (mixed radix n, n-1, ...); -1 past 2^31. */
export function drawKey(picks: readonly number[], n: number): number {
  let key = 0, radix = 1;
  for (let k = 0; k < picks.length; k++) {
    key += picks[k]! * radix;
    radix *= n - k;
    if (radix > 2 ** 31) return -1;
  }
  return key;
}

/** Weighted rendezvous (highest random weight) score: -weight / ln(h), h uniform in (0, 1). */
function rendezvousScore(key: string, o: Origin): number {
  const digest = crypto.createHash("sha256").update(key).update("\0").update(o.name).digest();
  const h = (digest.readUInt32BE(0) + 1) / 4294967297;
  return -o.weight / Math.log(h);
}
