// gslb serve's status API flags as users run them: a real process, /readyz during the first round
// of health checks (503, saying what it waits for) and after it, the token file, bad flags.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { balancedZone } from "./support/zones.js";
import { httpOrigin, request, sleep } from "./support/http.js";

const main = new URL("../dist/cli/main.js", import.meta.url).pathname;
const children: ReturnType<typeof spawn>[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-status-cli-"));
  dirs.push(d);
  return d;
}

/** Start gslb serve; resolve with its log lines so far once `line` (a msg) is logged. */
function serve(args: string[], line: string): Promise<{ proc: ReturnType<typeof spawn>; lines: any[] }> {
  const proc = spawn(process.execPath, [main, "serve", "--workers", "1", "--listen", "127.0.0.1:0", ...args]);
  children.push(proc);
  const lines: any[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${line}" line: ${JSON.stringify(lines)}`)), 15_000);
    let buf = "";
    proc.stdout!.on("data", (d: Buffer) => {
      buf += d;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      for (const p of parts) if (p.trim() !== "") lines.push(JSON.parse(p));
      if (lines.some((l) => l.msg === line)) { clearTimeout(timer); resolve({ proc, lines }); }
    });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${JSON.stringify(lines)}`)); });
  });
}

describe("gslb serve --http", () => {
  it("answers /healthz at once and /readyz 503 until the first round of health checks is over, then 200", async () => {
    // An origin that takes 2.5 s to answer: the first round lasts that long.
    const slow = await httpOrigin("127.0.0.61");
    slow.delayMs = 2500;
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(balancedZone({
      monitors: { hc: { type: "http", path: "/", port: slow.port, interval: 60, timeout: 5, retries: 0 } },
      pools: { ps: { origins: [{ name: "s", address: "127.0.0.61" }], monitor: "hc" } },
      load_balancers: { app: { default_pools: ["ps"] } },
    })));
    const token = path.join(dir, "token");
    fs.writeFileSync(token, "0123456789abcdef0123456789abcdef\n");
    try {
      const { lines } = await serve(["--zones", dir, "--http", "127.0.0.1:0", "--api-token-file", token], "status API listening");
      const listening = lines.find((l) => l.msg === "status API listening");
      expect(listening.writes).toBe("with the bearer token");
      const base = `http://${listening.http}`;
      expect((await request(base, "/healthz")).status).toBe(200);
      const starting = await request(base, "/readyz");
      expect(starting.status).toBe(503);
      expect(starting.json).toMatchObject({ ready: false, health_checks: { targets: 1, decided: 0, done: false } });
      expect(starting.json.waiting).toEqual(["first round of health checks: 0 of 1 targets have a result", "DNS: sockets not answering yet"]);
      const started = Date.now();
      let ready = starting;
      while (ready.status !== 200 && Date.now() - started < 10_000) { await sleep(100); ready = await request(base, "/readyz"); }
      expect(ready.status).toBe(200);
      expect(ready.json).toMatchObject({ ready: true, waiting: [], health_checks: { targets: 1, decided: 1, done: true } });
      // The token file's first line is the token.
      expect((await request(base, "/api/v1/overrides/lb.example.com/ps", { method: "PUT", body: '{"state":"drain"}', token: "0123456789abcdef0123456789abcdef" })).status).toBe(200);
      expect(JSON.parse(fs.readFileSync(path.join(dir, "_overrides.json"), "utf8")).overrides).toEqual([{ zone: "lb.example.com", pool: "ps", state: "drain" }]);
    } finally {
      await slow.close();
    }
  }, 30_000);

  it("serves without a status API with --no-http", async () => {
    const dir = tempDir();
    fs.copyFileSync(new URL("../zones/lb.example.com.json", import.meta.url), path.join(dir, "lb.example.com.json"));
    const { proc, lines } = await serve(["--zones", dir, "--no-http"], "serving");
    expect(lines.some((l) => l.msg === "status API listening")).toBe(false);
    expect(lines.find((l) => l.msg === "serving").http).toBeNull();
    proc.kill("SIGTERM");
  });

  it("refuses bad flags in one line (exit 2) and a status port in use (exit 1)", async () => {
    const gslb = (args: string[]) => spawnSync(process.execPath, [main, "serve", "--workers", "1", ...args], { encoding: "utf8", timeout: 15_000 });
    expect(gslb(["--http", "localhost:8053"]).stderr.trim()).toBe('gslb serve: --http "localhost:8053": "localhost" is not an IP address (see gslb serve --help)');
    expect(gslb(["--http", "127.0.0.1:1", "--no-http"]).status).toBe(2);
    const missing = gslb(["--api-token-file", "/nonexistent/token"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--api-token-file "\/nonexistent\/token": cannot read: ENOENT/);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "short"), "abc\n");
    expect(gslb(["--api-token-file", path.join(dir, "short")]).stderr).toMatch(/16 characters or more/);
    expect(gslb(["--no-http", "--api-token-file", path.join(dir, "short")]).status).toBe(2);
    // The status port taken: one line, exit 1, nothing left listening.
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const r = gslb(["--zones", new URL("../zones", import.meta.url).pathname, "--http", `127.0.0.1:${port}`]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([`gslb: cannot listen on http 127.0.0.1:${port}: address already in use (is another gslb running? --http ADDR:PORT or --no-http)`]);
    } finally {
      holder.close();
    }
  }, 30_000);
});
