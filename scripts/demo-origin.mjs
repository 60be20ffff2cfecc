#!/usr/bin/env node
// A demo origin: a tiny HTTP server that says who it is. /healthz answers 200 "ok" (what the demo
// zone's monitor asks for); any other path "hello from NAME". scripts/demo runs two on loopback,
// docker-compose.yml one per container.
// Usage: node scripts/demo-origin.mjs NAME [ADDRESS (0.0.0.0)] [PORT (8080; 0: any free port)]
import http from "node:http";

const [name = "origin", address = "0.0.0.0", port = "8080"] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(req.url === "/healthz" ? "ok\n" : `hello from ${name}\n`);
});
server.on("error", (err) => { console.error(`${name}: ${err.message}`); process.exit(1); });
server.listen(Number(port), address, () => console.log(`${name} listening on ${address}:${server.address().port}`));
// As a container's first process, node has no default action for these: exit on them.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
