// Issue 2 §5: EDNS0 (RFC 6891), client subnet (RFC 7871), cookies (RFC 7873/9018), NSID (RFC 5001),
// CHAOS identity, UDP size limits and truncation, through a real server on loopback.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dnsPacket from "dns-packet";
import { ednsOptions, flagsOf, makeQuery, opt, tcpExchange, udpExchange, udpQuery } from "./support/client.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { richZone } from "./support/zones.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ "lb.example.com.json": richZone() }, { nsid: Buffer.from("test-ns-1"), chaos: { hostname: "test-ns-1", version: "gslb test" } });
});
afterAll(() => t.close());

const ECS = 8, COOKIE = 10, NSID = 3;
const ecs = (family: number, source: number, scope: number, addr: number[]) =>
  ({ code: ECS, data: Buffer.from([0, family, source, scope, ...addr]) });
const raw = async (q: Buffer) => (await udpExchange(t.port, q))!;
const optOf = (reply: Buffer) => (dnsPacket.decode(reply).additionals ?? []).find((r: any) => r.type === "OPT") as any;

describe("EDNS0", () => {
  it("puts an OPT in the reply only when the query had one", async () => {
    expect(ednsOptions(await udpQuery(t.port, "ns1.lb.example.com"))).toBeNull();
    const p = await udpQuery(t.port, "ns1.lb.example.com", "A", { additionals: [opt()] });
    const o = (p.additionals ?? []).find((r: any) => r.type === "OPT") as any;
    expect(o).toBeDefined();
    expect(o.udpPayloadSize).toBe(1232);
    expect(o.ednsVersion).toBe(0);
    expect(o.options).toEqual([]);
  });

  it("answers BADVERS (16) to EDNS version > 0, with version 0 in the OPT", async () => {
    const q = makeQuery("ns1.lb.example.com", "A", { additionals: [{ ...opt(), ednsVersion: 1 }] });
    const reply = await raw(q);
    expect(reply.readUInt16BE(0)).toBe(q.readUInt16BE(0));
    const o = optOf(reply);
    // Full rcode = OPT extended rcode << 4 | header rcode = 1 << 4 | 0.
    expect((o.extendedRcode << 4) | flagsOf(reply).rcode).toBe(16);
    expect(o.ednsVersion).toBe(0);
    expect(dnsPacket.decode(reply).answers).toEqual([]);
  });

  it("answers FORMERR to two OPT records", async () => {
    const reply = await raw(makeQuery("ns1.lb.example.com", "A", { additionals: [opt(), opt()] }));
    expect(flagsOf(reply).rcode).toBe(1);
  });

  it("ignores unknown options and does not echo them", async () => {
    const p = await udpQuery(t.port, "ns1.lb.example.com", "A", { additionals: [opt([{ code: 65001, data: Buffer.from("hi") }])] });
    expect((p as any).rcode).toBe("NOERROR");
    expect(p.answers).toHaveLength(1);
    expect(ednsOptions(p)).toEqual([]);
  });

  it("copies the DO bit", async () => {
    const p = await udpQuery(t.port, "ns1.lb.example.com", "A", { additionals: [opt([], 1232, dnsPacket.DNSSEC_OK)] });
    const o = (p.additionals ?? []).find((r: any) => r.type === "OPT") as any;
    expect(o.flags & dnsPacket.DNSSEC_OK).toBe(dnsPacket.DNSSEC_OK);
  });
});

describe("UDP size and truncation", () => {
  it("caps replies at 512 without EDNS: TC=1, question kept, sections empty", async () => {
    const q = makeQuery("big.lb.example.com");
    const reply = await raw(q);
    expect(reply.length).toBeLessThanOrEqual(512);
    expect(flagsOf(reply).tc).toBe(true);
    const p = dnsPacket.decode(reply);
    expect(p.questions).toEqual([{ name: "big.lb.example.com", type: "A", class: "IN" }]);
    expect(p.answers).toEqual([]);
  });

  it("sends the whole RRset when the client's EDNS size allows", async () => {
    const reply = await raw(makeQuery("big.lb.example.com", "A", { additionals: [opt([], 1232)] }));
    expect(flagsOf(reply).tc).toBe(false);
    expect(dnsPacket.decode(reply).answers).toHaveLength(40);
  });

  it("honours a client size below ours, and keeps the OPT when truncating", async () => {
    const reply = await raw(makeQuery("big.lb.example.com", "A", { additionals: [opt([{ code: NSID, data: Buffer.alloc(0) }], 600)] }));
    expect(reply.length).toBeLessThanOrEqual(600);
    expect(flagsOf(reply).tc).toBe(true);
    const o = optOf(reply);
    expect(o).toBeDefined();
    expect(dnsPacket.decode(reply).questions).toHaveLength(1);
  });

  it("never exceeds our own limit (1232) even when the client offers 4096; TCP gets it all", async () => {
    const reply = await raw(makeQuery("huge.lb.example.com", "A", { additionals: [opt([], 4096)] }));
    expect(reply.length).toBeLessThanOrEqual(1232);
    expect(flagsOf(reply).tc).toBe(true);
    const [tcp] = await tcpExchange(t.port, [makeQuery("huge.lb.example.com", "A", { additionals: [opt([], 4096)] })]);
    expect(flagsOf(tcp!).tc).toBe(false);
    expect(dnsPacket.decode(tcp!).answers).toHaveLength(100);
  });

  it("raises the limit with --udp-size", async () => {
    const big = await startTestServer({ "lb.example.com.json": richZone() }, { udpSize: 4096 });
    try {
      const reply = (await udpExchange(big.port, makeQuery("huge.lb.example.com", "A", { additionals: [opt([], 4096)] })))!;
      expect(flagsOf(reply).tc).toBe(false);
      expect(dnsPacket.decode(reply).answers).toHaveLength(100);
      expect(optOf(reply).udpPayloadSize).toBe(4096);
    } finally {
      await big.close();
    }
  });

  it("splits long TXT strings into 255-byte character-strings", async () => {
    const p = await udpQuery(t.port, "longtxt.lb.example.com", "TXT", { additionals: [opt()] });
    const strings = (p.answers![0] as any).data as Buffer[];
    expect(strings.map((s) => s.length)).toEqual([255, 255, 90]);
  });
});

describe("EDNS Client Subnet (RFC 7871)", () => {
  it("echoes family, source prefix and address with scope 0 on static answers (IPv4 /24)", async () => {
    const p = await udpQuery(t.port, "ns1.lb.example.com", "A", { additionals: [opt([ecs(1, 24, 0, [198, 51, 100])])] });
    expect(ednsOptions(p)).toEqual([{ code: ECS, data: Buffer.from([0, 1, 24, 0, 198, 51, 100]) }]);
  });

  it("echoes IPv6 with an odd number of address bytes (/56 = 7 bytes)", async () => {
    const addr = [0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56];
    const p = await udpQuery(t.port, "ns1.lb.example.com", "A", { additionals: [opt([ecs(2, 56, 0, addr)])] });
    expect(ednsOptions(p)).toEqual([{ code: ECS, data: Buffer.from([0, 2, 56, 0, ...addr]) }]);
  });

  it("echoes source prefix 0 with scope 0", async () => {
    const p = await udpQuery(t.port, "ns1.lb.example.com", "A", { additionals: [opt([ecs(1, 0, 0, [])])] });
    expect(ednsOptions(p)).toEqual([{ code: ECS, data: Buffer.from([0, 1, 0, 0]) }]);
  });

  it.each([
    ["bits set beyond the source prefix", [ecs(1, 20, 0, [198, 51, 101])]],
    ["too many address bytes", [ecs(1, 8, 0, [198, 51])]],
    ["too few address bytes", [ecs(1, 24, 0, [198, 51])]],
    ["unknown family", [ecs(3, 0, 0, [])]],
    ["source prefix over 32 for IPv4", [ecs(1, 33, 0, [1, 2, 3, 4, 5])]],
    ["non-zero scope in a query", [ecs(1, 24, 24, [198, 51, 100])]],
    ["two ECS options", [ecs(1, 24, 0, [198, 51, 100]), ecs(1, 24, 0, [198, 51, 100])]],
    ["a truncated option", [{ code: ECS, data: Buffer.from([0, 1, 24]) }]],
  ])("answers FORMERR to a malformed option: %s", async (_what, options) => {
    const reply = await raw(makeQuery("ns1.lb.example.com", "A", { additionals: [opt(options)] }));
    expect(flagsOf(reply).rcode).toBe(1);
  });
});

describe("DNS cookies (RFC 7873, 9018)", () => {
  const client = Buffer.from("0123456789abcdef", "hex");
  const cookieOf = (reply: Buffer) => ednsOptions(dnsPacket.decode(reply))!.find((o) => o.code === COOKIE)!.data;

  it("returns a server cookie to a client cookie, and keeps a fresh valid one", async () => {
    const first = await raw(makeQuery("ns1.lb.example.com", "A", { additionals: [opt([{ code: COOKIE, data: client }])] }));
    const c1 = cookieOf(first);
    expect(c1.length).toBe(24);
    expect(c1.subarray(0, 8).equals(client)).toBe(true);
    expect(c1[8]).toBe(1); // RFC 9018 version
    const second = await raw(makeQuery("ns1.lb.example.com", "A", { additionals: [opt([{ code: COOKIE, data: c1 }])] }));
    expect(flagsOf(second).rcode).toBe(0);
    expect(cookieOf(second).equals(c1)).toBe(true);
  });

  it("replaces a server cookie it did not make, and still answers", async () => {
    const forged = Buffer.concat([client, Buffer.from("01000000", "hex"), Buffer.alloc(12, 7)]);
    const reply = await raw(makeQuery("ns1.lb.example.com", "A", { additionals: [opt([{ code: COOKIE, data: forged }])] }));
    expect(flagsOf(reply).rcode).toBe(0);
    expect(dnsPacket.decode(reply).answers).toHaveLength(1);
    const c = cookieOf(reply);
    expect(c.subarray(0, 8).equals(client)).toBe(true);
    expect(c.subarray(8).equals(forged.subarray(8))).toBe(false);
  });

  it.each([5, 9, 15, 41])("answers FORMERR to a %d-byte cookie", async (len) => {
    const reply = await raw(makeQuery("ns1.lb.example.com", "A", { additionals: [opt([{ code: COOKIE, data: Buffer.alloc(len, 1) }])] }));
    expect(flagsOf(reply).rcode).toBe(1);
  });

  it("never serves one client's cookie to another (cookie replies are not cached)", async () => {
    const q = makeQuery("ns1.lb.example.com", "A", { additionals: [opt([{ code: COOKIE, data: client }])] });
    const a = cookieOf((await udpExchange(t.port, q, { from: "127.0.0.1" }))!);
    const b = cookieOf((await udpExchange(t.port, q, { from: "127.0.0.2" }))!);
    expect(a.subarray(0, 8).equals(b.subarray(0, 8))).toBe(true);
    expect(a.subarray(16).equals(b.subarray(16))).toBe(false);
  });

  it("includes the cookie in truncated replies too", async () => {
    const reply = await raw(makeQuery("huge.lb.example.com", "A", { additionals: [opt([{ code: COOKIE, data: client }])] }));
    expect(flagsOf(reply).tc).toBe(true);
    expect(cookieOf(reply).length).toBe(24);
  });
});

describe("NSID and CHAOS identity", () => {
  it("returns NSID only when asked", async () => {
    const asked = await udpQuery(t.port, "ns1.lb.example.com", "A", { additionals: [opt([{ code: NSID, data: Buffer.alloc(0) }])] });
    expect(ednsOptions(asked)).toEqual([{ code: NSID, data: Buffer.from("test-ns-1") }]);
    const notAsked = await udpQuery(t.port, "ns1.lb.example.com", "A", { additionals: [opt()] });
    expect(ednsOptions(notAsked)).toEqual([]);
  });

  it.each([["id.server", "test-ns-1"], ["hostname.bind", "test-ns-1"], ["version.bind", "gslb test"], ["VERSION.BIND", "gslb test"]])(
    "answers CH TXT %s", async (name, text) => {
      const reply = await raw(dnsPacket.encode({ type: "query", id: 9, questions: [{ name, type: "TXT", class: "CH" }] }));
      const p = dnsPacket.decode(reply);
      expect((p as any).rcode).toBe("NOERROR");
      expect(p.answers!.map((r: any) => [r.name, r.class, r.data.map(String)])).toEqual([[name, "CH", [text]]]);
    });

  it("refuses other CHAOS names, and everything CHAOS when turned off", async () => {
    const q = (name: string) => dnsPacket.encode({ type: "query", id: 9, questions: [{ name, type: "TXT", class: "CH" }] });
    expect(flagsOf((await udpExchange(t.port, q("authors.bind")))!).rcode).toBe(5);
    const off = await startTestServer({ "lb.example.com.json": richZone() }, { chaos: null, nsid: null });
    try {
      expect(flagsOf((await udpExchange(off.port, q("version.bind")))!).rcode).toBe(5);
      const p = await udpQuery(off.port, "ns1.lb.example.com", "A", { additionals: [opt([{ code: NSID, data: Buffer.alloc(0) }])] });
      expect(ednsOptions(p)).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
