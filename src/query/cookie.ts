// DNS server cookies (RFC 7873), in the interoperable format of RFC 9018 §4: servers sharing a
// secret (anycast, several instances) accept each other's cookies.
//
//   Version (1) | Reserved (3) | Timestamp (4) | Hash (8)
//   Hash = SipHash-2-4(secret, ClientCookie | Version | Reserved | Timestamp | Client-IP)

import crypto from "node:crypto";
import { parseIPv4, parseIPv6 } from "../wire/ip.js";
import { siphash24 } from "./siphash.js";

const VERSION = 1;
/** RFC 9018 §4.3: accept cookies up to an hour old and five minutes in the future... */
const MAX_AGE_S = 3600;
const MAX_FUTURE_S = 300;
/** ...and hand out a fresh one once the one presented is older than half an hour. */
const RENEW_AFTER_S = 1800;

export type CookieVerdict = "valid" | "invalid" | "stale";

export class CookieJar {
  private readonly secret: Buffer;
  private readonly previous: Buffer | null;
  // Hash input: client cookie (8) + version/reserved (4) + timestamp (4) + address (≤ 16).
  private readonly input = Buffer.alloc(32);

  constructor(
    secret: Buffer = crypto.randomBytes(16),
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
    /** A secret being rolled out of use (RFC 9018 §5): its cookies still validate. */
    previousSecret: Buffer | null = null,
  ) {
    if (secret.length !== 16) throw new Error("the cookie secret must be 16 bytes");
    this.secret = secret;
    this.previous = previousSecret;
  }

  makeServerCookie(client: Buffer, clientIp: string): Buffer {
    const out = Buffer.alloc(16);
    out[0] = VERSION;
    out.writeUInt32BE(this.now() >>> 0, 4);
    this.hash(this.secret, client, out, clientIp, out, 8);
    return out;
  }

  check(client: Buffer, server: Buffer, clientIp: string): CookieVerdict {
    if (server.length !== 16 || server[0] !== VERSION) return "invalid";
    const expected = Buffer.alloc(8);
    const matches = (secret: Buffer) => {
      this.hash(secret, client, server, clientIp, expected, 0);
      return crypto.timingSafeEqual(expected, server.subarray(8, 16));
    };
    if (!matches(this.secret) && (this.previous === null || !matches(this.previous))) return "invalid";
    // Serial-number arithmetic on the 32-bit timestamp (RFC 9018 §4.3 uses RFC 1982).
    const age = (this.now() - server.readUInt32BE(4)) | 0;
    return age > MAX_AGE_S || age < -MAX_FUTURE_S ? "stale" : "valid";
  }

  /** The server cookie for a reply: the one presented if valid and recent, else a new one. */
  serverCookieFor(client: Buffer, server: Buffer | null, clientIp: string): Buffer {
    if (server !== null && this.check(client, server, clientIp) === "valid") {
      const age = (this.now() - server.readUInt32BE(4)) | 0;
      if (age <= RENEW_AFTER_S) return Buffer.from(server);
    }
    return this.makeServerCookie(client, clientIp);
  }

  private hash(secret: Buffer, client: Buffer, header: Buffer, clientIp: string, out: Buffer, offset: number): void {
    const input = this.input;
    client.copy(input, 0, 0, 8);
    header.copy(input, 8, 0, 8);
    const length = 16 + writeAddress(input, 16, clientIp);
    siphash24(secret, input, length, out, offset);
  }
}

/** The client address as bytes (an IPv4-mapped IPv6 address counts as IPv4); returns the length. */
function writeAddress(into: Buffer, at: number, ip: string): number {
  const mapped = ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
  const v4 = parseIPv4(mapped);
  if (v4 !== null) { v4.copy(into, at); return 4; }
  const v6 = parseIPv6(mapped);
  if (v6 !== null) { v6.copy(into, at); return 16; }
  return 0;
}
