#!/usr/bin/env node
// The driver of scripts/soak (issue 9 §4): a gslb server with health-checked load balancers runs
// for --minutes at about half its capacity while
//  - its origins (HTTP servers on 127.0.0.10x, in a child process) flip /healthz between 200 and
//    503 on a seeded schedule;
//  - the zone file is rewritten every 10 s (a TXT version, the SOA serial, a load balancer's TTL,
//    an origin weight, a record added and removed), and each change is checked to be served;
//  - a checker asks the load-balanced names continuously (UDP, with and without ECS) and holds
//    every answer to what the health state allowed: an origin counts as surely down (up) for a
//    query when its /healthz said 503 (200) over the whole window from the detection bound
//    before the query was sent until its reply came; every assignment of the origins in between
//    is allowed, and an answer no assignment allows is wrong;
//  - the three hostile TCP clients of issue 9 (scripts/hostile-clients.mjs: trickle, never read,
//    dribble) run in phases between phases without, and UDP p50/p99 (dnsperf) is compared;
//  - RSS every 10 s and the heap after a forced GC every minute (gc-hook.mjs).
// Loopback only; ports 16000-16999; everything it starts, it stops.

import dgram from "node:dgram";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { spawn, fork, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { rng, buildQuery, ecsData, parseMessage, addressOf } from "./lib/dnswire.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const opts = { minutes: 30, qps: 0, port: 16153, originPort: 16180, seed: 1, phaseSeconds: 0, reloadSeconds: 10, checkerQps: 100, mode: "soak", interval: 5, timeout: 1, down: 1, up: 1 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i], v = () => process.argv[++i];
  if (a === "--minutes") opts.minutes = Number(v());
  else if (a === "--qps") opts.qps = Number(v());
  else if (a === "--port") opts.port = Number(v());
  else if (a === "--origin-port") opts.originPort = Number(v());
  else if (a === "--seed") opts.seed = Number(v());
  else if (a === "--phase-seconds") opts.phaseSeconds = Number(v());
  else if (a === "--checker-qps") opts.checkerQps = Number(v());
  else if (a === "--origins-child") opts.mode = "origins";
  else { console.error(`soak: unknown option ${a}`); process.exit(2); }
}
for (const p of [opts.port, opts.originPort]) if (p < 16000 || p > 16999) { console.error("soak: ports must be in 16000-16999"); process.exit(2); }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = (b) => (b / 1048576).toFixed(1);
const pct = (arr, p) => { if (arr.length === 0) return NaN; const s = Float64Array.from(arr).sort(); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

// ------------------------------------------------------------------------------------ the zone
const ORIGINS = { o1: "127.0.0.101", o2: "127.0.0.102", o3: "127.0.0.103", o4: "127.0.0.104", o5: "127.0.0.105" };
const BACKUP = "127.0.0.110";
const POOLS = { primary: ["o1", "o2"], secondary: ["o3"], eu: ["o4"], us: ["o5"] };
/** The checker's clients of the geo load balancer: ECS subnet (or none) → the pool list it maps to. */
const GEO_CLIENTS = [
  { label: "DE (ECS 10.20.x/24: WEU)", ecs: [10, 20], pools: ["eu", "us"] },
  { label: "WNAM (ECS 10.30.x/24)", ecs: [10, 30], pools: ["us", "eu"] },
  { label: "no ECS (default_pools)", ecs: null, pools: ["us", "eu"] },
];
const FO_POOLS = ["primary", "secondary"];

function zone(rev) {
  const base = JSON.parse(fs.readFileSync(path.join(ROOT, "zones/lb.example.com.json"), "utf8"));
  const odd = rev % 2 === 1;
  const records = { ...base.records,
    huge: { A: Array.from({ length: 100 }, (_, i) => `203.0.113.${i + 1}`) },
    ver: { TXT: [`rev-${rev}`] },
  };
  if (odd) records[`extra-${rev}`] = { A: `192.0.2.${(rev % 250) + 1}` };
  const origin = (name) => ({ name, address: ORIGINS[name], ...(name === "o2" && odd ? { weight: 0.5 } : {}) });
  return {
    ...base,
    soa: { ...base.soa, serial: 2026112900 + rev },
    records,
    monitors: { hc: { type: "http", path: "/healthz", port: opts.originPort, expected_codes: "200", interval: opts.interval, timeout: opts.timeout, retries: 0, consecutive_up: opts.up, consecutive_down: opts.down } },
    pools: {
      primary: { origins: POOLS.primary.map(origin), monitor: "hc", minimum_origins: 1 },
      secondary: { origins: POOLS.secondary.map(origin), monitor: "hc" },
      eu: { origins: POOLS.eu.map(origin), monitor: "hc", latitude: 50.1, longitude: 8.7 },
      us: { origins: POOLS.us.map(origin), monitor: "hc", latitude: 38.9, longitude: -77.0 },
      backup: { origins: [{ name: "b", address: BACKUP }] },
    },
    load_balancers: {
      fo: { default_pools: FO_POOLS, fallback_pool: "backup", steering_policy: "off", ttl: odd ? 6 : 5 },
      geo: { default_pools: ["us", "eu"], fallback_pool: "backup", steering_policy: "geo", region_pools: { WEU: ["eu", "us"], WNAM: ["us", "eu"] },
        location_strategy: { prefer_ecs: "always" }, ttl: 5 },
    },
    networks: { "10.20.0.0/16": { country: "DE" }, "10.30.0.0/16": { region: "WNAM", latitude: 37.4, longitude: -122.1 } },
  };
}

// ------------------------------------------------------------------------------------ origins (child process)
// Each origin's /healthz says 200 or 503; the schedule is seeded segments of 12-30 s in which
// each origin is down with probability 0.4 (so one, several, all of a pool, everything, happen).
async function originsChild() {
  const r = rng(opts.seed * 7919 + 1);
  const state = Object.fromEntries(Object.keys(ORIGINS).map((k) => [k, true]));
  const servers = [];
  for (const [name, address] of Object.entries(ORIGINS)) {
    const s = http.createServer((req, res) => {
      res.statusCode = req.url === "/healthz" && state[name] ? 200 : 503;
      res.end(res.statusCode === 200 ? "ok" : "down");
    });
    await new Promise((ok) => s.listen(opts.originPort, address, ok));
    servers.push(s);
  }
  process.send({ kind: "ready", at: Date.now(), state });
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m) => { if (m === "stop") { for (const s of servers) s.close(); process.exit(0); } });
  // The first segment keeps everything up: the checker starts from a settled state.
  await sleep(15000);
  for (;;) {
    const next = Object.fromEntries(Object.keys(ORIGINS).map((k) => [k, !r.chance(0.4)]));
    for (const k of Object.keys(ORIGINS)) {
      if (next[k] !== state[k]) { state[k] = next[k]; process.send({ kind: "flip", origin: k, up: next[k], at: Date.now() }); }
    }
    await sleep(r.range(12000, 30000));
  }
}

// ------------------------------------------------------------------------------------ main
async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-soak-"));
  const zonesDir = path.join(work, "zones");
  fs.mkdirSync(zonesDir);
  const children = [];
  const cleanup = () => { for (const c of children) try { c.kill("SIGTERM"); } catch {} fs.rmSync(work, { recursive: true, force: true }); };
  process.on("SIGINT", () => { cleanup(); process.exit(130); });
  try {
    return await soak(work, zonesDir, children);
  } finally {
    cleanup();
  }
}

async function soak(work, zonesDir, children) {
  const started = Date.now();
  const minutes = opts.minutes;
  const phaseSeconds = opts.phaseSeconds || Math.max(15, Math.min(60, Math.floor((minutes * 60 - 30) / 12)));
  const writeZone = (rev) => {
    const tmp = path.join(zonesDir, ".lb.example.com.json.tmp");
    fs.writeFileSync(tmp, JSON.stringify(zone(rev), null, 1));
    fs.renameSync(tmp, path.join(zonesDir, "lb.example.com.json"));
  };

  // Origins first: the server's first round of checks finds them up.
  const flips = Object.fromEntries(Object.keys(ORIGINS).map((k) => [k, [{ at: 0, up: true }]]));
  const origins = fork(fileURLToPath(import.meta.url), ["--origins-child", "--origin-port", String(opts.originPort), "--seed", String(opts.seed)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.push(origins);
  await new Promise((ok) => origins.on("message", function first(m) { if (m.kind === "ready") { origins.off("message", first); ok(); } }));
  origins.on("message", (m) => { if (m.kind === "flip") flips[m.origin].push({ at: m.at, up: m.up }); });

  let rev = 0;
  writeZone(rev);
  const serverLog = { errors: [], warn: new Map(), text: [], transitions: [], zoneErrors: 0 };
  let gcWaiter = null;
  let serverExit = null;
  // One process (--workers 1): the one whose RSS and heap are watched answers everything.
  const server = spawn(process.execPath, ["--expose-gc", "--max-semi-space-size=2", "--import", path.join(ROOT, "scripts/lib/gc-hook.mjs"), path.join(ROOT, "dist/cli/main.js"), "serve",
    "--workers", "1", "--zones", zonesDir, "--listen", `127.0.0.1:${opts.port}`, "--log-level", "info"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MALLOC_MMAP_THRESHOLD_: "131072" } }); // as the CLI's shebang
  children.push(server);
  server.on("exit", (code, signal) => { serverExit = { code, signal, at: Date.now() }; console.log(`SERVER EXITED: ${JSON.stringify(serverExit)}`); });
  for (const stream of [server.stdout, server.stderr]) {
    readline.createInterface({ input: stream }).on("line", (line) => {
      let j;
      try { j = JSON.parse(line); } catch { if (line.trim() && serverLog.text.length < 100) serverLog.text.push(line); return; }
      if (j.gcHook) { gcWaiter?.(j); gcWaiter = null; return; }
      if (j.msg === "origin down" || j.msg === "origin up") serverLog.transitions.push({ at: Date.parse(j.time), origins: j.origins, to: j.to });
      if (j.level >= 50) { if (/zone file error/.test(j.msg)) serverLog.zoneErrors++; if (serverLog.errors.length < 100) serverLog.errors.push(j); }
      else if (j.level >= 40) serverLog.warn.set(j.msg, (serverLog.warn.get(j.msg) ?? 0) + 1);
    });
  }
  const gcMemory = () => new Promise((resolve) => {
    const timer = setTimeout(() => { gcWaiter = null; resolve(null); }, 5000);
    gcWaiter = (j) => { clearTimeout(timer); resolve(j); };
    server.kill("SIGUSR2");
  });
  const rssNow = () => { try { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, "utf8"))[1]) * 1024; } catch { return 0; } };

  // Ready when it answers.
  const sock = dgram.createSocket("udp4");
  sock.bind(0, "127.0.0.4");
  await new Promise((ok) => sock.once("listening", ok));
  const pending = new Map();
  let nextId = 1;
  sock.on("message", (m) => {
    if (m.length < 2) return;
    const p = pending.get(m.readUInt16BE(0));
    if (p) { pending.delete(m.readUInt16BE(0)); clearTimeout(p.timer); p.resolve({ reply: m, at: Date.now() }); }
  });
  const ask = (name, type = 1, ecs = null, timeoutMs = 2000) => new Promise((resolve) => {
    let id = nextId = (nextId + 1) & 0xffff;
    while (pending.has(id)) id = nextId = (nextId + 1) & 0xffff;
    const q = buildQuery({ id, name, type, edns: ecs === null ? { options: [] } : { options: [{ code: 8, data: ecsData(1, 24, ecs) }] } });
    const sent = Date.now();
    pending.set(id, { resolve: (r) => resolve({ ...r, sent }), timer: setTimeout(() => { pending.delete(id); resolve({ reply: null, sent, at: Date.now() }); }, timeoutMs) });
    sock.send(q, opts.port, "127.0.0.1");
  });
  for (let i = 0; ; i++) {
    if (serverExit) throw new Error(`server exited at start: ${serverLog.text.concat(serverLog.errors.map((e) => JSON.stringify(e))).join("\n")}`);
    const r = await ask("ns1.lb.example.com", 1, null, 300);
    if (r.reply) break;
    if (i > 200) throw new Error("server not answering");
  }
  console.log(`gslb pid ${server.pid} on 127.0.0.1:${opts.port}; origins ${Object.values(ORIGINS).join(", ")} :${opts.originPort} (monitor interval ${opts.interval} s, timeout ${opts.timeout} s, consecutive_down ${opts.down}, consecutive_up ${opts.up})`);

  // Capacity, then the load: half of it, in dnsperf runs of one phase each.
  const queryFile = path.join(work, "queries");
  fs.writeFileSync(queryFile, ["fo.lb.example.com A", "geo.lb.example.com A", "ns1.lb.example.com A", "mail.lb.example.com MX", "nope.lb.example.com A", "ver.lb.example.com TXT", "www.lb.example.com AAAA"].join("\n") + "\n");
  const dnsperf = (seconds, extra, vfile) => new Promise((resolve) => {
    const args = ["-s", "127.0.0.1", "-p", String(opts.port), "-d", queryFile, "-l", String(seconds), ...extra];
    const out = vfile ? fs.openSync(vfile, "w") : "pipe";
    const p = spawn("dnsperf", vfile ? [...args, "-v"] : args, { stdio: ["ignore", out, "ignore"] });
    children.push(p);
    let text = "";
    p.stdout?.on("data", (d) => { text += d; });
    p.on("exit", () => { if (vfile) fs.closeSync(out); resolve(vfile ? fs.readFileSync(vfile, "utf8") : text); });
  });
  let capacity = null;
  let qps = opts.qps;
  if (!qps) {
    const out = await dnsperf(5, ["-c", "4", "-q", "200", "-Q", "10000000"]);
    capacity = Math.round(Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? 0));
    qps = Math.max(500, Math.round(capacity / 2));
    console.log(`capacity (dnsperf, 5 s, 4 clients × 200 outstanding): ${capacity} qps; load: ${qps} qps`);
  }

  // The checker: one query every 1000/checkerQps ms, rotating over the load-balanced names.
  const answers = [];
  let unanswered = 0;
  let stopping = false;
  const checker = (async () => {
    let k = 0;
    const gap = 1000 / opts.checkerQps;
    let t = Date.now();
    while (!stopping) {
      const which = k++ % 4;
      const client = which === 0 ? null : GEO_CLIENTS[which - 1];
      const ecs = client?.ecs ? [client.ecs[0], client.ecs[1], (k * 7) & 255, 0] : null;
      void ask(which === 0 ? "fo.lb.example.com" : "geo.lb.example.com", 1, ecs).then((r) => {
        if (r.reply === null) { unanswered++; return; }
        const p = parseMessage(r.reply);
        const addrs = p.ok ? p.msg.answers.filter((a) => a.type === 1).map(addressOf) : null;
        answers.push({ lb: which === 0 ? "fo" : "geo", client: which, sent: r.sent, at: r.at, rcode: p.ok ? p.msg.rcode : -1, addrs });
      });
      t += gap;
      const wait = t - Date.now();
      if (wait > 0) await sleep(wait); else if (wait < -1000) t = Date.now();
    }
  })();

  // Reloads: every reloadSeconds a new revision, checked to be served (the TXT version, and the fo TTL).
  const reloads = { done: 0, failed: 0, ms: [], ttlWrong: 0 };
  const reloader = (async () => {
    while (!stopping) {
      await sleep(opts.reloadSeconds * 1000);
      if (stopping) break;
      rev++;
      const t0 = Date.now();
      writeZone(rev);
      let served = false;
      while (Date.now() - t0 < 5000) {
        const r = await ask("ver.lb.example.com", 16, null, 500);
        if (r.reply && r.reply.includes(Buffer.from(`rev-${rev}`))) { served = true; break; }
        await sleep(25);
      }
      if (!served) { reloads.failed++; console.log(`RELOAD: rev-${rev} not served within 5 s`); continue; }
      reloads.ms.push(Date.now() - t0);
      reloads.done++;
      const f = await ask("fo.lb.example.com", 1, null, 1000);
      const p = f.reply ? parseMessage(f.reply) : null;
      const ttl = p?.ok ? p.msg.answers[0]?.ttl : undefined;
      if (ttl !== (rev % 2 === 1 ? 6 : 5)) { reloads.ttlWrong++; console.log(`RELOAD: fo TTL ${ttl} after rev-${rev}`); }
    }
  })();

  // Memory: RSS every 10 s, the heap after GC every minute.
  const rss = [];
  const heaps = [];
  const memTimer = setInterval(() => rss.push({ t: (Date.now() - started) / 1000, rss: rssNow() }), 10000);
  rss.push({ t: (Date.now() - started) / 1000, rss: rssNow() });
  const heapLoop = (async () => {
    while (!stopping) {
      const m = await gcMemory();
      if (m) heaps.push({ t: (Date.now() - started) / 1000, heap: m.heapUsed, rss: m.rss });
      for (let i = 0; i < 60 && !stopping; i++) await sleep(1000);
    }
  })();

  // Phases: without, trickle, without, never read, without, dribble, ... until the time is up.
  const plan = ["none", "trickle", "none", "noread", "none", "dribble"];
  const phases = [];
  const endAt = started + minutes * 60000;
  console.log(`phases of ${phaseSeconds} s: ${plan.join(", ")}, repeated; zone rewritten every ${opts.reloadSeconds} s; checker ${opts.checkerQps} qps`);
  for (let i = 0; Date.now() + phaseSeconds * 1000 <= endAt + 5000 && !serverExit; i++) {
    const kind = plan[i % plan.length];
    const vfile = path.join(work, "perf.txt");
    let attacker = null, attack = "";
    if (kind !== "none") {
      const n = kind === "trickle" ? 1000 : kind === "noread" ? 200 : 60;
      attacker = spawn(process.execPath, [path.join(ROOT, "scripts/hostile-clients.mjs"), String(opts.port), kind, String(n), String(phaseSeconds), "reconnect"], { stdio: ["ignore", "pipe", "ignore"] });
      children.push(attacker);
      attacker.stdout.on("data", (d) => { attack += d; });
    }
    const before = serverStatsNow(server.pid);
    const out = await dnsperf(phaseSeconds, ["-c", "4", "-Q", String(qps)], vfile);
    const after = serverStatsNow(server.pid);
    if (attacker) await new Promise((ok) => attacker.exitCode !== null ? ok() : attacker.on("exit", ok));
    const lat = [];
    let lost = 0;
    for (const line of out.split("\n")) {
      if (!line.startsWith("> ")) continue;
      const f = line.split(" ");
      const v = Number(f[f.length - 1]);
      if (f[1] === "T" || !Number.isFinite(v)) lost++; else lat.push(v * 1000);
    }
    fs.rmSync(vfile, { force: true });
    const cpu = (after.ticks - before.ticks) / 100 / ((after.at - before.at) / 1000);
    const ph = { kind, at: Math.round((Date.now() - started) / 1000), n: lat.length, lost, p50: pct(lat, 0.5), p99: pct(lat, 0.99), cpu, rss: rssNow(), attack: attack.trim() };
    phases.push(ph);
    console.log(`${new Date().toISOString().slice(11, 19)} phase ${String(i + 1).padStart(2)} ${kind.padEnd(8)} ${ph.n} answers (${lost} lost) p50 ${ph.p50.toFixed(3)} ms p99 ${ph.p99.toFixed(3)} ms  server CPU ${(cpu * 100).toFixed(0)}%  RSS ${MiB(ph.rss)} MiB  reloads ${reloads.done} (${reloads.failed} failed)  checker ${answers.length} answers${attack ? `  ${attack.trim()}` : ""}`);
  }
  stopping = true;
  await Promise.all([checker, reloader, heapLoop]);
  await sleep(2500);
  clearInterval(memTimer);
  rss.push({ t: (Date.now() - started) / 1000, rss: rssNow() });
  const endHeap = serverExit ? null : await gcMemory();
  if (endHeap) heaps.push({ t: (Date.now() - started) / 1000, heap: endHeap.heapUsed, rss: endHeap.rss });
  origins.send("stop");
  sock.close();

  // ---------------------------------------------------------------- the verdict on every answer
  const bound = (consecutive) => opts.interval * 1.1 * consecutive + opts.timeout + 1.5; // s; 1.5 s of slack for a shared machine
  const downBound = bound(opts.down) * 1000, upBound = bound(opts.up) * 1000;
  /** For one origin and a query's window: "up", "down" (sure), or "?" (either may be served). */
  const sureState = (origin, sent, at) => {
    const fl = flips[origin];
    // The state over [sent - bound, at]: constant, and since before the bound.
    let last = fl[0];
    for (const f of fl) if (f.at <= at) last = f; else break;
    const b = last.up ? upBound : downBound;
    return last.at <= sent - b ? (last.up ? "up" : "down") : "?";
  };
  const poolUp = (pool, st) => POOLS[pool].filter((o) => st[o] === true);
  /** Every address the server may answer with, given sure states (the unsure take both values). */
  const allowed = (poolList, sure) => {
    const unsure = Object.keys(sure).filter((o) => sure[o] === "?");
    const out = new Set();
    for (let mask = 0; mask < 1 << unsure.length; mask++) {
      const st = Object.fromEntries(Object.entries(sure).map(([o, s]) => [o, s === "up"]));
      unsure.forEach((o, i) => { st[o] = (mask & (1 << i)) !== 0; });
      const pool = poolList.find((p) => poolUp(p, st).length > 0);
      if (pool === undefined) out.add(BACKUP);
      else for (const o of poolUp(pool, st)) out.add(ORIGINS[o]);
    }
    return out;
  };
  const wrong = [];
  let checked = 0;
  // The same check with no allowance for detection: how many answers came while the server had
  // not yet seen a flip (shows the checker would see an answer the health state did not allow).
  let lagging = 0;
  for (const a of answers) {
    if (a.at > Date.now() - 1000) continue;
    checked++;
    const instant = Object.fromEntries(Object.keys(ORIGINS).map((o) => { let last = flips[o][0]; for (const f of flips[o]) if (f.at <= a.sent) last = f; return [o, last.up ? "up" : "down"]; }));
    if (a.rcode === 0 && a.addrs?.length === 1 && !allowed(a.lb === "fo" ? FO_POOLS : GEO_CLIENTS[a.client - 1].pools, instant).has(a.addrs[0])) lagging++;
    const sure = Object.fromEntries(Object.keys(ORIGINS).map((o) => [o, sureState(o, a.sent, a.at)]));
    const poolList = a.lb === "fo" ? FO_POOLS : GEO_CLIENTS[a.client - 1].pools;
    const ok = allowed(poolList, sure);
    const problem = a.rcode !== 0 ? `rcode ${a.rcode}` : a.addrs === null ? "unparseable" : a.addrs.length !== 1 ? `${a.addrs.length} addresses` : !ok.has(a.addrs[0]) ? `${a.addrs[0]} not in {${[...ok].join(", ")}}` : null;
    if (problem) wrong.push({ ...a, problem, sure });
  }

  // How long the server took to see each flip (its "origin up/down" log lines).
  const detect = [];
  for (const [o, fl] of Object.entries(flips)) {
    for (const f of fl.slice(1)) {
      const seen = serverLog.transitions.find((t) => t.at >= f.at - 50 && t.to === (f.up ? "up" : "down") && t.origins.some((x) => x.endsWith(`/${o}`)));
      if (seen) detect.push({ o, up: f.up, ms: seen.at - f.at });
    }
  }
  const flipCount = Object.values(flips).reduce((n, f) => n + f.length - 1, 0);

  // ---------------------------------------------------------------- report
  const slope = (pts, key) => {
    if (pts.length < 3) return NaN;
    const n = pts.length, mx = pts.reduce((s, p) => s + p.t, 0) / n, my = pts.reduce((s, p) => s + p[key], 0) / n;
    const b = pts.reduce((s, p) => s + (p.t - mx) * (p[key] - my), 0) / pts.reduce((s, p) => s + (p.t - mx) ** 2, 0);
    return (b * 3600) / 1048576; // MiB per hour
  };
  const settled = rss.filter((p) => p.t >= 60).length >= 6 ? rss.filter((p) => p.t >= 60) : [];
  const mid = rss[Math.floor(rss.length / 2)];
  console.log("\n=== soak summary ===");
  console.log(`ran ${((Date.now() - started) / 60000).toFixed(1)} min; load ${qps} qps${capacity ? ` (half of ${capacity} measured)` : ""}; server ${serverExit ? `EXITED ${JSON.stringify(serverExit)}` : "alive"}`);
  console.log(`health: ${flipCount} flips of /healthz; server transitions seen for ${detect.length}; detection ms: down p50 ${pct(detect.filter((d) => !d.up).map((d) => d.ms), 0.5).toFixed(0)} max ${Math.max(...detect.filter((d) => !d.up).map((d) => d.ms), 0)}, up p50 ${pct(detect.filter((d) => d.up).map((d) => d.ms), 0.5).toFixed(0)} max ${Math.max(...detect.filter((d) => d.up).map((d) => d.ms), 0)} (bounds ${downBound} / ${upBound} ms with slack)`);
  console.log(`checker: ${checked} answers checked (fo and geo, 3 client kinds), ${unanswered} unanswered, WRONG ${wrong.length}; ${lagging} answers named a pool or origin the health state had just ruled out, within the detection bound (the checker's teeth)`);
  for (const w of wrong.slice(0, 10)) console.log(`  wrong: ${w.lb} client ${w.client} at +${((w.sent - started) / 1000).toFixed(1)} s: ${w.problem}; sure states ${JSON.stringify(w.sure)}`);
  console.log(`reloads: ${reloads.done} served (${reloads.failed} not within 5 s), write-to-served ms p50 ${pct(reloads.ms, 0.5)} max ${Math.max(0, ...reloads.ms)}; fo TTL wrong after reload ${reloads.ttlWrong}; zone file errors logged ${serverLog.zoneErrors}`);
  console.log(`server log: ${serverLog.errors.length} error lines, ${serverLog.text.length} other lines; warnings: ${[...serverLog.warn].map(([k, v]) => `${k} ×${v}`).join("; ") || "none"}`);
  for (const e of serverLog.errors.slice(0, 5)) console.log(`  error: ${JSON.stringify(e).slice(0, 400)}`);
  console.log(`RSS: start ${MiB(rss[0].rss)} MiB, middle ${MiB(mid.rss)} MiB, end ${MiB(rss.at(-1).rss)} MiB, peak ${MiB(Math.max(...rss.map((p) => p.rss)))} MiB; slope after the first minute ${slope(settled, "rss").toFixed(1)} MiB/h (${settled.length} samples)`);
  console.log(`heap after GC: ${heaps.map((h) => `${Math.round(h.t)}s ${MiB(h.heap)}`).join(", ")} MiB; slope ${slope(heaps.slice(1), "heap").toFixed(1)} MiB/h`);
  console.log("UDP latency by phase (dnsperf at the load above):");
  console.log("  phase     answers   lost   p50 ms   p99 ms  p99/without  CPU   attack");
  let base = null;
  const ratios = {};
  const baselineMedian = pct(phases.filter((p) => p.kind === "none").map((p) => p.p99), 0.5);
  for (const p of phases) {
    const ratio = p.kind === "none" ? null : base ? p.p99 / base : NaN;
    if (p.kind === "none") base = p.p99; else (ratios[p.kind] ??= []).push(ratio);
    console.log(`  ${p.kind.padEnd(8)} ${String(p.n).padStart(8)} ${String(p.lost).padStart(6)} ${p.p50.toFixed(3).padStart(8)} ${p.p99.toFixed(3).padStart(8)} ${ratio === null ? "" : ratio.toFixed(2).padStart(11)}  ${(p.cpu * 100).toFixed(0).padStart(3)}%  ${p.attack}`);
  }
  const worst = Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, Math.max(...v)]));
  const byKind = (k) => pct(phases.filter((p) => p.kind === k).map((p) => p.p99), 0.5);
  console.log(`p99 with / the phase just before without (worst of each): ${Object.entries(worst).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")} (target ≤ 2)`);
  console.log(`median p99: without ${baselineMedian.toFixed(3)} ms; ${["trickle", "noread", "dribble"].map((k) => `${k} ${byKind(k).toFixed(3)} ms (×${(byKind(k) / baselineMedian).toFixed(2)})`).join(", ")}`);
  const heapGrowth = heaps.length >= 3 ? heaps.at(-1).heap - heaps[1].heap : 0;
  const pass = !serverExit && wrong.length === 0 && reloads.failed === 0 && reloads.ttlWrong === 0 && serverLog.errors.length === 0 && heapGrowth < 16 * 1048576;
  console.log(`=> ${pass ? "PASS" : "FAIL"} (no crash, no wrong answer, every reload served, no error logged, heap after GC within 16 MiB of its value after the first minute: ${MiB(heapGrowth)} MiB)${Object.values(worst).some((v) => v > 2) ? "; p99 target NOT met for some attack" : ""}`);
  return pass;
}

function serverStatsNow(pid) {
  try { const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return { ticks: Number(f[11]) + Number(f[12]), at: Date.now() }; } catch { return { ticks: 0, at: Date.now() }; }
}

let ok = false;
try {
  if (opts.mode === "origins") await originsChild();
  else ok = await main();
} catch (err) {
  console.error(`soak: ${err.stack ?? err}`);
}
process.exit(ok ? 0 : 1);
