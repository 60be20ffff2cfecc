// DNS wire helpers for scripts/fuzz and scripts/soak, written apart from src/wire so that the
// server is checked against a second reading of RFC 1035 and not against itself: a seeded random
// generator, query building, and a strict message parser (every count honoured, compression
// pointers strictly backward, nothing left over).

/** sfc32: a small, fast, seeded generator; the same seed gives the same cases. */
export function rng(seed) {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    bytes: (n) => { const out = Buffer.allocUnsafe(n); for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256); return out; },
  };
  return r;
}

/** The seed of case `index` in a run seeded `seed`: any case can be made again alone. */
export function caseSeed(seed, index) {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index >>> 0, 0x85ebca6b) ^ Math.floor(index / 4294967296)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Wire form of a name given as text ("a.b.c"; "" is the root); labels as Buffers also accepted. */
export function nameBytes(name) {
  const labels = Array.isArray(name) ? name : name === "" ? [] : name.split(".").map((l) => Buffer.from(l, "latin1"));
  return Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
}

/**
 * A query: { id, name, type, cls, flags (16 bits, default RD), edns: null | { udpSize, flags (16 bits of the TTL's low half), version, options: [{ code, data }] } }.
 */
export function buildQuery({ id = 0, name, type = 1, cls = 1, flags = 0x0100, edns = null }) {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(flags & 0xffff, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(edns === null ? 0 : 1, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type & 0xffff, 0);
  q.writeUInt16BE(cls & 0xffff, 2);
  const parts = [header, nameBytes(name), q];
  if (edns !== null) parts.push(optRecord(edns));
  return Buffer.concat(parts);
}

export function optRecord({ udpSize = 1232, flags = 0, version = 0, extendedRcode = 0, options = [] }) {
  const rdata = Buffer.concat(options.map((o) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(o.code & 0xffff, 0);
    h.writeUInt16BE(o.length ?? o.data.length, 2);
    return Buffer.concat([h, o.data]);
  }));
  const fixed = Buffer.alloc(11);
  fixed[0] = 0;
  fixed.writeUInt16BE(41, 1);
  fixed.writeUInt16BE(udpSize & 0xffff, 3);
  fixed[5] = extendedRcode & 0xff;
  fixed[6] = version & 0xff;
  fixed.writeUInt16BE(flags & 0xffff, 7);
  fixed.writeUInt16BE(rdata.length & 0xffff, 9);
  return Buffer.concat([fixed, rdata]);
}

/** ECS option data (RFC 7871 §6): family 1 or 2, the address bytes the source prefix needs. */
export function ecsData(family, sourcePrefix, addressBytes, scopePrefix = 0) {
  const n = Math.ceil(sourcePrefix / 8);
  const out = Buffer.alloc(4 + n);
  out.writeUInt16BE(family, 0);
  out[2] = sourcePrefix;
  out[3] = scopePrefix;
  Buffer.from(addressBytes).copy(out, 4, 0, n);
  const spare = n * 8 - sourcePrefix;
  if (spare > 0) out[4 + n - 1] &= 0xff << spare;
  return out;
}

export function frame(msg) {
  const out = Buffer.allocUnsafe(msg.length + 2);
  out.writeUInt16BE(msg.length & 0xffff, 0);
  msg.copy(out, 2);
  return out;
}

class ParseError extends Error {}

/**
 * Reads a name at `pos`: labels (Buffers) and the position after it. Compression pointers must
 * point strictly before the label they appear in (what a well-formed message can only do, and
 * what the server also requires), names are at most 255 octets, labels at most 63.
 */
function readName(buf, pos, end) {
  const labels = [];
  let jumped = false, after = -1, floor = pos, wire = 1;
  for (;;) {
    if (pos >= end) throw new ParseError(`truncated name at ${pos}`);
    const len = buf[pos];
    if (len === 0) { pos++; break; }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= end) throw new ParseError(`truncated pointer at ${pos}`);
      const target = ((len & 0x3f) << 8) | buf[pos + 1];
      if (target >= floor) throw new ParseError(`pointer at ${pos} to ${target} not backward`);
      if (!jumped) after = pos + 2;
      jumped = true;
      floor = target;
      pos = target;
      end = buf.length;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new ParseError(`label type ${len & 0xc0} at ${pos}`);
    if (pos + 1 + len > end) throw new ParseError(`truncated label at ${pos}`);
    wire += len + 1;
    if (wire > 255) throw new ParseError("name over 255 octets");
    labels.push(buf.subarray(pos + 1, pos + 1 + len));
    pos += 1 + len;
    if (!jumped) floor = pos;
  }
  return { labels, next: jumped ? after : pos };
}

/** Names of these types' RDATA are checked too (they may be compressed in replies). */
const RDATA_NAMES = { 2: "n", 5: "n", 12: "n", 15: "2n", 6: "nn", 33: "6n" };

/**
 * Strict parse. Returns { ok: true, msg } or { ok: false, error }. msg: { id, flags, qr, opcode,
 * tc, rcode (header's 4 bits), counts, questions: [{ labels, type, cls }], answers, authorities,
 * additionals: [{ labels, type, cls, ttl, rdata }], opt: null | { udpSize, version, extRcode, flags, options: [{ code, data }] } }.
 */
export function parseMessage(buf) {
  try {
    if (buf.length < 12) throw new ParseError("shorter than a header");
    const flags = buf.readUInt16BE(2);
    const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
    let pos = 12;
    const questions = [];
    for (let i = 0; i < counts[0]; i++) {
      const n = readName(buf, pos, buf.length);
      pos = n.next;
      if (pos + 4 > buf.length) throw new ParseError("truncated question");
      questions.push({ labels: n.labels, type: buf.readUInt16BE(pos), cls: buf.readUInt16BE(pos + 2) });
      pos += 4;
    }
    const sections = [[], [], []];
    let opt = null;
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s + 1]; i++) {
        const n = readName(buf, pos, buf.length);
        pos = n.next;
        if (pos + 10 > buf.length) throw new ParseError("truncated record header");
        const type = buf.readUInt16BE(pos), cls = buf.readUInt16BE(pos + 2), ttl = buf.readUInt32BE(pos + 4), rdlen = buf.readUInt16BE(pos + 8);
        pos += 10;
        if (pos + rdlen > buf.length) throw new ParseError("truncated RDATA");
        const rdata = buf.subarray(pos, pos + rdlen);
        if (type === 41) {
          if (s !== 2) throw new ParseError("OPT outside the additional section");
          if (opt !== null) throw new ParseError("two OPT records");
          if (n.labels.length !== 0) throw new ParseError("OPT owner not the root");
          const options = [];
          let p = 0;
          while (p < rdlen) {
            if (rdlen - p < 4) throw new ParseError("truncated EDNS option");
            const code = rdata.readUInt16BE(p), len = rdata.readUInt16BE(p + 2);
            if (p + 4 + len > rdlen) throw new ParseError("EDNS option overruns OPT");
            options.push({ code, data: rdata.subarray(p + 4, p + 4 + len) });
            p += 4 + len;
          }
          opt = { udpSize: cls, extRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, flags: ttl & 0xffff, options };
        } else {
          checkRdata(buf, type, pos, rdlen);
          sections[s].push({ labels: n.labels, type, cls, ttl, rdata });
        }
        pos += rdlen;
      }
    }
    if (pos !== buf.length) throw new ParseError(`${buf.length - pos} bytes after the last record`);
    return {
      ok: true,
      msg: {
        id: buf.readUInt16BE(0), flags, qr: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, aa: (flags & 0x400) !== 0,
        tc: (flags & 0x200) !== 0, rcode: flags & 0xf, counts, questions,
        answers: sections[0], authorities: sections[1], additionals: sections[2], opt,
      },
    };
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, error: err.message };
    return { ok: false, error: `parser fault: ${err.message}` };
  }
}

/** Fixed-size and name-bearing RDATA must fit its length exactly. */
function checkRdata(buf, type, pos, rdlen) {
  const end = pos + rdlen;
  if (type === 1 && rdlen !== 4) throw new ParseError(`A RDATA of ${rdlen} bytes`);
  if (type === 28 && rdlen !== 16) throw new ParseError(`AAAA RDATA of ${rdlen} bytes`);
  if (type === 16) { // TXT: one or more character-strings filling it exactly
    if (rdlen === 0) throw new ParseError("empty TXT RDATA");
    let p = pos;
    while (p < end) p += 1 + buf[p];
    if (p !== end) throw new ParseError("TXT string overruns its RDATA");
    return;
  }
  if (type === 257) { // CAA: flags, tag length (not 0), tag, value
    if (rdlen < 2 || buf[pos + 1] === 0 || 2 + buf[pos + 1] > rdlen) throw new ParseError("bad CAA RDATA");
    return;
  }
  const layout = RDATA_NAMES[type];
  if (layout === undefined) return;
  let p = pos;
  for (const part of layout) {
    if (part === "n") { p = readName(buf, p, end).next; if (p > end) throw new ParseError("RDATA name overruns"); }
    else { p += Number(part); if (p > end) throw new ParseError("RDATA overruns"); }
  }
  if (type === 6) p += 20;
  if (p !== end) throw new ParseError(`RDATA of type ${type}: ${end - p} bytes unaccounted`);
}

export const labelsText = (labels) => labels.map((l) => l.toString("latin1")).join(".");
export const sameLabels = (a, b) => a.length === b.length && a.every((l, i) => l.equals(b[i]));

/** The data of A/AAAA answers as text. */
export function addressOf(rr) {
  if (rr.type === 1) return [...rr.rdata].join(".");
  if (rr.type === 28) { const h = rr.rdata.toString("hex"); return h.match(/.{4}/g).join(":"); }
  return null;
}
