// The icmp_ping monitor, as Cloudflare documents its own (developers.cloudflare.com/load-balancing/
// monitors/, "Supported protocols"): "The monitor sends an ICMP/ICMPv6 echo request (ping) and
// expects an ICMP/ICMPv6 echo reply from the endpoint. The endpoint must reply to the ICMP ping
// within the configured timeout and retries to be considered healthy." RTT: fping's, from the
// echo request to its reply.
//
// How, without privileges in any gslb process: Node has no ICMP sockets, and raw sockets (npm's
// net-ping / raw-socket) need root or CAP_NET_RAW on node itself. fping (Debian package `fping`)
// is installed with the cap_net_raw file capability, so the prober, itself unprivileged, runs it.
// Spawning a process per probe is what costs (scripts/icmp-cost, 1,000 loopback origins every
// 60 s on the 2-core VM: `ping` once per probe took 32% of a core, fping once per 100 ms of due
// probes 10%, this module 3.2-4.8%), so the probes that come due within icmpOptions.windowMs (1 s)
// share one fping run: a probe goes out up to a second after it is due, which a 60 s (or 15 s)
// interval does not notice. Host names are resolved here first, so one slow name cannot hold up
// a whole batch.

import { spawn } from "node:child_process";
import dns from "node:dns";
import net from "node:net";
import { baseSettings, ignore, monitorObject } from "./fields.js";
import { deadline, describeError, excerpt, sourceFor, type BaseSettings, type BaseSpec, type MonitorType, type ProbeResult } from "./types.js";

/** No port: one given (Cloudflare returns the field) stays as written, ignored. */
export type IcmpPingSettings = BaseSettings<"icmp_ping">;
export type IcmpPingSpec = BaseSpec<"icmp_ping">;

/** How echo requests are sent; tests change `command` (e.g. to run fping in a network namespace). */
export const icmpOptions = {
  command: ["fping"] as readonly string[],
  /** Probes that come due within this window share one fping run. */
  windowMs: 1000,
};

/** fping's own start and exit on top of the timeout, before we give up on it. */
const GRACE_MS = 2000;
/** fping sends one request a millisecond (its -i default): a batch takes this long per host to send. */
const SEND_SPACING_MS = 1;
const MAX_HOSTS_PER_RUN = 1000;

const ignored = ignore("probe_zone", "port", "method", "path", "header", "expected_codes", "expected_body", "follow_redirects", "allow_insecure");

const input = monitorObject("icmp_ping", ignored, {});

export const icmp_ping: MonitorType<"icmp_ping", IcmpPingSettings, IcmpPingSpec> = {
  name: "icmp_ping",
  schema: input.transform((m) => baseSettings("icmp_ping", m)),
  fields: Object.keys(input.shape),
  ignored,
  spec: (s, target) => ({ type: "icmp_ping", host: target.host, port: 0, timeoutMs: s.timeout * 1000, retries: s.retries }),
  once: async (spec) => {
    const a = await lookupAddress(spec.host, spec.timeoutMs);
    return "ok" in a ? a : echo(a.address, spec.timeoutMs);
  },
  attemptMs: (spec) => icmpOptions.windowMs + spec.timeoutMs + 100,
};

/** An address as is, or a host name's first address; a failure (with its reason) otherwise. */
export function lookupAddress(host: string, timeoutMs: number): Promise<{ address: string; family: 4 | 6 } | ProbeResult> {
  const family = net.isIP(host);
  if (family === 4 || family === 6) return Promise.resolve({ address: host, family });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: { address: string; family: 4 | 6 } | ProbeResult) => { if (!settled) { settled = true; clearTimeout(timer); resolve(r); } };
    const timer = deadline(timeoutMs, performance.now(), finish, () => ({ ok: false, rttMs: null, reason: `DNS: no answer within ${timeoutMs} ms` }));
    dns.lookup(host, (err, address, fam) => finish(err ? { ok: false, rttMs: null, reason: describeError(err) } : { address, family: fam === 6 ? 6 : 4 }));
  });
}

interface Batch {
  readonly timeoutMs: number;
  readonly waiters: Map<string, ((r: ProbeResult) => void)[]>;
}

/** Open batches by timeout (one fping run has one -t). */
const open = new Map<number, Batch>();

/** One echo request to an address (not a name) and its reply, sent with the other probes due now. */
export function echo(address: string, timeoutMs: number): Promise<ProbeResult> {
  let batch = open.get(timeoutMs);
  if (batch === undefined) {
    const b: Batch = { timeoutMs, waiters: new Map() };
    open.set(timeoutMs, (batch = b));
    setTimeout(() => {
      open.delete(timeoutMs);
      const hosts = [...b.waiters.keys()];
      for (let i = 0; i < hosts.length; i += MAX_HOSTS_PER_RUN) run(b, hosts.slice(i, i + MAX_HOSTS_PER_RUN));
    }, icmpOptions.windowMs);
  }
  const waiters = batch.waiters.get(address) ?? [];
  batch.waiters.set(address, waiters);
  return new Promise((resolve) => waiters.push(resolve));
}

/** One fping run: `-e` prints each reply's time, `-r 0` leaves retries to the registry's probe(). */
function run(batch: Batch, hosts: string[]): void {
  const start = performance.now();
  const [command, ...prefix] = icmpOptions.command;
  const results = new Map<string, ProbeResult>();
  let settled = false;
  const settle = (fallback: (host: string) => ProbeResult) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const h of hosts) {
      const r = results.get(h) ?? fallback(h);
      for (const w of batch.waiters.get(h) ?? []) w(r);
    }
  };
  // fping's -S: the --probe-source of the batch's family (a batch of mixed families keeps the OS's choice).
  const sources = new Set(hosts.map((h) => sourceFor(h).localAddress));
  const source = sources.size === 1 ? [...sources][0] : undefined;
  const child = spawn(command!, [...prefix, ...(source !== undefined ? ["-S", source] : []), "-e", "-r", "0", "-t", String(batch.timeoutMs), ...hosts], { stdio: ["ignore", "pipe", "pipe"] });
  const limitMs = batch.timeoutMs + hosts.length * SEND_SPACING_MS + GRACE_MS;
  const timer = deadline(limitMs, start, (r) => settle(() => r), () => ({ ok: false, rttMs: null, reason: `fping did not finish within ${limitMs} ms` }));
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => { out += c; });
  child.stderr.setEncoding("utf8").on("data", (c: string) => { if (err.length < 64 * 1024) err += c; });
  child.once("error", (e: NodeJS.ErrnoException) => settle(() => ({
    ok: false, rttMs: null,
    reason: e.code === "ENOENT" ? `icmp_ping needs fping (Debian package fping): ${command} not found` : `cannot run ${command}: ${describeError(e)}`,
  })));
  child.once("close", (code) => {
    const problems = new Map<string, string>();
    for (const line of err.split("\n")) {
      // "ICMP Host Unreachable from 10.0.0.1 for ICMP Echo sent to 10.0.0.9", "h: Name or service not known"
      const icmp = /^ICMP (.+?) from \S+ for ICMP Echo sent to (\S+)/.exec(line);
      const other = /^(\S+): (.+)$/.exec(line);
      if (icmp) problems.set(icmp[2]!, `ICMP ${icmp[1]}`);
      else if (other && !problems.has(other[1]!)) problems.set(other[1]!, excerpt(other[2]!));
    }
    for (const line of out.split("\n")) {
      const alive = /^(\S+) is alive \(([\d.]+) ms\)/.exec(line);
      const dead = /^(\S+) is unreachable/.exec(line);
      if (alive) results.set(alive[1]!, { ok: true, rttMs: Number(alive[2]), reason: "echo reply" });
      else if (dead) results.set(dead[1]!, { ok: false, rttMs: null, reason: problems.get(dead[1]!) ?? `no echo reply within ${batch.timeoutMs} ms` });
    }
    const firstError = err.split("\n").find((l) => l.trim() !== "");
    settle((h) => ({ ok: false, rttMs: null, reason: problems.get(h) ?? `fping exited with status ${code}${firstError ? `: ${excerpt(firstError)}` : ""}` }));
  });
}
