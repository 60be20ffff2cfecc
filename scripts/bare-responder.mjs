#!/usr/bin/env node
// The lower bound for the benchmark: a node:dgram server with no DNS logic beyond the minimum.
// It still reads every query and builds a per-query reply (ID and question copied from the query,
// one A record pointing at the question), so the comparison is with real work, not a constant.
// Usage: node scripts/bare-responder.mjs PORT [HOST]
import dgram from "node:dgram";

const port = Number(process.argv[2] ?? 5399);
const host = process.argv[3] ?? "127.0.0.1";
// Answer: pointer to the question name, type A, class IN, TTL 300, 4 bytes 192.0.2.53.
const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 53]);

const socket = dgram.createSocket("udp4");
socket.on("message", (query, rinfo) => {
  if (query.length < 17) return;
  // End of the question: name labels, then type and class.
  let i = 12;
  while (i < query.length && query[i] !== 0) i += query[i] + 1;
  const qEnd = i + 5;
  if (qEnd > query.length) return;
  const reply = Buffer.allocUnsafe(qEnd + answer.length);
  query.copy(reply, 0, 0, qEnd);
  reply[2] = 0x84 | (query[2] & 0x01); // QR, AA, RD copied
  reply[3] = 0;
  reply.writeUInt16BE(1, 4);
  reply.writeUInt16BE(1, 6);
  reply.writeUInt32BE(0, 8);
  answer.copy(reply, qEnd);
  socket.send(reply, rinfo.port, rinfo.address);
});
socket.bind(port, host, () => console.log(`bare responder on ${host}:${port}`));
