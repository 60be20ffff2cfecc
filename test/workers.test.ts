// `--workers N`: the primary loads zones and runs health checks once; workers answer. A reload
// and a health change reach every worker within 100 ms; a worker that dies is restarted while the
// other answers; workers leave with the primary.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthTable } from "../src/health/table.js";
import { makeQuery, tcpExchange, udpExchange } from "./support/client.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The A records of www for a German client, as the address list of the reply (parsed by hand: last 4 bytes of each A). */
async function germanWww(port: number): Promise<string | null> {
  const q = Buffer.from([
    0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 3, 119, 119, 119, 2, 108, 98, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1,
    0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 24, 0, 10, 20, 1,
  ]);
  const r = await udpExchange(port, q, { timeoutMs: 1000 });
  if (r === null || r.readUInt16BE(6) === 0) return null;
  // Answer: after the question (36 bytes from 12 .. 36), one A record: name ptr(2) type(2) class(2) ttl(4) len(2) addr(4).
  return [...r.subarray(36 + 12, 36 + 16)].join(".");
}

/** The sample zone with every pool monitored (health counts only for monitored pools); monitors off in the test. */
function monitored(): Record<string, any> {
  const z = sampleZone();
  for (const p of Object.values<any>(z.pools)) p.monitor = "web";
  return z;
}

describe("answering workers", () => {
  let s: TestServer;
  const health = new HealthTable();

  beforeAll(async () => {
    s = await startTestServer({ "lb.example.com.json": monitored() }, { workers: 2, monitors: false, health });
  }, 60_000);
  afterAll(async () => { await s?.close(); });

  it("answers from two worker processes, UDP and TCP", async () => {
    expect(s.server.workerPids).toHaveLength(2);
    expect(s.server.workerPids).not.toContain(process.pid);
    for (let i = 0; i < 200; i++) expect(await germanWww(s.port)).toBe("198.51.100.10");
    // Bursts too: one at a time, whichever worker is awake may read nearly all of them.
    for (let b = 0; b < 8; b++) expect(new Set(await Promise.all(Array.from({ length: 50 }, () => germanWww(s.port))))).toEqual(new Set(["198.51.100.10"]));
    const tcp = await tcpExchange(s.port, Array.from({ length: 20 }, () => makeQuery("lb.example.com", "MX")));
    expect(tcp).toHaveLength(20);
    await sleep(700); // stats come every 0.5 s
    const queries = s.server.workers().map((w) => w.queries);
    // Both workers took a share of the datagrams.
    expect(Math.min(...queries)).toBeGreaterThan(10);
  }, 30_000);

  it("has a reload at every worker within 100 ms", async () => {
    const z = monitored();
    z.pools["eu-west"].origins[0].address = "198.51.100.99";
    s.writeZone("lb.example.com.json", z);
    const started = performance.now();
    s.server.reload();
    const want = s.server.version;
    while (s.server.workers().some((w) => w.version !== want) && performance.now() - started < 2000) await sleep(1);
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(100);
    for (let i = 0; i < 100; i++) expect(await germanWww(s.port)).toBe("198.51.100.99");
  }, 30_000);

  it("has a health change at every worker within 100 ms", async () => {
    health.set("lb.example.com/eu-west", "euw1", "down");
    await sleep(100);
    // eu-west down: a German client falls back to us-east's 192.0.2.10.
    for (let i = 0; i < 100; i++) expect(await germanWww(s.port)).toBe("192.0.2.10");
    health.set("lb.example.com/eu-west", "euw1", "up");
    await sleep(100);
    for (let i = 0; i < 100; i++) expect(await germanWww(s.port)).toBe("198.51.100.99");
  }, 30_000);

  it("restarts a worker that dies while the other answers", async () => {
    const [victim, survivor] = s.server.workerPids;
    process.kill(victim!, "SIGKILL");
    for (let i = 0; i < 50; i++) expect(await germanWww(s.port)).toBe("198.51.100.99");
    const started = Date.now();
    while ((s.server.workerPids.length < 2 || s.server.workerPids.includes(victim!)) && Date.now() - started < 20_000) await sleep(50);
    expect(s.server.workerPids).toHaveLength(2);
    expect(s.server.workerPids).toContain(survivor);
    expect(s.server.workerPids).not.toContain(victim);
    // The new worker has the current configuration, not the one it would read from disk at start.
    for (let i = 0; i < 100; i++) expect(await germanWww(s.port)).toBe("198.51.100.99");
  }, 40_000);
});

describe("the primary's end", () => {
  it("takes its workers and prober with it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-workers-"));
    fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(sampleZone()));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const main = new URL("../dist/cli/main.js", import.meta.url).pathname;
    const child = spawn(process.execPath, [main, "serve", "--no-http", "--zones", dir, "--listen", `127.0.0.1:${port}`, "--workers", "2"], { stdio: ["ignore", "pipe", "inherit"] });
    const pids: number[] = [];
    let out = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "serving" line: ${out}`)), 60_000);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        for (const m of out.matchAll(/"worker":\d+,"pid":(\d+),"msg":"worker answering"/g)) if (!pids.includes(Number(m[1]))) pids.push(Number(m[1]));
        if (out.includes('"msg":"serving"')) { clearTimeout(timer); resolve(); }
      });
    });
    expect(pids).toHaveLength(2);
    expect(await germanWww(port)).toBe("198.51.100.10");
    child.kill("SIGKILL");
    const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    const started = Date.now();
    while (pids.some(alive) && Date.now() - started < 5000) await sleep(20);
    expect(pids.filter(alive)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  // glibc reads MALLOC_MMAP_THRESHOLD_ only at exec (src/server/memory.ts): the CLI's shebang sets
  // it for the process it starts, the server for the processes it starts, whoever started it.
  it.skipIf(!fs.existsSync("/proc/self/environ"))("starts itself (as the gslb command), its workers and its prober with glibc's mmap threshold fixed", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-malloc-"));
    fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(sampleZone()));
    const main = new URL("../dist/cli/main.js", import.meta.url).pathname;
    const env = { ...process.env };
    delete env.MALLOC_MMAP_THRESHOLD_;
    const fixed = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes("MALLOC_MMAP_THRESHOLD_=131072");
    const childrenOf = (pid: number) => fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => {
      try { return Number(fs.readFileSync(`/proc/${p}/stat`, "latin1").replace(/^.*\) /s, "").split(" ")[1]) === pid; } catch { return false; }
    });
    try {
      for (const [command, args] of [[main, []], [process.execPath, [main]]] as const) {
        const port = 20000 + Math.floor(Math.random() * 20000);
        const child = spawn(command, [...args, "serve", "--no-http", "--zones", dir, "--listen", `127.0.0.1:${port}`, "--workers", "2"], { stdio: ["ignore", "pipe", "inherit"], env });
        try {
          let out = "";
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no "serving" line: ${out}`)), 60_000);
            child.stdout.on("data", (d: Buffer) => { out += d.toString(); if (out.includes('"msg":"serving"')) { clearTimeout(timer); resolve(); } });
          });
          // Through the shebang, the command itself; through node, only what it starts.
          expect(fixed(child.pid!), command).toBe(command === main);
          const children = childrenOf(child.pid!);
          expect(children.length, "two workers and a prober").toBeGreaterThanOrEqual(3);
          expect(children.filter((p) => !fixed(p))).toEqual([]);
        } finally {
          child.kill("SIGKILL");
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
