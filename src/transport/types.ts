// The seam between sockets and DNS logic: bytes in, bytes out (or null: send nothing).

export interface Peer {
  /** Source address of the datagram or connection (IPv4 or IPv6 text, no brackets). */
  readonly address: string;
  readonly port: number;
  readonly transport: "udp" | "tcp";
}

/** Answers one DNS message. Must not throw; null means drop silently. */
export type MessageHandler = (query: Buffer, peer: Peer) => Buffer | null;

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function formatListen(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Bind failures become this, so the CLI can print one clear line. */
export class ListenError extends Error {
  constructor(
    readonly address: ListenAddress,
    readonly proto: "udp" | "tcp",
    readonly code: string | undefined,
    detail: string,
  ) {
    super(`cannot listen on ${proto} ${formatListen(address)}: ${detail}`);
  }
}

export function describeBindError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "EADDRINUSE":
      return "address already in use (is another DNS server running?)";
    case "EACCES":
      return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    case "EADDRNOTAVAIL":
      return "address not available on this host";
    default:
      return err.message;
  }
}
