// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): 2-byte length framing (framing.ts), several pipelined
// queries per connection answered as they are ready, and bounds on everything a client can hold:
// - time: an idle timeout, and a deadline for a whole message once its first byte arrives (a
//   client that trickles a byte at a time resets no timer that matters);
// - connections: a cap in total and per client address; refusals are counted and reported;
// - memory: replies waiting for a client that does not read are bounded in bytes and in count per
//   connection and in total; over a bound the connection's reading is paused, and a connection
//   still over it after the stall timeout is dropped.

import net from "node:net";
import { isIPv6 } from "node:net";
import { Framer } from "./framing.js";
import { ListenError, describeBindError, type ListenAddress, type MessageHandler } from "./types.js";

export interface TcpOptions {
  /** Close a connection that sends nothing for this long (RFC 7766 §6.2.3 suggests seconds). */
  readonly idleTimeoutMs: number;
  /** A message must arrive whole within this long of its first byte. */
  readonly messageTimeoutMs: number;
  /** Open connections at most; further ones are closed at once. */
  readonly maxConnections: number;
  /** Open connections from one client address at most. */
  readonly maxConnectionsPerClient: number;
  /** Reply bytes and replies waiting for one client to read, before its reading is paused. */
  readonly maxPendingWriteBytes: number;
  readonly maxPendingReplies: number;
  /** Reply bytes waiting for all clients together. */
  readonly maxTotalPendingBytes: number;
  /** A connection paused this long without its replies draining is dropped. */
  readonly stallTimeoutMs: number;
  /**
   * Reply bytes one connection may be sent per second (a burst of as much at once). A client that
   * never reads is only seen as stalled once the kernel's socket buffers are full (megabytes on
   * loopback); until then this is what it can make the server spend.
   */
  readonly maxReplyBytesPerSecond: number;
}

export const DEFAULT_TCP_OPTIONS: TcpOptions = {
  idleTimeoutMs: 10_000,
  messageTimeoutMs: 5_000,
  maxConnections: 1000,
  maxConnectionsPerClient: 32,
  maxPendingWriteBytes: 64 * 1024,
  maxPendingReplies: 64,
  maxTotalPendingBytes: 32 * 1024 * 1024,
  stallTimeoutMs: 10_000,
  maxReplyBytesPerSecond: 64 * 1024,
};

/** What the defences did, since the listener started. */
export interface TcpStats {
  /** Connections refused: the total cap, and the per-client cap. */
  refusedTotal: number;
  refusedPerClient: number;
  /** Connections closed because a message did not arrive whole in time. */
  messageTimeouts: number;
  /** Connections dropped because their replies did not drain in time. */
  stalledDrops: number;
  /** Reply bytes written and not yet taken by the kernel, now. */
  pendingBytes: number;
  /** Connections accepted (not refused), and open now. */
  accepted: number;
  connections: number;
}

export interface TcpListener {
  readonly address: ListenAddress;
  connections(): number;
  stats(): Readonly<TcpStats>;
  /**
   * Stop accepting connections. With `drainMs` > 0, each open connection is first answered what
   * it has sent (a query arriving whole within the time counts) and then closed, and whatever is
   * still open after `drainMs` is cut; without, every connection is cut at once.
   */
  close(drainMs?: number): Promise<void>;
}

/** A limit was reached (for a rate-limited log line): which, and the client refused. */
export type TcpLimitEvent = { readonly limit: "connections" | "connections per client"; readonly client: string };

export function listenTcp(
  address: ListenAddress,
  handler: MessageHandler,
  onError: (err: Error) => void,
  options: TcpOptions = DEFAULT_TCP_OPTIONS,
  onLimit: (e: TcpLimitEvent) => void = () => {},
  /** In a cluster worker: listen through the primary, which hands out connections in turn (Node's cluster module). */
  shared = false,
): Promise<TcpListener> {
  const open = new Set<net.Socket>();
  /** Per open connection: close it once it has no query left to answer (a graceful stop). */
  const finishers = new Map<net.Socket, () => void>();
  const perClient = new Map<string, number>();
  const stats: TcpStats = { refusedTotal: 0, refusedPerClient: 0, messageTimeouts: 0, stalledDrops: 0, pendingBytes: 0, accepted: 0, connections: 0 };
  // allowHalfOpen: a client that half-closes after its queries still gets their answers (see serveConnection).
  const server = net.createServer({ noDelay: true, pauseOnConnect: false, allowHalfOpen: true }, (socket) => {
    const client = socket.remoteAddress ?? "";
    const count = perClient.get(client) ?? 0;
    if (count >= options.maxConnectionsPerClient) {
      stats.refusedPerClient++;
      onLimit({ limit: "connections per client", client });
      socket.destroy();
      return;
    }
    perClient.set(client, count + 1);
    open.add(socket);
    stats.accepted++;
    stats.connections++;
    socket.once("close", () => {
      open.delete(socket);
      finishers.delete(socket);
      stats.connections--;
      const left = (perClient.get(client) ?? 1) - 1;
      if (left === 0) perClient.delete(client);
      else perClient.set(client, left);
    });
    finishers.set(socket, serveConnection(socket, handler, options, stats));
  });
  // Node closes connections beyond this itself, before they reach us, and says so ("drop").
  server.maxConnections = options.maxConnections;
  server.on("drop", (data) => {
    stats.refusedTotal++;
    onLimit({ limit: "connections", client: data?.remoteAddress ?? "" });
  });

  return new Promise((resolve, reject) => {
    const onBindError = (err: NodeJS.ErrnoException) => {
      server.close();
      reject(new ListenError(address, "tcp", err.code, describeBindError(err)));
    };
    server.once("error", onBindError);
    server.listen({ host: address.host, port: address.port, ipv6Only: isIPv6(address.host), exclusive: !shared }, () => {
      server.off("error", onBindError);
      server.on("error", onError);
      const bound = server.address() as net.AddressInfo;
      resolve({
        address: { host: bound.address, port: bound.port },
        connections: () => open.size,
        stats: () => stats,
        close: (drainMs = 0) =>
          new Promise((done) => {
            // The server's "close" comes once no connection is left open.
            server.close(() => { clearTimeout(deadline); done(); });
            const cut = () => { for (const s of open) s.destroy(); };
            const deadline = setTimeout(cut, drainMs);
            if (drainMs <= 0) cut();
            else for (const finish of finishers.values()) finish();
          }),
      });
    });
  });
}

/**
 * TCP queries answered per turn of the event loop, over all connections. A client may pipeline
 * thousands of queries in one read; answered all at once they would keep UDP queries waiting in
 * their socket for hundreds of milliseconds (test/tcp-fairness.test.ts: 334 ms for 20 clients × 20,000 queries). In
 * batches, the loop reads UDP between them; connections with more to answer wait their turn.
 */
const TURN_BUDGET = 16;
let budget = TURN_BUDGET;
let turnScheduled = false;
/** Connections with queries received and not yet answered, in arrival order. */
const waiting: (() => void)[] = [];

function nextTurn(): void {
  if (turnScheduled) return;
  turnScheduled = true;
  setImmediate(() => {
    turnScheduled = false;
    budget = TURN_BUDGET;
    for (let n = waiting.length; n > 0 && budget > 0; n--) waiting.shift()!();
    if (waiting.length > 0) nextTurn();
  });
}

/** One query's worth of this turn's budget, or false: wait for the next turn. */
function takeTurn(): boolean {
  if (budget === 0) return false;
  // The first query of a turn: the budget is renewed once the loop has polled for I/O again.
  if (budget === TURN_BUDGET) nextTurn();
  budget--;
  return true;
}

/** Serve one connection; what is returned closes it gracefully: once every query it sent is answered. */
function serveConnection(socket: net.Socket, handler: MessageHandler, options: TcpOptions, stats: TcpStats): () => void {
  const peer = { address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0, transport: "tcp" as const };
  const framer = new Framer();
  let messageTimer: NodeJS.Timeout | null = null;
  let stallTimer: NodeJS.Timeout | null = null;
  let budgetTimer: NodeJS.Timeout | null = null;
  /** Replies and their bytes handed to the socket and not yet flushed to the kernel. */
  let replies = 0;
  let bytes = 0;

  const clearTimers = () => {
    if (budgetTimer !== null) { clearTimeout(budgetTimer); budgetTimer = null; }
    if (messageTimer !== null) { clearTimeout(messageTimer); messageTimer = null; }
    if (stallTimer !== null) { clearTimeout(stallTimer); stallTimer = null; }
  };
  socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
  // Resets and broken pipes concern this client only.
  socket.on("error", () => socket.destroy());
  socket.once("close", () => {
    clearTimers();
    // What this client held is released with it.
    stats.pendingBytes -= bytes;
    bytes = 0;
  });

  // Over the total bound, only connections with replies of their own waiting pause: they resume as those drain.
  const overBound = () => bytes > options.maxPendingWriteBytes || replies > options.maxPendingReplies || (bytes > 0 && stats.pendingBytes > options.maxTotalPendingBytes);
  /** Waiting for a turn (see takeTurn) or for its reply budget: reading is paused meanwhile. */
  let deferred = false;
  /** The client has half-closed (FIN received). */
  let ended = false;
  /** The server is stopping: close once nothing received is left unanswered. */
  let finishing = false;
  // Reply bytes this connection may still be sent now: refilled at maxReplyBytesPerSecond.
  let allowance = options.maxReplyBytesPerSecond;
  let refilledAt = performance.now();
  const refill = () => {
    const now = performance.now();
    allowance = Math.min(options.maxReplyBytesPerSecond, allowance + ((now - refilledAt) / 1000) * options.maxReplyBytesPerSecond);
    refilledAt = now;
  };
  const written = (size: number) => () => {
    if (socket.destroyed) return;
    replies--;
    bytes -= size;
    stats.pendingBytes -= size;
    // Queries already received first; answer() reads more only when they are all answered.
    if (socket.isPaused() && !deferred && !overBound()) answer();
  };

  /** Answer the queries received, as long as the client takes its replies and the turn lasts. */
  const answer = () => {
    deferred = false;
    if (socket.destroyed) return;
    // The replies of one batch leave in one write.
    socket.cork();
    while (!overBound()) {
      refill();
      if (allowance <= 0) {
        // Over its reply budget: answer again once an eighth of a second's worth has refilled
        // (a batch, not a wake-up per reply).
        deferred = true;
        budgetTimer ??= setTimeout(() => { budgetTimer = null; answer(); }, Math.ceil(((options.maxReplyBytesPerSecond / 8 - allowance) / options.maxReplyBytesPerSecond) * 1000));
        break;
      }
      if (!takeTurn()) {
        deferred = true;
        waiting.push(answer);
        nextTurn();
        break;
      }
      const query = framer.next();
      if (query === null) { budget++; break; }
      const reply = handler(query, peer);
      if (reply === null || socket.destroyed) continue;
      const framed = Buffer.allocUnsafe(reply.length + 2);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      replies++;
      bytes += framed.length;
      allowance -= framed.length;
      stats.pendingBytes += framed.length;
      socket.write(framed, written(framed.length));
    }
    socket.uncork();
    // A message started and not finished (all received bytes read): it has this long to arrive whole.
    if (framer.unread === 0 && framer.buffered > 0) {
      messageTimer ??= setTimeout(() => { stats.messageTimeouts++; socket.destroy(); }, options.messageTimeoutMs);
    } else if (messageTimer !== null) {
      clearTimeout(messageTimer);
      messageTimer = null;
    }
    if (overBound()) {
      // A client that does not read its replies: stop reading its queries, and drop it if it stays so.
      socket.pause();
      stallTimer ??= setTimeout(() => { stats.stalledDrops++; socket.destroy(); }, options.stallTimeoutMs);
    } else {
      if (stallTimer !== null) { clearTimeout(stallTimer); stallTimer = null; }
      if (deferred || framer.unread > 0) socket.pause();
      else socket.resume();
    }
    // The client has half-closed and every query it sent is answered: close our side too.
    if (ended && !deferred && framer.unread === 0 && !socket.writableEnded) socket.end();
    // Stopping, and no query (or part of one) is waiting: the replies go out, then our FIN.
    if (finishing && !deferred && framer.buffered === 0 && !socket.writableEnded) socket.end();
  };

  // A FIN comes as "end" even while reading is paused, possibly before queries already received
  // are answered (deferred to a later turn or by the reply budget): they are answered first.
  socket.once("end", () => {
    ended = true;
    if (!deferred) answer();
  });

  socket.on("data", (chunk: Buffer) => {
    framer.push(chunk);
    answer();
  });

  return () => {
    finishing = true;
    // Once our replies and FIN are flushed, nothing more can be sent: release the connection.
    socket.once("finish", () => socket.destroy());
    if (!deferred) answer();
  };
}
