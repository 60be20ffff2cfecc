// Issue 9 §4: response rate limiting through a real server on loopback: over the rate, UDP
// responses are dropped but for every slip-th, sent truncated; TCP, other client prefixes and
// clients with a valid server cookie are not limited.

import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flagsOf, makeQuery, opt, tcpExchange, udpExchange } from "./support/client.js";
import { richZone } from "./support/zones.js";
import { startTestServer, type TestServer } from "./support/server.js";

let t: TestServer;
beforeAll(async () => { t = await startTestServer({ "lb.example.com.json": richZone() }, { monitors: false, rrl: { rate: 5, slip: 2 } }); });
afterAll(() => t.close());

/** Send `n` queries at once from `from`; count full replies, truncated ones and silences. */
async function burst(n: number, name: string, from: string, extra = {}): Promise<{ full: number; tc: number; none: number; replies: Buffer[] }> {
  const replies = await Promise.all(Array.from({ length: n }, () => udpExchange(t.port, makeQuery(name, "A", extra), { from, timeoutMs: 400 })));
  const got = replies.filter((r): r is Buffer => r !== null);
  return { full: got.filter((r) => !flagsOf(r).tc).length, tc: got.filter((r) => flagsOf(r).tc).length, none: replies.length - got.length, replies: got };
}

describe("response rate limiting", () => {
  it("over the rate per (client /24, answer), drops, and truncates every slip-th (TC=1, no records)", async () => {
    // Within one second (a window): 5 full answers, then of 35 limited, every 2nd truncated.
    const r = await burst(40, "host.lb.example.com", "127.0.0.1");
    expect(r.full).toBeLessThanOrEqual(10); // 5 a window; a burst may straddle two windows
    expect(r.full).toBeGreaterThanOrEqual(5);
    expect(r.tc).toBeGreaterThanOrEqual(14);
    expect(r.none).toBeGreaterThanOrEqual(14);
    const tc = r.replies.find((x) => flagsOf(x).tc)!;
    const decoded = dnsPacket.decode(tc);
    expect(decoded.questions).toEqual([expect.objectContaining({ name: "host.lb.example.com", type: "A" })]);
    expect(decoded.answers).toEqual([]);
    expect(t.server.rrlStats().slipped).toBeGreaterThanOrEqual(14);
  });

  it("another answer, another client prefix, and TCP are counted apart or not at all", async () => {
    expect((await burst(5, "ns1.lb.example.com", "127.0.0.1")).full).toBe(5);
    expect((await burst(5, "host.lb.example.com", "127.0.1.1")).full).toBe(5);
    const replies = await tcpExchange(t.port, Array.from({ length: 30 }, () => makeQuery("host.lb.example.com")));
    expect(replies).toHaveLength(30);
    expect(replies.every((r) => !flagsOf(r).tc && dnsPacket.decode(r).answers!.length > 0)).toBe(true);
  });

  it("a client that presents a valid server cookie is not limited", async () => {
    const client = Buffer.from("0123456789abcdef", "hex");
    const first = await udpExchange(t.port, makeQuery("mail.lb.example.com", "A", { additionals: [opt([{ code: 10, data: client }])] }), { from: "127.0.2.1" });
    const cookie = (dnsPacket.decode(first!).additionals![0] as any).options.find((o: any) => o.code === 10).data as Buffer;
    expect(cookie.length).toBe(24);
    const r = await burst(30, "mail.lb.example.com", "127.0.2.1", { additionals: [opt([{ code: 10, data: cookie }])] });
    expect(r).toMatchObject({ full: 30, tc: 0, none: 0 });
    // The same client without the server cookie is limited.
    const without = await burst(30, "mail.lb.example.com", "127.0.2.1", { additionals: [opt([{ code: 10, data: client }])] });
    expect(without.full).toBeLessThan(30);
  });
});
