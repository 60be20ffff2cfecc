// Unit tests of the codec: names, record types, EDNS options, truncation, extended rcodes.

import { describe, expect, it } from "vitest";
import { Reader, Writer } from "./buffer.js";
import { decodeClientSubnet, decodeCookie, encodeClientSubnet } from "./edns.js";
import { canonicalIPv6, parseIPv4 } from "./ip.js";
import { decodeMessage, encodeMessage } from "./message.js";
import { CompressionTable, readName, writeName } from "./name.js";
import type { Message, ResourceRecord } from "./types.js";

const msg = (over: Partial<Message> = {}): Message => ({
  id: 1, qr: true, opcode: 0, aa: true, tc: false, rd: false, ra: false, z: false, ad: false, cd: false, rcode: 0,
  questions: [{ name: "www.example.com", type: 1, class: 1 }], answers: [], authorities: [], additionals: [], edns: null, ...over,
});
const a = (name: string, addr: string): ResourceRecord => ({ name, type: 1, class: 1, ttl: 60, data: addr });
const roundTrip = (m: Message, maxSize = 65535) => {
  const { bytes } = encodeMessage(m, { maxSize });
  const d = decodeMessage(bytes);
  if (!d.ok) throw new Error(d.error.reason);
  return d.message;
};
const nameBytes = (text: string) => {
  const w = new Writer(Buffer.alloc(300));
  writeName(w, new CompressionTable(), text, false);
  return w.buf.subarray(0, w.pos);
};
const decodeName = (bytes: number[], at = 0) => readName(new Reader(Buffer.from(bytes), at));

describe("names", () => {
  it("round-trip escapes and letter case exactly", () => {
    for (const n of ["", "a", "WwW.ExAmPlE.CoM", "a\\.b.c", "back\\\\slash", "sp\\032ace", "\\000\\255.x", "_sip._tcp.x", "*.dev.x"]) {
      const m = roundTrip(msg({ questions: [{ name: n, type: 1, class: 1 }] }));
      expect(m.questions[0]!.name).toBe(n);
    }
  });

  it("accept 63-byte labels and 255-byte names, refuse longer", () => {
    const l63 = "a".repeat(63);
    expect(nameBytes(l63).length).toBe(65);
    expect(() => nameBytes("a".repeat(64))).toThrow(/63/);
    const n255 = [l63, l63, l63, "a".repeat(61)].join("."); // 64*3 + 62 + 1 = 255
    expect(nameBytes(n255).length).toBe(255);
    expect(() => nameBytes(n255 + "a")).toThrow(/255/);
    // On the wire: a 64-byte label has the reserved 0x40 type bits.
    expect(() => decodeName([64, ...Array(64).fill(97), 0])).toThrow(/label type/);
  });

  it("follow backward pointers, refuse forward, self and looping ones", () => {
    // "b" at 0, then "a" + pointer to 0 at 3 → "a.b".
    expect(decodeName([1, 98, 0, 1, 97, 0xc0, 0], 3)).toBe("a.b");
    expect(() => decodeName([0xc0, 0])).toThrow(/backward/);
    expect(() => decodeName([0xc0, 2, 1, 97, 0])).toThrow(/backward/);
    // 0: "a" → pointer to 3; 3: pointer to 0: a loop.
    expect(() => decodeName([1, 97, 0xc0, 4, 0xc0, 0], 4)).toThrow(/backward/);
  });

  it("compress case-insensitively to earlier names", () => {
    const bytes = encodeMessage(msg({ questions: [{ name: "WWW.Example.COM", type: 1, class: 1 }], answers: [a("www.example.com", "192.0.2.1")] }), { maxSize: 512 }).bytes;
    // Question ends at 12 + 17 + 4 = 33; the answer owner is a 2-byte pointer to 12.
    expect(bytes.readUInt16BE(33)).toBe(0xc000 | 12);
    expect(roundTrip(msg({ answers: [a("mail.example.com", "192.0.2.1")] })).answers[0]!.name).toBe("mail.example.com");
  });
});

describe("record types", () => {
  it("round-trip every zone type", () => {
    const records: ResourceRecord[] = [
      a("x.example.com", "192.0.2.1"),
      { name: "x.example.com", type: 28, class: 1, ttl: 1, data: "2001:db8::1" },
      { name: "x.example.com", type: 2, class: 1, ttl: 1, data: "ns.example.com" },
      { name: "x.example.com", type: 5, class: 1, ttl: 1, data: "y.example.com" },
      { name: "x.example.com", type: 12, class: 1, ttl: 1, data: "p.example.com" },
      { name: "x.example.com", type: 15, class: 1, ttl: 1, data: { preference: 10, exchange: "mail.example.com" } },
      { name: "x.example.com", type: 6, class: 1, ttl: 1, data: { mname: "ns.example.com", rname: "h.example.com", serial: 4294967295, refresh: 1, retry: 2, expire: 3, minimum: 4 } },
      { name: "x.example.com", type: 16, class: 1, ttl: 1, data: [Buffer.from("a"), Buffer.alloc(0), Buffer.alloc(255, 120)] },
      { name: "x.example.com", type: 33, class: 1, ttl: 1, data: { priority: 1, weight: 2, port: 65535, target: "t.example.com" } },
      { name: "x.example.com", type: 257, class: 1, ttl: 1, data: { flags: 128, tag: "issue", value: Buffer.from("ca.example; x=y") } },
      { name: "x.example.com", type: 99, class: 1, ttl: 1, data: Buffer.from([1, 2, 3]) },
    ];
    expect(roundTrip(msg({ answers: records })).answers).toEqual(records);
  });

  it("never compresses SRV targets (RFC 2782, 3597)", () => {
    const bytes = encodeMessage(msg({ answers: [{ name: "www.example.com", type: 33, class: 1, ttl: 1, data: { priority: 1, weight: 1, port: 1, target: "www.example.com" } }] }), { maxSize: 512 }).bytes;
    expect(bytes.includes(Buffer.from([3, 119, 119, 119, 7]), 34)).toBe(true);
  });

  it("writes AAAA in RFC 5952 form and parses IPv4 strictly", () => {
    expect(canonicalIPv6("2001:DB8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIPv6("2001:db8:0:0:0:0:2:1")).toBe("2001:db8::2:1");
    expect(canonicalIPv6("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1");
    expect(canonicalIPv6("::")).toBe("::");
    expect(canonicalIPv6("::ffff:192.0.2.1")).toBe("::ffff:c000:201");
    expect(canonicalIPv6("1::2::3")).toBeNull();
    expect(parseIPv4("192.0.2.1")).toEqual(Buffer.from([192, 0, 2, 1]));
    for (const bad of ["192.0.2", "192.0.2.256", "192.0.02.1", "1.2.3.4.5", "a.b.c.d", ""]) expect(parseIPv4(bad)).toBeNull();
  });

  it("rejects RDATA of the wrong length", () => {
    const bytes = encodeMessage(msg({ answers: [a("x.example.com", "192.0.2.1")] }), { maxSize: 512 }).bytes;
    const bad = Buffer.from(bytes);
    bad.writeUInt16BE(5, bad.length - 6); // RDLENGTH 5 for an A record
    expect(decodeMessage(bad).ok).toBe(false);
  });
});

describe("EDNS", () => {
  it("lifts the OPT out and carries extended rcodes (BADVERS = 16)", () => {
    const edns = { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, z: 0, options: [{ code: 10, data: Buffer.alloc(8, 1) }] };
    const m = roundTrip(msg({ rcode: 16, edns }));
    expect(m.rcode).toBe(16);
    expect(m.edns).toEqual({ ...edns, extendedRcode: 1 });
    expect(() => encodeMessage(msg({ rcode: 16 }), { maxSize: 512 })).toThrow(/OPT/);
  });

  it("refuses two OPT records and OPT outside the additional section", () => {
    const one = encodeMessage(msg({ edns: { udpSize: 512, extendedRcode: 0, version: 0, dnssecOk: false, z: 0, options: [] } }), { maxSize: 512 }).bytes;
    const opt = one.subarray(one.length - 11);
    const two = Buffer.concat([one, opt]);
    two.writeUInt16BE(2, 10);
    expect(decodeMessage(two)).toMatchObject({ ok: false, error: { reason: "multiple OPT records" } });
    const inAnswer = Buffer.from(one);
    inAnswer.writeUInt16BE(1, 6);
    inAnswer.writeUInt16BE(0, 10);
    expect(decodeMessage(inAnswer).ok).toBe(false);
  });

  it("validates client subnet options (RFC 7871 §6)", () => {
    expect(decodeClientSubnet(Buffer.from([0, 1, 24, 0, 192, 0, 2]))).toEqual({ family: 1, sourcePrefix: 24, scopePrefix: 0, address: "192.0.2.0", bytes: Buffer.from([192, 0, 2, 0]) });
    expect(decodeClientSubnet(Buffer.from([0, 2, 56, 0, 0x20, 1, 0xd, 0xb8, 0, 0, 1]))).toMatchObject({ family: 2, sourcePrefix: 56, scopePrefix: 0, address: "2001:db8:0:100::" });
    expect(decodeClientSubnet(Buffer.from([0, 1, 0, 0]))).toMatchObject({ family: 1, sourcePrefix: 0, scopePrefix: 0, address: "0.0.0.0" });
    expect(decodeClientSubnet(Buffer.from([0, 1, 23, 0, 192, 0, 3]))).toMatch(/beyond/);
    expect(decodeClientSubnet(Buffer.from([0, 1, 24, 0, 192, 0]))).toMatch(/needs 3/);
    expect(decodeClientSubnet(Buffer.from([0, 3, 0, 0]))).toMatch(/family/);
    expect(decodeClientSubnet(Buffer.from([0, 1, 33, 0, 1, 2, 3, 4, 5]))).toMatch(/longer than 32/);
    expect(decodeClientSubnet(Buffer.from([0, 1]))).toMatch(/shorter/);
    const ecs = { family: 2 as const, sourcePrefix: 56, scopePrefix: 48, address: "2001:db8:0:100::" };
    expect(decodeClientSubnet(encodeClientSubnet(ecs))).toMatchObject(ecs);
  });

  it("validates cookie lengths (RFC 7873 §4)", () => {
    expect(decodeCookie(Buffer.alloc(8))).toMatchObject({ server: null });
    expect((decodeCookie(Buffer.alloc(40)) as any).server.length).toBe(32);
    for (const n of [0, 7, 9, 15, 41]) expect(typeof decodeCookie(Buffer.alloc(n))).toBe("string");
  });
});

describe("truncation", () => {
  const edns = { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, z: 0, options: [{ code: 3, data: Buffer.from("nsid") }] };
  const many = (n: number, prefix = "198.51.100.") => Array.from({ length: n }, (_, i) => a("www.example.com", prefix + (i + 1)));

  it("answers that do not fit: TC=1 with the question and OPT only", () => {
    const { bytes, truncated } = encodeMessage(msg({ answers: many(40), edns }), { maxSize: 512 });
    expect(truncated).toBe(true);
    expect(bytes.length).toBeLessThanOrEqual(512);
    const m = decodeMessage(bytes);
    expect(m.ok && m.message.tc && m.message.questions.length === 1 && m.message.answers.length === 0 && m.message.edns?.options[0]?.code === 3).toBe(true);
  });

  it("optional additionals are dropped by whole RRset without TC; required ones force TC", () => {
    const add = [...many(3, "192.0.2."), ...many(30, "203.0.113.").map((r) => ({ ...r, name: "other.example.com" }))];
    const r = encodeMessage(msg({ answers: many(5), additionals: add, edns }), { maxSize: 512 });
    expect(r.truncated).toBe(false);
    const m = decodeMessage(r.bytes);
    expect(m.ok && m.message.additionals.length).toBe(3);
    expect(m.ok && m.message.edns !== null).toBe(true);
    const required = encodeMessage(msg({ answers: many(5), additionals: add, edns }), { maxSize: 512, requiredAdditionals: 33 });
    expect(required.truncated).toBe(true);
  });

  it("an exact fit is not truncated", () => {
    const m = msg({ answers: many(3) });
    const size = encodeMessage(m, { maxSize: 65535 }).bytes.length;
    expect(encodeMessage(m, { maxSize: size }).truncated).toBe(false);
    expect(encodeMessage(m, { maxSize: size - 1 }).truncated).toBe(true);
  });
});
