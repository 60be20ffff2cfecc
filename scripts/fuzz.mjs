#!/usr/bin/env node
// The driver of scripts/fuzz (issue 9 §4): a real gslb server, N cases over UDP (IPv4 and IPv6)
// and TCP, random and mutated, checked as they go. See scripts/fuzz for the options.
//
// Each case is made from (seed, index) alone, so `--replay INDEX` makes the same bytes again.
// What is checked:
//  - the server process stays up, and logs no error (a fault answered SERVFAIL is logged);
//  - a canary (UDP every second, TCP every 5 s) is answered correctly within a bound (no hang);
//  - every reply parses strictly, is a response, has the query's ID and opcode, and (when the
//    query's question could be read) echoes that question byte for byte; UDP replies fit the
//    size the query allowed; TCP replies come in order and are never truncated;
//  - a reply is expected exactly when the message is at least a header and not a response;
//  - the rcode is the one the query calls for (FORMERR, NOTIMP, BADVERS, REFUSED), and for names
//    whose answers are fixed (no load balancer) the answer is the one served at the start;
//  - memory: RSS sampled every second; heap and RSS after a forced GC at every 10% (gc-hook.mjs).
// A failing case is saved (hex and JSON) under --out and printed.

import dgram from "node:dgram";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { rng, caseSeed, buildQuery, optRecord, ecsData, frame, parseMessage, sameLabels, labelsText, nameBytes } from "./lib/dnswire.mjs";
import { writeFuzzZones, KNOWN_NAMES, STATIC_NAMES, ORACLE_TYPES } from "./lib/fuzz-zones.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// ------------------------------------------------------------------------------------ options
const opts = { cases: 1_000_000, seed: 1, port: 16053, out: "fuzz-failures", udpWindow: 48, tcpWindow: 48, tcpShare: 0.08, udp6Share: 0.05,
  replay: null, mode: "fuzz", seconds: 10, progressEvery: 5,  };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i], v = () => process.argv[++i];
  if (a === "--cases") opts.cases = Number(v());
  else if (a === "--seed") opts.seed = Number(v());
  else if (a === "--port") opts.port = Number(v());
  else if (a === "--out") opts.out = v();
  else if (a === "--udp-window") opts.udpWindow = Number(v());
  else if (a === "--tcp-window") opts.tcpWindow = Number(v());
  else if (a === "--tcp-share") opts.tcpShare = Number(v());
  else if (a === "--replay") opts.replay = v().split(",").map(Number);
  else if (a === "--overload") { opts.mode = "overload"; }
  else if (a === "--seconds") opts.seconds = Number(v());
  else if (a === "--flood-child") opts.mode = "flood-child";
  else if (a === "--tcp-flood") opts.tcpFlood = true;
  else if (a === "--canary-child") opts.mode = "canary-child";
  else { console.error(`fuzz: unknown option ${a}`); process.exit(2); }
}
if (opts.port < 16000 || opts.port > 16999) { console.error("fuzz: --port must be in 16000-16999"); process.exit(2); }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const MiB = (b) => (b / 1048576).toFixed(1);

// ------------------------------------------------------------------------------------ case generator
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const COMMON_TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 46, 48, 64, 65, 99, 255, 257, 41, 249, 250, 251, 252, 253, 254, 0, 65535];

function randomLabel(r) {
  const len = r.chance(0.8) ? r.range(1, 12) : r.range(1, 63);
  if (r.chance(0.7)) {
    const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*";
    let s = ""; for (let i = 0; i < len; i++) s += alphabet[r.int(alphabet.length)];
    return Buffer.from(s, "latin1");
  }
  return r.bytes(len); // dots, backslashes, NULs, high bytes inside a label
}

/** Labels of a query name: a known name (letter case shuffled), a random prefix on one, or random. */
function randomName(r) {
  let labels;
  const roll = r.next();
  if (roll < 0.55) labels = r.pick(KNOWN_NAMES).split(".").filter((l) => l !== "").map((l) => Buffer.from(l, "latin1"));
  else if (roll < 0.85) labels = [...Array.from({ length: r.range(1, 3) }, () => randomLabel(r)), ...r.pick(KNOWN_NAMES).split(".").filter((l) => l !== "").map((l) => Buffer.from(l, "latin1"))];
  else labels = Array.from({ length: r.range(0, 8) }, () => randomLabel(r));
  if (r.chance(0.3)) labels = labels.map((l) => Buffer.from([...l].map((b) => (b >= 97 && b <= 122 && r.chance(0.5) ? b - 32 : b))));
  // Keep within 255 octets (an over-long name is a mutation of its own).
  while (labels.reduce((n, l) => n + l.length + 1, 1) > 255) labels.shift();
  return labels;
}

function randomEcs(r) {
  const roll = r.next();
  if (roll < 0.35) { const p = r.range(0, 32); return ecsData(1, p, r.chance(0.5) ? [10, r.pick([20, 30, 99, r.int(256)]), r.int(256), r.int(256)] : r.bytes(4)); }
  if (roll < 0.55) { const p = r.range(0, 128); return ecsData(2, p, r.chance(0.3) ? Buffer.from("20010db800aa" + "00".repeat(10), "hex") : r.bytes(16)); }
  // Malformed: bad family, prefix too long, scope set, wrong address length, bits past the prefix.
  const family = r.pick([0, 1, 2, 3, 65535]);
  const src = r.pick([0, 8, 24, 32, 33, 64, 128, 129, 255]);
  const scope = r.pick([0, 0, 1, 24, 200]);
  const data = Buffer.alloc(4 + r.range(0, 20));
  data.writeUInt16BE(family, 0); data[2] = src; data[3] = scope;
  for (let i = 4; i < data.length; i++) data[i] = r.int(256);
  return r.chance(0.1) ? data.subarray(0, r.range(0, 3)) : data;
}

function randomOptions(r) {
  const options = [];
  const n = r.chance(0.2) ? 0 : r.range(1, 4);
  for (let i = 0; i < n; i++) {
    const roll = r.next();
    if (roll < 0.35) options.push({ code: 8, data: randomEcs(r) });
    else if (roll < 0.6) options.push({ code: 10, data: r.pick([8, 8, 16, 24, 40, 0, 7, 9, 15, 41, 64]) === 8 ? r.bytes(8) : r.bytes(r.pick([16, 24, 40, 0, 7, 9, 15, 41, 64])) });
    else if (roll < 0.75) options.push({ code: 3, data: r.chance(0.8) ? Buffer.alloc(0) : r.bytes(r.range(1, 10)) });
    else if (roll < 0.85) options.push({ code: 12, data: Buffer.alloc(r.range(0, 200)) });
    else options.push({ code: r.int(65536), data: r.bytes(r.range(0, 30)) });
  }
  return options;
}

/** A query as a client might send it (mostly well-formed). */
function randomQuery(r) {
  const type = r.chance(0.75) ? r.pick(COMMON_TYPES) : r.int(65536);
  const clsRoll = r.next();
  const cls = clsRoll < 0.85 ? 1 : clsRoll < 0.9 ? 3 : clsRoll < 0.95 ? 255 : r.int(65536);
  let flags = r.chance(0.5) ? 0x0100 : 0;
  if (r.chance(0.1)) flags |= 0x0010; // CD
  if (r.chance(0.1)) flags |= 0x0020; // AD
  if (r.chance(0.04)) flags |= r.int(16) << 11; // opcode
  if (r.chance(0.03)) flags |= r.int(65536) & 0x06cf; // AA, TC, Z, RA, rcode bits
  const edns = r.chance(0.6) ? {
    udpSize: r.pick([0, 1, 511, 512, 1232, 1232, 4096, 4096, 65535, r.int(65536)]),
    flags: (r.chance(0.3) ? 0x8000 : 0) | (r.chance(0.05) ? r.int(0x8000) : 0),
    version: r.chance(0.95) ? 0 : r.range(1, 255),
    extendedRcode: r.chance(0.97) ? 0 : r.int(256),
    options: randomOptions(r),
  } : null;
  return buildQuery({ id: r.int(65536), name: randomName(r), type, cls, flags, edns });
}

/** One to several damages to a message. */
function mutate(r, input) {
  let b = Buffer.from(input);
  const n = 1 + (r.chance(0.5) ? 0 : r.range(1, 4));
  for (let k = 0; k < n; k++) {
    const op = r.int(14);
    if (b.length === 0 && op > 3) { b = r.bytes(r.range(1, 20)); continue; }
    switch (op) {
      case 0: { const i = r.int(Math.max(1, b.length)); if (b.length) b[i] ^= 1 << r.int(8); break; } // bit flip
      case 1: { if (b.length) b[r.int(b.length)] = r.int(256); break; } // byte
      case 2: b = b.subarray(0, r.int(b.length + 1)); break; // truncation
      case 3: b = Buffer.concat([b, r.bytes(r.range(1, r.chance(0.9) ? 16 : 600))]); break; // trailing bytes
      case 4: { const i = r.int(b.length + 1); b = Buffer.concat([b.subarray(0, i), r.bytes(r.range(1, 8)), b.subarray(i)]); break; } // insertion
      case 5: { const i = r.int(b.length); b = Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + r.range(1, 8)))]); break; } // deletion
      case 6: if (b.length >= 12) b.writeUInt16BE(r.pick([0, 1, 2, 3, 255, 256, 4096, 65535, r.int(65536)]), 4 + 2 * r.int(4)); break; // counts
      case 7: { // a compression pointer where the question name starts or later: loops, forward, into the header
        if (b.length < 14) break;
        const at = 12 + r.int(Math.min(b.length - 13, 40));
        const target = r.pick([at, at + 2, 12, 0, 2, 5, 11, r.int(b.length + 4), 0x3fff, at - 1]);
        b[at] = 0xc0 | ((target >> 8) & 0x3f); b[at + 1] = target & 0xff;
        if (r.chance(0.3) && at + 3 < b.length) { b[at + 2] = 0xc0; b[at + 3] = 12; }
        break;
      }
      case 8: { // a label length byte: too long, a reserved label type, past the end
        if (b.length < 13) break;
        b[12 + r.int(Math.min(b.length - 12, 30))] = r.pick([63, 64, 0x40, 0x80, 0xbf, 0xff, 200, r.int(256)]);
        break;
      }
      case 9: { // another OPT record, or an OPT with a non-root owner
        if (b.length < 12) break;
        const extra = r.chance(0.5) ? optRecord({ udpSize: r.int(65536), options: randomOptions(r) }) : Buffer.concat([nameBytes("a"), optRecord({}).subarray(1)]);
        b = Buffer.concat([b, extra]);
        b.writeUInt16BE((b.readUInt16BE(10) + 1) & 0xffff, 10);
        break;
      }
      case 10: { // lengths inside an OPT: RDLEN or an option length, off by a little or a lot
        const at = b.lastIndexOf(Buffer.from([0, 0, 41]));
        if (at < 0 || at + 11 > b.length) break;
        const field = r.chance(0.5) || at + 15 > b.length ? at + 9 : at + 13;
        b.writeUInt16BE((b.readUInt16BE(field) + r.pick([-3, -1, 1, 2, 100, 65535])) & 0xffff, field);
        break;
      }
      case 11: if (b.length >= 4) b[2] = (b[2] & 0x87) | (r.int(16) << 3); break; // opcode
      case 12: if (b.length >= 3) b[2] ^= 0x80; break; // QR
      default: { // splice with another query
        const other = randomQuery(r);
        const cut = r.int(b.length + 1);
        b = Buffer.concat([b.subarray(0, cut), other.subarray(r.int(other.length))]);
      }
    }
  }
  return b;
}

/** Random bytes, sometimes behind a plausible header. */
function randomBytes(r) {
  const roll = r.next();
  const len = roll < 0.1 ? r.range(0, 12) : roll < 0.6 ? r.range(12, 100) : roll < 0.95 ? r.range(100, 600) : r.range(600, 4000);
  const b = r.bytes(len);
  if (len >= 12 && r.chance(0.5)) { b[2] &= 0x7f; b.writeUInt16BE(r.pick([0, 1, 1, 2, r.int(65536)]), 4); }
  return b;
}

function udpMessage(r) {
  const roll = r.next();
  if (roll < 0.12) return { how: "random", bytes: randomBytes(r) };
  if (roll < 0.30) return { how: "valid", bytes: randomQuery(r) };
  return { how: "mutated", bytes: mutate(r, randomQuery(r)) };
}

const TCP_MODES = ["one-write", "each-write", "split", "split", "dribble", "bogus-length", "never-read", "reset", "half-close", "zero-length"];

/** The case at `index`: a UDP datagram (IPv4 or IPv6), or a TCP conversation. */
function makeCase(index) {
  const r = rng(caseSeed(opts.seed, index));
  const roll = r.next();
  if (roll >= opts.tcpShare) {
    const m = udpMessage(r);
    return { index, transport: r.chance(opts.udp6Share) ? "udp6" : "udp", how: m.how, bytes: m.bytes };
  }
  const mode = r.pick(TCP_MODES);
  const count = mode === "dribble" ? r.range(1, 3) : mode === "never-read" ? 0 : r.range(1, 24);
  const messages = [];
  for (let i = 0; i < count; i++) {
    const m = r.chance(0.5) ? randomQuery(r) : udpMessage(r).bytes;
    messages.push(m.length > 65535 ? m.subarray(0, 65535) : m);
  }
  const c = { index, transport: "tcp", how: mode, messages, r2: caseSeed(opts.seed ^ 0x5bd1e995, index) };
  if (mode === "never-read") { c.pipelined = r.range(200, 3000); c.holdMs = r.range(50, 600); c.query = r.chance(0.5) ? buildQuery({ id: 1, name: "huge.lb.example.com", edns: { udpSize: 4096 } }) : randomQuery(r); }
  if (mode === "bogus-length") { c.announce = r.pick([65535, 4096, 300, 13, r.int(65536)]); c.sendBytes = r.range(0, 40); }
  if (mode === "zero-length") c.zeroAt = r.int(count + 1);
  if (mode === "reset") c.cutAt = r.next();
  return c;
}

// ------------------------------------------------------------------------------------ checking
const SPECIAL_REFUSED = new Set([251, 252]);
const SPECIAL_NOTIMP = new Set([249, 250, 253, 254]);

/** What the query calls for, read independently of the server. */
function expectation(bytes) {
  const expectReply = bytes.length >= 12 && (bytes[2] & 0x80) === 0;
  const p = parseMessage(bytes);
  const e = { expectReply, parsed: p.ok ? p.msg : null, question: null, rcode: null, oracle: null, udpLimit: 512, ednsOk: true, ecs: null };
  // The question, when the first one can be read (the server echoes what it decoded).
  if (!p.ok) { e.rcode = RCODE.FORMERR; return e; }
  const m = p.msg;
  if (m.opt !== null) e.udpLimit = Math.max(512, Math.min(1232, m.opt.udpSize));
  if (m.opcode !== 0) { e.rcode = RCODE.NOTIMP; e.question = m.questions.length === 1 ? m.questions[0] : null; return e; }
  if (m.questions.length !== 1 || m.answers.length > 0 || m.authorities.length > 0) { e.rcode = RCODE.FORMERR; e.question = m.questions.length === 1 ? m.questions[0] : null; return e; }
  e.question = m.questions[0];
  if (m.opt !== null) {
    if (m.opt.version > 0) { e.rcode = "BADVERS"; return e; }
    let ecs = 0, cookie = 0;
    for (const o of m.opt.options) {
      if (o.code === 8) { ecs++; const v = ecsValid(o.data); if (v === null) e.ednsOk = false; else e.ecs = v; }
      if (o.code === 10) { cookie++; if (!(o.data.length === 8 || (o.data.length >= 16 && o.data.length <= 40))) e.ednsOk = false; }
    }
    if (ecs > 1 || cookie > 1) e.ednsOk = false;
  }
  const q = e.question;
  if (!e.ednsOk) { e.rcode = RCODE.FORMERR; return e; }
  // The class decides first (CHAOS answers or REFUSED; other classes REFUSED), then the type.
  if (q.cls === 1) {
    if (q.type === 41) e.rcode = RCODE.FORMERR;
    else if (SPECIAL_REFUSED.has(q.type)) e.rcode = RCODE.REFUSED;
    else if (SPECIAL_NOTIMP.has(q.type)) e.rcode = RCODE.NOTIMP;
    else e.oracle = `${labelsText(q.labels).toLowerCase()}|${q.type}`;
  } else if (q.cls !== 3) {
    e.rcode = RCODE.REFUSED;
  }
  return e;
}

function ecsValid(d) {
  if (d.length < 4) return null;
  const family = d.readUInt16BE(0), src = d[2], scope = d[3];
  const max = family === 1 ? 32 : family === 2 ? 128 : 0;
  if (max === 0 || src > max || scope !== 0 || d.length - 4 !== Math.ceil(src / 8)) return null;
  const spare = Math.ceil(src / 8) * 8 - src;
  if (spare > 0 && (d[d.length - 1] & ((1 << spare) - 1)) !== 0) return null;
  return d;
}

/** Reply problems, as strings; none when the reply is what the query called for. */
function checkReply(query, e, reply, transport) {
  const problems = [];
  const p = parseMessage(reply);
  if (!p.ok) return [`reply does not parse: ${p.error}`];
  const m = p.msg;
  if (!m.qr) problems.push("reply has QR=0");
  if (query.length >= 2 && m.id !== query.readUInt16BE(0)) problems.push(`reply ID ${m.id} for query ID ${query.readUInt16BE(0)}`);
  if (query.length >= 3 && m.opcode !== ((query[2] >> 3) & 0xf)) problems.push(`reply opcode ${m.opcode} for query opcode ${(query[2] >> 3) & 0xf}`);
  if (m.rcode === RCODE.SERVFAIL) problems.push("SERVFAIL (an internal error)");
  if (transport === "tcp" && m.tc) problems.push("TC=1 over TCP");
  if (transport !== "tcp" && reply.length > e.udpLimit) problems.push(`UDP reply of ${reply.length} bytes over the query's limit ${e.udpLimit}`);
  if (m.opt !== null && (e.parsed === null || e.parsed.opt === null)) problems.push("OPT in a reply to a query without one");
  if (m.questions.length > 1) problems.push(`${m.questions.length} questions in the reply`);
  if (m.questions.length === 1) {
    if (e.question === null) problems.push("reply echoes a question the query did not have");
    else if (!sameLabels(m.questions[0].labels, e.question.labels) || m.questions[0].type !== e.question.type || m.questions[0].cls !== e.question.cls) problems.push(`reply question ${labelsText(m.questions[0].labels)}/${m.questions[0].type}/${m.questions[0].cls} for ${labelsText(e.question.labels)}/${e.question.type}/${e.question.cls}`);
  } else if (e.question !== null && e.parsed !== null && e.rcode !== RCODE.FORMERR && e.rcode !== RCODE.NOTIMP) {
    problems.push("reply without the query's question");
  }
  if (m.tc && (m.answers.length > 0 || m.authorities.length > 0)) problems.push("TC=1 with records");
  const fullRcode = (m.opt?.extRcode ?? 0) * 16 + m.rcode;
  if (e.rcode === "BADVERS") { if (fullRcode !== 16) problems.push(`rcode ${fullRcode} for EDNS version > 0 (BADVERS expected)`); }
  else if (e.rcode !== null && fullRcode !== e.rcode) problems.push(`rcode ${fullRcode}, expected ${e.rcode}`);
  if (e.ecs !== null && m.opt !== null && fullRcode === 0) {
    const echo = m.opt.options.find((o) => o.code === 8);
    if (echo === undefined) problems.push("ECS not echoed");
    else if (!echo.data.subarray(0, 3).equals(e.ecs.subarray(0, 3)) || !echo.data.subarray(4).equals(e.ecs.subarray(4))) problems.push("ECS echo differs from the query's");
  }
  if (e.oracle !== null && !m.tc && e.rcode === null) {
    const want = oracle.get(e.oracle);
    if (want !== undefined) {
      const got = signature(m);
      if (fullRcode !== want.rcode) problems.push(`rcode ${fullRcode} for ${e.oracle}, ${want.rcode} at the start`);
      else if (got !== want.sig) problems.push(`answer for ${e.oracle} differs from the start: ${got} vs ${want.sig}`);
    }
  }
  return problems;
}

/** Answer records, letter case and order aside: type and RDATA (names decompressed). */
function signature(m) {
  return m.answers.map((rr) => `${rr.type}:${rr.rdata.length}:${rr.type === 1 || rr.type === 28 || rr.type === 16 || rr.type === 257 ? rr.rdata.toString("hex") : ""}`).sort().join(",");
}

// ------------------------------------------------------------------------------------ the server
const work = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-fuzz-"));
const zonesDir = path.join(work, "zones");
fs.mkdirSync(zonesDir);
let server = null;
let serverExit = null;
const serverLog = { warn: new Map(), errors: [], text: [] };
let gcWaiter = null;

function startServer(extra = []) {
  writeFuzzZones(zonesDir, ROOT);
  // One process (--workers 1): the one whose liveness, RSS and heap are watched answers everything.
  const args = ["--expose-gc", "--max-semi-space-size=2", "--import", path.join(ROOT, "scripts/lib/gc-hook.mjs"), path.join(ROOT, "dist/cli/main.js"), "serve", "--workers", "1", "--zones", zonesDir,
    "--listen", `127.0.0.1:${opts.port}`, "--listen", `[::1]:${opts.port}`, "--log-level", process.env.FUZZ_LOG_LEVEL ?? "warn", "--no-monitors", ...extra];
  server = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MALLOC_MMAP_THRESHOLD_: "131072" } }); // as the CLI's shebang
  // Whatever ends this driver, the server goes with it.
  process.on("exit", () => { if (!serverExit) server.kill("SIGKILL"); });
  server.on("exit", (code, signal) => { serverExit = { code, signal, at: new Date().toISOString() }; });
  for (const stream of [server.stdout, server.stderr]) {
    let buf = "";
    stream.setEncoding("utf8");
    stream.on("data", (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) { onServerLine(buf.slice(0, nl)); buf = buf.slice(nl + 1); }
    });
  }
}

function onServerLine(line) {
  if (line.trim() === "") return;
  let j;
  try { j = JSON.parse(line); } catch { if (serverLog.text.length < 200) serverLog.text.push(line); return; }
  if (j.gcHook) { gcWaiter?.(j); gcWaiter = null; return; }
  if (j.msg === "stopped") serverLog.text.push(`(the server logged "stopped" at ${j.time}: it was sent SIGTERM or SIGINT)`);
  if (j.level >= 50) { if (serverLog.errors.length < 200) serverLog.errors.push(j); }
  else if (j.level >= 40) serverLog.warn.set(j.msg, (serverLog.warn.get(j.msg) ?? 0) + 1);
}

/** Memory after two forced collections (gc-hook.mjs). */
function gcMemory() {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { gcWaiter = null; resolve(null); }, 5000);
    gcWaiter = (j) => { clearTimeout(timer); resolve(j); };
    server.kill("SIGUSR2");
  });
}

function rssNow() {
  try { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, "utf8"))[1]) * 1024; } catch { return 0; }
}

// ------------------------------------------------------------------------------------ exchanges
function udpOnce(bytes, { family = 4, timeoutMs = 1000, from } = {}) {
  return new Promise((resolve) => {
    const s = dgram.createSocket(family === 6 ? "udp6" : "udp4");
    const t0 = now();
    const timer = setTimeout(() => { s.close(); resolve(null); }, timeoutMs);
    s.on("message", (m) => { clearTimeout(timer); s.close(); resolve({ reply: m, ms: now() - t0 }); });
    s.on("error", () => {});
    const send = () => s.send(bytes, opts.port, family === 6 ? "::1" : "127.0.0.1");
    if (from) s.bind(0, from, send); else send();
  });
}

function tcpOnce(bytes, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const t0 = now();
    const s = net.connect({ host: "127.0.0.1", port: opts.port, localAddress: "127.0.0.2" });
    let acc = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); resolve(null); }, timeoutMs);
    s.on("connect", () => s.write(frame(bytes)));
    s.on("data", (d) => { acc = Buffer.concat([acc, d]); if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) { clearTimeout(timer); s.destroy(); resolve({ reply: acc.subarray(2, 2 + acc.readUInt16BE(0)), ms: now() - t0 }); } });
    s.on("error", () => { clearTimeout(timer); resolve(null); });
  });
}

const oracle = new Map();
async function buildOracle() {
  for (const name of STATIC_NAMES) for (const type of ORACLE_TYPES) {
    const q = buildQuery({ id: 7, name, type });
    const got = await tcpOnce(q);
    if (got === null) throw new Error(`oracle: no TCP reply for ${name} ${type}`);
    const p = parseMessage(got.reply);
    if (!p.ok) throw new Error(`oracle: reply for ${name} ${type} does not parse: ${p.error}`);
    oracle.set(`${name}|${type}`, { rcode: p.msg.rcode, sig: signature(p.msg) });
  }
}

// Canary: two questions whose answers are known, on their own sockets.
const CANARY_UDP = buildQuery({ id: 4242, name: "ns1.lb.example.com", type: 1 });
const CANARY_ECS = buildQuery({ id: 4343, name: "www.lb.example.com", type: 1, edns: { options: [{ code: 8, data: ecsData(1, 24, [10, 20, 1, 0]) }] } });
function canaryAnswer(reply) {
  const p = parseMessage(reply);
  if (!p.ok || p.msg.answers.length !== 1) return null;
  return [...p.msg.answers[0].rdata].join(".");
}

// ------------------------------------------------------------------------------------ the fuzz run
const stats = { done: 0, udp: 0, udp6: 0, tcp: 0, tcpMessages: 0, replies: 0, noReplyExpected: 0, failures: 0, byHow: {}, tcpModes: {}, serverClosed: 0 };
const canary = { sent: 0, lat: [], maxMs: 0, failures: 0 };
const failuresSaved = [];

function fail(c, problem, extra = {}) {
  stats.failures++;
  const rec = { seed: opts.seed, index: c.index, transport: c.transport, how: c.how, problem, ...extra };
  if (c.bytes) rec.hex = c.bytes.toString("hex");
  if (c.messages) rec.messages = c.messages.map((m) => m.toString("hex"));
  for (const k of ["announce", "sendBytes", "zeroAt", "cutAt", "pipelined", "holdMs"]) if (c[k] !== undefined) rec[k] = c[k];
  if (c.query) rec.query = c.query.toString("hex");
  if (failuresSaved.length < 2000) {
    failuresSaved.push(rec);
    fs.mkdirSync(opts.out, { recursive: true });
    fs.writeFileSync(path.join(opts.out, `case-${opts.seed}-${c.index}.json`), JSON.stringify(rec, null, 1));
  }
  if (failuresSaved.length <= 30) console.log(`FAIL case ${c.index} (${c.transport} ${c.how}): ${problem}${rec.hex ? `\n  query ${rec.hex}` : ""}${extra.reply ? `\n  reply ${extra.reply}` : ""}`);
}

/** UDP: a pool of sockets, each with one case in flight, so a reply is matched to its query exactly. */
class UdpLane {
  constructor(family) { this.family = family; this.open(); }
  open() {
    this.socket = dgram.createSocket(this.family === 6 ? "udp6" : "udp4");
    this.socket.on("error", () => {});
    this.socket.on("message", (m) => this.onReply(m));
    this.current = null;
  }
  run(c, e) {
    return new Promise((resolve) => {
      this.current = { c, e, resolve, timer: setTimeout(() => this.onTimeout(), e.expectReply ? 3000 : 25) };
      this.socket.send(c.bytes, opts.port, this.family === 6 ? "::1" : "127.0.0.1");
    });
  }
  onReply(m) {
    const cur = this.current;
    if (cur === null) return; // after a silent case's wait: counted below by its successor's checks
    clearTimeout(cur.timer);
    this.current = null;
    stats.replies++;
    if (!cur.e.expectReply) fail(cur.c, "reply to a message that should get none (shorter than a header, or QR=1)", { reply: m.toString("hex") });
    else for (const p of checkReply(cur.c.bytes, cur.e, m, "udp")) fail(cur.c, p, { reply: m.toString("hex") });
    cur.resolve();
  }
  onTimeout() {
    const cur = this.current;
    this.current = null;
    if (cur.e.expectReply) fail(cur.c, "no UDP reply within 3 s");
    // A late reply must not be taken for the next case's: a fresh socket.
    this.socket.close();
    this.open();
    cur.resolve();
  }
}

function deframe(state, chunk, onMessage) {
  state.acc = state.acc.length ? Buffer.concat([state.acc, chunk]) : chunk;
  while (state.acc.length >= 2 && state.acc.length >= 2 + state.acc.readUInt16BE(0)) {
    const len = state.acc.readUInt16BE(0);
    onMessage(state.acc.subarray(2, 2 + len));
    state.acc = state.acc.subarray(2 + len);
  }
}

let tcpSource = 0;
/** A TCP conversation: how its bytes go out is the case's mode. */
function runTcp(c) {
  return new Promise((resolve) => {
    const r = rng(c.r2);
    const n = tcpSource++ % 60000;
    const socket = net.connect({ host: "127.0.0.1", port: opts.port, localAddress: `127.2.${n >> 8}.${(n & 255) || 1}` });
    socket.setNoDelay(true);
    const msgs = c.how === "zero-length" ? [...c.messages.slice(0, c.zeroAt), Buffer.alloc(0), ...c.messages.slice(c.zeroAt)] : c.messages;
    const expected = msgs.filter((m) => m.length >= 12 && (m[2] & 0x80) === 0);
    const exps = expected.map((m) => expectation(m));
    let got = 0, finished = false, sentAll = false, closedByServer = false;
    const state = { acc: Buffer.alloc(0) };
    let deadline = null;
    const finish = (why) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      const graceful = ["one-write", "each-write", "split", "dribble", "half-close", "zero-length", "bogus-length"].includes(c.how);
      if (graceful && got < expected.length) fail(c, `TCP: ${got} of ${expected.length} replies (${why}${closedByServer ? ", closed by the server" : ""})`);
      socket.destroy();
      resolve();
    };
    socket.on("error", () => {});
    socket.on("close", () => { if (!finished) { closedByServer = true; finish("connection closed"); } });
    socket.on("data", (d) => deframe(state, d, (reply) => {
      if (got >= expected.length) { fail(c, "TCP: more replies than messages that call for one", { reply: reply.toString("hex") }); return; }
      for (const p of checkReply(expected[got], exps[got], reply, "tcp")) fail(c, `TCP reply ${got}: ${p}`, { query: expected[got].toString("hex"), reply: reply.toString("hex") });
      got++;
      stats.replies++;
      if (got === expected.length && sentAll) finish("done");
    }));
    const all = Buffer.concat(msgs.map(frame));
    const done = (waitMs = 3000) => { sentAll = true; if (got === expected.length && c.how !== "never-read") return finish("done"); deadline = setTimeout(() => finish(`no more after ${waitMs} ms`), waitMs); };
    socket.on("connect", async () => {
      try {
        switch (c.how) {
          case "one-write": socket.write(all); return done();
          case "half-close": socket.end(all); return done();
          case "zero-length": socket.write(all); return done();
          case "each-write": for (const m of msgs) socket.write(frame(m)); return done();
          case "split": {
            for (let i = 0; i < all.length && !socket.destroyed;) { const k = r.range(1, 60); socket.write(all.subarray(i, i + k)); i += k; await new Promise((res) => setImmediate(res)); }
            return done();
          }
          case "dribble": {
            const bytes = all.length > 400 ? all.subarray(0, 400) : all;
            for (let i = 0; i < bytes.length && !socket.destroyed; i++) { socket.write(bytes.subarray(i, i + 1)); await sleep(1); }
            if (bytes !== all) { expected.length = 0; exps.length = 0; got = 0; finish("dribble cut"); return; }
            return done();
          }
          case "bogus-length": {
            // The complete messages, then a frame that announces more than is ever sent.
            socket.write(all);
            const partial = Buffer.alloc(2 + c.sendBytes);
            partial.writeUInt16BE(c.announce, 0);
            r.bytes(c.sendBytes).copy(partial, 2);
            if (c.announce > c.sendBytes) socket.write(partial);
            return done(3000);
          }
          case "never-read": {
            socket.pause();
            const burst = Buffer.concat(Array.from({ length: c.pipelined }, () => frame(c.query)));
            socket.write(burst);
            sentAll = true;
            deadline = setTimeout(() => finish("held"), c.holdMs);
            return;
          }
          case "reset": {
            const cut = Math.floor(c.cutAt * all.length);
            socket.write(all.subarray(0, cut));
            await new Promise((res) => setImmediate(res));
            socket.resetAndDestroy();
            finished = true;
            resolve();
            return;
          }
        }
      } catch (err) {
        fail(c, `driver fault: ${err.message}`);
        finish("driver fault");
      }
    });
  });
}

/** The canary runs in a process of its own, so that its latency is the server's, not this busy driver's. */
function canaryLoop(stop) {
  const child = fork(fileURLToPath(import.meta.url), ["--canary-child", "--port", String(opts.port)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  child.on("message", (m) => {
    canary.sent++;
    if (m.ms !== null) { canary.lat.push(m.ms); canary.maxMs = Math.max(canary.maxMs, m.ms); }
    if (m.problem) { canary.failures++; console.log(`CANARY: ${m.problem}`); }
  });
  return (async () => {
    while (!stop.stopped) await sleep(100);
    child.kill();
  })();
}

async function canaryChild() {
  let tick = 0;
  const stop = { stopped: false };
  process.on("disconnect", () => process.exit(0));
  const report = (m) => process.send?.(m);
  console.log = (line) => report({ ms: null, problem: line.replace(/^CANARY: /, "") });
  while (!stop.stopped) {
    const useEcs = tick % 2 === 1;
    const t0 = now();
    const got = await udpOnce(useEcs ? CANARY_ECS : CANARY_UDP, { timeoutMs: 2000, from: "127.0.0.3" });
    canary.sent++;
    const want = useEcs ? "198.51.100.10" : "192.0.2.53";
    if (got === null) report({ ms: null, problem: `no UDP reply within 2 s (${useEcs ? "www with ECS" : "ns1"})` });
    else if (canaryAnswer(got.reply) !== want) report({ ms: got.ms, problem: `wrong answer ${canaryAnswer(got.reply)} (want ${want})` });
    else report({ ms: got.ms });
    if (tick % 5 === 4) {
      const t = await tcpOnce(CANARY_UDP, 3000);
      if (t === null || canaryAnswer(t.reply) !== "192.0.2.53") report({ ms: null, problem: "TCP canary failed" });
    }
    tick++;
    await sleep(1000);
  }
}

function pct(arr, p) { if (arr.length === 0) return NaN; const s = [...arr].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; }

async function fuzz() {
  startServer();
  const ready = Date.now();
  while (true) {
    if (serverExit) throw new Error(`server exited at start: ${JSON.stringify(serverExit)} ${serverLog.text.join("\n")}`);
    const got = await udpOnce(CANARY_UDP, { timeoutMs: 300 });
    if (got) break;
    if (Date.now() - ready > 30000) throw new Error("server not answering after 30 s");
  }
  await buildOracle();
  console.log(`gslb pid ${server.pid} on 127.0.0.1:${opts.port} and [::1]:${opts.port}; ${opts.cases.toLocaleString("en")} cases, seed ${opts.seed}; oracle: ${oracle.size} fixed answers; zones in ${zonesDir}`);
  const mem = { start: await gcMemory(), checkpoints: [], peakRss: 0, samples: [] };
  console.log(`memory at start (after GC): RSS ${MiB(mem.start.rss)} MiB, heap ${MiB(mem.start.heapUsed)} MiB`);

  const stop = { stopped: false };
  const canaryDone = canaryLoop(stop);
  const rssTimer = setInterval(() => { const r = rssNow(); mem.peakRss = Math.max(mem.peakRss, r); mem.samples.push(r); }, 1000);

  const t0 = Date.now();
  let next = 0, lastProgress = t0, lastDone = 0, lastStallCheck = { at: t0, done: 0 }, lastTicks = cpuTicks();
  let nextCheckpoint = 0.05;
  const lanes4 = Array.from({ length: opts.udpWindow }, () => new UdpLane(4));
  const lanes6 = Array.from({ length: 4 }, () => new UdpLane(6));
  let tcpInFlight = 0;
  let hang = false;

  const take = () => (next < opts.cases ? makeCase(next++) : null);
  // A case that wants TCP while the TCP window is full waits in this short queue.
  const tcpQueue = [];
  const udpQueue4 = [], udpQueue6 = [];
  const pump = async (lane, queue) => {
    for (;;) {
      if (serverExit || hang) return;
      let c = queue.shift();
      while (c === undefined) {
        const n = take();
        if (n === null) return;
        if (n.transport === "tcp") tcpQueue.push(n);
        else if ((n.transport === "udp6") === (lane.family === 6)) c = n;
        else (n.transport === "udp6" ? udpQueue6 : udpQueue4).push(n);
        if (tcpQueue.length > 64 || udpQueue6.length > 256 || udpQueue4.length > 256) await new Promise((r) => setImmediate(r));
      }
      const e = expectation(c.bytes);
      if (!e.expectReply) stats.noReplyExpected++;
      await lane.run(c, e);
      stats[c.transport]++;
      stats.byHow[c.how] = (stats.byHow[c.how] ?? 0) + 1;
      stats.done++;
    }
  };
  const tcpPump = async () => {
    for (;;) {
      if (serverExit || hang) return;
      const c = tcpQueue.shift();
      if (c === undefined) { if (next >= opts.cases) return; await sleep(2); continue; }
      tcpInFlight++;
      await runTcp(c);
      tcpInFlight--;
      stats.tcp++;
      stats.tcpMessages += c.messages.length;
      stats.tcpModes[c.how] = (stats.tcpModes[c.how] ?? 0) + 1;
      stats.done++;
    }
  };
  const progress = setInterval(async () => {
    const t = Date.now();
    if (serverExit) return;
    if (stats.done === lastStallCheck.done && t - lastStallCheck.at > 15000) { hang = true; console.log("HANG: no case finished for 15 s"); }
    if (stats.done !== lastStallCheck.done) lastStallCheck = { at: t, done: stats.done };
    if (t - lastProgress >= opts.progressEvery * 1000) {
      const rate = (stats.done - lastDone) / ((t - lastProgress) / 1000);
      const ticks = cpuTicks(), cpu = (ticks - lastTicks) / 100 / ((t - lastProgress) / 1000); lastTicks = ticks;
      console.log(`${new Date().toISOString().slice(11, 19)} ${stats.done.toLocaleString("en").padStart(9)} cases  ${rate.toFixed(0).padStart(6)}/s  failures ${stats.failures}  server CPU ${(cpu * 100).toFixed(0)}%  RSS ${MiB(rssNow())} MiB  canary p99 ${pct(canary.lat, 0.99).toFixed(2)} ms max ${canary.maxMs.toFixed(1)} ms  tcp in flight ${tcpInFlight}`);
      lastProgress = t; lastDone = stats.done;
    }
  }, 1000);
  const checkpoints = (async () => {
    while (!stop.stopped) {
      if (stats.done >= Math.round(nextCheckpoint * opts.cases) && nextCheckpoint <= 1.0001) {
        const m = await gcMemory();
        if (m) mem.checkpoints.push({ at: nextCheckpoint, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
        nextCheckpoint += 0.05;
      }
      await sleep(200);
    }
  })();

  await Promise.all([...lanes4.map((l) => pump(l, udpQueue4)), ...lanes6.map((l) => pump(l, udpQueue6)), ...Array.from({ length: opts.tcpWindow }, tcpPump)]);
  // Leftovers queued for the other family.
  while (udpQueue4.length || udpQueue6.length || tcpQueue.length) {
    await Promise.all([pump(lanes4[0], udpQueue4), pump(lanes6[0], udpQueue6), tcpPump()]);
  }
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(progress);
  await sleep(3000);
  stop.stopped = true;
  await canaryDone;
  await checkpoints;
  clearInterval(rssTimer);
  mem.end = serverExit ? null : await gcMemory();
  for (const l of [...lanes4, ...lanes6]) l.socket.close();
  return { seconds, mem };
}

function report({ seconds, mem }) {
  const alive = serverExit === null;
  console.log("\n=== fuzz summary ===");
  console.log(`cases ${stats.done.toLocaleString("en")} in ${seconds.toFixed(0)} s (${(stats.done / seconds).toFixed(0)}/s), seed ${opts.seed}`);
  console.log(`  UDP ${stats.udp.toLocaleString("en")}, UDP over IPv6 ${stats.udp6.toLocaleString("en")}, TCP conversations ${stats.tcp.toLocaleString("en")} (${stats.tcpMessages.toLocaleString("en")} messages)`);
  console.log(`  kinds: ${Object.entries(stats.byHow).map(([k, v]) => `${k} ${v}`).join(", ")}; TCP: ${Object.entries(stats.tcpModes).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log(`  replies checked ${stats.replies.toLocaleString("en")}; datagrams that call for no reply ${stats.noReplyExpected.toLocaleString("en")}`);
  console.log(`server: ${alive ? "alive" : `EXITED ${JSON.stringify(serverExit)}`}; error lines ${serverLog.errors.length}; other text ${serverLog.text.length}; warnings ${[...serverLog.warn].map(([k, v]) => `${k} ×${v}`).join("; ") || "none"}`);
  for (const e of serverLog.errors.slice(0, 5)) console.log(`  error: ${JSON.stringify(e).slice(0, 600)}`);
  for (const t of serverLog.text.slice(0, 10)) console.log(`  text: ${t.slice(0, 300)}`);
  console.log(`canary: ${canary.sent} sent, ${canary.failures} failed, p50 ${pct(canary.lat, 0.5).toFixed(2)} ms, p99 ${pct(canary.lat, 0.99).toFixed(2)} ms, max ${canary.maxMs.toFixed(1)} ms`);
  const cp = mem.checkpoints;
  console.log(`memory (after GC): start RSS ${MiB(mem.start.rss)} MiB heap ${MiB(mem.start.heapUsed)} MiB; peak RSS (sampled each second) ${MiB(mem.peakRss)} MiB; end RSS ${mem.end ? MiB(mem.end.rss) : "-"} MiB heap ${mem.end ? MiB(mem.end.heapUsed) : "-"} MiB`);
  console.log(`  checkpoints (RSS/heap/external MiB after GC): ${cp.map((c) => `${Math.round(c.at * 100)}% ${MiB(c.rss)}/${MiB(c.heapUsed)}/${MiB(c.external)}`).join("  ")}`);
  // The server's caches (20,000 replies, 50,000 prepared names, 100,000 client locations) fill
  // with random names and are emptied when full: the heap after GC is a sawtooth. Flat means no
  // trend under the teeth: the highest heap and RSS of the second half are no higher than those
  // of the first half, give or take a margin.
  const half = (a) => [a.slice(0, Math.ceil(a.length / 2)), a.slice(Math.ceil(a.length / 2))];
  const [h1, h2] = half(cp);
  const maxOf = (a, k) => Math.max(0, ...a.map((c) => c[k]));
  const minOf = (a, k) => Math.min(...a.map((c) => c[k]));
  // A leak raises the floor of the teeth (what is left right after the caches empty); the peaks
  // wander with where a checkpoint falls in a tooth, so they get a wider margin.
  const floorRise = minOf(h2, "heapUsed") - minOf(h1, "heapUsed");
  const heapRise = maxOf(h2, "heapUsed") - maxOf(h1, "heapUsed");
  const rssRise = maxOf(h2, "rss") - maxOf(h1, "rss");
  // The caches take some 200,000 cases to fill the first time: before that the heap only rises, and says nothing.
  const judged = stats.done >= 300_000;
  const flat = !judged || (cp.length >= 4 && floorRise < 8 * 1048576 && heapRise < 16 * 1048576 && rssRise < 64 * 1048576);
  console.log(`  after GC, first half → second half: heap lowest ${MiB(minOf(h1, "heapUsed"))} → ${MiB(minOf(h2, "heapUsed"))} MiB, highest ${MiB(maxOf(h1, "heapUsed"))} → ${MiB(maxOf(h2, "heapUsed"))} MiB; RSS highest ${MiB(maxOf(h1, "rss"))} → ${MiB(maxOf(h2, "rss"))} MiB => ${!judged ? "not judged (under 300,000 cases the caches are still filling)" : flat ? "flat (bounded)" : "NOT FLAT"}`);
  const ok = alive && stats.failures === 0 && canary.failures === 0 && serverLog.errors.length === 0 && serverLog.text.length === 0 && flat && stats.done >= opts.cases;
  console.log(`failures ${stats.failures}${stats.failures ? ` (saved under ${opts.out}/)` : ""} => ${ok ? "PASS" : "FAIL"}`);
  return ok;
}

// ------------------------------------------------------------------------------------ replay
async function replay() {
  startServer();
  while (!(await udpOnce(CANARY_UDP, { timeoutMs: 300 }))) if (serverExit) throw new Error("server exited");
  await buildOracle();
  for (const index of opts.replay) {
    const c = makeCase(index);
    console.log(`case ${index}: ${c.transport} ${c.how}`);
    if (c.transport === "tcp") {
      for (const m of c.messages) console.log(`  message ${m.toString("hex")}`);
      const details = Object.fromEntries(["announce", "sendBytes", "zeroAt", "cutAt", "pipelined", "holdMs"].filter((k) => c[k] !== undefined).map((k) => [k, c[k]]));
      if (Object.keys(details).length) console.log(`  ${JSON.stringify(details)}`);
      await runTcp(c);
    } else {
      console.log(`  query ${c.bytes.toString("hex")}`);
      const e = expectation(c.bytes);
      const got = await udpOnce(c.bytes, { family: c.transport === "udp6" ? 6 : 4, timeoutMs: 1000 });
      console.log(`  reply ${got ? got.reply.toString("hex") : "(none)"}`);
      if (got) for (const p of checkReply(c.bytes, e, got.reply, "udp")) fail(c, p, { reply: got.reply.toString("hex") });
      else if (e.expectReply) fail(c, "no UDP reply");
    }
  }
  await sleep(200);
  console.log(`server ${serverExit ? `EXITED ${JSON.stringify(serverExit)}` : "alive"}; failures ${stats.failures}; error lines ${serverLog.errors.length}`);
  for (const e of serverLog.errors) console.log(`  error: ${JSON.stringify(e).slice(0, 800)}`);
  return stats.failures === 0 && !serverExit && serverLog.errors.length === 0;
}

// ------------------------------------------------------------------------------------ overload
// A child process floods UDP (so the parent's timing of the canary is not its own backlog).
/** TCP beyond capacity: 1,200 connections (over the 1,000 cap), each pipelining 500 queries a round and reading. */
async function tcpFloodChild() {
  const port = opts.port;
  let replies = 0, refused = 0, running = true, stopAt = null, afterStop = 0, lastReplyAt = 0, sent = 0;
  const q = frame(buildQuery({ id: 1, name: "ns1.lb.example.com" }));
  const burst = Buffer.concat(Array.from({ length: 500 }, () => q));
  const sockets = [];
  for (let i = 0; i < 1200; i++) {
    const s = net.connect({ host: "127.0.0.1", port, localAddress: `127.4.${Math.floor(i / 250)}.${(i % 250) + 1}` });
    let got = 0, acc = 0;
    s.on("error", () => {});
    s.on("close", () => { if (running && got === 0) refused++; });
    s.on("data", (d) => {
      acc += d.length;
      // Replies to ns1 A are 52 bytes + 2 of framing: a round is answered, send the next.
      while (acc >= 54) { acc -= 54; got++; replies++; if (stopAt !== null) { afterStop++; lastReplyAt = now(); } }
      if (running && got % 500 === 0 && s.writableLength === 0) { s.write(burst); sent += 500; }
    });
    s.on("connect", () => { s.write(burst); sent += 500; });
    sockets.push(s);
    if (i % 100 === 99) await sleep(20);
  }
  process.on("message", (m) => { if (m === "stop") { running = false; stopAt = now(); for (const s of sockets) s.destroy(); } });
  while (running) await sleep(50);
  await sleep(1000);
  process.send({ sent, replies, refused, afterStop, drainMs: afterStop ? lastReplyAt - stopAt : 0 });
  process.exit(0);
}

async function floodChild() {
  if (opts.tcpFlood) return tcpFloodChild();
  const port = opts.port;
  const sockets = Array.from({ length: 16 }, (_, i) => { const s = dgram.createSocket("udp4"); s.bind(0, `127.3.0.${i + 1}`); s.on("error", () => {}); return s; });
  let sent = 0, replies = 0, stopAt = null, lastReplyAt = 0, afterStop = 0;
  for (const s of sockets) s.on("message", () => { replies++; if (stopAt !== null) { afterStop++; lastReplyAt = now(); } });
  const r = rng(99);
  const queries = Array.from({ length: 512 }, (_, i) => i % 2 ? buildQuery({ id: i, name: "ns1.lb.example.com" })
    : buildQuery({ id: i, name: "www.lb.example.com", edns: { options: [{ code: 8, data: ecsData(1, 24, [r.range(1, 223), r.int(256), r.int(256), 0]) }] } }));
  await sleep(300);
  let running = true;
  process.on("message", (m) => { if (m === "stop") { running = false; stopAt = now(); } });
  let k = 0;
  while (running) {
    for (let i = 0; i < 256; i++) { sockets[k % 16].send(queries[k % 512], port, "127.0.0.1"); k++; sent++; }
    await new Promise((res) => setImmediate(res));
  }
  await sleep(3000);
  process.send({ sent, replies, afterStop, drainMs: afterStop ? lastReplyAt - stopAt : 0 });
  for (const s of sockets) s.close();
  process.exit(0);
}

async function overload() {
  startServer();
  while (!(await udpOnce(CANARY_UDP, { timeoutMs: 300 }))) if (serverExit) throw new Error("server exited");
  console.log(`UDP: a flood from 16 sockets as fast as one process sends, for ${opts.seconds} s`);
  const udpOk = await overloadRound(false);
  if (serverExit) return false;
  console.log(`\nTCP: 1,200 connections (the cap is 1,000), each pipelining 500 queries a round and reading, for ${opts.seconds} s`);
  const tcpOk = await overloadRound(true);
  return udpOk && tcpOk;
}

async function overloadRound(tcp) {
  const base = [];
  for (let i = 0; i < 50; i++) { const g = await udpOnce(CANARY_UDP, { timeoutMs: 1000, from: "127.0.0.3" }); if (g) base.push(g.ms); await sleep(20); }
  const before = await gcMemory();
  console.log(`before: canary p50 ${pct(base, 0.5).toFixed(2)} ms p99 ${pct(base, 0.99).toFixed(2)} ms; RSS ${MiB(before.rss)} MiB heap ${MiB(before.heapUsed)} MiB (after GC)`);
  const ticks0 = cpuTicks();
  const child = fork(fileURLToPath(import.meta.url), ["--flood-child", "--port", String(opts.port), ...(tcp ? ["--tcp-flood"] : [])], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const result = new Promise((res) => {
    child.on("message", res);
    child.on("exit", (code) => res({ sent: 0, replies: 0, refused: 0, afterStop: 0, drainMs: 0, childExit: code }));
  });
  child.on("error", () => {});
  await sleep(500);
  const during = [], rss = [];
  let lost = 0;
  const t0 = Date.now();
  const rssTimer = setInterval(() => rss.push(rssNow()), 200);
  while (Date.now() - t0 < opts.seconds * 1000) {
    const g = await udpOnce(CANARY_UDP, { timeoutMs: 1000, from: "127.0.0.3" });
    if (g) during.push(g.ms); else lost++;
    await sleep(50);
  }
  const cpu = (cpuTicks() - ticks0) / 100 / ((Date.now() - t0 + 500) / 1000);
  if (child.connected) child.send("stop");
  const stopped = now();
  // Recovery: the first canary after the flood stops, and the time until one comes back fast.
  const after = [];
  let recoveredMs = null;
  while (now() - stopped < 3000) {
    const g = await udpOnce(CANARY_UDP, { timeoutMs: 1000, from: "127.0.0.3" });
    if (g) { after.push(g.ms); if (recoveredMs === null && g.ms < 5) recoveredMs = now() - stopped; }
    await sleep(10);
  }
  clearInterval(rssTimer);
  const flood = await result;
  const end = serverExit ? null : await gcMemory();
  if (end === null) {
    console.log(`SERVER ${serverExit ? `EXITED ${JSON.stringify(serverExit)}` : "did not answer the memory signal"}; last output:\n${serverLog.text.slice(-20).join("\n")}\n${serverLog.errors.slice(-5).map((e) => JSON.stringify(e)).join("\n")}`);
    return false;
  }
  const seconds = opts.seconds + 0.5;
  if (tcp) console.log(`flood: ${(flood.sent / seconds).toFixed(0)} queries/s sent for ${seconds.toFixed(1)} s, ${(flood.replies / seconds).toFixed(0)} replies/s, ${flood.refused} connections refused, server CPU ${(cpu * 100).toFixed(0)}%; tcp stats ${JSON.stringify(serverLog.warn.size ? Object.fromEntries(serverLog.warn) : {})}`);
  else console.log(`flood: ${(flood.sent / seconds).toFixed(0)} queries/s sent for ${seconds.toFixed(1)} s, ${(flood.replies / seconds).toFixed(0)} replies/s (${((1 - flood.replies / flood.sent) * 100).toFixed(1)}% dropped), server CPU ${(cpu * 100).toFixed(0)}%`);
  console.log(`during: canary p50 ${pct(during, 0.5).toFixed(2)} ms p99 ${pct(during, 0.99).toFixed(2)} ms max ${Math.max(...during).toFixed(1)} ms, ${lost} of ${during.length + lost} canaries lost; RSS peak ${MiB(Math.max(...rss))} MiB`);
  // What is still queued when the flood stops can only be what the kernel's receive buffer holds
  // (udp.ts asks for 4 MiB): it drains at the rate the server answers, then the canary is fast again.
  const rate = flood.replies / seconds;
  console.log(`after the flood stopped: first canary ${after[0]?.toFixed(2)} ms; back under 5 ms after ${recoveredMs?.toFixed(0)} ms; flood replies still arriving after the stop: ${flood.afterStop} over ${flood.drainMs.toFixed(0)} ms (the receive buffer's backlog at ${rate.toFixed(0)} replies/s: ${(flood.afterStop / rate * 1000).toFixed(0)} ms expected)`);
  console.log(`after: RSS ${MiB(end.rss)} MiB heap ${MiB(end.heapUsed)} MiB (after GC); server ${serverExit ? "EXITED" : "alive"}`);
  const rssGrowth = Math.max(...rss) - before.rss;
  // UDP holds nothing per query; TCP holds at most a read and a bounded reply queue per connection, and 1,000 connections.
  const rssBound = tcp ? 256 : 64;
  if (flood.childExit !== undefined) console.log(`the flooding process ended early (exit ${flood.childExit}): this round proves nothing`);
  const ok = flood.childExit === undefined && !serverExit && rssGrowth < rssBound * 1048576 && end.heapUsed - before.heapUsed < 16 * 1048576 && flood.drainMs < 2000 && recoveredMs !== null && recoveredMs < flood.drainMs + 500;
  console.log(`=> ${ok ? "PASS" : "FAIL"}: RSS +${MiB(rssGrowth)} MiB during the flood (bound ${rssBound}), backlog drained in ${flood.drainMs.toFixed(0)} ms (bound 2000), canary fast ${recoveredMs?.toFixed(0)} ms after the stop (bound: the drain + 500)`);
  return ok;
}

function cpuTicks() {
  try { const f = fs.readFileSync(`/proc/${server.pid}/stat`, "utf8").split(") ")[1].split(" "); return Number(f[11]) + Number(f[12]); } catch { return 0; }
}

// ------------------------------------------------------------------------------------ main
let ok = false;
try {
  if (opts.mode === "flood-child") { await floodChild(); }
  else if (opts.mode === "canary-child") { await canaryChild(); }
  else if (opts.replay) ok = await replay();
  else if (opts.mode === "overload") ok = await overload();
  else ok = report(await fuzz());
} catch (err) {
  console.error(`fuzz: ${err.stack ?? err}`);
} finally {
  if (server && !serverExit) server.kill("SIGTERM");
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
