// icmp_ping probes through the real fping on loopback: 127.0.0.1 and ::1 answer. For "down",
// fping runs in a network namespace of its own (unshare; loopback still, nothing leaves the
// machine) whose kernel ignores echo requests (a real timeout) or whose loopback is down (an error
// at once). Batching: probes due within the window share one fping run, seen through a wrapper
// that logs each run.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { echo, icmp_ping, icmpOptions } from "./icmp_ping.js";

// fping is required in CI (CI=true: .ci/run installs the Debian package); elsewhere these probe
// tests are skipped without it.
const hasFping = spawnSync("fping", ["-v"]).status === 0;
if (!hasFping && process.env.CI === "true") throw new Error("fping is required in CI: apt-get install -y fping");
const unshare = process.getuid?.() === 0 ? ["unshare", "-n"] : ["unshare", "-rn"];
/** fping where loopback is up but ignores echo requests: requests go out, no reply comes. */
const SILENT = [...unshare, "sh", "-c", 'ip link set lo up && echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all && exec fping "$@"', "fping"];
/** fping where loopback is down: sending fails at once. */
const NO_NETWORK = [...unshare, "fping"];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-icmp-"));
const runs = path.join(dir, "runs");
const LOGGED = ["sh", "-c", `echo "$*" >> ${runs}; exec fping "$@"`, "fping"];

const spec = (host: string, timeoutMs = 300) => ({ type: "icmp_ping" as const, host, port: 0, timeoutMs, retries: 0 });

beforeAll(() => { icmpOptions.windowMs = 20; });
afterEach(() => { icmpOptions.command = ["fping"]; });
afterAll(() => { icmpOptions.windowMs = 1000; fs.rmSync(dir, { recursive: true, force: true }); });

describe.skipIf(!hasFping)("icmp_ping probe", () => {
  it("an echo reply is up, with fping's RTT: IPv4, IPv6, and a name resolved first", async () => {
    for (const host of ["127.0.0.1", "::1", "localhost"]) {
      const r = await icmp_ping.once(spec(host));
      expect(r, host).toMatchObject({ ok: true, reason: "echo reply" });
      expect(r.rttMs, host).toBeGreaterThanOrEqual(0);
      expect(r.rttMs, host).toBeLessThan(300);
    }
  });

  it("no echo reply within the timeout is down, after the timeout", async () => {
    icmpOptions.command = SILENT;
    const started = performance.now();
    expect(await icmp_ping.once(spec("127.0.0.1"))).toEqual({ ok: false, rttMs: null, reason: "no echo reply within 300 ms" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("an error sending is down at once, with fping's words", async () => {
    icmpOptions.command = NO_NETWORK;
    expect(await icmp_ping.once(spec("127.0.0.1"))).toEqual({ ok: false, rttMs: null, reason: "error while sending ping: Network is unreachable" });
  });

  it("probes due within the window share one fping run (each address once); other timeouts get their own", async () => {
    icmpOptions.command = LOGGED;
    fs.rmSync(runs, { force: true });
    const results = await Promise.all([
      echo("127.0.0.1", 300), echo("127.0.0.2", 300), echo("127.0.0.2", 300), echo("::1", 300), echo("127.0.0.3", 400),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true]);
    const lines = fs.readFileSync(runs, "utf8").trim().split("\n").sort();
    expect(lines).toEqual(["-e -r 0 -t 300 127.0.0.1 127.0.0.2 ::1", "-e -r 0 -t 400 127.0.0.3"]);
  });

  it("without fping, or when fping never finishes, the probe is down with a reason that says so", async () => {
    icmpOptions.command = ["/nonexistent/fping"];
    expect(await icmp_ping.once(spec("127.0.0.1"))).toMatchObject({ ok: false, reason: expect.stringContaining("Debian package fping") });
    icmpOptions.command = ["sh", "-c", "sleep 30", "sh"];
    expect(await icmp_ping.once(spec("127.0.0.1", 100))).toEqual({ ok: false, rttMs: null, reason: "fping did not finish within 2101 ms" });
    await new Promise((r) => setTimeout(r, 100));
    // Killed, not left behind.
    expect(process.getActiveResourcesInfo().filter((r) => r === "ProcessWrap")).toEqual([]);
  });
});

describe("icmp_ping settings", () => {
  it("has no port: Cloudflare's port and http fields are accepted without effect", () => {
    const s = icmp_ping.schema.parse({ type: "icmp_ping", port: 80, path: "/", timeout: 2, interval: 15 });
    expect(icmp_ping.spec(s, { host: "127.0.0.1", hostHeader: null, originHostName: null })).toEqual({ type: "icmp_ping", host: "127.0.0.1", port: 0, timeoutMs: 2000, retries: 2 });
    expect(icmp_ping.ignored.port).toBe("ICMP has no ports");
  });
});
