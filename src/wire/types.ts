// The decoded shape of a DNS message. The codec (message.ts, rdata.ts, edns.ts) converts between
// this and bytes; nothing here knows about zones or sockets.
//
// Names are in presentation form without the trailing dot ("www.Example.com", "" for the root),
// with the letter case seen on the wire. Bytes that cannot stand bare are escaped as in RFC 1035
// §5.1: "\." for a dot inside a label, "\\" for a backslash, "\DDD" (decimal) for bytes outside
// 0x21–0x7E. Encoding accepts the same form, so decode(encode(x)) = x.

export interface Header {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** The reserved Z bit (must be zero in queries and replies; RFC 1035 §4.1.1). */
  z: boolean;
  ad: boolean;
  cd: boolean;
  /** The 4-bit RCODE of the header. With EDNS the full code is (edns.extendedRcode << 4) | rcode. */
  rcode: number;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface MxData {
  preference: number;
  exchange: string;
}
export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}
export interface CaaData {
  flags: number;
  tag: string;
  value: Buffer;
}

/**
 * RDATA by type:
 * A, AAAA: the address as text (AAAA in RFC 5952 canonical form);
 * NS, CNAME, PTR: a name; MX, SOA, SRV, CAA: the objects above;
 * TXT: the character-strings as bytes (each at most 255);
 * any other type: the raw RDATA bytes (RFC 3597).
 */
export type RData = string | Buffer | readonly Buffer[] | MxData | SoaData | SrvData | CaaData;

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

export interface EdnsOption {
  code: number;
  data: Buffer;
}

/** The OPT pseudo-record, lifted out of the additional section (RFC 6891 §6.1). */
export interface Edns {
  /** Requestor's UDP payload size (the OPT CLASS field). */
  udpSize: number;
  /** Upper 8 bits of the 12-bit extended RCODE. */
  extendedRcode: number;
  version: number;
  /** DNSSEC OK bit. */
  dnssecOk: boolean;
  /** The remaining 15 flag bits (Z), as received. */
  z: number;
  options: EdnsOption[];
}

export interface Message extends Header {
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  /** Additional records other than OPT. */
  additionals: ResourceRecord[];
  /** The OPT record, or null when the message has none. */
  edns: Edns | null;
}

/** EDNS Client Subnet option (RFC 7871 §6). address is the family's full-length text form. */
export interface ClientSubnet {
  family: 1 | 2;
  sourcePrefix: number;
  scopePrefix: number;
  /** Address with bits beyond sourcePrefix zero, e.g. "192.0.2.0" or "2001:db8::". */
  address: string;
  /** The same address as bytes (4 or 16), when decoded from the wire: steering reads these, not the text. */
  bytes?: Buffer;
}

/** DNS Cookie option (RFC 7873 §4): client cookie 8 bytes, server cookie 8–32 bytes or absent. */
export interface Cookie {
  client: Buffer;
  server: Buffer | null;
}

/** Why bytes could not be decoded. `header` is set when the 12-byte header itself was readable. */
export interface DecodeError {
  reason: string;
  header: Header | null;
}

export type DecodeResult = { ok: true; message: Message } | { ok: false; error: DecodeError };
