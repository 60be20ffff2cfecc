// The control side of a server: zone files loaded (and watched), health checks run, operator
// overrides applied. It owns the configuration and the health table; whoever answers queries
// (this process, or answering workers: cluster.ts) is told of each new load through `onLoad`.

import fs from "node:fs";
import path from "node:path";
import { loadZoneDir, type DirLoad } from "../config/load.js";
import type { Logger } from "../log/logger.js";
import { HealthTable } from "../health/table.js";
import { OverrideManager } from "../health/overrides.js";
import { ProberThread } from "../probe/thread.js";
import { buildTargets, firstRoundDeadlineMs } from "../probe/targets.js";

export interface ControlOptions {
  readonly zonesDir: string;
  readonly logger: Logger;
  readonly watch?: boolean;
  readonly health?: HealthTable;
  readonly unknownHealth?: "up" | "down";
  readonly monitors?: boolean;
  readonly probeConcurrency?: number;
  readonly proberCpus?: string;
}

export interface Control {
  current(): DirLoad;
  reload(): DirLoad;
  readonly health: HealthTable;
  readonly proberPid: number | undefined;
  close(): Promise<void>;
}

/** How long file events are gathered before one reload (editors write several in a row). */
const RELOAD_DEBOUNCE_MS = 150;

export async function startControl(options: ControlOptions, onLoad: (load: DirLoad) => void): Promise<Control> {
  const log = options.logger;
  let current: DirLoad = loadAndReport(options.zonesDir, undefined, log);

  const health = options.health ?? new HealthTable(options.unknownHealth ?? "up");
  health.bind(current.balancing.values());
  // Operator overrides beside the zones, reloaded with them.
  const overrides = new OverrideManager(health);
  const overridesFile = path.join(options.zonesDir, "_overrides.json");
  const loadOverrides = () => {
    for (const e of overrides.load(overridesFile, current.balancing)) log.error({ file: e.file, path: e.path }, `overrides error: ${e.file}: ${e.path}: ${e.message}`);
    const active = overrides.active();
    if (active.size > 0) log.info({ overrides: Object.fromEntries(active) }, "overrides in force");
  };
  loadOverrides();

  // Monitors: results go one way, prober → health table → steering. First round before the
  // sockets open (bounded by the largest timeout), so the first answers are already informed.
  const prober = new ProberThread(health, {
    onTransition: (target, t) => log.info({
      target: `${target.spec.type}://${target.spec.host}:${target.spec.port}${"path" in target.spec ? target.spec.path : ""}`,
      origins: target.subscribers.map((s) => `${s.pool}/${s.origin}`), from: t.from, to: t.to, reason: t.reason,
    }, `origin ${t.to}`),
    onSaturated: (s) => log.warn(s, "prober saturated: probes wait for a slot, so intervals and failover stretch; raise --probe-concurrency or the monitors' intervals"),
    onStalled: (s) => log.warn(s, "prober starved of CPU: results that timed out late were discarded and origins keep their states; give the machine (or --prober-cpus) room"),
    onError: (err) => log.error({ err }, "prober process failed"),
  }, options.probeConcurrency, options.proberCpus);
  if (options.monitors !== false) {
    const targets = buildTargets(current.balancing.values(), health);
    prober.update(targets);
    if (targets.length > 0) {
      const started = Date.now();
      await prober.firstRound(firstRoundDeadlineMs(targets));
      log.info({ targets: targets.length, ms: Date.now() - started }, "first round of health checks done");
    }
  }

  const reload = (): DirLoad => {
    current = loadAndReport(options.zonesDir, current, log);
    health.bind(current.balancing.values());
    onLoad(current);
    if (options.monitors !== false) prober.update(buildTargets(current.balancing.values(), health));
    loadOverrides();
    return current;
  };

  let timer: NodeJS.Timeout | null = null;
  let watcher: fs.FSWatcher | null = null;
  if (options.watch ?? true) {
    try {
      watcher = fs.watch(options.zonesDir, () => {
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
    close: async () => {
      await prober.stop();
      overrides.stop();
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
