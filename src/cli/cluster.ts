// gslb cluster status: the instances that vote on health through etcd, as one running instance sees
// them (its status API's /api/v1/cluster): region, pop, last seen, degraded or gone, and each zone's
// serial and digest per instance, with configuration skew flagged.

import { parseFlags, parseListen, UsageError } from "./args.js";
import { formatListen } from "../transport/types.js";
import type { ClusterStatus } from "../status/cluster.js";

export const CLUSTER_HELP = `Usage: gslb cluster status [options]

Show the instances voting on health through etcd (gslb serve --etcd), as one
running instance sees them: region, pop, last seen, degraded or gone; and each
zone's serial and content digest per instance, with configuration skew flagged.
Exit status: 0; 1 when the instance cannot be asked; 3 when skew is flagged or
an instance is degraded or gone.

Options:
  --http ADDR:PORT   the instance's status API (default 127.0.0.1:8053)
  --json             print /api/v1/cluster's JSON as it is
  -h, --help         this text
`;

export async function cluster(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    http: { type: "string", default: "127.0.0.1:8053" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, true);
  if (values.help) { process.stdout.write(CLUSTER_HELP); return 0; }
  if (positionals.length !== 1 || positionals[0] !== "status") throw new UsageError(positionals.length === 0 ? "expected a subcommand: status" : `unknown subcommand ${JSON.stringify(positionals.join(" "))}; expected: status`);
  const address = formatListen(parseListen(values.http!, "http"));
  let body: ClusterStatus;
  try {
    const res = await fetch(`http://${address}/api/v1/cluster`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).trim()}`);
    body = (await res.json()) as ClusterStatus;
  } catch (err) {
    process.stderr.write(`gslb cluster: cannot ask ${address}: ${(err as Error).message}\n`);
    return 1;
  }
  if (values.json) { process.stdout.write(`${JSON.stringify(body, null, 2)}\n`); return flagged(body) ? 3 : 0; }
  process.stdout.write(render(body));
  return flagged(body) ? 3 : 0;
}

function flagged(c: ClusterStatus): boolean {
  return c.skew || c.instances.some((i) => i.degraded || i.gone);
}

export function render(c: ClusterStatus): string {
  if (c.etcd === null) return "this instance is alone (no --etcd): there is no cluster to show\n";
  const lines: string[] = [];
  lines.push(`etcd: ${c.etcd.state}${c.etcd.degraded ? " (DEGRADED: answering from this instance's own health checks)" : ""} since ${c.etcd.since}; ${c.etcd.endpoints.join(",")} prefix ${c.etcd.prefix}${c.etcd.last_error !== null && c.etcd.degraded ? `; ${c.etcd.last_error}` : ""}`);
  lines.push("");
  const rows = [["INSTANCE", "REGION", "POP", "LAST SEEN", "STATE", "VERSION"]];
  for (const i of c.instances) {
    // The instance's own count (its clock at both ends): this machine's clock may differ from its.
    const ago = i.last_seen_s_ago;
    rows.push([`${i.instance}${i.self ? " (this)" : ""}`, i.region ?? "-", i.pop ?? "-", i.self ? "now" : `${ago} s ago`, i.gone ? "GONE" : i.degraded ? "DEGRADED" : "ok", i.version]);
  }
  lines.push(...table(rows));
  lines.push("");
  const names = c.instances.filter((i) => !i.gone).map((i) => i.instance);
  const zrows = [["ZONE", ...names, ""]];
  for (const z of c.zones) zrows.push([z.zone, ...names.map((n) => { const x = z.instances[n]; return x == null ? "(missing)" : `${x.serial} ${x.digest.slice(0, 8)}`; }), z.skew ? "SKEW" : ""]);
  lines.push(...table(zrows));
  if (c.skew) lines.push("", "configuration skew: instances serve different zone files (same name, different serial or content)");
  return `${lines.join("\n")}\n`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => (r[k] ?? "").length)));
  return rows.map((r) => r.map((cell, k) => cell.padEnd(widths[k]!)).join("  ").trimEnd());
}
