// One DNS message in, one reply out: decode → checks (opcode, EDNS, cookies) → zone lookup → encode.
// Everything a query can do to us is bounded here: decoding never throws, and any fault past it is
// caught and answered SERVFAIL, so no input can crash or stall the server.

import { Buffer } from "node:buffer";
import { Doorkeeper } from "../wire/doorkeeper.js";
import { EdnsOptionCode, Opcode, RRClass, RRType, Rcode, CLASSIC_UDP_OCTETS, MAX_MESSAGE_OCTETS } from "../wire/constants.js";
import {
  decodeClientSubnet,
  decodeCookie,
  decodeHeader,
  decodeMessage,
  encodeClientSubnet,
  encodeCookie,
  encodeMessage,
} from "../wire/index.js";
import type { ClientSubnet, Edns, EdnsOption, Header, Message, Question, ResourceRecord } from "../wire/types.js";
import type { Peer } from "../transport/types.js";
import type { ZoneSet } from "../zone/zoneset.js";
import { lookup } from "../zone/lookup.js";
import type { LookupResult } from "../zone/types.js";
import type { CookieJar } from "./cookie.js";
import type { ResponseRateLimiter } from "./rrl.js";
import type { GeoProvider } from "../locate/geoip.js";
import { Locator, NOWHERE } from "../locate/locate.js";
import type { Balancing, HealthView } from "../balancing/model.js";
import { steer, type Explanation, type Steered } from "../balancing/steer.js";
import { ANSWER_BOUNDS, AnswerCache, readShape, shapeKey, type Shape, type Versions } from "./answers.js";
import { formatIPv4, formatIPv6 } from "../wire/ip.js";
import type { QueryCounters } from "./counters.js";

export interface ChaosIdentity {
  /** Answer to id.server / hostname.bind; null: not answered. */
  readonly hostname: string | null;
  /** Answer to version.bind / version.server; null: not answered. */
  readonly version: string | null;
}

export interface ResponderOptions {
  /** Largest UDP reply we send, and the payload size we advertise (RFC 6891 §6.2.5). */
  readonly udpSize: number;
  /** NSID payload (RFC 5001), or null to not answer NSID. */
  readonly nsid: Buffer | null;
  /** CHAOS-class identity answers, or null to refuse CHAOS queries. */
  readonly chaos: ChaosIdentity | null;
  readonly cookies: CookieJar;
  /** Keep whole replies to client-independent queries (default true). */
  readonly packetCache?: boolean;
  /** Reuse load-balanced answers per (query shape, client location class) while health holds (answers.ts; default true). */
  readonly answerCache?: boolean;
  /** Response rate limiting over UDP (rrl.ts); none: off. */
  readonly rrl?: ResponseRateLimiter;
  /** What load balancers steer with: health (a view per zone's Balancing), GeoIP, randomness (tests fix it). */
  readonly steering?: { readonly health: { view(b: Balancing): HealthView } & Versions; readonly geo: GeoProvider | null; readonly random?: () => number };
  /** Metrics: every query counted by zone, type, rcode and transport, load-balanced answers by pool (counters.ts); none: nothing counted. */
  readonly counters?: QueryCounters;
}

/** What happened to one query, for sampled query logs and metrics. */
export interface QueryOutcome {
  readonly peer: Peer;
  readonly question: Question | null;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly size: number;
  readonly reason?: string;
  /** For load-balanced answers: the whole decision (location, pools, origins, scope). */
  readonly steering?: Explanation;
}

export type OutcomeSink = (outcome: QueryOutcome) => void;

/** Query-side EDNS facts gathered once, used for the reply. */
interface EdnsRequest {
  readonly udpSize: number;
  readonly dnssecOk: boolean;
  readonly ecs: ClientSubnet | null;
  readonly clientCookie: Buffer | null;
  readonly serverCookie: Buffer | null;
  readonly nsid: boolean;
}

class FormatError extends Error {}

/**
 * Packet cache: a reply that depends only on the query bytes (after the ID), the transport and the
 * zones is stored whole; a repeat query gets a copy with its own ID. Replies that depend on the
 * client (cookies carry its address and the time) are never stored. Cleared on every zone reload;
 * bounded, so random names cannot grow it.
 */
interface CachedReply {
  readonly bytes: Buffer;
  /** The zone that answered (rate limiting keys NXDOMAIN by zone). */
  readonly zone: string | null;
  readonly question: Question | null;
  readonly rcode: number;
  readonly truncated: boolean;
}
const CACHE_MAX_ENTRIES = 20_000;
/** Queries longer than this are not cached (keys stay small; real queries are ~30-100 bytes). */
const CACHE_MAX_QUERY = 300;

const NO_RECORDS: ResourceRecord[] = [];

export class Responder {
  private cache = new Map<string, CachedReply>();
  /** One Locator per zone's Balancing (its networks), made on first use; dropped with it. */
  private readonly locators = new WeakMap<Balancing, Locator>();
  private plainLocator: { readonly geo: GeoProvider | null; readonly locator: Locator } | null = null;
  private readonly answers: AnswerCache | null;
  private readonly plainCache: AnswerCache | null;

  constructor(
    private readonly options: ResponderOptions,
    private zones: ZoneSet,
    /** Each zone's load balancing, by origin: what the zones' load balancer names resolve to. */
    private balancing: ReadonlyMap<string, Balancing> = new Map(),
    private readonly onOutcome: OutcomeSink | null = null,
    private readonly onFault: (err: unknown, peer: Peer) => void = () => {},
  ) {
    this.answers = options.steering !== undefined && options.answerCache !== false ? new AnswerCache(options.steering.health, ANSWER_BOUNDS, options.steering.random, onOutcome !== null) : null;
    // The packet cache's plain queries (no ECS) in the same flat tables: found by the hash readShape
    // computed, no key string made and hashed per query. Bounded like the Map it stands for.
    this.plainCache = this.answers !== null && options.packetCache !== false
      ? new AnswerCache(options.steering!.health, { shapes: CACHE_MAX_ENTRIES, replies: CACHE_MAX_ENTRIES, bytes: 16 << 20 }, Math.random, false) : null;
  }

  /** Load-balanced answers reused and kept (answers.ts), and replies kept whole (the packet cache). */
  answerStats(): { reused: number; kept: number; packetKept: number } {
    const a = this.answers?.stats ?? { reused: 0, kept: 0 };
    return { reused: a.reused, kept: a.kept, packetKept: this.packetKept };
  }

  /** Swap in newly loaded zones; queries already being answered keep the set they started with. */
  setZones(zones: ZoneSet, balancing: ReadonlyMap<string, Balancing>): void {
    this.zones = zones;
    this.balancing = balancing;
    this.cache = new Map();
    this.answers?.clear();
    this.plainCache?.clear();
  }

  /** The zone that answered, as the counters number it (kept with a reply for its reuse); -1: no counters. */
  private counterZone(): number {
    const c = this.options.counters;
    return c === undefined || this.answeredBy === null ? -1 : c.zone(this.answeredBy);
  }

  /** Set while a query is answered, for rate limiting: the zone that answered, and whether the client proved its address (a valid server cookie). */
  private answeredBy: string | null = null;
  /** A reused answer's zone as the counters number it (the string, and a Map lookup, only when rate limiting needs it); -1: by answeredBy. */
  private answeredZone = -1;
  private verified = false;

  respond(query: Buffer, peer: Peer): Buffer | null {
    this.answeredBy = null;
    this.answeredZone = -1;
    this.verified = false;
    const reply = this.answerQuery(query, peer);
    this.options.counters?.count(reply, this.answeredBy, peer.transport === "tcp", this.answeredZone); // metrics
    const rrl = this.options.rrl;
    if (rrl === undefined || reply === null || peer.transport !== "udp" || this.verified) return reply;
    return rrl.limit(reply, peer.address, answerKey(reply, this.answeredBy));
  }

  private answerQuery(query: Buffer, peer: Peer): Buffer | null {
    // A plain query (answers.ts): its shape is the key of the answer cache. With ECS, every
    // subnet's bytes differ, so the packet cache would only fill up: the answer cache keeps those
    // replies with the address cut off, static and load-balanced alike.
    const shape = this.answers !== null ? readShape(query, peer.transport === "tcp") : null;
    const withEcs = shape !== null && shape.ecsFamily !== 0;
    // A plain query's shape key is its bytes after the ID with the name in lower case: a hit gets
    // the question's letter case back, like the answer cache's (other queries: the exact bytes).
    // Plain queries without ECS: the packet cache's flat tables (plainCache); other queries: the Map.
    if (shape !== null && !withEcs && this.plainCache !== null) {
      const hit = this.plainCache.reuse(query, shape, peer.address);
      if (hit !== null) {
        this.answeredZone = hit.counterZone;
        if (hit.counterZone < 0 || this.options.rrl !== undefined) this.answeredBy = this.plainCache.zoneOf(hit);
        if (this.onOutcome === null) return hit.bytes;
        return this.emit(peer, this.plainCache.questionOf(hit), hit.rcode, hit.truncated, hit.bytes, undefined);
      }
    }
    const key = this.options.packetCache === false || withEcs || query.length < 12 || query.length > CACHE_MAX_QUERY ? null : shape !== null ? shapeKey(shape) : cacheKey(query, peer);
    if (key !== null && (shape === null || this.plainCache === null)) {
      const hit = this.cache.get(key);
      if (hit !== undefined) {
        const out = Buffer.allocUnsafe(hit.bytes.length);
        out.set(hit.bytes, 0);
        out[0] = query[0]!;
        out[1] = query[1]!;
        if (shape !== null) for (let i = 12; i < shape.nameEnd; i++) out[i] = query[i]!;
        this.answeredBy = hit.zone;
        return this.emit(peer, hit.question, hit.rcode, hit.truncated, out, undefined);
      }
    }
    // An answer already made for this query's shape and client's location class.
    if (shape !== null) {
      const hit = this.answers!.reuse(query, shape, peer.address);
      if (hit !== null) {
        this.answeredZone = hit.counterZone;
        if (hit.counterZone < 0 || this.options.rrl !== undefined) this.answeredBy = this.answers!.zoneOf(hit);
        if (hit.metric >= 0) this.options.counters?.reanswered(hit.metric); // metrics: answers by pool
        if (this.onOutcome === null) return hit.bytes;
        const e = hit.explanation;
        // The kept explanation is the first client's: this client's address, and its location.
        const explanation = e === undefined ? undefined : {
          ...e, clientAddress: e.locatedFrom === "ecs" ? ecsAddress(query, shape) : peer.address,
          location: e.location === NOWHERE ? NOWHERE : this.answers!.clientLocation(query, shape, peer.address) ?? e.location,
        };
        return this.emit(peer, this.answers!.questionOf(hit), hit.rcode, hit.truncated, hit.bytes, undefined, explanation);
      }
    }
    const header = decodeHeader(query);
    // Nothing readable to answer, or a response (QR=1) sent to us: answering could loop.
    if (header === null || header.qr) return null;

    const decoded = decodeMessage(query);
    if (!decoded.ok) return this.finish(peer, null, errorReply(header, Rcode.FORMERR), false, decoded.error.reason);
    const message = decoded.message;
    const question = message.questions.length === 1 ? message.questions[0]! : null;

    let edns: EdnsRequest | null = null;
    try {
      if (message.opcode !== Opcode.QUERY) {
        return this.reply(peer, message, question, null, bare(Rcode.NOTIMP), "opcode not implemented");
      }
      if (question === null || message.answers.length > 0 || message.authorities.length > 0) {
        return this.finish(peer, question, errorReply(header, Rcode.FORMERR), false, "a query needs exactly one question and no answer or authority records");
      }
      if (message.edns !== null) {
        if (message.edns.version > 0) {
          // RFC 6891 §6.1.3: BADVERS, with our highest version (0) in the OPT.
          return this.reply(peer, message, question, ednsMinimal(message.edns), bare(Rcode.BADVERS), "EDNS version");
        }
        edns = readEdns(message.edns);
        if (edns.clientCookie !== null && edns.serverCookie !== null) this.verified = this.options.cookies.check(edns.clientCookie, edns.serverCookie, peer.address) === "valid";
      }
      const result = this.answer(question);
      this.answeredBy = result.zone?.origin ?? null;
      if (result.balancer !== undefined) {
        // Steered answers depend on the client and on health: not in the packet cache, but kept
        // per location class when they may be (answers.ts); cookies make a reply the client's own.
        const { steered, balancing, locator } = this.steer(result, question, peer, edns);
        const metric = this.options.counters?.answered(balancing, steered.explanation) ?? -1; // metrics: answers by pool, id kept with the reply
        const bytes = this.reply(peer, message, question, edns, result, undefined, steered.explanation);
        if (shape !== null && steered.reuse !== null && (edns === null || edns.clientCookie === null)) {
          this.answers!.keep(query, shape, peer.address, bytes, {
            zone: this.answeredBy, question, counterZone: this.counterZone(), steered: { balancing, locator, reuse: steered.reuse, explanation: steered.explanation, metric },
          });
        }
        return bytes;
      }
      const bytes = this.reply(peer, message, question, edns, result, undefined);
      // Client-independent (no cookie): the same query bytes will always get these reply bytes
      // (with ECS: the same shape, with its own address echoed).
      if (key !== null && (edns === null || edns.clientCookie === null)) {
        if (shape !== null && this.plainCache !== null) {
          if (this.doorkeeper.admit(key)) { this.packetKept++; this.plainCache.keep(query, shape, peer.address, bytes, { zone: this.answeredBy, question, counterZone: this.counterZone(), steered: null }); }
        } else this.store(key, bytes, question, this.answeredBy);
      }
      else if (withEcs && this.options.packetCache !== false) this.answers!.keep(query, shape, peer.address, bytes, { zone: this.answeredBy, question, counterZone: this.counterZone(), steered: null });
      return bytes;
    } catch (err) {
      if (err instanceof FormatError) {
        return this.finish(peer, question, errorReply(header, Rcode.FORMERR, question), false, err.message);
      }
      this.onFault(err, peer);
      return this.finish(peer, question, errorReply(header, Rcode.SERVFAIL, question), false, "internal error");
    }
  }

  private answer(q: Question): LookupResult {
    if (q.class === RRClass.CH) return this.chaos(q);
    if (q.class !== RRClass.IN) return bare(Rcode.REFUSED);
    switch (q.type) {
      case RRType.OPT:
        throw new FormatError("OPT is not a query type");
      case RRType.AXFR:
      case RRType.IXFR:
        // No zone transfers: the zones are JSON files, distributed as files.
        return bare(Rcode.REFUSED);
      case RRType.MAILA:
      case RRType.MAILB:
      case RRType.TKEY:
      case RRType.TSIG:
        return bare(Rcode.NOTIMP);
    }
    return lookup(this.zones, q.name.toLowerCase(), q.type);
  }

  /** The zone's Balancing resolves the load balancer's name: steer, then append the records (or make it NODATA). */
  private steer(result: LookupResult, q: Question, peer: Peer, edns: EdnsRequest | null): { steered: Steered; balancing: Balancing; locator: Locator } {
    const { name, owner, zone, family } = result.balancer!;
    const steering = this.options.steering;
    const balancing = this.balancing.get(zone.origin);
    if (steering === undefined || balancing === undefined) throw new Error(`no steering for the load balancer ${name}`);
    // Zones without networks of their own share one Locator (per GeoIP provider): one object for
    // every zone's answers, not one per zone to miss in the cache.
    const geo = steering.geo;
    let locator = balancing.networks.length === 0 && this.plainLocator?.geo === geo ? this.plainLocator.locator : this.locators.get(balancing);
    if (locator === undefined) {
      locator = new Locator(balancing.networks, geo);
      if (balancing.networks.length === 0) this.plainLocator = { geo, locator };
      else this.locators.set(balancing, locator);
    }
    // Records at the name asked (letter case kept), or at the end of the CNAME chain.
    const steered = steer(balancing, name, {
      family, qname: q.name.toLowerCase(), owner: result.answers.length === 0 ? q.name : owner, resolver: peer.address, ecs: edns?.ecs ?? null,
    }, { health: steering.health.view(balancing), locator, random: this.answers?.replayFor(steering.random ?? Math.random) ?? steering.random ?? Math.random });
    if (steered.records.length > 0) result.answers = [...result.answers, ...steered.records];
    else result.authorities = [zone.negativeSoa];
    return { steered, balancing, locator };
  }

  private chaos(q: Question): LookupResult {
    const chaos = this.options.chaos;
    if (chaos === null) return bare(Rcode.REFUSED);
    const name = q.name.toLowerCase();
    const text = name === "id.server" || name === "hostname.bind" ? chaos.hostname
      : name === "version.bind" || name === "version.server" ? chaos.version
      : undefined;
    if (text === undefined || text === null) return bare(Rcode.REFUSED);
    const result = bare(Rcode.NOERROR);
    result.aa = true;
    if (q.type === RRType.TXT || q.type === RRType.ANY) {
      result.answers = [{ name: q.name, type: RRType.TXT, class: RRClass.CH, ttl: 0, data: [Buffer.from(text, "utf8")] }];
    }
    return result;
  }

  /** Assemble and encode the reply; on overflow the encoder truncates (TC=1, question and OPT kept). */
  private reply(
    peer: Peer,
    query: Message,
    question: Question | null,
    edns: EdnsRequest | null,
    result: LookupResult,
    reason: string | undefined,
    steered?: Explanation,
  ): Buffer {
    const reply: Message = {
      id: query.id,
      qr: true,
      opcode: query.opcode,
      aa: result.aa,
      tc: false,
      rd: query.rd,
      ra: false,
      z: false,
      ad: false,
      cd: query.cd,
      rcode: result.rcode,
      questions: question === null ? [] : [question],
      answers: result.answers,
      authorities: result.authorities,
      additionals: result.additionals,
      edns: edns === null ? null : this.replyEdns(edns, peer, steered?.scope ?? 0),
    };
    const maxSize = peer.transport === "tcp"
      ? MAX_MESSAGE_OCTETS
      : edns === null
        ? CLASSIC_UDP_OCTETS
        : Math.min(this.options.udpSize, Math.max(edns.udpSize, CLASSIC_UDP_OCTETS));
    const encoded = encodeMessage(reply, { maxSize, requiredAdditionals: result.requiredAdditionals });
    if (this.onOutcome !== null) this.onOutcome({ peer, question, rcode: result.rcode, truncated: encoded.truncated, size: encoded.bytes.length, reason, steering: steered });
    return encoded.bytes;
  }

  private replyEdns(req: EdnsRequest, peer: Peer, scope: number): Edns {
    const options: EdnsOption[] = [];
    if (req.nsid && this.options.nsid !== null) options.push({ code: EdnsOptionCode.NSID, data: this.options.nsid });
    // RFC 7871 §7.2.1: echo family, source prefix and address; the scope says how many bits the
    // answer depended on (0: it holds for every client).
    if (req.ecs !== null) {
      const e = req.ecs;
      options.push({ code: EdnsOptionCode.ECS, data: encodeClientSubnet({ ...e, scopePrefix: scope }) });
    }
    if (req.clientCookie !== null) {
      const server = this.options.cookies.serverCookieFor(req.clientCookie, req.serverCookie, peer.address);
      options.push({ code: EdnsOptionCode.COOKIE, data: encodeCookie({ client: req.clientCookie, server }) });
    }
    return { udpSize: this.options.udpSize, extendedRcode: 0, version: 0, dnssecOk: req.dnssecOk, z: 0, options };
  }

  /**
   * A reply is kept the second time its query is seen: a flood of names asked once each (random
   * subdomains, NXDOMAIN or wildcard) keeps nothing, and evicts nothing asked again.
   */
  private readonly doorkeeper = new Doorkeeper();
  private packetKept = 0;

  private store(key: string, bytes: Buffer, question: Question, zone: string | null): void {
    if (!this.doorkeeper.admit(key)) return;
    this.packetKept++;
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache = new Map();
    this.cache.set(key, { bytes, zone, question, rcode: bytes.readUInt16BE(2) & 0xf, truncated: (bytes[2]! & 0x02) !== 0 });
  }

  private finish(peer: Peer, question: Question | null, bytes: Buffer, truncated: boolean, reason: string): Buffer {
    return this.emit(peer, question, bytes.readUInt16BE(2) & 0xf, truncated, bytes, reason);
  }

  private emit(peer: Peer, question: Question | null, rcode: number, truncated: boolean, bytes: Buffer, reason: string | undefined, steering?: Explanation): Buffer {
    if (this.onOutcome !== null) this.onOutcome({ peer, question, rcode, truncated, size: bytes.length, reason, steering });
    return bytes;
  }
}

/**
 * What a reply answered, for rate limiting (BIND's classes): NXDOMAIN by zone (so random names
 * under one zone share a bucket), other errors by rcode, answers by the question's name and type
 * as the reply echoes them (letter case folded).
 */
function answerKey(reply: Buffer, zone: string | null): string {
  const rcode = reply.length >= 4 ? reply[3]! & 0x0f : -1;
  if (rcode === Rcode.NXDOMAIN) return `nx|${zone ?? ""}`;
  if (rcode !== Rcode.NOERROR || reply.length < 12 || reply.readUInt16BE(4) === 0) return `err|${rcode}`;
  let end = 12;
  while (end < reply.length && reply[end]! !== 0) end += reply[end]! + 1;
  const qtype = end + 3 <= reply.length ? reply.readUInt16BE(end + 1) : -1;
  return `ok|${reply.toString("latin1", 12, Math.min(reply.length, end + 1)).toLowerCase()}|${qtype}`;
}

/** The ECS address of a plain query, as text (for query logs of reused answers). */
function ecsAddress(query: Buffer, shape: Shape): string {
  const full = Buffer.alloc(shape.ecsFamily === 1 ? 4 : 16);
  query.copy(full, 0, shape.ecsAt, shape.ecsAt + shape.ecsLength);
  return shape.ecsFamily === 1 ? formatIPv4(full) : formatIPv6(full);
}

/** Transport + every query byte after the ID: UDP and TCP replies differ (size limits). */
function cacheKey(query: Buffer, peer: Peer): string {
  return (peer.transport === "udp" ? "u" : "t") + query.toString("latin1", 2);
}

/** Pull what we use out of the query's OPT; malformed known options are FORMERR (RFC 7871 §7.1.2, RFC 7873 §5.2.2). */
function readEdns(opt: Edns): EdnsRequest {
  let ecs: ClientSubnet | null = null;
  let clientCookie: Buffer | null = null;
  let serverCookie: Buffer | null = null;
  let nsid = false;
  let seenEcs = false;
  let seenCookie = false;
  for (const option of opt.options) {
    switch (option.code) {
      case EdnsOptionCode.ECS: {
        if (seenEcs) throw new FormatError("more than one client subnet option");
        seenEcs = true;
        const parsed = decodeClientSubnet(option.data);
        if (typeof parsed === "string") throw new FormatError(`client subnet: ${parsed}`);
        if (parsed.scopePrefix !== 0) throw new FormatError("client subnet: scope prefix must be 0 in queries");
        ecs = parsed;
        break;
      }
      case EdnsOptionCode.COOKIE: {
        if (seenCookie) throw new FormatError("more than one cookie option");
        seenCookie = true;
        const parsed = decodeCookie(option.data);
        if (typeof parsed === "string") throw new FormatError(`cookie: ${parsed}`);
        clientCookie = parsed.client;
        serverCookie = parsed.server;
        break;
      }
      case EdnsOptionCode.NSID:
        nsid = true;
        break;
      // Unknown options are ignored and not echoed (RFC 6891 §6.1.2).
    }
  }
  return { udpSize: opt.udpSize, dnssecOk: opt.dnssecOk, ecs, clientCookie, serverCookie, nsid };
}

/** The EDNS part of a BADVERS reply: version 0, no options. */
function ednsMinimal(opt: Edns): EdnsRequest {
  return { udpSize: opt.udpSize, dnssecOk: opt.dnssecOk, ecs: null, clientCookie: null, serverCookie: null, nsid: false };
}

function bare(rcode: number): LookupResult {
  return { rcode, aa: false, answers: NO_RECORDS, authorities: NO_RECORDS, additionals: NO_RECORDS, requiredAdditionals: 0, zone: null };
}

/**
 * A header-only reply for messages we could not, or would not, process further: ID, opcode, RD
 * and CD copied, and the question when we have one. Built by hand so it cannot fail.
 */
function errorReply(h: Header, rcode: number, question: Question | null = null): Buffer {
  if (question !== null) {
    try {
      const { bytes } = encodeMessage(
        { ...h, qr: true, aa: false, tc: false, ra: false, z: false, ad: false, rcode, questions: [question], answers: [], authorities: [], additionals: [], edns: null },
        { maxSize: MAX_MESSAGE_OCTETS },
      );
      return bytes;
    } catch {
      // fall through to the header-only form
    }
  }
  const out = Buffer.alloc(12);
  out.writeUInt16BE(h.id, 0);
  out[2] = 0x80 | ((h.opcode & 0xf) << 3) | (h.rd ? 1 : 0);
  out[3] = (h.cd ? 0x10 : 0) | (rcode & 0xf);
  return out;
}
