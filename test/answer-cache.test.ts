// Reused load-balanced answers (src/query/answers.ts) must be byte for byte what the full path
// would have said: a server with the answer cache and one without, given the same zones, health
// and random numbers, are asked the same queries (every policy, ECS or not, mixed letter case,
// NSID, DO, small UDP sizes, UDP and TCP), through health changes and a reload.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthTable } from "../src/health/table.js";
import { tcpExchange, udpExchange } from "./support/client.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";
import { seeded } from "./support/balancing.js";

function zone(ttl = 30): Record<string, any> {
  const z = sampleZone();
  z.pools["ap-ne"] = { origins: [{ name: "apn1", address: "192.0.2.77" }, { name: "apn2", address: "2001:db8::77" }], latitude: 35.7, longitude: 139.7 };
  z.pools.many = { origins: [1, 2, 3, 4].map((i) => ({ name: `m${i}`, address: `192.0.2.${100 + i}` })) };
  z.pools.skew = { origins: [{ name: "light", address: "192.0.2.121", weight: 0.1 }, { name: "heavy", address: "192.0.2.122", weight: 0.9 }] };
  // Eight origins of each family: answers of up to eight records (too long to keep inline) and
  // more outcomes per draw than an entry's row holds.
  z.pools.wide = { origins: [0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [{ name: `w${i}`, address: `192.0.2.${130 + i}` }, { name: `w6${i}`, address: `2001:db8::${130 + i}` }]) };
  z.pools.hashed = { origins: [1, 2, 3, 4].map((i) => ({ name: `h${i}`, address: `192.0.2.${110 + i}` })), origin_steering: { policy: "hash" } };
  Object.assign(z.load_balancers, {
    prox: { default_pools: ["us-east", "eu-west", "ap-ne"], fallback_pool: "backup", steering_policy: "proximity", ttl },
    off: { default_pools: ["eu-west", "us-east"], fallback_pool: "backup", steering_policy: "off", ttl },
    rnd: { default_pools: ["us-east", "eu-west", "ap-ne"], fallback_pool: "backup", steering_policy: "random", ttl },
    many: { default_pools: ["many"], fallback_pool: "backup", ttl },
    skew: { default_pools: ["skew"], fallback_pool: "backup", ttl },
    hash: { default_pools: ["hashed"], fallback_pool: "backup", ttl },
    wide: { default_pools: ["wide"], fallback_pool: "backup", max_answers: 8, ttl },
    wide2: { default_pools: ["wide"], fallback_pool: "backup", max_answers: 2, ttl },
    "*.wild": { default_pools: ["us-east", "eu-west"], fallback_pool: "backup", steering_policy: "geo", region_pools: { WEU: ["eu-west"] }, ttl },
    ruled: {
      default_pools: ["us-east"], fallback_pool: "backup", ttl,
      rules: [{ name: "de", condition: 'ip.src in {10.20.0.0/16}', overrides: { default_pools: ["eu-west"] } }],
    },
  });
  // Monitored, so that the states the tests set count (no prober runs: monitors are off).
  for (const p of Object.values<any>(z.pools)) p.monitor = "web";
  return z;
}

/** Subnets in several countries and regions, the zone's own networks, and nowhere. */
const SUBNETS: [number, number, number[]][] = [
  [1, 24, [81, 2, 69]], [1, 24, [87, 32, 10]], [1, 24, [133, 1, 1]], [1, 24, [133, 1, 2]], [1, 24, [8, 8, 8]],
  [1, 24, [1, 1, 1]], [1, 24, [200, 160, 2]], [1, 24, [41, 0, 0]], [1, 24, [10, 20, 1]], [1, 24, [10, 30, 5]],
  [1, 16, [81, 2]], [1, 20, [133, 1, 0]], [1, 32, [81, 2, 69, 142]], [1, 0, []], [1, 24, [192, 168, 1]],
  [2, 48, [0x2a, 0x02, 0x0c, 0x7f, 0x00, 0x01]], [2, 56, [0x24, 0x0f, 0x00, 0x01, 0x02, 0x03, 0x04]], [2, 32, [0x20, 0x01, 0x0d, 0xb8]],
];
/** The long one: a key longer than a shape's row holds inline. */
const NAMES = ["www", "prox", "off", "rnd", "many", "skew", "hash", "a.wild", "b.wild", "ruled", "ns1", "nope", "wide", "wide2", `${"x".repeat(63)}.${"y".repeat(50)}.wild`];
const TYPES = [1, 28, 16];

function build(rand: () => number): Buffer {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const name = `${pick(NAMES)}.lb.example.com`;
  // Mixed case, as resolvers using 0x20 send it.
  const cased = rand() < 0.5 ? name : [...name].map((c) => (rand() < 0.5 ? c.toUpperCase() : c)).join("");
  const labels = Buffer.concat([...cased.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])), Buffer.from([0])]);
  const edns = rand() < 0.85;
  const header = Buffer.from([Math.floor(rand() * 256), Math.floor(rand() * 256), rand() < 0.9 ? 1 : 0, rand() < 0.05 ? 0x10 : 0, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0]);
  const question = Buffer.concat([labels, Buffer.from([0, pick(TYPES), 0, 1])]);
  if (!edns) return Buffer.concat([header, question]);
  const options: Buffer[] = [];
  if (rand() < 0.1) options.push(Buffer.from([0, 3, 0, 0]));
  if (rand() < 0.8) {
    const [family, source, bytes] = pick(SUBNETS);
    const body = Buffer.from([0, family, source, 0, ...bytes]);
    options.push(Buffer.concat([Buffer.from([0, 8, 0, body.length]), body]));
  }
  const data = Buffer.concat(options);
  const udp = rand() < 0.1 ? 512 : 1232;
  const opt = Buffer.from([0, 0, 41, udp >> 8, udp & 255, 0, 0, rand() < 0.1 ? 0x80 : 0, 0, data.length >> 8, data.length & 255]);
  return Buffer.concat([header, question, opt, data]);
}

describe("reused load-balanced answers", () => {
  let cached: TestServer, fresh: TestServer;
  const healthA = new HealthTable();
  const healthB = new HealthTable();

  beforeAll(async () => {
    const common = { monitors: false, nsid: Buffer.from("t"), chaos: null };
    cached = await startTestServer({ "lb.example.com.json": zone() }, { ...common, health: healthA, random: seeded(3) });
    fresh = await startTestServer({ "lb.example.com.json": zone() }, { ...common, health: healthB, random: seeded(3), answerCache: false });
  }, 30_000);
  afterAll(async () => { await cached?.close(); await fresh?.close(); });

  /** Both servers, the same queries; every reply must be the same bytes. */
  async function compare(seed: number, count: number): Promise<number> {
    const rand = seeded(seed);
    let steered = 0;
    for (let i = 0; i < count; i++) {
      const q = build(rand);
      const tcp = rand() < 0.1;
      const [a, b] = tcp
        ? [(await tcpExchange(cached.port, [q]))[0] ?? null, (await tcpExchange(fresh.port, [q]))[0] ?? null]
        : [await udpExchange(cached.port, q), await udpExchange(fresh.port, q)];
      expect(a, `query ${q.toString("hex")}`).not.toBeNull();
      expect(a!.toString("hex"), `query ${q.toString("hex")} over ${tcp ? "TCP" : "UDP"}`).toBe(b!.toString("hex"));
      if (a!.readUInt16BE(6) > 0) steered++;
    }
    return steered;
  }

  it("gives the same bytes as the full path, for every policy and query shape", async () => {
    expect(await compare(1, 600)).toBeGreaterThan(200);
    // Most steered queries were answered from kept replies (else this test proves nothing).
    const { reused, kept } = cached.server.answerStats();
    expect(reused).toBeGreaterThan(50);
    expect(kept).toBeGreaterThan(20);
    expect(fresh.server.answerStats().reused).toBe(0);
  }, 60_000);

  it("gives the same bytes at the tables' edges: thousands of shapes, long keys and replies, many classes and outcomes", async () => {
    // Thousands of names (the shape table grows, rows move), each asked twice; then many outcomes
    // of one draw (two of eight origins: 56), more than an entry's row lists.
    const before = cached.server.answerStats();
    const rand = seeded(11);
    for (let i = 0; i < 2500; i++) {
      const name = `n${i}.wild.lb.example.com`;
      const q = Buffer.from([i >> 8, i & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1,
        ...Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]),
        0, 1, 0, 1, 0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 24, 0, 81, 2, Math.floor(rand() * 256)]);
      for (let k = 0; k < 2; k++) {
        const [a, b] = [await udpExchange(cached.port, q), await udpExchange(fresh.port, q)];
        expect(a!.toString("hex"), name).toBe(b!.toString("hex"));
      }
    }
    const after = cached.server.answerStats();
    expect(after.kept - before.kept).toBeGreaterThanOrEqual(2500);
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(2500);
    // And every shape kept before still answers as the full path does.
    await compare(1, 600);
  }, 120_000);

  it("follows health changes at once", async () => {
    for (const h of [healthA, healthB]) { h.set("lb.example.com/eu-west", "euw1", "down"); h.set("lb.example.com/us-east", "use1", "down"); }
    // The same queries as before: kept replies exist for them, and must not be served stale.
    await compare(1, 600);
    for (const h of [healthA, healthB]) { h.set("lb.example.com/eu-west", "euw1", "up"); h.set("lb.example.com/ap-ne", "apn1", "down"); }
    await compare(1, 600);
    for (const h of [healthA, healthB]) { h.set("lb.example.com/us-east", "use1", "up"); h.set("lb.example.com/ap-ne", "apn1", "up"); }
  }, 60_000);

  it("follows a reload at once", async () => {
    for (const s of [cached, fresh]) { s.writeZone("lb.example.com.json", zone(45)); s.server.reload(); }
    await compare(1, 600);
  }, 60_000);

  it("reuses, and keeps random steering random", async () => {
    // Same class (two German /24s): the second is a reuse, with its own ID, case and address.
    const ask = (third: number, id: number, name: string) => Buffer.from([
      id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1,
      ...Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]),
      0, 1, 0, 1, 0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 24, 0, 10, 20, third,
    ]);
    const r1 = (await udpExchange(cached.port, ask(1, 0x1234, "www.lb.example.com")))!;
    const r2 = (await udpExchange(cached.port, ask(2, 0x4321, "WwW.lb.EXAMPLE.com")))!;
    expect(r2.readUInt16BE(0)).toBe(0x4321);
    expect(r2.subarray(12, 32).toString("latin1")).toContain("WwW");
    expect([...r2.subarray(r2.length - 3)]).toEqual([10, 20, 2]);
    expect(r1.subarray(r1.length - 30, r1.length - 3)).toEqual(r2.subarray(r2.length - 30, r2.length - 3));
    // Random steering: one subnet, many queries, several pools.
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const r = (await udpExchange(cached.port, ask(1, i, "rnd.lb.example.com")))!;
      seen.add(r.subarray(r.length - 30).toString("hex"));
    }
    expect(seen.size).toBeGreaterThan(1);
  }, 30_000);

  it("reuses answers whose origins were drawn at random, and keeps them drawn by weight", async () => {
    const ask = (id: number, name: string) => Buffer.from([
      id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
      ...Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]),
      0, 1, 0, 1,
    ]);
    const address = (r: Buffer) => [...r.subarray(r.length - 4)].join(".");
    const before = cached.server.answerStats().reused;
    // Four origins of equal weight: each one is answered, and nearly all from kept replies.
    const many = new Map<string, number>();
    for (let i = 0; i < 200; i++) { const a = address((await udpExchange(cached.port, ask(i, "many.lb.example.com")))!); many.set(a, (many.get(a) ?? 0) + 1); }
    expect([...many.keys()].sort()).toEqual(["192.0.2.101", "192.0.2.102", "192.0.2.103", "192.0.2.104"]);
    for (const n of many.values()) expect(n).toBeGreaterThan(20);
    expect(cached.server.answerStats().reused - before).toBeGreaterThan(180);
    // Weights 0.1 and 0.9: the light origin gets about a tenth (a binomial of 600 at 0.1: 60 ± 7.3).
    let light = 0;
    for (let i = 0; i < 600; i++) if (address((await udpExchange(cached.port, ask(i, "skew.lb.example.com")))!) === "192.0.2.121") light++;
    expect(light).toBeGreaterThan(30);
    expect(light).toBeLessThan(95);
  }, 60_000);

  it("keeps a zone's answers when health changes in another zone", async () => {
    // Health versions are per zone: an origin going down in one zone of a thousand must not send
    // every other zone's answers back through the full path.
    const health = new HealthTable();
    // Monitored pools (no prober runs here: the test sets the states).
    const monitored = (name: string) => { const z = sampleZone(); z.zone = name; for (const p of Object.values<any>(z.pools)) p.monitor = "web"; return z; };
    const two = await startTestServer({ "lb.example.com.json": monitored("lb.example.com"), "other.example.com.json": monitored("other.example.com") }, { monitors: false, health, random: seeded(5) });
    try {
      const ask = (id: number, name: string) => Buffer.from([
        id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
        ...Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]),
        0, 1, 0, 1,
      ]);
      const address = (r: Buffer) => [...r.subarray(r.length - 4)].join(".");
      const first = address((await udpExchange(two.port, ask(1, "www.other.example.com")))!);
      await udpExchange(two.port, ask(2, "www.lb.example.com"));
      const kept = two.server.answerStats().reused;
      health.set(`lb.example.com/${"us-east"}`, "use1", "down");
      // The other zone's kept answer is still served: reused, and the same.
      expect(address((await udpExchange(two.port, ask(3, "www.other.example.com")))!)).toBe(first);
      expect(two.server.answerStats().reused).toBe(kept + 1);
      // The zone whose health changed answers from the full path, with the change.
      const changed = address((await udpExchange(two.port, ask(4, "www.lb.example.com")))!);
      expect(two.server.answerStats().reused).toBe(kept + 1);
      expect(changed).not.toBe("192.0.2.10");
      // And the other zone follows its own changes.
      health.set(`other.example.com/${"us-east"}`, "use1", "down");
      expect(address((await udpExchange(two.port, ask(5, "www.other.example.com")))!)).toBe(changed);
    } finally {
      await two.close();
    }
  }, 30_000);
});
