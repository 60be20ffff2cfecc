// The README's "Your first load balancer", run as a reader would run it (issue 10 §6): its commands
// and the zone file it shows, taken from the README in order, nothing restated here. Commands run in
// one bash, the reader's first terminal (so `&` and `kill %1` mean what they say); `npx gslb serve`
// runs beside it, the reader's second terminal. In a scratch directory, with free ports put in for
// the README's 8080 (origins), 5300 (DNS) and 8053 (status API).
//
// What a command's comment promises is checked: IPv4 addresses named are exactly what a `dig +short`
// prints, and `backticked text` is in the output. A command that reads (dig, curl, explain) is asked
// again until its promise holds, as the reader is told to do, for 40 s at most: the monitor needs an
// interval to see an origin go or come back. A test that passes has seen dig's answer change.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readmeSteps, root, WALKTHROUGH, type Step } from "./support/readme.js";

const main = path.join(root, "dist/cli/main.js");
const tools = ["dig", "curl", "jq"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
if (tools.length > 0 && process.env.CI === "true") throw new Error(`the walkthrough needs ${tools.join(", ")} (apt-get install)`);

const steps: Step[] = readmeSteps().filter((s) => s.section === WALKTHROUGH);

/** A TCP port free on both origin addresses. */
async function originPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer().once("error", reject).listen(0, "127.0.0.11", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    });
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once("error", () => resolve(false)).listen(port, "127.0.0.12", () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** The reader's first terminal: one bash, fed one command at a time. */
class Terminal {
  private readonly shell: ChildProcess;
  private out = "";
  private n = 0;
  constructor(private readonly cwd: string) {
    this.shell = spawn("bash", ["--norc", "--noprofile"], { cwd, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    this.shell.stdout!.on("data", (d: Buffer) => (this.out += d));
    this.shell.stderr!.on("data", (d: Buffer) => (this.out += d));
    // `npx gslb` is this build's CLI, as `npx` would find it in the repository.
    this.shell.stdin!.write(`npx() { if [ "$1" = gslb ]; then shift; "${process.execPath}" "${main}" "$@"; else command npx "$@"; fi; }\n`);
  }
  /** Run one command; its output and exit status. A background command (`&`) returns at once. */
  async run(command: string, timeoutMs = 20_000): Promise<{ status: number; output: string }> {
    const id = ++this.n;
    const file = `.out.${id}`;
    this.shell.stdin!.write(`{ ${command}\n} > ${file} 2>&1\necho "__done ${id} $?"\n`);
    const start = Date.now();
    for (;;) {
      const m = new RegExp(`__done ${id} (\\d+)`).exec(this.out);
      if (m !== null) {
        return { status: Number(m[1]), output: fs.readFileSync(path.join(this.cwd, file), "utf8") };
      }
      if (Date.now() - start > timeoutMs) throw new Error(`no end within ${timeoutMs} ms: ${command}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  close(): void {
    // The shell and its background jobs (the origins) are one process group: this test started it.
    try { process.kill(-this.shell.pid!, "SIGKILL"); } catch { /* gone */ }
  }
}

let dir = "";
let terminal: Terminal | null = null;
let server: ChildProcess | null = null;
let serverLog = "";

afterAll(async () => {
  terminal?.close();
  if (server !== null && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((r) => { const t = setTimeout(() => { server!.kill("SIGKILL"); r(null); }, 8_000); server!.once("exit", () => { clearTimeout(t); r(null); }); });
  }
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
});

/** The second terminal: `npx gslb serve ...` on free ports; resolves with them once it serves. */
function serve(command: string): Promise<{ dns: number; http: number }> {
  const args = command.replace(/^npx gslb serve\b/, "").trim().split(/\s+/).filter(Boolean);
  server = spawn(process.execPath, [main, "serve", ...args, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"], { cwd: dir });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "serving" line: ${serverLog}`)), 30_000);
    server!.stdout!.on("data", (d: Buffer) => {
      serverLog += d;
      for (const line of serverLog.split("\n")) {
        let j: any;
        try { j = JSON.parse(line); } catch { continue; }
        if (j.msg !== "serving") continue;
        clearTimeout(timer);
        resolve({ dns: Number(String(j.listen[0]).split(":").pop()), http: Number(String(j.http).split(":").pop()) });
        return;
      }
    });
    server!.stderr!.on("data", (d: Buffer) => (serverLog += d));
    server!.on("exit", (code) => { clearTimeout(timer); reject(new Error(`gslb serve exited ${code}: ${serverLog}`)); });
  });
}

/** What the comment promises, and whether the output keeps it ("" when it does). */
function broken(text: string, comment: string, output: string): string {
  const ips = comment.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? [];
  if (text.startsWith("dig ") && text.includes("+short") && ips.length > 0) {
    const got = (output.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []).sort().join(" ");
    if (got !== [...ips].sort().join(" ")) return `dig gave "${got}", the comment says "${ips.join(" ")}"`;
  }
  for (const m of comment.matchAll(/`([^`]+)`/g)) if (!output.includes(m[1]!)) return `the output has no "${m[1]}"`;
  return "";
}

describe.skipIf(tools.length > 0)("the README's walkthrough, your first load balancer", () => {
  it("is in the README: origins, a zone file, check, serve, dig, explain, an origin stopped, the status API", () => {
    const texts = steps.map((s) => (s.kind === "command" ? s.text : `file ${s.path}`));
    expect(texts.some((t) => t.startsWith("file "))).toBe(true);
    for (const re of [/^npx gslb check /, /^npx gslb serve /, /^dig /, /^npx gslb explain /, /^kill %\d/, /^curl .*\/api\/v1\/pools/]) {
      expect(texts.some((t) => re.test(t)), String(re)).toBe(true);
    }
  });

  it("runs, command after command, and dig's answer fails over and back", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-walkthrough-"));
    terminal = new Terminal(dir);
    const origin = await originPort();
    let ports: { dns: number; http: number } | null = null;
    const local = (s: string) => {
      let r = s.replace(/\b8080\b/g, String(origin));
      if (ports !== null) r = r.replace(/-p 5300\b/g, `-p ${ports.dns}`).replace(/127\.0\.0\.1:8053\b/g, `127.0.0.1:${ports.http}`);
      return r;
    };
    const digAnswers: string[] = [];
    for (const step of steps) {
      if (step.kind === "file") {
        fs.mkdirSync(path.dirname(path.join(dir, step.path)), { recursive: true });
        fs.writeFileSync(path.join(dir, step.path), local(step.content));
        continue;
      }
      const where = `README.md:${step.line}: ${step.text}`;
      if (/^npx gslb serve\b/.test(step.text)) { ports = await serve(local(step.text)); continue; }
      const command = local(step.text);
      const reads = /^(dig|curl|npx gslb explain) /.test(step.text);
      const deadline = Date.now() + (reads ? 40_000 : 0);
      let r = await terminal.run(command);
      let why = r.status === 0 ? broken(step.text, step.comment, r.output) : `exit ${r.status}`;
      while (why !== "" && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 1000));
        r = await terminal.run(command);
        why = r.status === 0 ? broken(step.text, step.comment, r.output) : `exit ${r.status}`;
      }
      expect(why, `${where}\n${r.output}\n--- gslb serve:\n${serverLog.slice(-2000)}`).toBe("");
      if (step.text.startsWith("dig ") && step.text.includes("+short")) digAnswers.push(r.output.trim());
    }
    expect(ports).not.toBeNull();
    // The answer changed, and changed back: the failover and the recovery were seen through DNS.
    expect(new Set(digAnswers).size).toBeGreaterThan(1);
    expect(digAnswers[0]).toBe(digAnswers[digAnswers.length - 1]);
  }, 240_000);
});
