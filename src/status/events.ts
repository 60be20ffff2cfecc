// A small typed event source with memory: the last N events kept in a ring (GET /api/v1/events
// reads it), and listeners told of each new one as it happens (a status page, webhooks). A
// listener that throws is reported through onError and stays subscribed; it cannot stop the others.

export interface Sequenced {
  /** 1, 2, 3, ... in the order emitted: "since" reads after a known one. */
  readonly seq: number;
}

export class EventLog<E extends Sequenced> {
  private readonly ring: (E | undefined)[];
  private nextSeq = 1;
  private readonly listeners = new Set<(e: E) => void>();

  constructor(readonly capacity = 1000, private readonly onError: (err: unknown) => void = () => {}) {
    this.ring = new Array<E | undefined>(capacity);
  }

  /** Record an event (its seq is given here) and tell every listener. */
  emit(event: Omit<E, "seq">): E {
    const e = { seq: this.nextSeq++, ...event } as E;
    this.ring[e.seq % this.capacity] = e;
    for (const l of this.listeners) {
      try { l(e); } catch (err) { this.onError(err); }
    }
    return e;
  }

  /** Subscribe; the function returned unsubscribes. */
  on(listener: (e: E) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** The seq of the last event (0: none yet). */
  get last(): number {
    return this.nextSeq - 1;
  }

  /** Kept events with seq > since, oldest first, at most `limit` (the newest ones). */
  recent(since = 0, limit = this.capacity): E[] {
    const out: E[] = [];
    const from = Math.max(since + 1, this.nextSeq - this.capacity, this.nextSeq - limit, 1);
    for (let seq = from; seq < this.nextSeq; seq++) out.push(this.ring[seq % this.capacity]!);
    return out;
  }
}
