// Real processes for tests: `gslb serve` as users run it (its JSON log lines read as they come),
// and the process table (/proc), to prove that what a process started is gone when it stops.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = new URL("../..", import.meta.url).pathname;
export const GSLB = path.join(root, "dist/cli/main.js");

export interface Running {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** stdout lines so far (JSON log lines are parsed; others kept as { text }). */
  lines(): Record<string, any>[];
  /** stdout as it came, for messages. */
  text(): string;
  /** The first line whose msg starts with `prefix`, waiting up to `ms`. */
  waitFor(prefix: string, ms?: number): Promise<Record<string, any>>;
  /** Exit code (or the signal's name), once it has exited. */
  readonly exited: Promise<number | string>;
}

/** Start a command with its stdout read line by line. `detached`: a process group of its own, so that `killGroup` reaches everything it starts. */
export function run(command: string, args: string[], { detached = false, env = process.env } = {}): Running {
  const proc = spawn(command, args, { cwd: root, detached, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const lines: Record<string, any>[] = [];
  proc.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    const parts = out.split("\n");
    for (const l of parts.slice(lines.length, -1)) {
      try { lines.push(JSON.parse(l)); } catch { lines.push({ text: l }); }
    }
  });
  proc.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | string>((resolve) => proc.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  const find = (prefix: string) => lines.find((l) => (typeof l.msg === "string" && l.msg.startsWith(prefix)) || (typeof l.text === "string" && l.text.startsWith(prefix)));
  return {
    proc,
    pid: proc.pid!,
    lines: () => [...lines],
    text: () => out,
    exited,
    waitFor: async (prefix, ms = 15_000) => {
      const start = Date.now();
      for (;;) {
        const hit = find(prefix);
        if (hit !== undefined) return hit;
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`exited (${proc.exitCode ?? proc.signalCode}) before "${prefix}":\n${out}\n${err}`);
        if (Date.now() - start > ms) throw new Error(`no "${prefix}" within ${ms} ms:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** `gslb serve ARGS` (one answering process unless ARGS say otherwise), listening on ports the OS picks (DNS, and the status API unless ARGS name one); resolves once it serves. */
export async function serve(args: string[], startMs = 15_000, env: NodeJS.ProcessEnv = process.env): Promise<Running & { port: number }> {
  const withWorkers = args.includes("--workers") ? args : ["--workers", "1", ...args];
  // The status API on a port the OS picks too: the default 127.0.0.1:8053 is anyone's (a server
  // started by hand, another test file, another checkout's tests).
  const withHttp = args.includes("--http") || args.includes("--no-http") ? withWorkers : ["--http", "127.0.0.1:0", ...withWorkers];
  const p = run(process.execPath, [GSLB, "serve", "--listen", "127.0.0.1:0", ...withHttp], { env });
  let serving: Record<string, any>;
  try {
    serving = await p.waitFor("serving", startMs);
  } catch (err) {
    // A server too slow to start must not outlive the test (it would hold its ports for the next ones).
    p.proc.kill("SIGKILL");
    throw err;
  }
  return { ...p, port: Number(String(serving.listen[0]).split(":").at(-1)) };
}

/** /proc/PID/stat's fields after the command name: state, ppid, pgrp, ... (null once it is gone). */
function stat(pid: number): string[] | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** Running (not gone, not a zombie). */
export function alive(pid: number): boolean {
  const s = stat(pid);
  return s !== null && s[0] !== "Z";
}

const pids = () => fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);

/** Every process below `pid` (children, their children, ...). */
export function descendants(pid: number): number[] {
  const all = pids().map((p) => [p, Number(stat(p)?.[1] ?? -1)] as const);
  const out: number[] = [];
  const walk = (parent: number) => { for (const [p, pp] of all) if (pp === parent && !out.includes(p)) { out.push(p); walk(p); } };
  walk(pid);
  return out;
}

/** Processes of a process group that are still running. */
export function groupMembers(pgid: number): number[] {
  return pids().filter((p) => { const s = stat(p); return s !== null && s[0] !== "Z" && Number(s[2]) === pgid; });
}

/** SIGKILL a whole process group (the backstop after a failed test: no orphans). */
export function killGroup(pgid: number): void {
  try { process.kill(-pgid, "SIGKILL"); } catch { /* already gone */ }
}

/** Wait until none of `pids` runs, up to `ms`; the ones still running. */
export async function waitGone(list: readonly number[], ms = 5000): Promise<number[]> {
  const start = Date.now();
  for (;;) {
    const left = list.filter(alive);
    if (left.length === 0 || Date.now() - start > ms) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}
