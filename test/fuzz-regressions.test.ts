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
    const proc = spawn(process.execPath, [main, "serve", "--workers", "1", "--no-http", "--zones", dir, "--listen", `127.0.0.1:${port}`, "--log-level", "warn"], { stdio: "ignore" });
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

describe("TCP: complete messages, then a frame announcing 65,535 bytes of which 2 come (fuzz seed 1, case 831578)", () => {
  it("answers every complete message in order; the unfinished frame holds nothing back", async () => {
    // Under a loaded host this conversation once got 15 of its 18 replies within 1.5 s; alone it
    // gets all at once. Kept as a test of the mode (bogus length prefix) with the case's bytes.
    const messages = [
      "ec1500000001000000000000074c6f6e47547874024c42076558416d704c6503434f6d0000230001",
      "606b011000010000000000010864616e676c696e67026c62076578616d706c6503636f6d00004000010000295a14000080000000",
      "26fc013000010000000000000a4d",
      "e40400000001000000000000017803646576826c62076578616d706c6503636f6d0038950001",
      "a3230000000100000000000102696406736572766572000029000300002904d0000000000000",
      "220d0120000100000000000005636e616d65026c62076578616d706c6503636f6d0000fa0001",
      "d3670000000100000000000006cf99a3bb4b560735305547714c410b376d644a3854364b68566805616c696173026c62076578616d706c6503636f6d0000050001",
      "99240000000100000000000009494d754b4f4255423334514e4b56504c5755566a3836472d334953635f32537a4b4d453377655445506b4e7a42307a513372503752325354304c3745474e0000300001",
      "ff150100000100000000000003707472026c62076578616d706c6503636f6d00bdaf0001",
      "028b000000020000000000010864616e474c696e67024c42076558416d504c6503434f6d00002900010000291000000000000037000a000817b4573def116133000a000f868a9c25cef960721efb27f9045b42000a0008af00e236b06db0e70008000800011e000a1e33fc",
      "f70b0100000100000000000109574d7854486230754f07157796654b00c20634434474585301690988f700690114561195057217502f0a00000000010000298601000080000044000c0019000000000000000000000000000000000000000000000000000008001700031800af387b8971fc5ef0befc2fe2008a8be6154804000800080002210053c1d5cf",
      "dee101000001000000000000043548794b03777777026c62076578616d706c6503636f6d0053810001",
      "b71001000001451500000001016204c00cc00c024c62076558616d504c4503634f6d00e978000100002901ff00000000005c000a004043d587aaaae20a0d4435e25768d0191bf07e145e46f6613fbfaf3a695c9f72048397014d81ebeece429e11bb5718000000000000000000000000000000",
      "f147012000012a000000",
      "01f60000000100000000000100001c000100002930ac00000000000c000a000859e010df9b03b9c0",
      "727800100001000000000001045f734950045f746370024c42076578614d506c4503636f6d00001c000100002904d0000000000000",
      "dfc70010000100000000000103707472026c62076578616d706c6503636f6d0063180001000029020000000000002c0008000800011b009f187020456c000cf20ade793b894a9f71f8dd3800030000000a0008b3a9708ddde4a566",
      "0ea60000000100000000000009c33b45666c3dbf31bc0776657273696f6e0673657276657200000c0001",
      "f1d6000000010000000000000159015a03617050024c42076578616d504c6503634f6d00002e0001",
    ].map((h) => Buffer.from(h, "hex"));
    const expected = messages.filter((m) => m.length >= 12 && (m[2]! & 0x80) === 0);
    const replies = await new Promise<Buffer[]>((resolve, reject) => {
      const got: Buffer[] = [];
      let acc = Buffer.alloc(0);
      const s = net.connect({ host: "127.0.0.1", port: t.port }, () => {
        s.write(Buffer.concat(messages.map(framed)));
        s.write(Buffer.from([0xff, 0xff, 0x12, 0x34]));
      });
      const timer = setTimeout(() => { s.destroy(); resolve(got); }, 3000);
      s.on("data", (d) => {
        acc = Buffer.concat([acc, d]);
        while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) { got.push(acc.subarray(2, 2 + acc.readUInt16BE(0))); acc = acc.subarray(2 + acc.readUInt16BE(0)); }
        if (got.length === expected.length) { clearTimeout(timer); s.destroy(); resolve(got); }
      });
      s.on("error", reject);
    });
    expect(replies.map((r) => r.readUInt16BE(0))).toEqual(expected.map((m) => m.readUInt16BE(0)));
    for (const r of replies) expect(r[2]! & 0x80).toBe(0x80);
  });
});
