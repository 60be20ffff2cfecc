import { describe, expect, it } from "vitest";
import { RRType, Rcode } from "../wire/constants.js";
import type { RData, ResourceRecord } from "../wire/types.js";
import { buildZone } from "./build.js";
import { lookup, MAX_CNAME_CHAIN } from "./lookup.js";
import type { LookupResult, Zone, ZoneInput } from "./types.js";
import { ZoneSet } from "./zoneset.js";

const { A, AAAA, NS, CNAME, SOA, MX, TXT, SRV, CAA, DS, ANY } = RRType;

type Records = Record<string, [type: number, rdata: RData[], ttl?: number][]>;

/** A ZoneInput from owner → [type, rdata, ttl?] lists; owners relative to the origin, "@" for the apex. */
function zone(origin: string, records: Records, opts: { ttl?: number; minimum?: number } = {}): Zone {
  const ttl = opts.ttl ?? 300;
  const abs = (n: string) => (n === "@" ? origin : `${n}.${origin}`);
  const input: ZoneInput = {
    origin,
    source: `${origin}.json`,
    soa: { mname: `ns1.${origin}`, rname: "hostmaster.example.com", serial: 2026112201, refresh: 3600, retry: 600, expire: 1209600, minimum: opts.minimum ?? 60 },
    soaTtl: ttl,
    rrsets: Object.entries(records).flatMap(([owner, sets]) => sets.map(([type, rdata, t]) => ({ name: abs(owner), type, ttl: t ?? ttl, rdata }))),
  };
  return buildZone(input);
}

const O = "lb.example.com";
const n = (rel: string) => `${rel}.${O}`;

/** The sample zone of the brief. */
function sample(extra: Records = {}): Zone {
  return zone(O, {
    "@": [[NS, [n("ns1"), n("ns2")]], [MX, [{ preference: 10, exchange: n("mail") }]], [TXT, [[Buffer.from("v=spf1 -all")]]], [CAA, [{ flags: 0, tag: "issue", value: Buffer.from("letsencrypt.org") }]]],
    ns1: [[A, ["192.0.2.53"]]],
    ns2: [[A, ["198.51.100.53"]], [AAAA, ["2001:db8::53"]]],
    mail: [[A, ["192.0.2.25"]]],
    docs: [[CNAME, ["www.example.org"]]],
    "*.dev": [[A, ["192.0.2.80"], 60]],
    "_sip._tcp": [[SRV, [{ priority: 10, weight: 5, port: 5060, target: n("mail") }]]],
    sub: [[NS, [n("ns.sub")]]],
    "ns.sub": [[A, ["192.0.2.99"]]],
    ...extra,
  });
}

/** "owner ttl TYPE data" lines, for compact expectations. */
function lines(rrs: readonly ResourceRecord[]): string[] {
  return rrs.map((r) => `${r.name} ${r.ttl} ${typeLabel(r.type)} ${show(r.data)}`);
}
function show(d: RData): string {
  if (typeof d === "string") return d;
  if (Buffer.isBuffer(d)) return d.toString("hex");
  if (Array.isArray(d)) return d.map((b: Buffer) => b.toString()).join("|");
  if ("exchange" in d) return `${d.preference} ${d.exchange}`;
  if ("target" in d) return `${d.priority} ${d.weight} ${d.port} ${d.target}`;
  if ("mname" in d) return `${d.mname} ${d.rname} ${d.serial}`;
  if ("tag" in d) return `${d.flags} ${d.tag} ${d.value.toString()}`;
  return JSON.stringify(d);
}
function typeLabel(t: number): string {
  return Object.entries(RRType).find(([, v]) => v === t)![0];
}

function expectNoData(r: LookupResult, z: Zone) {
  expect(r.rcode).toBe(Rcode.NOERROR);
  expect(r.aa).toBe(true);
  expect(r.answers).toEqual([]);
  expect(r.authorities).toEqual([z.negativeSoa]);
  expect(r.additionals).toEqual([]);
  expect(r.zone).toBe(z);
}
function expectNxdomain(r: LookupResult, z: Zone) {
  expect(r.rcode).toBe(Rcode.NXDOMAIN);
  expect(r.aa).toBe(true);
  expect(r.answers).toEqual([]);
  expect(r.authorities).toEqual([z.negativeSoa]);
  expect(r.zone).toBe(z);
}

describe("lookup: positive answers", () => {
  const z = sample();
  const zs = new ZoneSet([z]);

  it("answers each type with AA, no authority, the zone's own records array", () => {
    const r = lookup(zs, n("ns1"), A);
    expect(r).toMatchObject({ rcode: Rcode.NOERROR, aa: true, authorities: [], additionals: [], requiredAdditionals: 0, zone: z });
    expect(lines(r.answers)).toEqual([`${n("ns1")} 300 A 192.0.2.53`]);
    // No copy: the precomputed array itself.
    expect(r.answers).toBe(z.nodes.get(n("ns1"))!.rrsets.get(A)!.records);
    expect(lines(lookup(zs, n("ns2"), AAAA).answers)).toEqual([`${n("ns2")} 300 AAAA 2001:db8::53`]);
    expect(lines(lookup(zs, O, TXT).answers)).toEqual([`${O} 300 TXT v=spf1 -all`]);
    expect(lines(lookup(zs, O, CAA).answers)).toEqual([`${O} 300 CAA 0 issue letsencrypt.org`]);
    expect(lines(lookup(zs, O, SOA).answers)).toEqual([`${O} 300 SOA ns1.${O} hostmaster.example.com 2026112201`]);
    expect(lines(lookup(zs, n("*.dev"), A).answers)).toEqual([`${n("*.dev")} 60 A 192.0.2.80`]);
  });

  it("adds in-zone addresses of MX, SRV and NS targets as optional additionals", () => {
    const mx = lookup(zs, O, MX);
    expect(lines(mx.answers)).toEqual([`${O} 300 MX 10 ${n("mail")}`]);
    expect(lines(mx.additionals)).toEqual([`${n("mail")} 300 A 192.0.2.25`]);
    expect(mx.requiredAdditionals).toBe(0);
    const srv = lookup(zs, n("_sip._tcp"), SRV);
    expect(lines(srv.additionals)).toEqual([`${n("mail")} 300 A 192.0.2.25`]);
    const ns = lookup(zs, O, NS);
    expect(lines(ns.additionals)).toEqual([`${n("ns1")} 300 A 192.0.2.53`, `${n("ns2")} 300 A 198.51.100.53`, `${n("ns2")} 300 AAAA 2001:db8::53`]);
    // Other types get none.
    expect(lookup(zs, O, TXT).additionals).toEqual([]);
  });

  it("additionals: no duplicates, nothing occluded by a cut, targets in other zones of ours, nothing outside", () => {
    const z1 = sample({
      "@": [[NS, [n("ns1")]], [MX, [
        { preference: 10, exchange: n("mail") },
        { preference: 20, exchange: n("mail") },
        { preference: 30, exchange: n("ns.sub") },
        { preference: 40, exchange: "mx.other.test" },
        { preference: 50, exchange: "mx.example.net" },
      ]]],
    });
    const other = zone("other.test", { "@": [[NS, ["ns.other.test"]]], "ns": [[A, ["192.0.2.200"]]], mx: [[AAAA, ["2001:db8::25"]], [A, ["192.0.2.26"]]] });
    const r = lookup(new ZoneSet([z1, other]), O, MX);
    expect(lines(r.additionals)).toEqual([`${n("mail")} 300 A 192.0.2.25`, "mx.other.test 300 A 192.0.2.26", "mx.other.test 300 AAAA 2001:db8::25"]);
  });
});

describe("lookup: negative answers", () => {
  const z = sample({ "a.b.deep": [[A, ["192.0.2.7"]]] });
  const zs = new ZoneSet([z]);

  it("negativeSoa: TTL min(SOA TTL, minimum) (RFC 2308 §3)", () => {
    expect(z.negativeTtl).toBe(60);
    expect(z.negativeSoa).toMatchObject({ name: O, type: SOA, class: 1, ttl: 60 });
    const low = zone("x.test", { "@": [[NS, ["ns.example.net"]]] }, { ttl: 30, minimum: 600 });
    expect(low.negativeTtl).toBe(30);
  });

  it("NODATA: the name exists without the type", () => {
    expectNoData(lookup(zs, n("mail"), AAAA), z);
    expectNoData(lookup(zs, O, A), z);
    expectNoData(lookup(zs, n("ns1"), SOA), z);
  });

  it("NODATA at empty non-terminals (RFC 8020)", () => {
    for (const name of [n("b.deep"), n("deep"), n("_tcp")]) expectNoData(lookup(zs, name, A), z);
    expectNoData(lookup(zs, n("dev"), A), z);
  });

  it("NXDOMAIN with the negative SOA", () => {
    expectNxdomain(lookup(zs, n("nope"), A), z);
    expectNxdomain(lookup(zs, n("x.nope"), A), z);
    // Below an existing name with no wildcard there.
    expectNxdomain(lookup(zs, n("x.mail"), A), z);
    expectNxdomain(lookup(zs, n("c.a.b.deep"), TXT), z);
  });

  it("REFUSED outside every zone", () => {
    for (const name of ["www.example.org", "example.com", "", "xlb.example.com", "com"]) {
      expect(lookup(zs, name, A)).toEqual({ rcode: Rcode.REFUSED, aa: false, answers: [], authorities: [], additionals: [], requiredAdditionals: 0, zone: null });
    }
  });
});

describe("lookup: wildcards (RFC 4592)", () => {
  const z = sample({ "a.b.deep": [[A, ["192.0.2.7"]]], "*": [[TXT, [[Buffer.from("apex wildcard")]]]], exact: [[A, ["192.0.2.1"]]] });
  const zs = new ZoneSet([z]);

  it("synthesizes at the qname under an empty non-terminal, with new records", () => {
    const r = lookup(zs, n("x.dev"), A);
    expect(r).toMatchObject({ rcode: Rcode.NOERROR, aa: true, authorities: [] });
    expect(lines(r.answers)).toEqual([`${n("x.dev")} 60 A 192.0.2.80`]);
    // The zone's records are untouched.
    expect(z.nodes.get(n("*.dev"))!.rrsets.get(A)!.records[0]!.name).toBe(n("*.dev"));
    expect(lines(lookup(zs, n("a.b.dev"), A).answers)).toEqual([`${n("a.b.dev")} 60 A 192.0.2.80`]);
  });

  it("the ENT above the wildcard is NODATA; the wildcard without the type is NODATA", () => {
    expectNoData(lookup(zs, n("dev"), A), z);
    expectNoData(lookup(zs, n("x.dev"), MX), z);
  });

  it("never covers an existing name or what is below one", () => {
    // exact exists: its own data or NODATA, never the apex wildcard.
    expectNoData(lookup(zs, n("exact"), TXT), z);
    // b.deep exists (ENT): x.b.deep's closest encloser is b.deep, and there is no *.b.deep.
    expectNxdomain(lookup(zs, n("x.b.deep"), TXT), z);
    expectNxdomain(lookup(zs, n("y.exact"), TXT), z);
    // "*.dev" itself exists: "x.*.dev" has it as closest encloser, and there is no "*.*.dev".
    expectNxdomain(lookup(zs, n("x.*.dev"), A), z);
  });

  it("the apex wildcard answers names whose closest encloser is the apex", () => {
    expect(lines(lookup(zs, n("anything"), TXT).answers)).toEqual([`${n("anything")} 300 TXT apex wildcard`]);
    expect(lines(lookup(zs, n("a.b.anything"), TXT).answers)).toEqual([`${n("a.b.anything")} 300 TXT apex wildcard`]);
    expectNoData(lookup(zs, n("anything"), A), z);
  });

  it("does not match across a cut", () => {
    const r = lookup(zs, n("www.sub"), TXT);
    expect(r.aa).toBe(false);
    expect(lines(r.authorities)).toEqual([`${n("sub")} 300 NS ${n("ns.sub")}`]);
  });

  it("synthesizes for ANY too (one RRset)", () => {
    expect(lines(lookup(zs, n("q.dev"), ANY).answers)).toEqual([`${n("q.dev")} 60 A 192.0.2.80`]);
  });
});

describe("lookup: referrals", () => {
  const z = sample({
    sub: [[NS, [n("ns.sub"), n("ns1"), n("ns.other-cut"), "ns.example.net", n("ns6.sub")]]],
    "ns6.sub": [[AAAA, ["2001:db8::99"]], [A, ["192.0.2.98"]]],
    "other-cut": [[NS, [n("ns.other-cut")]]],
    "ns.other-cut": [[A, ["192.0.2.111"]]],
  });
  const zs = new ZoneSet([z]);

  it("at and below the cut: AA=0, NS in authority, required glue first, then other in-zone addresses", () => {
    for (const name of [n("sub"), n("www.sub"), n("a.b.sub"), n("ns.sub")]) {
      for (const type of [A, AAAA, NS, MX, ANY, SOA]) {
        const r = lookup(zs, name, type);
        expect(r.rcode, name).toBe(Rcode.NOERROR);
        expect(r.aa, name).toBe(false);
        expect(r.answers).toEqual([]);
        expect(lines(r.authorities)).toEqual([`${n("sub")} 300 NS ${n("ns.sub")}`, `${n("sub")} 300 NS ${n("ns1")}`, `${n("sub")} 300 NS ${n("ns.other-cut")}`, `${n("sub")} 300 NS ns.example.net`, `${n("sub")} 300 NS ${n("ns6.sub")}`]);
        expect(lines(r.additionals)).toEqual([
          `${n("ns.sub")} 300 A 192.0.2.99`,
          `${n("ns6.sub")} 300 A 192.0.2.98`,
          `${n("ns6.sub")} 300 AAAA 2001:db8::99`,
          `${n("ns1")} 300 A 192.0.2.53`,
          `${n("ns.other-cut")} 300 A 192.0.2.111`,
        ]);
        expect(r.requiredAdditionals).toBe(3);
        expect(r.zone).toBe(z);
      }
    }
  });

  it("cuts and the names below them", () => {
    expect([...z.cuts].sort()).toEqual([n("other-cut"), n("sub")]);
    expect(z.delegatedBy.get(n("ns.sub"))).toBe(n("sub"));
    expect(z.delegatedBy.has(n("ns1"))).toBe(false);
  });

  it("the sample zone's referral: glue only", () => {
    const r = lookup(new ZoneSet([sample()]), n("www.sub"), A);
    expect(lines(r.additionals)).toEqual([`${n("ns.sub")} 300 A 192.0.2.99`]);
    expect(r.requiredAdditionals).toBe(1);
  });

  it("DS exactly at the cut is the parent's: NODATA, AA; below the cut it is a referral", () => {
    expectNoData(lookup(zs, n("sub"), DS), z);
    expect(lookup(zs, n("x.sub"), DS).aa).toBe(false);
  });

  it("a nested cut refers to the highest one", () => {
    const nested = sample({ "deeper.sub": [[NS, [n("ns.deeper.sub")]]], "ns.deeper.sub": [[A, ["192.0.2.120"]]] });
    const r = lookup(new ZoneSet([nested]), n("x.deeper.sub"), A);
    expect(lines(r.authorities)).toEqual([`${n("sub")} 300 NS ${n("ns.sub")}`]);
    expect(lines(lookup(new ZoneSet([nested]), n("deeper.sub"), DS).authorities)).toEqual([`${n("sub")} 300 NS ${n("ns.sub")}`]);
  });
});

describe("lookup: parent and child zones", () => {
  const parent = sample();
  const child = zone(n("sub"), { "@": [[NS, [n("ns.sub")]]], ns: [[A, ["192.0.2.99"]]], www: [[A, ["192.0.2.98"]]] }, { ttl: 60, minimum: 10 });
  const zs = new ZoneSet([parent, child]);

  it("the longest suffix wins", () => {
    expect(zs.find(n("www.sub"))).toBe(child);
    expect(zs.find(n("sub"))).toBe(child);
    expect(zs.find(n("mail"))).toBe(parent);
    const r = lookup(zs, n("www.sub"), A);
    expect(r).toMatchObject({ rcode: Rcode.NOERROR, aa: true, zone: child });
    expect(lines(r.answers)).toEqual([`${n("www.sub")} 60 A 192.0.2.98`]);
    expectNxdomain(lookup(zs, n("nope.sub"), A), child);
    expectNoData(lookup(zs, n("sub"), MX), child);
  });

  it("DS at the child apex is answered by the parent", () => {
    expectNoData(lookup(zs, n("sub"), DS), parent);
    // Without a delegation in the parent the child answers.
    const alone = new ZoneSet([zone(O, { "@": [[NS, [n("ns1")]]], ns1: [[A, ["192.0.2.53"]]] }), child]);
    expectNoData(lookup(alone, n("sub"), DS), child);
  });

  it("additionals use the child's data, not the parent's glue", () => {
    const p = sample({ "@": [[NS, [n("ns1")]], [MX, [{ preference: 1, exchange: n("www.sub") }, { preference: 2, exchange: n("ns.sub") }]]] });
    expect(lines(lookup(new ZoneSet([p]), O, MX).additionals)).toEqual([]);
    expect(lines(lookup(new ZoneSet([p, child]), O, MX).additionals)).toEqual([`${n("www.sub")} 60 A 192.0.2.98`, `${n("ns.sub")} 60 A 192.0.2.99`]);
  });
});

describe("lookup: CNAME", () => {
  const other = zone("other.test", { "@": [[NS, ["ns.other.test"]]], ns: [[A, ["192.0.2.200"]]], www: [[A, ["192.0.2.201"]]], alias: [[CNAME, ["www.other.test"]]], back: [[CNAME, [n("mail")]]] }, { ttl: 120, minimum: 30 });
  const z = sample({
    alias: [[CNAME, [n("mail")]]],
    alias2: [[CNAME, [n("alias")]]],
    dangling: [[CNAME, [n("nothing-here")]]],
    "to-net": [[CNAME, ["www.other.test"]]],
    "to-other-alias": [[CNAME, ["alias.other.test"]]],
    "to-other-nx": [[CNAME, ["nope.other.test"]]],
    "to-other-nodata": [[CNAME, ["www.other.test"]]],
    "round-trip": [[CNAME, ["back.other.test"]]],
    "to-cut": [[CNAME, [n("www.sub")]]],
    "to-mx": [[CNAME, [O]]],
    loop1: [[CNAME, [n("loop2")]]],
    loop2: [[CNAME, [n("loop1")]]],
    self: [[CNAME, [n("self")]]],
    host: [[A, ["192.0.2.33"]], [AAAA, ["2001:db8::33"]]],
    "*.wild": [[CNAME, [n("host")]]],
    "*.wloop": [[CNAME, [n("x.wloop")]]],
    ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`c${i}`, [[CNAME, [n(`c${i + 1}`)]]]])),
    c12: [[A, ["192.0.2.12"]]],
  } as Records);
  const zs = new ZoneSet([z, other]);

  it("chases inside the zone", () => {
    const r = lookup(zs, n("alias2"), A);
    expect(r).toMatchObject({ rcode: Rcode.NOERROR, aa: true, authorities: [], zone: z });
    expect(lines(r.answers)).toEqual([`${n("alias2")} 300 CNAME ${n("alias")}`, `${n("alias")} 300 CNAME ${n("mail")}`, `${n("mail")} 300 A 192.0.2.25`]);
  });

  it("chases across zones; the first zone is reported", () => {
    const r = lookup(zs, n("to-net"), A);
    expect(lines(r.answers)).toEqual([`${n("to-net")} 300 CNAME www.other.test`, "www.other.test 120 A 192.0.2.201"]);
    expect(r.zone).toBe(z);
    expect(lines(lookup(zs, n("to-other-alias"), A).answers)).toEqual([`${n("to-other-alias")} 300 CNAME alias.other.test`, "alias.other.test 120 CNAME www.other.test", "www.other.test 120 A 192.0.2.201"]);
    expect(lines(lookup(zs, n("round-trip"), A).answers)).toEqual([`${n("round-trip")} 300 CNAME back.other.test`, `back.other.test 120 CNAME ${n("mail")}`, `${n("mail")} 300 A 192.0.2.25`]);
  });

  it("the rcode is the last name's (RFC 6604), with that zone's SOA", () => {
    const nx = lookup(zs, n("dangling"), A);
    expect(nx).toMatchObject({ rcode: Rcode.NXDOMAIN, aa: true, zone: z });
    expect(lines(nx.answers)).toEqual([`${n("dangling")} 300 CNAME ${n("nothing-here")}`]);
    expect(nx.authorities).toEqual([z.negativeSoa]);
    const nx2 = lookup(zs, n("to-other-nx"), A);
    expect(nx2.rcode).toBe(Rcode.NXDOMAIN);
    expect(nx2.authorities).toEqual([other.negativeSoa]);
    const nodata = lookup(zs, n("to-other-nodata"), MX);
    expect(nodata.rcode).toBe(Rcode.NOERROR);
    expect(lines(nodata.answers)).toEqual([`${n("to-other-nodata")} 300 CNAME www.other.test`]);
    expect(nodata.authorities).toEqual([other.negativeSoa]);
  });

  it("stops at a target outside our zones or below a cut: the CNAMEs, NOERROR", () => {
    const out = lookup(zs, n("docs"), A);
    expect(out).toMatchObject({ rcode: Rcode.NOERROR, aa: true, authorities: [], additionals: [] });
    expect(lines(out.answers)).toEqual([`${n("docs")} 300 CNAME www.example.org`]);
    const cut = lookup(zs, n("to-cut"), A);
    expect(cut).toMatchObject({ rcode: Rcode.NOERROR, aa: true, authorities: [], additionals: [], requiredAdditionals: 0 });
    expect(lines(cut.answers)).toEqual([`${n("to-cut")} 300 CNAME ${n("www.sub")}`]);
  });

  it("stops at a loop without repeating a name", () => {
    const r = lookup(zs, n("loop1"), A);
    expect(r.rcode).toBe(Rcode.NOERROR);
    expect(lines(r.answers)).toEqual([`${n("loop1")} 300 CNAME ${n("loop2")}`, `${n("loop2")} 300 CNAME ${n("loop1")}`]);
    expect(lines(lookup(zs, n("self"), A).answers)).toEqual([`${n("self")} 300 CNAME ${n("self")}`]);
    // A wildcard CNAME pointing into itself: synthesized once, then the target repeats.
    expect(lines(lookup(zs, n("x.wloop"), A).answers)).toEqual([`${n("x.wloop")} 300 CNAME ${n("x.wloop")}`]);
    expect(lines(lookup(zs, n("y.wloop"), A).answers)).toEqual([`${n("y.wloop")} 300 CNAME ${n("x.wloop")}`, `${n("x.wloop")} 300 CNAME ${n("x.wloop")}`]);
  });

  it("stops after MAX_CNAME_CHAIN CNAMEs", () => {
    const r = lookup(zs, n("c0"), A);
    expect(r.rcode).toBe(Rcode.NOERROR);
    expect(r.answers.length).toBe(MAX_CNAME_CHAIN);
    expect(r.answers.every((a) => a.type === CNAME)).toBe(true);
    // A chain of exactly 8 CNAMEs still reaches its data.
    const eight = lookup(zs, n("c4"), A);
    expect(lines(eight.answers).at(-1)).toBe(`${n("c12")} 300 A 192.0.2.12`);
    expect(eight.answers.length).toBe(MAX_CNAME_CHAIN + 1);
  });

  it("asking for the CNAME, or ANY, does not chase", () => {
    expect(lines(lookup(zs, n("alias"), CNAME).answers)).toEqual([`${n("alias")} 300 CNAME ${n("mail")}`]);
    expect(lines(lookup(zs, n("alias"), ANY).answers)).toEqual([`${n("alias")} 300 CNAME ${n("mail")}`]);
  });

  it("a wildcard CNAME is synthesized at the qname, then chased", () => {
    expect(lines(lookup(zs, n("anything.wild"), AAAA).answers)).toEqual([`${n("anything.wild")} 300 CNAME ${n("host")}`, `${n("host")} 300 AAAA 2001:db8::33`]);
  });

  it("the final answer of a chain gets its additionals", () => {
    const r = lookup(zs, n("to-mx"), MX);
    expect(lines(r.answers)).toEqual([`${n("to-mx")} 300 CNAME ${O}`, `${O} 300 MX 10 ${n("mail")}`]);
    expect(lines(r.additionals)).toEqual([`${n("mail")} 300 A 192.0.2.25`]);
  });
});

describe("lookup: ANY (RFC 8482)", () => {
  const z = sample({ host: [[AAAA, ["2001:db8::33"]], [A, ["192.0.2.33"]], [TXT, [[Buffer.from("t")]]]] });
  const zs = new ZoneSet([z]);

  it("one RRset: the lowest type number", () => {
    expect(lines(lookup(zs, n("host"), ANY).answers)).toEqual([`${n("host")} 300 A 192.0.2.33`]);
    const apex = lookup(zs, O, ANY);
    expect(new Set(apex.answers.map((r) => r.type))).toEqual(new Set([NS]));
    // NS in the answer: its targets' addresses follow.
    expect(apex.additionals.length).toBe(3);
  });

  it("NODATA at an empty non-terminal; NXDOMAIN for a missing name", () => {
    expectNoData(lookup(zs, n("_tcp"), ANY), z);
    expectNxdomain(lookup(zs, n("nope"), ANY), z);
  });
});

describe("lookup: query names with escapes", () => {
  it("an escaped dot is inside a label", () => {
    const zs = new ZoneSet([sample()]);
    // One label "mail.lb" under example.com: not our zone.
    expect(lookup(zs, "mail\\.lb.example.com", A).rcode).toBe(Rcode.REFUSED);
    expectNxdomain(lookup(zs, `x\\.mail.${O}`, A), zs.zones[0]!);
    expect(lines(lookup(zs, `x\\.y.dev.${O}`, A).answers)).toEqual([`x\\.y.dev.${O} 60 A 192.0.2.80`]);
  });
});
