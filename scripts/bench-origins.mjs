#!/usr/bin/env node
// The bench's origins: one tiny HTTP server per address, 200 "ok" on /healthz (what every peer's
// HTTP monitor asks for), 404 elsewhere. Loopback addresses only.
// Usage: node scripts/bench-origins.mjs PORT ADDRESS...
import http from "node:http";

const [port, ...addresses] = process.argv.slice(2);
for (const address of addresses) {
  if (!address.startsWith("127.")) throw new Error(`bench-origins: ${address} is not a loopback address`);
  http
    .createServer((req, res) => {
      const ok = req.url === "/healthz";
      res.writeHead(ok ? 200 : 404, { "content-type": "text/plain" });
      res.end(ok ? "ok\n" : "not found\n");
    })
    .listen(Number(port), address);
}
console.log(`origins on ${addresses.join(", ")} port ${port}`);
