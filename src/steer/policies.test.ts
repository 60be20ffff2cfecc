// Each policy as a pure function, with health set by the test.

import { describe, expect, it } from "vitest";
import { HealthTable } from "../health/table.js";
import { NOWHERE, type Location } from "../locate/locate.js";
import type { RegionCode } from "../locate/regions.js";
import { chooseOrigins } from "./origins.js";
import { choosePool, greatCircleKm } from "./policies.js";
import { healthSlot } from "../health/slots.js";
import type { Client, LoadBalancer, Origin, Pool } from "./types.js";

const origin = (name: string, address: string, weight = 1, enabled = true): Origin =>
  ({ name, address, kind: address.includes(":") ? "AAAA" : /^[\d.]+$/.test(address) ? "A" : "CNAME", enabled, weight, healthAddress: null, healthKey: "", healthSlot: -1 });
/** A pool (id = name) whose origins carry its health keys, as the config loader makes them. */
const pool = (name: string, origins: Origin[], extra: Partial<Pool> = {}): Pool =>
  ({ id: name, healthSlot: healthSlot(name), name, origins: origins.map((o) => ({ ...o, healthKey: `${name}/${o.name}`, healthSlot: healthSlot(`${name}/${o.name}`) })), minimumOrigins: 1, monitor: "web", latitude: null, longitude: null, originPolicy: "random", enabled: true, ...extra });
const pools = new Map<string, Pool>([
  ["us-east", pool("us-east", [origin("use1", "192.0.2.10"), origin("use2", "2001:db8::10", 0.5)], { latitude: 38.9, longitude: -77.0 })],
  ["eu-west", pool("eu-west", [origin("euw1", "198.51.100.10")], { latitude: 53.3, longitude: -6.3 })],
  ["ap-ne", pool("ap-ne", [origin("apn1", "203.0.113.20")], { latitude: 35.7, longitude: 139.7 })],
  ["backup", pool("backup", [origin("static", "203.0.113.10")], { monitor: null })],
]);
const lb = (extra: Partial<LoadBalancer> = {}): LoadBalancer => ({
  name: "www.lb.example.com", defaultPools: ["us-east", "eu-west", "ap-ne"], fallbackPool: "backup",
  regionPools: new Map<RegionCode, string[]>([["WEU", ["eu-west", "us-east"]], ["EEU", ["eu-west"]]]),
  countryPools: new Map([["IE", ["eu-west"]]]), policy: "geo",
  randomSteering: { defaultWeight: 1, poolWeights: new Map() }, preferEcs: "always", ttl: 30, maxAnswers: 1, rules: [], ...extra,
});
const at = (l: Partial<Location>): Client => ({ location: { ...NOWHERE, ...l }, subnetKey: "198.51.100.0/24" });
const seq = (...values: number[]) => { let i = 0; return () => values[i++ % values.length]!; };

describe("pool policies", () => {
  it("off: first healthy pool of default_pools, then the fallback", () => {
    const h = new HealthTable();
    expect(choosePool(lb({ policy: "off" }), pools, h, at({}), Math.random).pool!.name).toBe("us-east");
    h.set("us-east", "use1", "down"); h.set("us-east", "use2", "down");
    expect(choosePool(lb({ policy: "off" }), pools, h, at({}), Math.random).pool!.name).toBe("eu-west");
    h.set("eu-west", "euw1", "down"); h.set("ap-ne", "apn1", "down");
    const d = choosePool(lb({ policy: "off" }), pools, h, at({}), Math.random);
    expect(d).toMatchObject({ fallback: true, reason: "no healthy pool: fallback_pool (health ignored)" });
    expect(d.pool!.name).toBe("backup");
    expect(choosePool(lb({ policy: "off", fallbackPool: null }), pools, h, at({}), Math.random).pool).toBeNull();
  });

  it("geo: country_pools, then region_pools, then default_pools, each in failover order", () => {
    const h = new HealthTable();
    expect(choosePool(lb(), pools, h, at({ country: "IE", region: "WEU" }), Math.random)).toMatchObject({ pool: { name: "eu-west" }, reason: "first healthy pool of country_pools[IE]", usedLocation: true });
    expect(choosePool(lb(), pools, h, at({ country: "DE", region: "WEU" }), Math.random).reason).toBe("first healthy pool of region_pools[WEU]");
    // Still location-dependent: a client elsewhere would get another pool.
    expect(choosePool(lb(), pools, h, at({ country: "JP", region: "NEAS" }), Math.random)).toMatchObject({ pool: { name: "us-east" }, reason: "first healthy pool of default_pools", usedLocation: true });
    expect(choosePool(lb({ policy: "off" }), pools, h, at({ country: "JP" }), Math.random).usedLocation).toBe(false);
    h.set("eu-west", "euw1", "down");
    // IE's list has only eu-west (down); WEU's list goes on to us-east.
    expect(choosePool(lb(), pools, h, at({ country: "IE", region: "WEU" }), Math.random)).toMatchObject({ pool: { name: "us-east" }, reason: "first healthy pool of region_pools[WEU]" });
    // "" is geo when a geo map is set, off when not.
    expect(choosePool(lb({ policy: "" }), pools, h, at({ country: "DE", region: "WEU" }), Math.random).policy).toBe("geo");
    expect(choosePool(lb({ policy: "", regionPools: new Map(), countryPools: new Map() }), pools, h, at({}), Math.random).policy).toBe("off");
  });

  it("random: healthy pools by random_steering weights; least_* behave alike", () => {
    const h = new HealthTable();
    const weights = { defaultWeight: 1, poolWeights: new Map([["us-east", 3], ["eu-west", 1], ["ap-ne", 0]]) };
    const counts = new Map<string, number>();
    let x = 0;
    const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20000; i++) {
      const name = choosePool(lb({ policy: "random", randomSteering: weights }), pools, h, at({}), rand).pool!.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect(counts.get("ap-ne")).toBeUndefined();
    expect(counts.get("us-east")! / 20000).toBeCloseTo(0.75, 1);
    expect(choosePool(lb({ policy: "least_connections" }), pools, h, at({}), seq(0)).reason).toMatch(/DNS-only mode, random by weight/);
  });

  it("proximity: nearest healthy pool by great-circle distance; not locatable → failover order", () => {
    const h = new HealthTable();
    expect(choosePool(lb({ policy: "proximity" }), pools, h, at({ latitude: 48.9, longitude: 2.4 }), Math.random).pool!.name).toBe("eu-west");
    expect(choosePool(lb({ policy: "proximity" }), pools, h, at({ latitude: 37.6, longitude: 127.0 }), Math.random).pool!.name).toBe("ap-ne");
    h.set("ap-ne", "apn1", "down");
    // Seoul: Dublin (~8,900 km) is nearer than Washington (~11,100 km).
    expect(choosePool(lb({ policy: "proximity" }), pools, h, at({ latitude: 37.6, longitude: 127.0 }), Math.random).pool!.name).toBe("eu-west");
    expect(choosePool(lb({ policy: "proximity" }), pools, h, at({}), Math.random)).toMatchObject({ pool: { name: "us-east" }, reason: "client not locatable: failover order" });
    expect(greatCircleKm(53.3, -6.3, 38.9, -77.0)).toBeCloseTo(5450, -2);
  });

  it("dynamic_latency: lowest RTT average; no data → failover order", () => {
    const h = new HealthTable();
    expect(choosePool(lb({ policy: "dynamic_latency" }), pools, h, at({}), Math.random).reason).toBe("no RTT data yet: failover order");
    h.setPoolRtt(healthSlot("us-east"), 80);
    h.setPoolRtt(healthSlot("eu-west"), 74);
    expect(choosePool(lb({ policy: "dynamic_latency" }), pools, h, at({}), Math.random)).toMatchObject({ pool: { name: "eu-west" }, reason: "lowest monitor RTT average (74.0 ms)" });
  });

  it("minimum_origins, disabled pools and pools without monitors", () => {
    const h = new HealthTable();
    const two = pool("two", [origin("a", "192.0.2.1"), origin("b", "192.0.2.2")], { minimumOrigins: 2 });
    h.set("two", "a", "down");
    expect(h.poolHealthy(two)).toBe(false);
    expect(h.poolHealthy({ ...two, minimumOrigins: 1 })).toBe(true);
    expect(h.poolHealthy({ ...two, enabled: false, minimumOrigins: 1 })).toBe(false);
    expect(h.poolHealthy({ ...two, monitor: null })).toBe(true);
    // Cold start: unknown counts as up by default, as down when configured.
    expect(new HealthTable("down").poolHealthy(pools.get("eu-west")!)).toBe(false);
  });
});

describe("origin choice", () => {
  const h = new HealthTable();
  const p = pool("p", [origin("a", "192.0.2.1", 1), origin("b", "192.0.2.2", 0.5), origin("z", "192.0.2.3", 0), origin("off", "192.0.2.4", 1, false), origin("v6", "2001:db8::1")]);

  it("random by weight, by family, never a disabled or weight-0 origin while another is healthy", () => {
    const counts = new Map<string, number>();
    let x = 7;
    const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 30000; i++) {
      const [o] = chooseOrigins(p, "A", 1, h, at({}), rand, false).origins;
      counts.set(o!.name, (counts.get(o!.name) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["a", "b"]);
    expect(counts.get("a")! / 30000).toBeCloseTo(2 / 3, 1);
    expect(chooseOrigins(p, "AAAA", 4, h, at({}), Math.random, false).origins.map((o) => o.name)).toEqual(["v6"]);
    expect(chooseOrigins(p, "A", 8, h, at({}), Math.random, false).origins.map((o) => o.name).sort()).toEqual(["a", "b"]);
  });

  it("weight-0 origins serve when nothing else is healthy", () => {
    const h2 = new HealthTable();
    h2.set("p", "a", "down"); h2.set("p", "b", "down");
    expect(chooseOrigins(p, "A", 1, h2, at({}), Math.random, false).origins.map((o) => o.name)).toEqual(["z"]);
  });

  it("hash: the same subnet keeps its origin while healthy; only a failed origin's clients move", () => {
    const hp = pool("p", Array.from({ length: 5 }, (_, i) => origin(`o${i}`, `192.0.2.${i + 1}`)), { originPolicy: "hash" });
    const clients = Array.from({ length: 500 }, (_, i) => ({ location: NOWHERE, subnetKey: `10.${i >> 8}.${i & 255}.0/24` }));
    const pick = (hh: HealthTable, c: Client) => chooseOrigins(hp, "A", 1, hh, c, Math.random, false).origins[0]!.name;
    const healthy = new HealthTable();
    const before = clients.map((c) => pick(healthy, c));
    expect(clients.map((c) => pick(healthy, c))).toEqual(before);
    expect(new Set(before).size).toBe(5);
    const oneDown = new HealthTable();
    oneDown.set(hp.name, "o2", "down");
    const after = clients.map((c) => pick(oneDown, c));
    clients.forEach((_, i) => { if (before[i] !== "o2") expect(after[i]).toBe(before[i]); else expect(after[i]).not.toBe("o2"); });
  });
});
