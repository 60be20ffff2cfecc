// A doorkeeper (as in TinyLFU): a cache keeps an entry only the second time its key is seen, so a
// flood of keys seen once each (random subdomains) keeps nothing. Without it every such entry
// outlived V8's young generation, and the promotions made scavenges slow and the p99 high under
// a random-subdomain flood (docs/benchmarks.md). No allocation; a collision of marks only lets an
// entry in early.
//
// Marks are kept in sets of WAYS slots (0: empty); a full set's are replaced in turn. With one slot
// per hash, keys sharing a slot erased each other's mark on every pass, and were never admitted:
// 10,000 names asked round and round left 14% of them on the full path for good. In sets of 8
// (of 65,536 slots), 10,000 keys all keep their marks (src/wire/doorkeeper.test.ts).

const WAYS = 8;

export class Doorkeeper {
  private readonly slots: Uint32Array;
  private readonly setMask: number;
  private turn = 0;

  constructor(bits = 16) {
    this.slots = new Uint32Array(1 << bits);
    this.setMask = (1 << bits) / WAYS - 1;
  }

  /** True the second time (and after) a key is offered; false the first time, when it is only noted. */
  admit(key: string): boolean {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    const mark = (h | 1) >>> 0;
    // The set from the hash's high bits (FNV's low bits mix least), the mark from all of them.
    const set = (Math.imul(h, 0x9e3779b1) >>> 16) & this.setMask;
    const at = set * WAYS;
    const slots = this.slots;
    let free = -1;
    for (let w = 0; w < WAYS; w++) {
      const m = slots[at + w]!;
      if (m === mark) return true;
      if (m === 0 && free < 0) free = w;
    }
    // An empty way, else the ways in turn (a full set's marks are replaced round-robin).
    if (free >= 0) slots[at + free] = mark;
    else { slots[at + this.turn] = mark; this.turn = (this.turn + 1) & (WAYS - 1); }
    return false;
  }
}
