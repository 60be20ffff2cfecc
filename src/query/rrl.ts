// Response rate limiting, as BIND and Knot do it: an authoritative server must not be the
// amplifier of a reflection attack (a spoofed source asking, many times a second, for a large
// answer). Over UDP, responses are counted per (client prefix: /24 or /56, answer: the name and
// type asked, or for NXDOMAIN the zone, or the error), in one-second windows; over the rate, a
// response is dropped, except every `slip`-th one, sent truncated (TC=1, no records) so that a
// real client behind the spoofed address retries over TCP. TCP, and clients that present a valid
// server cookie (their address is proven), are never limited.

import { masked } from "../locate/networks.js";
import { parseIPv4, parseIPv6 } from "../wire/ip.js";

export interface RrlOptions {
  /** Responses per second per (client prefix, answer); 0 turns rate limiting off. */
  readonly rate: number;
  /** Every slip-th limited response is sent truncated instead of dropped; 0: drop all, 1: truncate all. */
  readonly slip: number;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
}

export const DEFAULT_RRL: RrlOptions = { rate: 0, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 };

export interface RrlStats {
  /** Responses sent truncated, and dropped, because of the rate. */
  slipped: number;
  dropped: number;
}

interface Bucket {
  window: number;
  count: number;
  limited: number;
}

/** Buckets kept at most: a flood of distinct keys clears the table rather than growing it. */
const MAX_BUCKETS = 200_000;

export class ResponseRateLimiter {
  private buckets = new Map<string, Bucket>();
  readonly stats: RrlStats = { slipped: 0, dropped: 0 };

  constructor(private readonly options: RrlOptions, private readonly now: () => number = Date.now) {}

  /**
   * What to send for a UDP reply: the reply, a truncated copy, or nothing. `answer` names what was
   * answered (see the file's comment); `address` is the client's.
   */
  limit(reply: Buffer, address: string, answer: string): Buffer | null {
    const key = `${this.prefix(address)}|${answer}`;
    const window = Math.floor(this.now() / 1000);
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets = new Map();
      this.buckets.set(key, (b = { window, count: 0, limited: 0 }));
    }
    if (b.window !== window) { b.window = window; b.count = 0; }
    if (++b.count <= this.options.rate) return reply;
    b.limited++;
    if (this.options.slip > 0 && b.limited % this.options.slip === 0) {
      this.stats.slipped++;
      return truncated(reply);
    }
    this.stats.dropped++;
    return null;
  }

  private prefix(address: string): string {
    const v4 = parseIPv4(address);
    const bytes = v4 ?? parseIPv6(address);
    if (bytes === null) return address;
    return masked(bytes, v4 !== null ? this.options.ipv4Prefix : this.options.ipv6Prefix).toString("hex");
  }
}

/** The reply's header and question, TC=1, no records: "ask again over TCP". */
export function truncated(reply: Buffer): Buffer {
  if (reply.length < 12) return reply;
  let end = 12;
  if (reply.readUInt16BE(4) > 0) {
    // The question's name is never compressed in our replies (it comes first); then type and class.
    while (end < reply.length && reply[end]! !== 0) end += reply[end]! + 1;
    end = Math.min(reply.length, end + 5);
  }
  const out = Buffer.from(reply.subarray(0, end));
  out[2] = out[2]! | 0x02;
  out.writeUInt16BE(end > 12 ? 1 : 0, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  return out;
}
