// A real etcd cluster on loopback for tests (Debian's etcd-server): N members, each with its own
// free client and peer ports and a temporary data directory; members can be killed and started
// again. etcd missing is a failure, not a skip (CI installs etcd-server: .ci/run).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const ETCD = ["/usr/bin/etcd", "/usr/local/bin/etcd"].find((p) => fs.existsSync(p)) ?? "etcd";

/** etcd's version line ("3.4.23"), or null when there is no etcd. */
export function etcdVersion(): string | null {
  const r = spawnSync(ETCD, ["--version"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  return /etcd Version: (\S+)/.exec(r.stdout)?.[1] ?? null;
}

/** A port free now on 127.0.0.1 (the OS picks it; another process may take it later, rarely). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  proc: ChildProcess | null;
  log: string;
}

export interface EtcdCluster {
  readonly members: EtcdMember[];
  /** Client URLs, comma-separated (gslb serve --etcd). */
  readonly endpoints: string;
  /** SIGKILL one member. */
  kill(i: number): Promise<void>;
  /** Start a killed member again (same data directory: it rejoins). */
  start(i: number): Promise<void>;
  /** SIGSTOP / SIGCONT every member: etcd unreachable without losing its data. */
  pauseAll(): void;
  resumeAll(): void;
  stop(): Promise<void>;
}

/**
 * A cluster of n members. Ports are picked free, then bound by etcd a moment later: another test
 * file starting its own servers can take one in between ("address already in use"). That start
 * is tried again on fresh ports, up to three times.
 */
export async function startEtcd(n = 3): Promise<EtcdCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEtcdOnce(n);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startEtcdOnce(n: number): Promise<EtcdCluster> {
  if (etcdVersion() === null) throw new Error(`etcd is not installed (${ETCD}): apt-get install etcd-server (the tests need a real cluster)`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-etcd-"));
  const token = `gslb-test-${process.pid}-${Date.now()}`;
  const members: EtcdMember[] = [];
  for (let i = 0; i < n; i++) {
    const [c, p] = [await freePort(), await freePort()];
    members.push({ name: `m${i}`, clientUrl: `http://127.0.0.1:${c}`, peerUrl: `http://127.0.0.1:${p}`, dataDir: path.join(root, `m${i}`), proc: null, log: "" });
  }
  const initial = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
  const launch = (m: EtcdMember, state: "new" | "existing") => {
    const proc = spawn(ETCD, [
      "--name", m.name, "--data-dir", m.dataDir,
      "--listen-client-urls", m.clientUrl, "--advertise-client-urls", m.clientUrl,
      "--listen-peer-urls", m.peerUrl, "--initial-advertise-peer-urls", m.peerUrl,
      "--initial-cluster", initial, "--initial-cluster-state", state, "--initial-cluster-token", token,
      // A busy test machine: elections less eager than the 100/1000 ms defaults.
      "--heartbeat-interval", "200", "--election-timeout", "2000", "--log-level", "warn",
    ], { stdio: ["ignore", "ignore", "pipe"] });
    proc.stderr!.on("data", (d: Buffer) => { m.log = (m.log + d.toString()).slice(-20_000); });
    m.proc = proc;
  };
  for (const m of members) launch(m, "new");
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl).join(","),
    async kill(i) {
      const m = members[i]!;
      const p = m.proc;
      if (p === null || p.exitCode !== null) return;
      const gone = new Promise<void>((r) => p.once("exit", () => r()));
      p.kill("SIGKILL");
      await gone;
      m.proc = null;
    },
    async start(i) {
      launch(members[i]!, "existing");
      await healthy([members[i]!]);
    },
    pauseAll() { for (const m of members) m.proc?.kill("SIGSTOP"); },
    resumeAll() { for (const m of members) m.proc?.kill("SIGCONT"); },
    async stop() {
      cluster.resumeAll();
      await Promise.all(members.map((_, i) => cluster.kill(i)));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await healthy(members);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Wait until every member answers /health with "true" (a leader elected). */
async function healthy(members: readonly EtcdMember[], ms = 20_000): Promise<void> {
  const start = Date.now();
  for (const m of members) {
    for (;;) {
      try {
        const r = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await r.json()) as { health?: string };
        if (body.health === "true") break;
      } catch { /* not yet */ }
      if (m.proc === null || m.proc.exitCode !== null) throw new Error(`etcd ${m.name} exited:\n${m.log}`);
      if (Date.now() - start > ms) throw new Error(`etcd ${m.name} not healthy within ${ms} ms:\n${m.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface TlsEtcd {
  readonly endpoint: string;
  /** CA certificate, a client certificate and key signed by it (CN "gslb"). */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

/**
 * One etcd member whose client port speaks TLS only and asks for a client certificate
 * (--client-cert-auth), with a CA, server and client certificates made here by openssl.
 */
export async function startTlsEtcd(): Promise<TlsEtcd> {
  if (etcdVersion() === null) throw new Error(`etcd is not installed (${ETCD}): apt-get install etcd-server`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-etcd-tls-"));
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  };
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=gslb-test-ca");
  for (const [name, cn, usage] of [["server", "127.0.0.1", "serverAuth,clientAuth"], ["client", "gslb", "clientAuth"]] as const) {
    fs.writeFileSync(f(`${name}.ext`), `subjectAltName=IP:127.0.0.1\nextendedKeyUsage=${usage}\n`);
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`);
  }
  const [c, p] = [await freePort(), await freePort()];
  const endpoint = `https://127.0.0.1:${c}`;
  let log = "";
  const proc = spawn(ETCD, [
    "--name", "tls", "--data-dir", f("data"),
    "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
    "--listen-peer-urls", `http://127.0.0.1:${p}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${p}`,
    "--initial-cluster", `tls=http://127.0.0.1:${p}`, "--initial-cluster-state", "new",
    "--cert-file", f("server.crt"), "--key-file", f("server.key"), "--trusted-ca-file", f("ca.crt"), "--client-cert-auth",
    "--heartbeat-interval", "200", "--election-timeout", "2000", "--log-level", "warn",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  proc.stderr!.on("data", (d: Buffer) => { log = (log + d.toString()).slice(-20_000); });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.kill("SIGKILL");
      await gone;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Healthy: /health over TLS, with the client certificate.
  const { default: https } = await import("node:https");
  const start = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = https.get(`${endpoint}/health`, { ca: fs.readFileSync(f("ca.crt")), cert: fs.readFileSync(f("client.crt")), key: fs.readFileSync(f("client.key")), timeout: 1000 }, (res) => {
        let body = "";
        res.on("data", (d) => { body += d; });
        res.on("end", () => resolve(/"health":\s*"true"/.test(body)));
      });
      req.on("error", () => resolve(false));
      req.on("timeout", () => { req.destroy(); resolve(false); });
    });
    if (ok) break;
    if (proc.exitCode !== null || Date.now() - start > 20_000) { await stop(); throw new Error(`TLS etcd not healthy:\n${log}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { endpoint, ca: f("ca.crt"), cert: f("client.crt"), key: f("client.key"), log: () => log, stop };
}
