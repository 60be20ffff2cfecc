// Property tests against two independent implementations (dns-packet 5.6.1 and dns2 3.1.1), and
// fuzzing: random or mutated bytes make decodeMessage return an error, never throw, never loop.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import dnsPacket from "dns-packet";
import dns2 from "dns2";
import { canonicalIPv6, parseIPv6 } from "./ip.js";
import { decodeMessage, encodeMessage } from "./message.js";
import type { Message, RData, ResourceRecord } from "./types.js";

const label = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/);
const ldhName = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join("."));
/** Labels of arbitrary bytes, in our escaped text form. */
const anyName = fc.array(fc.uint8Array({ minLength: 1, maxLength: 12 }), { minLength: 0, maxLength: 4 }).map((ls) =>
  ls.map((bytes) => Array.from(bytes, (b) => (b === 0x2e || b === 0x5c ? "\\" + String.fromCharCode(b) : b < 0x21 || b > 0x7e ? "\\" + String(b).padStart(3, "0") : String.fromCharCode(b))).join("")).join("."));
const u16 = fc.integer({ min: 0, max: 65535 });
const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const ascii = fc.stringMatching(/^[ -~]{0,40}$/);

const rdata: fc.Arbitrary<{ type: number; data: RData }> = fc.oneof(
  fc.ipV4().map((data) => ({ type: 1, data })),
  fc.ipV6().filter((t) => !t.includes(".")).map((t) => ({ type: 28, data: canonicalIPv6(t)! })),
  ldhName.map((data) => ({ type: 2, data })),
  ldhName.map((data) => ({ type: 5, data })),
  ldhName.map((data) => ({ type: 12, data })),
  fc.record({ preference: u16, exchange: ldhName }).map((data) => ({ type: 15, data })),
  fc.record({ mname: ldhName, rname: ldhName, serial: u32, refresh: u32, retry: u32, expire: u32, minimum: u32 }).map((data) => ({ type: 6, data })),
  fc.array(ascii.map((s) => Buffer.from(s)), { minLength: 1, maxLength: 3 }).map((data) => ({ type: 16, data })),
  fc.record({ priority: u16, weight: u16, port: u16, target: ldhName }).map((data) => ({ type: 33, data })),
  fc.record({ flags: fc.constantFrom(0, 128), tag: fc.constantFrom("issue", "issuewild", "iodef"), value: ascii.map((s) => Buffer.from(s)) }).map((data) => ({ type: 257, data })),
);
const record = (name: fc.Arbitrary<string>) =>
  fc.record({ name, rd: rdata, ttl: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }).map(({ name, rd, ttl }): ResourceRecord => ({ name, type: rd.type, class: 1, ttl, data: rd.data }));
const message = (name: fc.Arbitrary<string>) =>
  fc.record({ id: u16, rd: fc.boolean(), aa: fc.boolean(), qname: name, qtype: fc.constantFrom(1, 28, 15, 16, 255), answers: fc.array(record(name), { maxLength: 6 }), authorities: fc.array(record(name), { maxLength: 2 }) })
    .map((m): Message => ({
      id: m.id, qr: true, opcode: 0, aa: m.aa, tc: false, rd: m.rd, ra: false, z: false, ad: false, cd: false, rcode: 0,
      questions: [{ name: m.qname, type: m.qtype, class: 1 }], answers: m.answers, authorities: m.authorities, additionals: [], edns: null,
    }));

const TYPE_NAMES: Record<number, string> = { 1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV", 257: "CAA" };
const ip6 = (t: string) => parseIPv6(t)!.toString("hex");
const lc = (s: string) => s.toLowerCase();

/** Our record in dns-packet's shape; names lower-cased since both sides may compress to a differently-cased copy. */
function asDnsPacket(r: ResourceRecord): unknown {
  const d = r.data as any;
  const data = r.type === 28 ? ip6(d)
    : r.type === 2 || r.type === 5 || r.type === 12 ? lc(d)
    : r.type === 15 ? { preference: d.preference, exchange: lc(d.exchange) }
    : r.type === 6 ? { ...d, mname: lc(d.mname), rname: lc(d.rname) }
    : r.type === 33 ? { ...d, target: lc(d.target) }
    : r.type === 16 ? d.map((b: Buffer) => b.toString("hex"))
    : r.type === 257 ? { flags: d.flags, tag: d.tag, value: d.value.toString() }
    : d;
  return { name: lc(r.name), type: TYPE_NAMES[r.type], ttl: r.ttl, data };
}
function fromDnsPacket(r: any): unknown {
  const d = r.data;
  const data = r.type === "AAAA" ? ip6(d)
    : ["NS", "CNAME", "PTR"].includes(r.type) ? lc(d)
    : r.type === "MX" ? { preference: d.preference, exchange: lc(d.exchange) }
    : r.type === "SOA" ? { mname: lc(d.mname), rname: lc(d.rname), serial: d.serial, refresh: d.refresh, retry: d.retry, expire: d.expire, minimum: d.minimum }
    : r.type === "SRV" ? { priority: d.priority, weight: d.weight, port: d.port, target: lc(d.target) }
    : r.type === "TXT" ? d.map((b: Buffer) => b.toString("hex"))
    : r.type === "CAA" ? { flags: d.flags, tag: d.tag, value: d.value }
    : d;
  return { name: lc(r.name), type: r.type, ttl: r.ttl, data };
}

/** dns2 represents TXT as text and has no flags on CAA values beyond text: compare those types as text. */
function asDns2(r: ResourceRecord): unknown {
  const d = r.data as any;
  switch (r.type) {
    case 1: return { type: 1, address: d };
    case 28: return { type: 28, address: ip6(d) };
    case 2: return { type: 2, ns: lc(d) };
    case 5: case 12: return { type: r.type, domain: lc(d) };
    case 15: return { type: 15, priority: d.preference, exchange: lc(d.exchange) };
    case 6: return { type: 6, primary: lc(d.mname), admin: lc(d.rname), serial: d.serial, refresh: d.refresh, retry: d.retry, expiration: d.expire, minimum: d.minimum };
    case 16: return { type: 16, data: d.map((b: Buffer) => b.toString("latin1")) };
    case 33: return { type: 33, priority: d.priority, weight: d.weight, port: d.port, target: lc(d.target) };
    case 257: return { type: 257, flags: d.flags, tag: d.tag, value: d.value.toString("latin1") };
  }
  return null;
}
function fromDns2(r: any): unknown {
  const { name: _n, ttl: _t, class: _c, ...rest } = r;
  if (r.type === 28) rest.address = ip6(rest.address);
  for (const k of ["ns", "domain", "exchange", "primary", "admin", "target"]) if (typeof rest[k] === "string") rest[k] = lc(rest[k]);
  return rest;
}

describe("against dns-packet", () => {
  it("our encoding decodes to the same content in dns-packet", () => {
    fc.assert(fc.property(message(ldhName), (m) => {
      const p = dnsPacket.decode(encodeMessage(m, { maxSize: 65535 }).bytes);
      expect(p.id).toBe(m.id);
      expect(p.questions![0]!.name).toBe(m.questions[0]!.name);
      expect([...p.answers!, ...p.authorities!].map(fromDnsPacket)).toEqual([...m.answers, ...m.authorities].map(asDnsPacket));
    }), { numRuns: 300 });
  });

  it("dns-packet's encoding decodes to the same content in ours", () => {
    fc.assert(fc.property(message(ldhName), (m) => {
      const bytes = dnsPacket.encode({
        type: "response", id: m.id, flags: m.rd ? dnsPacket.RECURSION_DESIRED : 0,
        questions: m.questions.map((q) => ({ name: q.name, type: (TYPE_NAMES[q.type] ?? "ANY") as any, class: "IN" })),
        answers: m.answers.map((r) => ({ name: r.name, type: TYPE_NAMES[r.type] as any, ttl: r.ttl, class: "IN", data: (asDnsPacket(r) as any).data_raw ?? toDnsPacketData(r) } as any)),
      });
      const d = decodeMessage(bytes);
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.message.answers.map(asDnsPacket)).toEqual(m.answers.map(asDnsPacket));
    }), { numRuns: 300 });
  });
});

function toDnsPacketData(r: ResourceRecord): unknown {
  const d = r.data as any;
  if (r.type === 257) return { flags: d.flags, tag: d.tag, value: d.value.toString() };
  return d;
}

describe("against dns2", () => {
  it("our encoding decodes to the same content in dns2", () => {
    fc.assert(fc.property(message(ldhName), (m) => {
      const p = dns2.Packet.parse(encodeMessage(m, { maxSize: 65535 }).bytes) as any;
      expect(p.header.id).toBe(m.id);
      expect(p.answers.map(fromDns2)).toEqual(m.answers.map(asDns2));
    }), { numRuns: 300 });
  });

  it("dns2's encoding decodes to the same content in ours", () => {
    // dns2 encodes A, AAAA, NS, CNAME, PTR, MX, SOA, TXT (one string), SRV and CAA; it writes SOA
    // numbers as signed 32-bit (clamping at 2^31-1), so SOAs with larger numbers are left out here.
    const fitsDns2 = (r: ResourceRecord) => r.type !== 6 || Object.values(r.data as object).every((v) => typeof v !== "number" || v < 2 ** 31);
    fc.assert(fc.property(message(ldhName), (m) => {
      const p = new dns2.Packet() as any;
      p.header.id = m.id;
      p.header.qr = 1;
      p.questions.push({ name: m.questions[0]!.name, type: m.questions[0]!.type, class: 1 });
      const answers = m.answers.filter((r) => (r.type !== 16 || (r.data as Buffer[]).length === 1) && fitsDns2(r));
      for (const r of answers) {
        const { type, ...fields } = asDns2(r) as any;
        if (type === 28) fields.address = r.data;
        if (type === 16) fields.data = fields.data[0];
        p.answers.push({ name: r.name, type, class: 1, ttl: r.ttl, ...fields });
      }
      const d = decodeMessage(p.toBuffer());
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.message.answers.map(asDns2)).toEqual(answers.map(asDns2));
    }), { numRuns: 300 });
  });
});

/**
 * Names in records lower-cased: compression is case-insensitive, so a later name may point at an
 * earlier copy in another case (as every server does). The question must round-trip exactly.
 */
function foldRecordNames(m: Message): Message {
  const fold = (r: ResourceRecord): ResourceRecord => {
    const d = r.data as any;
    const data = typeof d === "string" && r.type !== 1 && r.type !== 28 ? lc(d)
      : r.type === 15 ? { ...d, exchange: lc(d.exchange) }
      : r.type === 6 ? { ...d, mname: lc(d.mname), rname: lc(d.rname) }
      : r.type === 33 ? { ...d, target: lc(d.target) }
      : d;
    return { ...r, name: lc(r.name), data };
  };
  return { ...m, answers: m.answers.map(fold), authorities: m.authorities.map(fold) };
}

describe("our own round trip", () => {
  it("decode(encode(m)) equals m, including arbitrary-byte labels; the question byte for byte", () => {
    fc.assert(fc.property(message(anyName), (m) => {
      const d = decodeMessage(encodeMessage(m, { maxSize: 65535 }).bytes);
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.message.questions).toEqual(m.questions);
      expect(foldRecordNames(d.message)).toEqual(foldRecordNames(m));
    }), { numRuns: 500 });
  });
});

describe("fuzzing", () => {
  const sample = encodeMessage({
    id: 1, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, z: false, ad: false, cd: false, rcode: 0,
    questions: [{ name: "www.example.com", type: 1, class: 1 }],
    answers: [{ name: "www.example.com", type: 15, class: 1, ttl: 1, data: { preference: 1, exchange: "mail.example.com" } }],
    authorities: [], additionals: [],
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, z: 0, options: [{ code: 8, data: Buffer.from([0, 1, 24, 0, 1, 2, 3]) }] },
  }, { maxSize: 65535 }).bytes;

  it("random bytes never make the decoder throw", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (a) => {
      const r = decodeMessage(Buffer.from(a));
      expect(typeof r.ok).toBe("boolean");
    }), { numRuns: 5000 });
  });

  it("mutated and truncated messages never make the decoder throw", () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(sample.length),
      (mutations, cut) => {
        const b = Buffer.from(sample);
        for (const [i, v] of mutations) b[i] = v;
        expect(typeof decodeMessage(b.subarray(0, Math.max(cut, 12))).ok).toBe("boolean");
      }), { numRuns: 5000 });
  });

  it("hostile counts fail fast", () => {
    const b = Buffer.from(sample);
    b.fill(0xff, 4, 12);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) expect(decodeMessage(b).ok).toBe(false);
    // 1000 decodes of a 65535-count packet: bounded by its bytes, not its counts.
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(500);
  });
});
