// Issue 2 §5: hostile and malformed input never crashes or stalls the server; TCP framing,
// pipelining, idle timeout and the connection cap. A real server on loopback, raw sockets.

import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dnsPacket from "dns-packet";
import fc from "fast-check";
import { flagsOf, makeQuery, tcpExchange, udpExchange } from "./support/client.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { richZone } from "./support/zones.js";

let t: TestServer;
beforeAll(async () => { t = await startTestServer({ "lb.example.com.json": richZone() }); });
afterAll(() => t.close());

const noReply = async (bytes: Buffer) => expect(await udpExchange(t.port, bytes, { timeoutMs: 300 })).toBeNull();
const stillServes = async () => {
  const reply = await udpExchange(t.port, makeQuery("ns1.lb.example.com"));
  expect(reply).not.toBeNull();
  expect(dnsPacket.decode(reply!).answers).toHaveLength(1);
};
/** Header with the given flags and counts, then `rest`. */
const header = (id: number, flags: number, counts: [number, number, number, number], rest: number[] = []) => {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0); b.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => b.writeUInt16BE(c, 4 + 2 * i));
  return Buffer.concat([b, Buffer.from(rest)]);
};
const QNAME = [3, 110, 115, 49, 2, 108, 98, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0]; // ns1.lb.example.com
const QUESTION = [...QNAME, 0, 1, 0, 1];

describe("malformed and unexpected messages", () => {
  it("drops responses (QR=1) and messages shorter than a header", async () => {
    await noReply(header(1, 0x8000, [1, 0, 0, 0], QUESTION));
    await noReply(Buffer.from([1, 2, 3]));
    await noReply(Buffer.alloc(0));
  });

  it.each([1, 2, 3, 5, 15])("answers NOTIMP to opcode %d", async (opcode) => {
    const reply = (await udpExchange(t.port, header(77, opcode << 11, [1, 0, 0, 0], QUESTION)))!;
    expect(reply.readUInt16BE(0)).toBe(77);
    expect(flagsOf(reply).rcode).toBe(4);
    expect((reply[2]! >> 3) & 0xf).toBe(opcode);
  });

  it.each([
    ["no question", header(5, 0x0100, [0, 0, 0, 0])],
    ["two questions", header(5, 0x0100, [2, 0, 0, 0], [...QUESTION, ...QUESTION])],
    ["an answer record in a query", header(5, 0x0100, [1, 1, 0, 0], [...QUESTION, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4])],
    ["a truncated question", header(5, 0x0100, [1, 0, 0, 0], QNAME.slice(0, 8))],
    ["a compression loop", header(5, 0x0100, [1, 0, 0, 0], [0xc0, 12, 0, 1, 0, 1])],
    ["a forward pointer", header(5, 0x0100, [1, 0, 0, 0], [0xc0, 40, 0, 1, 0, 1])],
    ["a 64-byte label", header(5, 0x0100, [1, 0, 0, 0], [64, ...Array(64).fill(97), 0, 0, 1, 0, 1])],
    ["hostile counts", header(5, 0x0100, [65535, 65535, 65535, 65535], QUESTION)],
    ["trailing garbage", header(5, 0x0100, [1, 0, 0, 0], [...QUESTION, 1, 2, 3])],
    ["qtype OPT", header(5, 0x0100, [1, 0, 0, 0], [...QNAME, 0, 41, 0, 1])],
  ])("answers FORMERR with the query's ID to %s", async (_what, bytes) => {
    const reply = (await udpExchange(t.port, bytes))!;
    expect(reply).not.toBeNull();
    expect(reply.readUInt16BE(0)).toBe(5);
    expect(flagsOf(reply).rcode).toBe(1);
    expect(reply[2]! & 0x80).toBe(0x80);
  });

  it("refuses zone transfers and unknown classes; NOTIMP for MAILA/MAILB", async () => {
    for (const [type, cls, rcode] of [[252, 1, 5], [251, 1, 5], [1, 4, 5], [253, 1, 4], [254, 1, 4]] as const) {
      const reply = (await udpExchange(t.port, header(6, 0x0100, [1, 0, 0, 0], [...QNAME, 0, type, 0, cls])))!;
      expect(flagsOf(reply).rcode, `type ${type} class ${cls}`).toBe(rcode);
    }
  });

  it("survives random bytes and mutated queries, then still answers", async () => {
    const valid = makeQuery("ns1.lb.example.com", "A", { additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, options: [{ code: 8, data: Buffer.from([0, 1, 24, 0, 1, 2, 3]) }] } as any] });
    const inputs = fc.sample(fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 600 }).map((a) => Buffer.from(a)),
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
        .map((muts) => { const b = Buffer.from(valid); for (const [i, v] of muts) b[i] = v; return b; }),
      fc.nat(valid.length).map((n) => valid.subarray(0, n)),
    ), { numRuns: 1500, seed: 20261122 });
    const started = Date.now();
    for (let i = 0; i < inputs.length; i += 50) {
      await Promise.all(inputs.slice(i, i + 50).map((b) => udpExchange(t.port, b, { timeoutMs: 200 })));
    }
    // A stall would show as a long run: 1500 exchanges in batches of 50 take well under 10 s.
    expect(Date.now() - started).toBeLessThan(10_000);
    await stillServes();
  }, 20_000); // the test's own bound is 10 s (a batch with a dropped input waits its 200 ms): vitest's default 5 s is tighter
});

describe("packet cache", () => {
  it("answers repeated queries with their own IDs and the same content, with or without the cache", async () => {
    const cold = await startTestServer({ "lb.example.com.json": richZone() }, { packetCache: false });
    try {
      for (const port of [t.port, cold.port]) {
        const first = makeQuery("MaIl.lb.example.com");
        const second = Buffer.from(first);
        second.writeUInt16BE((first.readUInt16BE(0) + 1) & 0xffff, 0);
        const r1 = (await udpExchange(port, first))!;
        const r2 = (await udpExchange(port, second))!;
        expect(r1.readUInt16BE(0)).toBe(first.readUInt16BE(0));
        expect(r2.readUInt16BE(0)).toBe(second.readUInt16BE(0));
        expect(r2.subarray(2).equals(r1.subarray(2))).toBe(true);
        expect(dnsPacket.decode(r2).questions![0]!.name).toBe("MaIl.lb.example.com");
      }
    } finally {
      await cold.close();
    }
  });
});

describe("packet cache under names asked once", () => {
  it("keeps nothing for a flood of names asked once, and keeps a name asked again", async () => {
    const s = await startTestServer({ "lb.example.com.json": richZone() });
    try {
      // A random-subdomain flood: 500 names, each asked once, all NXDOMAIN.
      for (let i = 0; i < 500; i++) {
        const r = (await udpExchange(s.port, makeQuery(`flood-${i}-${Math.random().toString(36).slice(2)}.lb.example.com`)))!;
        expect(r[3]! & 0x0f).toBe(3);
      }
      expect(s.server.answerStats().packetKept).toBe(0);
      // A name asked again is kept on its second sight, and its third is answered from the cache.
      for (let i = 0; i < 3; i++) expect((await udpExchange(s.port, makeQuery("typo.lb.example.com")))![3]! & 0x0f).toBe(3);
      expect(s.server.answerStats().packetKept).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe("TCP", () => {
  it("answers pipelined queries sent in one write, each with its own ID", async () => {
    const queries = Array.from({ length: 50 }, (_, i) => makeQuery(i % 2 ? "ns1.lb.example.com" : "mail.lb.example.com"));
    const replies = await tcpExchange(t.port, queries, { oneWrite: true });
    expect(replies).toHaveLength(50);
    expect(replies.map((r) => r.readUInt16BE(0))).toEqual(queries.map((q) => q.readUInt16BE(0)));
  });

  it("reassembles a query split across many writes", async () => {
    const q = makeQuery("ns1.lb.example.com");
    const framed = Buffer.concat([Buffer.from([0, q.length]), q]);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port: t.port }, async () => {
        for (const byte of framed) { s.write(Buffer.from([byte])); await new Promise((r) => setTimeout(r, 2)); }
      });
      let acc = Buffer.alloc(0);
      s.on("data", (d) => { acc = Buffer.concat([acc, d]); if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) { s.destroy(); resolve(acc.subarray(2)); } });
      s.on("error", reject);
    });
    expect(dnsPacket.decode(reply).answers).toHaveLength(1);
  });

  it("closes idle connections and caps open connections", async () => {
    const small = await startTestServer({ "lb.example.com.json": richZone() }, { tcp: { idleTimeoutMs: 300, maxConnections: 2 } });
    try {
      const open = () => new Promise<net.Socket>((resolve) => { const s = net.connect({ host: "127.0.0.1", port: small.port }, () => resolve(s)); s.on("error", () => {}); });
      const closed = (s: net.Socket) => new Promise<number>((resolve) => { const t0 = Date.now(); s.on("close", () => resolve(Date.now() - t0)); });
      const a = await open();
      const b = await open();
      const c = await open();
      // The third connection is over the cap: closed by the server at once.
      expect(await closed(c)).toBeLessThan(250);
      expect(small.server.tcpStats().refusedTotal).toBe(1);
      // The first two are closed after the idle timeout.
      const [ta, tb] = await Promise.all([closed(a), closed(b)]);
      expect(ta).toBeGreaterThan(150);
      expect(tb).toBeLessThan(2000);
      // After they are gone, new connections are served again.
      const [reply] = await tcpExchange(small.port, [makeQuery("ns1.lb.example.com")]);
      expect(dnsPacket.decode(reply!).answers).toHaveLength(1);
    } finally {
      await small.close();
    }
  });

  it("keeps serving after a client resets mid-frame", async () => {
    await new Promise<void>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port: t.port }, () => { s.write(Buffer.from([0, 40, 1, 2, 3])); s.resetAndDestroy(); resolve(); });
      s.on("error", () => {});
    });
    const [reply] = await tcpExchange(t.port, [makeQuery("ns1.lb.example.com")]);
    expect(dnsPacket.decode(reply!).answers).toHaveLength(1);
  });
});

describe("IPv6", () => {
  it("serves UDP and TCP on [::1]", async () => {
    const v6 = await startTestServer({ "lb.example.com.json": richZone() }, { host: "::1" });
    try {
      const u = (await udpExchange(v6.port, makeQuery("ns1.lb.example.com"), { host: "::1" }))!;
      expect(dnsPacket.decode(u).answers).toHaveLength(1);
      const [tc] = await tcpExchange(v6.port, [makeQuery("ns1.lb.example.com")], { host: "::1" });
      expect(dnsPacket.decode(tc!).answers).toHaveLength(1);
    } finally {
      await v6.close();
    }
  });
});
