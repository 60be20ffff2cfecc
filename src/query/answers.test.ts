import { describe, expect, it } from "vitest";
import { AnswerCache, readShape, shapeKey } from "./answers.js";

/** A plain A query for `name` with ECS 203.0.113.0/24 (its reply is echoed as the query itself: header, question, ECS address last). */
function query(name: string, id = 1): Buffer {
  const labels = Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  return Buffer.concat([
    Buffer.from([id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]), labels, Buffer.from([0, 1, 0, 1]),
    Buffer.from([0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 24, 0, 203, 0, 113]),
  ]);
}
const question = { name: "x", type: 1, class: 1 };
const VERSIONS = { zoneOf: () => 0, zoneVersions: new Float64Array(1), zoneRttVersions: new Float64Array(1) };

describe("AnswerCache", () => {
  it("reads a plain query's shape: the name in lower case, the ECS address outside the key", () => {
    // Copies: readShape rewrites one object.
    const a = { ...readShape(query("WwW.Example.com"), false)! };
    const keyA = shapeKey(a);
    const b = { ...readShape(query("www.example.com", 9), false)! };
    expect(shapeKey(b)).toBe(keyA);
    expect(b.hash).toBe(a.hash);
    expect(a.ecsLength).toBe(3);
    // A cookie (option 10) makes a reply the client's own: not a plain query.
    const withCookie = Buffer.concat([query("a.b").subarray(0, -22), Buffer.from([0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 12, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])]);
    expect(readShape(withCookie, false)).toBeNull();
    const withNsid = Buffer.concat([query("a.b").subarray(0, -22), Buffer.from([0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 4, 0, 3, 0, 0])]);
    expect(readShape(withNsid, false)).not.toBeNull();
  });

  it("keeps no more shapes and replies than its bounds, whatever names clients send", () => {
    const cache = new AnswerCache(VERSIONS, { shapes: 3, replies: 5, bytes: 1 << 20 });
    for (let i = 0; i < 50; i++) {
      const q = query(`random${i}.example.com`);
      cache.keep(q, readShape(q, false)!, "127.0.0.1", q, { zone: "example.com", question, steered: null });
      expect(cache.size.shapes).toBeLessThanOrEqual(3);
      expect(cache.size.replies).toBeLessThanOrEqual(5);
    }
    // And no more reply bytes than the bound.
    const small = new AnswerCache(VERSIONS, { shapes: 100, replies: 100, bytes: 200 });
    for (let i = 0; i < 50; i++) {
      const q = query(`name${i}.example.com`);
      small.keep(q, readShape(q, false)!, "127.0.0.1", q, { zone: "example.com", question, steered: null });
      expect(small.size.bytes).toBeLessThanOrEqual(200);
    }
    expect(small.size.shapes).toBeGreaterThan(0);
    // What is kept is reused, with the new query's ID.
    const again = query("random49.example.com", 0x4242);
    expect(cache.reuse(again, readShape(again, false)!, "127.0.0.1")?.bytes.readUInt16BE(0)).toBe(0x4242);
  });

  it("finds every shape again after its table grew, and tells apart keys whose hashes collide", () => {
    const cache = new AnswerCache(VERSIONS, { shapes: 10_000, replies: 10_000, bytes: 1 << 22 });
    // Names of every length up to 250 bytes: keys inline and keys too long for a row.
    const name = (i: number) => `${"abcdefghij".repeat(Math.floor((i % 200) / 10) + 1).slice(0, (i % 60) + 1)}.n${i}.example.com`;
    const long = (i: number) => `${"l".repeat(60)}.${"m".repeat(60)}.${"o".repeat(50)}.n${i}.example.com`;
    const names = [...Array.from({ length: 3000 }, (_, i) => name(i)), ...Array.from({ length: 50 }, (_, i) => long(i))];
    for (const n of names) { const q = query(n); cache.keep(q, readShape(q, false)!, "127.0.0.1", q, { zone: "example.com", question, steered: null }); }
    expect(cache.size.shapes).toBe(names.length);
    for (const n of names) {
      const q = query(n, 7);
      const hit = cache.reuse(q, readShape(q, false)!, "127.0.0.1");
      expect(hit?.bytes.subarray(2).toString("hex"), n).toBe(q.subarray(2).toString("hex"));
    }
    // Two shapes of one hash (forced), names differing only in their last bytes: each keeps its
    // own reply (rcodes 0 and 3 tell them apart: a reuse copies the name from the query), inline
    // keys and long ones alike.
    // And keys differing only in their last word: the ECS source prefix (/24 and /20).
    const slash20 = (q: Buffer) => { const x = Buffer.from(q); x[x.length - 5] = 20; x[x.length - 1] = 112; return x; };
    for (const [a, b, bq] of [["one.example.com", "one.example.con", query], [long(1000), long(1001), query], ["one.example.com", "one.example.com", (n: string) => slash20(query(n))]] as const) {
      const qa = query(a), qb = bq(b);
      const rb = Buffer.from(qb);
      rb[3] = 3;
      cache.keep(qa, { ...readShape(qa, false)!, hash: 42 }, "127.0.0.1", qa, { zone: "example.com", question, steered: null });
      cache.keep(qb, { ...readShape(qb, false)!, hash: 42 }, "127.0.0.1", rb, { zone: "example.com", question, steered: null });
      for (const [q, r] of [[qa, qa], [qb, rb]] as const) expect(cache.reuse(q, { ...readShape(q, false)!, hash: 42 }, "127.0.0.1")?.bytes.toString("hex"), `${r === qa ? a : b} ${q.length}`).toBe(r.toString("hex"));
    }
  });
});
