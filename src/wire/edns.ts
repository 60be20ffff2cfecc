// EDNS0 option payloads we interpret: Client Subnet (RFC 7871 §6) and Cookie (RFC 7873 §4).
// Decoders return the value or a reason string; the caller answers FORMERR with it.

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip.js";
import type { ClientSubnet, Cookie } from "./types.js";

const FAMILY_BITS = { 1: 32, 2: 128 } as const;

export function decodeClientSubnet(data: Buffer): ClientSubnet | string {
  if (data.length < 4) return "option shorter than 4 bytes";
  const family = data.readUInt16BE(0);
  if (family !== 1 && family !== 2) return `unknown address family ${family}`;
  const maxBits = FAMILY_BITS[family];
  const sourcePrefix = data[2]!;
  const scopePrefix = data[3]!;
  if (sourcePrefix > maxBits) return `source prefix ${sourcePrefix} longer than ${maxBits}`;
  if (scopePrefix > maxBits) return `scope prefix ${scopePrefix} longer than ${maxBits}`;
  const addressBytes = Math.ceil(sourcePrefix / 8);
  if (data.length - 4 !== addressBytes) return `address is ${data.length - 4} bytes, source prefix ${sourcePrefix} needs ${addressBytes}`;
  const full = Buffer.alloc(maxBits / 8);
  data.copy(full, 0, 4);
  // Bits beyond the source prefix must be zero (RFC 7871 §6).
  const spare = addressBytes * 8 - sourcePrefix;
  if (spare > 0 && (full[addressBytes - 1]! & ((1 << spare) - 1)) !== 0) return "address has bits set beyond the source prefix";
  return { family, sourcePrefix, scopePrefix, address: family === 1 ? formatIPv4(full) : formatIPv6(full), bytes: full };
}

export function encodeClientSubnet(ecs: ClientSubnet): Buffer {
  const full = ecs.bytes ?? (ecs.family === 1 ? parseIPv4(ecs.address) : parseIPv6(ecs.address));
  if (full === null) throw new Error(`client subnet address ${JSON.stringify(ecs.address)} is not of family ${ecs.family}`);
  const addressBytes = Math.ceil(ecs.sourcePrefix / 8);
  const out = Buffer.alloc(4 + addressBytes);
  out.writeUInt16BE(ecs.family, 0);
  out[2] = ecs.sourcePrefix;
  out[3] = ecs.scopePrefix;
  full.copy(out, 4, 0, addressBytes);
  // Keep bits beyond the source prefix zero, whatever the address text said.
  const spare = addressBytes * 8 - ecs.sourcePrefix;
  if (spare > 0) out[4 + addressBytes - 1]! &= 0xff << spare;
  return out;
}

/** Client cookie alone (8 bytes) or with a server cookie (8 to 32 bytes): total 8 or 16..40. */
export function decodeCookie(data: Buffer): Cookie | string {
  if (data.length === 8) return { client: data, server: null };
  if (data.length >= 16 && data.length <= 40) return { client: data.subarray(0, 8), server: data.subarray(8) };
  return `cookie of ${data.length} bytes (must be 8, or 16 to 40)`;
}

export function encodeCookie(c: Cookie): Buffer {
  return c.server === null ? Buffer.from(c.client) : Buffer.concat([c.client, c.server]);
}
