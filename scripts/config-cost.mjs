#!/usr/bin/env node
// What the size of the configuration costs the answer path, without sockets (issue 9 §2): the
// sample zone against scripts/bench-config.mjs's large configuration (1,000 zones, 100,000
// records, 10,000 load balancers), Responder.respond wrapped as server/answering.ts wraps it (query
// counters on, as `gslb serve` runs), over the same queries as scripts/bench-config (A with ECS
// from 10,000 /24s; www for the sample, random load balancers of random zones for the large one).
// Each configuration in its own process, alternating, after three warm-up passes (the steady
// state); the median ratio of rounds. scripts/bench-config measures the whole server through
// dnsperf and the kernel, where a query costs 15-25 µs; here it costs 1-5 µs, so a ratio here
// magnifies what the configuration's size adds.
//
// Usage: node scripts/config-cost.mjs [--rounds N] [--queries N] [--origins N]
// Needs a build (npm run build).

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { answerPath } from "./lib/answer-path.mjs";
import { fileURLToPath } from "node:url";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };

if (args[0] === "--child") {
  await child(args[1], args[2], Number(args[3]));
} else {
  const rounds = Number(opt("rounds", 5));
  const queries = Number(opt("queries", 1000000));
  const origins = Number(opt("origins", 1));
  const w = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-config-cost-"));
  try {
    const data = (...a) => execFileSync(process.execPath, [path.join(ROOT, "scripts/bench-config.mjs"), ...a]);
    fs.mkdirSync(path.join(w, "small"));
    fs.copyFileSync(path.join(ROOT, "zones/lb.example.com.json"), path.join(w, "small/lb.example.com.json"));
    data("zones", path.join(w, "large"), "1000", String(origins));
    data("queries", path.join(w, "small.bin"), "www.lb.example.com");
    data("queries", path.join(w, "large.bin"), "lb{l}.{z}");
    // Pinned to one core when there are two or more (taskset from util-linux), like the server in scripts/bench-config.
    const pin = fs.existsSync("/usr/bin/taskset") && os.cpus().length > 1 ? ["/usr/bin/taskset", "-c", "1"] : [];
    const run = (c) => {
      const [cmd, ...rest] = [...pin, process.execPath, fileURLToPath(import.meta.url), "--child", path.join(w, c), path.join(w, `${c}.bin`), String(queries)];
      return JSON.parse(execFileSync(cmd, rest, { encoding: "utf8" }).trim());
    };
    const median = (xs) => { const v = [...xs].sort((a, b) => a - b); const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };
    console.log(`config-cost: ${rounds} rounds of ${queries} queries per configuration, each in its own process; ${origins} IPv4 origin(s) per pool; ns per query (CPU time of the loop); load ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
    const smalls = [], larges = [], ratios = [];
    for (let r = 0; r < rounds; r++) {
      const first = r % 2 === 0;
      const a = run(first ? "small" : "large"), b = run(first ? "large" : "small");
      const s = first ? a : b, l = first ? b : a;
      smalls.push(s.ns); larges.push(l.ns); ratios.push(l.ns / s.ns);
      console.log(`round ${r + 1}: sample ${s.ns.toFixed(0)} ns (reused ${s.reused}, kept ${s.kept}), large ${l.ns.toFixed(0)} ns (reused ${l.reused}, kept ${l.kept}): ×${(l.ns / s.ns).toFixed(2)}`);
    }
    console.log(`median: sample ${median(smalls).toFixed(0)} ns, large ${median(larges).toFixed(0)} ns, ratio of rounds ×${median(ratios).toFixed(2)}; fastest: ×${(Math.min(...larges) / Math.min(...smalls)).toFixed(2)}`);
  } finally {
    fs.rmSync(w, { recursive: true, force: true });
  }
}

async function child(dir, file, n) {
  const { respond, responder } = await answerPath(dir, { nsid: Buffer.from("gslb") });
  // dnsperf -B input: a 2-byte length before each query.
  const buf = fs.readFileSync(file);
  const queries = [];
  for (let p = 0; p < buf.length;) { const l = buf.readUInt16BE(p); queries.push(Buffer.from(buf.subarray(p + 2, p + 2 + l))); p += 2 + l; }
  const peer = { address: "127.0.0.1", port: 5353, transport: "udp" };
  for (let pass = 0; pass < 3; pass++) for (const q of queries) respond(q, peer);
  const s0 = responder.answerStats();
  const before = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < n; i++) sink += respond(queries[i % queries.length], peer)?.length ?? 0;
  const used = process.cpuUsage(before);
  if (sink === 0) throw new Error("no replies");
  const s1 = responder.answerStats();
  process.stdout.write(`${JSON.stringify({ ns: ((used.user + used.system) * 1000) / n, reused: s1.reused - s0.reused, kept: s1.kept - s0.kept })}\n`);
}
