// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): 2-byte length framing, several pipelined queries per
// connection answered as they are ready, an idle timeout, and a cap on open connections.

import net from "node:net";
import { isIPv6 } from "node:net";
import { ListenError, describeBindError, type ListenAddress, type MessageHandler } from "./types.js";

export interface TcpOptions {
  /** Close a connection that sends nothing for this long (RFC 7766 §6.2.3 suggests seconds). */
  readonly idleTimeoutMs: number;
  /** Open connections at most; further ones are closed at once. */
  readonly maxConnections: number;
  /** Replies buffered for a client that does not read, before we stop reading its queries. */
  readonly maxPendingWriteBytes: number;
}

export const DEFAULT_TCP_OPTIONS: TcpOptions = {
  idleTimeoutMs: 10_000,
  maxConnections: 1000,
  maxPendingWriteBytes: 1 << 20,
};

export interface TcpListener {
  readonly address: ListenAddress;
  connections(): number;
  close(): Promise<void>;
}

export function listenTcp(
  address: ListenAddress,
  handler: MessageHandler,
  onError: (err: Error) => void,
  options: TcpOptions = DEFAULT_TCP_OPTIONS,
): Promise<TcpListener> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    serveConnection(socket, handler, options);
  });
  // Node closes connections beyond this itself, before they reach us.
  server.maxConnections = options.maxConnections;

  return new Promise((resolve, reject) => {
    const onBindError = (err: NodeJS.ErrnoException) => {
      server.close();
      reject(new ListenError(address, "tcp", err.code, describeBindError(err)));
    };
    server.once("error", onBindError);
    server.listen({ host: address.host, port: address.port, ipv6Only: isIPv6(address.host), exclusive: true }, () => {
      server.off("error", onBindError);
      server.on("error", onError);
      const bound = server.address() as net.AddressInfo;
      resolve({
        address: { host: bound.address, port: bound.port },
        connections: () => open.size,
        close: () =>
          new Promise((done) => {
            for (const s of open) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function serveConnection(socket: net.Socket, handler: MessageHandler, options: TcpOptions): void {
  const peer = { address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0, transport: "tcp" as const };
  // Bytes received but not yet framed: at most one partial message (2 + 65535 bytes).
  let pending: Buffer = Buffer.alloc(0);

  socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
  // Resets and broken pipes concern this client only.
  socket.on("error", () => socket.destroy());
  socket.on("drain", () => socket.resume());

  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (pending.length - offset >= 2) {
      const length = pending.readUInt16BE(offset);
      if (pending.length - offset - 2 < length) break;
      const query = pending.subarray(offset + 2, offset + 2 + length);
      offset += 2 + length;
      const reply = handler(query, peer);
      if (reply === null) continue;
      const framed = Buffer.allocUnsafe(reply.length + 2);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      socket.write(framed);
    }
    pending = offset === pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(offset));
    // A client that pipelines queries but never reads replies must not grow our memory.
    if (socket.writableLength > options.maxPendingWriteBytes) socket.pause();
  });
}
