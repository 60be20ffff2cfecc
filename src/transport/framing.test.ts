import { describe, expect, it } from "vitest";
import { Framer } from "./framing.js";

const frame = (body: Buffer) => Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]);

describe("Framer", () => {
  it("hands out whole messages from any split, and views of one chunk without copying", () => {
    const a = Buffer.from("first message");
    const b = Buffer.alloc(300, 7);
    const f = new Framer();
    f.push(Buffer.concat([frame(a), frame(b)]));
    expect(f.next()).toEqual(a);
    expect(f.next()).toEqual(b);
    expect(f.next()).toBeNull();
    expect(f.copied).toBe(0);
    const bytes = Buffer.concat([frame(a), frame(b), frame(Buffer.alloc(0))]);
    const g = new Framer();
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 3) { g.push(bytes.subarray(i, i + 3)); for (let m = g.next(); m !== null; m = g.next()) out.push(m); }
    expect(out).toEqual([a, b, Buffer.alloc(0)]);
    expect(g.buffered).toBe(0);
  });

  it("a 65,535-byte message sent a byte at a time is copied once, not once per byte", () => {
    const body = Buffer.alloc(65535, 1);
    const bytes = frame(body);
    const f = new Framer();
    let got: Buffer | null = null;
    for (let i = 0; i < bytes.length; i++) { f.push(bytes.subarray(i, i + 1)); got = f.next() ?? got; }
    expect(got).toEqual(body);
    // Each byte of the message copied once into a buffer of the announced length.
    expect(f.copied).toBe(65535);
  });
});
