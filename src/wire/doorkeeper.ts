// A doorkeeper (as in TinyLFU): a cache keeps an entry only the second time its key is seen, so a
// flood of keys seen once each (random subdomains) keeps nothing. Without it every such entry
// outlived V8's young generation, and the promotions made scavenges slow and the p99 high under
// a random-subdomain flood (docs/benchmarks.md). One slot per hash of the key, no allocation; a
// collision only lets an entry in early.

export class Doorkeeper {
  private readonly slots: Uint32Array;

  constructor(bits = 16) {
    this.slots = new Uint32Array(1 << bits);
  }

  /** True the second time (and after) a key is offered; false the first time, when it is only noted. */
  admit(key: string): boolean {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    const mark = (h | 1) >>> 0;
    const slot = (h >>> 0) % this.slots.length;
    if (this.slots[slot] === mark) return true;
    this.slots[slot] = mark;
    return false;
  }
}
