// The prober's process: probes run here, off the DNS event loop and at a lower CPU priority, so
// probing cannot delay an answer. Targets come in; origin states and RTT averages go out, sized by
// what changed (channel.ts has the messages).

import { isIP } from "node:net";
import { probeSource } from "../monitor/types.js";
import { Prober, type Target } from "./scheduler.js";
import { ewma, poolLayout, type PoolLayout } from "./rtt.js";
import { DURATION_BUCKETS, STATE_CODES, type FromWorker, type ToWorker } from "./channel.js";

// The server may be gone (killed while this process loaded): then "disconnect" ends us, not a throw.
const post = (m: FromWorker) => { if (process.connected) process.send!(m, undefined, undefined, () => {}); };

/** RTT averages go out at most this often: monitors run every 5 s or more, so a second is fresh. */
const RTT_PUBLISH_MS = 1000;

let generation = 0;
let targets: readonly Target[] = [];
let indexOf = new Map<string, number>();
let layout: PoolLayout = { pools: [], poolSlots: [], poolsOf: [] };
// Averages by target key and pool id: a reload that keeps a target or a pool keeps its average.
const targetRtt = new Map<string, number>();
const poolRtt = new Map<string, number>();
let dirtyTargets = new Set<number>();
let dirtyPools = new Set<number>();
let rttTimer: NodeJS.Timeout | null = null;

function rttArrays(all: boolean): { targets: Float64Array; pools: Float64Array } {
  const t = new Float64Array(targets.length).fill(NaN);
  const p = new Float64Array(layout.pools.length).fill(NaN);
  for (const i of all ? targets.keys() : dirtyTargets) t[i] = targetRtt.get(targets[i]!.key) ?? NaN;
  for (const i of all ? layout.pools.keys() : dirtyPools) p[i] = poolRtt.get(layout.pools[i]!) ?? NaN;
  dirtyTargets = new Set();
  dirtyPools = new Set();
  return { targets: t, pools: p };
}

function publishRtt(): void {
  if (rttTimer !== null) { clearTimeout(rttTimer); rttTimer = null; }
  if (dirtyTargets.size === 0 && dirtyPools.size === 0) return;
  post({ kind: "rtt", generation, ...rttArrays(false) });
}

// Counted for the status API (sent when asked: "stats"), by target key, so a reload keeps them.
interface Counted { ok: number; failed: number; lastOk: boolean; lastReason: string; lastAt: number; lastMs: number }
const counted = new Map<string, Counted>();
const DURATION_MS = DURATION_BUCKETS.map((s) => s * 1000);
const durations = new Map<string, Float64Array>();

function count(t: Target, ok: boolean, reason: string, ms: number): void {
  let c = counted.get(t.key);
  if (c === undefined) counted.set(t.key, (c = { ok: 0, failed: 0, lastOk: ok, lastReason: reason, lastAt: 0, lastMs: 0 }));
  if (ok) c.ok++; else c.failed++;
  c.lastOk = ok; c.lastReason = reason; c.lastAt = Date.now(); c.lastMs = ms;
  let d = durations.get(t.spec.type);
  if (d === undefined) durations.set(t.spec.type, (d = new Float64Array(DURATION_MS.length + 2)));
  let b = 0;
  while (b < DURATION_MS.length && ms > DURATION_MS[b]!) b++;
  d[b]!++;
  d[DURATION_MS.length + 1]! += ms / 1000;
}

function stats(id: number): FromWorker {
  const n = targets.length;
  const m = { ok: new Float64Array(n), failed: new Float64Array(n), lastOk: new Int8Array(n).fill(-1), lastReason: new Array<string | null>(n).fill(null), lastAt: new Float64Array(n), lastMs: new Float64Array(n) };
  targets.forEach((t, i) => {
    const c = counted.get(t.key);
    if (c === undefined) return;
    m.ok[i] = c.ok; m.failed[i] = c.failed; m.lastOk[i] = c.lastOk ? 1 : 0; m.lastReason[i] = c.lastReason; m.lastAt[i] = c.lastAt; m.lastMs[i] = c.lastMs;
  });
  return { kind: "stats", id, generation, ...m, durations: [...durations].map(([type, d]) => [type, d.slice()]) };
}

// The cap on probes in flight comes as the process's first argument; the addresses probes leave
// from (--probe-source), if any, as the next ones.
const concurrency = Number(process.argv[2]) || undefined;
for (const a of process.argv.slice(3)) {
  if (isIP(a) === 4) probeSource.v4 = a;
  else if (isIP(a) === 6) probeSource.v6 = a;
}

const prober = new Prober({
  onResult: (t, r, _state, ms) => {
    count(t, r.ok, r.reason, ms);
    if (!r.ok || r.rttMs === null) return;
    const i = indexOf.get(t.key);
    if (i === undefined) return;
    targetRtt.set(t.key, ewma(targetRtt.get(t.key), r.rttMs));
    dirtyTargets.add(i);
    for (const p of layout.poolsOf[i]!) {
      const id = layout.pools[p]!;
      poolRtt.set(id, ewma(poolRtt.get(id), r.rttMs));
      dirtyPools.add(p);
    }
    rttTimer ??= setTimeout(publishRtt, RTT_PUBLISH_MS);
  },
  // A transition is sent at once: failover waits for no batch.
  onTransition: (t, tr) => {
    const index = indexOf.get(t.key);
    if (index !== undefined) post({ kind: "transition", generation, index, from: tr.from, to: tr.to, reason: tr.reason });
  },
  onSaturated: (s) => post({ kind: "saturated", ...s }),
  onStalled: (s) => post({ kind: "stalled", ...s }),
}, concurrency);

function update(gen: number, next: readonly Target[]): void {
  generation = gen;
  targets = next;
  indexOf = new Map(next.map((t, i) => [t.key, i]));
  layout = poolLayout(next);
  for (const key of targetRtt.keys()) if (!indexOf.has(key)) targetRtt.delete(key);
  for (const key of counted.keys()) if (!indexOf.has(key)) counted.delete(key);
  const pools = new Set(layout.pools);
  for (const id of poolRtt.keys()) if (!pools.has(id)) poolRtt.delete(id);
  prober.update(next as Target[]);
  // Targets kept from the previous generation already have a state and an average: send them all.
  const states = new Uint8Array(next.length);
  for (const { target, monitor } of prober.states()) {
    const i = indexOf.get(target.key);
    if (i !== undefined) states[i] = STATE_CODES.indexOf(monitor.state);
  }
  post({ kind: "snapshot", generation, states, ...rttArrays(true) });
}

// The DNS server going away (crash or kill) takes the prober with it.
process.on("disconnect", () => process.exit(0));
// Stopping is the server's call ("stop" below): Ctrl-C (and a terminal's hangup) reaches the whole
// process group, and a service manager may signal every process; a prober killed by it would be restarted meanwhile.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
process.on("SIGHUP", () => {});

process.on("message", (m: ToWorker) => {
  switch (m.kind) {
    case "update":
      update(m.generation, m.targets);
      break;
    case "firstRound":
      void prober.firstRound(m.deadlineMs).then(() => { publishRtt(); post({ kind: "firstRoundDone", id: m.id }); });
      break;
    case "stats":
      post(stats(m.id));
      break;
    case "stop":
      prober.stop();
      process.exit(0);
  }
});

// Loaded: the server starts a first round's deadline from here, not from the spawn (a cold start
// of node and the monitor types takes a few hundred ms, more on a busy machine at idle priority).
post({ kind: "ready" });
