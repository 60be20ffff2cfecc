// GET /api/v1/cluster (and `gslb cluster status`): the instances that vote through etcd, as this
// instance sees them: region, pop, last seen, degraded or gone, and each zone's serial and digest
// as loaded there, with configuration skew flagged (a zone served differently, or not at all, by a
// live instance).

import type { EtcdPeers } from "../peers/etcd.js";

export interface ClusterStatus {
  readonly etcd: null | { readonly state: string; readonly degraded: boolean; readonly since: string; readonly last_error: string | null; readonly endpoints: readonly string[]; readonly prefix: string; readonly lease_ttl_s: number };
  readonly instances: readonly {
    readonly instance: string; readonly self: boolean; readonly region: string | null; readonly pop: string | null; readonly version: string;
    readonly started: string; readonly last_seen: string; readonly last_seen_s_ago: number; readonly degraded: boolean; readonly gone: boolean;
    readonly zones: readonly { readonly zone: string; readonly serial: number; readonly digest: string }[];
  }[];
  readonly zones: readonly { readonly zone: string; readonly skew: boolean; readonly instances: Readonly<Record<string, { readonly serial: number; readonly digest: string } | null>> }[];
  readonly skew: boolean;
}

export function clusterStatus(etcd: EtcdPeers | null): ClusterStatus {
  if (etcd === null) return { etcd: null, instances: [], zones: [], skew: false };
  const s = etcd.status;
  const peers = etcd.peers();
  const degradedSelf = etcd.degraded;
  const instances = peers.map((p) => ({
    instance: p.record.instance, self: p.self, region: p.record.region, pop: p.record.pop, version: p.record.version,
    // last_seen: when the record last arrived here, on this instance's clock (the writer's clock,
    // however wrong, is no part of it); last_seen_s_ago: its age, for a reader on another machine,
    // whose clock may not be this one's. `started` is the instance's own word (its clock).
    started: p.record.started, last_seen: new Date(p.lastSeen).toISOString(), last_seen_s_ago: Math.round(p.ageMs / 1000),
    // Another instance that cannot reach etcd lets its record expire: seen from here, it is gone.
    degraded: p.self ? degradedSelf : p.gone, gone: p.gone,
    zones: p.record.zones,
  }));
  const live = instances.filter((i) => !i.gone);
  const names = [...new Set(live.flatMap((i) => i.zones.map((z) => z.zone)))].sort();
  const zones = names.map((zone) => {
    const at: Record<string, { serial: number; digest: string } | null> = {};
    for (const i of live) {
      const z = i.zones.find((x) => x.zone === zone);
      at[i.instance] = z === undefined ? null : { serial: z.serial, digest: z.digest };
    }
    const digests = new Set(Object.values(at).map((z) => z?.digest ?? null));
    return { zone, skew: digests.size > 1, instances: at };
  });
  return {
    etcd: { state: s.state, degraded: degradedSelf, since: new Date(s.since).toISOString(), last_error: s.lastError, endpoints: s.endpoints, prefix: s.prefix, lease_ttl_s: s.leaseTtlS },
    instances, zones, skew: zones.some((z) => z.skew),
  };
}
