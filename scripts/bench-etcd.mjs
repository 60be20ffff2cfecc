#!/usr/bin/env node
// scripts/bench-etcd (issue 11 §6): N gslb instances voting through a real 3-member etcd cluster,
// all on loopback. For each probe interval: the write rate to etcd and what it costs etcd and the
// instances, in three phases (start-up, steady, flapping); once: the time for a vote to change
// every instance's answers. Options: see scripts/bench-etcd --help (the shell wrapper).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { Resolver } from "node:dns/promises";
import { Etcd3 } from "etcd3";
import { etcdVersion, freePort, startEtcd } from "./lib/etcd.mjs";

const opts = {
  instances: 5, origins: 10_000, intervals: [60, 10], steady: 90, flap: 120, flapFraction: 0.01,
  voteRounds: 5, voteInterval: 5, heartbeat: 100, election: 1000, etcdFlags: [], write: null,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const [k, v] = [argv[i], argv[i + 1]];
  if (k === "--instances") opts.instances = Number(v);
  else if (k === "--origins") opts.origins = Number(v);
  else if (k === "--intervals") opts.intervals = v.split(",").map(Number);
  else if (k === "--steady") opts.steady = Number(v);
  else if (k === "--flap") opts.flap = Number(v);
  else if (k === "--flap-fraction") opts.flapFraction = Number(v);
  else if (k === "--vote-rounds") opts.voteRounds = Number(v);
  else if (k === "--vote-interval") opts.voteInterval = Number(v);
  else if (k === "--etcd-heartbeat") opts.heartbeat = Number(v);
  else if (k === "--etcd-election") opts.election = Number(v);
  else if (k === "--etcd-flags") opts.etcdFlags = v.split(/\s+/).filter(Boolean);
  else if (k === "--write") opts.write = v;
  else { console.error(`bench-etcd: unknown option ${k}`); process.exit(2); }
}

const REGIONS = ["WEU", "ENAM", "SEAS", "WNAM", "EEU", "NEAS", "SAF", "OC", "ME", "NAF", "SAS", "NSAM", "SSAM"];
const VOTE_A = "127.2.0.1", VOTE_B = "127.2.0.2", VOTE_NAME = "vote.lb.example.com";
const HZ = 100; // getconf CLK_TCK on Linux
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const originAddress = (i) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
if (opts.origins > 250 * 256) throw new Error("at most 64,000 origins (127.1.0.0/16)");

// ------------------------------------------------------------------ processes, /proc

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch { return null; }
}
function rssKiB(pid) {
  try { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0); } catch { return 0; }
}
function ioWrite(pid) {
  try { return Number(/write_bytes:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? 0); } catch { return 0; }
}
/** The process and every descendant (gslb: primary, answering worker, prober). */
function tree(root) {
  const children = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const s = procStat(d);
    if (s === null) continue;
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(Number(d));
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}
const treeTicks = (pid) => tree(pid).reduce((a, p) => a + (procStat(p)?.ticks ?? 0), 0);
const treeRss = (pid) => tree(pid).reduce((a, p) => a + rssKiB(p), 0);

async function metricsText(url) {
  try { return await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text(); } catch { return ""; }
}
/** Sum of a metric's samples (every label set). */
function metric(text, name) {
  let sum = 0, found = false;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, "gm"))) { sum += Number(m[1]); found = true; }
  return found ? sum : null;
}
const etcdMetric = (text, name) => metric(text, `etcd_mvcc_${name}`) ?? metric(text, `etcd_debugging_mvcc_${name}`);

// ------------------------------------------------------------------ the zone

function zone(intervalS, port) {
  const base = JSON.parse(fs.readFileSync("zones/lb.example.com.json", "utf8"));
  const pools = {};
  for (let p = 0; p * 100 < opts.origins; p++) {
    pools[`p${p}`] = { monitor: "hc", origins: Array.from({ length: Math.min(100, opts.origins - p * 100) }, (_, o) => ({ name: `o${o}`, address: originAddress(p * 100 + o) })) };
  }
  pools.vote = { monitor: "fast", origins: [{ name: "a", address: VOTE_A }, { name: "b", address: VOTE_B }] };
  Object.assign(base, {
    monitors: {
      // Cloudflare's defaults but for the type and port: timeout 5 s, retries 2, consecutive 1.
      hc: { type: "tcp", port, interval: intervalS },
      fast: { type: "tcp", port, interval: opts.voteInterval, timeout: 2, retries: 0, consecutive_down: 1, consecutive_up: 1 },
    },
    pools,
    load_balancers: { app: { default_pools: Object.keys(pools).slice(0, 8) }, vote: { default_pools: ["vote"], max_answers: 2, ttl: 5 } },
    networks: {},
  });
  delete base.$schema;
  return base;
}

// ------------------------------------------------------------------ the origins process

function startOrigins(port, file) {
  const proc = spawn(process.execPath, ["scripts/bench-etcd-origins.mjs", String(port), "--file", file], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: proc.stdout });
  const waiting = [];
  let ready;
  const up = new Promise((r, j) => { ready = { r, j }; });
  lines.on("line", (l) => {
    if (l.startsWith("listening")) return ready.r();
    if (l.startsWith("error") && waiting.length === 0) return ready.j(new Error(`origins: ${l}`));
    waiting.shift()?.(l);
  });
  return {
    proc, up,
    cmd: (line) => new Promise((r, j) => { waiting.push((l) => (l === "ok" ? r() : j(new Error(`origins: ${l}`)))); proc.stdin.write(`${line}\n`); }),
  };
}

// ------------------------------------------------------------------ one configuration

/** What the bench's own watch of the prefix saw: puts and deletes, by section and instance, and bytes. */
function newCounters() { return { verdicts: 0, rtt: 0, instances: 0, other: 0, deletes: 0, expired: 0, bytes: 0, byInstance: {} }; }

async function runConfig(intervalS, withVote) {
  log(`interval ${intervalS} s: etcd, origins, ${opts.instances} instances`);
  const etcd = await startEtcd(3, { heartbeatMs: opts.heartbeat, electionMs: opts.election, extra: opts.etcdFlags });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-bench-etcd-"));
  const originPort = await freePort();
  const addresses = [...Array.from({ length: opts.origins }, (_, i) => originAddress(i)), VOTE_A, VOTE_B];
  fs.writeFileSync(path.join(work, "addresses"), addresses.join("\n"));
  const origins = startOrigins(originPort, path.join(work, "addresses"));
  await origins.up;
  fs.mkdirSync(path.join(work, "zones"));
  fs.writeFileSync(path.join(work, "zones", "lb.example.com.json"), JSON.stringify(zone(intervalS, originPort)));

  const prefix = "/gslb/";
  const client = new Etcd3({ hosts: etcd.endpoints.split(",") });
  const counters = newCounters();
  const perInstanceVerdicts = new Map();
  let voteListener = null;
  const watcher = await client.watch().prefix(prefix).create();
  const onEvent = (kind, kv) => {
    const rest = kv.key.toString().slice(prefix.length);
    const [section, instance, id] = rest.split("/");
    counters.bytes += kv.key.length + kv.value.length;
    if (kind === "delete") { counters.deletes++; if (section === "instances") counters.expired++; }
    else if (section in counters) counters[section]++;
    else counters.other++;
    counters.byInstance[instance] = (counters.byInstance[instance] ?? 0) + 1;
    if (section === "verdicts" && kind === "put") {
      perInstanceVerdicts.set(instance, (perInstanceVerdicts.get(instance) ?? 0) + 1);
      if (voteListener !== null) {
        const v = JSON.parse(kv.value.toString());
        voteListener({ instance, id, s: v.s, t: v.t, arrived: Date.now() });
      }
    }
  };
  watcher.on("put", (kv) => onEvent("put", kv));
  watcher.on("delete", (kv) => onEvent("delete", kv));

  const instances = [];
  const t0 = Date.now();
  for (let i = 0; i < opts.instances; i++) {
    const [dns, http] = [await freePort(), await freePort()];
    const name = `g${i + 1}`;
    const out = fs.openSync(path.join(work, `${name}.log`), "w");
    const proc = spawn(process.execPath, ["dist/cli/main.js", "serve", "--workers", "1", "--zones", path.join(work, "zones"),
      "--listen", `127.0.0.1:${dns}`, "--http", `127.0.0.1:${http}`, "--log-level", "info",
      "--instance", name, "--region", REGIONS[i % REGIONS.length], "--etcd", etcd.endpoints, "--etcd-prefix", prefix], { stdio: ["ignore", out, out] });
    const resolver = new Resolver({ timeout: 300, tries: 1 });
    resolver.setServers([`127.0.0.1:${dns}`]);
    instances.push({ name, proc, dns, http, resolver, log: path.join(work, `${name}.log`) });
  }
  const alive = () => { for (const i of instances) if (i.proc.exitCode !== null || i.proc.signalCode !== null) throw new Error(`${i.name} exited:\n${fs.readFileSync(i.log, "utf8").slice(-3000)}`); };

  const snap = async () => {
    const [g, e] = await Promise.all([
      Promise.all(instances.map(async (i) => {
        const text = await metricsText(`http://127.0.0.1:${i.http}/metrics`);
        // prom-client's event loop delay histogram is reset at each scrape: its max is over the phase.
        return { writes: metric(text, "gslb_etcd_writes_total") ?? 0, lag: metric(text, "nodejs_eventloop_lag_max_seconds") ?? 0, ticks: treeTicks(i.proc.pid), rss: treeRss(i.proc.pid) };
      })),
      Promise.all(etcd.members.map(async (m) => {
        const text = await metricsText(`${m.clientUrl}/metrics`);
        return {
          ticks: procStat(m.proc.pid)?.ticks ?? 0, rss: rssKiB(m.proc.pid), io: ioWrite(m.proc.pid),
          puts: etcdMetric(text, "put_total") ?? 0, deletes: etcdMetric(text, "delete_total") ?? 0,
          db: etcdMetric(text, "db_total_size_in_bytes") ?? 0, dbInUse: etcdMetric(text, "db_total_size_in_use_in_bytes") ?? 0,
          revision: metric(text, "etcd_debugging_mvcc_current_revision") ?? 0,
          fsyncs: metric(text, "etcd_disk_wal_fsync_duration_seconds_count") ?? 0,
          leaderChanges: metric(text, "etcd_server_leader_changes_seen_total") ?? 0,
          isLeader: metric(text, "etcd_server_is_leader") ?? 0,
        };
      })),
    ]);
    return { t: Date.now(), g, e, w: structuredClone(counters) };
  };
  const phase = (name, a, b, note = "") => {
    const s = (b.t - a.t) / 1000;
    const writes = b.g.map((x, i) => (x.writes - a.g[i].writes) / s);
    const kinds = Object.fromEntries(["verdicts", "rtt", "instances", "deletes"].map((k) => [k, (b.w[k] - a.w[k]) / s]));
    const mvcc = Math.max(...b.e.map((x, i) => x.puts + x.deletes - a.e[i].puts - a.e[i].deletes)) / s;
    return {
      interval: intervalS, phase: name, seconds: s, note, from: a.t, to: b.t, expired: b.w.expired - a.w.expired,
      writes: writes.reduce((x, y) => x + y, 0), writesMin: Math.min(...writes), writesMax: Math.max(...writes), kinds,
      bytes: (b.w.bytes - a.w.bytes) / s, mvcc,
      etcdCpu: b.e.map((x, i) => (x.ticks - a.e[i].ticks) / HZ / s),
      etcdRss: b.e.map((x) => x.rss / 1024), db: Math.max(...b.e.map((x) => x.db)) / 2 ** 20, dbInUse: Math.max(...b.e.map((x) => x.dbInUse)) / 2 ** 20,
      revision: Math.max(...b.e.map((x) => x.revision)),
      disk: b.e.map((x, i) => (x.io - a.e[i].io) / s), fsyncs: Math.max(...b.e.map((x, i) => x.fsyncs - a.e[i].fsyncs)) / s,
      leaderChanges: Math.max(...b.e.map((x, i) => x.leaderChanges - a.e[i].leaderChanges)),
      gslbCpu: b.g.map((x, i) => (x.ticks - a.g[i].ticks) / HZ / s), gslbRss: b.g.map((x) => x.rss / 1024), lag: Math.max(...b.g.map((x) => x.lag)),
    };
  };
  const results = [];
  const votes = [];
  try {
    // (a) start-up: until every instance has published a verdict on every target, and 2 s more.
    const targets = opts.origins + 2;
    const a0 = { t: t0, g: instances.map(() => ({ writes: 0, ticks: 0, rss: 0 })), e: (await snap()).e, w: newCounters() };
    for (;;) {
      alive();
      if (instances.every((i) => (perInstanceVerdicts.get(i.name) ?? 0) >= targets)) break;
      if (Date.now() - t0 > 300_000) throw new Error(`start-up: verdicts published ${JSON.stringify(Object.fromEntries(perInstanceVerdicts))} of ${targets} each after 300 s`);
      await sleep(200);
    }
    const published = Date.now() - t0;
    await sleep(2000);
    const a1 = await snap();
    // Every instance's tree was not running at a0: its CPU is since start (ticks from 0).
    results.push(phase("start-up", a0, a1, `every instance's ${targets} verdicts in etcd ${(published / 1000).toFixed(1)} s after the start`));
    log(`start-up: ${(published / 1000).toFixed(1)} s to every verdict in etcd; ${results.at(-1).writes.toFixed(0)} writes/s`);

    // (b) steady: nothing changes (RTT averages and instance records only). Starts after a probe interval has passed.
    const settle = Math.max(0, intervalS * 1100 - (Date.now() - t0));
    if (settle > 0) { log(`settling ${(settle / 1000).toFixed(0)} s (one probe interval after the start)`); await sleep(settle); }
    alive();
    const b0 = await snap();
    log(`steady: ${opts.steady} s`);
    await sleep(opts.steady * 1000);
    alive();
    results.push(phase("steady", b0, await snap(), "nothing changes"));

    // The vote: one origin's listener goes away, then comes back; DNS polled on every instance.
    if (withVote) votes.push(...await voteRounds(instances, origins, (f) => { voteListener = f; }));

    // (c) flapping: every interval, a fraction of the origins goes down and the previous batch comes back.
    const batch = Math.max(1, Math.round(opts.origins * opts.flapFraction));
    const order = Array.from({ length: opts.origins }, (_, i) => originAddress(i));
    let seed = 1129;
    for (let i = order.length - 1; i > 0; i--) { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; const j = seed % (i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    let step = 0, down = [];
    const flapStep = async () => {
      const next = order.slice((step * batch) % order.length, (step * batch) % order.length + batch);
      if (down.length > 0) await origins.cmd(`up ${down.join(" ")}`);
      await origins.cmd(`down ${next.join(" ")}`);
      down = next; step++;
    };
    log(`flapping: ${batch} origins down every ${intervalS} s (the previous ones up); one warm-up step, then ${opts.flap} s measured`);
    await flapStep();
    await sleep(intervalS * 1000);
    const c0 = await snap();
    const end = c0.t + opts.flap * 1000;
    while (Date.now() < end) {
      await flapStep();
      await sleep(Math.min(intervalS * 1000, end - Date.now()));
      alive();
    }
    const expected = (2 * batch * opts.instances) / intervalS;
    results.push(phase("flapping", c0, await snap(), `${batch} origins (${(opts.flapFraction * 100).toFixed(1)}%) down every ${intervalS} s, the previous ones up: ${expected.toFixed(1)} verdict writes/s expected`));
    if (down.length > 0) await origins.cmd(`up ${down.join(" ")}`);
  } finally {
    // From the instances' logs (info): leases lost (a new one taken), degradations, the first round of checks.
    const events = [];
    for (const i of instances) {
      let text = "";
      try { text = fs.readFileSync(i.log, "utf8"); } catch { /* none */ }
      for (const line of text.split("\n")) {
        if (!line.startsWith("{")) continue;
        let l;
        try { l = JSON.parse(line); } catch { continue; }
        if (typeof l.msg !== "string") continue;
        l.time = typeof l.time === "string" ? Date.parse(l.time) : Number(l.time);
        if (l.msg.startsWith("etcd: lease or watch lost")) events.push({ kind: "lost", t: l.time, instance: i.name, reason: l.reason });
        else if (l.msg.startsWith("etcd unreachable")) events.push({ kind: "degraded", t: l.time, instance: i.name, reason: l.reason });
        else if (l.msg.startsWith("first round of health checks done")) events.push({ kind: "first", t: l.time, instance: i.name, ms: l.ms });
        else if (l.level >= 40) events.push({ kind: "warn", t: l.time, instance: i.name, msg: l.msg });
      }
    }
    for (const r of results) {
      const inside = events.filter((e) => e.t >= r.from && e.t <= r.to);
      r.lost = inside.filter((e) => e.kind === "lost").length;
      r.degraded = inside.filter((e) => e.kind === "degraded").length;
      const why = [...new Set(inside.filter((e) => e.kind === "lost" || e.kind === "degraded").map((e) => `${e.instance}: ${e.reason}`))];
      if (why.length > 0) r.note += `${r.note === "" ? "" : "; "}leases lost: ${why.join("; ")}`;
      const warned = new Map();
      for (const e of inside.filter((x) => x.kind === "warn")) warned.set(e.msg, (warned.get(e.msg) ?? new Set()).add(e.instance));
      for (const [msg, who] of warned) r.note += `${r.note === "" ? "" : "; "}${[...who].sort().join(", ")} logged "${msg.split(":")[0]}"`;
    }
    const first = events.filter((e) => e.kind === "first").map((e) => e.ms / 1000);
    if (first.length > 0 && results[0] !== undefined) results[0].note += `; the first round of health checks took ${Math.min(...first).toFixed(1)}–${Math.max(...first).toFixed(1)} s`;
    for (const e of events.filter((x) => x.kind === "warn")) log(`${e.instance} warned at ${new Date(e.t).toISOString().slice(11, 19)}: ${e.msg}`);
    await watcher.cancel().catch(() => {});
    client.close();
    for (const i of instances) i.proc.kill("SIGTERM");
    await Promise.all(instances.map((i) => new Promise((r) => { if (i.proc.exitCode !== null || i.proc.signalCode !== null) r(); else { const k = setTimeout(() => i.proc.kill("SIGKILL"), 5000); i.proc.once("exit", () => { clearTimeout(k); r(); }); } })));
    origins.proc.kill();
    await etcd.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { results, votes };
}

// ------------------------------------------------------------------ the vote

async function voteRounds(instances, origins, listen) {
  const has = async (i) => { try { return (await i.resolver.resolve4(VOTE_NAME)).includes(VOTE_A); } catch { return null; } };
  /** ms from `t0` until each instance answers with (want) or without (!want) VOTE_A; polled every 20 ms. */
  const until = async (want, t0, ms = 60_000) => {
    const at = instances.map(() => null);
    while (at.some((x) => x === null)) {
      if (Date.now() - t0 > ms) throw new Error(`vote: not every instance answers ${want ? "with" : "without"} ${VOTE_A} after ${ms} ms`);
      const now = Date.now();
      const r = await Promise.all(instances.map((i, k) => (at[k] === null ? has(i) : null)));
      r.forEach((x, k) => { if (at[k] === null && x === want) at[k] = now - t0; });
      await sleep(20);
    }
    return at;
  };
  const majority = Math.floor(new Set(instances.map((_, i) => REGIONS[i % REGIONS.length])).size / 2) + 1;
  let target = null;
  const rounds = [];
  log(`vote: ${opts.voteRounds} rounds, ${opts.voteInterval} s monitor, consecutive_down/up 1`);
  await until(true, Date.now());
  for (let r = 1; r <= opts.voteRounds; r++) {
    const round = {};
    for (const [dir, cmd, want] of [["down", `down ${VOTE_A}`, false], ["up", `up ${VOTE_A}`, true]]) {
      // A random phase of the interval, so rounds do not start just after a probe.
      await sleep(Math.random() * opts.voteInterval * 1000);
      const events = [];
      listen((e) => events.push(e));
      const t0 = Date.now();
      await origins.cmd(cmd);
      const at = await until(want, t0);
      // Every instance's own verdict, up to 3 intervals: the later ones decide nothing, but the next round starts from all up.
      const wantState = dir === "down" ? "down" : "up";
      const mine = () => {
        const fresh = events.filter((e) => e.s === wantState && e.arrived >= t0);
        if (target === null) {
          const by = new Map();
          for (const e of fresh) by.set(e.id, (by.get(e.id) ?? new Set()).add(e.instance));
          const best = [...by.entries()].sort((a, b) => b[1].size - a[1].size)[0];
          if (best !== undefined && best[1].size >= majority) target = best[0];
        }
        const first = new Map();
        for (const e of fresh) if (e.id === target && !first.has(e.instance)) first.set(e.instance, e);
        return [...first.values()];
      };
      const deadline = Date.now() + opts.voteInterval * 3000 + 5000;
      while (mine().length < instances.length && Date.now() < deadline) await sleep(50);
      listen(null);
      const verdicts = mine().sort((a, b) => a.t - b.t);
      const deciding = verdicts[majority - 1];
      round[dir] = {
        all: Math.max(...at), first: Math.min(...at),
        written: deciding === undefined ? null : deciding.t - t0,
        seen: deciding === undefined ? null : deciding.arrived - t0,
        verdicts: verdicts.length,
      };
    }
    rounds.push(round);
    const f = (x) => (x === null ? "?" : (x / 1000).toFixed(2));
    log(`vote round ${r}: down: verdict ${f(round.down.written)} s, every instance ${f(round.down.all)} s; up: verdict ${f(round.up.written)} s, every instance ${f(round.up.all)} s`);
  }
  return rounds;
}

// ------------------------------------------------------------------ the report

const fmt = (x, d = 1) => (x === null || Number.isNaN(x) ? "?" : x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));
const sum = (a) => a.reduce((x, y) => x + y, 0);
const ordinal = (n) => `${n}${n % 10 === 1 && n !== 11 ? "st" : n % 10 === 2 && n !== 12 ? "nd" : n % 10 === 3 && n !== 13 ? "rd" : "th"}`;
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

function report(all, votes, meta) {
  const out = [];
  out.push(`${meta.date}, ${meta.machine}, load average ${meta.loadBefore} before, ${meta.loadAfter} after. etcd ${meta.etcd} (3 members, heartbeat ${opts.heartbeat} ms, election ${opts.election} ms${opts.etcdFlags.length > 0 ? `, \`${opts.etcdFlags.join(" ")}\`` : ""}, data in ${os.tmpdir()} on disk), ${opts.instances} instances of gslb (\`--workers 1\`, regions ${REGIONS.slice(0, opts.instances).join(", ")}), ${opts.origins.toLocaleString("en-US")} origins (TCP monitor, Cloudflare's defaults: timeout 5 s, retries 2, consecutive 1; one listener per origin address 127.1.x.y, one origin process), node ${process.version}. Everything shares the machine's ${os.cpus().length} cores, under \`nice -n 19\`.`);
  out.push("", `\`scripts/bench-etcd${meta.args === "" ? "" : ` ${meta.args}`}\``, "");
  out.push("| interval | phase | s | writes/s, all instances | each instance | verdicts/s | RTT chunks/s | records/s | deletes/s | KiB/s written | etcd puts+deletes/s | leases lost (expired) |");
  out.push("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of all) {
    out.push(`| ${r.interval} s | ${r.phase} | ${fmt(r.seconds, 0)} | ${fmt(r.writes)} | ${fmt(r.writesMin)}–${fmt(r.writesMax)} | ${fmt(r.kinds.verdicts)} | ${fmt(r.kinds.rtt, 2)} | ${fmt(r.kinds.instances, 2)} | ${fmt(r.kinds.deletes, 2)} | ${fmt(r.bytes / 1024)} | ${fmt(r.mvcc)} | ${r.lost ?? "?"} (${r.expired}) |`);
  }
  out.push("", `| interval | phase | etcd CPU, each member (s/s) | etcd RSS (MiB) | etcd disk writes (KiB/s, each) | WAL fsyncs/s | DB size at end (in use) | revision | leader changes | gslb CPU, ${opts.instances} instances (s/s) | gslb RSS, each (MiB) | event loop delay, max |`);
  out.push("|---:|---|---|---|---|---:|---|---:|---:|---:|---|---:|");
  for (const r of all) {
    out.push(`| ${r.interval} s | ${r.phase} | ${r.etcdCpu.map((x) => fmt(x, 3)).join(", ")} | ${r.etcdRss.map((x) => fmt(x, 0)).join(", ")} | ${r.disk.map((x) => fmt(x / 1024, 0)).join(", ")} | ${fmt(r.fsyncs)} | ${fmt(r.db)} MiB (${fmt(r.dbInUse)}) | ${r.revision.toLocaleString("en-US")} | ${r.leaderChanges} | ${fmt(sum(r.gslbCpu), 3)} | ${fmt(Math.min(...r.gslbRss), 0)}–${fmt(Math.max(...r.gslbRss), 0)} | ${fmt(r.lag, 2)} s |`);
  }
  out.push("", ...all.filter((r) => r.note !== "").map((r) => `- ${r.interval} s, ${r.phase}: ${r.note}.`));
  if (votes.length > 0) {
    const s = (x) => (x === null ? "?" : (x / 1000).toFixed(2));
    out.push("", `The vote (${opts.voteRounds} rounds; monitor interval ${opts.voteInterval} s, consecutive_down and consecutive_up 1, so the monitor's own bound is ${opts.voteInterval} s + 10% jitter; the listener closed or reopened at a random phase; every instance's DNS answer polled every 20 ms). "Verdict" is when the deciding instance (the ${ordinal(Math.floor(opts.instances / 2) + 1)} of ${opts.instances} regions to agree) wrote its verdict: the monitor's own detection, plus 50 ms gathering; "vote adds" is from then until every instance answers accordingly.`, "");
    out.push("| round | down: verdict | vote adds | every instance | up: verdict | vote adds | every instance |");
    out.push("|---:|---:|---:|---:|---:|---:|---:|");
    votes.forEach((v, i) => out.push(`| ${i + 1} | ${s(v.down.written)} s | ${s(v.down.all - v.down.written)} s | ${s(v.down.all)} s | ${s(v.up.written)} s | ${s(v.up.all - v.up.written)} s | ${s(v.up.all)} s |`));
    const row = (label, f) => out.push(`| ${label} | ${["down", "up"].flatMap((d) => [s(f(votes.map((v) => v[d].written))), s(f(votes.map((v) => v[d].all - v[d].written))), s(f(votes.map((v) => v[d].all)))].map((x) => `${x} s`)).join(" | ")} |`);
    row("min", (a) => Math.min(...a)); row("median", median); row("max", (a) => Math.max(...a));
  }
  return out.join("\n");
}

// ------------------------------------------------------------------ main

const version = etcdVersion();
if (version === null) { console.error("bench-etcd: etcd is not installed (apt-get install etcd-server)"); process.exit(1); }
const meta = {
  date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
  machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"})`,
  loadBefore: fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  etcd: version, args: argv.filter((_, i) => argv[i - (i % 2)] !== "--write").map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(" "),
};
const all = [];
let votes = [];
for (const [k, interval] of opts.intervals.entries()) {
  const r = await runConfig(interval, k === 0 && opts.voteRounds > 0);
  all.push(...r.results);
  if (r.votes.length > 0) votes = r.votes;
}
meta.loadAfter = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const text = report(all, votes, meta);
console.log(text);
if (opts.write !== null) {
  const BEGIN = "<!-- scripts/bench-etcd --write: begin (generated; rerun to replace) -->", END = "<!-- scripts/bench-etcd --write: end -->";
  const doc = fs.readFileSync(opts.write, "utf8");
  const block = `${BEGIN}\n${text}\n${END}`;
  const i = doc.indexOf(BEGIN), j = doc.indexOf(END);
  fs.writeFileSync(opts.write, i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + END.length) : `${doc.trimEnd()}\n\n## Several instances over etcd (\`scripts/bench-etcd\`, issue 11 §6)\n\n${block}\n`);
  log(`written into ${opts.write}`);
}
process.exit(0);
