import { describe, expect, it } from "vitest";
import { RRType } from "../wire/constants.js";
import { buildZone } from "./build.js";
import { isAtOrBelow, parentOf } from "./name.js";
import type { ZoneInput } from "./types.js";
import { ZoneSet } from "./zoneset.js";

const { A, NS, CNAME, SOA, MX, TXT } = RRType;

const input = (origin: string, rrsets: ZoneInput["rrsets"], soaTtl = 300, minimum = 60): ZoneInput => ({
  origin,
  source: "test.json",
  soa: { mname: `ns.${origin}`, rname: "hostmaster.example.com", serial: 42, refresh: 3600, retry: 600, expire: 86400, minimum },
  soaTtl,
  rrsets,
});

describe("buildZone", () => {
  const z = buildZone(input("example.com", [
    { name: "example.com", type: NS, ttl: 300, rdata: ["ns.example.com"] },
    { name: "example.com", type: TXT, ttl: 300, rdata: [[Buffer.from("hi")]] },
    { name: "ns.example.com", type: A, ttl: 100, rdata: ["192.0.2.1", "192.0.2.2"] },
    { name: "a.b.c.example.com", type: A, ttl: 300, rdata: ["192.0.2.3"] },
    { name: "x.c.example.com", type: MX, ttl: 300, rdata: [{ preference: 1, exchange: "ns.example.com" }] },
    { name: "sub.example.com", type: NS, ttl: 300, rdata: ["ns.q.sub.example.com"] },
    { name: "ns.q.sub.example.com", type: A, ttl: 300, rdata: ["192.0.2.4"] },
    { name: "alias.example.com", type: CNAME, ttl: 300, rdata: ["example.com"] },
  ], 3600, 60));

  it("builds nodes with wire records (class IN, owner = name)", () => {
    expect([...z.nodes.keys()].sort()).toEqual(["a.b.c.example.com", "alias.example.com", "example.com", "ns.example.com", "ns.q.sub.example.com", "sub.example.com", "x.c.example.com"]);
    const rr = z.nodes.get("ns.example.com")!.rrsets.get(A)!;
    expect(rr.records).toEqual([
      { name: "ns.example.com", type: A, class: 1, ttl: 100, data: "192.0.2.1" },
      { name: "ns.example.com", type: A, class: 1, ttl: 100, data: "192.0.2.2" },
    ]);
  });

  it("puts the SOA at the apex with the SOA TTL, and a negative SOA with min(TTL, minimum)", () => {
    expect(z.soa.ttl).toBe(3600);
    expect(z.nodes.get("example.com")!.rrsets.get(SOA)).toBe(z.soa);
    expect(z.serial).toBe(42);
    expect(z.negativeTtl).toBe(60);
    expect(z.negativeSoa).toEqual({ name: "example.com", type: SOA, class: 1, ttl: 60, data: z.soa.rdata[0] });
  });

  it("finds empty non-terminals strictly between the apex and names with data", () => {
    expect([...z.emptyNonTerminals].sort()).toEqual(["b.c.example.com", "c.example.com", "q.sub.example.com"]);
  });

  it("finds cuts and what lies below them", () => {
    expect([...z.cuts]).toEqual(["sub.example.com"]);
    expect(Object.fromEntries(z.delegatedBy)).toEqual({
      "sub.example.com": "sub.example.com",
      "q.sub.example.com": "sub.example.com",
      "ns.q.sub.example.com": "sub.example.com",
    });
    const ref = z.referrals.get("sub.example.com")!;
    expect(ref.ns.map((r) => r.data)).toEqual(["ns.q.sub.example.com"]);
    expect(ref.additionals.map((r) => r.data)).toEqual(["192.0.2.4"]);
    expect(ref.required).toBe(1);
  });

  it("chooses the ANY RRset: CNAME, else lowest type", () => {
    expect(z.nodes.get("example.com")!.minimal.type).toBe(NS);
    expect(z.nodes.get("alias.example.com")!.minimal.type).toBe(CNAME);
  });

  it("is frozen", () => {
    expect(Object.isFrozen(z)).toBe(true);
    expect(Object.isFrozen(z.nodes.get("example.com"))).toBe(true);
    const rr = z.nodes.get("ns.example.com")!.rrsets.get(A)!;
    expect(Object.isFrozen(rr) && Object.isFrozen(rr.records) && Object.isFrozen(rr.records[0]) && Object.isFrozen(rr.rdata)).toBe(true);
    expect(Object.isFrozen(z.negativeSoa)).toBe(true);
    expect(Object.isFrozen(z.nodes.get("x.c.example.com")!.rrsets.get(MX)!.rdata[0])).toBe(true);
  });

  it("does not freeze or share the caller's objects", () => {
    const mx = { preference: 1, exchange: "example.com" };
    const i = input("example.com", [{ name: "example.com", type: MX, ttl: 1, rdata: [mx] }]);
    buildZone(i);
    expect(Object.isFrozen(mx)).toBe(false);
    expect(Object.isFrozen(i.soa)).toBe(false);
  });

  it("a zone with only an apex has no ENTs or cuts", () => {
    const only = buildZone(input("t", [{ name: "t", type: NS, ttl: 1, rdata: ["ns.example.net"] }]));
    expect(only.emptyNonTerminals.size).toBe(0);
    expect(only.cuts.size).toBe(0);
    expect([...only.nodes.get("t")!.rrsets.keys()].sort()).toEqual([NS, SOA]);
  });
});

describe("ZoneSet", () => {
  const mk = (origin: string) => buildZone(input(origin, [{ name: origin, type: NS, ttl: 1, rdata: ["ns.example.net"] }]));
  const com = mk("example.com");
  const sub = mk("a.example.com");
  const root = mk("");
  const zs = new ZoneSet([com, sub]);

  it("finds the longest suffix on label boundaries", () => {
    expect(zs.find("example.com")).toBe(com);
    expect(zs.find("www.example.com")).toBe(com);
    expect(zs.find("a.example.com")).toBe(sub);
    expect(zs.find("x.y.a.example.com")).toBe(sub);
    expect(zs.find("ba.example.com")).toBe(com);
    expect(zs.find("xexample.com")).toBeNull();
    expect(zs.find("com")).toBeNull();
    expect(zs.find("")).toBeNull();
  });

  it("a root zone catches everything", () => {
    const withRoot = new ZoneSet([root, com]);
    expect(withRoot.find("www.example.org")).toBe(root);
    expect(withRoot.find("")).toBe(root);
    expect(withRoot.find("www.example.com")).toBe(com);
  });

  it("the first of two zones with one origin is served", () => {
    const again = mk("example.com");
    expect(new ZoneSet([com, again]).find("example.com")).toBe(com);
  });

  it("additionalsFor is empty for types without targets", () => {
    expect(zs.additionalsFor(com.soa)).toEqual([]);
    expect(zs.additionalsFor(com.nodes.get("example.com")!.rrsets.get(NS)!)).toEqual([]);
  });
});

describe("names", () => {
  it("parentOf", () => {
    expect(parentOf("a.b.c")).toBe("b.c");
    expect(parentOf("c")).toBe("");
    expect(parentOf("")).toBeNull();
    expect(parentOf("a\\.b.c")).toBe("c");
    expect(parentOf("a\\\\.b.c")).toBe("b.c");
    expect(parentOf("a\\046b.c")).toBe("c");
  });

  it("isAtOrBelow", () => {
    expect(isAtOrBelow("a.b.c", "b.c")).toBe(true);
    expect(isAtOrBelow("b.c", "b.c")).toBe(true);
    expect(isAtOrBelow("ab.c", "b.c")).toBe(false);
    expect(isAtOrBelow("a\\.b.c", "b.c")).toBe(false);
    expect(isAtOrBelow("a\\\\.b.c", "b.c")).toBe(true);
    expect(isAtOrBelow("anything", "")).toBe(true);
    expect(isAtOrBelow("c", "b.c")).toBe(false);
  });
});
