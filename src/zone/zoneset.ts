// All zones we serve; a query goes to the zone with the longest matching suffix. Immutable: a
// reload builds a new ZoneSet, so what it caches (additional-section records) never goes stale.

import type { ResourceRecord } from "../wire/types.js";
import { parentOf } from "./build.js";
import { computeAdditionals, computeGlue } from "./lookup.js";
import type { RRset, Zone } from "./types.js";

export class ZoneSet {
  private readonly byOrigin: ReadonlyMap<string, Zone>;
  private readonly additionals = new Map<RRset, ResourceRecord[]>();
  private readonly glue = new Map<RRset, { records: ResourceRecord[]; required: number }>();

  constructor(readonly zones: readonly Zone[]) {
    this.byOrigin = new Map(zones.map((z) => [z.origin, z]));
  }

  /** The zone whose apex is the longest suffix of qname (lower case, on label boundaries). */
  find(qname: string): Zone | null {
    for (let name: string | null = qname; name !== null; name = parentOf(name)) {
      const zone = this.byOrigin.get(name);
      if (zone !== undefined) return zone;
    }
    return null;
  }

  /** Addresses of in-zone NS/MX/SRV targets of this RRset, computed once per RRset. */
  additionalsFor(rrset: RRset): ResourceRecord[] {
    let a = this.additionals.get(rrset);
    if (a === undefined) this.additionals.set(rrset, (a = computeAdditionals(this, rrset)));
    return a;
  }

  /** Referral glue for a cut's NS RRset, computed once. */
  glueFor(zone: Zone, ns: RRset): { records: ResourceRecord[]; required: number } {
    let g = this.glue.get(ns);
    if (g === undefined) this.glue.set(ns, (g = computeGlue(this, zone, ns)));
    return g;
  }
}
