// Authoritative lookup: RFC 1034 §4.3.2 as refined by RFC 2308 (negative answers), 4592
// (wildcards), 6604 (rcode of CNAME chains), 8020 (empty non-terminals), 8482 (ANY) and 9471 (glue).
//
// In order: the zone (longest suffix; none → REFUSED) → at or below a cut? referral (DS at the cut:
// the parent's NODATA) → the name exists? its RRset, its CNAME (chased), or NODATA → a wildcard at
// the closest encloser? the same, synthesized at the qname → NXDOMAIN.
//
// The common path (a name with the type) allocates only the result: the records are the zone's own
// frozen arrays.

import { RRType, Rcode } from "../wire/constants.js";
import type { ResourceRecord } from "../wire/types.js";
import { parentOf } from "./name.js";
import type { LookupResult, Referral, RRset, Zone, ZoneNode } from "./types.js";
import type { ZoneSet } from "./zoneset.js";

/** A CNAME chain holds at most this many CNAMEs; a longer one stops there, NOERROR. */
export const MAX_CNAME_CHAIN = 8;

// Shared empty sections: frozen, so a caller that tries to fill one in place fails loudly.
const NONE = Object.freeze([]) as unknown as ResourceRecord[];

const NODATA = 0;
const NXDOMAIN = 1;
/** A load balancer's name (a wildcard's, "*.app...") asked for A or AAAA: steering answers. */
interface Balanced { readonly lb: string }
/** What one name gives in one zone, without following CNAMEs. An RRset is either the data asked for or a CNAME to chase; its name differs from the one asked for when it comes from a wildcard. */
type Found = RRset | Referral | Balanced | typeof NODATA | typeof NXDOMAIN;

export function lookup(zones: ZoneSet, qname: string, qtype: number): LookupResult {
  const zone = zoneFor(zones, qname, qtype);
  if (zone === null) return result(Rcode.REFUSED, false, NONE, NONE, NONE, 0, null);

  const found = locate(zone, qname, qtype);
  if (found === NODATA) return result(Rcode.NOERROR, true, NONE, [zone.negativeSoa], NONE, 0, zone);
  if (found === NXDOMAIN) return result(Rcode.NXDOMAIN, true, NONE, [zone.negativeSoa], NONE, 0, zone);
  if (isReferral(found)) {
    // Not authoritative below a cut: AA=0, NS in authority, glue in additional (RFC 1034 §4.3.2 3b).
    return result(Rcode.NOERROR, false, NONE, found.ns as ResourceRecord[], found.additionals as ResourceRecord[], found.required, zone);
  }
  if (isBalanced(found)) return balanced(zone, found.lb, qname, qtype, []);
  const answers = recordsAt(found as RRset, qname);
  if (isAlias(found, qtype)) return chase(zones, zone, qname, qtype, found, answers);
  return result(Rcode.NOERROR, true, answers as ResourceRecord[], NONE, zones.additionalsFor(found) as ResourceRecord[], 0, zone);
}

/**
 * The zone that answers `name`: the longest suffix, except that DS at the apex of a zone we also
 * delegate is the parent's to answer (RFC 4035 §3.1.4.1).
 */
function zoneFor(zones: ZoneSet, name: string, qtype: number): Zone | null {
  const zone = zones.find(name);
  if (qtype !== RRType.DS || zone === null || zone.origin !== name) return zone;
  return zones.delegatorOf(zone) ?? zone;
}

/** RFC 1034 §4.3.2 steps 3a–3c for one name in one zone (which holds the name). */
function locate(zone: Zone, name: string, qtype: number): Found {
  const node = zone.nodes.get(name);
  if (zone.delegatedBy.size > 0) {
    const cut = zone.delegatedBy.get(name);
    if (cut !== undefined) {
      // DS belongs to the parent side of the cut: we hold none, so NODATA (RFC 4035 §3.1.4.1).
      if (cut === name && qtype === RRType.DS) return NODATA;
      return zone.referrals.get(cut)!;
    }
  }
  // Cloudflare: a load balancer takes precedence over A, AAAA and CNAME records at its name (ANY
  // gets its A); every other type is the records' (NODATA when there are none).
  const balancers = zone.balancers;
  if (balancers.size > 0 && balancers.has(name)) return balancedAt(name, node, qtype);
  if (node !== undefined) return atNode(node, qtype);
  // RFC 8020: an empty non-terminal exists; it has no data of any type.
  if (zone.emptyNonTerminals.has(name)) return NODATA;

  // The name does not exist. RFC 4592 §3.3.1: the closest encloser is its longest existing
  // ancestor (empty non-terminals count); only "*.<closest encloser>" may answer for it, so a
  // wildcard never covers an existing name nor anything below one.
  let encloser = parentOf(name)!;
  while (encloser.length > zone.origin.length && !zone.nodes.has(encloser) && !zone.emptyNonTerminals.has(encloser) && !zone.balancers.has(encloser)) {
    encloser = parentOf(encloser)!;
  }
  if (zone.delegatedBy.size > 0) {
    // Below a cut: the delegated zone's business, whatever wildcards we hold (RFC 4592 §2.2.1).
    const cut = zone.delegatedBy.get(encloser);
    if (cut !== undefined) return zone.referrals.get(cut)!;
  }
  const source = `*.${encloser}`;
  // A wildcard load balancer synthesizes like wildcard records: only where no name exists.
  if (zone.balancers.size > 0 && zone.balancers.has(source)) return balancedAt(source, zone.nodes.get(source), qtype);
  const wildcard = zone.nodes.get(source);
  if (wildcard === undefined) return NXDOMAIN;
  return atNode(wildcard, qtype);
}

/**
 * At a load balancer's name (Cloudflare's precedence): A, AAAA and ANY are the load balancer's;
 * its A, AAAA and CNAME records are shadowed; any other type is the records' (NODATA without).
 */
function balancedAt(lb: string, node: ZoneNode | undefined, qtype: number): Found {
  if (qtype === RRType.A || qtype === RRType.AAAA || qtype === RRType.ANY) return { lb };
  if (qtype === RRType.CNAME) return NODATA;
  return node?.rrsets.get(qtype) ?? NODATA;
}

/** The RRset of the type at an existing node, else its CNAME, else NODATA. */
function atNode(node: ZoneNode, qtype: number): Found {
  // RFC 8482 §4.2: ANY gets one RRset, chosen at build time (see ZoneNode.minimal).
  if (qtype === RRType.ANY) return node.minimal;
  return node.rrsets.get(qtype) ?? node.rrsets.get(RRType.CNAME) ?? NODATA;
}

function isReferral(found: RRset | Referral | Balanced): found is Referral {
  return (found as Partial<Referral>).cut !== undefined;
}

function isBalanced(found: RRset | Referral | Balanced): found is Balanced {
  return (found as Partial<Balanced>).lb !== undefined;
}

/** Answers so far (a CNAME chain, maybe empty); steering appends the load balancer's records, owned by `owner`. */
function balanced(zone: Zone, lb: string, owner: string, qtype: number, answers: ResourceRecord[]): LookupResult {
  const r = result(Rcode.NOERROR, true, answers, NONE, NONE, 0, zone);
  r.balancer = { name: lb, owner, zone, family: qtype === RRType.AAAA ? "AAAA" : "A" };
  return r;
}

/** A CNAME found for another type: restart at its target (RFC 1034 §4.3.2 step 3a). */
function isAlias(rrset: RRset, qtype: number): boolean {
  return rrset.type === RRType.CNAME && qtype !== RRType.CNAME && qtype !== RRType.ANY;
}

/** The RRset's records at `owner`: its own array, or new records at the qname for a wildcard (RFC 4592 §3.3.1). */
function recordsAt(rrset: RRset, owner: string): readonly ResourceRecord[] {
  if (rrset.name === owner) return rrset.records;
  return rrset.records.map((r) => ({ name: owner, type: r.type, class: r.class, ttl: r.ttl, data: r.data }));
}

/**
 * Follow a CNAME chain through all our zones. The rcode is the last name's (RFC 6604 §3): NXDOMAIN
 * or NODATA with that zone's SOA. The chase stops, NOERROR with the CNAMEs so far, at a target
 * outside our zones or at or below a cut, at a name already in the chain (a loop), or after
 * MAX_CNAME_CHAIN CNAMEs. AA is the first zone's: set, since the first name was ours.
 */
function chase(zones: ZoneSet, zone: Zone, qname: string, qtype: number, cname: RRset, first: readonly ResourceRecord[]): LookupResult {
  const answers: ResourceRecord[] = first.slice();
  const visited: string[] = [qname];
  let cnames = 1;
  let target = cname.rdata[0] as string;
  while (!visited.includes(target)) {
    visited.push(target);
    const z = zoneFor(zones, target, qtype);
    if (z === null) break;
    const found = locate(z, target, qtype);
    if (found === NODATA) return result(Rcode.NOERROR, true, answers, [z.negativeSoa], NONE, 0, zone);
    if (found === NXDOMAIN) return result(Rcode.NXDOMAIN, true, answers, [z.negativeSoa], NONE, 0, zone);
    if (isReferral(found)) break;
    if (isBalanced(found)) return balanced(z, found.lb, target, qtype, answers);
    const alias = isAlias(found, qtype);
    if (alias && cnames === MAX_CNAME_CHAIN) break;
    const records = recordsAt(found, target);
    for (let i = 0; i < records.length; i++) answers.push(records[i]!);
    if (!alias) return result(Rcode.NOERROR, true, answers, NONE, zones.additionalsFor(found) as ResourceRecord[], 0, zone);
    cnames++;
    target = found.rdata[0] as string;
  }
  return result(Rcode.NOERROR, true, answers, NONE, NONE, 0, zone);
}

function result(
  rcode: number,
  aa: boolean,
  answers: ResourceRecord[],
  authorities: ResourceRecord[],
  additionals: ResourceRecord[],
  requiredAdditionals: number,
  zone: Zone | null,
): LookupResult {
  return { rcode, aa, answers, authorities, additionals, requiredAdditionals, zone };
}
