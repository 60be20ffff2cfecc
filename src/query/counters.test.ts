import { describe, expect, it } from "vitest";
import dnsPacket from "dns-packet";
import type { Balancing, Pool } from "../balancing/model.js";
import type { Explanation } from "../balancing/steer.js";
import { addSnapshot, copyTotals, emptyTotals, LATENCY_BUCKETS, QueryCounters, type CounterTotals } from "./counters.js";

/** A reply as a server would send it (dns-packet: an encoder independent of ours). */
const RCODES: Record<string, number> = { NOERROR: 0, NXDOMAIN: 3, REFUSED: 5, NOTAUTH: 9 };
function reply(type: string, rcode = "NOERROR"): Buffer {
  return dnsPacket.encode({ type: "response", id: 1, flags: 0x8400 | RCODES[rcode]!, questions: [{ name: "www.example.com", type: type as any, class: "IN" }] } as any);
}

const cell = (t: CounterTotals, zone: string, qtype: string, rcode: string, transport = "udp") =>
  [...t.queries.values()].find((q) => q.zone === zone && q.qtype === qtype && q.rcode === rcode && q.transport === transport)?.value ?? 0;

function totals(c: QueryCounters): CounterTotals {
  const t = emptyTotals();
  addSnapshot(t, c.snapshot());
  return t;
}

describe("QueryCounters", () => {
  it("counts a reply by zone, the question's type, rcode and transport", () => {
    const c = new QueryCounters();
    c.zone("example.com");
    c.count(reply("A"), "example.com", false);
    c.count(reply("A"), "example.com", false);
    c.count(reply("MX", "NXDOMAIN"), "example.com", true);
    c.count(reply("CAA"), "example.com", false);
    const https = reply("A");
    https.writeUInt16BE(65, https.length - 4); // HTTPS (dns-packet has no name for it)
    c.count(https, "example.com", false);
    c.count(reply("SPF"), "example.com", false); // not counted apart
    c.count(reply("A", "REFUSED"), null, false);
    c.count(reply("A", "NOTAUTH"), "other.test", false); // a zone first seen here, an rcode not counted apart
    const t = totals(c);
    expect(cell(t, "example.com", "A", "NOERROR")).toBe(2);
    expect(cell(t, "example.com", "MX", "NXDOMAIN", "tcp")).toBe(1);
    expect(cell(t, "example.com", "CAA", "NOERROR")).toBe(1);
    expect(cell(t, "example.com", "HTTPS", "NOERROR")).toBe(1);
    expect(cell(t, "example.com", "OTHER", "NOERROR")).toBe(1);
    expect(cell(t, "(none)", "A", "REFUSED")).toBe(1);
    expect(cell(t, "other.test", "A", "OTHER")).toBe(1);
    expect([...t.queries.values()].reduce((n, q) => n + q.value, 0)).toBe(8);
  });

  it("counts a header-only reply as NONE, BADVERS from the OPT's extended bits, and no reply as malformed", () => {
    const c = new QueryCounters();
    const formerr = Buffer.alloc(12);
    formerr[2] = 0x80;
    formerr[3] = 1;
    c.count(formerr, null, false);
    // BADVERS (16): header rcode 0, extended rcode 1 in a bare OPT.
    const badvers = Buffer.concat([reply("SOA").subarray(0, 33), Buffer.from([0, 0, 41, 4, 0xd0, 1, 0, 0, 0, 0, 0])]);
    badvers.writeUInt16BE(1, 10);
    c.count(badvers, "example.com", false);
    // NOERROR with an OPT whose extended bits are 0 stays NOERROR.
    const plain = Buffer.from(badvers);
    plain[plain.length - 6] = 0;
    c.count(plain, "example.com", false);
    c.count(null, null, false);
    const t = totals(c);
    expect(cell(t, "(none)", "NONE", "FORMERR")).toBe(1);
    expect(cell(t, "example.com", "SOA", "BADVERS")).toBe(1);
    expect(cell(t, "example.com", "SOA", "NOERROR")).toBe(1);
    expect(t.malformed).toBe(1);
  });

  it("gives a load-balanced answer an id per (load balancer, pool, fallback), counted again on reuse", () => {
    const c = new QueryCounters();
    const pools = [{ name: "p0", index: 0 }, { name: "p1", index: 1 }] as unknown as Pool[];
    const b = { origin: "example.com", poolList: pools } as unknown as Balancing;
    const e = (pool: Pool | null, fallback = false) => ({ loadBalancer: "www.example.com", pool: { pool, fallback } }) as unknown as Explanation;
    const id = c.answered(b, e(pools[1]!));
    expect(c.answered(b, e(pools[1]!))).toBe(id);
    const fb = c.answered(b, e(pools[0]!, true));
    const none = c.answered(b, e(null, true));
    expect(new Set([id, fb, none]).size).toBe(3);
    c.reanswered(id);
    const t = totals(c);
    const get = (pool: string, fallback: boolean) => [...t.answers.values()].find((a) => a.pool === pool && a.fallback === fallback)?.value;
    expect(get("p1", false)).toBe(3);
    expect(get("p0", true)).toBe(1);
    expect(get("(none)", true)).toBe(1);
  });

  it("buckets latencies (ms in, seconds out) and sums them", () => {
    const c = new QueryCounters();
    c.observe(0.004, false); // 4 µs: the first bucket
    c.observe(0.2, false); // 200 µs: le 0.00025
    c.observe(500, false); // over the largest bound
    c.observe(0.03, true);
    const h = totals(c).latency.get("udp")!;
    expect(h.count).toBe(3);
    expect(h.buckets[0]).toBe(1);
    expect(h.buckets[LATENCY_BUCKETS.indexOf(0.00025)]).toBe(1);
    expect(h.buckets[LATENCY_BUCKETS.length]).toBe(1);
    expect(h.sum).toBeCloseTo(0.500204, 6);
    expect(totals(c).latency.get("tcp")!.count).toBe(1);
  });

  it("times every query at low rates and one in 16 under load (the clock costs more than the counting)", () => {
    const c = new QueryCounters();
    let timed = 0;
    const run = (n: number, at: number) => { for (let i = 0; i < n; i++) if (c.timing()) { c.timed(at, at + 0.01, false); timed++; } };
    run(64, 1000);
    expect(timed).toBe(64); // the first 64 of a 100 ms window
    run(160, 1050);
    expect(timed).toBe(64 + 10); // then one in 16
    run(16, 1200); // 100 ms later: the next sampled query opens a new window...
    expect(timed).toBe(64 + 10 + 1);
    timed = 0;
    run(50, 1210); // ...in which every query is timed again
    expect(timed).toBe(50);
    expect(totals(c).latency.get("udp")!.count).toBe(64 + 10 + 1 + 50);
  });

  it("sums snapshots of several processes, whose zone ids differ, and copies totals apart", () => {
    const one = new QueryCounters(), two = new QueryCounters();
    one.zone("a.test");
    two.zone("b.test");
    two.zone("a.test");
    one.count(reply("A"), "a.test", false);
    two.count(reply("A"), "a.test", false);
    two.count(reply("A"), "b.test", false);
    const t = emptyTotals();
    addSnapshot(t, one.snapshot());
    addSnapshot(t, two.snapshot());
    expect(cell(t, "a.test", "A", "NOERROR")).toBe(2);
    expect(cell(t, "b.test", "A", "NOERROR")).toBe(1);
    const copy = copyTotals(t);
    addSnapshot(copy, one.snapshot());
    expect(cell(copy, "a.test", "A", "NOERROR")).toBe(3);
    expect(cell(t, "a.test", "A", "NOERROR")).toBe(2);
  });
});
