#!/usr/bin/env node
// scripts/bench-etcd's origins: one TCP listener per loopback address on one port, each closing
// every connection at once (what a tcp monitor asks: the connection established). Commands on
// stdin, one a line, each answered "ok" (or "error ...") on stdout once done:
//   down ADDRESS...   close these listeners (probes get "connection refused")
//   up ADDRESS...     listen again
// Usage: node scripts/bench-etcd-origins.mjs PORT ADDRESS...
//        node scripts/bench-etcd-origins.mjs PORT --file FILE   (one address a line)
// Loopback addresses only (127.0.0.0/8).
import fs from "node:fs";
import net from "node:net";
import readline from "node:readline";

const [portArg, ...rest] = process.argv.slice(2);
const port = Number(portArg);
const addresses = rest[0] === "--file" ? fs.readFileSync(rest[1], "utf8").split("\n").filter(Boolean) : rest;
const servers = new Map();

function listen(address) {
  if (!address.startsWith("127.")) return Promise.reject(new Error(`${address} is not a loopback address`));
  if (servers.has(address)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = net.createServer({ pauseOnConnect: true }, (socket) => socket.destroy());
    s.once("error", reject);
    s.listen({ port, host: address, backlog: 511 }, () => { servers.set(address, s); resolve(); });
  });
}

function close(address) {
  const s = servers.get(address);
  if (s === undefined) return Promise.resolve();
  servers.delete(address);
  return new Promise((resolve) => s.close(() => resolve()));
}

try {
  for (let i = 0; i < addresses.length; i += 500) await Promise.all(addresses.slice(i, i + 500).map(listen));
} catch (err) {
  console.log(`error ${err.message}`);
  process.exit(1);
}
console.log(`listening ${servers.size}`);

for await (const line of readline.createInterface({ input: process.stdin })) {
  const [cmd, ...list] = line.trim().split(/\s+/);
  try {
    if (cmd === "down") await Promise.all(list.map(close));
    else if (cmd === "up") await Promise.all(list.map(listen));
    else throw new Error(`unknown command ${cmd}`);
    console.log("ok");
  } catch (err) {
    console.log(`error ${err.message}`);
  }
}
process.exit(0);
