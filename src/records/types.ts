// The record types a zone file may hold, one entry each, in one table: the value's schema (zod),
// how a value becomes RDATA (names resolved, addresses canonical, TXT split), which names its
// additional section carries addresses for, and its wire codec. The zone file schema, the lists of
// types, the zone checks and the additional-section builder all derive from this table: adding a
// type is one entry here (and its codec in wire/rdata.ts).

import { z } from "zod";
import { RRType } from "../wire/constants.js";
import { canonicalIPv6, parseIPv4 } from "../wire/ip.js";
import { codecFor, type RDataCodec } from "../wire/rdata.js";
import type { CaaData, MxData, RData, SrvData } from "../wire/types.js";
import type { Path } from "../problems/problems.js";

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const U16 = int(0, 65535);
const U8 = int(0, 255);
/** A name: relative to the zone, "@" for the apex, or absolute with a trailing dot. */
export const NameText = z.string().min(1).describe('relative to the zone, "@" for the apex, or absolute ending in "."');

/** What turning a value into RDATA may need: names resolved against the zone, problems reported at a path. */
export interface NormaliseContext {
  /** The absolute name, or "" after reporting a problem at `path`. `root`: "." allowed (MX/SRV "no service"). */
  name(text: string, path: Path, opts?: { root?: boolean }): string;
  problem(path: Path, message: string): void;
}

export interface RecordType<V> {
  readonly code: number;
  /** One value as written in a zone file. */
  readonly schema: z.ZodType<V>;
  /** The value as RDATA, or null after reporting a problem. */
  normalise(value: V, path: Path, ctx: NormaliseContext): RData | null;
  /** The name whose in-zone addresses go in the additional section (NS, MX, SRV), if any. */
  readonly target?: (data: RData) => string;
  readonly codec: RDataCodec;
}

const record = <V>(r: RecordType<V>): RecordType<V> => r;

const nameType = (code: number) => record<string>({
  code, schema: NameText, codec: codecFor(code),
  normalise: (v, path, ctx) => ctx.name(v, path),
});

export const RECORD_TYPES = {
  NS: { ...nameType(RRType.NS), target: (d: RData) => d as string },
  A: record<string>({
    code: RRType.A, schema: z.string().describe("IPv4 address, dotted quad"), codec: codecFor(RRType.A),
    normalise: (v, path, ctx) => (parseIPv4(v) !== null ? v : (ctx.problem(path, `${JSON.stringify(v)} is not an IPv4 address`), null)),
  }),
  AAAA: record<string>({
    code: RRType.AAAA, schema: z.string().describe("IPv6 address, any form (served canonical)"), codec: codecFor(RRType.AAAA),
    normalise: (v, path, ctx) => canonicalIPv6(v) ?? (ctx.problem(path, `${JSON.stringify(v)} is not an IPv6 address`), null),
  }),
  CNAME: nameType(RRType.CNAME),
  MX: record<{ preference: number; exchange: string }>({
    code: RRType.MX, schema: z.strictObject({ preference: U16, exchange: NameText }), codec: codecFor(RRType.MX),
    normalise: (v, path, ctx): MxData => ({ preference: v.preference, exchange: ctx.name(v.exchange, [...path, "exchange"], { root: true }) }),
    target: (d) => (d as MxData).exchange,
  }),
  TXT: record<string | string[]>({
    code: RRType.TXT, codec: codecFor(RRType.TXT),
    schema: z.union([z.string(), z.array(z.string()).min(1)]).describe("a string (split into 255-byte pieces) or its character-strings one by one"),
    normalise: (v, path, ctx) => txtStrings(v, path, ctx),
  }),
  SRV: record<{ priority: number; weight: number; port: number; target: string }>({
    code: RRType.SRV, schema: z.strictObject({ priority: U16, weight: U16, port: U16, target: NameText }), codec: codecFor(RRType.SRV),
    normalise: (v, path, ctx): SrvData => ({ ...v, target: ctx.name(v.target, [...path, "target"], { root: true }) }),
    target: (d) => (d as SrvData).target,
  }),
  CAA: record<{ flags: number; tag: string; value: string }>({
    code: RRType.CAA, codec: codecFor(RRType.CAA),
    schema: z.strictObject({ flags: U8, tag: z.string().regex(/^[A-Za-z0-9]{1,15}$/, "1 to 15 letters or digits (RFC 8659)"), value: z.string() }),
    normalise: (v): CaaData => ({ flags: v.flags, tag: v.tag, value: Buffer.from(v.value, "utf8") }),
  }),
  PTR: nameType(RRType.PTR),
} as const;

export type RecordTypeName = keyof typeof RECORD_TYPES;

/** Entries by type code (the zone builder and the additional-section builder look up by code). */
export const RECORD_TYPE_BY_CODE: ReadonlyMap<number, RecordType<any>> = new Map(Object.values(RECORD_TYPES).map((t) => [t.code, t as RecordType<any>]));

/** TXT: a string is split into 255-byte character-strings; an array is taken as given (each ≤ 255 bytes). */
function txtStrings(v: string | string[], path: Path, ctx: NormaliseContext): Buffer[] {
  if (typeof v === "string") {
    const bytes = Buffer.from(v, "utf8");
    if (bytes.length === 0) return [bytes];
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
    return out;
  }
  return v.map((s, i) => {
    const b = Buffer.from(s, "utf8");
    if (b.length > 255) ctx.problem([...path, i], `character-string is ${b.length} bytes; the limit is 255 (write one string to have it split)`);
    return b;
  });
}
