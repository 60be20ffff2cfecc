// Raw DNS clients for tests: bytes over real UDP and TCP sockets; replies decoded by dns-packet,
// an implementation independent of ours.

import dgram from "node:dgram";
import net from "node:net";
import dnsPacket from "dns-packet";

export type Packet = dnsPacket.Packet;
export type DecodedPacket = dnsPacket.DecodedPacket;

/** Send one datagram; resolve with the reply, or null if none came within timeoutMs. */
export function udpExchange(port: number, query: Buffer, { host = "127.0.0.1", timeoutMs = 1000, from = "" } = {}): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    // `from`: another loopback source address (127.0.0.2, ...), to be a different client.
    if (from !== "") socket.bind(0, from);
    const timer = setTimeout(() => { socket.close(); resolve(null); }, timeoutMs);
    socket.on("message", (msg) => { clearTimeout(timer); socket.close(); resolve(msg); });
    socket.on("error", (err) => { clearTimeout(timer); socket.close(); reject(err); });
    socket.send(query, port, host);
  });
}

/** Frame and send every query on one TCP connection (optionally as one write); collect `expect` replies. */
export function tcpExchange(
  port: number,
  queries: Buffer[],
  { host = "127.0.0.1", expect = queries.length, timeoutMs = 2000, oneWrite = false, from = "" } = {},
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    // `from`: another loopback source address (127.0.0.2, ...), to be a different client.
    const socket = net.connect({ host, port, ...(from !== "" ? { localAddress: from } : {}) });
    const timer = setTimeout(() => { socket.destroy(); resolve(replies); }, timeoutMs);
    socket.on("connect", () => {
      const frames = queries.map((q) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]));
      if (oneWrite) socket.write(Buffer.concat(frames));
      else for (const f of frames) socket.write(f);
    });
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        replies.push(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
      }
      if (replies.length >= expect) { clearTimeout(timer); socket.destroy(); resolve(replies); }
    });
    socket.on("error", (err) => { clearTimeout(timer); reject(err); });
  });
}

let nextId = 1;
export function makeQuery(name: string, type: string = "A", extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: "query",
    id: nextId++ & 0xffff,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as any, class: "IN" }],
    ...extra,
  } as Packet);
}

/** An OPT pseudo-record for the additional section. */
export function opt(options: { code: number; data: Buffer }[] = [], udpPayloadSize = 1232, flags = 0): any {
  return { type: "OPT", name: ".", udpPayloadSize, extendedRcode: 0, ednsVersion: 0, flags, options };
}

export async function udpQuery(port: number, name: string, type = "A", extra: Partial<Packet> = {}): Promise<DecodedPacket> {
  const reply = await udpExchange(port, makeQuery(name, type, extra));
  if (reply === null) throw new Error(`no UDP reply for ${name} ${type}`);
  return dnsPacket.decode(reply);
}

export async function tcpQuery(port: number, name: string, type = "A", extra: Partial<Packet> = {}): Promise<DecodedPacket> {
  const [reply] = await tcpExchange(port, [makeQuery(name, type, extra)]);
  if (reply === undefined) throw new Error(`no TCP reply for ${name} ${type}`);
  return dnsPacket.decode(reply);
}

export const rcodeOf = (p: DecodedPacket) => (p as any).rcode as string;
export const flagsOf = (b: Buffer) => ({ aa: (b[2]! & 0x04) !== 0, tc: (b[2]! & 0x02) !== 0, rd: (b[2]! & 0x01) !== 0, rcode: b[3]! & 0x0f });

/** The raw EDNS options of a reply's OPT, or null without OPT. */
export function ednsOptions(p: DecodedPacket): { code: number; data: Buffer }[] | null {
  const o = (p.additionals ?? []).find((r: any) => r.type === "OPT") as any;
  return o === undefined ? null : o.options.map((x: any) => ({ code: x.code, data: x.data }));
}

/** The data of the answers to an A (or `type`) query over UDP, in the order given. */
export async function answerData(port: number, name: string, type = "A"): Promise<string[]> {
  return ((await udpQuery(port, name, type)).answers ?? []).map((r: any) => r.data);
}
