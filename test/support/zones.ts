// Zones for the integration tests, beside the shipped sample: every rule of issue 2 §4 has data here.

import fs from "node:fs";
import { sampleZone } from "./server.js";

/** Chains, a deep name, large RRsets, a wildcard (test/fixtures/rich-records.json, shared with scripts/fuzz). */
function richRecords(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(new URL("../fixtures/rich-records.json", import.meta.url), "utf8")).records;
}

/** The sample zone plus names that exercise chains, empty non-terminals and large RRsets. */
export function richZone(): Record<string, any> {
  const z = sampleZone();
  Object.assign(z.records, richRecords(), {
    "to-net": { CNAME: "www.other.test." },
    srvhost: { SRV: { priority: 1, weight: 1, port: 443, target: "host" } },
  });
  return z;
}

/** A second zone, the target of a cross-zone CNAME. */
export function otherZone(): Record<string, any> {
  return {
    zone: "other.test",
    ttl: 120,
    soa: { mname: "ns", rname: "hostmaster.other.test.", serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 30 },
    records: {
      "@": { NS: ["ns"] },
      ns: { A: "192.0.2.200" },
      www: { A: "192.0.2.201" },
    },
  };
}

/** A zone that is also delegated from the sample zone's "sub": the child must win (longest suffix). */
export function childZone(): Record<string, any> {
  return {
    zone: "sub.lb.example.com",
    ttl: 60,
    soa: { mname: "ns", rname: "hostmaster.example.com.", serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 10 },
    records: { "@": { NS: ["ns"] }, ns: { A: "192.0.2.99" }, www: { A: "192.0.2.98" } },
  };
}

/** The sample zone with a test's own monitors, pools and load balancers in place of its load balancing. */
export function balancedZone(balancing: { monitors?: object; pools: object; load_balancers: object; networks?: object }): Record<string, any> {
  return Object.assign(sampleZone(), { monitors: {}, networks: {} }, balancing);
}
