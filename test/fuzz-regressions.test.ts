// Failures scripts/fuzz and scripts/soak found (issue 9 §4), each kept as a case against a real
// server on loopback. A fuzz case names its index (scripts/fuzz --seed S --replay INDEX makes it again).

import { spawn } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeQuery, udpExchange } from "./support/client.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";
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

describe("gslb serve with monitored pools (found by scripts/soak)", () => {
  it("stays up and serves: it used to exit silently, code 0, while its prober process loaded", async () => {
    // Before the fix, the first round of checks waited for the prober's "ready" with nothing
    // holding the event loop (the prober and its timer unref'd, no socket open yet): the process
    // ended at once, before it served anything, whenever a pool had a monitor.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-regress-"));
    const port = await new Promise<number>((resolve) => {
      const s = dgram.createSocket("udp4");
      s.bind(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
    });
    const zone = Object.assign(sampleZone(), {
      // Nothing listens on port 9 of 127.0.0.101: the origin is found down at once.
      monitors: { hc: { type: "tcp", port: 9, interval: 5, timeout: 1, retries: 0 } },
      pools: { main: { origins: [{ name: "a", address: "127.0.0.101" }], monitor: "hc" }, backup: { origins: [{ name: "b", address: "127.0.0.110" }] } },
      load_balancers: { app: { default_pools: ["main"], fallback_pool: "backup" } },
      networks: {},
    });
    fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(zone));
    const main = new URL("../dist/cli/main.js", import.meta.url).pathname;
    const proc = spawn(process.execPath, [main, "serve", "--zones", dir, "--listen", `127.0.0.1:${port}`, "--log-level", "warn"], { stdio: "ignore" });
    let exited: number | null | undefined;
    proc.on("exit", (code) => { exited = code; });
    try {
      let reply: Buffer | null = null;
      for (let i = 0; i < 60 && reply === null && exited === undefined; i++) {
        reply = await udpExchange(port, makeQuery("app.lb.example.com"), { timeoutMs: 200 });
      }
      expect(exited).toBeUndefined();
      // The origin is down: the fallback answers.
      expect(dnsPacket.decode(reply!).answers!.map((a: any) => a.data)).toEqual(["127.0.0.110"]);
    } finally {
      proc.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
