#!/usr/bin/env node
// The lower bound for the benchmark: a node:dgram server with no DNS logic beyond the minimum.
// It still reads every query and builds a per-query reply (ID and question copied from the query,
// one A record pointing at the question), so the comparison is with real work, not a constant.
// It answers every query alike (no EDNS, no ECS, never NXDOMAIN): Node's floor for the packets of
// a scenario, not a correct answer. On TCP (the same port) it does the same per framed message.
// Usage: node scripts/bare-responder.mjs PORT [HOST]
import dgram from "node:dgram";
import net from "node:net";

const port = Number(process.argv[2] ?? 5399);
const host = process.argv[3] ?? "127.0.0.1";
// Answer: pointer to the question name, type A, class IN, TTL 300, 4 bytes 192.0.2.53.
const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 53]);

/** The reply to one query, or null when it is too short to answer. */
function reply(query) {
  if (query.length < 17) return null;
  // End of the question: name labels, then type and class.
  let i = 12;
  while (i < query.length && query[i] !== 0) i += query[i] + 1;
  const qEnd = i + 5;
  if (qEnd > query.length) return null;
  const out = Buffer.allocUnsafe(qEnd + answer.length);
  query.copy(out, 0, 0, qEnd);
  out[2] = 0x84 | (query[2] & 0x01); // QR, AA, RD copied
  out[3] = 0;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 6);
  out.writeUInt32BE(0, 8);
  answer.copy(out, qEnd);
  return out;
}

const socket = dgram.createSocket("udp4");
socket.on("message", (query, rinfo) => {
  const out = reply(query);
  if (out !== null) socket.send(out, rinfo.port, rinfo.address);
});

const tcp = net.createServer((conn) => {
  let buf = Buffer.alloc(0);
  conn.on("data", (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const replies = [];
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const len = buf.readUInt16BE(0);
      const out = reply(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
      if (out === null) continue;
      const frame = Buffer.allocUnsafe(2);
      frame.writeUInt16BE(out.length);
      replies.push(frame, out);
    }
    if (replies.length > 0) conn.write(Buffer.concat(replies));
  });
  conn.on("error", () => conn.destroy());
});
socket.bind(port, host, () => tcp.listen(port, host, () => console.log(`bare responder on ${host}:${port} (UDP and TCP)`)));
