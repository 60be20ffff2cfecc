// Domain names on the wire (RFC 1035 §3.1, §4.1.4) and in presentation form (§5.1).
//
// Text form: no trailing dot, "" is the root, letter case as on the wire, and "\." "\\" "\DDD"
// escapes for bytes that cannot stand bare, so decode(encode(x)) === x byte for byte (the question's
// 0x20 letter case is echoed exactly). Compression matches suffixes case-insensitively (ASCII only).

import { Doorkeeper } from "./doorkeeper.js";
import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS } from "./constants.js";
import { WireError, type Reader, type Writer } from "./buffer.js";

/** A name parsed once into what the encoder needs. */
interface PreparedName {
  /** Each label's bytes. */
  readonly labels: readonly Buffer[];
  /** keys[i]: lower-case text of the suffix starting at label i (the compression key). */
  readonly keys: readonly string[];
}

/** Byte needs an escape in text form: outside 0x21-0x7E, or "." or "\". */
const needsEscape = (b: number) => b < 0x21 || b > 0x7e || b === 0x2e || b === 0x5c;

// ---------------------------------------------------------------------------------------- decode

/**
 * Reads a possibly compressed name. Every pointer must point strictly before the label it
 * appears in: that bounds the work by the message length and rules out loops.
 */
export function readName(r: Reader): string {
  const buf = r.buf;
  let pos = r.pos;
  let end = r.end;
  let jumped = false;
  let wireLength = 1;
  let text = "";
  // Lowest offset a pointer may target: strictly below where we are.
  let floor = pos;
  for (;;) {
    if (pos >= end) throw new WireError(`truncated name at byte ${pos}`);
    const len = buf[pos]!;
    if (len === 0) {
      pos += 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) throw new WireError(`truncated compression pointer at byte ${pos}`);
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= floor) throw new WireError(`compression pointer at byte ${pos} does not point backward`);
      if (!jumped) r.pos = pos + 2;
      jumped = true;
      floor = target;
      pos = target;
      // Pointers may lead out of an RDATA window into the rest of the message.
      end = buf.length;
      continue;
    }
    if (kind !== 0) throw new WireError(`unsupported label type 0x${kind.toString(16)} at byte ${pos}`);
    if (pos + 1 + len > end) throw new WireError(`truncated label at byte ${pos}`);
    wireLength += len + 1;
    if (wireLength > MAX_NAME_OCTETS) throw new WireError(`name longer than ${MAX_NAME_OCTETS} octets`);
    if (text.length > 0) text += ".";
    text += labelText(buf, pos + 1, pos + 1 + len);
    pos += 1 + len;
    if (!jumped) floor = pos;
  }
  if (!jumped) r.pos = pos;
  return text;
}

function labelText(buf: Buffer, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) if (needsEscape(buf[i]!)) { plain = false; break; }
  if (plain) return buf.toString("latin1", start, end);
  let s = "";
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b === 0x2e || b === 0x5c) s += "\\" + String.fromCharCode(b);
    else if (needsEscape(b)) s += "\\" + String(b).padStart(3, "0");
    else s += String.fromCharCode(b);
  }
  return s;
}

// ---------------------------------------------------------------------------------------- encode

/** Parsed names, keyed by exact text. Zone names repeat in every answer; bounded so queries can't grow it. */
const prepared = new Map<string, PreparedName>();
const PREPARED_MAX = 50_000;
const admitted = new Doorkeeper();

/** Parses the text form; throws Error (not WireError: this is a caller bug) on invalid text. */
export function prepareName(text: string): PreparedName {
  const hit = prepared.get(text);
  if (hit !== undefined) return hit;
  const labels = parseLabels(text);
  const keys: string[] = new Array(labels.length);
  let suffix = "";
  for (let i = labels.length - 1; i >= 0; i--) {
    const t = labelText(labels[i]!, 0, labels[i]!.length).toLowerCase();
    suffix = suffix === "" ? t : `${t}.${suffix}`;
    keys[i] = suffix;
  }
  const p: PreparedName = { labels, keys };
  // A name in one reply only (a query's name under a random-subdomain flood) is not kept.
  if (!admitted.admit(text)) return p;
  if (prepared.size >= PREPARED_MAX) prepared.clear();
  prepared.set(text, p);
  return p;
}

function parseLabels(text: string): Buffer[] {
  if (text === "" || text === ".") return [];
  const labels: Buffer[] = [];
  let bytes: number[] = [];
  let total = 1;
  const close = () => {
    if (bytes.length === 0) throw new Error(`empty label in name ${JSON.stringify(text)}`);
    if (bytes.length > MAX_LABEL_OCTETS) throw new Error(`label longer than ${MAX_LABEL_OCTETS} octets in ${JSON.stringify(text)}`);
    total += bytes.length + 1;
    labels.push(Buffer.from(bytes));
    bytes = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      // A trailing dot is tolerated: "a.b." is "a.b".
      if (i === text.length - 1) break;
      close();
    } else if (c === 0x5c) {
      const d = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new Error(`escape \\${d} out of range in ${JSON.stringify(text)}`);
        bytes.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        bytes.push(text.charCodeAt(++i));
      } else {
        throw new Error(`dangling backslash in ${JSON.stringify(text)}`);
      }
    } else {
      if (c > 0xff) throw new Error(`non-ASCII character in name ${JSON.stringify(text)}`);
      bytes.push(c);
    }
  }
  close();
  if (total > MAX_NAME_OCTETS) throw new Error(`name longer than ${MAX_NAME_OCTETS} octets: ${JSON.stringify(text)}`);
  return labels;
}

/**
 * Compression state for one message: suffix key → offset, with an undo log so a record that did
 * not fit can be rolled back without leaving pointers into bytes that were never sent.
 */
export class CompressionTable {
  private readonly offsets = new Map<string, number>();
  private readonly added: string[] = [];
  clear(): void {
    this.offsets.clear();
    this.added.length = 0;
  }
  mark(): number {
    return this.added.length;
  }
  rollback(mark: number): void {
    while (this.added.length > mark) this.offsets.delete(this.added.pop()!);
  }
  get(key: string): number | undefined {
    return this.offsets.get(key);
  }
  set(key: string, offset: number): void {
    // Pointers have 14 bits; later names can only point into the first 16 KiB.
    if (offset < 0x4000 && !this.offsets.has(key)) {
      this.offsets.set(key, offset);
      this.added.push(key);
    }
  }
}

/** Writes a name; with `compress`, a known suffix becomes a pointer. Every written suffix becomes a target. */
export function writeName(w: Writer, table: CompressionTable, text: string, compress: boolean): void {
  const { labels, keys } = prepareName(text);
  for (let i = 0; i < labels.length; i++) {
    if (compress) {
      const offset = table.get(keys[i]!);
      if (offset !== undefined) {
        w.u16(0xc000 | offset);
        return;
      }
    }
    table.set(keys[i]!, w.pos);
    const label = labels[i]!;
    w.u8(label.length);
    w.bytes(label);
  }
  w.u8(0);
}

/** Wire length of a name without compression (for validation: ≤ 255). */
export function nameWireLength(text: string): number {
  return parseLabels(text).reduce((n, l) => n + l.length + 1, 1);
}
