#!/usr/bin/env node
// What counting for /metrics costs per query, without sockets: the answer path (Responder.respond,
// wrapped as server/answering.ts wraps it: the latency histogram's clock reads when counting)
// run over pre-encoded queries, with the counters and without, each in its own process (so one
// mode's JIT feedback cannot slow the other), alternating, for several rounds; the median ratio per
// scenario, and the ratio of each mode's fastest round. scripts/bench measures the whole server
// through dnsperf and the kernel (--server-cmd with --no-metrics), where a query costs 15-25 µs;
// here it costs well under 2 µs, so a ratio here magnifies what counting adds.
//
// Usage: node scripts/metrics-cost.mjs [--rounds N] [--queries N] [--scenarios static,lb,nxdomain]
//   static    mail.lb.example.com A with EDNS (the packet cache)
//   lb        www.lb.example.com A with ECS from 10,000 /24s (geo: the answer cache)
//   nxdomain  random names under the zone (the full path, decode to encode)
// Needs a build (npm run build).

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { answerPath } from "./lib/answer-path.mjs";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };

if (args[0] === "--child") {
  await child(args[1] === "on", args[2], Number(args[3]));
} else {
  const rounds = Number(opt("rounds", 7));
  const queries = Number(opt("queries", 300000));
  const scenarios = opt("scenarios", "static,lb,nxdomain").split(",");
  const run = (on, sc) => Number(execFileSync(process.execPath, ["--max-semi-space-size=2", fileURLToPath(import.meta.url), "--child", on ? "on" : "off", sc, String(queries)], { encoding: "utf8" }).trim());
  const median = (xs) => { const v = [...xs].sort((a, b) => a - b); const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };
  console.log(`metrics-cost: ${rounds} rounds of ${queries} queries per scenario and mode, each in its own process; ns per query (CPU time of the loop)`);
  for (const sc of scenarios) {
    const ratios = [], offs = [], ons = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which mode goes first: drift of the machine's load hits both alike.
      const first = r % 2 === 0;
      const a = run(first, sc), b = run(!first, sc);
      const on = first ? a : b, off = first ? b : a;
      ons.push(on); offs.push(off); ratios.push(on / off);
    }
    // The fastest round of each mode is the one least disturbed by other work on the machine.
    const min = (xs) => Math.min(...xs);
    console.log(`${sc.padEnd(9)} off ${median(offs).toFixed(0)} ns  on ${median(ons).toFixed(0)} ns  on/off median ${median(ratios).toFixed(3)}  (rounds: ${ratios.map((x) => x.toFixed(3)).join(" ")}); fastest off ${min(offs).toFixed(0)} ns, on ${min(ons).toFixed(0)} ns: ${(min(ons) / min(offs)).toFixed(3)}`);
  }
}

async function child(on, scenario, n) {
  const dnsPacket = (await import("dns-packet")).default;
  const { respond } = await answerPath(path.join(ROOT, "zones"), { counted: on });

  // 10,000 distinct queries per scenario, cycled.
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const edns = (options = []) => ({ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, options });
  const queries = [];
  for (let i = 0; i < 10000; i++) {
    const id = i & 0xffff;
    if (scenario === "static") queries.push(dnsPacket.encode({ type: "query", id, questions: [{ name: "mail.lb.example.com", type: "A" }], additionals: [edns()] }));
    else if (scenario === "nxdomain") queries.push(dnsPacket.encode({ type: "query", id, questions: [{ name: `n${Math.floor(rnd() * 1e9)}.lb.example.com`, type: "A" }], additionals: [edns()] }));
    else {
      const ip = `${1 + Math.floor(rnd() * 222)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.0`;
      queries.push(dnsPacket.encode({ type: "query", id, questions: [{ name: "www.lb.example.com", type: "A" }], additionals: [edns([{ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip }])] }));
    }
  }
  const peer = { address: "127.0.0.1", port: 5353, transport: "udp" };
  // Warm up (JIT, caches), then measure the loop's CPU time.
  for (let i = 0; i < Math.min(n, 100000); i++) respond(queries[i % queries.length], peer);
  const before = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < n; i++) sink += respond(queries[i % queries.length], peer)?.length ?? 0;
  const used = process.cpuUsage(before);
  if (sink === 0) throw new Error("no replies");
  process.stdout.write(`${((used.user + used.system) * 1000) / n}\n`);
}
