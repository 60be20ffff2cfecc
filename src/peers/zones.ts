// What an instance tells the others about its configuration: each zone's serial and a digest of its
// file as served, so that /api/v1/cluster can flag instances that serve different zone files.

import crypto from "node:crypto";
import type { DirLoad } from "../config/load.js";
import type { ZoneSummary } from "./etcd.js";

export function zoneSummaries(load: DirLoad): ZoneSummary[] {
  const out: ZoneSummary[] = [];
  for (const r of load.results.values()) {
    if (r.zone === null || !load.zones.includes(r.zone)) continue;
    out.push({ zone: r.zone.origin, serial: r.zone.serial, digest: crypto.createHash("sha256").update(r.servedText ?? r.text ?? "").digest("hex").slice(0, 16) });
  }
  return out.sort((a, b) => a.zone.localeCompare(b.zone));
}
