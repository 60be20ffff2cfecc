// Who is asking, and where: an address (the ECS subnet or the resolver) → the zone's networks
// (longest prefix) → GeoIP → country, subdivision, region, coordinates. Locating only; the
// steering policies decide with the result.
//
// Every address in a /24 (IPv4) or /48 (IPv6) block is located alike, which is also the
// granularity announced as the ECS scope. GeoIP lookups are cheap (a binary search over typed
// arrays, geotable.ts), so nothing is cached per client: Locations are interned per place instead.

import { parseIPv4, parseIPv6 } from "../wire/ip.js";
import { contains, masked, maskInto, sortNetworks, type Network } from "./networks.js";
import type { GeoProvider } from "./geoip.js";
import { isRegionCode, regionOf, type RegionCode } from "./regions.js";

export interface Location {
  readonly country: string | null;
  readonly subdivision: string | null;
  readonly region: RegionCode | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  /** What located it: an operator network (its CIDR), GeoIP, or nothing. */
  readonly via: { readonly kind: "network"; readonly cidr: string } | { readonly kind: "geoip"; readonly provider: string } | { readonly kind: "none" };
  /** How many leading bits of the address this location depends on (for the ECS scope). */
  readonly bits: number;
  /**
   * The coordinates and bits as one key, computed once when the Location is made: proximity's
   * location class (balancing/policies/proximity.ts), which the answer cache keys on.
   */
  readonly point: string;
  /**
   * The country and the region as small numbers (interned per process, 0: none), computed once
   * when the Location is made: geo's location class (balancing/policies/geo.ts) is arithmetic on
   * them, so classing a client builds no string.
   */
  readonly countryId: number;
  readonly regionId: number;
}

export const NOWHERE: Location = located({ country: null, subdivision: null, region: null, latitude: null, longitude: null, via: Object.freeze({ kind: "none" as const }), bits: 0 });

/** Blocks located alike: /24 for IPv4, /48 for IPv6 (also the ECS scope announced for them). */
export const BLOCK_BITS = { 4: 24, 6: 48 } as const;
const PLACES_KEPT = 100_000;
/**
 * 2^16 recently located IPv4 blocks (~0.8 MB), in sets of WAYS, most recent first. Direct-mapped,
 * 10,000 blocks asked in turn missed 13% of the time (blocks sharing a slot evicted each other on
 * every pass); two ways, 4%; four, 0.4%.
 */
const RECENT_BITS = 16;
const WAYS = 4;

export class Locator {
  private readonly networks: readonly Network[];
  private readonly byNetwork = new Map<string, Location>();
  private readonly scratch = Buffer.alloc(16);
  /** What every Locator on this GeoIP provider shares (one per process, not one per zone). */
  private readonly shared: SharedGeo | null;

  private readonly geoVia: Location["via"];

  constructor(networks: readonly Network[], private readonly geo: GeoProvider | null) {
    this.networks = sortNetworks([...networks]);
    this.geoVia = Object.freeze({ kind: "geoip" as const, provider: geo?.name ?? "" });
    this.shared = geo === null ? null : sharedFor(geo);
  }

  /** Locate an address given as text, known to `prefix` bits (tools and tests; queries use locateBytes). */
  locate(address: string, prefix?: number): Location {
    const v4 = parseIPv4(address);
    const raw = v4 ?? parseIPv6(address);
    if (raw === null) return NOWHERE;
    const all = v4 !== null ? 32 : 128;
    const known = Math.min(prefix ?? all, all);
    return this.locateBytes(v4 !== null ? 4 : 6, known === all ? raw : masked(raw, known), known);
  }

  /** Locate an address known to `known` leading bits (an ECS source prefix; all bits for a resolver), bits past it zero. */
  locateBytes(family: 4 | 6, bytes: Buffer, known: number): Location {
    if (known === 0) return NOWHERE;

    // Operator networks first, on every bit we know; the answer may then depend on all of them.
    for (const n of this.networks) {
      if (n.prefix > known || !contains(n, family, bytes)) continue;
      const bits = this.scopeWithin(family, bytes, known);
      const key = `${n.cidr}/${bits}`;
      let found = this.byNetwork.get(key);
      if (found === undefined) {
        const l = n.location;
        const country = l.country ?? null;
        const region = l.region !== undefined && isRegionCode(l.region) ? l.region : country !== null ? regionOf(country, l.subdivision ?? null) : null;
        found = located({
          country, subdivision: l.subdivision ?? null, region, latitude: l.latitude ?? null, longitude: l.longitude ?? null,
          via: Object.freeze({ kind: "network" as const, cidr: n.cidr }), bits,
        });
        this.byNetwork.set(key, found);
      }
      return found;
    }

    // GeoIP on the /24 or /48 block: every address in it is located alike. IPv4 blocks seen
    // lately are remembered in a small set-associative table (a set per hash of the block and the
    // bits known): a resolver's clients come from the same subnets again and again.
    const blockBits = Math.min(known, BLOCK_BITS[family]);
    // Only without operator networks: theirs can lengthen the scope of a block, per zone.
    const shared = this.shared;
    let slot = -1, tag = 0;
    if (family === 4 && shared !== null && this.networks.length === 0) {
      tag = ((((bytes[0]! << 16) | (bytes[1]! << 8) | bytes[2]!) << 5) | (blockBits - 1)) >>> 0;
      slot = (Math.imul(tag, 0x9e3779b1) >>> (32 - RECENT_BITS)) & -WAYS;
      const tags = shared.recentTags;
      for (let w = 0; w < WAYS; w++) {
        if (tags[slot + w] !== tag + 1) continue;
        const l = shared.recent[slot + w]!;
        if (w > 0) promote(shared, slot, w, tag + 1, l);
        return l;
      }
    }
    const block = this.scratch.subarray(0, family === 4 ? 4 : 16);
    maskInto(bytes, blockBits, block);
    const bits = this.networks.length === 0 ? blockBits : this.scopeWithin(family, block, blockBits);
    const place = this.geo === null ? -1 : this.geo.place(family, block);
    const key = (place + 1) * 256 + bits;
    let found = shared?.byPlace.get(key);
    if (found === undefined) {
      const g = place < 0 ? null : this.geo!.describe(place);
      found = g === null ? located({ ...NOWHERE, bits }) : located({
        country: g.country, subdivision: g.subdivision, region: regionOf(g.country, g.subdivision),
        latitude: g.latitude, longitude: g.longitude, via: this.geoVia, bits,
      });
      if (shared !== null) {
        if (shared.byPlace.size >= PLACES_KEPT) shared.byPlace = new Map();
        shared.byPlace.set(key, found);
      }
    }
    if (slot >= 0) {
      // In front of its set; the set's oldest way goes.
      promote(shared!, slot, WAYS - 1, tag + 1, found);
    }
    return found;
  }

  /**
   * How many bits an answer for the subnet (bytes/bits) depends on: `bits`, or more when an
   * operator network lies inside the subnet (a client there would be answered from it), so that a
   * resolver does not give this answer to that network's clients (RFC 7871 §7.2.1: a scope longer
   * than the source prefix asks for a longer one).
   */
  private scopeWithin(family: 4 | 6, bytes: Buffer, bits: number): number {
    let scope = bits;
    for (const n of this.networks) if (n.prefix > scope && n.family === family && contains({ ...n, prefix: bits }, family, bytes)) scope = n.prefix;
    return scope;
  }
}

/**
 * Per GeoIP provider: one Location per (place, bits), shared by every client there (bounded: a
 * million subnets reach ~160,000 places, and a Location is a few hundred bytes; past the bound the
 * map starts over: the answer cache keys on a Location's class strings, not its identity), and
 * the IPv4 blocks located lately, in a direct-mapped table (tag + 1, 0 empty; and the Location).
 */
interface SharedGeo {
  byPlace: Map<number, Location>;
  readonly recentTags: Uint32Array;
  readonly recent: (Location | undefined)[];
}
const sharedByProvider = new WeakMap<GeoProvider, SharedGeo>();
function sharedFor(geo: GeoProvider): SharedGeo {
  let s = sharedByProvider.get(geo);
  if (s === undefined) sharedByProvider.set(geo, (s = { byPlace: new Map(), recentTags: new Uint32Array(1 << RECENT_BITS), recent: new Array(1 << RECENT_BITS) }));
  return s;
}

/** Moves way w of the set at `slot` to its front, as (tag, location); the ways before it move back one. */
function promote(shared: SharedGeo, slot: number, w: number, tag: number, location: Location): void {
  const tags = shared.recentTags, recent = shared.recent;
  for (let i = slot + w; i > slot; i--) { tags[i] = tags[i - 1]!; recent[i] = recent[i - 1]; }
  tags[slot] = tag;
  recent[slot] = location;
}

/** Country and region codes interned to small numbers (a few hundred at most: the codes in use). */
const ids = new Map<string, number>();
function idOf(code: string | null): number {
  return code === null ? 0 : codeId(code);
}

/** A country or region code's number, as in Location.countryId and regionId (load balancers' geo maps intern theirs at load). */
export function codeId(code: string): number {
  let id = ids.get(code);
  if (id === undefined) ids.set(code, (id = ids.size + 1));
  return id;
}

/**
 * A frozen Location with its class keys. Written out field by field: V8 gives every object made by
 * spreading its own hidden class, and 100,000 classes of Location make every read of one slow.
 */
function located(l: Omit<Location, "point" | "countryId" | "regionId">): Location {
  return Object.freeze({
    country: l.country, subdivision: l.subdivision, region: l.region, latitude: l.latitude, longitude: l.longitude, via: l.via, bits: l.bits,
    // One flat string: a template literal leaves a tree of concatenations and number strings,
    // ~100 bytes more per Location, and up to 100,000 are kept (PLACES_KEPT).
    point: [l.latitude, ",", l.longitude, "|", l.bits].join(""), countryId: idOf(l.country), regionId: idOf(l.region),
  });
}

/**
 * A place that is only a region (and a representative point in it), for showing what each region
 * gets (the status page): no country, so country_pools do not apply; `via` says it is synthetic.
 */
export function regionPlace(region: RegionCode, latitude: number, longitude: number): Location {
  return located({ country: null, subdivision: null, region, latitude, longitude, via: Object.freeze({ kind: "network" as const, cidr: `region ${region}` }), bits: 0 });
}

/** A Locator that places every client at one Location (the status page's region table). */
export class FixedLocator extends Locator {
  constructor(private readonly place: Location) {
    super([], null);
  }
  override locate(): Location {
    return this.place;
  }
  override locateBytes(): Location {
    return this.place;
  }
}
