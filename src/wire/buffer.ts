// Bounds-checked reading and writing. Reading past the end throws WireError, which the decoder
// catches at its top (decodeMessage never throws out). Writing past the limit throws Overflow,
// which the encoder turns into truncation.

export class WireError extends Error {}
export class Overflow extends Error {}

export class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos = 0,
    /** Reads stop here (the message end, or an RDATA end). */
    public end = buf.length,
  ) {
    this.pos = pos;
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new WireError(`truncated ${what} at byte ${this.pos}`);
  }
  u8(what = "field"): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what = "field"): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what = "field"): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** A view (no copy) of the next n bytes. */
  bytes(n: number, what = "field"): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

export class Writer {
  pos = 0;
  /** Writes beyond this throw Overflow. */
  limit: number;
  constructor(readonly buf: Buffer) {
    this.limit = buf.length;
  }
  reset(limit: number): void {
    this.pos = 0;
    this.limit = Math.min(limit, this.buf.length);
  }
  room(n: number): void {
    if (this.pos + n > this.limit) throw new Overflow();
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}
