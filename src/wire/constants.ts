// DNS wire constants. Plain objects (not enums) so they inline well and read like the RFC tables.

/** Resource record types we serve, decode, or must recognise (RFC 1035, 3596, 2782, 8659, 6891, 8482). */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  TKEY: 249,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
  CAA: 257,
} as const;
export type RRTypeName = keyof typeof RRType;

const TYPE_NAMES = new Map<number, string>(Object.entries(RRType).map(([k, v]) => [v, k]));
/** "A", "AAAA", ... or RFC 3597 "TYPE123" for the unknown. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

export const RRClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/** Response codes. Values above 15 need the OPT record's extended RCODE bits (RFC 6891 §6.1.3). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
  BADCOOKIE: 23,
} as const;

/** EDNS0 option codes (IANA "DNS EDNS0 Option Codes"). */
export const EdnsOptionCode = {
  NSID: 3,
  ECS: 8,
  COOKIE: 10,
  TCP_KEEPALIVE: 11,
  PADDING: 12,
} as const;

/** RFC 8020 / 1035 limits. */
export const MAX_NAME_OCTETS = 255;
export const MAX_LABEL_OCTETS = 63;
export const MAX_TTL = 2 ** 31 - 1;
export const HEADER_OCTETS = 12;
/** Largest DNS message (TCP length prefix is 16 bits). */
export const MAX_MESSAGE_OCTETS = 65535;
/** RFC 1035 UDP limit for clients without EDNS. */
export const CLASSIC_UDP_OCTETS = 512;
/** DNS Flag Day 2020 recommendation; configurable with --udp-size. */
export const DEFAULT_EDNS_UDP_OCTETS = 1232;
