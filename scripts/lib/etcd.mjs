// A real etcd cluster on loopback for the benchmarks (Debian's etcd-server): N members, each with
// free client and peer ports on 127.0.0.1 and a temporary data directory. The same launch as
// test/support/etcd.ts (which the tests import as TypeScript), in plain JavaScript for scripts/;
// heartbeat and election timeout are arguments here (the tests' are relaxed for a busy machine).

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const ETCD = ["/usr/bin/etcd", "/usr/local/bin/etcd"].find((p) => fs.existsSync(p)) ?? "etcd";

/** etcd's version ("3.4.23"), or null when there is no etcd. */
export function etcdVersion() {
  const r = spawnSync(ETCD, ["--version"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  return /etcd Version: (\S+)/.exec(r.stdout)?.[1] ?? null;
}

/** A TCP port free now on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Start `n` members (defaults: etcd's own heartbeat 100 ms and election timeout 1,000 ms).
 * Returns { members: [{ name, clientUrl, peerUrl, dataDir, proc, log() }], endpoints, stop() }.
 */
export async function startEtcd(n = 3, { heartbeatMs = 100, electionMs = 1000, extra = [] } = {}) {
  if (etcdVersion() === null) throw new Error(`etcd is not installed (${ETCD}): apt-get install etcd-server`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-bench-etcd-"));
  const token = `gslb-bench-${process.pid}-${Date.now()}`;
  const members = [];
  for (let i = 0; i < n; i++) {
    const [c, p] = [await freePort(), await freePort()];
    members.push({ name: `m${i}`, clientUrl: `http://127.0.0.1:${c}`, peerUrl: `http://127.0.0.1:${p}`, dataDir: path.join(root, `m${i}`), proc: null, logText: "" });
  }
  const initial = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
  for (const m of members) {
    m.proc = spawn(ETCD, [
      "--name", m.name, "--data-dir", m.dataDir,
      "--listen-client-urls", m.clientUrl, "--advertise-client-urls", m.clientUrl,
      "--listen-peer-urls", m.peerUrl, "--initial-advertise-peer-urls", m.peerUrl,
      "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", token,
      "--heartbeat-interval", String(heartbeatMs), "--election-timeout", String(electionMs), "--log-level", "warn",
      ...extra,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    m.proc.stderr.on("data", (d) => { m.logText = (m.logText + d.toString()).slice(-20_000); });
    m.log = () => m.logText;
  }
  const stop = async () => {
    await Promise.all(members.map((m) => new Promise((r) => {
      if (m.proc === null || m.proc.exitCode !== null || m.proc.signalCode !== null) return r();
      m.proc.once("exit", () => r());
      m.proc.kill("SIGKILL");
    })));
    fs.rmSync(root, { recursive: true, force: true });
  };
  const start = Date.now();
  try {
    for (const m of members) {
      for (;;) {
        try {
          const r = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
          if ((await r.json()).health === "true") break;
        } catch { /* not yet */ }
        if (m.proc.exitCode !== null) throw new Error(`etcd ${m.name} exited:\n${m.logText}`);
        if (Date.now() - start > 30_000) throw new Error(`etcd ${m.name} not healthy within 30 s:\n${m.logText}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { members, endpoints: members.map((m) => m.clientUrl).join(","), stop };
}
