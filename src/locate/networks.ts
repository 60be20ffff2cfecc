// Operator-defined networks ("10.20.0.0/16": { country, region, latitude, longitude }): the first
// thing a client address is looked up in, longest prefix first. Parsed once at load.

import { parseIPv4, parseIPv6 } from "../wire/ip.js";

export interface NetworkLocation {
  readonly country?: string | undefined;
  readonly subdivision?: string | undefined;
  readonly region?: string | undefined;
  readonly latitude?: number | undefined;
  readonly longitude?: number | undefined;
}

export interface Network {
  readonly cidr: string;
  readonly family: 4 | 6;
  readonly bytes: Buffer;
  readonly prefix: number;
  readonly location: NetworkLocation;
}

/** "192.0.2.0/24" → bytes and prefix, or an error message. Host bits must be zero. */
export function parseCidr(cidr: string): { family: 4 | 6; bytes: Buffer; prefix: number } | string {
  const slash = cidr.lastIndexOf("/");
  if (slash < 0) return "expected ADDRESS/PREFIX, e.g. 10.20.0.0/16";
  const text = cidr.slice(0, slash);
  const prefix = Number(cidr.slice(slash + 1));
  const v4 = parseIPv4(text);
  const bytes = v4 ?? parseIPv6(text);
  if (bytes === null) return `${JSON.stringify(text)} is not an IP address`;
  const family = v4 !== null ? 4 : 6;
  const bits = family === 4 ? 32 : 128;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return `prefix must be 0 to ${bits}`;
  if (!masked(bytes, prefix).equals(bytes)) return `host bits are set beyond /${prefix} (did you mean ${formatMasked(bytes, prefix, family)}/${prefix}?)`;
  return { family, bytes, prefix };
}

export function masked(bytes: Buffer, prefix: number): Buffer {
  const out = Buffer.alloc(bytes.length);
  maskInto(bytes, prefix, out);
  return out;
}

/** `bytes` masked to `prefix` bits, written into `out` (same length): no allocation, for the query path. */
export function maskInto(bytes: Buffer, prefix: number, out: Buffer): void {
  for (let i = 0; i < out.length; i++) {
    const keep = prefix - i * 8;
    out[i] = keep >= 8 ? bytes[i]! : keep <= 0 ? 0 : bytes[i]! & (0xff << (8 - keep));
  }
}

function formatMasked(bytes: Buffer, prefix: number, family: 4 | 6): string {
  const m = masked(bytes, prefix);
  return family === 4 ? [...m].join(".") : m.toString("hex").match(/.{4}/g)!.join(":");
}

export function contains(n: Network, family: 4 | 6, bytes: Buffer): boolean {
  if (n.family !== family) return false;
  const whole = n.prefix >> 3;
  for (let i = 0; i < whole; i++) if (n.bytes[i] !== bytes[i]) return false;
  const rest = n.prefix & 7;
  return rest === 0 || ((n.bytes[whole]! ^ bytes[whole]!) & (0xff << (8 - rest)) & 0xff) === 0;
}

/** Networks sorted longest prefix first, so the first match is the most specific. */
export function sortNetworks(networks: Network[]): Network[] {
  return [...networks].sort((a, b) => b.prefix - a.prefix);
}
