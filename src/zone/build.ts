// Builds the immutable in-memory zone from validated input, once per load: everything a query
// needs (nodes, empty non-terminals, cuts, referrals, wire records, the negative SOA) is computed
// here, so lookup only reads.

import { RRClass, RRType } from "../wire/constants.js";
import type { RData, ResourceRecord } from "../wire/types.js";
import { isAtOrBelow, parentOf } from "./name.js";
import type { Referral, RRset, Zone, ZoneInput, ZoneNode } from "./types.js";

const NO_RECORDS: readonly ResourceRecord[] = Object.freeze([]);

/**
 * The zone for validated input (names absolute, lower case, inside the origin; no CNAME beside
 * other data; one RRset per name and type). Nothing is re-checked here. The apex SOA comes from
 * input.soa and input.soaTtl; an SOA among input.rrsets is ignored. RRsets with no data are skipped
 * (a node always owns data).
 */
export function buildZone(input: ZoneInput): Zone {
  const origin = input.origin;
  const rrsetsAt = new Map<string, Map<number, RRset>>();
  const put = (rrset: RRset) => {
    let at = rrsetsAt.get(rrset.name);
    if (at === undefined) rrsetsAt.set(rrset.name, (at = new Map()));
    at.set(rrset.type, rrset);
  };
  const soa = makeRRset(origin, RRType.SOA, input.soaTtl, [input.soa]);
  put(soa);
  for (const s of input.rrsets) {
    if (s.type === RRType.SOA || s.rdata.length === 0) continue;
    put(makeRRset(s.name, s.type, s.ttl, s.rdata));
  }

  const nodes = new Map<string, ZoneNode>();
  for (const [name, rrsets] of rrsetsAt) nodes.set(name, Object.freeze({ name, rrsets, minimal: minimalRRset(rrsets) }));

  // RFC 8020: a name with descendants exists even when it owns nothing.
  const emptyNonTerminals = new Set<string>();
  const balancers: ReadonlySet<string> = new Set(input.balancers ?? []);
  // Load balancers' names exist too: their ancestors are empty non-terminals like any other's.
  for (const name of [...nodes.keys(), ...balancers]) {
    for (let p = parentOf(name); p !== null && p.length > origin.length; p = parentOf(p)) {
      // Whatever is above an existing name or a known ENT has been walked already (or will be).
      if (nodes.has(p) || balancers.has(p) || emptyNonTerminals.has(p)) break;
      emptyNonTerminals.add(p);
    }
  }

  const cuts = new Set<string>();
  for (const [name, node] of nodes) if (name !== origin && node.rrsets.has(RRType.NS)) cuts.add(name);

  // Every existing name at or below a cut → the highest cut above it (the one a referral names).
  const delegatedBy = new Map<string, string>();
  if (cuts.size > 0) {
    for (const name of [...nodes.keys(), ...emptyNonTerminals]) {
      let highest: string | null = null;
      for (let n: string | null = name; n !== null && n.length > origin.length; n = parentOf(n)) {
        if (cuts.has(n)) highest = n;
      }
      if (highest !== null) delegatedBy.set(name, highest);
    }
  }

  const referrals = new Map<string, Referral>();
  for (const cut of cuts) referrals.set(cut, makeReferral(nodes, origin, cut));

  const negativeTtl = Math.min(input.soaTtl, input.soa.minimum);
  const negativeSoa: ResourceRecord = Object.freeze({
    name: origin,
    type: RRType.SOA,
    class: RRClass.IN,
    ttl: negativeTtl,
    data: soa.rdata[0]!,
  });
  return Object.freeze({
    balancers,
    origin,
    source: input.source,
    serial: input.soa.serial,
    soa,
    negativeTtl,
    negativeSoa,
    nodes,
    emptyNonTerminals,
    cuts,
    delegatedBy,
    referrals,
  });
}

/** An RRset with its wire records made once: class IN, owner = name. */
export function makeRRset(name: string, type: number, ttl: number, rdata: readonly RData[]): RRset {
  const data = Object.freeze(rdata.map(freezeData));
  const records = Object.freeze(data.map((d): ResourceRecord => Object.freeze({ name, type, class: RRClass.IN, ttl, data: d })));
  return Object.freeze({ name, type, ttl, rdata: data, records });
}

/** A frozen copy of one RDATA (Buffers cannot be frozen; they are shared as given). */
function freezeData(d: RData): RData {
  if (typeof d === "string" || Buffer.isBuffer(d)) return d;
  if (Array.isArray(d)) return Object.freeze([...(d as readonly Buffer[])]);
  // Object.assign, not a spread: copies of one shape share a hidden class (spreads do not, in V8).
  return Object.freeze(Object.assign({}, d));
}

/** RFC 8482 §4.2: one RRset for ANY. The CNAME when there is one (a CNAME stands alone anyway), else the lowest type number, so the choice is stable across reloads. */
function minimalRRset(rrsets: ReadonlyMap<number, RRset>): RRset {
  const cname = rrsets.get(RRType.CNAME);
  if (cname !== undefined) return cname;
  let lowest: RRset | undefined;
  for (const r of rrsets.values()) if (lowest === undefined || r.type < lowest.type) lowest = r;
  return lowest!;
}

/** NS and glue for a cut. Targets at or below the cut are required glue (RFC 9471 §3); other targets in this zone, sibling glue included, are optional (§2.2). */
function makeReferral(nodes: ReadonlyMap<string, ZoneNode>, origin: string, cut: string): Referral {
  const ns = nodes.get(cut)!.rrsets.get(RRType.NS)!;
  const targets = [...new Set(ns.rdata as readonly string[])];
  const required: ResourceRecord[] = [];
  const optional: ResourceRecord[] = [];
  for (const t of targets) {
    const into = isAtOrBelow(t, cut) ? required : isAtOrBelow(t, origin) ? optional : null;
    if (into === null) continue;
    const at = nodes.get(t)?.rrsets;
    if (at === undefined) continue;
    into.push(...(at.get(RRType.A)?.records ?? NO_RECORDS), ...(at.get(RRType.AAAA)?.records ?? NO_RECORDS));
  }
  return Object.freeze({
    cut,
    ns: ns.records,
    additionals: Object.freeze([...required, ...optional]),
    required: required.length,
  });
}
