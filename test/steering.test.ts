// Issue 3 end to end: load balancers answered by a real server on loopback, clients given by ECS,
// health set by the test (issue 4's monitors will write the same table).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dnsPacket from "dns-packet";
import { ednsOptions, opt, udpQuery, type DecodedPacket } from "./support/client.js";
import { dig, hasDig } from "./support/dig.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";
import { writeMmdb } from "./support/mmdb.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** The example, plus load balancers for the other policies. */
function lbZone(): Record<string, any> {
  const z = sampleZone();
  Object.assign(z, {
    monitors: { web: { type: "http", path: "/healthz", port: 8080, expected_codes: "2xx", interval: 15, timeout: 5, retries: 1, consecutive_up: 2, consecutive_down: 2 } },
    pools: {
      "us-east": { origins: [{ name: "use1", address: "192.0.2.10" }, { name: "use2", address: "2001:db8::10", weight: 0.5 }],
                   minimum_origins: 1, monitor: "web", latitude: 38.9, longitude: -77.0, origin_steering: { policy: "random" } },
      "eu-west": { origins: [{ name: "euw1", address: "198.51.100.10" }], monitor: "web", latitude: 53.3, longitude: -6.3 },
      backup: { origins: [{ name: "static", address: "203.0.113.10" }] },
      weighted: { origins: [{ name: "heavy", address: "192.0.2.101", weight: 1 }, { name: "light", address: "192.0.2.102", weight: 0.5 }, { name: "never", address: "192.0.2.103", weight: 0 }, { name: "off", address: "192.0.2.104", enabled: false }] },
      sticky: { origins: Array.from({ length: 4 }, (_, i) => ({ name: `s${i}`, address: `192.0.2.${110 + i}` })), origin_steering: { policy: "hash" }, monitor: "web" },
      named: { origins: [{ name: "cdn", address: "edge.cdn.example.net" }] },
    },
    load_balancers: {
      www: { default_pools: ["us-east", "eu-west"], fallback_pool: "backup", steering_policy: "geo",
             region_pools: { WEU: ["eu-west", "us-east"], EEU: ["eu-west"] }, country_pools: { IE: ["eu-west"] },
             location_strategy: { prefer_ecs: "always" }, ttl: 30 },
      failover: { default_pools: ["us-east", "eu-west"], fallback_pool: "backup", steering_policy: "off", location_strategy: { prefer_ecs: "always" } },
      near: { default_pools: ["us-east", "eu-west"], steering_policy: "proximity" },
      rnd: { default_pools: ["weighted"], steering_policy: "random", max_answers: 1 },
      multi: { default_pools: ["weighted"], max_answers: 8 },
      sticky: { default_pools: ["sticky"], location_strategy: { prefer_ecs: "always" } },
      alias: { default_pools: ["named"] },
      ruled: { default_pools: ["us-east"], fallback_pool: "backup", location_strategy: { prefer_ecs: "always" }, rules: [
        { name: "short ttl", condition: {}, overrides: { ttl: 7 }, terminates: false },
        { name: "office", condition: { subnet: ["10.99.0.0/16"] }, overrides: { default_pools: ["backup"] } },
        { name: "ireland", condition: { country: ["IE"] }, overrides: { default_pools: ["eu-west"], ttl: 60 } },
        { name: "old", disabled: true, condition: {}, overrides: { default_pools: ["eu-west"] } },
      ] },
    },
    networks: { "10.20.0.0/16": { country: "DE" }, "10.30.0.0/16": { region: "WNAM", latitude: 37.4, longitude: -122.1 } },
  });
  z.records.www2 = { CNAME: "www" };
  return z;
}

let t: TestServer;
beforeAll(async () => { t = await startTestServer({ "lb.example.com.json": lbZone() }, { monitors: false }); });
afterAll(() => t.close());

const ECS = 8;
const ecs4 = (address: string, prefix: number) => {
  const bytes = address.split(".").map(Number).slice(0, Math.ceil(prefix / 8));
  return { code: ECS, data: Buffer.from([0, 1, prefix, 0, ...bytes]) };
};
const ask = (name: string, client: string | null, type = "A", prefix = 24) =>
  udpQuery(t.port, name, type, { additionals: [opt(client === null ? [] : [ecs4(client, prefix)])] });
const addrs = (p: DecodedPacket) => (p.answers ?? []).map((r: any) => `${r.type} ${r.data}`);
const scopeOf = (p: DecodedPacket) => ednsOptions(p)!.find((o) => o.code === ECS)!.data[3];
const setPool = (pool: string, origins: string[], state: "up" | "down") => { for (const o of origins) t.server.health.set(`lb.example.com/${pool}`, o, state); };

describe("geo steering", () => {
  it("country_pools, region_pools, default_pools by the client's location (networks, then GeoIP)", async () => {
    // 10.20/16 is DE (network) → WEU → eu-west; scope = the 24 bits we were given.
    const de = await ask("www.lb.example.com", "10.20.1.0");
    expect(addrs(de)).toEqual(["A 198.51.100.10"]);
    expect((de.answers![0] as any).ttl).toBe(30);
    expect(scopeOf(de)).toBe(24);
    // GeoIP: 87.32.10.0 is IE → country_pools[IE]; 81.2.69.0 is GB → WEU; 133.1.1.0 is JP → default.
    expect(addrs(await ask("www.lb.example.com", "87.32.10.0"))).toEqual(["A 198.51.100.10"]);
    expect(addrs(await ask("www.lb.example.com", "81.2.69.0"))).toEqual(["A 198.51.100.10"]);
    const jp = await ask("www.lb.example.com", "133.1.1.0");
    expect(addrs(jp)).toEqual(["A 192.0.2.10"]);
    // default_pools because of where the client is: still scoped, or a resolver would give it to everyone.
    expect(scopeOf(jp)).toBe(24);
    // 10.30/16 is WNAM (network), no WNAM entry → default_pools.
    expect(addrs(await ask("www.lb.example.com", "10.30.0.0", "A", 16))).toEqual(["A 192.0.2.10"]);
  });

  it("fails over in list order, then to the fallback pool, and never answers from a down pool", async () => {
    try {
      setPool("eu-west", ["euw1"], "down");
      // WEU's list goes on to us-east; IE's list has only eu-west: all of it down → the fallback
      // pool (Cloudflare: mapped pools all down → fallback_pool, not the next mapping).
      expect(addrs(await ask("www.lb.example.com", "10.20.1.0"))).toEqual(["A 192.0.2.10"]);
      expect(addrs(await ask("www.lb.example.com", "87.32.10.0"))).toEqual(["A 203.0.113.10"]);
      setPool("us-east", ["use1", "use2"], "down");
      expect(addrs(await ask("www.lb.example.com", "10.20.1.0"))).toEqual(["A 203.0.113.10"]);
      expect(addrs(await ask("failover.lb.example.com", null))).toEqual(["A 203.0.113.10"]);
      // The same query again, after recovery: steered answers are never cached.
      setPool("us-east", ["use1", "use2"], "up");
      expect(addrs(await ask("failover.lb.example.com", null))).toEqual(["A 192.0.2.10"]);
    } finally {
      setPool("eu-west", ["euw1"], "up");
      setPool("us-east", ["use1", "use2"], "up");
    }
  });

  it("answers AAAA from the pool's IPv6 origins, the next pool's when it has none, NODATA when none can; NODATA for other types", async () => {
    expect(addrs(await ask("www.lb.example.com", "133.1.1.0", "AAAA"))).toEqual(["AAAA 2001:db8::10"]);
    // WEU: eu-west has no IPv6 origin, so its list goes on to us-east.
    expect(addrs(await ask("www.lb.example.com", "10.20.1.0", "AAAA"))).toEqual(["AAAA 2001:db8::10"]);
    // IE: eu-west only, then the fallback (backup, IPv4 only): nothing can answer AAAA.
    const none = await ask("www.lb.example.com", "87.32.10.0", "AAAA");
    expect((none as any).rcode).toBe("NOERROR");
    expect(none.answers).toEqual([]);
    expect(none.authorities!.map((r: any) => r.type)).toEqual(["SOA"]);
    const txt = await ask("www.lb.example.com", null, "TXT");
    expect(txt.answers).toEqual([]);
    expect(txt.authorities!.map((r: any) => r.type)).toEqual(["SOA"]);
  });

  it("follows a CNAME to a load balancer, and answers a host-name origin with a CNAME", async () => {
    const p = await ask("www2.lb.example.com", "10.20.1.0");
    expect(addrs(p)).toEqual(["CNAME www.lb.example.com", "A 198.51.100.10"]);
    expect(addrs(await ask("alias.lb.example.com", null))).toEqual(["CNAME edge.cdn.example.net"]);
  });
});

describe("--geoip-mmdb", () => {
  it("locates clients with a MaxMind-format database instead of geoip-lite", async () => {
    // 198.51.100.0/24 is in no GeoIP data; this database puts it in Ireland.
    const file = path.join(os.tmpdir(), `gslb-test-${process.pid}.mmdb`);
    fs.writeFileSync(file, writeMmdb([198, 51, 100, 0], 24, { country: { iso_code: "IE" }, location: { latitude: 53.3, longitude: -6.2 } }));
    const mm = await startTestServer({ "lb.example.com.json": lbZone() }, { geoipMmdb: file, monitors: false });
    try {
      const ie = await udpQuery(mm.port, "www.lb.example.com", "A", { additionals: [opt([ecs4("198.51.100.0", 24)])] });
      expect(addrs(ie)).toEqual(["A 198.51.100.10"]);
      // Not in this database: not located → default_pools.
      expect(addrs(await udpQuery(mm.port, "www.lb.example.com", "A", { additionals: [opt([ecs4("87.32.10.0", 24)])] }))).toEqual(["A 192.0.2.10"]);
    } finally {
      await mm.close();
      fs.rmSync(file, { force: true });
    }
  });
});

describe("cold start", () => {
  it("counts unchecked origins as down when configured: the fallback pool answers", async () => {
    const cold = await startTestServer({ "lb.example.com.json": lbZone() }, { unknownHealth: "down", monitors: false });
    try {
      const p = await udpQuery(cold.port, "www.lb.example.com", "A", { additionals: [opt([ecs4("10.20.1.0", 24)])] });
      expect(addrs(p)).toEqual(["A 203.0.113.10"]);
      cold.server.health.set("lb.example.com/eu-west", "euw1", "up");
      expect(addrs(await udpQuery(cold.port, "www.lb.example.com", "A", { additionals: [opt([ecs4("10.20.1.0", 24)])] }))).toEqual(["A 198.51.100.10"]);
    } finally {
      await cold.close();
    }
  });
});

describe("rules", () => {
  it("apply in order: accumulated overrides, first terminating match wins", async () => {
    const office = await ask("ruled.lb.example.com", "10.99.3.0");
    expect(addrs(office)).toEqual(["A 203.0.113.10"]);
    expect((office.answers![0] as any).ttl).toBe(7);
    expect(scopeOf(office)).toBe(24);
    const ie = await ask("ruled.lb.example.com", "87.32.10.0");
    expect(addrs(ie)).toEqual(["A 198.51.100.10"]);
    expect((ie.answers![0] as any).ttl).toBe(60);
    const other = await ask("ruled.lb.example.com", "133.1.1.0");
    expect(addrs(other)).toEqual(["A 192.0.2.10"]);
    expect((other.answers![0] as any).ttl).toBe(7);
  });
});

describe("ECS scope (RFC 7871)", () => {
  it("is 0 when the answer does not depend on the client, and echoes family, prefix and address", async () => {
    const off = await ask("failover.lb.example.com", "10.20.1.0");
    expect(ednsOptions(off)).toEqual([{ code: ECS, data: Buffer.from([0, 1, 24, 0, 10, 20, 1]) }]);
    // prefer_ecs defaults to "proximity": a geo-less policy ignores ECS → scope 0.
    expect(scopeOf(await ask("rnd.lb.example.com", "10.20.1.0"))).toBe(0);
  });

  it("uses the resolver's address for a source prefix of 0, with scope 0", async () => {
    const p = await ask("www.lb.example.com", "0.0.0.0", "A", 0);
    expect(scopeOf(p)).toBe(0);
    // 127.0.0.1 has no location: default_pools.
    expect(addrs(p)).toEqual(["A 192.0.2.10"]);
  });
});

describe("proximity", () => {
  it("picks the nearest healthy pool (prefer_ecs defaults to proximity)", async () => {
    // GB (Newmarket) is nearer Dublin; the US address (Kansas) is nearer Washington.
    const gb = await ask("near.lb.example.com", "81.2.69.0");
    expect(addrs(gb)).toEqual(["A 198.51.100.10"]);
    expect(scopeOf(gb)).toBe(24);
    expect(addrs(await ask("near.lb.example.com", "8.8.8.0"))).toEqual(["A 192.0.2.10"]);
  });
});

describe("origin steering", () => {
  it("keeps random weights over thousands of queries, never choosing weight 0 or disabled origins", async () => {
    const counts = new Map<string, number>();
    const n = 3000;
    for (let i = 0; i < n; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => ask("rnd.lb.example.com", null)));
      for (const p of batch) for (const a of addrs(p)) counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["A 192.0.2.101", "A 192.0.2.102"]);
    // 1 : 0.5 → 2/3 and 1/3; 3000 draws: standard deviation ≈ 0.009.
    expect(counts.get("A 192.0.2.101")! / n).toBeGreaterThan(0.62);
    expect(counts.get("A 192.0.2.101")! / n).toBeLessThan(0.71);
  });

  it("returns up to max_answers addresses", async () => {
    expect(addrs(await ask("multi.lb.example.com", null)).sort()).toEqual(["A 192.0.2.101", "A 192.0.2.102"]);
  });

  it("hash: each client subnet keeps its origin while healthy; only a down origin's clients move", async () => {
    const subnets = Array.from({ length: 40 }, (_, i) => `10.${40 + i}.7.0`);
    const first = await Promise.all(subnets.map((s) => ask("sticky.lb.example.com", s).then(addrs)));
    const again = await Promise.all(subnets.map((s) => ask("sticky.lb.example.com", s).then(addrs)));
    expect(again).toEqual(first);
    expect(new Set(first.flat()).size).toBeGreaterThan(2);
    expect(scopeOf(await ask("sticky.lb.example.com", "10.40.7.0"))).toBe(24);
    try {
      setPool("sticky", ["s1"], "down");
      const after = await Promise.all(subnets.map((s) => ask("sticky.lb.example.com", s).then(addrs)));
      first.forEach((a, i) => {
        if (a[0] === "A 192.0.2.111") expect(after[i]).not.toEqual(a);
        else expect(after[i]).toEqual(a);
      });
    } finally {
      setPool("sticky", ["s1"], "up");
    }
  });
});

describe.skipIf(!hasDig)("dig +subnet (the README's worked example)", () => {
  it("answers per client subnet with the scope", async () => {
    const de = await dig(t.port, ["+subnet=10.20.1.0/24", "www.lb.example.com"]);
    expect(de.answer).toEqual(["www.lb.example.com. 30 IN A 198.51.100.10"]);
    expect(de.opt).toMatch(/CLIENT-SUBNET: 10\.20\.1\.0\/24\/24/);
    const jp = await dig(t.port, ["+subnet=133.1.1.0/24", "www.lb.example.com"]);
    expect(jp.answer).toEqual(["www.lb.example.com. 30 IN A 192.0.2.10"]);
  });
});

describe("zone file checks for load balancing", () => {
  it("reports unknown pool and monitor names with their paths", async () => {
    const { parseZoneText } = await import("../src/config/load.js");
    const z = lbZone();
    z.load_balancers.www.default_pools = ["us-east", "eu-wst"];
    z.pools.backup.monitor = "webb";
    z.load_balancers.www.region_pools.XX = ["eu-west"];
    const errors = parseZoneText("z.json", JSON.stringify(z)).errors.map((e) => `${e.path}: ${e.message}`);
    expect(errors).toContain('load_balancers.www.default_pools[1]: unknown pool "eu-wst" (did you mean "eu-west"?)');
    expect(errors).toContain('pools.backup.monitor: unknown monitor "webb" (did you mean "web"?)');
    expect(errors.join("\n")).toContain("load_balancers.www.region_pools.XX: unknown region");
  });
});

void dnsPacket;
