// All zones we serve; a query goes to the zone with the longest matching suffix. Immutable: a
// reload builds a new ZoneSet, so what it precomputes (additional-section records, which may
// cross zones) never goes stale.

import { RRType } from "../wire/constants.js";
import type { RData, ResourceRecord } from "../wire/types.js";
import { RECORD_TYPE_BY_CODE } from "../records/types.js";
import { parentOf } from "./name.js";
import type { RRset, Zone } from "./types.js";

const NO_RECORDS: readonly ResourceRecord[] = Object.freeze([]);

export class ZoneSet {
  readonly zones: readonly Zone[];
  private readonly byOrigin: ReadonlyMap<string, Zone>;
  /** Additional records of every NS, MX and SRV RRset in every zone. */
  private readonly extra: ReadonlyMap<RRset, readonly ResourceRecord[]>;
  /** Zone → the zone of ours that delegates its apex (holds the cut), for DS. */
  private readonly delegators: ReadonlyMap<Zone, Zone>;

  /** One zone per origin; should two share one, the first is served. */
  constructor(zones: readonly Zone[]) {
    this.zones = Object.freeze([...zones]);
    const byOrigin = new Map<string, Zone>();
    for (const z of zones) if (!byOrigin.has(z.origin)) byOrigin.set(z.origin, z);
    this.byOrigin = byOrigin;

    const delegators = new Map<Zone, Zone>();
    for (const z of byOrigin.values()) {
      const above = parentOf(z.origin);
      const parent = above === null ? null : this.find(above);
      if (parent !== null && parent.cuts.has(z.origin)) delegators.set(z, parent);
    }
    this.delegators = delegators;

    const extra = new Map<RRset, readonly ResourceRecord[]>();
    for (const z of byOrigin.values()) {
      for (const node of z.nodes.values()) {
        for (const rrset of node.rrsets.values()) {
          const target = RECORD_TYPE_BY_CODE.get(rrset.type)?.target;
          if (target === undefined) continue;
          const records = this.addressesOf(rrset, target);
          if (records.length > 0) extra.set(rrset, records);
        }
      }
    }
    this.extra = extra;
    Object.freeze(this);
  }

  /** The zone whose apex is the longest suffix of qname on label boundaries; one Map lookup per label. */
  find(qname: string): Zone | null {
    for (let name: string | null = qname; name !== null; name = parentOf(name)) {
      const zone = this.byOrigin.get(name);
      if (zone !== undefined) return zone;
    }
    return null;
  }

  /**
   * Additional-section records for a positive answer with this RRset: the A then AAAA records of
   * its NS, MX or SRV targets that are in our zones and not below a cut, without duplicates. The
   * same frozen array every time; empty for other types.
   */
  additionalsFor(rrset: RRset): readonly ResourceRecord[] {
    return this.extra.get(rrset) ?? NO_RECORDS;
  }

  /** The zone of ours that holds the cut for this zone's apex (the parent answers DS: RFC 4035 §3.1.4.1), or null. */
  delegatorOf(zone: Zone): Zone | null {
    return this.delegators.get(zone) ?? null;
  }

  private addressesOf(rrset: RRset, targetOf: (d: RData) => string): readonly ResourceRecord[] {
    const out: ResourceRecord[] = [];
    const seen = new Set<string>();
    for (const d of rrset.rdata) {
      const target = targetOf(d);
      if (seen.has(target)) continue;
      seen.add(target);
      const zone = this.find(target);
      // Data at or below a cut is glue: not ours to vouch for outside a referral. A load
      // balancer's name has steered addresses, not the records it shadows: the resolver asks.
      if (zone === null || zone.delegatedBy.has(target) || zone.balancers.has(target)) continue;
      const at = zone.nodes.get(target)?.rrsets;
      if (at === undefined) continue;
      out.push(...(at.get(RRType.A)?.records ?? NO_RECORDS), ...(at.get(RRType.AAAA)?.records ?? NO_RECORDS));
    }
    return Object.freeze(out);
  }
}
