// Authoritative lookup, RFC 1034 §4.3.2 as refined by RFC 2308 (negative answers), 4592
// (wildcards), 6604 (rcode of CNAME chains), 8020 (empty non-terminals), 8482 (ANY), 9471 (glue).
//
// In order: find the zone (longest suffix) → a cut above the name? referral → the name exists?
// its data, its CNAME (chased), or NODATA → else a wildcard at the closest encloser → else NXDOMAIN.

import { RRType, Rcode } from "../wire/constants.js";
import type { MxData, ResourceRecord, SrvData } from "../wire/types.js";
import { parentOf } from "./build.js";
import type { LookupResult, RRset, Zone } from "./types.js";
import type { ZoneSet } from "./zoneset.js";

/** CNAME chains longer than this stop (the answer so far is returned). */
const MAX_CHAIN = 8;

const NONE: ResourceRecord[] = [];

/** What one name in one zone gives. */
type Step =
  | { kind: "data"; records: readonly ResourceRecord[]; rrset: RRset }
  | { kind: "cname"; records: readonly ResourceRecord[]; target: string }
  | { kind: "nodata" }
  | { kind: "nxdomain" }
  | { kind: "referral"; cut: string };

export function lookup(zones: ZoneSet, qname: string, qtype: number): LookupResult {
  const zone = zones.find(qname);
  if (zone === null) {
    return { rcode: Rcode.REFUSED, aa: false, answers: NONE, authorities: NONE, additionals: NONE, requiredAdditionals: 0, zone: null };
  }
  const first = step(zone, qname, qtype);
  switch (first.kind) {
    case "data": {
      const additionals = zones.additionalsFor(first.rrset);
      return { rcode: Rcode.NOERROR, aa: true, answers: first.records as ResourceRecord[], authorities: NONE, additionals, requiredAdditionals: 0, zone };
    }
    case "nodata":
      return negative(zone, Rcode.NOERROR, NONE);
    case "nxdomain":
      return negative(zone, Rcode.NXDOMAIN, NONE);
    case "referral":
      return referral(zones, zone, first.cut);
    case "cname":
      return chase(zones, zone, first, qtype);
  }
}

/** The answer for one name in one zone, without following CNAMEs. */
function step(zone: Zone, qname: string, qtype: number): Step {
  if (zone.cuts.size > 0) {
    const cut = cutAbove(zone, qname);
    // DS lives on the parent side of a cut (RFC 4035 §3.1.4.1): answered here, authoritatively.
    if (cut !== null && !(cut === qname && qtype === RRType.DS)) return { kind: "referral", cut };
  }
  const node = zone.nodes.get(qname);
  if (node !== undefined) return fromNode(node.rrsets, qtype, null);
  if (zone.emptyNonTerminals.has(qname)) return { kind: "nodata" };

  // RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor; only "*.<encloser>" applies.
  let encloser = parentOf(qname)!;
  while (encloser !== zone.origin && !zone.nodes.has(encloser) && !zone.emptyNonTerminals.has(encloser)) encloser = parentOf(encloser)!;
  const wildcard = zone.nodes.get(`*.${encloser}`);
  if (wildcard === undefined) return { kind: "nxdomain" };
  return fromNode(wildcard.rrsets, qtype, qname);
}

/** Data, CNAME or NODATA at a node; `owner` set means synthesize records at that name (wildcards). */
function fromNode(rrsets: ReadonlyMap<number, RRset>, qtype: number, owner: string | null): Step {
  const cname = rrsets.get(RRType.CNAME);
  let rrset: RRset | undefined;
  if (qtype === RRType.ANY) {
    // RFC 8482 minimal answer: one RRset, the CNAME if there is one, else the lowest type number.
    rrset = cname ?? rrsets.get(Math.min(...rrsets.keys()));
  } else {
    rrset = rrsets.get(qtype);
    if (rrset === undefined && cname !== undefined) {
      return { kind: "cname", records: synthesize(cname, owner), target: (cname.rdata[0] as string).toLowerCase() };
    }
  }
  if (rrset === undefined) return { kind: "nodata" };
  return { kind: "data", records: synthesize(rrset, owner), rrset };
}

function synthesize(rrset: RRset, owner: string | null): readonly ResourceRecord[] {
  return owner === null ? rrset.records : rrset.records.map((r) => ({ ...r, name: owner }));
}

/** The highest delegation point at or above qname (walking up from qname to just below the apex). */
function cutAbove(zone: Zone, qname: string): string | null {
  let found: string | null = null;
  for (let name: string | null = qname; name !== null && name !== zone.origin; name = parentOf(name)) {
    if (zone.cuts.has(name)) found = name;
  }
  return found;
}

function negative(zone: Zone, rcode: number, answers: ResourceRecord[]): LookupResult {
  return { rcode, aa: true, answers, authorities: [zone.negativeSoa], additionals: NONE, requiredAdditionals: 0, zone };
}

function referral(zones: ZoneSet, zone: Zone, cut: string): LookupResult {
  const ns = zone.nodes.get(cut)!.rrsets.get(RRType.NS)!;
  const glue = zones.glueFor(zone, ns);
  return { rcode: Rcode.NOERROR, aa: false, answers: NONE, authorities: ns.records as ResourceRecord[], additionals: glue.records, requiredAdditionals: glue.required, zone };
}

/** Follow a CNAME chain through all our zones; the rcode is that of the last name (RFC 6604). */
function chase(zones: ZoneSet, zone: Zone, first: Step & { kind: "cname" }, qtype: number): LookupResult {
  const answers: ResourceRecord[] = [...first.records];
  const seen = new Set<string>();
  let target = first.target;
  for (let hops = 1; hops < MAX_CHAIN && !seen.has(target); hops++) {
    seen.add(target);
    const next = zones.find(target);
    if (next === null) break;
    const s = step(next, target, qtype);
    switch (s.kind) {
      case "cname":
        answers.push(...s.records);
        target = s.target;
        continue;
      case "data":
        answers.push(...s.records);
        return { rcode: Rcode.NOERROR, aa: true, answers, authorities: NONE, additionals: zones.additionalsFor(s.rrset), requiredAdditionals: 0, zone };
      case "nodata":
        return { ...negative(next, Rcode.NOERROR, answers), zone };
      case "nxdomain":
        return { ...negative(next, Rcode.NXDOMAIN, answers), zone };
      case "referral":
        break;
    }
    break;
  }
  return { rcode: Rcode.NOERROR, aa: true, answers, authorities: NONE, additionals: NONE, requiredAdditionals: 0, zone };
}

// ------------------------------------------------------------------ additional section, cached

/** A and AAAA records of in-zone targets of NS, MX and SRV data (RFC 1035 §3.3, RFC 2782). */
export function computeAdditionals(zones: ZoneSet, rrset: RRset): ResourceRecord[] {
  const targets: string[] = [];
  for (const d of rrset.rdata) {
    if (rrset.type === RRType.NS) targets.push(d as string);
    else if (rrset.type === RRType.MX) targets.push((d as MxData).exchange);
    else if (rrset.type === RRType.SRV) targets.push((d as SrvData).target);
  }
  return addressesOf(zones, targets.map((t) => t.toLowerCase()));
}

/** Referral glue: addresses of NS targets at or below the cut (required), then other in-zone ones. */
export function computeGlue(zones: ZoneSet, zone: Zone, ns: RRset): { records: ResourceRecord[]; required: number } {
  const targets = ns.rdata.map((t) => (t as string).toLowerCase());
  const below = (t: string) => t === ns.name || t.endsWith("." + ns.name);
  const required: ResourceRecord[] = [];
  for (const t of targets.filter(below)) required.push(...addressRecords(zone, t));
  const optional = addressesOf(zones, targets.filter((t) => !below(t)));
  return { records: [...required, ...optional], required: required.length };
}

function addressesOf(zones: ZoneSet, targets: string[]): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t)) continue;
    seen.add(t);
    const z = zones.find(t);
    // Names under a delegation are not ours to vouch for.
    if (z === null || (z.cuts.size > 0 && cutAbove(z, t) !== null)) continue;
    out.push(...addressRecords(z, t));
  }
  return out;
}

function addressRecords(zone: Zone, name: string): ResourceRecord[] {
  const node = zone.nodes.get(name);
  if (node === undefined) return [];
  return [...(node.rrsets.get(RRType.A)?.records ?? []), ...(node.rrsets.get(RRType.AAAA)?.records ?? [])];
}
