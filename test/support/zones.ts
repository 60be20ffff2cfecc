// Zones for the integration tests, beside the shipped sample: every rule of issue 2 §4 has data here.

import { sampleZone } from "./server.js";

/** The sample zone plus names that exercise chains, empty non-terminals and large RRsets. */
export function richZone(): Record<string, any> {
  const z = sampleZone();
  Object.assign(z.records, {
    alias: { CNAME: "mail" },
    "alias2": { CNAME: "alias" },
    dangling: { CNAME: "nothing-here" },
    "to-net": { CNAME: "www.other.test." },
    outside: { CNAME: "elsewhere.example.org." },
    "a.b.deep": { A: "192.0.2.7" },
    // 40 A records: 12 + 40*16 bytes ≈ 700 bytes, over 512 and under 1232.
    big: { A: Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`) },
    // 100 A records: ≈1.6 kB, over 1232: always TC over UDP, whole over TCP.
    huge: { A: Array.from({ length: 100 }, (_, i) => `203.0.113.${i + 1}`) },
    longtxt: { TXT: ["x".repeat(600)] },
    host: { A: "192.0.2.33", AAAA: "2001:db8::33" },
    "*.wild": { CNAME: "host" },
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
export function balancedZone(balancing: { monitors?: object; pools: object; load_balancers: object }): Record<string, any> {
  return Object.assign(sampleZone(), { monitors: {}, networks: {} }, balancing);
}
