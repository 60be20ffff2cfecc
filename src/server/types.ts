// What a server is started with and what it gives back, one process or several (../server.ts).

import type { DirLoad } from "../config/load.js";
import type { Logger } from "../log/logger.js";
import type { ChaosIdentity } from "../query/respond.js";
import type { RrlOptions, RrlStats } from "../query/rrl.js";
import type { TcpOptions, TcpStats } from "../transport/tcp.js";
import type { ListenAddress } from "../transport/types.js";
import type { ZoneSet } from "../zone/zoneset.js";
import type { HealthTable } from "../health/table.js";
import type { Balancing } from "../balancing/model.js";
import type { AnswerStats } from "./answering.js";
import type { StatusHub } from "../status/hub.js";
import type { ServerWebhook } from "../notify/notifier.js";
import type { DeliveryOptions } from "../notify/webhook.js";
import type { PeersOptions } from "./control.js";

export interface ServerOptions {
  readonly zonesDir: string;
  readonly listen: readonly ListenAddress[];
  readonly logger: Logger;
  /** Log level for answering workers (they log on their own): the logger's level by default. */
  readonly logLevel?: string;
  readonly udpSize?: number;
  /** NSID payload; null disables NSID. Default: the host name. */
  readonly nsid?: Buffer | null;
  /** CHAOS answers; null refuses CHAOS queries. */
  readonly chaos?: ChaosIdentity | null;
  /** Fraction of queries logged, 0 (default) to 1. */
  readonly logQueries?: number;
  /** Reload when a file in zonesDir changes (default true). */
  readonly watch?: boolean;
  readonly tcp?: Partial<TcpOptions>;
  /** Cookie secret (16 bytes); random by default. Set it to share cookies across servers (RFC 9018). */
  readonly cookieSecret?: Buffer;
  /** Reuse whole replies to repeated client-independent queries (default true). */
  readonly packetCache?: boolean;
  /** Reuse load-balanced answers per query shape and location class while health holds (default true). */
  readonly answerCache?: boolean;
  /** A MaxMind-format database to locate clients with, instead of geoip-lite's bundled data. */
  readonly geoipMmdb?: string;
  /** Origin health (tests and, with issue 4, the monitors write it). */
  readonly health?: HealthTable;
  /** How origins not yet checked count: "up" (default) or "down". */
  readonly unknownHealth?: "up" | "down";
  /** Random source for random steering (tests fix it; one process only). */
  readonly random?: () => number;
  /** Run the zones' monitors (default true; tests that set health by hand turn them off). */
  readonly monitors?: boolean;
  /** Probes in flight at most (default DEFAULT_PROBE_CONCURRENCY). */
  readonly probeConcurrency?: number;
  /** CPUs the prober process may use (a taskset list), e.g. "1" to keep it off the DNS server's core. */
  readonly proberCpus?: string;
  /** Response rate limiting over UDP (query/rrl.ts); rate 0 (the default) is off. */
  readonly rrl?: Partial<RrlOptions>;
  /** Answering processes: 1 (default) answers in this process; more start workers (server/cluster.ts). */
  readonly workers?: number;
  /** The status API's listener (src/status/); none (the default here; `gslb serve` binds 127.0.0.1:8053): no status API, nothing counted. */
  readonly http?: ListenAddress | null;
  /** Bearer token of the status API's write endpoints (overrides); none: they do not exist. */
  readonly apiToken?: string | null;
  /** Count every query for /metrics (default true when there is a status listener; false measures what counting costs). */
  readonly metrics?: boolean;
  /** Webhooks told of every zone's origin and pool state changes (src/notify/); zone files add their own. */
  readonly webhooks?: readonly ServerWebhook[];
  /** Webhook delivery: tries, backoff, per-request timeout, queue bound (defaults: src/notify/webhook.ts). */
  readonly webhookDelivery?: DeliveryOptions;
  /** Addresses health probes leave from, one per family (--probe-source). */
  readonly probeSource?: readonly string[];
  /** This instance among several: name, region, pop, and the etcd cluster they vote through (src/peers/). */
  readonly peers?: PeersOptions;
}

export interface RunningServer {
  /** Addresses actually bound (port 0 resolved), UDP and TCP alike. */
  readonly addresses: readonly ListenAddress[];
  /** Reread the zones directory now; a file that fails keeps its last good version. */
  reload(): DirLoad;
  zones(): ZoneSet;
  /** Each zone's load balancing, by origin. */
  balancing(): ReadonlyMap<string, Balancing>;
  /** What the TCP defences did, over every listener (refusals, timeouts, drops, bytes waiting now). */
  tcpStats(): TcpStats;
  /** Responses rate limiting truncated or dropped. */
  rrlStats(): RrlStats;
  /** Load-balanced answers reused for clients of the same location class, and kept for reuse. */
  answerStats(): AnswerStats;
  readonly health: HealthTable;
  /** The prober process now (SCHED_IDLE, confined to `proberCpus` when given; restarted if it dies). */
  readonly proberPid: number | undefined;
  /** Answering worker processes now (empty with one process). */
  readonly workerPids: readonly number[];
  /** Each answering worker: its pid, the configuration version it has applied, queries it handled (reported every 0.5 s). */
  workers(): { readonly pid: number; readonly version: number; readonly queries: number }[];
  /** The configuration version: +1 on every load (workers report the one they have applied). */
  readonly version: number;
  /** The status API's address (port 0 resolved); null without one. */
  readonly http: ListenAddress | null;
  /** What the status API reads; its `events` is the stream of health state changes, to subscribe to. */
  readonly status: StatusHub;
  /**
   * Stop: sockets, health checks, overrides, workers. With `drainMs` (a graceful stop: SIGTERM),
   * no new connection is accepted and open TCP connections get the replies to what they sent,
   * for at most that long.
   */
  close(options?: { readonly drainMs?: number }): Promise<void>;
}
