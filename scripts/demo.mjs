// scripts/demo's body: docker-compose.yml's topology without Docker, on loopback. Two HTTP origins
// (scripts/demo-origin.mjs), gslb serving scripts/demo-zones/ and probing them, and unbound, a
// real recursive resolver that the zone is delegated to gslb in (a stub zone) and that sends ECS
// to it. The compose network's addresses 172.29.53.N become 127.29.53.N (loopback: Linux answers
// all of 127/8); ports are free ones the OS picks. Prints the dig lines to try, runs until Ctrl-C,
// then stops everything it started and removes its temporary directory.

import { spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const HELP = `Usage: scripts/demo [--port N] [--quiet]

Start the docker-compose topology on loopback, without Docker: two HTTP origins,
gslb (authoritative for lb.example.com, probing them) and unbound (a recursive
resolver delegating lb.example.com to gslb and sending it ECS). Prints the dig
lines to try; Ctrl-C stops everything.

  --port N   unbound's port (default: a free one)
  --quiet    do not echo the processes' own output (gslb's JSON log lines, ...)
`;

const args = process.argv.slice(2);
if (args.includes("-h") || args.includes("--help")) { process.stdout.write(HELP); process.exit(0); }
const fixedPort = args.includes("--port") ? Number(args[args.indexOf("--port") + 1]) : null;
const quiet = args.includes("--quiet");
for (const a of args) if (a.startsWith("-") && !["--port", "--quiet"].includes(a)) fail(`unknown option ${a} (see --help)`);
if (fixedPort !== null && !(Number.isInteger(fixedPort) && fixedPort > 0 && fixedPort < 65536)) fail("--port: expected a port number");

/** docker-compose.yml's network, moved onto loopback. */
const toLoopback = (address) => address.replace(/^172\.29\.53\./, "127.29.53.");
const UNBOUND = "127.29.53.3";
const GSLB = "127.29.53.53";
const unbound = ["unbound", "/usr/sbin/unbound", "/usr/local/sbin/unbound"].find((c) => spawnSync(c, ["-V"], { stdio: "ignore" }).status === 0);
if (unbound === undefined) fail("needs unbound (Debian: apt-get install unbound)");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-demo-"));
/** Every process started, in order: stopped in reverse. */
const children = [];
let stopping = false;
/** Set once everything runs: from then on, a process that exits stops the demo. */
let running = false;

function fail(message) {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

/** Start a process; its output lines are echoed as "name | line" and kept for waitLine. */
function start(name, command, argv) {
  const proc = spawn(command, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const child = { name, proc, lines: [], exited: null };
  child.exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve(code ?? signal)));
  proc.on("error", (err) => child.lines.push(`cannot start: ${err.message}`));
  for (const stream of [proc.stdout, proc.stderr]) {
    let rest = "";
    stream.on("data", (d) => {
      const parts = (rest + d.toString()).split("\n");
      rest = parts.pop();
      for (const line of parts) {
        child.lines.push(line);
        if (!quiet) process.stdout.write(`${name.padEnd(9)} | ${line}\n`);
      }
    });
  }
  children.push(child);
  child.proc.on("exit", (code, signal) => {
    if (running && !stopping) { process.stderr.write(`demo: ${name} exited (${signal ?? code}): stopping\n`); void stop(1); }
  });
  return child;
}

/** The first line matching `re` (its match), waiting up to `ms`; null if the process exits first or time runs out. */
async function waitLine(child, re, ms = 15_000) {
  const startAt = Date.now();
  for (;;) {
    for (const line of child.lines) { const m = re.exec(line); if (m !== null) return m; }
    if (child.proc.exitCode !== null || child.proc.signalCode !== null || Date.now() - startAt > ms) return null;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A port free for UDP and TCP on `host`, chosen by the OS. */
async function freePort(host) {
  for (;;) {
    const udp = dgram.createSocket("udp4");
    await new Promise((r) => udp.bind(0, host, r));
    const port = udp.address().port;
    const ok = await new Promise((r) => {
      const tcp = net.createServer().once("error", () => r(false)).listen(port, host, () => tcp.close(() => r(true)));
    });
    await new Promise((r) => udp.close(r));
    if (ok) return port;
  }
}

/** Whether a DNS server answers `name` SOA over UDP at host:port within `ms`. */
function answers(host, port, name, ms = 500) {
  const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  const query = Buffer.concat([Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 6, 0, 1])]);
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    const done = (v) => { clearTimeout(timer); s.close(); resolve(v); };
    const timer = setTimeout(() => done(false), ms);
    s.on("message", (m) => done(m.readUInt16BE(0) === 0x1234 && (m[3] & 0x0f) === 0));
    s.on("error", () => done(false));
    s.send(query, port, host);
  });
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  // gslb finishes its TCP replies (5 s at most); anything slower than that is killed.
  for (const c of [...children].reverse()) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGTERM");
  const killer = setTimeout(() => { for (const c of children) c.proc.kill("SIGKILL"); }, 8000);
  await Promise.all(children.map((c) => c.exited));
  clearTimeout(killer);
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write("demo stopped: origins, gslb and unbound are gone\n");
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => void stop(0));

// --- the origins: one port for both (the zone's monitor has one), on their own addresses
const zone = JSON.parse(fs.readFileSync(path.join(root, "scripts/demo-zones/lb.example.com.json"), "utf8"));
const origins = Object.values(zone.pools).flatMap((p) => p.origins).map((o) => ({ name: o.name, address: toLoopback(o.address) }));
let originPort = 0;
for (let attempt = 0; originPort === 0; attempt++) {
  if (attempt === 5) { process.stderr.write("demo: no port free on every origin address\n"); await stop(1); }
  const started = [];
  let port = 0;
  for (const o of origins) {
    const c = start(o.name, process.execPath, [path.join(root, "scripts/demo-origin.mjs"), o.name, o.address, String(port)]);
    started.push(c);
    const m = await waitLine(c, / listening on [\d.]+:(\d+)$/);
    if (m === null) break;
    port = Number(m[1]);
  }
  if (started.length === origins.length && started.every((c) => c.proc.exitCode === null)) { originPort = port; break; }
  // The port was taken on a later address: start again with another.
  for (const c of started) { c.proc.kill("SIGKILL"); await c.exited; children.splice(children.indexOf(c), 1); }
}

// --- gslb: the demo zone with loopback addresses and the origins' port
const moved = JSON.parse(JSON.stringify(zone), (_k, v) => (typeof v === "string" ? toLoopback(v) : v));
moved.$schema = path.join(root, "zones/zone.schema.json");
for (const m of Object.values(moved.monitors)) m.port = originPort;
fs.mkdirSync(path.join(dir, "zones"));
fs.writeFileSync(path.join(dir, "zones/lb.example.com.json"), JSON.stringify(moved, null, 2));
// Every query logged: the steering decision, with the client subnet unbound sent, is in each line.
const gslb = start("gslb", process.execPath, ["--max-semi-space-size=2", path.join(root, "dist/cli/main.js"), "serve", "--zones", path.join(dir, "zones"), "--listen", `${GSLB}:0`, "--workers", "1", "--log-queries", "1"]);
const serving = await waitLine(gslb, /"listen":\["[\d.]+:(\d+)"\].*"msg":"serving"/, 30_000);
if (serving === null) { process.stderr.write("demo: gslb did not start\n"); await stop(1); }
const gslbPort = Number(serving[1]);

// --- unbound: lb.example.com is a stub zone at gslb, which gets the client's subnet (ECS)
let unboundPort = 0;
for (let attempt = 0; unboundPort === 0; attempt++) {
  if (attempt === 5) { process.stderr.write("demo: unbound did not start\n"); await stop(1); }
  const port = fixedPort ?? await freePort(UNBOUND);
  fs.writeFileSync(path.join(dir, "unbound.conf"), unboundConf(port));
  const c = start("unbound", unbound, ["-d", "-c", path.join(dir, "unbound.conf")]);
  const startAt = Date.now();
  while (c.proc.exitCode === null && Date.now() - startAt < 10_000 && !(await answers(UNBOUND, port, "lb.example.com"))) await new Promise((r) => setTimeout(r, 100));
  if (c.proc.exitCode === null && c.proc.signalCode === null && Date.now() - startAt < 10_000) { unboundPort = port; break; }
  c.proc.kill("SIGKILL");
  await c.exited;
  children.splice(children.indexOf(c), 1);
  if (fixedPort !== null) { process.stderr.write(`demo: unbound did not start on port ${fixedPort}:\n${c.lines.join("\n")}\n`); await stop(1); }
}

function unboundConf(port) {
  // Outgoing queries from the kernel's ephemeral ports, as any client's: unbound's default is any port above 1024.
  const [low, high] = (() => { try { return fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number); } catch { return [32768, 60999]; } })();
  return `# Written by scripts/demo: scripts/docker/unbound.conf on loopback, and unprivileged.
server:
  interface: ${UNBOUND}@${port}
  port: ${port}
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  logfile: ""
  use-syslog: no
  verbosity: 1
  num-threads: 1
  outgoing-port-avoid: 0-${low - 1}
  outgoing-port-avoid: ${high + 1}-65535
  # gslb is on loopback, which unbound does not query by default.
  do-not-query-localhost: no
  # ECS: the subnet cache module, and the authority it sends client subnets to.
  module-config: "subnetcache validator iterator"
  send-client-subnet: ${GSLB}
  max-client-subnet-ipv4: 24
  # No trust anchor here: nothing to validate; lb.example.com is unsigned in any case.
  domain-insecure: "lb.example.com"

# The delegation: what example.com's NS and glue records would say, without example.com.
stub-zone:
  name: "lb.example.com"
  stub-addr: ${GSLB}@${gslbPort}

# Loopback only: the root is gslb too (it refuses what it does not serve), so nothing leaves.
stub-zone:
  name: "."
  stub-addr: ${GSLB}@${gslbPort}

remote-control:
  control-enable: no
`;
}

const dig = `dig @${UNBOUND} -p ${unboundPort} www.lb.example.com`;
process.stdout.write(`
gslb demo: unbound (recursive, sends ECS) → gslb (authoritative for lb.example.com) → two HTTP origins it monitors
  ${origins.map((o) => `${o.name} http://${o.address}:${originPort}/`).join("   ")}
  gslb ${GSLB} port ${gslbPort}        unbound ${UNBOUND} port ${unboundPort}        files ${dir}

Try, through the resolver:
  ${dig} +subnet=87.32.10.0/24     # an Irish client: region WEU, pool eu
  ${dig} +subnet=133.1.1.0/24      # a Japanese client: default pools, us first
  ${dig}                           # unbound sends your own /24 (127.0.0.0: not located): us
  curl http://$(${dig} +short +subnet=87.32.10.0/24):${originPort}/
Or gslb itself:
  dig @${GSLB} -p ${gslbPort} www.lb.example.com +subnet=87.32.10.0/24

Ctrl-C stops everything.
`);
running = true;
for (const c of children) if (c.proc.exitCode !== null || c.proc.signalCode !== null) { process.stderr.write(`demo: ${c.name} is not running\n`); await stop(1); }
