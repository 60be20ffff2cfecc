// Answers reused across clients. A load-balanced answer depends on the query's shape (name, type,
// flags, EDNS size and options: everything but the ID, the letter case and the ECS address), on
// the client's location class (geo: the country or region map entry it falls in; proximity:
// coordinates; off and failover: nothing), and on health. So the reply is encoded once per
// (shape, class) and kept with the ECS address cut off; a query of that shape from a client of
// that class gets a copy with its ID, its question's letter case and its ECS address patched in,
// as long as health has not changed since (versions) and no reload has cleared the table. Static
// replies to queries with ECS are kept the same way, one per shape.
//
// Origins drawn at random by weight (Cloudflare's default origin steering) are drawn here too, with
// the same routine and random numbers as the full path (balancing/origins.ts: drawOrder, drawOutcome): one
// reply is kept per outcome, so clients keep getting each origin by its weight.
//
// Only plain queries take this path (one question of class IN, at most an OPT with NSID and ECS
// last, no cookie); anything else, and any answer that read the client itself (rules on the
// address, hash steering) or drew a pool at random, goes through the full path every time.
//
// Layout: flat tables, not an object graph. With 10,000 load balancers asked at random, every
// object a lookup touches is a cache (and, on a VM, a TLB) miss: a Map of key strings, then a Map
// of classes, then a template, a reply and its Buffer cost ~3 µs a query more than the same
// lookups over one load balancer (scripts/bench-config, profiled). Here a query hashes its key
// bytes as it reads them, probes an index of (hash, shape number) pairs, and reads the shape's
// 192-byte row: its key and what a reuse reads of it (flags, the zone's numbers, geo's shared
// table, and the entries of its first classes); the entry's 192-byte row holds the reply. A
// typical reuse reads an index slot, two rows and shared, hot data (the GeoIP block cache, geo
// tables, the versions), nothing per load balancer.

import { Buffer } from "node:buffer";
import type { Balancing } from "../balancing/model.js";
import { drawOutcome, drawOutcomeAt, type OriginDraw } from "../balancing/origins.js";
import { geoClass } from "../balancing/policies/geo.js";
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
 * Bounds: shapes (a shape is about one name and type: 10,000 load balancers need 20,000), replies
 * (one per shape, class and outcome drawn: 10,000 geo load balancers over 3 origins each need
 * ~150,000) and their bytes (~90 each with ECS); past any of them the table starts over.
 * At the bounds the tables hold ~90 MB (192-byte rows: 13 MB of shapes and their index, 77 MB of entries)
 * and the arena the replies too long to inline; a sample zone's, a few hundred kB.
 */
export const ANSWER_BOUNDS = { shapes: 50_000, replies: 400_000, bytes: 48 << 20 } as const;

/** Where a plain query's parts are, read without decoding it (null: not a plain query). */
export interface Shape {
  readonly tcp: boolean;
  /** The key (transport, then every byte after the ID up to the ECS address, name in lower case): its length and hash. */
  readonly keyLength: number;
  readonly hash: number;
  /** End of the question name (it starts at 12): the bytes whose letter case a reply echoes. */
  readonly nameEnd: number;
  /** ECS: 1 (IPv4) or 2 (IPv6), the source prefix, and where the address bytes are; family 0: none. */
  readonly ecsFamily: number;
  readonly ecsSource: number;
  readonly ecsAt: number;
  readonly ecsLength: number;
}

/**
 * Where the last shape's key was written (a plain query of more than 512 bytes takes the full
 * path), zero-padded to a word: keys compare as words (keyWords), four bytes at a time.
 */
const keyWords = new Int32Array(128);
const keyBytes = Buffer.from(keyWords.buffer);

/**
 * The key of the shape readShape returned last, as a string (the packet cache's key for a plain
 * query without ECS). Call it before reading another shape: the bytes are a scratch buffer.
 */
export function shapeKey(shape: Shape): string {
  return keyBytes.toString("latin1", 0, shape.keyLength);
}

/**
 * Reads a plain query: header with QR=0, opcode 0, one question of class IN, no answer or authority
 * records, and either no additional record or one OPT (version 0) whose options are NSID (empty)
 * and a well-formed ECS as the last one. Everything else is null and takes the full path, which
 * also answers the errors (FORMERR, BADVERS, ...). The Shape returned is rewritten by the next
 * call: read it before.
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
    // 16-bit fields read by hand: Buffer's readUInt16BE validates its offset on every call.
    if (p + 11 > n || q[p] !== 0 || q[p + 1] !== 0 || q[p + 2] !== OPT || q[p + 6] !== 0) return null;
    const rdlength = (q[p + 9]! << 8) | q[p + 10]!;
    p += 11;
    if (p + rdlength !== n) return null;
    while (p < n) {
      if (p + 4 > n || ecsFamily !== 0) return null;
      const code = (q[p]! << 8) | q[p + 1]!;
      const len = (q[p + 2]! << 8) | q[p + 3]!;
      if (p + 4 + len > n) return null;
      if (code === OPTION_NSID && len === 0) { p += 4; continue; }
      if (code !== OPTION_ECS || len < 4) return null;
      const family = (q[p + 4]! << 8) | q[p + 5]!;
      const source = q[p + 6]!;
      const bytes = (source + 7) >> 3;
      if ((family !== 1 && family !== 2) || source > (family === 1 ? 32 : 128) || q[p + 7] !== 0 || len !== 4 + bytes) return null;
      // Bits past the source prefix must be zero (RFC 7871 §6): the full path answers FORMERR.
      if (source % 8 !== 0 && (q[p + 8 + bytes - 1]! & ((1 << (8 - (source % 8))) - 1)) !== 0) return null;
      ecsFamily = family; ecsSource = source; ecsAt = p + 8; ecsLength = bytes;
      p += 4 + len;
    }
  } else if (p !== n) return null;
  const keyLength = 1 + ecsAt - 2;
  if (keyLength > keyBytes.length) return null;
  const shape = lastShape;
  shape.tcp = tcp; shape.keyLength = keyLength; shape.hash = writeKey(q, tcp, nameEnd, ecsAt); shape.nameEnd = nameEnd;
  shape.ecsFamily = ecsFamily; shape.ecsSource = ecsSource; shape.ecsAt = ecsAt; shape.ecsLength = ecsLength;
  return shape;
}

/** readShape's result: one object, rewritten by every call (as keyBytes is), so a query allocates none. */
const lastShape: { -readonly [K in keyof Shape]: Shape[K] } = { tcp: false, keyLength: 0, hash: 0, nameEnd: 0, ecsFamily: 0, ecsSource: 0, ecsAt: 0, ecsLength: 0 };

/**
 * Writes a shape's key into keyBytes and returns its hash: the key zero-padded to words, hashed a
 * word at a time (a byte at a time was a fifth of readShape), and no string. DNS names compare
 * without ASCII case: the key has the name in lower case, nothing else changed.
 */
function writeKey(q: Buffer, tcp: boolean, nameEnd: number, ecsAt: number): number {
  keyBytes[0] = tcp ? 0x74 : 0x75; // "t" or "u"
  let k = 1;
  for (let i = 2; i < 12; i++) keyBytes[k++] = q[i]!;
  for (let i = 12; i < nameEnd; i++) { const c = q[i]!; keyBytes[k++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c; }
  for (let i = nameEnd; i < ecsAt; i++) keyBytes[k++] = q[i]!;
  while ((k & 3) !== 0) keyBytes[k++] = 0;
  let h = 0x811c9dc5 ^ k;
  for (let i = 0, words = k >> 2; i < words; i++) {
    h = Math.imul(h ^ keyWords[i]!, 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593);
  }
  // Finalizer (MurmurHash3's): the tables index by the low bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** What every query of one shape shares, beyond its row: read when keeping, and off the reuse path. */
interface ShapeInfo {
  readonly zone: string | null;
  readonly question: Question;
  /** A load balancer's answer (health and its versions matter); false: a static one (a reload clears it). */
  readonly steered: boolean;
  readonly balancing: Balancing | null;
  readonly locator: Locator | null;
  /** How clients are classed; null: all alike (static answers, policies that read no location). */
  readonly classOf: ((location: Location) => LocationClass) | null;
  /** geo's shared table of mapped codes: the class is geoClass(geoMapped, location), no call needed. */
  readonly geoMapped: Uint8Array | null;
  readonly policy: string;
  /** The answers read pools' RTT averages: the RTT version matters too. */
  readonly rtt: boolean;
  /** The load balancer's zone, numbered for Versions (0 for static answers: unread). */
  readonly versionsAt: number;
  /** Located from the ECS subnet (else from the resolver's address). */
  readonly fromEcs: boolean;
}

/** A reply the full path made, offered for reuse. */
export interface Keepable {
  readonly zone: string | null;
  readonly question: Question;
  /** The zone's number in the query counters (counters.ts: zone()), handed back on reuse; -1: none. */
  readonly counterZone?: number;
  /** The load balancer's decision; null for a static answer. */
  readonly steered: { readonly balancing: Balancing; readonly locator: Locator; readonly reuse: Reuse; readonly explanation: Explanation; readonly metric?: number } | null;
}

/**
 * Versions of what a zone's answers depend on (health/table.ts), read on every reuse: states and
 * overrides, and pools' RTT averages. Per zone, so that an origin going down in one zone leaves
 * the answers kept for the others.
 */
export interface Versions {
  zoneOf(zone: string): number;
  readonly zoneVersions: Float64Array;
  readonly zoneRttVersions: Float64Array;
}

export interface Reused {
  readonly bytes: Buffer;
  /** The shape answered (zoneOf, questionOf: read only when wanted, they are off the fast path). */
  readonly shape: number;
  readonly rcode: number;
  readonly truncated: boolean;
  /** The kept decision, when the cache keeps them (query logs on); it is the first client's. */
  readonly explanation: Explanation | undefined;
  /** Metrics: the kept answer's id in QueryCounters (counters.ts), counted again on each reuse; -1: none. */
  readonly metric: number;
  /** Metrics: the zone's number in QueryCounters, as kept (Keepable.counterZone); -1: none. */
  readonly counterZone: number;
}

// A shape's row (SR words, 192 bytes: past its index slot, a lookup reads this row and nothing
// else of the shape): a spare word (the key's hash is in the index), the key's length, the shape's
// number (ShapeInfo, entries' keys), its generation (bumped when the shape starts over: entries of an older one no longer count), flags,
// the zone's number for Versions, the locator's, the zone's in the counters; then up to MINI
// (class, base entry + 1) pairs, so that most classes find their entry without the entry table;
// then the key itself, zero-padded to words (or, longer than KEY_INLINE, where it is in the arena).
const S_KEY_LENGTH = 1, S_ID = 2, S_GENERATION = 3, S_FLAGS = 4, S_VERSIONS_AT = 5, S_LOCATOR = 6,
  S_COUNTER_ZONE = 7, S_MINI = 8, MINI = 4, S_KEY = S_MINI + 2 * MINI, KEY_INLINE = 128, SR = S_KEY + KEY_INLINE / 4;
/** S_FLAGS: bits, then the geo table's number + 1 from bit 8 (0: none). */
const F_STEERED = 1, F_RTT = 2, F_FROM_ECS = 4, F_CLASSED = 8, F_TABLE_SHIFT = 8;
/**
 * An entry's row (ER words, 192 bytes): its key (shape number, class, outcome), the shape's
 * generation and the health versions (32 bits of them) it was made under, its stamp (a (shape,
 * class) entry's own; an outcome's, its (shape, class) entry's when kept), the reply's length
 * (BY_OUTCOME: look up the outcome drawn), rcode | truncated << 4, metric id, and where the reply
 * is: inline after the fields when it fits in REPLY_INLINE bytes (-1), else its offset in the
 * arena. A BY_OUTCOME entry keeps its draw in that space instead: the picks (in E_FLAGS), the
 * number of weights (in E_METRIC; -1: more than WEIGHTS, see entryDraw) and the weights as
 * float64, then up to OUTCOMES (outcome, entry + 1) pairs.
 */
const E_SHAPE = 0, E_CLASS = 1, E_OUTCOME = 2, E_GENERATION = 3, E_VERSION = 4, E_RTT_VERSION = 5, E_STAMP = 6,
  E_LENGTH = 7, E_FLAGS = 8, E_METRIC = 9, E_AT = 10, E_INLINE = 12, REPLY_INLINE = 144, ER = E_INLINE + REPLY_INLINE / 4,
  WEIGHTS = 8, E_PAIRS = E_INLINE + 2 * WEIGHTS, OUTCOMES = (ER - E_PAIRS) / 2;

/** An entry's outcome when it is the (shape, class) entry itself, not one outcome of a draw. */
const BASE = -1;
/** An entry's reply length when its replies are kept per outcome (entries of their own). */
const BY_OUTCOME = -1;

export class AnswerCache {
  /** Replies reused, and replies kept for reuse (benchmarks, tests, metrics). */
  readonly stats = { reused: 0, kept: 0 };

  // Shapes: an open-addressed index of (key hash, shape number + 1) pairs, at most half full; the
  // shapes' SR-word rows by number (keys inline, compared as words), what else each shape shares,
  // and keys too long to inline. Rows sat in the index itself until the packet cache's 20,000
  // shapes kept 12 MiB of them, three quarters empty (docs/benchmarks.md).
  private shapeSlots: Int32Array<ArrayBuffer>;
  private shapeMask: number;
  private shapeRows: Int32Array<ArrayBuffer>;
  private shapeInfo: ShapeInfo[] = [];
  private shapes = 0;
  private keyArena = Buffer.alloc(0);
  private keyUsed = 0;

  // Entries, one per (shape, class, outcome): ER-word rows (and the same memory as bytes: replies
  // inline), and an open-addressed table of entry index + 1 for those the rows' pairs do not find.
  private entrySlots = new Int32Array(0);
  private entryRows = new Int32Array(0);
  private entryBytes = new Uint8Array(0);
  private entryFloats = new Float64Array(0);
  /** The draw of a (shape, class) entry whose origins are drawn at random; null otherwise. */
  private entryDraw: (OriginDraw | null)[] = [];
  private explanations: (Explanation | undefined)[] = [];
  private entries = 0;
  private stamps = 0;
  /** Replies too long to inline; and the bytes of every reply kept (the bytes bound). */
  private replyArena = Buffer.alloc(0);
  private replyUsed = 0;
  private replyBytes = 0;

  /** Location classes that are strings (proximity's points), as numbers: -1, -2, ... */
  private classIds = new Map<string, number>();
  /** geo tables and locators the shapes use (few: tables are shared per set of codes, locators per zone with networks). */
  private tables: Uint8Array[] = [];
  private tableIds = new Map<Uint8Array, number>();
  private locators: Locator[] = [];
  private locatorIds = new Map<Locator, number>();

  constructor(
    private readonly versions: Versions,
    private readonly bounds: { readonly shapes: number; readonly replies: number; readonly bytes: number } = ANSWER_BOUNDS,
    /** The random numbers steering draws from (tests fix them). */
    private readonly random: () => number = Math.random,
    /** Keep each reply's Explanation (query logs read them; else they are most of the memory). */
    private readonly keepExplanations = true,
  ) {
    this.shapeSlots = new Int32Array(1024 * 2);
    this.shapeMask = 1023;
    this.shapeRows = new Int32Array(512 * SR);
  }

  /** Shapes and replies kept now (tests: the bounds hold whatever the queries). */
  get size(): { shapes: number; replies: number; bytes: number } {
    return { shapes: this.shapes, replies: this.entries, bytes: this.replyBytes };
  }

  /** Forget everything (a new configuration, or a bound reached). */
  clear(): void {
    // Zeroed in place, not given back: freeing a table of megabytes raises glibc's mmap threshold
    // to its size, and the tables then regrown come from the brk heap, which fragments and keeps
    // them (measured: the heap grew from 54 to 96 MiB over three rounds of scripts/bench's files).
    // Shape rows need no zeroing: addShape clears the one it takes.
    this.shapeSlots.fill(0);
    this.entrySlots.fill(0);
    this.shapeInfo = [];
    this.shapes = 0;
    this.keyUsed = 0;
    this.entryDraw = [];
    this.explanations = [];
    this.entries = 0;
    this.replyUsed = 0;
    this.replyBytes = 0;
    this.classIds = new Map();
    this.tables = [];
    this.tableIds = new Map();
    this.locators = [];
    this.locatorIds = new Map();
  }

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
    const s = this.findShape(shape);
    if (s < 0) return null;
    const shapes = this.shapeRows;
    const id = shapes[s + S_ID]!, flags = shapes[s + S_FLAGS]!;
    const cls = this.classId(s, query, shape, resolver, false);
    if (cls === null) return null;
    const e = this.findBase(s, id, cls);
    if (e < 0) return null;
    const rows = this.entryRows;
    const generation = shapes[s + S_GENERATION]!;
    const b = e * ER;
    if (rows[b + E_GENERATION] !== generation) return null;
    if ((flags & F_STEERED) !== 0) {
      const z = shapes[s + S_VERSIONS_AT]!;
      if (rows[b + E_VERSION] !== (this.versions.zoneVersions[z]! | 0) || ((flags & F_RTT) !== 0 && rows[b + E_RTT_VERSION] !== (this.versions.zoneRttVersions[z]! | 0))) return null;
    }
    let r = b;
    if (rows[b + E_LENGTH] === BY_OUTCOME) {
      // Origins at random by weight: draw as the full path would (origins.ts), with the same random
      // numbers, and take the reply kept for that outcome; none yet: the full path makes it from
      // these very numbers.
      const n = rows[b + E_METRIC]!;
      let outcome: number;
      if (n >= 0) outcome = drawOutcomeAt(this.entryFloats, (b + E_INLINE) >> 1, n, rows[b + E_FLAGS]!, this.recording);
      else { const draw = this.entryDraw[e]!; outcome = drawOutcome(draw.weights, draw.picks, this.recording); }
      const o = this.findOutcome(b, id, cls, outcome);
      r = o * ER;
      if (o < 0 || rows[r + E_STAMP] !== rows[b + E_STAMP] || rows[r + E_GENERATION] !== generation) return null;
    }
    this.replayed = 0;
    this.stats.reused++;
    const n = rows[r + E_LENGTH]!;
    const at = rows[r + E_AT]!;
    const total = n + shape.ecsLength;
    let out: Buffer;
    if (at < 0) {
      // Inline (most replies): copied a word at a time into a slab of our own (replySlab).
      const words = replySlab(total), w = slabUsed >> 2, from = r + E_INLINE;
      for (let i = 0, nw = (n + 3) >> 2; i < nw; i++) words[w + i] = rows[from + i]!;
      out = Buffer.from(words.buffer, slabUsed, total);
      slabUsed = (slabUsed + total + 3) & ~3;
    } else {
      // Byte loops for a typical reply (~100 bytes), where Buffer.copy's call (a view made,
      // checks) costs more than the copy.
      out = Buffer.allocUnsafe(total);
      const arena = this.replyArena;
      if (n <= 256) for (let i = 0; i < n; i++) out[i] = arena[at + i]!;
      else arena.copy(out, 0, at, at + n);
    }
    // The ID, the question as asked (letter case: resolvers using 0x20 check it), and the ECS
    // address (which also overwrites what the last word copied past the reply).
    out[0] = query[0]!;
    out[1] = query[1]!;
    for (let i = 12; i < shape.nameEnd; i++) out[i] = query[i]!;
    for (let i = 0; i < shape.ecsLength; i++) out[n + i] = query[shape.ecsAt + i]!;
    const replyFlags = rows[r + E_FLAGS]!;
    // A new object, not one rewritten per reuse: storing the new reply into an old object costs a
    // write barrier and a remembered-set entry, more than allocating (perf, scripts/bench).
    return {
      bytes: out, shape: id, rcode: replyFlags & 0x0f, truncated: (replyFlags & 0x10) !== 0,
      explanation: this.keepExplanations ? this.explanations[r / ER] : undefined, metric: rows[r + E_METRIC]!, counterZone: shapes[s + S_COUNTER_ZONE]!,
    };
  }

  /** The zone that answered a reused reply (rate limiting keys on it). */
  zoneOf(hit: Reused): string | null {
    return this.shapeInfo[hit.shape]!.zone;
  }

  /** The question a reused reply answers (query logs). */
  questionOf(hit: Reused): Question {
    return this.shapeInfo[hit.shape]!.question;
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
   * Keep a reply made by the full path, when it may be reused: the reply without the trailing ECS
   * address, checked to be exactly that (and the question an echo of the query's).
   */
  keep(query: Buffer, shape: Shape, resolver: string, reply: Buffer, answer: Keepable): void {
    const cut = reply.length - shape.ecsLength;
    if (cut < shape.nameEnd) return;
    if (shape.ecsLength > 0 && reply.compare(query, shape.ecsAt, shape.ecsAt + shape.ecsLength, cut, reply.length) !== 0) return;
    for (let i = 12; i < shape.nameEnd; i++) if ((reply[i]! | 0x20) !== (query[i]! | 0x20)) return;
    const a = answer.steered;
    const info: ShapeInfo = a === null
      ? { zone: answer.zone, question: answer.question, steered: false, balancing: null, locator: null, classOf: null, geoMapped: null, policy: "", rtt: false, fromEcs: false, versionsAt: 0 }
      : {
        zone: answer.zone, question: answer.question, steered: true, balancing: a.balancing, locator: a.locator,
        classOf: a.reuse.classOf === EVERYWHERE ? null : a.reuse.classOf, geoMapped: a.reuse.classOf === EVERYWHERE ? null : a.reuse.geoMapped,
        policy: a.reuse.policy, rtt: a.reuse.rtt, fromEcs: a.explanation.locatedFrom === "ecs",
        versionsAt: this.versions.zoneOf(a.balancing.origin),
      };
    // The key: the query's shape (the scratch bytes may have been overwritten since readShape).
    writeKey(query, shape.tcp, shape.nameEnd, shape.ecsAt);
    if (this.entries >= this.bounds.replies || this.replyBytes + cut > this.bounds.bytes) this.clear();
    let s = this.findShape(shape);
    if (s < 0) {
      if (this.shapes >= this.bounds.shapes) this.clear();
      s = this.addShape(shape);
      this.setShape(s, info, answer.counterZone ?? -1);
    } else if (!sameAnswering(this.shapeInfo[this.shapeRows[s + S_ID]!]!, info)) {
      // A shape answered another way than before (a policy read differently after a rule change is
      // a reload, which clears; this is the cheap guard): start the shape over.
      this.setShape(s, info, answer.counterZone ?? -1);
      this.shapeRows[s + S_GENERATION]!++;
    }
    const id = this.shapeRows[s + S_ID]!;
    const cls = this.classId(s, query, shape, resolver, true);
    if (cls === null) return;
    this.stats.kept++;
    const generation = this.shapeRows[s + S_GENERATION]!;
    const z = info.versionsAt;
    const version = this.versions.zoneVersions[z]! | 0, rttVersion = this.versions.zoneRttVersions[z]! | 0;
    const flags = (reply[3]! & 0x0f) | ((reply[2]! & 0x02) !== 0 ? 0x10 : 0);
    const explanation = this.keepExplanations ? a?.explanation : undefined;
    const metric = a?.metric ?? -1;
    const draw = a?.reuse.draw ?? null;
    this.replyBytes += cut;
    if (draw === null) {
      const e = this.entry(id, cls, BASE);
      this.setEntry(e, generation, version, rttVersion, (this.stamps = (this.stamps + 1) | 0), reply, cut, flags, metric, null, explanation);
      this.remember(s, cls, e);
      return;
    }
    const base = this.findBase(s, id, cls);
    const old = base < 0 ? null : this.entryDraw[base] ?? null;
    const rows = this.entryRows, b = base * ER;
    let stamp: number;
    let e = base;
    if (old !== null && rows[b + E_GENERATION] === generation && rows[b + E_VERSION] === version && rows[b + E_RTT_VERSION] === rttVersion && sameDraw(old, draw)) {
      stamp = rows[b + E_STAMP]!; // another outcome of the same draw
    } else {
      stamp = this.stamps = (this.stamps + 1) | 0;
      if (e < 0) e = this.entry(id, cls, BASE);
      this.setEntry(e, generation, version, rttVersion, stamp, null, BY_OUTCOME, 0, -1, draw, undefined);
      this.remember(s, cls, e);
    }
    const o = this.entry(id, cls, draw.key);
    this.setEntry(o, generation, version, rttVersion, stamp, reply, cut, flags, metric, null, explanation);
    // The outcome among its (shape, class) entry's pairs, when there is room.
    const pairs = e * ER + E_PAIRS;
    for (let i = 0; i < OUTCOMES; i++) {
      const at = pairs + 2 * i;
      if (this.entryRows[at + 1] === 0) { this.entryRows[at] = draw.key; this.entryRows[at + 1] = o + 1; break; }
      if (this.entryRows[at] === draw.key) break;
    }
  }

  /** Where the client of a query answered by reuse is (query logs: a kept explanation shows the first client's). */
  clientLocation(query: Buffer, shape: Shape, resolver: string): Location | null {
    writeKey(query, shape.tcp, shape.nameEnd, shape.ecsAt);
    const s = this.findShape(shape);
    return s < 0 || (this.shapeRows[s + S_FLAGS]! & F_STEERED) === 0 ? null : this.locate(s, query, shape, resolver);
  }

  // ---------------------------------------------------------------- the tables

  /** The row of the shape whose key is in keyBytes, or -1. */
  private findShape(shape: Shape): number {
    const slots = this.shapeSlots;
    const mask = this.shapeMask;
    const length = shape.keyLength, hash = shape.hash | 0;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const id = slots[2 * i + 1]!;
      if (id === 0) return -1;
      if (slots[2 * i] !== hash) continue;
      const s = (id - 1) * SR;
      if (this.shapeRows[s + S_KEY_LENGTH] === length && this.keyEquals(s, length)) return s;
    }
  }

  /** The key in keyBytes is the one in row s: word by word (both are zero-padded). */
  private keyEquals(s: number, length: number): boolean {
    if (length <= KEY_INLINE) {
      const rows = this.shapeRows, words = (length + 3) >> 2, from = s + S_KEY;
      for (let i = 0; i < words; i++) if (rows[from + i] !== keyWords[i]) return false;
      return true;
    }
    const arena = this.keyArena, at = this.shapeRows[s + S_KEY]!;
    for (let i = 0; i < length; i++) if (arena[at + i] !== keyBytes[i]) return false;
    return true;
  }

  /** A new shape for the key in keyBytes: its row. */
  private addShape(shape: Shape): number {
    if ((this.shapes + 1) * 2 > this.shapeMask + 1) this.growSlots();
    const id = this.shapes++;
    if ((id + 1) * SR > this.shapeRows.length) {
      const rows = new Int32Array(this.shapeRows.length * 2);
      rows.set(this.shapeRows);
      this.shapeRows = rows;
    }
    const slots = this.shapeSlots, mask = this.shapeMask;
    let i = shape.hash & mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = shape.hash | 0;
    slots[2 * i + 1] = id + 1;
    const rows = this.shapeRows, s = id * SR;
    // The row may hold a shape from before the table started over: its pairs must read empty.
    rows.fill(0, s, s + SR);
    const length = shape.keyLength;
    rows[s + S_KEY_LENGTH] = length;
    rows[s + S_ID] = id;
    rows[s + S_GENERATION] = 0;
    if (length <= KEY_INLINE) {
      for (let w = 0; w < (length + 3) >> 2; w++) rows[s + S_KEY + w] = keyWords[w]!;
    } else {
      if (this.keyUsed + length > this.keyArena.length) {
        const next = Buffer.alloc(Math.max(64 << 10, (this.keyUsed + length) * 2));
        this.keyArena.copy(next, 0, 0, this.keyUsed);
        this.keyArena = next;
      }
      keyBytes.copy(this.keyArena, this.keyUsed, 0, length);
      rows[s + S_KEY] = this.keyUsed;
      this.keyUsed += length;
    }
    return s;
  }

  /** What row s's answers share: in the row what a reuse reads, the rest in its ShapeInfo. */
  private setShape(s: number, info: ShapeInfo, counterZone: number): void {
    const rows = this.shapeRows;
    this.shapeInfo[rows[s + S_ID]!] = info;
    let table = 0;
    if (info.geoMapped !== null) {
      let t = this.tableIds.get(info.geoMapped);
      if (t === undefined) { this.tableIds.set(info.geoMapped, (t = this.tables.length)); this.tables.push(info.geoMapped); }
      table = t + 1;
    }
    let locator = -1;
    if (info.locator !== null) {
      let l = this.locatorIds.get(info.locator);
      if (l === undefined) { this.locatorIds.set(info.locator, (l = this.locators.length)); this.locators.push(info.locator); }
      locator = l;
    }
    rows[s + S_FLAGS] = (info.steered ? F_STEERED : 0) | (info.rtt ? F_RTT : 0) | (info.fromEcs ? F_FROM_ECS : 0) | (info.classOf !== null ? F_CLASSED : 0) | (table << F_TABLE_SHIFT);
    rows[s + S_VERSIONS_AT] = info.versionsAt;
    rows[s + S_LOCATOR] = locator;
    rows[s + S_COUNTER_ZONE] = counterZone;
  }

  /** Twice the index's slots: every pair moves to its place in the larger one (rows stay). */
  private growSlots(): void {
    const old = this.shapeSlots, oldSlots = this.shapeMask + 1;
    const mask = oldSlots * 2 - 1;
    const slots = new Int32Array(oldSlots * 4);
    for (let j = 0; j < oldSlots; j++) {
      if (old[2 * j + 1] === 0) continue;
      let i = old[2 * j]! & mask;
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
      slots[2 * i] = old[2 * j]!;
      slots[2 * i + 1] = old[2 * j + 1]!;
    }
    this.shapeSlots = slots;
    this.shapeMask = mask;
  }

  /** The (shape, class) entry: from the row's pairs, else the entry table; -1 if none. */
  private findBase(s: number, id: number, cls: number): number {
    const rows = this.shapeRows;
    for (let i = 0; i < MINI; i++) {
      const e = rows[s + S_MINI + 2 * i + 1]!;
      if (e === 0) return -1; // pairs fill in order; a full row's others are in the table
      if (rows[s + S_MINI + 2 * i] === cls) return e - 1;
    }
    return this.findEntry(id, cls, BASE);
  }

  /** A (shape, class) entry in row s's pairs, when there is room. */
  private remember(s: number, cls: number, e: number): void {
    const rows = this.shapeRows;
    for (let i = 0; i < MINI; i++) {
      const at = s + S_MINI + 2 * i;
      if (rows[at + 1] === 0) { rows[at] = cls; rows[at + 1] = e + 1; return; }
      if (rows[at] === cls) return;
    }
  }

  /** An outcome's entry: from its (shape, class) entry's pairs, else the entry table; -1 if none. */
  private findOutcome(b: number, id: number, cls: number, outcome: number): number {
    const rows = this.entryRows;
    for (let i = 0; i < OUTCOMES; i++) {
      const at = b + E_PAIRS + 2 * i;
      const o = rows[at + 1]!;
      if (o === 0) return -1;
      if (rows[at] === outcome) return o - 1;
    }
    return this.findEntry(id, cls, outcome);
  }

  /** The entry for (shape, class, outcome), or -1. */
  private findEntry(shape: number, cls: number, outcome: number): number {
    const slots = this.entrySlots;
    if (slots.length === 0) return -1;
    const mask = slots.length - 1;
    for (let i = entryHash(shape, cls, outcome) & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === 0) return -1;
      const row = (s - 1) * ER;
      if (this.entryRows[row + E_SHAPE] === shape && this.entryRows[row + E_CLASS] === cls && this.entryRows[row + E_OUTCOME] === outcome) return s - 1;
    }
  }

  /** The entry for (shape, class, outcome), made if new. */
  private entry(shape: number, cls: number, outcome: number): number {
    let e = this.findEntry(shape, cls, outcome);
    if (e >= 0) return e;
    e = this.entries++;
    if ((e + 1) * ER > this.entryRows.length) {
      this.entryRows = grown(this.entryRows, ER * Math.max(e + 1, Math.min(Math.max(1024, e * 2), this.bounds.replies + 2)));
      this.entryBytes = new Uint8Array(this.entryRows.buffer);
      this.entryFloats = new Float64Array(this.entryRows.buffer);
    }
    // Entries 0..e-1 are in the table; e goes in below.
    if (this.entries * 2 > this.entrySlots.length) this.rehash(Math.max(4096, this.entrySlots.length * 2), e);
    const rows = this.entryRows, b = e * ER;
    rows.fill(0, b, b + ER);
    rows[b + E_SHAPE] = shape;
    rows[b + E_CLASS] = cls;
    rows[b + E_OUTCOME] = outcome;
    const slots = this.entrySlots;
    const mask = slots.length - 1;
    let i = entryHash(shape, cls, outcome) & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = e + 1;
    return e;
  }

  /** Entry e's fields and reply (null with BY_OUTCOME: its space holds the draw and outcome pairs, kept while it stays BY_OUTCOME). */
  private setEntry(e: number, generation: number, version: number, rttVersion: number, stamp: number,
    reply: Buffer | null, length: number, flags: number, metric: number, draw: OriginDraw | null, explanation: Explanation | undefined): void {
    const rows = this.entryRows, b = e * ER;
    if (reply === null) {
      if (rows[b + E_LENGTH] !== BY_OUTCOME) rows.fill(0, b + E_INLINE, b + ER);
      rows[b + E_AT] = -1;
    } else if (length <= REPLY_INLINE) {
      const bytes = this.entryBytes, to = (b + E_INLINE) * 4;
      for (let i = 0; i < length; i++) bytes[to + i] = reply[i]!;
      rows[b + E_AT] = -1;
    } else {
      rows[b + E_AT] = this.append(reply, length);
    }
    rows[b + E_GENERATION] = generation;
    rows[b + E_VERSION] = version;
    rows[b + E_RTT_VERSION] = rttVersion;
    rows[b + E_STAMP] = stamp;
    rows[b + E_LENGTH] = length;
    rows[b + E_FLAGS] = flags;
    rows[b + E_METRIC] = metric;
    if (draw !== null) {
      rows[b + E_FLAGS] = draw.picks;
      rows[b + E_METRIC] = draw.weights.length <= WEIGHTS ? draw.weights.length : -1;
      if (draw.weights.length <= WEIGHTS) this.entryFloats.set(draw.weights, (b + E_INLINE) >> 1);
    }
    this.entryDraw[e] = draw;
    this.explanations[e] = explanation;
  }

  /** A table of `size` slots for entries 0..count-1. */
  private rehash(size: number, count: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let e = 0; e < count; e++) {
      const row = e * ER;
      let i = entryHash(this.entryRows[row + E_SHAPE]!, this.entryRows[row + E_CLASS]!, this.entryRows[row + E_OUTCOME]!) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = e + 1;
    }
    this.entrySlots = slots;
  }

  /** Copies a reply's first `length` bytes into the arena; where. */
  private append(reply: Buffer, length: number): number {
    if (this.replyUsed + length > this.replyArena.length) {
      const next = Buffer.allocUnsafe(Math.min(Math.max(64 << 10, (this.replyUsed + length) * 2), this.bounds.bytes));
      this.replyArena.copy(next, 0, 0, this.replyUsed);
      this.replyArena = next;
    }
    reply.copy(this.replyArena, this.replyUsed, 0, length);
    const at = this.replyUsed;
    this.replyUsed += length;
    return at;
  }

  /**
   * The client's class under row s's policy, as a number (located from the ECS subnet or the
   * resolver, only if the class reads a location); null: none (unlocatable, or a class never kept).
   */
  private classId(s: number, query: Buffer, shape: Shape, resolver: string, add: boolean): number | null {
    const flags = this.shapeRows[s + S_FLAGS]!;
    if ((flags & F_CLASSED) === 0) return 0;
    const location = this.locate(s, query, shape, resolver);
    if (location === null) return null;
    const table = flags >>> F_TABLE_SHIFT;
    if (table !== 0) return geoClass(this.tables[table - 1]!, location);
    const cls = this.shapeInfo[this.shapeRows[s + S_ID]!]!.classOf!(location);
    if (typeof cls === "number" && (cls | 0) === cls) return cls;
    const text = String(cls);
    let n = this.classIds.get(text);
    if (n === undefined) {
      if (!add) return null;
      this.classIds.set(text, (n = -1 - this.classIds.size));
    }
    return n;
  }

  /** The ECS subnet's location, or the resolver's (whichever row s's answers were located by). */
  private locate(s: number, query: Buffer, shape: Shape, resolver: string): Location | null {
    const locator = this.locators[this.shapeRows[s + S_LOCATOR]!]!;
    if ((this.shapeRows[s + S_FLAGS]! & F_FROM_ECS) !== 0) {
      if (shape.ecsFamily === 0 || shape.ecsSource === 0) return null;
      const bytes = shape.ecsFamily === 1 ? v4 : v6;
      for (let i = 0; i < bytes.length; i++) bytes[i] = i < shape.ecsLength ? query[shape.ecsAt + i]! : 0;
      return locator.locateBytes(shape.ecsFamily === 1 ? 4 : 6, bytes, shape.ecsSource);
    }
    const bytes = parseIPv4(resolver) ?? parseIPv6(resolver);
    if (bytes === null) return null;
    return locator.locateBytes(bytes.length === 4 ? 4 : 6, bytes, bytes.length * 8);
  }
}

const v4 = Buffer.alloc(4);
const v6 = Buffer.alloc(16);

/**
 * Reused replies are cut from slabs of our own at word boundaries, so that an inline reply is
 * copied out of its row a word at a time: a byte loop and Buffer.allocUnsafe cost ~125 ns a
 * ~90-byte reply, words into a slab ~80. 8 KiB like Node's own pool: a reply still queued for
 * sending keeps no more than Node's would. A copy may run up to 3 bytes past its reply, into the
 * padding to the next word, which belongs to no reply.
 */
const SLAB_BYTES = 8192;
let slab = new Int32Array(SLAB_BYTES >> 2);
let slabUsed = SLAB_BYTES;
/** The slab with room for `length` bytes at slabUsed (a new one when the current is full). */
function replySlab(length: number): Int32Array {
  if (slabUsed + length > SLAB_BYTES) { slab = new Int32Array(SLAB_BYTES >> 2); slabUsed = 0; }
  return slab;
}

/** Answers of a shape made alike: the same load balancing, policy, class kind, RTT use and location source. */
function sameAnswering(a: ShapeInfo, b: ShapeInfo): boolean {
  return a.steered === b.steered && a.balancing === b.balancing && a.policy === b.policy
    && (a.classOf === null) === (b.classOf === null) && a.geoMapped === b.geoMapped && a.locator === b.locator && a.rtt === b.rtt && a.fromEcs === b.fromEcs;
}

/** The same draw: same weights in the same order, as many picks (then outcomes are comparable). */
function sameDraw(a: OriginDraw, b: OriginDraw): boolean {
  if (a.picks !== b.picks || a.weights.length !== b.weights.length) return false;
  for (let i = 0; i < a.weights.length; i++) if (a.weights[i] !== b.weights[i]) return false;
  return true;
}

function entryHash(shape: number, cls: number, outcome: number): number {
  let h = Math.imul(shape, 0x9e3779b1) ^ Math.imul(cls, 0x85ebca77) ^ Math.imul(outcome + 2, 0xc2b2ae3d);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

function powerOfTwoAbove(n: number): number {
  let p = 1024;
  while (p < n) p *= 2;
  return p;
}

/** A copy of `a` with room for n. */
function grown(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(n);
  next.set(a);
  return next;
}
