#!/usr/bin/env node
// Hostile TCP clients for scripts/hostile, on loopback only: each from its own 127.1.x.y address
// (so the per-client cap does not hide the attack), for a bounded time, then they all close.
//
//   node scripts/hostile-clients.mjs PORT KIND COUNT SECONDS [reconnect]
//   KIND: trickle   one byte of a query every 6 s (each byte would reset an idle timer)
//         noread    pipeline queries for a large answer and never read the replies
//         dribble   announce a 65,535-byte message and send it one byte every 10 ms
// With "reconnect" (scripts/soak), a connection the server closes is opened again 100 ms later,
// so the attack lasts the whole time rather than until the server's deadlines have closed it once.
// Prints one JSON line at the end: connections opened, closed by the server, bytes sent.

import net from "node:net";

const [port, kind, count, seconds] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const reconnect = process.argv[6] === "reconnect";
if (!port || !["trickle", "noread", "dribble"].includes(kind) || !(count > 0) || !(seconds > 0)) {
  console.error("usage: hostile-clients.mjs PORT trickle|noread|dribble COUNT SECONDS");
  process.exit(2);
}

/** A query for `name` (type A, EDNS 4096), framed for TCP. */
function query(name, id) {
  const labels = name.split(".").flatMap((l) => [l.length, ...Buffer.from(l)]);
  const body = Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, ...labels, 0, 0, 1, 0, 1, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([Buffer.from([body.length >> 8, body.length & 255]), body]);
}

let stopping = false;
const sockets = new Set();
let closedByServer = 0;
let opened = 0;
let sent = 0;
const timers = new Set();
const open = (i) => {
  const localAddress = `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  const s = net.connect({ host: "127.0.0.1", port, localAddress });
  opened++;
  const mine = [];
  const every = (fn, ms) => { const t = setInterval(fn, ms); timers.add(t); mine.push(t); };
  s.on("error", () => {});
  s.on("close", () => {
    sockets.delete(s);
    for (const t of mine) { clearInterval(t); timers.delete(t); }
    if (stopping) return;
    closedByServer++;
    if (reconnect) setTimeout(() => { if (!stopping) open(i); }, 100);
  });
  sockets.add(s);
  s.on("connect", () => {
    if (kind === "trickle") {
      const q = query("ns1.lb.example.com", i);
      let at = 0;
      every(() => { if (at < q.length && !s.destroyed) { s.write(q.subarray(at, ++at)); sent++; } }, 6000);
    } else if (kind === "noread") {
      s.pause();
      const q = query("huge.lb.example.com", i);
      const burst = Buffer.concat(Array.from({ length: 2000 }, () => q));
      // More queries only once the last burst left this process: the server's input stays full
      // while this process does (and costs) next to nothing.
      const push = () => { if (!s.destroyed && s.writableLength === 0) { s.write(burst); sent += burst.length; } };
      push();
      every(push, 1000);
    } else {
      s.write(Buffer.from([0xff, 0xff]));
      every(() => { if (!s.destroyed) { s.write(Buffer.from([0])); sent++; } }, 10);
    }
  });
};
for (let i = 0; i < count; i++) open(i);

setTimeout(() => {
  stopping = true;
  for (const t of timers) clearInterval(t);
  for (const s of sockets) s.destroy();
  console.log(JSON.stringify({ kind, connections: count, ...(reconnect ? { opened } : {}), closedByServer, bytesSent: sent }));
  process.exit(0);
}, seconds * 1000);
