// gslb explain: what the server would answer a client for a name, and why. It runs the same
// steer() the server runs (query/explain.ts); the explanation printed is the object query logs
// carry. With --server, a running server explains with its live health and overrides
// (GET /api/v1/explain of the status API) and the same text is printed.

import path from "node:path";
import { formatError } from "../problems/problems.js";
import { loadZoneDir } from "../config/load.js";
import { geoipLite, mmdb } from "../locate/geoip.js";
import { OverrideManager } from "../health/overrides.js";
import { HealthTable } from "../health/table.js";
import { explainJson, explainQuery, formatExplain, locatorFor, parseSubnet, typeCode, type ExplainResult } from "../query/explain.js";
import { parseIPv4, parseIPv6 } from "../wire/ip.js";
import { lookup } from "../zone/lookup.js";
import { ZoneSet } from "../zone/zoneset.js";
import { parseFlags, UsageError } from "./args.js";

export const EXPLAIN_HELP = `Usage: gslb explain NAME [options]

Show what gslb would answer a client for NAME, and why: the client's location and
where it came from, the rules matched, the policy, each pool considered with its
health, the pool and origins chosen, the TTL and the ECS scope.

Options:
  --type TYPE          A or AAAA (default A); other types show the static answer
  --client IP          the resolver's address (default 127.0.0.1)
  --ecs SUBNET         an EDNS Client Subnet, e.g. 198.51.100.0/24
  --zones DIR          zone directory (default ./zones)
  --geoip-mmdb FILE    locate with a MaxMind-format database
  --server URL         ask a running gslb serve instead (its status API, e.g.
                       http://127.0.0.1:8053): its zones, live health and overrides
  --json               print the explanation object
  -h, --help           this text

Health: explain runs no monitors; origins not yet checked count as up, as at a
server's cold start. Overrides in the zone directory's _overrides.json count.
With --server, the server's own health checks and overrides count.
`;

/** The health line of a local explain. */
const LOCAL_HEALTH = "explain runs no monitors: origins not yet checked count as up";

export async function explain(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    type: { type: "string", default: "A" },
    client: { type: "string", default: "127.0.0.1" },
    ecs: { type: "string" },
    zones: { type: "string" },
    "geoip-mmdb": { type: "string" },
    server: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, true);
  if (values.help) { process.stdout.write(EXPLAIN_HELP); return 0; }
  if (positionals.length !== 1) throw new UsageError("give one NAME");
  const name = positionals[0]!.replace(/\.$/, "").toLowerCase();
  const type = typeCode(values.type!);
  if (type === undefined) throw new UsageError(`--type ${JSON.stringify(values.type)}: unknown type`);
  if (parseIPv4(values.client!) === null && parseIPv6(values.client!) === null) throw new UsageError(`--client ${JSON.stringify(values.client)}: not an IP address`);
  const ecs = values.ecs === undefined ? null : parseSubnet(values.ecs);
  if (typeof ecs === "string") throw new UsageError(`--ecs ${JSON.stringify(values.ecs)}: ${ecs}`);

  let result: ExplainResult;
  if (values.server !== undefined) {
    if (values.zones !== undefined || values["geoip-mmdb"] !== undefined) throw new UsageError("--server explains with the server's zones and GeoIP: --zones and --geoip-mmdb do not apply");
    const fetched = await fromServer(values.server, { name, type: values.type!, client: values.client!, ecs: values.ecs });
    if (typeof fetched === "string") {
      process.stderr.write(`gslb explain: ${fetched}\n`);
      return 1;
    }
    result = fetched;
  } else {
    const zones = values.zones ?? "./zones";
    const load = loadZoneDir(zones);
    for (const e of load.errors) process.stderr.write(`${formatError(e)}\n`);
    const zoneSet = new ZoneSet(load.zones);
    // GeoIP only for a load balancer's name (building the table takes a moment).
    const steered = lookup(zoneSet, name, type).balancer !== undefined;
    const geo = !steered ? null : values["geoip-mmdb"] !== undefined ? await mmdb(values["geoip-mmdb"]) : geoipLite();
    // Operator overrides in force now (drain, up, down) count, as in the server.
    const table = new HealthTable();
    const overrides = new OverrideManager(table);
    for (const e of overrides.load(path.join(zones, "_overrides.json"), load.balancing)) process.stderr.write(`${formatError(e)}\n`);
    const active = overrides.active();
    overrides.stop(); // no timers left running; what was in force stays in the table
    table.setOverrides(active);
    result = explainQuery({ name, type, client: values.client!, ecs }, {
      zones: zoneSet, balancing: load.balancing, health: (b) => table.view(b), locator: locatorFor(geo), healthNote: LOCAL_HEALTH,
    });
  }
  process.stdout.write(values.json ? explainJson(result) + "\n" : formatExplain(result));
  return 0;
}

/** GET /api/v1/explain of a running server; a message (not a throw) when that fails. */
async function fromServer(base: string, q: { name: string; type: string; client: string; ecs: string | undefined }): Promise<ExplainResult | string> {
  let url: URL;
  try {
    url = new URL("/api/v1/explain", base);
  } catch {
    throw new UsageError(`--server ${JSON.stringify(base)}: expected a URL such as http://127.0.0.1:8053`);
  }
  url.searchParams.set("name", q.name);
  url.searchParams.set("type", q.type);
  url.searchParams.set("client", q.client);
  if (q.ecs !== undefined) url.searchParams.set("ecs", q.ecs);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return `cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`;
  }
  const text = await res.text();
  let body: unknown;
  try { body = JSON.parse(text); } catch { return `${url.origin} answered ${res.status} without JSON (is it gslb's status API?)`; }
  if (!res.ok) return `${url.origin} answered ${res.status}: ${(body as { error?: string }).error ?? text}`;
  return body as ExplainResult;
}
