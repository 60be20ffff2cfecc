// Issue 2 §4: authoritative answers (RFC 1034 §4.3.2, 2308, 4592, 6604, 8020, 8482), through a real
// server on loopback, over UDP and TCP, decoded by dns-packet.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dnsPacket from "dns-packet";
import { flagsOf, makeQuery, tcpQuery, udpExchange, udpQuery, type DecodedPacket } from "./support/client.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { childZone, otherZone, richZone } from "./support/zones.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ "lb.example.com.json": richZone(), "other.test.json": otherZone(), "sub.lb.example.com.json": childZone() });
});
afterAll(() => t.close());

const data = (p: DecodedPacket, section: "answers" | "authorities" | "additionals" = "answers") =>
  (p[section] ?? []).filter((r: any) => r.type !== "OPT").map((r: any) => `${r.name} ${r.ttl} ${r.type} ${typeof r.data === "object" && !Buffer.isBuffer(r.data) && !Array.isArray(r.data) ? JSON.stringify(r.data) : Array.isArray(r.data) ? r.data.map(String).join("|") : String(r.data)}`);
const aa = (p: DecodedPacket) => ((p.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0;
const rcode = (p: DecodedPacket) => (p as any).rcode;

describe.each(["udp", "tcp"] as const)("answers over %s", (proto) => {
  const q = (name: string, type = "A") => (proto === "udp" ? udpQuery(t.port, name, type) : tcpQuery(t.port, name, type));

  it("answers A with AA and the zone TTL", async () => {
    const p = await q("ns1.lb.example.com");
    expect(rcode(p)).toBe("NOERROR");
    expect(aa(p)).toBe(true);
    expect(data(p)).toEqual(["ns1.lb.example.com 300 A 192.0.2.53"]);
    expect(p.authorities).toEqual([]);
  });

  it("answers AAAA, MX, TXT, SRV, CAA, NS, SOA", async () => {
    expect(data(await q("ns2.lb.example.com", "AAAA"))).toEqual(["ns2.lb.example.com 300 AAAA 2001:db8::53"]);
    const mx = await q("lb.example.com", "MX");
    expect(data(mx)).toEqual(['lb.example.com 300 MX {"preference":10,"exchange":"mail.lb.example.com"}']);
    // In-zone address of the MX target goes in additional.
    expect(data(mx, "additionals")).toEqual(["mail.lb.example.com 300 A 192.0.2.25"]);
    expect(data(await q("lb.example.com", "TXT"))).toEqual(["lb.example.com 300 TXT v=spf1 -all"]);
    const srv = await q("_sip._tcp.lb.example.com", "SRV");
    expect(data(srv)).toEqual(['_sip._tcp.lb.example.com 300 SRV {"priority":10,"weight":5,"port":5060,"target":"mail.lb.example.com"}']);
    expect(data(srv, "additionals")).toEqual(["mail.lb.example.com 300 A 192.0.2.25"]);
    const caa = await q("lb.example.com", "CAA");
    expect((caa.answers![0] as any).data).toMatchObject({ flags: 0, tag: "issue", value: "letsencrypt.org" });
    const ns = await q("lb.example.com", "NS");
    expect(data(ns).sort()).toEqual(["lb.example.com 300 NS ns1.lb.example.com", "lb.example.com 300 NS ns2.lb.example.com"]);
    expect(data(ns, "additionals").sort()).toEqual([
      "ns1.lb.example.com 300 A 192.0.2.53", "ns2.lb.example.com 300 A 198.51.100.53", "ns2.lb.example.com 300 AAAA 2001:db8::53",
    ]);
    const soa = await q("lb.example.com", "SOA");
    expect((soa.answers![0] as any).data).toMatchObject({ mname: "ns1.lb.example.com", rname: "hostmaster.example.com", serial: 2026112201, minimum: 60 });
  });

  it("NXDOMAIN carries the SOA with TTL = min(SOA TTL, minimum)", async () => {
    const p = await q("nope.lb.example.com");
    expect(rcode(p)).toBe("NXDOMAIN");
    expect(aa(p)).toBe(true);
    expect(p.answers).toEqual([]);
    expect(p.authorities!.map((r: any) => [r.name, r.type, r.ttl])).toEqual([["lb.example.com", "SOA", 60]]);
  });

  it("NODATA carries the SOA; empty non-terminals are NODATA, not NXDOMAIN (RFC 8020)", async () => {
    for (const [name, type] of [["mail.lb.example.com", "AAAA"], ["b.deep.lb.example.com", "A"], ["deep.lb.example.com", "TXT"], ["_tcp.lb.example.com", "SRV"]]) {
      const p = await q(name!, type);
      expect(rcode(p), name).toBe("NOERROR");
      expect(aa(p)).toBe(true);
      expect(p.answers).toEqual([]);
      expect(p.authorities!.map((r: any) => [r.type, r.ttl])).toEqual([["SOA", 60]]);
    }
  });

  it("wildcards synthesize with owner = qname, under an empty non-terminal, never covering existing names", async () => {
    const p = await q("x.dev.lb.example.com");
    expect(data(p)).toEqual(["x.dev.lb.example.com 60 A 192.0.2.80"]);
    expect(aa(p)).toBe(true);
    expect(data(await q("a.b.dev.lb.example.com"))).toEqual(["a.b.dev.lb.example.com 60 A 192.0.2.80"]);
    // "dev" exists (an empty non-terminal above the wildcard): NODATA.
    const dev = await q("dev.lb.example.com");
    expect(rcode(dev)).toBe("NOERROR");
    expect(dev.answers).toEqual([]);
    // The wildcard matches only A here: other types at a synthesized name are NODATA.
    const mx = await q("x.dev.lb.example.com", "MX");
    expect(rcode(mx)).toBe("NOERROR");
    expect(mx.answers).toEqual([]);
    // An existing name is never covered: b.deep exists (ENT), so "x.b.deep" is NXDOMAIN.
    expect(rcode(await q("x.b.deep.lb.example.com"))).toBe("NXDOMAIN");
  });

  it("chases CNAMEs inside our zones, across zones, and reports the last name's rcode (RFC 6604)", async () => {
    expect(data(await q("alias2.lb.example.com"))).toEqual([
      "alias2.lb.example.com 300 CNAME alias.lb.example.com",
      "alias.lb.example.com 300 CNAME mail.lb.example.com",
      "mail.lb.example.com 300 A 192.0.2.25",
    ]);
    expect(data(await q("to-net.lb.example.com"))).toEqual([
      "to-net.lb.example.com 300 CNAME www.other.test",
      "www.other.test 120 A 192.0.2.201",
    ]);
    const dangling = await q("dangling.lb.example.com");
    expect(rcode(dangling)).toBe("NXDOMAIN");
    expect(data(dangling)).toEqual(["dangling.lb.example.com 300 CNAME nothing-here.lb.example.com"]);
    expect(dangling.authorities!.map((r: any) => r.type)).toEqual(["SOA"]);
    const out = await q("outside.lb.example.com");
    expect(rcode(out)).toBe("NOERROR");
    expect(data(out)).toEqual(["outside.lb.example.com 300 CNAME elsewhere.example.org"]);
    // Asking for the CNAME itself does not chase.
    expect(data(await q("alias.lb.example.com", "CNAME"))).toEqual(["alias.lb.example.com 300 CNAME mail.lb.example.com"]);
    // A wildcard CNAME is synthesized at the qname, then chased.
    expect(data(await q("anything.wild.lb.example.com", "AAAA"))).toEqual([
      "anything.wild.lb.example.com 300 CNAME host.lb.example.com",
      "host.lb.example.com 300 AAAA 2001:db8::33",
    ]);
  });

  it("the child zone wins over the parent's delegation (longest suffix)", async () => {
    const p = await q("www.sub.lb.example.com");
    expect(aa(p)).toBe(true);
    expect(data(p)).toEqual(["www.sub.lb.example.com 60 A 192.0.2.98"]);
  });

  it("names outside every zone are REFUSED", async () => {
    const p = await q("www.example.org");
    expect(rcode(p)).toBe("REFUSED");
    expect(aa(p)).toBe(false);
    expect(p.answers).toEqual([]);
  });

  it("ANY gets a minimal answer of one RRset (RFC 8482)", async () => {
    const p = await q("host.lb.example.com", "ANY");
    expect(rcode(p)).toBe("NOERROR");
    expect(p.answers!.length).toBeGreaterThan(0);
    expect(new Set(p.answers!.map((r: any) => r.type)).size).toBe(1);
  });
});

describe("delegations", () => {
  // Without the child zone loaded, "sub" is a plain delegation.
  let parent: TestServer;
  beforeAll(async () => { parent = await startTestServer({ "lb.example.com.json": richZone() }); });
  afterAll(() => parent.close());

  it("answers a referral: AA=0, NS in authority, glue in additional", async () => {
    for (const name of ["sub.lb.example.com", "www.sub.lb.example.com", "a.b.sub.lb.example.com"]) {
      const p = await udpQuery(parent.port, name, "A");
      expect(rcode(p), name).toBe("NOERROR");
      expect(aa(p), name).toBe(false);
      expect(p.answers).toEqual([]);
      expect(data(p, "authorities")).toEqual(["sub.lb.example.com 300 NS ns.sub.lb.example.com"]);
      expect(data(p, "additionals")).toEqual(["ns.sub.lb.example.com 300 A 192.0.2.99"]);
    }
  });

  it("answers DS at the cut from the parent: NODATA, authoritative", async () => {
    const p = await udpQuery(parent.port, "sub.lb.example.com", "DS");
    expect(rcode(p)).toBe("NOERROR");
    expect(aa(p)).toBe(true);
    expect(data(p, "authorities").map((r) => r.split(" ")[2])).toEqual(["SOA"]);
  });
});

describe("question echo (0x20)", () => {
  it("echoes the question's letter case byte for byte, and answer owners follow it", async () => {
    const name = "NS1.lB.ExAmPlE.cOm";
    const query = makeQuery(name, "A");
    const reply = (await udpExchange(t.port, query))!;
    const qEnd = 12 + name.length + 2 + 4;
    expect(reply.subarray(12, qEnd).equals(query.subarray(12, qEnd))).toBe(true);
    expect(flagsOf(reply).aa).toBe(true);
    expect(dnsPacket.decode(reply).answers![0]!.name).toBe(name);
  });
});
