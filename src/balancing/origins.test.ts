import { describe, expect, it } from "vitest";
import { balancing, healthOf, seeded } from "../../test/support/balancing.js";
import { chooseOrigins, drawKey, drawOrder, drawOutcome, drawOutcomeAt } from "./origins.js";

const b = balancing({
  monitors: { m: { type: "tcp", port: 80 } },
  pools: {
    p: { monitor: "m", origins: [
      { name: "a", address: "192.0.2.1", weight: 1 }, { name: "b", address: "192.0.2.2", weight: 0.5 }, { name: "z", address: "192.0.2.3", weight: 0 },
      { name: "off", address: "192.0.2.4", enabled: false }, { name: "v6", address: "2001:db8::1" }, { name: "host", address: "app.example.net" },
    ] },
    h: { monitor: "m", origin_steering: { policy: "hash" }, origins: Array.from({ length: 5 }, (_, i) => ({ name: `o${i}`, address: `192.0.2.${i + 1}` })) },
  },
  load_balancers: { www: { default_pools: ["p"] } },
});
const p = b.pools.get("p")!;
const names = (d: { origins: readonly { name: string }[] }) => d.origins.map((o) => o.name).sort();

describe("origin choice", () => {
  it("random by weight, by family; never disabled or weight-0 origins (Cloudflare: no traffic)", () => {
    const { view } = healthOf(b);
    const counts = new Map<string, number>();
    const random = seeded(7);
    for (let i = 0; i < 30000; i++) {
      const [o] = chooseOrigins(p, "A", 1, view, "", random, false).origins;
      counts.set(o!.name, (counts.get(o!.name) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["a", "b", "host"]);
    expect(counts.get("a")! / 30000).toBeCloseTo(0.4, 1);
    expect(names(chooseOrigins(p, "AAAA", 4, view, "", Math.random, false))).toEqual(["host", "v6"]);
    expect(names(chooseOrigins(p, "A", 8, view, "", Math.random, false))).toEqual(["a", "b", "host"]);
  });
  it("weight-0 origins never answer, even when nothing else is up; the fallback ignores health", () => {
    const { view } = healthOf(b, { "p/a": "down", "p/b": "down", "p/host": "down" });
    expect(chooseOrigins(p, "A", 1, view, "", Math.random, false).origins).toEqual([]);
    expect(names(chooseOrigins(p, "A", 8, view, "", Math.random, true))).toEqual(["a", "b", "host"]);
  });
  it("drained origins only when no other is up", () => {
    const { view } = healthOf(b, { "p/host": "down" }, { "p/a": "drain" });
    for (let i = 0; i < 50; i++) expect(names(chooseOrigins(p, "A", 1, view, "", Math.random, false))).toEqual(["b"]);
    const alone = healthOf(b, { "p/b": "down", "p/host": "down" }, { "p/a": "drain" }).view;
    expect(names(chooseOrigins(p, "A", 1, alone, "", Math.random, false))).toEqual(["a"]);
  });
  it("hash: a subnet keeps its origin while healthy; only a failed origin's clients move", () => {
    const hp = b.pools.get("h")!;
    const clients = Array.from({ length: 500 }, (_, i) => `0a${(i >> 8).toString(16).padStart(2, "0")}${(i & 255).toString(16).padStart(2, "0")}00/24`);
    const healthy = healthOf(b).view;
    const pick = (view: typeof healthy, key: string) => chooseOrigins(hp, "A", 1, view, key, Math.random, false).origins[0]!.name;
    const before = clients.map((c) => pick(healthy, c));
    expect(clients.map((c) => pick(healthy, c))).toEqual(before);
    expect(new Set(before).size).toBe(5);
    const oneDown = healthOf(b, { "h/o2": "down" }).view;
    clients.forEach((c, i) => { const after = pick(oneDown, c); if (before[i] !== "o2") expect(after).toBe(before[i]); else expect(after).not.toBe("o2"); });
  });
});

describe("draws", () => {
  it("drawOutcome draws exactly as drawOrder (the same random numbers, the same outcome as drawKey numbers it)", () => {
    const rand = seeded(11);
    for (let t = 0; t < 2000; t++) {
      const n = 1 + Math.floor(rand() * 6);
      const weights = Array.from({ length: n }, () => (rand() < 0.1 ? 0 : rand() * 3));
      const max = 1 + Math.floor(rand() * (n + 1));
      const seed = Math.floor(rand() * 1e9);
      const a = seeded(seed), b = seeded(seed);
      let usedA = 0, usedB = 0;
      const picks = drawOrder(weights, max, () => { usedA++; return a(); });
      expect(drawOutcome(weights, max, () => { usedB++; return b(); })).toBe(drawKey(picks, n));
      expect(usedB).toBe(usedA);
      // And from a typed array, at an offset (the answer cache's rows).
      const c = seeded(seed);
      let usedC = 0;
      const row = new Float64Array(n + 3);
      row.set(weights, 3);
      expect(drawOutcomeAt(row, 3, n, max, () => { usedC++; return c(); })).toBe(drawKey(picks, n));
      expect(usedC).toBe(usedA);
    }
  });
});
