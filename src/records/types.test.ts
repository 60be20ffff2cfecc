// The record-type table, entry by entry: a zone-file value parses with the entry's schema, becomes
// RDATA, and round-trips through the entry's wire codec; the zone file schema has exactly its keys.
import { describe, expect, it } from "vitest";
import { NameRecords } from "../config/schema.js";
import { Reader, Writer } from "../wire/buffer.js";
import { CompressionTable } from "../wire/name.js";
import { RECORD_TYPES, type NormaliseContext } from "./types.js";

const samples: Record<keyof typeof RECORD_TYPES, unknown> = {
  NS: "ns1", A: "192.0.2.1", AAAA: "2001:DB8::1", CNAME: "www.example.org.", MX: { preference: 10, exchange: "mail" },
  TXT: ["a", "b"], SRV: { priority: 1, weight: 2, port: 443, target: "host" }, CAA: { flags: 0, tag: "issue", value: "ca.example" }, PTR: "@",
};
const ctx: NormaliseContext = {
  name: (text) => (text === "@" ? "lb.example.com" : text.endsWith(".") ? text.slice(0, -1) : `${text}.lb.example.com`),
  problem: (path, message) => { throw new Error(`${path.join(".")}: ${message}`); },
};

describe("the record-type table", () => {
  it.each(Object.entries(RECORD_TYPES))("%s: schema → RDATA → its codec and back", (name, entry) => {
    const value = (entry.schema as any).parse(samples[name as keyof typeof samples]);
    const rdata = entry.normalise(value as never, [name], ctx)!;
    const w = new Writer(Buffer.alloc(512));
    entry.codec.encode(w, new CompressionTable(), rdata);
    const decoded = entry.codec.decode(new Reader(w.buf, 0, w.pos), w.pos);
    expect(decoded).toEqual(rdata);
  });

  it("is where the zone file's record types come from", () => {
    expect(Object.keys(NameRecords.shape)).toEqual(Object.keys(RECORD_TYPES));
    expect(RECORD_TYPES.AAAA.normalise("2001:DB8:0::1", [], ctx)).toBe("2001:db8::1");
    expect(RECORD_TYPES.MX.target!({ preference: 1, exchange: "mail.lb.example.com" })).toBe("mail.lb.example.com");
  });
});
