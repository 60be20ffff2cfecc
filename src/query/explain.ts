// What a client would get for a name, and why: the zone lookup, then for a load balancer's name the
// same steer() the server runs, with whatever health and overrides the caller has (none: `gslb
// explain`; the live table: the status API's /api/v1/explain, which `gslb explain --server`
// prints). One result object (JSON as it is), one text form, for both.

import type { Balancing, HealthView } from "../balancing/model.js";
import { steer, type Explanation } from "../balancing/steer.js";
import type { GeoProvider } from "../locate/geoip.js";
import { Locator } from "../locate/locate.js";
import { masked } from "../locate/networks.js";
import { regionName } from "../locate/regions.js";
import { RRType, typeName } from "../wire/constants.js";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../wire/ip.js";
import type { ClientSubnet, ResourceRecord } from "../wire/types.js";
import { lookup } from "../zone/lookup.js";
import type { ZoneSet } from "../zone/zoneset.js";

export interface ExplainQuery {
  /** Lower case, no trailing dot. */
  readonly name: string;
  readonly type: number;
  /** The resolver's address. */
  readonly client: string;
  readonly ecs: ClientSubnet | null;
}

/** A record as text: what `dig` would show, split into fields. */
export interface RecordText {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  readonly data: string;
}

/**
 * The decision: for a load balancer's name, the explanation's fields (the object query logs
 * carry) at the top level; for any other name, the static answer's rcode. Plus the query as asked,
 * the records, and where health came from.
 */
export type ExplainResult = Partial<Explanation> & {
  readonly query: { readonly name: string; readonly type: string; readonly client: string; readonly ecs: string | null };
  /** "balancer": steered (the explanation's fields are set); "static": the zone's own records. */
  readonly kind: "balancer" | "static";
  /** For a load balancer: the address family steered (ANY steers A). */
  readonly family?: "A" | "AAAA";
  readonly rcode: number;
  readonly aa: boolean;
  readonly answers: RecordText[];
  readonly authorities: RecordText[];
  /** Where the health steering read came from, one line. */
  readonly health: string;
};

export interface ExplainContext {
  readonly zones: ZoneSet;
  readonly balancing: ReadonlyMap<string, Balancing>;
  readonly health: (b: Balancing) => HealthView;
  readonly locator: (b: Balancing) => Locator;
  /** The health line of the result. */
  readonly healthNote: string;
}

export function explainQuery(q: ExplainQuery, ctx: ExplainContext): ExplainResult {
  const result = lookup(ctx.zones, q.name, q.type);
  const query = { name: q.name, type: typeName(q.type), client: q.client, ecs: q.ecs === null ? null : `${q.ecs.address}/${q.ecs.sourcePrefix}` };
  if (result.balancer === undefined) {
    return { query, kind: "static", rcode: result.rcode, aa: result.aa, answers: result.answers.map(recordText), authorities: result.authorities.map(recordText), health: ctx.healthNote };
  }
  const { name: lbName, owner, zone, family } = result.balancer;
  const balancing = ctx.balancing.get(zone.origin)!;
  const { records, explanation } = steer(balancing, lbName, { family, qname: q.name, owner, resolver: q.client, ecs: q.ecs }, {
    health: ctx.health(balancing), locator: ctx.locator(balancing), random: Math.random,
  });
  const answers = [...result.answers, ...records];
  return {
    ...explanation, query, kind: "balancer", family, rcode: result.rcode, aa: result.aa,
    answers: answers.map(recordText), authorities: answers.length > 0 ? [] : [recordText(zone.negativeSoa)], health: ctx.healthNote,
  };
}

/** A new Locator per call is what `gslb explain` needs; a server keeps one per Balancing. */
export function locatorFor(geo: GeoProvider | null): (b: Balancing) => Locator {
  const made = new WeakMap<Balancing, Locator>();
  return (b) => {
    let l = made.get(b);
    if (l === undefined) made.set(b, (l = new Locator(b.networks, geo)));
    return l;
  };
}

/** JSON of a result: Maps (region and country pool maps in the settings) as objects. */
export function explainJson(r: ExplainResult): string {
  return JSON.stringify(r, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v), 2);
}

/** The text `gslb explain` prints, from the result alone (so a server's result prints the same). */
export function formatExplain(r: ExplainResult): string {
  const out: string[] = [`query      ${r.query.name} ${r.query.type}`];
  if (r.kind === "static") {
    out.push(`answer     static: rcode ${r.rcode}${r.aa ? ", authoritative" : ""}`);
    for (const rec of [...r.answers, ...r.authorities]) out.push(`           ${formatRecord(rec)}`);
    return out.join("\n") + "\n";
  }
  const e = r as Explanation & ExplainResult;
  const ecsPrefix = r.query.ecs === null ? null : r.query.ecs.split("/")[1];
  const l = e.location;
  const via = l.via.kind === "network" ? `network ${l.via.cidr}` : l.via.kind === "geoip" ? l.via.provider : "nothing (not located)";
  out.push(
    `client     ${e.clientAddress}${e.locatedFrom === "ecs" ? `/${ecsPrefix} from ECS` : " (the resolver)"}${r.query.ecs !== null && e.locatedFrom !== "ecs" ? " (ECS not used: prefer_ecs)" : ""}${e.locatedFrom === "ecs" ? `, resolver ${r.query.client}` : ""}`,
    `location   ${l.country ?? "-"}${l.subdivision ? `-${l.subdivision}` : ""}, region ${l.region ? `${l.region} (${regionName(l.region)})` : "-"}${l.latitude !== null ? `, ${l.latitude}, ${l.longitude}` : ""}; via ${via}`,
    `rules      ${e.rules.length > 0 ? e.rules.join(", ") : "none matched"}`,
    `policy     ${e.pool.policy}`,
    `pools      ${e.pool.considered.map((c) => `${c.pool} ${c.state === "healthy" ? "healthy" : c.state === "no-family" ? `no healthy ${r.family ?? r.query.type} origin` : c.state.toUpperCase()}`).join(", ") || "-"}`,
    `chosen     ${e.pool.pool?.name ?? "none"}: ${e.pool.reason}`,
    `origins    ${e.origins ? `${e.origins.origins.map((o) => `${o.name} ${o.address}`).join(", ") || "none"} (${e.origins.reason})` : "-"}`,
    `ttl        ${e.ttl}`,
  );
  out.push(r.answers.length > 0 ? `answer     ${r.answers.map(formatRecord).join("\n           ")}` : `answer     NODATA (${e.pool.reason}): SOA in authority`);
  out.push(`ecs scope  ${r.query.ecs === null ? "(no ECS in the query)" : `/${e.scope}`}`);
  out.push(`health     ${r.health}`);
  return out.join("\n") + "\n";
}

/** "A" or "AAAA" or any type name → its code; undefined for an unknown name. */
export function typeCode(text: string): number | undefined {
  return (RRType as Record<string, number>)[text.toUpperCase()];
}

/** "198.51.100.0/24" → a client subnet (masked), or a message saying what is wrong. */
export function parseSubnet(text: string): ClientSubnet | string {
  const [addr, len] = text.split("/");
  const v4 = parseIPv4(addr ?? "");
  const bytes = v4 ?? parseIPv6(addr ?? "");
  const bits = v4 !== null ? 32 : 128;
  const prefix = len === undefined ? bits : Number(len);
  if (bytes === null || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) return "expected ADDRESS/PREFIX, e.g. 198.51.100.0/24";
  const m = masked(bytes, prefix);
  return { family: v4 !== null ? 1 : 2, sourcePrefix: prefix, scopePrefix: 0, address: v4 !== null ? formatIPv4(m) : formatIPv6(m) };
}

function recordText(r: ResourceRecord): RecordText {
  const d = r.data;
  const data = typeof d === "string" ? d : Buffer.isBuffer(d) ? d.toString("hex") : Array.isArray(d) ? d.map((b) => JSON.stringify(b.toString())).join(" ") : Object.values(d as object).map(String).join(" ");
  return { name: r.name, ttl: r.ttl, type: typeName(r.type), data };
}

function formatRecord(r: RecordText): string {
  return `${r.name}. ${r.ttl} ${r.type} ${r.data}`;
}
