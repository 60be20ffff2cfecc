// gslb explain: what the server would answer a client for a name, and why. It runs the same
// steer() the server runs; the explanation printed is the object query logs carry.

import { formatError } from "../problems/problems.js";
import { loadZoneDir } from "../config/load.js";
import { geoipLite, mmdb } from "../locate/geoip.js";
import { Locator } from "../locate/locate.js";
import { regionName } from "../locate/regions.js";
import path from "node:path";
import { OverrideManager } from "../health/overrides.js";
import { HealthTable } from "../health/table.js";
import { steer, type Explanation } from "../balancing/steer.js";
import { RRType, typeName } from "../wire/constants.js";
import { parseIPv4, parseIPv6, formatIPv4, formatIPv6 } from "../wire/ip.js";
import { masked } from "../locate/networks.js";
import type { ClientSubnet, ResourceRecord } from "../wire/types.js";
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
  --json               print the explanation object
  -h, --help           this text

Health: explain runs no monitors; origins not yet checked count as up, as at a
server's cold start. Overrides in the zone directory's _overrides.json count.
`;

export async function explain(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    type: { type: "string", default: "A" },
    client: { type: "string", default: "127.0.0.1" },
    ecs: { type: "string" },
    zones: { type: "string", default: "./zones" },
    "geoip-mmdb": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, true);
  if (values.help) { process.stdout.write(EXPLAIN_HELP); return 0; }
  if (positionals.length !== 1) throw new UsageError("give one NAME");
  const name = positionals[0]!.replace(/\.$/, "").toLowerCase();
  const type = (RRType as Record<string, number>)[values.type!.toUpperCase()];
  if (type === undefined) throw new UsageError(`--type ${JSON.stringify(values.type)}: unknown type`);
  if (parseIPv4(values.client!) === null && parseIPv6(values.client!) === null) throw new UsageError(`--client ${JSON.stringify(values.client)}: not an IP address`);
  const ecs = values.ecs === undefined ? null : parseSubnet(values.ecs);

  const load = loadZoneDir(values.zones!);
  for (const e of load.errors) process.stderr.write(`${formatError(e)}\n`);
  const result = lookup(new ZoneSet(load.zones), name, type);
  const out: string[] = [`query      ${name} ${typeName(type)}`];
  if (result.balancer === undefined) {
    out.push(`answer     static: rcode ${result.rcode}${result.aa ? ", authoritative" : ""}`);
    for (const r of [...result.answers, ...result.authorities]) out.push(`           ${formatRecord(r)}`);
    process.stdout.write(out.join("\n") + "\n");
    return 0;
  }
  const { name: lbName, owner, zone, family } = result.balancer;
  const balancing = load.balancing.get(zone.origin)!;
  const geo = values["geoip-mmdb"] !== undefined ? await mmdb(values["geoip-mmdb"]) : geoipLite();
  // Operator overrides in force now (drain, up, down) count, as in the server.
  const table = new HealthTable();
  const overrides = new OverrideManager(table);
  for (const e of overrides.load(path.join(values.zones!, "_overrides.json"), load.balancing)) process.stderr.write(`${formatError(e)}\n`);
  const active = overrides.active();
  overrides.stop(); // no timers left running; what was in force stays in the table
  table.setOverrides(active);
  const { records, explanation } = steer(balancing, lbName, { family, qname: name, owner, resolver: values.client!, ecs }, {
    health: table.view(balancing), locator: new Locator(balancing.networks, geo), random: Math.random,
  });
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...explanation, answers: [...result.answers, ...records] }, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v), 2) + "\n");
    return 0;
  }
  out.push(...describe(explanation, values.client!, ecs, family));
  const answers = [...result.answers, ...records];
  out.push(answers.length > 0 ? `answer     ${answers.map(formatRecord).join("\n           ")}` : `answer     NODATA (${explanation.pool.reason}): SOA in authority`);
  out.push(`ecs scope  ${ecs === null ? "(no ECS in the query)" : `/${explanation.scope}`}`);
  out.push("health     explain runs no monitors: origins not yet checked count as up");
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

function describe(e: Explanation, resolver: string, ecs: ClientSubnet | null, family: "A" | "AAAA"): string[] {
  const l = e.location;
  const via = l.via.kind === "network" ? `network ${l.via.cidr}` : l.via.kind === "geoip" ? l.via.provider : "nothing (not located)";
  return [
    `client     ${e.clientAddress}${e.locatedFrom === "ecs" ? `/${ecs!.sourcePrefix} from ECS` : " (the resolver)"}${ecs !== null && e.locatedFrom !== "ecs" ? " (ECS not used: prefer_ecs)" : ""}${e.locatedFrom === "ecs" ? `, resolver ${resolver}` : ""}`,
    `location   ${l.country ?? "-"}${l.subdivision ? `-${l.subdivision}` : ""}, region ${l.region ? `${l.region} (${regionName(l.region)})` : "-"}${l.latitude !== null ? `, ${l.latitude}, ${l.longitude}` : ""}; via ${via}`,
    `rules      ${e.rules.length > 0 ? e.rules.join(", ") : "none matched"}`,
    `policy     ${e.pool.policy}`,
    `pools      ${e.pool.considered.map((c) => `${c.pool} ${c.state === "healthy" ? "healthy" : c.state === "no-family" ? `no healthy ${family} origin` : c.state.toUpperCase()}`).join(", ") || "-"}`,
    `chosen     ${e.pool.pool?.name ?? "none"}: ${e.pool.reason}`,
    `origins    ${e.origins ? `${e.origins.origins.map((o) => `${o.name} ${o.address}`).join(", ") || "none"} (${e.origins.reason})` : "-"}`,
    `ttl        ${e.ttl}`,
  ];
}

function parseSubnet(text: string): ClientSubnet {
  const [addr, len] = text.split("/");
  const v4 = parseIPv4(addr ?? "");
  const bytes = v4 ?? parseIPv6(addr ?? "");
  const bits = v4 !== null ? 32 : 128;
  const prefix = len === undefined ? bits : Number(len);
  if (bytes === null || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) throw new UsageError(`--ecs ${JSON.stringify(text)}: expected ADDRESS/PREFIX, e.g. 198.51.100.0/24`);
  const m = masked(bytes, prefix);
  return { family: v4 !== null ? 1 : 2, sourcePrefix: prefix, scopePrefix: 0, address: v4 !== null ? formatIPv4(m) : formatIPv6(m) };
}

function formatRecord(r: ResourceRecord): string {
  const d = r.data;
  const text = typeof d === "string" ? d : Buffer.isBuffer(d) ? d.toString("hex") : Array.isArray(d) ? d.map((b) => JSON.stringify(b.toString())).join(" ") : Object.values(d as object).map(String).join(" ");
  return `${r.name}. ${r.ttl} ${typeName(r.type)} ${text}`;
}
