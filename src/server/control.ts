// The control side of a server: zone files loaded (and watched), health checks run, operator
// overrides applied. It owns the configuration and the health table; whoever answers queries
// (this process, or answering workers: cluster.ts) is told of each new load through `onLoad`.

import fs from "node:fs";
import path from "node:path";
import { isZoneFileName, loadZoneDir, type DirLoad } from "../config/load.js";
import type { Logger } from "../log/logger.js";
import { HealthTable, type OverrideState } from "../health/table.js";
import { OverrideManager, parseOverrides } from "../health/overrides.js";
import { ProberThread } from "../probe/thread.js";
import { buildTargets, firstRoundDeadlineMs } from "../probe/targets.js";
import type { ConfigError } from "../problems/problems.js";
import type { StatusHub } from "../status/hub.js";
import { Notifier, type ServerWebhook } from "../notify/notifier.js";
import type { DeliveryOptions } from "../notify/webhook.js";
import { VotedHealth } from "../peers/health.js";
import { childEnv } from "./memory.js";
import { setPop, setRegionalRtt } from "../balancing/site.js";
import type { EtcdPeers, EtcdOptions, OverrideEntry } from "../peers/etcd.js";
import { zoneSummaries } from "../peers/zones.js";
import type { RegionCode } from "../locate/regions.js";

export interface ControlOptions {
  readonly zonesDir: string;
  readonly logger: Logger;
  readonly watch?: boolean;
  readonly health?: HealthTable;
  readonly unknownHealth?: "up" | "down";
  readonly monitors?: boolean;
  readonly probeConcurrency?: number;
  readonly proberCpus?: string;
  /** The status API's hub: told of loads, start-up progress, prober transitions and override changes. */
  readonly status?: StatusHub;
  /** Webhooks told of every zone's state changes (gslb serve --webhook); zones add their own. */
  readonly webhooks?: readonly ServerWebhook[];
  /** Webhook delivery: tries, backoff, timeout, queue (tests shorten them). */
  readonly webhookDelivery?: DeliveryOptions;
  /** Addresses probes leave from (gslb serve --probe-source), one per family. */
  readonly probeSource?: readonly string[];
  /** This instance among several (gslb serve --instance, --region, --pop, --etcd). */
  readonly peers?: PeersOptions;
}

/** This instance's name and place, and the etcd cluster its instances vote through (none: alone, as before). */
export interface PeersOptions {
  readonly instance: string;
  readonly region: RegionCode | null;
  readonly pop: string | null;
  readonly etcd: EtcdOptions | null;
  /** gslb's version, in the instance record. */
  readonly version: string;
}

export interface Control {
  current(): DirLoad;
  reload(): DirLoad;
  readonly health: HealthTable;
  readonly proberPid: number | undefined;
  readonly prober: ProberThread;
  /** zones/_overrides.json. */
  readonly overridesFile: string;
  /** Read the overrides file again now; its problems (none: applied). */
  reloadOverrides(): readonly ConfigError[];
  /** The webhooks' side (null without a status hub). */
  readonly notifier: Notifier | null;
  /** The other instances (gslb serve --etcd); null: this instance is alone. */
  readonly peers: { readonly etcd: EtcdPeers; readonly voted: VotedHealth } | null;
  close(): Promise<void>;
}

/** Operator overrides, beside the zone files. */
const OVERRIDES_FILE = "_overrides.json";
/** How long file events are gathered before one reload (editors write several in a row). */
const RELOAD_DEBOUNCE_MS = 150;

export async function startControl(options: ControlOptions, onLoad: (load: DirLoad) => void): Promise<Control> {
  const log = options.logger;
  const status = options.status;
  let current: DirLoad = loadAndReport(options.zonesDir, undefined, log);

  const health = options.health ?? new HealthTable(options.unknownHealth ?? "up");
  health.bind(current.balancing.values());
  status?.attachHealth(health);
  // Webhooks hear of the status side's state changes (so, in this process only: each once).
  const notifier = status === undefined ? null : new Notifier(status.events, { webhooks: options.webhooks ?? [], zonesDir: options.zonesDir, logger: log, delivery: options.webhookDelivery });
  notifier?.configure(current.balancing);
  // Operator overrides: the file beside the zones (reloaded with them), and with --etcd those written
  // through any instance's API; on the same pool or origin, this instance's file wins.
  let fileActive: ReadonlyMap<string, OverrideState> = new Map(), etcdActive: ReadonlyMap<string, OverrideState> = new Map();
  const applyOverrides = () => { health.setOverrides(new Map([...etcdActive, ...fileActive])); status?.overridesChanged(); };
  const overrides = new OverrideManager({ setOverrides: (active) => { fileActive = active; applyOverrides(); } });
  const etcdOverrides = new OverrideManager({ setOverrides: (active) => { etcdActive = active; applyOverrides(); } });
  let etcdEntries: readonly OverrideEntry[] = [];
  const loadEtcdOverrides = () => {
    // Each entry on its own: one that a reload made stale (its pool went) does not hold the others back.
    const good = etcdEntries.filter((e) => {
      const { errors } = parseOverrides("etcd", JSON.stringify({ overrides: [e] }), current.balancing);
      for (const err of errors) log.warn({ entry: e, path: err.path }, `etcd override ignored: ${err.path}: ${err.message}`);
      return errors.length === 0;
    });
    etcdOverrides.loadText("etcd", JSON.stringify({ overrides: good }), current.balancing);
  };
  const overridesFile = path.join(options.zonesDir, OVERRIDES_FILE);
  /** The file's errors, and whether the file in force changed (new, edited, removed): each is a line of its own. */
  const loadOverrides = (): { errors: readonly ConfigError[]; changed: boolean } => {
    const before = overrides.fileText;
    const errors = overrides.load(overridesFile, current.balancing);
    for (const e of errors) log.error({ file: e.file, path: e.path }, `overrides error: ${e.file}: ${e.path}: ${e.message}`);
    const after = overrides.fileText;
    if (before !== null && after === null) {
      const why = overrides.readError;
      log.warn({ file: overridesFile, reason: why }, why === "ENOENT" ? "overrides file removed: every override cleared" : `overrides file unreadable (${why}): every override cleared`);
    } else if (after !== null && after !== before) {
      log.info({ file: overridesFile }, before === null ? "overrides file loaded" : "overrides file changed");
    }
    const active = overrides.active();
    if (active.size > 0) log.info({ overrides: Object.fromEntries(active) }, "overrides in force");
    return { errors, changed: after !== before };
  };
  status?.loaded(current, loadOverrides().errors, false);

  // Several instances: the prober's verdicts are this instance's vote; the table gets the outcome.
  const me = options.peers;
  // What steering here (explain, the status page) reads as the answering processes do.
  setPop(me?.pop);
  setRegionalRtt(me?.etcd != null);
  const voted = me?.etcd != null ? new VotedHealth(health, me.instance, me.region, {
    ownChanged: (id) => etcd?.ownChanged(id),
    votedChanged: (keys, reason) => {
      status?.transition(keys, reason);
      log.info({ origins: keys, reason }, "voted health changed");
    },
  }) : null;
  // etcd's client (grpc, protobufjs) is imported only when used: loaded, it cost an instance alone
  // ~30 MB of RSS (docs/benchmarks.md, "Under 150 MB with every cache at its bound").
  const etcd = me?.etcd != null && voted !== null ? new (await import("../peers/etcd.js")).EtcdPeers(me.etcd, { instance: me.instance, region: me.region, pop: me.pop, version: me.version }, voted, log,
    (entries) => { etcdEntries = entries; loadEtcdOverrides(); }) : null;

  // Monitors: results go one way, prober → health table → steering. First round before the
  // sockets open (bounded by the largest timeout), so the first answers are already informed.
  const prober = new ProberThread(voted ?? health, {
    onTransition: (target, t) => {
      voted?.noteReason(target, t.reason);
      status?.transition(target.subscribers.map((s) => `${s.pool}/${s.origin}`), t.reason);
      log.info({
        target: `${target.spec.type}://${target.spec.host}:${target.spec.port}${"path" in target.spec ? target.spec.path : ""}`,
        origins: target.subscribers.map((s) => `${s.pool}/${s.origin}`), from: t.from, to: t.to, reason: t.reason,
      }, `origin ${t.to}`);
    },
    onSaturated: (s) => log.warn(s, "prober saturated: probes wait for a slot, so intervals and failover stretch; raise --probe-concurrency or the monitors' intervals"),
    onStalled: (s) => log.warn(s, "prober starved of CPU: results that timed out late were discarded and origins keep their states; give the machine (or --prober-cpus) room"),
    onError: (err) => log.error({ err }, "prober process failed"),
    onExited: (e) => log.warn(e, `prober process exited (${e.signal ?? `code ${e.code}`}): restarting it in ${e.restartInMs / 1000} s; origins keep their states meanwhile`),
    onRestarted: (pid) => log.info({ pid }, "prober restarted"),
  }, options.probeConcurrency, options.proberCpus, options.probeSource, childEnv());
  if (status !== undefined) status.prober = prober;
  const targets = options.monitors !== false ? buildTargets(current.balancing.values(), health) : [];
  voted?.setTargets(targets, current.balancing);
  etcd?.setZones(zoneSummaries(current));
  etcd?.start();
  const firstRound = { targets, done: targets.length === 0 };
  if (status !== undefined) status.firstRound = firstRound;
  if (options.monitors !== false) prober.update(targets);
  if (targets.length > 0) {
    const started = Date.now();
    await prober.firstRound(firstRoundDeadlineMs(targets));
    firstRound.done = true;
    log.info({ targets: targets.length, ms: Date.now() - started }, "first round of health checks done");
  }
  // The first answers already voted when etcd answers at once; it never holds the start for long.
  if (etcd !== null) await etcd.ready(2000);

  const reload = (): DirLoad => {
    const before = current;
    current = loadAndReport(options.zonesDir, current, log);
    health.bind(current.balancing.values());
    onLoad(current);
    if (options.monitors !== false) {
      const next = buildTargets(current.balancing.values(), health);
      voted?.setTargets(next, current.balancing);
      prober.update(next);
      etcd?.targetsChanged();
    }
    etcd?.setZones(zoneSummaries(current));
    if (etcd !== null) loadEtcdOverrides();
    const { errors, changed } = loadOverrides();
    notifier?.configure(current.balancing);
    status?.loaded(current, errors, true);
    // Unchanged files keep their zone objects (loadZoneDir), so identity says "the same".
    if (!changed && current.zones.length === before.zones.length && current.zones.every((z, i) => z === before.zones[i])) {
      log.info({ zones: current.zones.length }, "reload: nothing changed (the same zones and overrides are served)");
    }
    return current;
  };

  let timer: NodeJS.Timeout | null = null;
  let watcher: fs.FSWatcher | null = null;
  if (options.watch ?? true) {
    try {
      watcher = fs.watch(options.zonesDir, (_event, name) => {
        // Zone files, the overrides, and "..data" (Kubernetes swaps a ConfigMap's files by that
        // link): editors' swap and backup files and the schema are no reason to reload.
        if (name !== null && !isZoneFileName(name) && name !== OVERRIDES_FILE && !name.startsWith("..")) return;
        if (timer !== null) clearTimeout(timer);
        timer = setTimeout(() => { timer = null; reload(); }, RELOAD_DEBOUNCE_MS);
      });
      watcher.on("error", (err) => log.warn({ err, dir: options.zonesDir }, "zone directory watch failed; reload with SIGHUP"));
    } catch (err) {
      log.warn({ err, dir: options.zonesDir }, "cannot watch the zone directory; reload with SIGHUP");
    }
  }

  return {
    current: () => current,
    reload,
    health,
    get proberPid() { return prober.pid; },
    prober,
    overridesFile,
    reloadOverrides: () => {
      const { errors } = loadOverrides();
      if (status !== undefined) status.overrideErrors = errors;
      return errors;
    },
    notifier,
    peers: etcd !== null && voted !== null ? { etcd, voted } : null,
    close: async () => {
      notifier?.stop();
      await prober.stop();
      await etcd?.close();
      voted?.stop();
      overrides.stop();
      etcdOverrides.stop();
      if (timer !== null) clearTimeout(timer);
      watcher?.close();
    },
  };
}

function loadAndReport(dir: string, previous: DirLoad | undefined, log: Logger): DirLoad {
  const load = loadZoneDir(dir, previous?.results);
  for (const e of load.errors) log.error({ file: e.file, path: e.path }, `zone file error: ${e.file}: ${e.path}: ${e.message}`);
  // Warnings once per version of a file, not on every reload.
  for (const [file, r] of load.results) {
    if (previous?.results.get(file) === r) continue;
    for (const w of r.warnings) log.warn({ file: w.file, path: w.path }, `zone file warning: ${w.file}: ${w.path}: ${w.message}`);
  }
  for (const z of load.zones) {
    const before = previous?.zones.find((p) => p.origin === z.origin);
    if (before !== z) log.info({ zone: z.origin, serial: z.serial, file: z.source, names: z.nodes.size }, "zone loaded");
  }
  for (const p of previous?.zones ?? []) {
    if (!load.zones.some((z) => z.origin === p.origin)) log.warn({ zone: p.origin, file: p.source }, "zone removed");
  }
  return load;
}
