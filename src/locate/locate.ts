// Who is asking, and where: an address (the ECS subnet or the resolver) → the zone's networks
// (longest prefix) → GeoIP → country, subdivision, region, coordinates. Locating only; the
// steering policies decide with the result.
//
// Lookups are cached per /24 (IPv4) and /48 (IPv6): every address in one such block is treated
// alike, which is also the granularity announced as the ECS scope (see scopeFor).

import { parseIPv4, parseIPv6 } from "../wire/ip.js";
import { contains, masked, sortNetworks, type Network } from "./networks.js";
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
}

export const NOWHERE: Location = Object.freeze({ country: null, subdivision: null, region: null, latitude: null, longitude: null, via: Object.freeze({ kind: "none" as const }), bits: 0 });

/** Cache granularity: /24 for IPv4, /48 for IPv6. */
export const BLOCK_BITS = { 4: 24, 6: 48 } as const;
const CACHE_MAX = 100_000;

export class Locator {
  private readonly networks: readonly Network[];
  private readonly cache = new Map<string, Location>();

  constructor(networks: readonly Network[], private readonly geo: GeoProvider | null) {
    this.networks = sortNetworks([...networks]);
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
      const l = n.location;
      const country = l.country ?? null;
      const region = l.region !== undefined && isRegionCode(l.region) ? l.region : country !== null ? regionOf(country, l.subdivision ?? null) : null;
      return Object.freeze({
        country, subdivision: l.subdivision ?? null, region,
        latitude: l.latitude ?? null, longitude: l.longitude ?? null,
        via: Object.freeze({ kind: "network" as const, cidr: n.cidr }), bits: this.scopeWithin(family, bytes, known),
      });
    }

    // GeoIP per /24 or /48 block, cached.
    const bits = Math.min(known, BLOCK_BITS[family]);
    const block = masked(bytes, bits);
    const key = `${family}/${bits}/${block.toString("hex")}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const found = this.geoLookup(family, block, bits);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, found);
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

  private geoLookup(family: 4 | 6, block: Buffer, blockBits: number): Location {
    const bits = this.scopeWithin(family, block, blockBits);
    const g = this.geo?.lookup(family === 4 ? [...block].join(".") : block.toString("hex").match(/.{4}/g)!.join(":")) ?? null;
    if (g === null) return Object.freeze({ ...NOWHERE, bits });
    return Object.freeze({
      country: g.country, subdivision: g.subdivision, region: regionOf(g.country, g.subdivision),
      latitude: g.latitude, longitude: g.longitude, via: Object.freeze({ kind: "geoip" as const, provider: this.geo!.name }), bits,
    });
  }
}
