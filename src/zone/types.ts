// The in-memory zone: built once from a validated zone file, immutable, read by lookup on every query.
// Names here are absolute, lower case, without the trailing dot ("www.lb.example.com").

import type { RData, ResourceRecord, SoaData } from "../wire/types.js";

export interface RRset {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: readonly RData[];
  /** The same data as wire records (class IN, owner = name), made once so answers allocate nothing. */
  readonly records: readonly ResourceRecord[];
}

export interface ZoneNode {
  readonly name: string;
  readonly rrsets: ReadonlyMap<number, RRset>;
  /**
   * The one RRset a query for ANY gets (RFC 8482 §4.2 minimal answer): the CNAME if the name has
   * one, else the RRset of the lowest type number. Chosen once at build time.
   */
  readonly minimal: RRset;
}

/** A referral for one delegation point, built once (RFC 1034 §4.3.2 step 3b, RFC 9471 glue). */
export interface Referral {
  /** The cut, e.g. "sub.lb.example.com". */
  readonly cut: string;
  /** The cut's NS records, for the authority section. */
  readonly ns: readonly ResourceRecord[];
  /**
   * Addresses (A then AAAA, per target) of the NS targets held in this zone: first the glue of
   * targets at or below the cut (in-domain glue, which must fit: RFC 9471 §3), then the others.
   */
  readonly additionals: readonly ResourceRecord[];
  /** How many of the first additionals are in-domain glue. */
  readonly required: number;
}

export interface Zone {
  /** The apex, e.g. "lb.example.com". */
  readonly origin: string;
  /** Where the zone came from (a file path), for logs and errors. */
  readonly source: string;
  readonly serial: number;
  readonly soa: RRset;
  /** TTL of the SOA in negative answers: min(SOA TTL, SOA minimum) (RFC 2308 §3). */
  readonly negativeTtl: number;
  /** SOA record with negativeTtl, ready for the authority section of NXDOMAIN/NODATA. */
  readonly negativeSoa: ResourceRecord;
  /** Every name that owns data, apex included. */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  /** Names that own nothing but have descendants that do (RFC 8020: they exist, answer NODATA). */
  readonly emptyNonTerminals: ReadonlySet<string>;
  /** Delegation points: names below the apex that own NS. */
  readonly cuts: ReadonlySet<string>;
  /**
   * Every existing name (owning data, or an empty non-terminal) at or below a cut, mapped to the
   * highest cut above it: the data there is glue or occluded, and a query there gets a referral.
   */
  readonly delegatedBy: ReadonlyMap<string, string>;
  /** The referral for each cut. */
  readonly referrals: ReadonlyMap<string, Referral>;
  /**
   * Names answered by a load balancer (A and AAAA; "*.app.lb.example.com" for a wildcard one).
   * The zone only knows the names: the zone's Balancing (balancing/) resolves them, as gdnsd's
   * zones name a resolver plugin that answers for them.
   */
  readonly balancers: ReadonlySet<string>;
}

/** What the config loader hands to buildZone: already validated, names absolute and lower case. */
export interface ZoneInput {
  readonly origin: string;
  readonly source: string;
  readonly soa: SoaData;
  readonly soaTtl: number;
  readonly rrsets: readonly { name: string; type: number; ttl: number; rdata: readonly RData[] }[];
  /** Names of the zone's enabled load balancers (none when absent). */
  readonly balancers?: ReadonlySet<string>;
}

/**
 * One authoritative answer, ready for the encoder. The arrays may be shared, frozen arrays from the
 * zone (answers allocate nothing): read them, never modify them in place.
 */
export interface LookupResult {
  rcode: number;
  aa: boolean;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  /**
   * How many of the first additionals must fit for the reply to be complete (referral glue,
   * RFC 9471); if they don't fit, the reply is truncated. The rest are dropped when they don't fit.
   */
  requiredAdditionals: number;
  /** The zone that answered, or null (REFUSED: not ours). */
  zone: Zone | null;
  /**
   * Set when the answer is a load balancer's (A or AAAA at its name, possibly at the end of a
   * CNAME chain): the query layer steers and appends the chosen records to `answers`. `name` is
   * the load balancer's (a wildcard's "*.app..."), `owner` the name its records are for.
   */
  balancer?: { readonly name: string; readonly owner: string; readonly zone: Zone; readonly family: "A" | "AAAA" } | undefined;
}
