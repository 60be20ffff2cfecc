// UDP: one socket per listen address. Each datagram is answered synchronously in the receive
// callback: no queue, so a burst can never grow memory; the kernel buffer absorbs it instead.

import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { ListenError, describeBindError, type ListenAddress, type MessageHandler } from "./types.js";

/** Kernel receive buffer we ask for (clamped by net.core.rmem_max). */
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpListener {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/**
 * dgram resolves every send's address with `lookup` (dns.lookup by default: a regular expression
 * to see it is an IP, then the send deferred to the next tick). Every address this socket meets is
 * already an IP: its listen address (checked when parsed, cli/args.ts) and the source addresses of
 * datagrams, from the kernel. So the address is handed back at once and the reply leaves within
 * the receive callback (docs/benchmarks.md, "The reused answer's last microsecond").
 */
const literalLookup = ((address: string, family: number, callback: (err: Error | null, address: string, family: number) => void) => {
  callback(null, address, family);
}) as unknown as dgram.SocketOptions["lookup"];

/**
 * `shared`: in a cluster worker, bind through the primary, which hands every worker the same
 * socket (Node's cluster module), so each datagram is read by whichever worker is free.
 */
export function listenUdp(address: ListenAddress, handler: MessageHandler, onError: (err: Error) => void, shared = false): Promise<UdpListener> {
  const socket = dgram.createSocket({
    type: isIPv6(address.host) ? "udp6" : "udp4",
    // Let "::" and "0.0.0.0" be listed side by side.
    ipv6Only: isIPv6(address.host),
    recvBufferSize: RECV_BUFFER_BYTES,
    lookup: literalLookup,
  });

  socket.on("message", (msg, rinfo) => {
    let reply: Buffer | null;
    try {
      reply = handler(msg, { address: rinfo.address, port: rinfo.port, transport: "udp" });
    } catch (err) {
      // The handler is built not to throw; if it ever does, drop this datagram, keep serving.
      onError(err as Error);
      return;
    }
    // No completion callback: without one, Node tries a synchronous send first (uv_udp_try_send)
    // instead of queueing every reply; failures still reach the socket's "error" listener.
    if (reply !== null) socket.send(reply, rinfo.port, rinfo.address);
  });

  return new Promise((resolve, reject) => {
    const onBindError = (err: NodeJS.ErrnoException) => {
      socket.close();
      reject(new ListenError(address, "udp", err.code, describeBindError(err)));
    };
    socket.once("error", onBindError);
    socket.bind({ address: address.host, port: address.port, exclusive: !shared }, () => {
      socket.off("error", onBindError);
      socket.on("error", onError);
      const bound = socket.address();
      resolve({
        address: { host: bound.address, port: bound.port },
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}
