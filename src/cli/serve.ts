// gslb serve: load the zones, bind every listen address (UDP and TCP), answer until SIGINT/SIGTERM
// (then stop gracefully: TCP replies in flight go out first); SIGHUP reloads.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { createLogger } from "../log/logger.js";
import { readSecret } from "../notify/notifier.js";
import { DEFAULT_PROBE_CONCURRENCY } from "../probe/scheduler.js";
import { startServer, StatusListenError, VERSION, WorkerStartError } from "../server.js";
import { ListenError } from "../transport/types.js";
import { CLASSIC_UDP_OCTETS, DEFAULT_EDNS_UDP_OCTETS, MAX_MESSAGE_OCTETS } from "../wire/constants.js";
import { parseFlags, parseInteger, parseListen, parseNumber, UsageError } from "./args.js";
import { isIP } from "node:net";
import { regionCodeProblem, type RegionCode } from "../locate/regions.js";
import type { PeersOptions } from "../server/control.js";

export const SERVE_HELP = `Usage: gslb serve [options]

Serve the zone files in a directory as an authoritative DNS server (UDP and TCP).
The directory is watched: an edited file is reloaded; a broken one is reported
(file, path, reason) and its last good version keeps serving. SIGHUP reloads too.
SIGTERM (or SIGINT) stops gracefully: no new connection is accepted, TCP queries
already sent are answered (for --shutdown-timeout at most), health checks stop,
the logs are flushed, exit 0.

Options:
  --zones DIR               zone directory (default ./zones)
  --listen ADDR:PORT        address to serve, repeatable; IPv6 as [::1]:5300
                            (default 127.0.0.1:5300)
  --udp-size N              largest UDP reply and advertised EDNS size
                            (default ${DEFAULT_EDNS_UDP_OCTETS}, ${CLASSIC_UDP_OCTETS}-${MAX_MESSAGE_OCTETS})
  --nsid TEXT               NSID (RFC 5001) and id.server answer (default: host name)
  --no-nsid                 do not answer NSID
  --server-version TEXT     version.bind answer (default "gslb <version>")
  --no-chaos                refuse CHAOS queries (id.server, version.bind, ...)
  --log-queries RATE        log this fraction of queries, 0-1 (default 0: off)
  --log-level LEVEL         trace, debug, info, warn, error (default info)
  --geoip-mmdb FILE         locate clients with a MaxMind-format database
                            (default: geoip-lite's bundled data)
  --no-monitors             run no health checks (origins stay "not yet checked")
  --probe-concurrency N     health probes in flight at most (default ${DEFAULT_PROBE_CONCURRENCY})
  --prober-cpus LIST        confine the prober process to these CPUs (e.g. 1 or
                            2-3): with taskset -c 0 gslb serve, DNS has core 0
  --unknown-health up|down  how origins not yet checked count (default up:
                            answer from the configured pools at a cold start)
  --no-packet-cache         answer every query from scratch (default: repeated
                            client-independent queries reuse the whole reply)
  --workers N               answering processes (default: the number of CPUs this
                            process may use); 1 answers in this one process. With
                            more, this process loads zones and runs the health
                            checks, and the workers answer
  --no-answer-cache         steer every load-balanced query from scratch (default:
                            an answer is reused for clients of the same location
                            class until health or the configuration changes)
  --tcp-idle-timeout SEC    close idle TCP connections after SEC seconds (default 10)
  --tcp-max-connections N   open TCP connections at most (default 1000)
  --tcp-max-per-client N    open TCP connections per client address at most (default 32)
  --tcp-message-timeout SEC a TCP message must arrive whole within SEC seconds of
                            its first byte (default 5)
  --tcp-stall-timeout SEC   drop a TCP client whose replies wait unread over the
                            bounds (64 KiB or 64 replies; 32 MiB for all) this long (default 10)
  --tcp-reply-rate KIB      reply KiB one TCP connection may be sent per second
                            (default 64: what a client that never reads can cost)
  --rrl-rate N              response rate limiting: UDP responses per second per
                            client prefix and answer (default 0: off; 5 to 20 suit
                            an authority on the internet)
  --rrl-slip N              every Nth limited response is sent truncated (TC=1)
                            instead of dropped (default 2; 0 drops all)
  --rrl-prefix V4/V6        client prefixes counted together (default 24/56)
  --shutdown-timeout SEC    on SIGTERM, TCP replies in flight get this long at most
                            (default 5)
  --http ADDR:PORT          the status API: /healthz, /readyz, /metrics (Prometheus),
                            /api/v1/zones, pools, events, explain, overrides
                            (default 127.0.0.1:8053: loopback; its reads need no token)
  --no-http                 no status API (and nothing counted for metrics)
  --api-token-file FILE     a bearer token (the file's first line) for the status
                            API's write endpoints (PUT/DELETE /api/v1/overrides/...),
                            which do not exist without it
  --no-metrics              count nothing per query (the status API stays; for
                            measuring what counting costs)
  --webhook URL             POST every origin and pool state change (JSON) to URL,
                            repeatable; zone files add their own (notifications)
  --webhook-secret-file FILE
                            sign the --webhook POSTs: X-Gslb-Signature, an HMAC-SHA256
                            keyed with the file's first line
  --probe-source ADDR       health probes leave from this address (one IPv4 and one
                            IPv6 at most; default: the OS chooses)
  --instance NAME           this instance's name among several (default: host name)
  --region CODE             where this instance probes from: one of the 13 regions
                            (WNAM ENAM WEU EEU NSAM SSAM OC ME NAF SAF SAS SEAS NEAS);
                            with --etcd, pools' check_regions choose who votes
  --pop CODE                this instance's point of presence (e.g. LHR)
  --etcd URL[,URL...]       vote on health with the other instances through this etcd
                            cluster (without it, this instance decides alone)
  --etcd-prefix PREFIX      key prefix in etcd (default /gslb/)
  --etcd-lease-ttl SEC      an instance's verdicts expire this long after it stops
                            renewing them (default 10; etcd may raise it)
  --etcd-ca FILE            TLS: CA certificate for https:// endpoints
  --etcd-cert FILE          TLS: client certificate (with --etcd-key)
  --etcd-key FILE           TLS: client key
  --etcd-user USER          etcd authentication (with --etcd-password-file)
  --etcd-password-file FILE the password: the file's first line
  -h, --help                this text
`;

export async function serve(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    zones: { type: "string", default: "./zones" },
    listen: { type: "string", multiple: true },
    "udp-size": { type: "string" },
    nsid: { type: "string" },
    "no-nsid": { type: "boolean" },
    "server-version": { type: "string" },
    "no-chaos": { type: "boolean" },
    "log-queries": { type: "string" },
    "no-packet-cache": { type: "boolean" },
    "no-answer-cache": { type: "boolean" },
    workers: { type: "string" },
    "geoip-mmdb": { type: "string" },
    "unknown-health": { type: "string", default: "up" },
    "no-monitors": { type: "boolean" },
    "probe-concurrency": { type: "string" },
    "prober-cpus": { type: "string" },
    "log-level": { type: "string", default: "info" },
    "tcp-idle-timeout": { type: "string" },
    "tcp-max-connections": { type: "string" },
    "tcp-max-per-client": { type: "string" },
    "tcp-message-timeout": { type: "string" },
    "tcp-stall-timeout": { type: "string" },
    "tcp-reply-rate": { type: "string" },
    "rrl-rate": { type: "string" },
    "rrl-slip": { type: "string" },
    "rrl-prefix": { type: "string" },
    "shutdown-timeout": { type: "string" },
    http: { type: "string" },
    "no-http": { type: "boolean" },
    "api-token-file": { type: "string" },
    "no-metrics": { type: "boolean" },
    webhook: { type: "string", multiple: true },
    "webhook-secret-file": { type: "string" },
    "probe-source": { type: "string", multiple: true },
    instance: { type: "string" },
    region: { type: "string" },
    pop: { type: "string" },
    etcd: { type: "string" },
    "etcd-prefix": { type: "string" },
    "etcd-lease-ttl": { type: "string" },
    "etcd-ca": { type: "string" },
    "etcd-cert": { type: "string" },
    "etcd-key": { type: "string" },
    "etcd-user": { type: "string" },
    "etcd-password-file": { type: "string" },
    help: { type: "boolean", short: "h" },
  }, false);
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const listen = (values.listen ?? ["127.0.0.1:5300"]).map((t) => parseListen(t));
  const udpSize = parseNumber("udp-size", values["udp-size"], CLASSIC_UDP_OCTETS, MAX_MESSAGE_OCTETS);
  const logQueries = parseNumber("log-queries", values["log-queries"], 0, 1);
  const idle = parseNumber("tcp-idle-timeout", values["tcp-idle-timeout"], 1, 3600);
  const maxConnections = parseInteger("tcp-max-connections", values["tcp-max-connections"], 1, 1_000_000);
  const maxPerClient = parseInteger("tcp-max-per-client", values["tcp-max-per-client"], 1, 1_000_000);
  const messageTimeout = parseNumber("tcp-message-timeout", values["tcp-message-timeout"], 0.1, 3600);
  const stallTimeout = parseNumber("tcp-stall-timeout", values["tcp-stall-timeout"], 0.1, 3600);
  const replyRate = parseInteger("tcp-reply-rate", values["tcp-reply-rate"], 1, 10_000_000);
  const rrlRate = parseInteger("rrl-rate", values["rrl-rate"], 0, 1_000_000);
  const rrlSlip = parseInteger("rrl-slip", values["rrl-slip"], 0, 100);
  const rrlPrefix = values["rrl-prefix"];
  const shutdownTimeout = parseNumber("shutdown-timeout", values["shutdown-timeout"], 0, 3600) ?? 5;
  const prefixes = rrlPrefix === undefined ? undefined : /^(\d+)\/(\d+)$/.exec(rrlPrefix);
  if (prefixes === null || (prefixes !== undefined && (Number(prefixes[1]) > 32 || Number(prefixes[2]) > 128))) throw new UsageError(`--rrl-prefix ${JSON.stringify(rrlPrefix)}: expected V4/V6 prefix lengths, e.g. 24/56`);
  const probeConcurrency = parseInteger("probe-concurrency", values["probe-concurrency"], 1, 100_000);
  const proberCpus = values["prober-cpus"];
  if (proberCpus !== undefined && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(proberCpus)) throw new UsageError(`--prober-cpus ${JSON.stringify(proberCpus)}: expected a CPU list such as 1 or 2-3,6`);
  // taskset itself checks the list against the CPUs this process may use.
  if (proberCpus !== undefined && spawnSync("taskset", ["-c", proberCpus, "true"], { stdio: "ignore" }).status !== 0) throw new UsageError(`--prober-cpus ${JSON.stringify(proberCpus)}: not CPUs this process may use (or taskset, from util-linux, is missing)`);
  const workers = parseInteger("workers", values.workers, 1, 1024) ?? os.availableParallelism();
  const unknownHealth = values["unknown-health"];
  if (unknownHealth !== "up" && unknownHealth !== "down") throw new UsageError(`--unknown-health ${JSON.stringify(unknownHealth)}: expected up or down`);
  if (values["no-http"] && values.http !== undefined) throw new UsageError("--http and --no-http: give one");
  const http = values["no-http"] ? null : parseListen(values.http ?? "127.0.0.1:8053", "http");
  const tokenFile = values["api-token-file"];
  if (tokenFile !== undefined && http === null) throw new UsageError("--api-token-file: there is no status API to write through (--no-http)");
  const apiToken = tokenFile === undefined ? null : readToken(tokenFile);
  const webhookUrls = (values.webhook ?? []).map(parseWebhookUrl);
  const secretFile = values["webhook-secret-file"];
  if (secretFile !== undefined && webhookUrls.length === 0) throw new UsageError("--webhook-secret-file: there is no --webhook to sign");
  const webhookSecret = secretFile === undefined ? null : readSecretFile(secretFile);
  const probeSource = parseProbeSource(values["probe-source"] ?? []);
  const peers = parsePeers(values);
  const logger = createLogger(values["log-level"]);
  // One identity for NSID and id.server/hostname.bind: the host name unless --nsid says otherwise.
  const identity = values.nsid ?? os.hostname();

  // Signals count from the start: before the server is up (GeoIP, the first round of health
  // checks), SIGHUP is remembered for when it is (its default would end the process, and a service
  // manager sends it at any time), and a stop ends the process at once: nothing answers yet, and
  // the prober and workers leave when their channel closes.
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let reloadPending = false;
  const onHup = () => {
    if (server === undefined) { reloadPending = true; return; }
    logger.info({ signal: "SIGHUP" }, "reloading the zone directory");
    server.reload();
  };
  process.on("SIGHUP", onHup);
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (server !== undefined) return resolve(signal);
      logger.info({ signal }, "stopped during start-up");
      logger.flush(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

  try {
    server = await startServer({
      zonesDir: values.zones!,
      listen,
      logger,
      udpSize,
      logQueries,
      packetCache: !values["no-packet-cache"],
      answerCache: !values["no-answer-cache"],
      workers,
      http,
      apiToken,
      metrics: !values["no-metrics"],
      webhooks: webhookUrls.map((url) => ({ url, secret: webhookSecret })),
      logLevel: values["log-level"],
      geoipMmdb: values["geoip-mmdb"],
      unknownHealth,
      monitors: !values["no-monitors"],
      probeConcurrency,
      proberCpus,
      probeSource,
      peers,
      nsid: values["no-nsid"] ? null : Buffer.from(identity, "utf8"),
      chaos: values["no-chaos"] ? null : { hostname: identity, version: values["server-version"] ?? `gslb ${VERSION}` },
      rrl: {
        ...(rrlRate !== undefined ? { rate: rrlRate } : {}),
        ...(rrlSlip !== undefined ? { slip: rrlSlip } : {}),
        ...(prefixes !== undefined ? { ipv4Prefix: Number(prefixes[1]), ipv6Prefix: Number(prefixes[2]) } : {}),
      },
      tcp: {
        ...(idle !== undefined ? { idleTimeoutMs: idle * 1000 } : {}),
        ...(maxConnections !== undefined ? { maxConnections } : {}),
        ...(maxPerClient !== undefined ? { maxConnectionsPerClient: maxPerClient } : {}),
        ...(messageTimeout !== undefined ? { messageTimeoutMs: messageTimeout * 1000 } : {}),
        ...(stallTimeout !== undefined ? { stallTimeoutMs: stallTimeout * 1000 } : {}),
        ...(replyRate !== undefined ? { maxReplyBytesPerSecond: replyRate * 1024 } : {}),
      },
    });
  } catch (err) {
    if (err instanceof ListenError || err instanceof WorkerStartError || err instanceof StatusListenError || (err instanceof Error && err.message.startsWith("--geoip-mmdb"))) {
      process.stderr.write(`gslb: ${err.message}\n`);
      return 1;
    }
    throw err;
  }

  if (reloadPending) onHup();
  const signal = await stopRequested;
  logger.info({ signal, drainMs: shutdownTimeout * 1000 }, "stopping: no new connections; TCP replies in flight go out first");
  await server.close({ drainMs: shutdownTimeout * 1000 });
  logger.info("stopped");
  // Every line out before the process ends (pino writes asynchronously).
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  return 0;
}

/** The bearer token: the file's first line, trimmed; a missing, unreadable or empty file is a usage error. */
function readToken(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--api-token-file ${JSON.stringify(file)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = (text.split(/\r?\n/)[0] ?? "").trim();
  if (token.length < 16 || /\s/.test(token)) throw new UsageError(`--api-token-file ${JSON.stringify(file)}: the first line must be the token: 16 characters or more, no spaces (e.g. openssl rand -hex 32)`);
  return token;
}

/** A --webhook: an http:// or https:// URL. */
function parseWebhookUrl(text: string): string {
  let url: URL;
  try { url = new URL(text); } catch { throw new UsageError(`--webhook ${JSON.stringify(text)}: not a URL`); }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--webhook ${JSON.stringify(text)}: expected an http:// or https:// URL`);
  return text;
}

/** The webhook secret: the file's first line, trimmed; missing, unreadable or empty is a usage error. */
function readSecretFile(file: string): string {
  const secret = readSecret(file);
  if (secret === null) throw new UsageError(`--webhook-secret-file ${JSON.stringify(file)}: unreadable or empty (the first line is the secret)`);
  return secret;
}

/** --probe-source: IP addresses, one per family at most. */
function parseProbeSource(list: readonly string[]): string[] {
  const seen = new Set<number>();
  for (const a of list) {
    const family = isIP(a);
    if (family === 0) throw new UsageError(`--probe-source ${JSON.stringify(a)}: not an IP address`);
    if (seen.has(family)) throw new UsageError(`--probe-source ${JSON.stringify(a)}: one IPv${family} address at most`);
    seen.add(family);
  }
  return [...list];
}

/** --instance, --region, --pop and the etcd flags. */
function parsePeers(v: Record<string, string | boolean | string[] | undefined>): PeersOptions {
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const instance = str("instance") ?? os.hostname();
  // A key segment in etcd: no "/", nothing a shell or URL would mangle.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(instance)) throw new UsageError(`--instance ${JSON.stringify(instance)}: letters, digits, ".", "_" and "-" (up to 63), starting with a letter or digit`);
  const regionText = str("region");
  if (regionText !== undefined && regionCodeProblem(regionText) !== null) throw new UsageError(`--region: ${regionCodeProblem(regionText)}`);
  const region = regionText === undefined ? null : (regionText as RegionCode);
  const pop = str("pop") ?? null;
  if (pop !== null && !/^[A-Za-z0-9_-]{1,32}$/.test(pop)) throw new UsageError(`--pop ${JSON.stringify(pop)}: a code such as LHR (letters, digits, "-", "_")`);
  const urls = str("etcd");
  const etcdOnly = ["etcd-prefix", "etcd-lease-ttl", "etcd-ca", "etcd-cert", "etcd-key", "etcd-user", "etcd-password-file"].filter((k) => v[k] !== undefined);
  if (urls === undefined) {
    if (etcdOnly.length > 0) throw new UsageError(`--${etcdOnly[0]}: there is no --etcd`);
    return { instance, region, pop, etcd: null, version: VERSION };
  }
  const endpoints = urls.split(",").map((u) => u.trim()).filter((u) => u !== "");
  if (endpoints.length === 0) throw new UsageError("--etcd: expected URL[,URL...], e.g. http://10.0.0.1:2379,http://10.0.0.2:2379");
  for (const e of endpoints) {
    let url: URL;
    try { url = new URL(e); } catch { throw new UsageError(`--etcd ${JSON.stringify(e)}: not a URL; expected http://HOST:PORT or https://HOST:PORT`); }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.port === "" || (url.pathname !== "/" && url.pathname !== "")) throw new UsageError(`--etcd ${JSON.stringify(e)}: expected http://HOST:PORT or https://HOST:PORT`);
  }
  let prefix = str("etcd-prefix") ?? "/gslb/";
  if (prefix === "" || prefix.includes("\0")) throw new UsageError(`--etcd-prefix ${JSON.stringify(prefix)}: expected a key prefix such as /gslb/`);
  if (!prefix.endsWith("/")) prefix += "/";
  const leaseTtlS = parseInteger("etcd-lease-ttl", str("etcd-lease-ttl"), 2, 3600) ?? 10;
  const file = (k: string) => {
    const f = str(k);
    if (f !== undefined && !fs.existsSync(f)) throw new UsageError(`--${k} ${JSON.stringify(f)}: no such file`);
    return f;
  };
  const ca = file("etcd-ca"), cert = file("etcd-cert"), key = file("etcd-key");
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--etcd-cert and --etcd-key: give both");
  const user = str("etcd-user");
  const passwordFile = str("etcd-password-file");
  if ((user === undefined) !== (passwordFile === undefined)) throw new UsageError("--etcd-user and --etcd-password-file: give both");
  const password = passwordFile === undefined ? undefined : readSecret(passwordFile) ?? undefined;
  if (passwordFile !== undefined && password === undefined) throw new UsageError(`--etcd-password-file ${JSON.stringify(passwordFile)}: unreadable or empty (the first line is the password)`);
  return {
    instance, region, pop, version: VERSION,
    etcd: { endpoints, prefix, leaseTtlS, ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert, key } : {}), ...(user !== undefined ? { user, password } : {}) },
  };
}
