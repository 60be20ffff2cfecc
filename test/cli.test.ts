// The gslb command as users run it: a real process (node dist/cli/main.js), flags, exit codes, and
// serving the shipped sample zones to c-ares.

import { spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Resolver } from "node:dns/promises";
import { afterAll, describe, expect, it } from "vitest";
import { opt, udpQuery } from "./support/client.js";

const root = new URL("..", import.meta.url).pathname;
const main = path.join(root, "dist/cli/main.js");
const gslb = (args: string[]) => spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: "utf8", timeout: 10_000 });

const freePort = async (): Promise<number> => {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
};

const children: ReturnType<typeof spawn>[] = [];
afterAll(() => { for (const c of children) c.kill("SIGKILL"); });

/**
 * Start `gslb serve` and wait for its "serving" log line. One answering process: these tests are
 * about the CLI, and a worker per core in every one of them would load the suite's machine
 * (test/workers.test.ts and the port-in-use test below start workers).
 */
async function serveProcess(args: string[]): Promise<{ proc: ReturnType<typeof spawn>; lines: string[] }> {
  // No status API (8053 is fixed; test/status-api.test.ts tests it on port 0).
  const proc = spawn(process.execPath, [main, "serve", "--workers", "1", "--no-http", ...args], { cwd: root });
  children.push(proc);
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "serving" line: ${lines.join("\n")}`)), 8000);
    proc.stdout!.on("data", (d: Buffer) => {
      lines.push(...d.toString().split("\n").filter(Boolean));
      if (lines.some((l) => l.includes('"msg":"serving"'))) { clearTimeout(timer); resolve(); }
    });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`exited ${code}`)); });
  });
  return { proc, lines };
}

describe("gslb CLI", () => {
  it("prints help for the program and every command", () => {
    expect(gslb(["--help"]).stdout).toMatch(/Usage: gslb <command>/);
    for (const cmd of ["serve", "check", "schema", "explain"]) {
      const r = gslb([cmd, "--help"]);
      expect(r.status, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`Usage: gslb ${cmd}`));
    }
  });

  it("stops quietly when its reader does (gslb schema | head)", () => {
    // The schema is larger than a pipe's buffer, so the writer meets the closed pipe (EPIPE).
    const r = spawnSync("sh", ["-c", `node ${path.join(root, "dist/cli/main.js")} schema | head -c 100 > /dev/null`], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("rejects unknown commands and flags with one clear line, exit 2", () => {
    const cmd = gslb(["srve"]);
    expect(cmd.status).toBe(2);
    expect(cmd.stderr.trim().split("\n")).toHaveLength(1);
    const flag = gslb(["serve", "--listn", "127.0.0.1:1"]);
    expect(flag.status).toBe(2);
    expect(flag.stderr.trim().split("\n")).toHaveLength(1);
    expect(flag.stderr).toMatch(/--listn/);
    const listen = gslb(["serve", "--listen", "localhost:53"]);
    expect(listen.status).toBe(2);
    expect(listen.stderr).toMatch(/not an IP address/);
    const cap = gslb(["serve", "--probe-concurrency", "0"]);
    expect(cap.status).toBe(2);
    expect(cap.stderr.trim()).toBe('gslb serve: --probe-concurrency "0": expected a whole number from 1 to 100000 (see gslb serve --help)');
  });

  it("serves the sample zones on UDP and TCP, and says so in one JSON log line", async () => {
    const port = await freePort();
    const { proc, lines } = await serveProcess(["--zones", path.join(root, "zones"), "--listen", `127.0.0.1:${port}`]);
    const serving = JSON.parse(lines.find((l) => l.includes('"msg":"serving"'))!);
    expect(serving.listen).toEqual([`127.0.0.1:${port}`]);
    expect(lines.some((l) => l.includes('"msg":"zone loaded"') && l.includes("lb.example.com"))).toBe(true);
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([`127.0.0.1:${port}`]);
    expect(await r.resolve4("ns1.lb.example.com")).toEqual(["192.0.2.53"]);
    const exited = new Promise<number | null>((res) => proc.on("exit", (code) => res(code)));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("explains a load balancer's answer for a client, with the same reasons the server uses", () => {
    const r = gslb(["explain", "www.lb.example.com", "--ecs", "10.20.1.0/24", "--zones", path.join(root, "zones")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/location\s+DE, region WEU \(Western Europe\); via network 10\.20\.0\.0\/16/);
    expect(r.stdout).toMatch(/chosen\s+eu-west: first healthy pool of region_pools\[WEU\]/);
    expect(r.stdout).toMatch(/answer\s+www\.lb\.example\.com\. 30 A 198\.51\.100\.10/);
    expect(r.stdout).toMatch(/ecs scope\s+\/24/);
    const json = JSON.parse(gslb(["explain", "www.lb.example.com", "--client", "133.1.1.1", "--json", "--zones", path.join(root, "zones")]).stdout);
    expect(json).toMatchObject({ locatedFrom: "resolver", location: { country: "JP", region: "NEAS" }, pool: { pool: { name: "us-east" } } });
    const bad = gslb(["explain", "www.lb.example.com", "--ecs", "nonsense"]);
    expect(bad.status).toBe(2);
    // Overrides in force count, as in the server: eu-west drained, WEU's list goes on to us-east.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-explain-"));
    try {
      fs.copyFileSync(path.join(root, "zones/lb.example.com.json"), path.join(dir, "lb.example.com.json"));
      fs.writeFileSync(path.join(dir, "_overrides.json"), JSON.stringify({ overrides: [{ zone: "lb.example.com", pool: "eu-west", state: "drain" }] }));
      const drained = gslb(["explain", "www.lb.example.com", "--ecs", "10.20.1.0/24", "--zones", dir]);
      expect(drained.stdout).toMatch(/pools\s+eu-west DRAINED, us-east healthy/);
      expect(drained.stdout).toMatch(/chosen\s+us-east: first healthy pool of region_pools\[WEU\]/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("logs sampled queries with --log-queries, steering decisions included, and none without it", async () => {
    const port = await freePort();
    const { proc, lines } = await serveProcess(["--zones", path.join(root, "zones"), "--listen", `127.0.0.1:${port}`, "--log-queries", "1"]);
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([`127.0.0.1:${port}`]);
    expect(await r.resolve4("www.lb.example.com")).toEqual(["192.0.2.10"]);
    await r.resolve4("mail.lb.example.com");
    await new Promise((res) => setTimeout(res, 300));
    const queries = lines.filter((l) => l.includes('"msg":"query"')).map((l) => JSON.parse(l));
    const www = queries.find((q) => q.qname === "www.lb.example.com")!;
    expect(www).toMatchObject({ client: "127.0.0.1", transport: "udp", qtype: "A", rcode: 0, steering: { lb: "www.lb.example.com", policy: "geo", pool: "us-east", reason: "first healthy pool of default_pools", origins: ["use1"] } });
    expect(queries.find((q) => q.qname === "mail.lb.example.com")!.steering).toBeUndefined();
    // A French then a British subnet: one location class (WEU), so the second answer is a reused
    // one; its log line still names the British client and Britain.
    for (const subnet of [[2, 2, 2], [81, 2, 69]]) {
      await udpQuery(port, "www.lb.example.com", "A", { additionals: [opt([{ code: 8, data: Buffer.from([0, 1, 24, 0, ...subnet]) }])] });
    }
    await new Promise((res) => setTimeout(res, 300));
    const logged = lines.filter((l) => l.includes('"msg":"query"')).map((l) => JSON.parse(l)).filter((q) => q.steering?.from === "ecs");
    expect(logged.map((q) => [q.steering.client, q.steering.country, q.steering.region, q.steering.pool])).toEqual([
      ["2.2.2.0", "FR", "WEU", "eu-west"], ["81.2.69.0", "GB", "WEU", "eu-west"],
    ]);
    proc.kill("SIGTERM");

    const quiet = await serveProcess(["--zones", path.join(root, "zones"), "--listen", `127.0.0.1:${await freePort()}`]);
    const r2 = new Resolver({ timeout: 1000, tries: 1 });
    r2.setServers([quiet.lines.map((l) => JSON.parse(l)).find((l) => l.msg === "serving").listen[0]]);
    await r2.resolve4("mail.lb.example.com");
    await new Promise((res) => setTimeout(res, 200));
    expect(quiet.lines.some((l) => l.includes('"msg":"query"'))).toBe(false);
    quiet.proc.kill("SIGTERM");
  });

  it("reports a port in use in one line, exit 1", async () => {
    const port = await freePort();
    const holder = dgram.createSocket("udp4");
    await new Promise<void>((r) => holder.bind(port, "127.0.0.1", () => r()));
    try {
      const r = gslb(["serve", "--no-http", "--zones", path.join(root, "zones"), "--listen", `127.0.0.1:${port}`]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([`gslb: cannot listen on udp 127.0.0.1:${port}: address already in use (is another DNS server running?)`]);
    } finally {
      holder.close();
    }
  });

  it("checks zone files: exit 0 with a summary per zone, exit 1 with file: path: reason", () => {
    const ok = gslb(["check", path.join(root, "zones")]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/lb\.example\.com/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-check-"));
    try {
      const zone = JSON.parse(fs.readFileSync(path.join(root, "zones/lb.example.com.json"), "utf8"));
      zone.records.mail.A = ["192.0.2.300"];
      zone.recrods = {};
      fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify(zone, null, 2));
      const bad = gslb(["check", dir]);
      expect(bad.status).toBe(1);
      const out = bad.stdout + bad.stderr;
      expect(out).toMatch(/bad\.json: .*mail.*A.*192\.0\.2\.300/);
      expect(out).toMatch(/recrods.*did you mean "records"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("check is the whole pre-flight: _overrides.json against the zones; warnings do not fail it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-check-"));
    try {
      const zone = JSON.parse(fs.readFileSync(path.join(root, "zones/lb.example.com.json"), "utf8"));
      Object.assign(zone.load_balancers.www, { session_affinity: "cookie", id: "699d98642c564d2e855e9661899b7252" });
      fs.writeFileSync(path.join(dir, "lb.json"), JSON.stringify(zone));
      const warned = gslb(["check", dir]);
      expect(warned.status).toBe(0);
      expect(warned.stderr.trim().split("\n")).toEqual([`${path.join(dir, "lb.json")}: load_balancers.www.session_affinity: warning: no effect: session affinity needs Cloudflare's proxy (DNS-only)`]);
      fs.writeFileSync(path.join(dir, "_overrides.json"), JSON.stringify({ overrides: [
        { zone: "lb.example.com", pool: "eu-wst", state: "down" },
        { zone: "lb.example.com", pool: "eu-west", state: "off" },
        { zone: "lb.example.com", pool: "eu-west", state: "drain", schedule: "not cron", duration: "1h" },
      ] }));
      // Every entry's problem in one run: a reference, a state, a cron expression.
      const bad = gslb(["check", dir]);
      expect(bad.status).toBe(1);
      const file = path.join(dir, "_overrides.json");
      expect(bad.stderr).toContain(`${file}: overrides[0].pool: zone lb.example.com has no pool "eu-wst" (did you mean "eu-west"?)`);
      expect(bad.stderr).toContain(`${file}: overrides[1].state: `);
      expect(bad.stderr).toContain(`${file}: overrides[2].schedule: not a cron expression: "not cron"`);
      expect(bad.stderr).toMatch(/3 problems found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
