#!/usr/bin/env node
// Data for scripts/bench-config: a large configuration and the queries to ask it.
//
//   node scripts/bench-config.mjs zones DIR [ZONES] [ORIGINS]   ZONES zone files (default 1,000),
//        each with 100 records, 2 pools and 10 load balancers (geo over region_pools, ECS): 1,000
//        zones, 100,000 records, 2,000 pools, 10,000 load balancers. A pool has ORIGINS IPv4
//        origins (default 1, as the sample zone's pools) and one IPv6 origin; with more than one,
//        each answer draws a random origin by weight (the answer cache keeps one reply per origin)
//   node scripts/bench-config.mjs queries FILE NAME... dnsperf -B input: 100,000 A queries, each
//        for one of the NAMEs (a name may hold {z} and {l}: a random zone and load balancer) with
//        ECS from one of 10,000 pseudo-random public /24s
import fs from "node:fs";
import path from "node:path";

const [cmd, out, ...rest] = process.argv.slice(2);
let seed = 20261129;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const zoneName = (i) => `z${String(i).padStart(4, "0")}.bench-scale.example`;

if (cmd === "zones") {
  const zones = Number(rest[0] ?? 1000);
  const origins = Number(rest[1] ?? 1);
  fs.mkdirSync(out, { recursive: true });
  for (let z = 0; z < zones; z++) {
    const records = { "@": { NS: ["ns1"] }, ns1: { A: ["192.0.2.53"] } };
    for (let r = 0; r < 98; r++) records[`r${r}`] = { A: [`198.51.${(z + r) & 255}.${r + 1}`] };
    const pool = (p) => ({
      origins: [
        ...Array.from({ length: origins }, (_, o) => ({ name: `o${o}`, address: `203.0.${(z * 2 + p) & 255}.${o + 1}` })),
        { name: "v6", address: `2001:db8:${z.toString(16)}::${p + 1}` },
      ],
      latitude: p === 0 ? 50.1 : 38.9, longitude: p === 0 ? 8.7 : -77.0,
    });
    const lbs = {};
    for (let l = 0; l < 10; l++) {
      lbs[`lb${l}`] = {
        default_pools: ["us", "eu"], fallback_pool: "us", steering_policy: "geo", ttl: 30,
        region_pools: { WEU: ["eu", "us"], EEU: ["eu", "us"], WNAM: ["us", "eu"], ENAM: ["us", "eu"] },
        location_strategy: { prefer_ecs: "always" },
      };
    }
    const zone = {
      zone: zoneName(z), ttl: 300,
      soa: { mname: "ns1", rname: "hostmaster", serial: 1, refresh: 3600, retry: 600, expire: 1209600, minimum: 60 },
      records, pools: { eu: pool(0), us: pool(1) }, load_balancers: lbs,
    };
    fs.writeFileSync(path.join(out, `${zoneName(z)}.json`), JSON.stringify(zone));
  }
} else if (cmd === "queries") {
  const names = rest.length > 0 ? rest : ["lb{l}.{z}"];
  const subnets = [];
  while (subnets.length < 10_000) {
    const a = 1 + Math.floor(rand() * 222), b = Math.floor(rand() * 256), c = Math.floor(rand() * 256);
    if (a === 10 || a === 127 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) continue;
    subnets.push([a, b, c]);
  }
  const parts = [];
  for (let i = 0; i < 100_000; i++) {
    const name = names[Math.floor(rand() * names.length)]
      .replace("{z}", zoneName(Math.floor(rand() * 1000))).replace("{l}", String(Math.floor(rand() * 10)));
    const qname = Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
    const [a, b, c] = subnets[i % subnets.length];
    const msg = Buffer.concat([
      Buffer.from([i >> 8 & 255, i & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]), qname, Buffer.from([0, 1, 0, 1]),
      Buffer.from([0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 24, 0, a, b, c]),
    ]);
    parts.push(Buffer.from([msg.length >> 8, msg.length & 255]), msg);
  }
  fs.writeFileSync(out, Buffer.concat(parts));
} else {
  console.error("usage: bench-config.mjs zones DIR [ZONES] | queries FILE NAME...");
  process.exit(2);
}
