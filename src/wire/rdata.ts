// RDATA codecs, one per type, encode and decode side by side (RFC 1035 §3.3, RFC 3596, RFC 2782,
// RFC 8659). A single lookup, codecFor(type), picks one; every other type is raw bytes (RFC 3597).
//
// decode(r, end) reads exactly the RDATA window [r.pos, end); the caller checks nothing is left.

import { RRType } from "./constants.js";
import { WireError, type Reader, type Writer } from "./buffer.js";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip.js";
import { readName, writeName, type CompressionTable } from "./name.js";
import type { CaaData, MxData, RData, SoaData, SrvData } from "./types.js";

export interface RDataCodec {
  encode(w: Writer, table: CompressionTable, data: RData): void;
  decode(r: Reader, end: number): RData;
}

/** Address bytes by text, memoised: zone addresses are encoded in every answer. */
const addressCache = new Map<string, Buffer>();
function addressBytes(text: string, family: 4 | 6): Buffer {
  let b = addressCache.get(text);
  if (b === undefined) {
    const parsed = family === 4 ? parseIPv4(text) : parseIPv6(text);
    if (parsed === null) throw new Error(`not an IPv${family} address: ${JSON.stringify(text)}`);
    b = parsed;
    if (addressCache.size >= 50_000) addressCache.clear();
    addressCache.set(text, b);
  }
  return b;
}

/** A type whose RDATA is one domain name; RFC 1035 types may be compressed (RFC 3597 §4). */
const nameCodec = (compress: boolean): RDataCodec => ({
  encode: (w, t, data) => writeName(w, t, data as string, compress),
  decode: (r) => readName(r),
});

const A: RDataCodec = {
  encode: (w, _t, data) => w.bytes(addressBytes(data as string, 4)),
  decode: (r, end) => {
    if (end - r.pos !== 4) throw new WireError("A RDATA must be 4 bytes");
    return formatIPv4(r.bytes(4));
  },
};

const AAAA: RDataCodec = {
  encode: (w, _t, data) => w.bytes(addressBytes(data as string, 6)),
  decode: (r, end) => {
    if (end - r.pos !== 16) throw new WireError("AAAA RDATA must be 16 bytes");
    return formatIPv6(r.bytes(16));
  },
};

const MX: RDataCodec = {
  encode: (w, t, data) => {
    const mx = data as MxData;
    w.u16(mx.preference);
    writeName(w, t, mx.exchange, true);
  },
  decode: (r) => ({ preference: r.u16("MX preference"), exchange: readName(r) }),
};

const SOA: RDataCodec = {
  encode: (w, t, data) => {
    const s = data as SoaData;
    writeName(w, t, s.mname, true);
    writeName(w, t, s.rname, true);
    w.u32(s.serial);
    w.u32(s.refresh);
    w.u32(s.retry);
    w.u32(s.expire);
    w.u32(s.minimum);
  },
  decode: (r) => ({
    mname: readName(r),
    rname: readName(r),
    serial: r.u32("SOA serial"),
    refresh: r.u32("SOA refresh"),
    retry: r.u32("SOA retry"),
    expire: r.u32("SOA expire"),
    minimum: r.u32("SOA minimum"),
  }),
};

const TXT: RDataCodec = {
  encode: (w, _t, data) => {
    for (const s of data as readonly Buffer[]) {
      if (s.length > 255) throw new Error("TXT character-string longer than 255 bytes");
      w.u8(s.length);
      w.bytes(s);
    }
  },
  decode: (r, end) => {
    if (r.pos === end) throw new WireError("empty TXT RDATA");
    const strings: Buffer[] = [];
    while (r.pos < end) strings.push(Buffer.from(r.bytes(r.u8("TXT length"), "TXT string")));
    return strings;
  },
};

const SRV: RDataCodec = {
  encode: (w, t, data) => {
    const s = data as SrvData;
    w.u16(s.priority);
    w.u16(s.weight);
    w.u16(s.port);
    // RFC 2782: the target is not compressed.
    writeName(w, t, s.target, false);
  },
  decode: (r) => ({ priority: r.u16("SRV priority"), weight: r.u16("SRV weight"), port: r.u16("SRV port"), target: readName(r) }),
};

const CAA: RDataCodec = {
  encode: (w, _t, data) => {
    const c = data as CaaData;
    w.u8(c.flags);
    w.u8(c.tag.length);
    w.bytes(Buffer.from(c.tag, "latin1"));
    w.bytes(c.value);
  },
  decode: (r, end) => {
    const flags = r.u8("CAA flags");
    const tagLength = r.u8("CAA tag length");
    if (tagLength === 0) throw new WireError("empty CAA tag");
    const tag = r.bytes(tagLength, "CAA tag").toString("latin1");
    return { flags, tag, value: Buffer.from(r.bytes(end - r.pos, "CAA value")) };
  },
};

/** RFC 3597: any other type travels as opaque bytes. */
const RAW: RDataCodec = {
  encode: (w, _t, data) => w.bytes(data as Buffer),
  decode: (r, end) => Buffer.from(r.bytes(end - r.pos)),
};

const CODECS = new Map<number, RDataCodec>([
  [RRType.A, A],
  [RRType.NS, nameCodec(true)],
  [RRType.CNAME, nameCodec(true)],
  [RRType.SOA, SOA],
  [RRType.PTR, nameCodec(true)],
  [RRType.MX, MX],
  [RRType.TXT, TXT],
  [RRType.AAAA, AAAA],
  [RRType.SRV, SRV],
  [RRType.CAA, CAA],
]);

export function codecFor(type: number): RDataCodec {
  return CODECS.get(type) ?? RAW;
}
