// gslb health: run one round of health checks now and print, per pool, each origin's state, last
// result and RTT: the first thing to run when something looks wrong.

import { formatError } from "../problems/problems.js";
import { loadZoneDir } from "../config/load.js";
import { HealthTable } from "../health/table.js";
import { Prober } from "../probe/scheduler.js";
import { buildTargets, firstRoundDeadlineMs } from "../probe/targets.js";
import { parseFlags } from "./args.js";

export const HEALTH_HELP = `Usage: gslb health [--zones DIR]

Run one round of health checks now (every monitored origin, once, with the
monitors' timeouts and retries) and print a table per pool: origin, state,
last result, RTT.

Options:
  --zones DIR   zone directory (default ./zones)
  -h, --help    this text
`;

export async function health(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { zones: { type: "string", default: "./zones" }, help: { type: "boolean", short: "h" } }, false);
  if (values.help) { process.stdout.write(HEALTH_HELP); return 0; }
  const load = loadZoneDir(values.zones!);
  for (const e of load.errors) process.stderr.write(`${formatError(e)}\n`);

  const table = new HealthTable("down");
  const last = new Map<string, { reason: string; rtt: number | null }>();
  const targets = buildTargets(load.balancing.values(), table);
  const prober = new Prober({
    onResult: (target, result, state) => {
      for (const s of target.subscribers) {
        table.set(s.pool, s.origin, state);
        last.set(`${s.pool}/${s.origin}`, { reason: result.reason, rtt: result.rttMs });
      }
    },
  });
  prober.update(targets);
  await prober.firstRound(firstRoundDeadlineMs(targets));
  prober.stop();

  const out: string[] = [];
  let unhealthy = 0;
  for (const [origin, balancing] of load.balancing) {
    const view = table.view(balancing);
    for (const pool of balancing.poolList) {
      const healthy = view.poolHealthy(pool);
      if (!healthy) unhealthy++;
      const label = !pool.enabled ? "DISABLED" : healthy ? "healthy" : "UNHEALTHY";
      out.push(`${origin} pool ${pool.name}: ${label} (${pool.monitor === null ? "no monitor: enabled origins count as up" : `monitor ${pool.monitor}`}, minimum_origins ${pool.minimumOrigins})`);
      const rows = pool.origins.map((o) => {
        const r = last.get(o.key);
        const state = !o.enabled ? "disabled" : pool.monitor === null ? "-" : table.state(pool.key, o.name);
        return [o.name, o.healthAddress ? `${o.address} (checks ${o.healthAddress})` : o.address, state, r?.reason ?? "-", r?.rtt != null ? `${r.rtt.toFixed(1)} ms` : "-"];
      });
      out.push(...formatTable([["origin", "address", "state", "last result", "rtt"], ...rows]).map((l) => `  ${l}`));
    }
  }
  if (out.length === 0) out.push("no pools in these zones");
  process.stdout.write(out.join("\n") + "\n");
  return unhealthy > 0 ? 1 : 0;
}

function formatTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
}
