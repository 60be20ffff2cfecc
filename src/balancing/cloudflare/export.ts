// A zone file's monitors, pools and load balancers → Cloudflare API payloads, the reverse of
// import.ts. Objects that came from Cloudflare keep their ids, so references use them; the others
// are referenced by name, for the user to replace with the ids Cloudflare returns on creation
// (and `gslb import cloudflare` resolves those names, so export then import gives the file back).
// gslb's own fields are translated where Cloudflare has an equivalent, else reported.

import { formatPath } from "../../problems/problems.js";
import { absoluteOwner, isObject, normalName, slug, type Json, type JsonObject, type Note } from "./import.js";

export interface ExportOptions {
  /** The zone the load balancers live in at Cloudflare, when not the gslb zone: names are re-homed there. */
  readonly cloudflareZone?: string | null;
}

export interface CloudflarePayloads {
  readonly monitors: JsonObject[];
  readonly pools: JsonObject[];
  readonly load_balancers: JsonObject[];
}

export interface ExportResult extends CloudflarePayloads {
  readonly notes: readonly Note[];
}

type Path = (string | number)[];

const QTYPE_NUMBERS: Record<string, number> = { A: 1, AAAA: 28 };

/**
 * gslb's structured rule condition → a Cloudflare expression. Cloudflare's DNS-only rules have no
 * client-country field, so `country` cannot be said; `region` becomes cf.load_balancer.region, the
 * region of the Cloudflare data center answering (near the resolver), an approximation.
 */
export function conditionExpression(c: JsonObject): { text: string; approximate: string[] } | { error: string } {
  const parts: string[] = [];
  const approximate: string[] = [];
  const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  for (const [field, value] of Object.entries(c)) {
    const values = list(value);
    switch (field) {
      case "qtype": {
        const numbers = values.map((t) => QTYPE_NUMBERS[String(t)]);
        if (numbers.some((n) => n === undefined)) return { error: `qtype ${JSON.stringify(value)}: only A and AAAA` };
        parts.push(numbers.length === 1 ? `dns.qry.type == ${numbers[0]}` : `dns.qry.type in {${numbers.join(" ")}}`);
        break;
      }
      case "subnet":
        parts.push(`ip.src in {${values.map(String).join(" ")}}`);
        break;
      case "region":
        parts.push(values.length === 1 ? `cf.load_balancer.region eq ${JSON.stringify(String(values[0]))}` : `cf.load_balancer.region in {${values.map((v) => JSON.stringify(String(v))).join(" ")}}`);
        approximate.push("region: Cloudflare matches the region of its data center that answers (near the resolver), gslb the client's region");
        break;
      case "country":
        return { error: "country: Cloudflare's DNS-only rules cannot see the client's country" };
      default:
        return { error: `${field}: no Cloudflare field for it` };
    }
  }
  return { text: parts.join(" and "), approximate };
}

/** The zone file (raw JSON, already valid) → the API objects Cloudflare's create calls take. */
export function exportCloudflare(zoneFile: JsonObject, options: ExportOptions = {}): ExportResult {
  const zone = normalName(String(zoneFile.zone ?? ""));
  const notes: Note[] = [];
  // A note about the whole export has no path.
  const note = (path: Path, message: string, kind: Note["kind"]) => notes.push({ path: path.length === 0 ? "" : formatPath(path), message, kind });
  const section = (name: string): [string, JsonObject][] =>
    isObject(zoneFile[name]) ? Object.entries(zoneFile[name] as JsonObject).filter((e): e is [string, JsonObject] => isObject(e[1])) : [];

  // What each object is called in references: its Cloudflare id when it has one, else its name.
  const monitorRef = new Map<string, string>();
  const poolRef = new Map<string, string>();
  const byName = { monitors: [] as string[], pools: [] as string[] };

  const monitors: JsonObject[] = section("monitors").map(([key, m]) => {
    const description = typeof m.description === "string" ? m.description : key;
    if (slug(description) !== key) {
      note(["monitors", key], `comes back from Cloudflare as "${slug(description)}" (gslb import names a monitor after its description)`, "translated");
    }
    if (typeof m.id === "string") monitorRef.set(key, m.id);
    else {
      monitorRef.set(key, description);
      byName.monitors.push(key);
    }
    const { description: _d, ...rest } = m;
    return { description, ...rest };
  });

  const pools: JsonObject[] = section("pools").map(([key, p]) => {
    const name = typeof p.name === "string" ? p.name : key;
    if (typeof p.id === "string") poolRef.set(key, p.id);
    else {
      poolRef.set(key, name);
      byName.pools.push(key);
    }
    const { name: _n, ...rest } = p;
    const out: JsonObject = { name, ...rest };
    if (typeof p.monitor === "string") out.monitor = monitorRef.get(p.monitor) ?? p.monitor;
    if (Array.isArray(p.origins)) {
      out.origins = p.origins.map((o, i) => {
        if (!isObject(o) || o.health_address === undefined) return o;
        note(["pools", key, "origins", i, "health_address"], `${JSON.stringify(o.health_address)}: gslb's own (Cloudflare probes the address): not exported`, "dropped");
        const { health_address: _h, ...kept } = o;
        return kept;
      });
    }
    return out;
  });

  const ref = (v: Json): Json => (typeof v === "string" ? poolRef.get(v) ?? v : v);
  const refList = (v: Json): Json => (Array.isArray(v) ? v.map(ref) : v);
  const refMap = (v: Json): Json => (isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, l]) => [k, refList(l)])) : v);
  const refWeights = (v: Json): Json => {
    if (!isObject(v)) return v;
    return { ...v, ...(isObject(v.pool_weights) ? { pool_weights: Object.fromEntries(Object.entries(v.pool_weights).map(([k, w]) => [String(ref(k)), w])) } : {}) };
  };
  /** Load balancer or rule-override fields with pool references, rewritten; the rest as it is. */
  const steering = (o: JsonObject): JsonObject => {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(o)) {
      out[k] = k === "default_pools" ? refList(v)
        : k === "fallback_pool" ? ref(v)
        : k === "region_pools" || k === "country_pools" || k === "pop_pools" ? refMap(v)
        : k === "random_steering" ? refWeights(v)
        : v;
    }
    return out;
  };

  const cfZone = options.cloudflareZone ? normalName(options.cloudflareZone) : null;
  const load_balancers: JsonObject[] = [];
  for (const [key, lb] of section("load_balancers")) {
    const path: Path = ["load_balancers", key];
    const owner = absoluteOwner(key, zone);
    if (owner !== zone && !owner.endsWith(`.${zone}`)) {
      note(path, `${owner} is outside the zone ${zone}: not exported`, "skipped");
      continue;
    }
    const relative = owner === zone ? "" : owner.slice(0, -zone.length - 1);
    const base = cfZone ?? zone;
    const out: JsonObject = { name: relative === "" ? base : `${relative}.${base}`, ...steering(lb) };
    delete out.max_answers;
    if (lb.max_answers !== undefined) note([...path, "max_answers"], `${JSON.stringify(lb.max_answers)}: gslb's own (Cloudflare has no such setting): not exported`, "dropped");
    if (Array.isArray(lb.rules)) {
      const rules: Json[] = [];
      lb.rules.forEach((r, i) => {
        if (!isObject(r)) return void rules.push(r);
        const at: Path = [...path, "rules", i];
        const rule: JsonObject = { ...r };
        if (isObject(r.condition)) {
          const expr = conditionExpression(r.condition);
          if ("error" in expr) {
            note([...at, "condition"], `${expr.error}: rule ${JSON.stringify(r.name ?? i)} not exported`, "dropped");
            return;
          }
          rule.condition = expr.text;
          note([...at, "condition"], `${JSON.stringify(r.condition)} → ${JSON.stringify(expr.text)}`, "translated");
          for (const a of expr.approximate) note([...at, "condition"], `approximate: ${a}`, "translated");
        }
        if (isObject(r.overrides)) rule.overrides = steering(r.overrides);
        rules.push(rule);
      });
      out.rules = rules;
    }
    load_balancers.push(out);
  }

  if (isObject(zoneFile.networks) && Object.keys(zoneFile.networks).length > 0) {
    note(["networks"], `${Object.keys(zoneFile.networks).length} networks: gslb's own (Cloudflare locates clients by GeoIP alone): not exported`, "dropped");
  }
  if (byName.monitors.length + byName.pools.length > 0) {
    const which = [byName.monitors.length ? `monitors ${byName.monitors.join(", ")}` : "", byName.pools.length ? `pools ${byName.pools.join(", ")}` : ""].filter(Boolean).join("; ");
    note([], `not yet at Cloudflare (no id): ${which}. Create the monitors, then the pools, then the load balancers, replacing each reference to one of these by name with the id Cloudflare returns`, "input");
  }
  return { monitors, pools, load_balancers, notes };
}
