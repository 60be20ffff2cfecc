// The zone set scripts/fuzz serves: the shipped sample zone plus CNAME chains, wildcards, large
// RRsets, a delegation, a second zone, and load balancers of every kind that reads the query
// (geo with ECS and networks, proximity over a wildcard, hash origin steering, random with rules,
// failover, a host-name origin). No monitors run (--no-monitors): every origin counts as up, so
// static answers are fixed and the checker can hold them to what they were at the start.

import fs from "node:fs";
import path from "node:path";

export function writeFuzzZones(dir, repoRoot) {
  const z = JSON.parse(fs.readFileSync(path.join(repoRoot, "zones/lb.example.com.json"), "utf8"));
  // The integration tests' rich records (chains, a deep name, large RRsets, a wildcard), and more.
  const rich = JSON.parse(fs.readFileSync(path.join(repoRoot, "test/fixtures/rich-records.json"), "utf8")).records;
  Object.assign(z.records, rich, {
    "to-other": { CNAME: "www.other.test." },
    "to-lb": { CNAME: "www" },
    "to-wild-lb": { CNAME: "x.app" },
    srvhost: { SRV: [{ priority: 1, weight: 1, port: 443, target: "host" }, { priority: 2, weight: 1, port: 443, target: "mail" }] },
    ptr: { PTR: "host" },
  });
  z.pools = {
    ...z.pools,
    hashed: { origins: Array.from({ length: 6 }, (_, i) => ({ name: `h${i}`, address: `192.0.2.${100 + i}` })).concat([{ name: "h6", address: "2001:db8::100" }]),
      origin_steering: { policy: "hash" }, latitude: 50.1, longitude: 8.7 },
    named: { origins: [{ name: "cn", address: "target.other.test" }] },
    asia: { origins: [{ name: "ap1", address: "203.0.113.50" }, { name: "ap2", address: "2001:db8::50" }], latitude: 35.7, longitude: 139.7 },
  };
  z.load_balancers = {
    ...z.load_balancers,
    "*.app": { default_pools: ["hashed", "asia", "eu-west"], fallback_pool: "backup", steering_policy: "proximity",
      location_strategy: { prefer_ecs: "always" }, ttl: 20, max_answers: 3 },
    fo: { default_pools: ["us-east", "eu-west"], fallback_pool: "backup", steering_policy: "off", max_answers: 2 },
    rnd: { default_pools: ["us-east", "eu-west", "asia"], steering_policy: "random", random_steering: { default_weight: 1, pool_weights: { asia: 0.2 } },
      rules: [
        { name: "office", condition: "ip.src in {10.99.0.0/16}", overrides: { default_pools: ["backup"] }, terminates: true },
        { name: "v6 in Europe", condition: "dns.qry.type == 28 and cf.load_balancer.region in {\"WEU\" \"EEU\"}", overrides: { default_pools: ["eu-west"], steering_policy: "off" }, priority: 1 },
        { name: "short", condition: "", overrides: { ttl: 5 } },
      ] },
    cname: { default_pools: ["named"], ttl: 60 },
  };
  z.networks = { ...z.networks, "10.99.0.0/16": { country: "US" }, "2001:db8:aa::/48": { country: "JP" } };
  fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(z, null, 1));
  fs.writeFileSync(path.join(dir, "other.test.json"), JSON.stringify({
    zone: "other.test", ttl: 120,
    soa: { mname: "ns", rname: "hostmaster.other.test.", serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 30 },
    records: { "@": { NS: ["ns"] }, ns: { A: "192.0.2.200" }, www: { A: "192.0.2.201" }, target: { A: "192.0.2.202" } },
  }, null, 1));
  fs.writeFileSync(path.join(dir, "sub.lb.example.com.json"), JSON.stringify({
    zone: "sub.lb.example.com", ttl: 60,
    soa: { mname: "ns", rname: "hostmaster.example.com.", serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 10 },
    records: { "@": { NS: ["ns"] }, ns: { A: "192.0.2.99" }, www: { A: "192.0.2.98" } },
  }, null, 1));
}

/** Names the generator asks for (relative to nothing: absolute, no trailing dot). */
export const KNOWN_NAMES = [
  "lb.example.com", "ns1.lb.example.com", "ns2.lb.example.com", "mail.lb.example.com", "docs.lb.example.com",
  "x.dev.lb.example.com", "a.b.dev.lb.example.com", "dev.lb.example.com", "_sip._tcp.lb.example.com", "_tcp.lb.example.com",
  "sub.lb.example.com", "ns.sub.lb.example.com", "www.sub.lb.example.com", "deep.below.sub.lb.example.com",
  "www.lb.example.com", "alias.lb.example.com", "alias2.lb.example.com", "dangling.lb.example.com", "to-other.lb.example.com",
  "outside.lb.example.com", "to-lb.lb.example.com", "to-wild-lb.lb.example.com", "a.b.deep.lb.example.com", "b.deep.lb.example.com",
  "deep.lb.example.com", "big.lb.example.com", "huge.lb.example.com", "longtxt.lb.example.com", "host.lb.example.com",
  "q.wild.lb.example.com", "a.b.wild.lb.example.com", "srvhost.lb.example.com", "ptr.lb.example.com",
  "x.app.lb.example.com", "y.z.app.lb.example.com", "app.lb.example.com", "fo.lb.example.com", "rnd.lb.example.com",
  "cname.lb.example.com", "nope.lb.example.com", "other.test", "www.other.test", "target.other.test", "nope.other.test",
  "example.com", "com", "", "id.server", "version.bind", "hostname.bind", "version.server",
];

/** Names whose answers do not depend on the client or on chance: the checker's oracle. */
export const STATIC_NAMES = KNOWN_NAMES.filter((n) => !/(^|\.)(www|x\.app|y\.z\.app|fo|rnd|cname|to-lb|to-wild-lb)\.lb\.example\.com$/.test(n) && !["id.server", "version.bind", "hostname.bind", "version.server", "www.lb.example.com"].includes(n));
export const ORACLE_TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 257, 255, 99];
