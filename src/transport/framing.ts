// TCP's 2-byte length framing (RFC 1035 §4.2.2) without copying what was already read. A message
// that lies inside one received chunk is handed out as a view of it; one split across chunks is
// copied, each byte once, into a buffer of its announced length. So a client that sends a
// 65,535-byte message a byte at a time costs one copy of the message, not a copy of everything
// so far per byte, and holds at most that message's length.

export class Framer {
  /** The chunk being read (the caller takes every message before pushing the next chunk). */
  private chunk: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** The length prefix, byte by byte when it is split. */
  private prefix = 0;
  private prefixBytes = 0;
  /** A message split across chunks, being filled. */
  private partial: Buffer | null = null;
  private filled = 0;
  /** Bytes copied to assemble messages (for tests: stays linear in what was received). */
  copied = 0;

  /** Only once every message of the previous chunk was taken (see unread). */
  push(chunk: Buffer): void {
    this.chunk = chunk;
    this.offset = 0;
  }

  /** Bytes of the last chunk not looked at yet: a reader that stopped early takes them before pushing more. */
  get unread(): number {
    return this.chunk.length - this.offset;
  }

  /** Bytes received that belong to a message not yet complete (0 between messages). */
  get buffered(): number {
    return this.prefixBytes + this.filled + (this.chunk.length - this.offset);
  }

  /** The next whole message, or null until one is complete. */
  next(): Buffer | null {
    const c = this.chunk;
    while (this.prefixBytes < 2) {
      if (this.offset >= c.length) return null;
      this.prefix = (this.prefix << 8) | c[this.offset++]!;
      this.prefixBytes++;
    }
    const need = this.prefix & 0xffff;
    const available = c.length - this.offset;
    if (this.partial === null) {
      if (available >= need) {
        const view = c.subarray(this.offset, this.offset + need);
        this.offset += need;
        this.reset();
        return view;
      }
      this.partial = Buffer.allocUnsafe(need);
      this.filled = 0;
    }
    const count = Math.min(need - this.filled, available);
    c.copy(this.partial, this.filled, this.offset, this.offset + count);
    this.offset += count;
    this.filled += count;
    this.copied += count;
    if (this.filled < need) return null;
    const message = this.partial;
    this.reset();
    return message;
  }

  private reset(): void {
    this.prefix = 0;
    this.prefixBytes = 0;
    this.partial = null;
    this.filled = 0;
  }
}
