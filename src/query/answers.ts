// Answers reused across clients. A load-balanced answer depends on the query's shape (name, type,
// flags, EDNS size and options: everything but the ID, the letter case and the ECS address), on
// the client's location class (geo: the country or region map entry it falls in; proximity:
// coordinates; off and failover: nothing), and on health. So the reply is encoded once per
// (shape, class) and kept as a template with the ECS address cut off; a query of that shape from
// a client of that class gets a copy with its ID, its question's letter case and its ECS address
// patched in, as long as health has not changed since (versions) and no reload has cleared the
// table. Static replies to queries with ECS are kept the same way, one per shape.
//
// Origins drawn at random by weight (Cloudflare's default origin steering) are drawn here too, with
// the same routine and random numbers as the full path (balancing/origins.ts: drawOrder): one
// reply is kept per outcome, so clients keep getting each origin by its weight.
//
// Only plain queries take this path (one question of class IN, at most an OPT with NSID and ECS
// last, no cookie); anything else, and any answer that read the client itself (rules on the
// address, hash steering) or drew a pool at random, goes through the full path every time.

import { Buffer } from "node:buffer";
import type { Balancing } from "../balancing/model.js";
import { drawKey, drawOrder, type OriginDraw } from "../balancing/origins.js";
import type { LocationClass } from "../balancing/policies/policy.js";
import { EVERYWHERE, type Explanation, type Reuse } from "../balancing/steer.js";
import type { Locator, Location } from "../locate/locate.js";
import { parseIPv4, parseIPv6 } from "../wire/ip.js";
import type { Question } from "../wire/types.js";

const OPT = 41;
const CLASS_IN = 1;
const OPTION_NSID = 3;
const OPTION_ECS = 8;
/**
 * Shapes kept (a shape is about one load balancer name and type: 10,000 load balancers need
 * 20,000), and replies kept in all (~250 bytes each: ~25 MB at most); past either bound the
 * table starts over.
 */
const MAX_SHAPES = 50_000;
const MAX_TEMPLATES = 100_000;

/** Where a plain query's parts are, read without decoding it (null: not a plain query). */
export interface Shape {
  /** The cache key: transport, then every byte after the ID up to the ECS address, name in lower case. */
  readonly key: string;
  /** End of the question name (it starts at 12): the bytes whose letter case a reply echoes. */
  readonly nameEnd: number;
  /** ECS: 1 (IPv4) or 2 (IPv6), the source prefix, and where the address bytes are; family 0: none. */
  readonly ecsFamily: number;
  readonly ecsSource: number;
  readonly ecsAt: number;
  readonly ecsLength: number;
}

/** Where a shape's key is made (a plain query of more than 512 bytes takes the full path). */
const keyBytes = Buffer.alloc(512);

/**
 * Reads a plain query: header with QR=0, opcode 0, one question of class IN, no answer or authority
 * records, and either no additional record or one OPT (version 0) whose options are NSID (empty)
 * and a well-formed ECS as the last one. Everything else is null and takes the full path, which
 * also answers the errors (FORMERR, BADVERS, ...).
 */
export function readShape(q: Buffer, tcp: boolean): Shape | null {
  const n = q.length;
  if (n < 17 || (q[2]! & 0xf8) !== 0) return null;
  if (q[4] !== 0 || q[5] !== 1 || q[6] !== 0 || q[7] !== 0 || q[8] !== 0 || q[9] !== 0 || q[10] !== 0 || q[11]! > 1) return null;
  let p = 12;
  for (;;) {
    const len = q[p];
    if (len === undefined || len > 63) return null;
    if (len === 0) break;
    if (p + 1 + len > n) return null;
    p += len + 1;
    if (p - 12 > 254) return null;
  }
  const nameEnd = p + 1;
  if (nameEnd + 4 > n || q[nameEnd + 2] !== 0 || q[nameEnd + 3] !== CLASS_IN) return null;
  p = nameEnd + 4;
  let ecsFamily = 0, ecsSource = 0, ecsAt = n, ecsLength = 0;
  if (q[11] === 1) {
    // OPT: root owner, type 41, class = UDP size, TTL = extended rcode, version (must be 0), flags.
    if (p + 11 > n || q[p] !== 0 || q[p + 1] !== 0 || q[p + 2] !== OPT || q[p + 6] !== 0) return null;
    const rdlength = q.readUInt16BE(p + 9);
    p += 11;
    if (p + rdlength !== n) return null;
    while (p < n) {
      if (p + 4 > n || ecsFamily !== 0) return null;
      const code = q.readUInt16BE(p);
      const len = q.readUInt16BE(p + 2);
      if (p + 4 + len > n) return null;
      if (code === OPTION_NSID && len === 0) { p += 4; continue; }
      if (code !== OPTION_ECS || len < 4) return null;
      const family = q.readUInt16BE(p + 4);
      const source = q[p + 6]!;
      const bytes = Math.ceil(source / 8);
      if ((family !== 1 && family !== 2) || source > (family === 1 ? 32 : 128) || q[p + 7] !== 0 || len !== 4 + bytes) return null;
      // Bits past the source prefix must be zero (RFC 7871 §6): the full path answers FORMERR.
      if (source % 8 !== 0 && (q[p + 8 + bytes - 1]! & ((1 << (8 - (source % 8))) - 1)) !== 0) return null;
      ecsFamily = family; ecsSource = source; ecsAt = p + 8; ecsLength = bytes;
      p += 4 + len;
    }
  } else if (p !== n) return null;
  // The key is made in one piece in a scratch buffer, then read as one string: a string built by
  // concatenation is a rope that every Map lookup must first flatten (that cost ~2× the rest).
  const length = 1 + ecsAt - 2;
  if (length > keyBytes.length) return null;
  keyBytes[0] = tcp ? 0x74 : 0x75; // "t" or "u"
  let k = 1;
  for (let i = 2; i < 12; i++) keyBytes[k++] = q[i]!;
  // DNS names compare without ASCII case: the key has the name in lower case, nothing else changed.
  for (let i = 12; i < nameEnd; i++) { const c = q[i]!; keyBytes[k++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c; }
  for (let i = nameEnd; i < ecsAt; i++) keyBytes[k++] = q[i]!;
  const key = keyBytes.toString("latin1", 0, length);
  return { key, nameEnd, ecsFamily, ecsSource, ecsAt, ecsLength };
}

/** One reply kept, with the ECS address cut off its end. */
interface Reply {
  readonly bytes: Buffer;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly explanation: Explanation | undefined;
  /** Metrics: the answer's id in QueryCounters (counters.ts), counted again on each reuse; -1: none. */
  readonly metric: number;
}

/**
 * What is kept for a (shape, class) under one version of health: the reply, or, when origins were
 * drawn at random, the draw (weights, picks) and one reply per outcome drawn so far.
 */
interface Template {
  readonly version: number;
  readonly rttVersion: number;
  readonly reply: Reply | null;
  readonly draw: OriginDraw | null;
  readonly variants: Map<number, Reply> | null;
}

/** What every query of one shape shares: who answers it, and how a client is classed. */
interface ShapeEntry {
  readonly zone: string | null;
  readonly question: Question;
  /** For a load balancer's answer; null for a static one (health changes nothing, a reload clears it). */
  readonly steered: Steering | null;
  readonly templates: Map<LocationClass, Template>;
}

interface Steering {
  readonly balancing: Balancing;
  readonly locator: Locator;
  /** Located from the ECS subnet (else from the resolver's address). */
  readonly fromEcs: boolean;
  readonly reuse: Reuse;
}

/** A reply the full path made, offered for reuse. */
export interface Keepable {
  readonly zone: string | null;
  readonly question: Question;
  /** The load balancer's decision; null for a static answer. */
  readonly steered: { readonly balancing: Balancing; readonly locator: Locator; readonly reuse: Reuse; readonly explanation: Explanation; readonly metric?: number } | null;
}

/** Versions of what answers depend on, read on every reuse. */
export interface Versions {
  readonly version: number;
  readonly rttVersion: number;
}

export interface Reused {
  readonly bytes: Buffer;
  readonly zone: string | null;
  readonly question: Question;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly explanation: Explanation | undefined;
  /** Metrics: the kept answer's id (Reply.metric). */
  readonly metric: number;
}

export class AnswerCache {
  private shapes = new Map<string, ShapeEntry>();
  /** Replies reused, and replies kept for reuse (benchmarks, tests, metrics). */
  readonly stats = { reused: 0, kept: 0 };
  private readonly v4 = Buffer.alloc(4);
  private readonly v6 = Buffer.alloc(16);

  constructor(
    private readonly versions: Versions,
    private readonly bounds = { shapes: MAX_SHAPES, templates: MAX_TEMPLATES },
    /** The random numbers steering draws from (tests fix them). */
    private readonly random: () => number = Math.random,
  ) {}

  /** Shapes and replies kept now (tests: the bounds hold whatever the queries). */
  get size(): { shapes: number; templates: number } {
    return { shapes: this.shapes.size, templates: this.templates };
  }

  /** Forget everything (a new configuration). */
  clear(): void {
    this.shapes = new Map();
    this.templates = 0;
  }

  /** Replies kept now, over every shape. */
  private templates = 0;

  /**
   * Random numbers drawn by the last reuse that found no reply kept for its outcome: the full path
   * must draw the same (replayFor), or the outcomes kept would bias what clients get.
   */
  private replay: number[] = [];
  /** How many of `replay` the last reuse drew (a count, not the array's length: setting that is slow). */
  private replayed = 0;

  /** The reply for this query, if one of its shape and its client's class is kept and still valid. */
  reuse(query: Buffer, shape: Shape, resolver: string): Reused | null {
    this.replayed = 0;
    const entry = this.shapes.get(shape.key);
    if (entry === undefined) return null;
    const cls = this.classOf(entry, query, shape, resolver);
    if (cls === null) return null;
    const t = entry.templates.get(cls);
    if (t === undefined) return null;
    const s = entry.steered;
    if (s !== null && (t.version !== this.versions.version || (s.reuse.rtt && t.rttVersion !== this.versions.rttVersion))) return null;
    let r = t.reply;
    if (t.draw !== null) {
      // Origins at random by weight: draw as the full path would (origins.ts), with the same random
      // numbers, and take the reply kept for that outcome; none yet: the full path makes it from
      // these very numbers.
      const picks = drawOrder(t.draw.weights, t.draw.picks, this.recording);
      r = t.variants!.get(drawKey(picks, t.draw.weights.length)) ?? null;
    }
    if (r === null) return null;
    this.replayed = 0;
    this.stats.reused++;
    const n = r.bytes.length;
    const out = Buffer.allocUnsafe(n + shape.ecsLength);
    out.set(r.bytes, 0);
    out[0] = query[0]!;
    out[1] = query[1]!;
    // The question as asked (letter case: resolvers using 0x20 check it), and the ECS address;
    // byte loops: a few bytes each, where Buffer.copy's call costs more than the copy.
    for (let i = 12; i < shape.nameEnd; i++) out[i] = query[i]!;
    for (let i = 0; i < shape.ecsLength; i++) out[n + i] = query[shape.ecsAt + i]!;
    return { bytes: out, zone: entry.zone, question: entry.question, rcode: r.rcode, truncated: r.truncated, explanation: r.explanation, metric: r.metric };
  }

  private readonly recording = (): number => {
    const x = this.random();
    this.replay[this.replayed++] = x;
    return x;
  };

  /**
   * The random numbers for the full path of the query the last reuse missed: the ones that reuse
   * drew, then fresh ones. Call once per query, before steering.
   */
  replayFor(random: () => number): () => number {
    const count = this.replayed;
    if (count === 0) return random;
    const values = this.replay.slice(0, count);
    this.replayed = 0;
    let at = 0;
    return () => (at < count ? values[at++]! : random());
  }

  /**
   * Keep a reply made by the full path, when it may be reused: the template is the reply without
   * the trailing ECS address, checked to be exactly that (and the question an echo of the query's).
   */
  keep(query: Buffer, shape: Shape, resolver: string, reply: Buffer, answer: Keepable): void {
    const cut = reply.length - shape.ecsLength;
    if (cut < shape.nameEnd) return;
    if (shape.ecsLength > 0 && reply.compare(query, shape.ecsAt, shape.ecsAt + shape.ecsLength, cut, reply.length) !== 0) return;
    for (let i = 12; i < shape.nameEnd; i++) if ((reply[i]! | 0x20) !== (query[i]! | 0x20)) return;
    const a = answer.steered;
    const steered: Steering | null = a === null ? null : { balancing: a.balancing, locator: a.locator, fromEcs: a.explanation.locatedFrom === "ecs", reuse: a.reuse };
    let entry = this.shapes.get(shape.key);
    const s = entry?.steered ?? null;
    // A shape answered another way than before (a policy read differently after a rule change is a
    // reload, which clears; this is the cheap guard): start the shape over.
    if (entry === undefined || (s === null) !== (steered === null) || (s !== null && steered !== null
      && (s.balancing !== steered.balancing || s.reuse.policy !== steered.reuse.policy || (s.reuse.classOf === EVERYWHERE) !== (steered.reuse.classOf === EVERYWHERE) || s.reuse.rtt !== steered.reuse.rtt || s.fromEcs !== steered.fromEcs))) {
      if (entry !== undefined) this.templates -= this.count(entry);
      if (this.shapes.size >= this.bounds.shapes) this.clear();
      entry = { zone: answer.zone, question: answer.question, steered, templates: new Map() };
      this.shapes.set(shape.key, entry);
    }
    const cls = this.classOf(entry, query, shape, resolver);
    if (cls === null) return;
    if (this.templates >= this.bounds.templates) {
      this.clear();
      entry = { zone: entry.zone, question: entry.question, steered: entry.steered, templates: new Map() };
      this.shapes.set(shape.key, entry);
    }
    const kept: Reply = { bytes: Buffer.from(reply.subarray(0, cut)), rcode: reply[3]! & 0x0f, truncated: (reply[2]! & 0x02) !== 0, explanation: a?.explanation, metric: a?.metric ?? -1 };
    const draw = a?.reuse.draw ?? null;
    const version = this.versions.version, rttVersion = this.versions.rttVersion;
    const old = entry.templates.get(cls);
    this.stats.kept++;
    if (draw !== null && old !== undefined && old.draw !== null && old.version === version && old.rttVersion === rttVersion && sameDraw(old.draw, draw)) {
      // Another outcome of the same draw.
      if (!old.variants!.has(draw.key)) this.templates++;
      old.variants!.set(draw.key, kept);
      return;
    }
    if (old !== undefined) this.templates -= old.variants?.size ?? 1;
    this.templates++;
    entry.templates.set(cls, draw === null
      ? { version, rttVersion, reply: kept, draw: null, variants: null }
      : { version, rttVersion, reply: null, draw, variants: new Map([[draw.key, kept]]) });
  }

  /** Replies kept for a shape. */
  private count(entry: ShapeEntry): number {
    let n = 0;
    for (const t of entry.templates.values()) n += t.variants?.size ?? 1;
    return n;
  }

  /** The client's class under this shape's policy: located from the ECS subnet or the resolver, only if the class reads a location. */
  private classOf(entry: ShapeEntry, query: Buffer, shape: Shape, resolver: string): LocationClass | null {
    const s = entry.steered;
    if (s === null || s.reuse.classOf === EVERYWHERE) return "";
    const location = this.locate(s, query, shape, resolver);
    return location === null ? null : s.reuse.classOf(location);
  }

  /** Where the client of a query answered by reuse is (query logs: a kept explanation shows the first client's). */
  clientLocation(query: Buffer, shape: Shape, resolver: string): Location | null {
    const s = this.shapes.get(shape.key)?.steered ?? null;
    return s === null ? null : this.locate(s, query, shape, resolver);
  }

  /** The ECS subnet's location, or the resolver's (whichever this shape's answers were located by). */
  private locate(s: Steering, query: Buffer, shape: Shape, resolver: string): Location | null {
    if (s.fromEcs) {
      if (shape.ecsFamily === 0 || shape.ecsSource === 0) return null;
      const bytes = shape.ecsFamily === 1 ? this.v4 : this.v6;
      for (let i = 0; i < bytes.length; i++) bytes[i] = i < shape.ecsLength ? query[shape.ecsAt + i]! : 0;
      return s.locator.locateBytes(shape.ecsFamily === 1 ? 4 : 6, bytes, shape.ecsSource);
    }
    const bytes = parseIPv4(resolver) ?? parseIPv6(resolver);
    if (bytes === null) return null;
    return s.locator.locateBytes(bytes.length === 4 ? 4 : 6, bytes, bytes.length * 8);
  }
}

/** The same draw: same weights in the same order, as many picks (then outcomes are comparable). */
function sameDraw(a: OriginDraw, b: OriginDraw): boolean {
  if (a.picks !== b.picks || a.weights.length !== b.weights.length) return false;
  for (let i = 0; i < a.weights.length; i++) if (a.weights[i] !== b.weights[i]) return false;
  return true;
}
