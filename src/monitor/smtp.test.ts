// smtp probes against a tiny SMTP server written here (node:net, loopback): a good exchange, a
// refusing banner, HELO refused, QUIT not 221, replies over several lines and split across
// packets, no banner (timeout), a closed connection, something that is not SMTP.

import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { smtp, takeReply, type SmtpSpec } from "./smtp.js";

interface Script {
  /** The greeting (with its CRLFs), or null to say nothing; sent after bannerDelayMs. */
  banner: string | null;
  bannerDelayMs?: number;
  helo?: string;
  quit?: string;
  /** Hang up instead of greeting. */
  hangUp?: boolean;
}

interface Server { port: number; commands: string[]; closed: number; close(): void }
const servers: net.Server[] = [];
afterEach(() => { for (const s of servers.splice(0)) s.close(); });

async function smtpServer(script: Script): Promise<Server> {
  const out: Server = { port: 0, commands: [], closed: 0, close: () => server.close() };
  const server = net.createServer((sock) => {
    sock.once("close", () => { out.closed++; });
    if (script.hangUp) { sock.end(); return; }
    let buf = "";
    sock.on("data", (c) => {
      buf += c.toString("latin1");
      for (let nl = buf.indexOf("\r\n"); nl >= 0; nl = buf.indexOf("\r\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        out.commands.push(line);
        if (line.startsWith("HELO ")) sock.write(script.helo ?? "250 mx.test\r\n");
        else if (line === "QUIT") { sock.write(script.quit ?? "221 mx.test closing\r\n"); sock.end(); }
        else sock.write("500 unknown command\r\n");
      }
    });
    if (script.banner !== null) setTimeout(() => { if (!sock.destroyed) sock.write(script.banner!); }, script.bannerDelayMs ?? 0);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  out.port = (server.address() as net.AddressInfo).port;
  return out;
}

const spec = (port: number, timeoutMs = 1000): SmtpSpec => ({ type: "smtp", host: "127.0.0.1", port, timeoutMs, retries: 0, heloName: "prober.test" });
const settle = () => new Promise((r) => setTimeout(r, 50));

describe("smtp probe", () => {
  it("220 banner, 250 to HELO, 221 to QUIT: up, and the connection is closed", async () => {
    const s = await smtpServer({ banner: "220 mx.test ESMTP\r\n" });
    const r = await smtp.once(spec(s.port));
    expect(r).toMatchObject({ ok: true, reason: "SMTP 220, 250, 221" });
    expect(r.rttMs).toBeGreaterThan(0);
    expect(s.commands).toEqual(["HELO prober.test", "QUIT"]);
    await settle();
    expect(s.closed).toBe(1);
  });

  it("reads replies over several lines, split anywhere across packets", async () => {
    const s = await smtpServer({ banner: "220-mx.test ESMTP\r\n220-no UCE\r\n220 ready\r\n", helo: "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n" });
    expect(await smtp.once(spec(s.port))).toMatchObject({ ok: true });
    // The same exchange a few bytes at a time.
    const slow = net.createServer((sock) => {
      const parts = ["22", "0-mx", ".test\r", "\n220 ok", "\r\n"];
      let i = 0;
      const next = () => { if (i < parts.length && !sock.destroyed) { sock.write(parts[i++]!); setTimeout(next, 10); } };
      next();
      sock.on("data", (c) => { const l = c.toString(); if (l.startsWith("HELO")) sock.write("250-a\r\n25"); setTimeout(() => { if (l.startsWith("HELO")) sock.write("0 b\r\n"); if (l.startsWith("QUIT")) sock.end("221 bye\r\n"); }, 10); });
    });
    servers.push(slow);
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", () => r()));
    expect(await smtp.once(spec((slow.address() as net.AddressInfo).port))).toMatchObject({ ok: true });
  });

  it("a banner other than 220 is down, and no HELO is sent", async () => {
    const s = await smtpServer({ banner: "554 mx.test No SMTP service here\r\n" });
    expect(await smtp.once(spec(s.port))).toEqual({ ok: false, rttMs: null, reason: "banner 554 mx.test No SMTP service here" });
    expect(s.commands).toEqual([]);
  });

  it("HELO refused is down; so is a QUIT answered with anything but 221 (as at Cloudflare)", async () => {
    const refused = await smtpServer({ banner: "220 mx.test\r\n", helo: "550 go away\r\n" });
    expect(await smtp.once(spec(refused.port))).toMatchObject({ ok: false, reason: "HELO 550 go away" });
    expect(refused.commands).toEqual(["HELO prober.test"]);
    const badQuit = await smtpServer({ banner: "220 mx.test\r\n", quit: "500 what\r\n" });
    expect(await smtp.once(spec(badQuit.port))).toMatchObject({ ok: false, reason: "QUIT 500 what" });
  });

  it("no banner within the timeout is down, and the probe hangs up", async () => {
    const s = await smtpServer({ banner: null });
    const started = performance.now();
    expect(await smtp.once(spec(s.port, 300))).toEqual({ ok: false, rttMs: null, reason: "timeout after 300 ms" });
    expect(performance.now() - started).toBeLessThan(600);
    await settle();
    expect(s.closed).toBe(1);
  });

  it("measures RTT from HELO to its reply, not the time to a banner held back", async () => {
    const s = await smtpServer({ banner: "220 mx.test\r\n", bannerDelayMs: 300 });
    const started = performance.now();
    const r = await smtp.once(spec(s.port));
    expect(r.ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(r.rttMs!).toBeLessThan(150);
  });

  it("a connection closed before the banner, a non-SMTP peer, a refused port: down, each with its reason", async () => {
    const hangUp = await smtpServer({ banner: null, hangUp: true });
    expect(await smtp.once(spec(hangUp.port))).toMatchObject({ ok: false, reason: "connection closed before the banner" });
    const web = await smtpServer({ banner: "HTTP/1.1 400 Bad Request\r\n\r\n" });
    expect(await smtp.once(spec(web.port))).toMatchObject({ ok: false, reason: "banner: not an SMTP reply: HTTP/1.1 400 Bad Request" });
    const gone = await smtpServer({ banner: null });
    gone.close();
    servers.pop();
    await settle();
    expect(await smtp.once(spec(gone.port))).toMatchObject({ ok: false, reason: "connection refused" });
  });
});

describe("smtp replies and settings", () => {
  it("takes one complete reply at a time", () => {
    const buf = { text: "250-a\r\n250 b\r\n221 c\r\n" };
    expect(takeReply(buf)).toEqual({ code: 250, text: "a b" });
    expect(takeReply(buf)).toEqual({ code: 221, text: "c" });
    expect(takeReply(buf)).toBeNull();
    expect(takeReply({ text: "250-a\r\n250 b" })).toBeNull(); // last line not complete
    expect(takeReply({ text: "250-a\r\n221 b\r\n" })).toBe("malformed");
    expect(takeReply({ text: "250\r\n" })).toEqual({ code: 250, text: "" });
  });

  it("port 25 unless given (0 or absent means 25); Cloudflare's http fields are accepted without effect", () => {
    const target = { host: "127.0.0.1", hostHeader: null, originHostName: null };
    expect(smtp.spec(smtp.schema.parse({ type: "smtp" }), target).port).toBe(25);
    expect(smtp.spec(smtp.schema.parse({ type: "smtp", port: 0 }), target).port).toBe(25);
    expect(smtp.spec(smtp.schema.parse({ type: "smtp", port: 2525 }), target)).toMatchObject({ port: 2525, heloName: expect.any(String) });
    expect(smtp.schema.safeParse({ type: "smtp", method: "GET", path: "/", expected_codes: "200" }).success).toBe(true);
    expect(smtp.schema.safeParse({ type: "smtp", helo: "x" }).error!.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["helo"] });
  });
});
