// Issue 9 §4: TCP clients that trickle, never read, or open too many connections hold nothing for
// long, through a real server on loopback and real sockets. Each test failed before its defence.

import net from "node:net";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeQuery, tcpExchange, udpExchange } from "./support/client.js";
import { richZone } from "./support/zones.js";
import { startTestServer, type TestServer } from "./support/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ "lb.example.com.json": richZone() }, {
    monitors: false,
    tcp: { idleTimeoutMs: 10_000, messageTimeoutMs: 600, maxConnectionsPerClient: 3, maxPendingWriteBytes: 16 * 1024, maxPendingReplies: 32, maxTotalPendingBytes: 64 * 1024, stallTimeoutMs: 600,
      // No reply budget here: these tests fill the kernel's buffers to reach the server's bounds.
      maxReplyBytesPerSecond: 1e12 },
  });
});
afterAll(() => t.close());

const connect = (localAddress = "127.0.0.1") => new Promise<net.Socket>((resolve, reject) => {
  const s = net.connect({ host: "127.0.0.1", port: t.port, localAddress }, () => resolve(s));
  s.on("error", (err) => (s.connecting ? reject(err) : undefined));
});
/** Milliseconds until the server closes `s`, or Infinity after `limitMs`. */
const closedWithin = (s: net.Socket, limitMs: number) => new Promise<number>((resolve) => {
  const t0 = Date.now();
  const timer = setTimeout(() => resolve(Infinity), limitMs);
  s.on("close", () => { clearTimeout(timer); resolve(Date.now() - t0); });
  s.on("end", () => s.destroy());
});
const framed = (q: Buffer) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);

describe("hostile TCP clients", () => {
  it("a client that trickles a message one byte at a time is closed at the message deadline, whatever the idle timeout", async () => {
    const s = await connect();
    const bytes = framed(makeQuery("ns1.lb.example.com"));
    let i = 0;
    // One byte every 100 ms: each byte would reset an idle timer; the message takes 3 s.
    const drip = setInterval(() => { if (i < bytes.length && !s.destroyed) s.write(bytes.subarray(i, ++i)); }, 100);
    try {
      const ms = await closedWithin(s, 3000);
      expect(ms).toBeLessThan(1500);
    } finally {
      clearInterval(drip);
      s.destroy();
    }
    expect(t.server.tcpStats().messageTimeouts).toBeGreaterThanOrEqual(1);
  });

  it("60 clients that announce 65,535 bytes and send them a byte every 10 ms are all closed at the message deadline; UDP is answered meanwhile", async () => {
    // The dribble of issue 9 §4 (scripts/soak runs it at length): each byte is a read and a copy.
    const before = t.server.tcpStats().messageTimeouts;
    const sockets = await Promise.all(Array.from({ length: 60 }, (_, i) => connect(`127.0.4.${i + 1}`)));
    const closed = Promise.all(sockets.map((s) => closedWithin(s, 3000)));
    const drips = sockets.map((s) => {
      s.write(Buffer.from([0xff, 0xff]));
      return setInterval(() => { if (!s.destroyed) s.write(Buffer.from([0])); }, 10);
    });
    try {
      const udp: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t0 = Date.now();
        expect(await udpExchange(t.port, makeQuery("ns1.lb.example.com"))).not.toBeNull();
        udp.push(Date.now() - t0);
        await new Promise((r) => setTimeout(r, 30));
      }
      // Deadline 600 ms here; all 60 gone well within 1.5 s of connecting, and none of them by their own doing.
      expect(Math.max(...(await closed))).toBeLessThan(1500);
      expect(t.server.tcpStats().messageTimeouts - before).toBe(60);
      expect(Math.max(...udp)).toBeLessThan(250);
    } finally {
      for (const d of drips) clearInterval(d);
      for (const s of sockets) s.destroy();
    }
  });

  it("caps connections per client address; other clients are still served", async () => {
    const before = t.server.tcpStats().refusedPerClient;
    const mine = await Promise.all([connect(), connect(), connect()]);
    try {
      const fourth = await connect();
      expect(await closedWithin(fourth, 1000)).toBeLessThan(500);
      // Another client (another loopback address) gets in and is answered.
      const [reply] = await tcpExchange(t.port, [makeQuery("ns1.lb.example.com")], { from: "127.0.0.2" });
      expect(dnsPacket.decode(reply!).answers).toHaveLength(1);
      expect(t.server.tcpStats().refusedPerClient).toBe(before + 1);
    } finally {
      for (const s of mine) s.destroy();
    }
  });

  it("a client that pipelines queries and never reads is paused, then dropped; what it held is released", async () => {
    const before = t.server.tcpStats().stalledDrops;
    const s = await connect("127.0.0.3");
    s.pause(); // never read: replies pile up in the kernel, then in the server
    // ~1.6 kB replies, 8,000 of them: more than loopback's socket buffers hold (a few MB each way).
    const query = framed(makeQuery("huge.lb.example.com"));
    s.write(Buffer.concat(Array.from({ length: 8000 }, () => query)));
    try {
      // A paused client does not see its own socket close: ask the server.
      const start = Date.now();
      while (t.server.tcpStats().stalledDrops === before && Date.now() - start < 4000) await new Promise((r) => setTimeout(r, 20));
      expect(t.server.tcpStats().stalledDrops).toBe(before + 1);
      // Released when the socket has closed (an event after the drop).
      while (t.server.tcpStats().pendingBytes !== 0 && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
      expect(t.server.tcpStats().pendingBytes).toBe(0);
    } finally {
      s.destroy();
    }
  });

  it("replies waiting for clients that do not read are bounded in total", async () => {
    // Each connection may hold 64 KiB, all of them together 32 KiB: only the total bound holds them.
    const total = await startTestServer({ "lb.example.com.json": richZone() }, {
      monitors: false, tcp: { maxPendingWriteBytes: 64 * 1024, maxPendingReplies: 1000, maxTotalPendingBytes: 32 * 1024, stallTimeoutMs: 10_000, maxReplyBytesPerSecond: 1e12 },
    });
    const sockets = await Promise.all(Array.from({ length: 3 }, (_, i) => new Promise<net.Socket>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port: total.port, localAddress: `127.0.0.${10 + i}` }, () => resolve(s));
      s.on("error", () => {});
    })));
    let peak = 0;
    const watch = setInterval(() => { peak = Math.max(peak, total.server.tcpStats().pendingBytes); }, 5);
    try {
      const query = framed(makeQuery("huge.lb.example.com"));
      const burst = Buffer.concat(Array.from({ length: 8000 }, () => query));
      for (const s of sockets) { s.pause(); s.write(burst); }
      await new Promise((r) => setTimeout(r, 500));
      // 32 KiB in total, plus at most one reply per connection that was being written when a bound was reached.
      expect(peak).toBeLessThanOrEqual(32 * 1024 + 3 * 2048);
      expect(peak).toBeGreaterThan(0);
    } finally {
      clearInterval(watch);
      for (const s of sockets) s.destroy();
      await total.close();
    }
  });
});

describe("reply budget per connection", () => {
  it("a connection is sent at most its reply bytes per second, however many queries it pipelines", async () => {
    const slow = await startTestServer({ "lb.example.com.json": richZone() }, { monitors: false, tcp: { maxReplyBytesPerSecond: 8 * 1024 } });
    try {
      // 12 replies of ~1.6 kB (19 kB): the first 8 kB at once, the rest at 8 kB a second.
      const t0 = Date.now();
      const replies = await tcpExchange(slow.port, Array.from({ length: 12 }, () => makeQuery("huge.lb.example.com")), { timeoutMs: 5000 });
      const ms = Date.now() - t0;
      expect(replies).toHaveLength(12);
      expect(ms).toBeGreaterThan(1000);
      expect(ms).toBeLessThan(3500);
    } finally {
      await slow.close();
    }
  });
});
