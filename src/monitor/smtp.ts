// The smtp monitor, as Cloudflare documents its own (developers.cloudflare.com/load-balancing/
// monitors/, "Supported protocols"): "The monitor establishes a TCP connection and sends an SMTP
// HELO command. It expects a reply with code 250. The monitor then sends an SMTP QUIT command,
// expecting a reply with code 221." Before HELO we wait for the server's greeting, which must be
// 220 (RFC 5321 §3.1: a client waits for it; 554 means "no service here"). Replies may span lines
// ("250-..." then "250 ..."). So: up = 220 banner, 250 to HELO, 221 to QUIT, all within one
// timeout; anything else is down with the step and code as the reason ("banner 554 ...").
// RTT: from sending HELO to its 250, a round trip that the server answers at once; the time to
// the banner is not used, since servers may hold it back on purpose (Postfix's postscreen waits
// seconds before greeting), which says nothing about the network.
// Default port 25 (Cloudflare's API calls the port required for SMTP; a monitor exported from it
// always has one).

import net from "node:net";
import os from "node:os";
import { baseSettings, ignore, monitorObject, portOrDefault } from "./fields.js";
import { deadline, describeError, excerpt, type BaseSettings, type BaseSpec, type MonitorType, type ProbeResult, sourceFor } from "./types.js";

export type SmtpSettings = BaseSettings<"smtp"> & { readonly port: number };

export interface SmtpSpec extends BaseSpec<"smtp"> {
  /** The name this prober gives in HELO: its host name. */
  readonly heloName: string;
}

const DEFAULT_PORT = 25;
/** A reply longer than this (all its lines) is not an SMTP server talking. */
const MAX_REPLY = 16 * 1024;

const ignored = ignore("probe_zone", "method", "path", "header", "expected_codes", "expected_body", "follow_redirects", "allow_insecure");

const input = monitorObject("smtp", ignored, { port: portOrDefault(DEFAULT_PORT) });

export const smtp: MonitorType<"smtp", SmtpSettings, SmtpSpec> = {
  name: "smtp",
  schema: input.transform((m) => ({ ...baseSettings("smtp", m), port: m.port || DEFAULT_PORT })),
  fields: Object.keys(input.shape),
  ignored,
  spec: (s, target) => ({ type: "smtp", host: target.host, port: s.port, timeoutMs: s.timeout * 1000, retries: s.retries, heloName: heloName() }),
  once: smtpOnce,
};

/** HELO takes a domain; a host name without dots is still what most servers log and accept. */
function heloName(): string {
  const name = os.hostname();
  return /^[A-Za-z0-9.-]+$/.test(name) ? name : "gslb-monitor";
}

interface Reply { code: number; text: string }

/**
 * Takes one complete reply off the front of `buf`: lines "250-..." continue it, the first line
 * "250 ..." (or a bare "250") ends it. Returns null while incomplete, "malformed" for a line that
 * is not a reply line.
 */
export function takeReply(buf: { text: string }): Reply | "malformed" | null {
  let at = 0;
  const lines: string[] = [];
  for (;;) {
    const nl = buf.text.indexOf("\n", at);
    if (nl < 0) return null;
    const line = buf.text.slice(at, nl).replace(/\r$/, "");
    at = nl + 1;
    const m = /^(\d{3})([ -]|$)(.*)$/.exec(line);
    if (!m || (lines.length > 0 && m[1] !== lines[0]!.slice(0, 3))) return "malformed";
    lines.push(line);
    if (m[2] !== "-") {
      buf.text = buf.text.slice(at);
      return { code: Number(m[1]), text: lines.map((l) => l.slice(4)).join(" ") };
    }
  }
}

function smtpOnce(spec: SmtpSpec): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const socket = net.connect({ host: spec.host, port: spec.port, ...sourceFor(spec.host) });
    let settled = false;
    const done = (r: ProbeResult) => { if (!settled) { settled = true; clearTimeout(timer); socket.destroy(); resolve(r); } };
    const fail = (reason: string) => done({ ok: false, rttMs: null, reason });
    const timer = deadline(spec.timeoutMs, start, done);

    let step: "banner" | "HELO" | "QUIT" = "banner";
    let heloSent = 0;
    let rtt = 0;
    const buf = { text: "" };
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      buf.text += chunk;
      for (;;) {
        if (settled) return;
        const reply = takeReply(buf);
        if (reply === null) {
          if (buf.text.length > MAX_REPLY) fail(`${step}: reply too long`);
          return;
        }
        if (reply === "malformed") { fail(`${step}: not an SMTP reply: ${excerpt(buf.text.split("\n")[0] ?? "")}`); return; }
        const expected = step === "banner" ? 220 : step === "HELO" ? 250 : 221;
        if (reply.code !== expected) { fail(`${step} ${reply.code} ${excerpt(reply.text)}`.trimEnd()); return; }
        if (step === "banner") {
          step = "HELO";
          heloSent = performance.now();
          socket.write(`HELO ${spec.heloName}\r\n`);
        } else if (step === "HELO") {
          rtt = performance.now() - heloSent;
          step = "QUIT";
          socket.write("QUIT\r\n");
        } else {
          done({ ok: true, rttMs: rtt, reason: "SMTP 220, 250, 221" });
        }
      }
    });
    socket.once("error", (err) => fail(describeError(err)));
    socket.once("close", () => fail(step === "banner" ? "connection closed before the banner" : `connection closed before the reply to ${step}`));
  });
}
