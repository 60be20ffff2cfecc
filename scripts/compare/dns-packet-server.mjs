#!/usr/bin/env node
// Reference for scripts/bench: node:dgram with dns-packet decoding and encoding, one A record.
// Usage: node scripts/compare/dns-packet-server.mjs PORT
import dgram from "node:dgram";
import dnsPacket from "dns-packet";

const socket = dgram.createSocket("udp4");
socket.on("message", (msg, rinfo) => {
  let query;
  try { query = dnsPacket.decode(msg); } catch { return; }
  const q = query.questions[0];
  const reply = dnsPacket.encode({
    type: "response", id: query.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.flags & dnsPacket.RECURSION_DESIRED),
    questions: query.questions, answers: [{ name: q.name, type: "A", class: "IN", ttl: 300, data: "192.0.2.53" }],
  });
  socket.send(reply, rinfo.port, rinfo.address);
});
socket.bind(Number(process.argv[2] ?? 5397), "127.0.0.1");
