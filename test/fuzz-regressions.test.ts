// Failures scripts/fuzz found (issue 9 §4), each kept as a case against a real server on loopback.
// Every test names the fuzz case it came from (scripts/fuzz --seed S --replay INDEX makes it again).

import net from "node:net";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeQuery } from "./support/client.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { richZone } from "./support/zones.js";

let t: TestServer;
beforeAll(async () => { t = await startTestServer({ "lb.example.com.json": richZone() }, { monitors: false }); });
afterAll(() => t.close());

const framed = (q: Buffer) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);

/** Send `bytes` and half-close at once (FIN after the last query); collect replies until the server closes. */
function halfClose(port: number, bytes: Buffer, timeoutMs = 3000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const replies: Buffer[] = [];
    let acc = Buffer.alloc(0);
    const s = net.connect({ host: "127.0.0.1", port }, () => s.end(bytes));
    const timer = setTimeout(() => { s.destroy(); resolve(replies); }, timeoutMs);
    s.on("data", (d) => {
      acc = Buffer.concat([acc, d]);
      while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) { replies.push(acc.subarray(2, 2 + acc.readUInt16BE(0))); acc = acc.subarray(2 + acc.readUInt16BE(0)); }
    });
    s.on("close", () => { clearTimeout(timer); resolve(replies); });
    s.on("error", reject);
  });
}

describe("TCP half-close (fuzz seed 1, cases 48, 100, 1437, ...: 'half-close')", () => {
  it("answers every query received before the client's FIN, also those answered in a later turn", async () => {
    // 40 pipelined queries in one segment with the FIN: more than one turn's budget (16), so some
    // are answered after the FIN has arrived. Before the fix the server closed when the FIN came
    // and dropped them (32 of 40 answered alone; none at all when other clients held the turn).
    const queries = Array.from({ length: 40 }, (_, i) => makeQuery(i % 2 ? "ns1.lb.example.com" : "mail.lb.example.com"));
    const replies = await halfClose(t.port, Buffer.concat(queries.map(framed)));
    expect(replies.map((r) => r.readUInt16BE(0))).toEqual(queries.map((q) => q.readUInt16BE(0)));
  });

  it("answers queries held back by the reply budget before closing", async () => {
    const slow = await startTestServer({ "lb.example.com.json": richZone() }, { monitors: false, tcp: { maxReplyBytesPerSecond: 8 * 1024 } });
    try {
      // 12 replies of ~1.6 kB: the budget sends 8 kB at once and the rest over the next second.
      const queries = Array.from({ length: 12 }, () => makeQuery("huge.lb.example.com"));
      const replies = await halfClose(slow.port, Buffer.concat(queries.map(framed)), 5000);
      expect(replies).toHaveLength(12);
      expect(dnsPacket.decode(replies[11]!).answers).toHaveLength(100);
    } finally {
      await slow.close();
    }
  });

  it("closes a half-closed connection once it is answered, and at once when it sent nothing whole", async () => {
    const t0 = Date.now();
    const replies = await halfClose(t.port, framed(makeQuery("ns1.lb.example.com")));
    expect(replies).toHaveLength(1);
    // A partial message then FIN: nothing to answer, the server closes its side too (not at the 5 s message deadline).
    const partial = await halfClose(t.port, Buffer.from([0, 40, 1, 2, 3]));
    expect(partial).toHaveLength(0);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
