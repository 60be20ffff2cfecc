#!/usr/bin/env node
// Reference for scripts/bench: dns2 3.1.1's own UDP server answering one A record.
// Usage: node scripts/compare/dns2-server.mjs PORT
import dns2 from "dns2";

const { Packet } = dns2;
const server = dns2.createServer({
  udp: true,
  handle: (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    response.answers.push({ name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 300, address: "192.0.2.53" });
    send(response);
  },
});
server.listen({ udp: { port: Number(process.argv[2] ?? 5398), address: "127.0.0.1", type: "udp4" } });
