// Per-query counters for metrics (the status API's /metrics: src/status/metrics.ts), counted on the
// answer path of every answering process. The hot path does array increments only: a query is
// counted into a Float64Array at (zone id × qtype bucket × rcode bucket × transport), the zone id
// found by one Map lookup on the zone's origin string (interned: its hash is kept), the qtype read
// from the reply's question; answers by load balancer and pool get an id once, on the full path,
// which the answer cache keeps with the reply (answers.ts), so a reused reply counts with one
// increment. No label strings, no prom-client, no message per query: whoever exposes the figures
// takes a `snapshot()` (plain data, sent over IPC by answering workers) when it is scraped.

import type { Balancing } from "../balancing/model.js";
import type { Explanation } from "../balancing/steer.js";

/** Query types counted apart; everything else is OTHER, a reply without a question NONE. */
export const QTYPE_LABELS = ["A", "AAAA", "CNAME", "MX", "NS", "SOA", "TXT", "SRV", "CAA", "PTR", "ANY", "HTTPS", "SVCB", "DS", "DNSKEY", "OTHER", "NONE"] as const;
const QTYPE_CODES = [1, 28, 5, 15, 2, 6, 16, 33, 257, 12, 255, 65, 64, 43, 48];
const QT_OTHER = 15, QT_NONE = 16;
/** Response codes counted apart (BADVERS needs the OPT's extended bits); the rest are OTHER. */
export const RCODE_LABELS = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "BADVERS", "OTHER"] as const;
const RC_BADVERS = 6, RC_OTHER = 7;
export const TRANSPORT_LABELS = ["udp", "tcp"] as const;
/** The zone label of queries no zone answered (outside every zone, CHAOS, malformed). */
export const NO_ZONE = "(none)";
/** The pool label of load-balanced answers without a pool (NODATA: no pool could answer). */
export const NO_POOL = "(none)";
/** Upper bounds of the latency histogram's buckets, in seconds (time to answer inside the server). */
export const LATENCY_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1] as const;
const LATENCY_BUCKETS_MS = LATENCY_BUCKETS.map((s) => s * 1000);

const QT = QTYPE_LABELS.length, RC = RCODE_LABELS.length, TR = TRANSPORT_LABELS.length;
/** Cells per zone. */
export const ZONE_ROW = QT * RC * TR;

/** qtype → bucket, for every 16-bit type: one array read per query. */
const QTYPE_BUCKET = new Uint8Array(65536).fill(QT_OTHER);
QTYPE_CODES.forEach((code, i) => { QTYPE_BUCKET[code] = i; });
const RCODE_BUCKET = new Uint8Array(16).fill(RC_OTHER);
for (let i = 0; i <= 5; i++) RCODE_BUCKET[i] = i;

/** Where a cell of the queries array is: (zone × qtype × rcode × transport). */
export function queryCell(zone: number, qtype: number, rcode: number, transport: number): number {
  return zone * ZONE_ROW + (qtype * RC + rcode) * TR + transport;
}

/** One load-balanced answer's labels. */
export interface AnswerLabels {
  readonly zone: string;
  readonly loadBalancer: string;
  readonly pool: string;
  /** The fallback pool answered (no usable pool: health ignored). */
  readonly fallback: boolean;
}

/** Everything counted so far, as plain data (what answering workers send their primary). */
export interface CountersSnapshot {
  /** Zone ids → origins (append-only: an id is never reused). */
  readonly zones: string[];
  /** zones.length × ZONE_ROW cells (queryCell). */
  readonly queries: Float64Array;
  /** Answer ids → labels, and their counts. */
  readonly answerLabels: AnswerLabels[];
  readonly answers: Float64Array;
  /** Per transport: LATENCY_BUCKETS.length + 1 bucket counts (the last: over the largest bound), then the sum in seconds. */
  readonly latency: Float64Array;
  /** Queries given no reply at all: shorter than a header, or a response (QR=1). */
  readonly malformed: number;
}

const LAT = LATENCY_BUCKETS.length + 2;
/** Latency sampling (QueryCounters.timing): every query up to this many per window, then one in SAMPLE_EVERY. */
const TIMED_PER_WINDOW = 64;
const WINDOW_MS = 100;
const SAMPLE_EVERY = 16;

export class QueryCounters {
  private readonly zones: string[] = [NO_ZONE];
  private readonly zoneIds = new Map<string, number>();
  private queries: Float64Array = new Float64Array(ZONE_ROW * 8);
  private readonly answerLabels: AnswerLabels[] = [];
  private answers: Float64Array = new Float64Array(64);
  /** Per Balancing, per load balancer name: answer ids by (pool index + 1) × 2 + fallback (-1: none yet). */
  private readonly answerIds = new WeakMap<Balancing, Map<string, Int32Array>>();
  private readonly latency = new Float64Array(LAT * TR);
  private malformed = 0;
  /** Latency sampling: queries timed in the current window, queries not timed since the last one timed, and when the window began (ms). */
  private timedInWindow = 0;
  private skipped = 0;
  private windowStart = 0;

  /** Give a zone its id now (at load), not on a query. */
  zone(origin: string): number {
    let id = this.zoneIds.get(origin);
    if (id === undefined) {
      id = this.zones.length;
      this.zones.push(origin);
      this.zoneIds.set(origin, id);
      if ((id + 1) * ZONE_ROW > this.queries.length) this.queries = grow(this.queries, (id + 1) * ZONE_ROW);
    }
    return id;
  }

  /**
   * One query's reply (null: dropped unanswered), the zone that answered (its origin, or null;
   * or its number from zone(), when known: a reused answer keeps it, no lookup by name), and the
   * transport. The qtype is read from the reply's question (written uncompressed, first).
   */
  count(reply: Buffer | null, zone: string | null, tcp: boolean, zoneId = -1): void {
    if (reply === null) { this.malformed++; return; }
    const n = reply.length;
    if (n < 12) return;
    let rcode = RCODE_BUCKET[reply[3]! & 0x0f]!;
    let qtype = QT_NONE;
    if (reply[4] === 0 && reply[5] === 1) {
      let p = 12;
      for (let len = reply[p]; len !== undefined && len !== 0 && len < 64; len = reply[p]) p += len + 1;
      if (p + 2 < n && reply[p] === 0) qtype = QTYPE_BUCKET[(reply[p + 1]! << 8) | reply[p + 2]!]!;
    }
    // BADVERS (16): header rcode 0 and extended rcode 1 in the OPT, a reply with nothing else.
    if (rcode === 0 && reply[6] === 0 && reply[7] === 0 && reply[8] === 0 && reply[9] === 0 && reply[11] === 1 && n >= 23
      && reply[n - 11] === 0 && reply[n - 10] === 0 && reply[n - 9] === 41 && reply[n - 6] === 1) rcode = RC_BADVERS;
    const z = zoneId >= 0 ? zoneId : zone === null ? 0 : (this.zoneIds.get(zone) ?? this.zone(zone));
    this.queries[z * ZONE_ROW + (qtype * RC + rcode) * TR + (tcp ? 1 : 0)]!++;
  }

  /**
   * Whether to time this query: every one while fewer than TIMED_PER_WINDOW were timed in the
   * last WINDOW_MS, else one in SAMPLE_EVERY. Two clock reads cost ~100-200 ns, more than all the
   * counting: under load the histogram is a sample (its _count is of queries timed).
   */
  timing(): boolean {
    if (this.timedInWindow < TIMED_PER_WINDOW) return true;
    return ++this.skipped % SAMPLE_EVERY === 0;
  }

  /** A timed query: when it started and ended (performance.now(), ms). */
  timed(started: number, ended: number, tcp: boolean): void {
    this.observe(ended - started, tcp);
    if (ended - this.windowStart >= WINDOW_MS) { this.windowStart = ended; this.timedInWindow = 0; this.skipped = 0; }
    this.timedInWindow++;
  }

  /** Time to answer one query, in milliseconds. */
  observe(ms: number, tcp: boolean): void {
    const base = tcp ? LAT : 0;
    let b = 0;
    while (b < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[b]!) b++;
    this.latency[base + b]!++;
    this.latency[base + LAT - 1]! += ms / 1000;
  }

  /**
   * A load-balanced answer made by the full path: counted, and its id returned, to keep with the
   * reply (a reused reply then counts through `reanswered`).
   */
  answered(balancing: Balancing, e: Explanation): number {
    let byLb = this.answerIds.get(balancing);
    if (byLb === undefined) this.answerIds.set(balancing, (byLb = new Map()));
    let ids = byLb.get(e.loadBalancer);
    if (ids === undefined) byLb.set(e.loadBalancer, (ids = new Int32Array((balancing.poolList.length + 1) * 2).fill(-1)));
    const pool = e.pool.pool;
    const at = ((pool === null ? 0 : pool.index + 1) << 1) | (e.pool.fallback ? 1 : 0);
    let id = ids[at]!;
    if (id < 0) {
      id = ids[at] = this.answerLabels.length;
      this.answerLabels.push({ zone: balancing.origin, loadBalancer: e.loadBalancer, pool: pool?.name ?? NO_POOL, fallback: e.pool.fallback });
      if (id >= this.answers.length) this.answers = grow(this.answers, id + 1);
    }
    this.answers[id]!++;
    return id;
  }

  /** A kept load-balanced reply served again (its id from `answered`). */
  reanswered(id: number): void {
    this.answers[id]!++;
  }

  snapshot(): CountersSnapshot {
    return {
      zones: [...this.zones],
      queries: this.queries.slice(0, this.zones.length * ZONE_ROW),
      answerLabels: [...this.answerLabels],
      answers: this.answers.slice(0, this.answerLabels.length),
      latency: this.latency.slice(),
      malformed: this.malformed,
    };
  }
}

function grow(a: Float64Array, min: number): Float64Array {
  const next = new Float64Array(Math.max(min, a.length * 2));
  next.set(a);
  return next;
}

/** Label-keyed sums of several processes' snapshots (the primary adds its workers'). */
export interface CounterTotals {
  /** "zone|qtype|rcode|transport" → count; each key's labels in `queryLabels`. */
  readonly queries: Map<string, { zone: string; qtype: string; rcode: string; transport: string; value: number }>;
  readonly answers: Map<string, AnswerLabels & { value: number }>;
  /** Per transport: bucket counts (not cumulative), count and sum. */
  readonly latency: Map<string, { buckets: number[]; count: number; sum: number }>;
  malformed: number;
}

export function emptyTotals(): CounterTotals {
  return { queries: new Map(), answers: new Map(), latency: new Map(TRANSPORT_LABELS.map((t) => [t, { buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), count: 0, sum: 0 }])), malformed: 0 };
}

/** Add a snapshot into totals (sign -1 takes it out again). */
export function addSnapshot(t: CounterTotals, s: CountersSnapshot, sign = 1): void {
  for (let z = 0; z < s.zones.length; z++) {
    for (let cell = 0; cell < ZONE_ROW; cell++) {
      const v = s.queries[z * ZONE_ROW + cell]!;
      if (v === 0) continue;
      const tr = cell % TR, rc = Math.floor(cell / TR) % RC, qt = Math.floor(cell / (TR * RC));
      const key = `${s.zones[z]}|${qt}|${rc}|${tr}`;
      const e = t.queries.get(key);
      if (e !== undefined) e.value += sign * v;
      else t.queries.set(key, { zone: s.zones[z]!, qtype: QTYPE_LABELS[qt]!, rcode: RCODE_LABELS[rc]!, transport: TRANSPORT_LABELS[tr]!, value: sign * v });
    }
  }
  s.answerLabels.forEach((l, id) => {
    const v = s.answers[id] ?? 0;
    if (v === 0) return;
    const key = `${l.zone}|${l.loadBalancer}|${l.pool}|${l.fallback ? 1 : 0}`;
    const e = t.answers.get(key);
    if (e !== undefined) e.value += sign * v;
    else t.answers.set(key, { ...l, value: sign * v });
  });
  TRANSPORT_LABELS.forEach((tr, i) => {
    const h = t.latency.get(tr)!;
    for (let b = 0; b <= LATENCY_BUCKETS.length; b++) {
      const v = s.latency[i * LAT + b]!;
      h.buckets[b]! += sign * v;
      h.count += sign * v;
    }
    h.sum += sign * s.latency[i * LAT + LAT - 1]!;
  });
  t.malformed += sign * s.malformed;
}

/** A deep copy of totals (the primary adds live workers' snapshots to a copy of the retired ones' sums). */
export function copyTotals(t: CounterTotals): CounterTotals {
  return {
    queries: new Map([...t.queries].map(([k, v]) => [k, { ...v }])),
    answers: new Map([...t.answers].map(([k, v]) => [k, { ...v }])),
    latency: new Map([...t.latency].map(([k, v]) => [k, { buckets: [...v.buckets], count: v.count, sum: v.sum }])),
    malformed: t.malformed,
  };
}
