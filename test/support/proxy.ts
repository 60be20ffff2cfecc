// A TCP proxy on 127.0.0.1 that a test makes slow: a real network path between one process and
// another (here gslb and an etcd member) whose latency the test sets. "normal" passes bytes at
// once; "slow" holds each chunk, in each direction, for a delay drawn from a range (order kept: a
// chunk never overtakes the one before it); "stalled" holds every byte, on open connections and on
// new ones alike, until the mode changes (then they go, in order). Connections stay open through
// every mode change: what a congested or blackholed path looks like to TCP's ends.

import net from "node:net";

export type ProxyMode = { kind: "normal" } | { kind: "slow"; minMs: number; maxMs: number } | { kind: "stalled" };

export interface SlowProxy {
  /** host:port to connect to instead of the target. */
  readonly address: string;
  mode: ProxyMode;
  /** Bytes held now (both directions, every connection). */
  held(): number;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

export async function slowProxy(targetHost: string, targetPort: number): Promise<SlowProxy> {
  const sockets = new Set<net.Socket>();
  const pumps = new Set<Pump>();
  let accepted = 0;
  const proxy: SlowProxy = {
    address: "",
    mode: { kind: "normal" },
    held: () => [...pumps].reduce((n, p) => n + p.bytes, 0),
    accepted: () => accepted,
    close: async () => {
      for (const p of pumps) p.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => { client.destroy(); upstream.destroy(); });
    }
    const up = new Pump(client, upstream, () => proxy.mode), down = new Pump(upstream, client, () => proxy.mode);
    pumps.add(up); pumps.add(down);
    const end = () => { up.stop(); down.stop(); pumps.delete(up); pumps.delete(down); client.destroy(); upstream.destroy(); };
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  (proxy as { address: string }).address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  // A change of mode is seen within 50 ms by every pump (stalled → normal lets held bytes go).
  const tick = setInterval(() => { for (const p of pumps) p.pump(); }, 50);
  tick.unref();
  const close = proxy.close;
  proxy.close = async () => { clearInterval(tick); await close(); };
  return proxy;
}

/** One direction of one connection: chunks with the time each may go, sent in order. */
class Pump {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private lastDue = 0;
  private timer: NodeJS.Timeout | null = null;
  bytes = 0;

  constructor(from: net.Socket, private readonly to: net.Socket, private readonly mode: () => ProxyMode) {
    from.on("data", (chunk: Buffer) => {
      const m = this.mode();
      const delay = m.kind === "slow" ? m.minMs + Math.random() * (m.maxMs - m.minMs) : 0;
      // Never before the chunk ahead of it: latency, not reordering.
      const due = Math.max(this.lastDue, Date.now() + delay);
      this.lastDue = due;
      this.queue.push({ chunk, due });
      this.bytes += chunk.length;
      this.pump();
    });
  }

  pump(): void {
    if (this.mode().kind === "stalled") return;
    const now = Date.now();
    while (this.queue.length > 0 && (this.mode().kind === "normal" || this.queue[0]!.due <= now)) {
      const { chunk } = this.queue.shift()!;
      this.bytes -= chunk.length;
      if (!this.to.destroyed) this.to.write(chunk);
    }
    if (this.queue.length > 0 && this.timer === null && this.mode().kind === "slow") {
      this.timer = setTimeout(() => { this.timer = null; this.pump(); }, Math.max(0, this.queue[0]!.due - now));
    }
    if (this.queue.length === 0) this.lastDue = 0;
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.queue.length = 0;
    this.bytes = 0;
  }
}
