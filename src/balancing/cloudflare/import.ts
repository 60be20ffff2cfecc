// Cloudflare Load Balancing API JSON → the monitors, pools and load_balancers of a gslb zone file.
//
// Zone files take Cloudflare's objects as they are, keyed by name, so the work here is what differs
// between an API and a file: ids become keys, references by id become references by key, a
// hostname becomes an owner name, and fields a DNS-only server cannot honour are dropped or kept
// with a word on why. Every such field is reported with its path; nothing changes silently.
// Pure functions only: reading files, validating and writing are the CLI's (src/cli/import.ts).

import { formatPath } from "../../problems/problems.js";
import { parseExpression } from "../expression.js";

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject { [key: string]: Json }

/** One line of the report: `path: message`. */
export interface Note {
  readonly path: string;
  readonly message: string;
  /** For the summary counts. */
  readonly kind: "translated" | "dropped" | "kept" | "skipped" | "unresolved" | "replaced" | "input";
}

export type Kind = "monitor" | "pool" | "load_balancer";

/** A rule condition checker: null when the condition is usable, else why not and where. */
export type ConditionCheck = (text: string) => { message: string; offset?: number } | null;

export interface ImportOptions {
  /** The gslb zone the load balancers go into (lb.example.com). */
  readonly zone: string;
  /** The zone the hostnames have at Cloudflare, when not `zone`: its names are re-homed under `zone`. */
  readonly cloudflareZone?: string | null;
  /** Explicit Cloudflare id → key, for references to objects not in the inputs. */
  readonly map?: ReadonlyMap<string, string>;
  /** The zone file merged into (raw JSON): its objects' ids and keys resolve references too. */
  readonly existing?: JsonObject | null;
  /** Default: the rule evaluator's parser (checkCondition). */
  readonly checkCondition?: ConditionCheck;
}

export interface ImportResult {
  readonly monitors: JsonObject;
  readonly pools: JsonObject;
  readonly load_balancers: JsonObject;
  readonly notes: readonly Note[];
  /** Lines said once rather than per field (descriptive fields, nulls, counts). */
  readonly summary: readonly string[];
}

export interface InputDocument {
  readonly file: string;
  readonly text: string;
}

// ------------------------------------------------------------------------------------ helpers

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** A name as compared: lower case, no trailing dot. */
export const normalName = (name: string): string => name.trim().toLowerCase().replace(/\.$/, "");

/** A monitor key from its description: lower case, runs of other characters as one "-". */
export const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9_]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");

/** A pool key from its name: Cloudflare allows letters, digits, "-" and "_"; anything else becomes "-". */
const poolKeyOf = (name: string): string => name.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");

const short = (v: Json): string => {
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** A value that asks for nothing (Cloudflare's "not set" forms): not worth a "no effect" line. */
function inert(v: Json | undefined): boolean {
  if (v === null || v === undefined || v === false || v === "" || v === "none" || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.values(v).every(inert);
  return false;
}

/** The owner name (relative to `zone`) of a Cloudflare hostname, or null when it is outside. */
export function ownerOf(hostname: string, zone: string, cloudflareZone?: string | null): string | null {
  const h = normalName(hostname);
  for (const base of cloudflareZone ? [normalName(cloudflareZone), zone] : [zone]) {
    if (h === base) return "@";
    if (h.endsWith(`.${base}`)) return h.slice(0, -base.length - 1);
  }
  return null;
}

/** The absolute name of a zone-file owner key ("www", "@", "www.lb.example.com."). */
export function absoluteOwner(key: string, zone: string): string {
  if (key === "@") return zone;
  if (key.endsWith(".")) return normalName(key);
  return normalName(`${key}.${zone}`);
}

// ------------------------------------------------------------------------------------ conditions

/**
 * A rule condition as the rule evaluator would take it: its parser knows which fields exist for
 * DNS-only load balancers and says so when a rule uses a proxied-only one (http.request.uri.path).
 */
export const checkCondition: ConditionCheck = (text) => {
  const r = parseExpression(text);
  return r.ok ? null : { message: r.message, offset: r.offset };
};

// ------------------------------------------------------------------------------------ reading

interface Found {
  readonly kind: Kind;
  readonly obj: JsonObject;
  /** Where it came from, for messages about the input: "lbs.json: result[1]". */
  readonly from: string;
}

const LB_MARKS = ["default_pools", "fallback_pool", "region_pools", "country_pools", "pop_pools", "steering_policy", "proxied",
  "session_affinity", "rules", "zone_name", "random_steering", "location_strategy", "adaptive_routing", "pool_sets", "ttl"];
const MONITOR_MARKS = ["type", "expected_codes", "expected_body", "interval", "timeout", "retries", "consecutive_up",
  "consecutive_down", "path", "method", "probe_zone", "follow_redirects", "allow_insecure", "header"];

function classify(o: JsonObject): Kind | "monitor_group" | null {
  if ("origins" in o) return "pool";
  if (Array.isArray(o.members) && !("type" in o)) return "monitor_group";
  if (LB_MARKS.some((k) => k in o)) return "load_balancer";
  if (MONITOR_MARKS.some((k) => k in o)) return "monitor";
  return null;
}

const BUNDLE_KEYS = { monitors: "monitor", pools: "pool", load_balancers: "load_balancer" } as const;

/** Every Cloudflare object in one document: envelopes unwrapped, arrays walked, kinds told apart. */
function collect(doc: InputDocument, notes: Note[]): Found[] {
  let json: Json;
  try {
    json = JSON.parse(doc.text) as Json;
  } catch (err) {
    notes.push({ path: doc.file, message: `not JSON (${(err as Error).message}): skipped`, kind: "input" });
    return [];
  }
  const out: Found[] = [];
  const where = (p: (string | number)[]) => (p.length === 0 ? doc.file : `${doc.file}: ${formatPath(p)}`);
  const visit = (v: Json, p: (string | number)[], kind: Kind | null): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, [...p, i], kind));
      return;
    }
    if (!isObject(v)) {
      notes.push({ path: where(p), message: `${short(v)} is not a Cloudflare object: skipped`, kind: "skipped" });
      return;
    }
    if (kind === null && "result" in v && ("success" in v || "errors" in v || "messages" in v)) {
      // The API's envelope: {"result": ..., "success": true, "errors": [], "messages": [], "result_info": ...}.
      if (v.success === false) {
        const errors = Array.isArray(v.errors) ? v.errors.map((e) => (isObject(e) ? `${e.code ?? ""} ${e.message ?? ""}`.trim() : short(e))) : [];
        notes.push({ path: where(p), message: `a failed API response (success: false${errors.length ? `: ${errors.join("; ")}` : ""}): skipped`, kind: "input" });
        return;
      }
      const info = v.result_info;
      if (isObject(info) && typeof info.page === "number" && typeof info.total_pages === "number" && info.page < info.total_pages) {
        notes.push({ path: where(p), message: `page ${info.page} of ${info.total_pages}: the other pages are not in this file (list with per_page, or give every page)`, kind: "input" });
      }
      visit(v.result, [...p, "result"], null);
      return;
    }
    if (kind === null && Object.keys(BUNDLE_KEYS).some((k) => Array.isArray(v[k]))) {
      // `gslb export cloudflare` output: {"monitors": [...], "pools": [...], "load_balancers": [...]}.
      for (const [k, kk] of Object.entries(BUNDLE_KEYS)) if (v[k] !== undefined) visit(v[k]!, [...p, k], kk);
      return;
    }
    if (kind === null && "zone" in v && "soa" in v) {
      notes.push({ path: where(p), message: "a gslb zone file, not Cloudflare's JSON: skipped", kind: "skipped" });
      return;
    }
    const k = kind ?? classify(v);
    if (k === "monitor_group") {
      notes.push({ path: where(p), message: "a monitor group: gslb has none (attach one monitor to a pool): skipped", kind: "skipped" });
      return;
    }
    if (k === null) {
      notes.push({ path: where(p), message: "not a load balancer, pool or monitor (none of their fields): skipped", kind: "skipped" });
      return;
    }
    out.push({ kind: k, obj: v, from: where(p) });
  };
  visit(json, [], null);
  return out;
}

/** The same object (same id) given twice: keep the last, in the first one's place. */
function dedupe(found: Found[], notes: Note[]): Found[] {
  const byId = new Map<string, number>();
  const out: Found[] = [];
  for (const f of found) {
    const id = typeof f.obj.id === "string" ? `${f.kind}/${f.obj.id}` : null;
    const at = id === null ? undefined : byId.get(id);
    if (at === undefined) {
      if (id !== null) byId.set(id, out.length);
      out.push(f);
      continue;
    }
    notes.push({ path: out[at]!.from, message: `${f.kind.replace("_", " ")} id ${f.obj.id} is given again in ${f.from}: the later one is used`, kind: "input" });
    out[at] = f;
  }
  return out;
}

// ------------------------------------------------------------------------------------ field tables

/** What happens to a field: kept, kept as descriptive, kept without effect (why), dropped (why), or handled by code. */
type Rule = "keep" | "describe" | "custom" | { inert: string } | { drop: string };

const DESCRIBE: Rule = "describe";
const NO_DNS_EFFECT = { inert: "no effect in DNS-only mode" };

const MONITOR_FIELDS: Record<string, Rule> = {
  type: "keep", description: "custom", method: "keep", path: "keep", header: "keep", port: "keep", timeout: "keep",
  retries: "keep", interval: "keep", expected_codes: "keep", expected_body: "keep", follow_redirects: "keep",
  allow_insecure: "keep", consecutive_up: "keep", consecutive_down: "keep",
  probe_zone: { inert: "no effect: gslb probes as itself, not as a Cloudflare zone" },
  id: DESCRIBE, created_on: DESCRIBE, modified_on: DESCRIBE,
};

const POOL_FIELDS: Record<string, Rule> = {
  origins: "custom", minimum_origins: "keep", monitor: "custom", latitude: "keep", longitude: "keep", origin_steering: "keep",
  enabled: "keep", description: "keep", name: "custom",
  id: DESCRIBE, created_on: DESCRIBE, modified_on: DESCRIBE, disabled_at: DESCRIBE, healthy: DESCRIBE,
  notification_email: { inert: "no effect: gslb sends no e-mail (its webhooks are told of state changes: notifications.webhooks, gslb serve --webhook)" },
  // Applied to gslb's webhooks (src/notify/), with Cloudflare's meaning.
  notification_filter: "keep",
  // With several instances (gslb serve --etcd --region), only those regions vote.
  check_regions: "keep",
  load_shedding: { inert: "no effect: gslb does not shed load" },
  monitor_group: { inert: "no effect: gslb has no monitor groups (attach one monitor with monitor)" },
  health_sources: { inert: "no effect: gslb keeps one health state per origin" },
  networks: { inert: "no effect: Cloudflare's network selection" },
};

const ORIGIN_FIELDS: Record<string, Rule> = {
  name: "keep", address: "keep", enabled: "keep", weight: "keep", header: "keep", health_address: "keep",
  port: { inert: "no effect: a DNS answer carries no port (the monitor's port is probed)" },
  virtual_network_id: { inert: "no effect: gslb answers the address as it is" },
  disabled_at: DESCRIBE,
  flatten_cname: "custom",
};

const LB_FIELDS: Record<string, Rule> = {
  name: "custom", default_pools: "custom", fallback_pool: "custom", region_pools: "custom", country_pools: "custom",
  pop_pools: "custom", random_steering: "custom", rules: "custom", proxied: "custom",
  steering_policy: "keep", location_strategy: "keep", ttl: "keep", enabled: "keep", description: "keep", max_answers: "keep",
  session_affinity: NO_DNS_EFFECT, session_affinity_ttl: NO_DNS_EFFECT, session_affinity_attributes: NO_DNS_EFFECT,
  adaptive_routing: NO_DNS_EFFECT,
  id: DESCRIBE, created_on: DESCRIBE, modified_on: DESCRIBE, zone_name: DESCRIBE,
  networks: { inert: "no effect: Cloudflare's network selection" },
  pool_sets: "custom",
};

const RULE_FIELDS: Record<string, Rule> = {
  name: "keep", condition: "custom", overrides: "custom", terminates: "keep", priority: "keep", disabled: "keep",
  fixed_response: { inert: "an HTTP response: proxied load balancers only" },
};

const OVERRIDE_FIELDS: Record<string, Rule> = {
  default_pools: "custom", fallback_pool: "custom", region_pools: "custom", country_pools: "custom", pop_pools: "custom",
  random_steering: "custom", pool_weights: "custom", pool_default_weight: "custom",
  steering_policy: "keep", ttl: "keep", location_strategy: "keep",
  session_affinity: NO_DNS_EFFECT, session_affinity_ttl: NO_DNS_EFFECT, session_affinity_attributes: NO_DNS_EFFECT,
  adaptive_routing: NO_DNS_EFFECT,
  pools: { drop: "a pool set's flat pool list: gslb does not replace the topology (use default_pools)" },
};

// ------------------------------------------------------------------------------------ the import

type Path = (string | number)[];

interface Keyed { readonly found: Found; readonly key: string }

/**
 * Cloudflare objects from any number of documents → keyed zone-file sections, with a note for
 * every field dropped or translated. Never throws on bad input: what it cannot use it reports.
 */
export function importCloudflare(docs: readonly InputDocument[], options: ImportOptions): ImportResult {
  const zone = normalName(options.zone);
  const notes: Note[] = [];
  const note = (path: Path | string, message: string, kind: Note["kind"]) => notes.push({ path: typeof path === "string" ? path : formatPath(path), message, kind });
  const described = new Map<string, number>();
  let nulls = 0;

  const found = dedupe(docs.flatMap((d) => collect(d, notes)), notes);
  const ofKind = (k: Kind) => found.filter((f) => f.kind === k);

  // Keys first, so references can be resolved whatever order the inputs came in.
  const taken = { monitor: new Set<string>(), pool: new Set<string>() };
  const unique = (kind: "monitor" | "pool", base: string) => {
    let key = base;
    for (let n = 2; taken[kind].has(key); n++) key = `${base}-${n}`;
    taken[kind].add(key);
    return key;
  };
  const keyNotes: [Path, string][] = [];
  const monitors: Keyed[] = ofKind("monitor").map((f) => {
    const { description, id } = f.obj;
    const fromDescription = typeof description === "string" ? slug(description) : "";
    const base = fromDescription !== "" ? fromDescription : typeof id === "string" && id !== "" ? id : "monitor";
    const key = unique("monitor", base);
    const why = fromDescription !== "" ? `from its description ${JSON.stringify(description)}` : typeof id === "string" && id !== "" ? `from its id (it has no description)` : "made up: it has neither description nor id";
    keyNotes.push([["monitors", key], `key ${why}${key !== base ? ` ("${base}" was taken)` : ""}`]);
    return { found: f, key };
  });
  const pools: Keyed[] = ofKind("pool").map((f) => {
    const { name, id } = f.obj;
    const valid = typeof name === "string" ? poolKeyOf(name) : "";
    const base = valid !== "" ? valid : typeof id === "string" && id !== "" ? id : "pool";
    const key = unique("pool", base);
    if (typeof name !== "string" || name === "") keyNotes.push([["pools", key], `key ${typeof id === "string" ? "from its id (it has no name)" : "made up: it has neither name nor id"}`]);
    else if (key !== name) keyNotes.push([["pools", key], `key from its name ${JSON.stringify(name)}, ${key !== base ? `which another pool has` : "made valid (letters, digits, - and _)"}`]);
    return { found: f, key };
  });
  for (const [p, m] of keyNotes) note(p, m, "translated");

  // Reference resolution: --map, ids of the inputs, ids of the existing file, then names (what
  // `gslb export cloudflare` writes for objects that have no id).
  const index = (kind: "monitor" | "pool", keyed: Keyed[], section: "monitors" | "pools") => {
    const byId = new Map<string, string>();
    const byName = new Map<string, string>();
    const existingById = new Map<string, string>();
    const existingKeys = new Set<string>();
    for (const { found: f, key } of keyed) {
      if (typeof f.obj.id === "string") byId.set(f.obj.id, key);
      const name = kind === "monitor" ? f.obj.description : f.obj.name;
      if (typeof name === "string" && !byName.has(name)) byName.set(name, key);
      byName.set(key, key);
    }
    const existing = options.existing?.[section];
    if (isObject(existing)) {
      for (const [key, o] of Object.entries(existing)) {
        existingKeys.add(key);
        if (isObject(o) && typeof o.id === "string") existingById.set(o.id, key);
      }
    }
    return { byId, byName, existingById, existingKeys };
  };
  const indexes = { monitor: index("monitor", monitors, "monitors"), pool: index("pool", pools, "pools") };
  const resolve = (kind: "monitor" | "pool", ref: Json, path: Path): Json => {
    if (typeof ref !== "string") return ref;
    const ix = indexes[kind];
    const mapped = options.map?.get(ref);
    const hit: [string, string] | null =
      mapped !== undefined ? [mapped, " (--map)"]
      : ix.byId.has(ref) ? [ix.byId.get(ref)!, ""]
      : ix.existingById.has(ref) ? [ix.existingById.get(ref)!, ` (the id of the zone file's ${kind} "${ix.existingById.get(ref)}")`]
      : ix.byName.has(ref) ? [ix.byName.get(ref)!, " (by name)"]
      : ix.existingKeys.has(ref) ? [ref, ""]
      : null;
    if (hit === null) {
      note(path, `${kind} id ${ref} is not in the inputs: left as it is (import that ${kind} too, or --map ${ref}=KEY)`, "unresolved");
      return ref;
    }
    if (hit[0] !== ref) note(path, `${ix.byId.has(ref) || mapped !== undefined || ix.existingById.has(ref) ? "id " : ""}${ref} → "${hit[0]}"${hit[1]}`, "translated");
    return hit[0];
  };
  const poolList = (v: Json, path: Path): Json => {
    if (!Array.isArray(v)) return v;
    const out: Json[] = [];
    v.forEach((ref, i) => {
      const key = resolve("pool", ref, [...path, i]);
      if (out.includes(key)) note([...path, i], `${JSON.stringify(key)} is already in this list: left out`, "dropped");
      else out.push(key);
    });
    return out;
  };
  const poolMap = (v: Json, path: Path): Json => {
    if (!isObject(v)) return v;
    const out: JsonObject = {};
    for (const [k, list] of Object.entries(v)) out[k] = poolList(list, [...path, k]);
    return out;
  };
  const weights = (v: Json, path: Path): Json => {
    if (!isObject(v)) return v;
    const out: JsonObject = {};
    for (const [ref, w] of Object.entries(v)) {
      const key = resolve("pool", ref, [...path, ref]);
      if (typeof key === "string" && key in out) note([...path, ref], `a second weight for ${JSON.stringify(key)}: left out`, "dropped");
      else out[String(key)] = w;
    }
    return out;
  };
  const randomSteering = (v: Json, path: Path): Json => {
    if (!isObject(v)) return v;
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === "pool_weights" ? weights(x, [...path, k]) : x;
    return out;
  };

  /** Copy `obj` by `table`; `custom` fields go to `handle`, which sets what it wants in `out`. */
  const translate = (obj: JsonObject, table: Record<string, Rule>, path: Path, handle: (field: string, value: Json, out: JsonObject) => void): JsonObject => {
    const out: JsonObject = {};
    for (const [field, value] of Object.entries(obj)) {
      const rule = table[field];
      const at = [...path, field];
      if (value === null) {
        nulls++;
        continue;
      }
      if (rule === undefined) note(at, `${short(value)}: not a field gslb knows: dropped`, "dropped");
      else if (rule === "keep") out[field] = value;
      else if (rule === "describe") {
        out[field] = value;
        described.set(field, (described.get(field) ?? 0) + 1);
      } else if (rule === "custom") handle(field, value, out);
      else if ("inert" in rule) {
        out[field] = value;
        if (!inert(value)) note(at, `kept; ${rule.inert}`, "kept");
      } else note(at, `${short(value)}: dropped: ${rule.drop}`, "dropped");
    }
    return out;
  };

  // ---- monitors
  const outMonitors: JsonObject = {};
  for (const { found: f, key } of monitors) {
    const path: Path = ["monitors", key];
    outMonitors[key] = translate(f.obj, MONITOR_FIELDS, path, (field, value, out) => {
      // A description that is the key says nothing more (and keeps export → import exact).
      if (field === "description" && value !== key) out[field] = value;
    });
  }

  // ---- pools
  const outPools: JsonObject = {};
  for (const { found: f, key } of pools) {
    const path: Path = ["pools", key];
    outPools[key] = translate(f.obj, POOL_FIELDS, path, (field, value, out) => {
      if (field === "name") {
        // The key is the name; a name that had to change is kept, so export gives Cloudflare's back.
        if (value !== key) out.name = value;
      } else if (field === "monitor") out.monitor = resolve("monitor", value, [...path, "monitor"]);
      else if (field === "origins") out.origins = origins(value, [...path, "origins"]);
    });
  }

  function origins(v: Json, path: Path): Json {
    if (!Array.isArray(v)) return v;
    const out: Json[] = [];
    const names = new Set<string>();
    v.forEach((o, i) => {
      const at: Path = [...path, i];
      if (!isObject(o) || typeof o.address !== "string" || o.address === "") {
        note(at, `${short(o)}: an origin without an address: dropped`, "dropped");
        return;
      }
      const origin = translate(o, ORIGIN_FIELDS, at, (field, value, out) => {
        if (field !== "flatten_cname") return;
        out[field] = value;
        const ip = /^[0-9.]+$/.test(String(o.address)) || String(o.address).includes(":");
        if (ip) note([...at, field], "kept; no effect for an IP address", "kept");
        else if (value !== false) note([...at, field], "kept; no effect: gslb answers a host-name origin with a CNAME (as flatten_cname: false)", "kept");
      });
      if (typeof origin.name !== "string" || origin.name === "") {
        // Cloudflare's origin name is optional, a zone file's is not: the address names it.
        let name = String(o.address);
        for (let n = 2; names.has(name); n++) name = `${o.address}-${n}`;
        note([...at, "name"], `none: named ${JSON.stringify(name)} after its address`, "translated");
        const { name: _none, ...rest } = origin;
        out.push({ name, ...rest });
        names.add(name);
      } else {
        names.add(origin.name);
        out.push(origin);
      }
    });
    return out;
  }

  // ---- load balancers
  const outLbs: JsonObject = {};
  const owners = new Map<string, string>();
  for (const f of ofKind("load_balancer")) {
    const host = f.obj.name;
    if (typeof host !== "string" || host === "") {
      note(f.from, "a load balancer without a name (its hostname): skipped", "skipped");
      continue;
    }
    const owner = ownerOf(host, zone, options.cloudflareZone);
    if (owner === null) {
      const cfZone = typeof f.obj.zone_name === "string" ? normalName(f.obj.zone_name) : null;
      const hint = cfZone !== null && cfZone !== zone && ownerOf(host, zone, cfZone) !== null ? ` (its Cloudflare zone is ${cfZone}: --cloudflare-zone ${cfZone} puts it under ${zone})` : "";
      note(["load_balancers", normalName(host), "name"], `${normalName(host)} is outside the zone ${zone}: skipped${hint}`, "skipped");
      continue;
    }
    const path: Path = ["load_balancers", owner];
    const other = owners.get(owner);
    if (other !== undefined) note(path, `${normalName(host)} again (in ${f.from}, first in ${other}): the later one is used`, "input");
    owners.set(owner, f.from);
    note([...path, "name"], `${normalName(host)} → the owner ${JSON.stringify(owner)} of ${zone}`, "translated");
    outLbs[owner] = translate(f.obj, LB_FIELDS, path, (field, value, out) => {
      const at = [...path, field];
      if (steeringField(field, value, out, at)) return;
      switch (field) {
        case "name": return;
        case "proxied":
          if (value === true) note(at, "true: dropped: gslb answers DNS only, so this load balancer answers with its origins' addresses (as proxied: false)", "dropped");
          else out[field] = value;
          return;
        case "rules": out[field] = rules(value, at); return;
        case "pool_sets":
          out[field] = poolSets(value, at);
          if (!inert(value)) note(at, "kept; no effect: gslb has no pool sets (write them as rules)", "kept");
          return;
      }
    });
  }

  /** The fields a load balancer and a rule's overrides share, with references to pools: true when `field` is one. */
  function steeringField(field: string, value: Json, out: JsonObject, at: Path): boolean {
    switch (field) {
      case "default_pools": out[field] = poolList(value, at); return true;
      case "fallback_pool": out[field] = resolve("pool", value, at); return true;
      // pop_pools: by the answering instance's gslb serve --pop.
      case "region_pools": case "country_pools": case "pop_pools": out[field] = poolMap(value, at); return true;
      case "random_steering": out[field] = randomSteering(value, at); return true;
    }
    return false;
  }

  /** Pool sets are not used, but their references are rewritten like any other, so the file has no stale ids. */
  function poolSets(v: Json, path: Path): Json {
    if (!Array.isArray(v)) return v;
    return v.map((set, i) => {
      if (!isObject(set) || !isObject(set.overrides)) return set;
      const at: Path = [...path, i, "overrides"];
      const o: JsonObject = { ...set.overrides };
      if (o.pools !== undefined) o.pools = poolList(o.pools, [...at, "pools"]);
      if (o.fallback_pool !== undefined) o.fallback_pool = resolve("pool", o.fallback_pool, [...at, "fallback_pool"]);
      if (o.pool_weights !== undefined) o.pool_weights = weights(o.pool_weights, [...at, "pool_weights"]);
      return { ...set, overrides: o };
    });
  }

  function rules(v: Json, path: Path): Json {
    if (!Array.isArray(v)) return v;
    const out: Json[] = [];
    v.forEach((r, i) => {
      const at: Path = [...path, i];
      if (!isObject(r)) {
        note(at, `${short(r)}: not a rule: dropped`, "dropped");
        return;
      }
      const name = typeof r.name === "string" ? ` ${JSON.stringify(r.name)}` : "";
      if (typeof r.condition === "string") {
        const problem = (options.checkCondition ?? checkCondition)(r.condition);
        if (problem !== null) {
          const where = problem.offset !== undefined ? ` (at offset ${problem.offset} of ${JSON.stringify(r.condition)})` : "";
          note([...at, "condition"], `${problem.message}${where}: rule${name} dropped`, "dropped");
          return;
        }
      }
      out.push(translate(r, RULE_FIELDS, at, (field, value, o) => {
        if (field === "condition") o.condition = value;
        else if (field === "overrides") o.overrides = isObject(value) ? overrides(value, [...at, "overrides"]) : value;
      }));
    });
    return out;
  }

  function overrides(v: JsonObject, path: Path): JsonObject {
    const out = translate(v, OVERRIDE_FIELDS, path, (field, value, o) => { steeringField(field, value, o, [...path, field]); });
    // pool_weights and pool_default_weight are the declarative spelling of random_steering.
    const declarative = ["pool_weights", "pool_default_weight"].filter((k) => v[k] !== undefined && v[k] !== null);
    if (declarative.length > 0) {
      if (v.random_steering !== undefined && v.random_steering !== null) {
        for (const k of declarative) note([...path, k], `${short(v[k]!)}: dropped: Cloudflare takes it or random_steering, not both`, "dropped");
      } else {
        const rs: JsonObject = {};
        if (v.pool_default_weight !== undefined && v.pool_default_weight !== null) {
          rs.default_weight = v.pool_default_weight;
          note([...path, "pool_default_weight"], "→ random_steering.default_weight", "translated");
        }
        if (isObject(v.pool_weights)) {
          rs.pool_weights = weights(v.pool_weights, [...path, "pool_weights"]);
          note([...path, "pool_weights"], "→ random_steering.pool_weights", "translated");
        }
        out.random_steering = rs;
      }
    }
    return out;
  }

  const summary: string[] = [];
  if (described.size > 0) {
    summary.push(`descriptive fields kept as they are (no effect on answers): ${[...described].map(([f, n]) => `${f} ×${n}`).join(", ")}`);
  }
  if (nulls > 0) summary.push(`${nulls} field${nulls === 1 ? "" : "s"} set to null (Cloudflare's "not set") left out`);
  return { monitors: outMonitors, pools: outPools, load_balancers: outLbs, notes, summary };
}

// ------------------------------------------------------------------------------------ into a zone file

/** The sections imported into a zone file: same keys replaced (a load balancer by its owner name), others kept. */
export function mergeIntoZone(existing: JsonObject, imported: Pick<ImportResult, "monitors" | "pools" | "load_balancers">, file: string): { zone: JsonObject; notes: Note[] } {
  const out = structuredClone(existing);
  const notes: Note[] = [];
  const zone = typeof out.zone === "string" ? normalName(out.zone) : "";
  for (const section of ["monitors", "pools", "load_balancers"] as const) {
    const current: JsonObject = isObject(out[section]) ? (out[section] as JsonObject) : {};
    for (const [key, value] of Object.entries(imported[section])) {
      let same: string | undefined = key in current ? key : undefined;
      if (section === "load_balancers" && same === undefined) {
        // "www", "WWW" and "www.lb.example.com." are one owner.
        same = Object.keys(current).find((k) => absoluteOwner(k, zone) === absoluteOwner(key, zone));
        if (same !== undefined) delete current[same];
      }
      if (same !== undefined) notes.push({ path: formatPath([section, key]), message: `replaces the one ${same === key ? "" : `keyed ${JSON.stringify(same)} `}in ${file}`, kind: "replaced" });
      current[key] = value;
    }
    out[section] = current;
  }
  return { zone: out, notes };
}

/** A name server given as NAME or NAME=ADDRESS (glue, for a name inside the zone). */
export interface NameServer { readonly name: string; readonly address?: string }

/** A new zone file around the imported sections: an SOA and the apex NS set, nothing else. */
export function newZoneFile(zone: string, nameServers: readonly NameServer[], now: Date): JsonObject {
  const apex = normalName(zone);
  const records: JsonObject = {};
  const ns: string[] = [];
  for (const s of nameServers) {
    const name = normalName(s.name);
    const inside = name === apex || name.endsWith(`.${apex}`);
    ns.push(inside ? (name === apex ? "@" : name.slice(0, -apex.length - 1)) : `${name}.`);
    if (s.address !== undefined) {
      const owner = ns[ns.length - 1]!;
      const type = s.address.includes(":") ? "AAAA" : "A";
      const node = (isObject(records[owner]) ? records[owner] : (records[owner] = {})) as JsonObject;
      node[type] = [...(Array.isArray(node[type]) ? (node[type] as Json[]) : []), s.address];
    }
  }
  const date = now.toISOString().slice(0, 10).replace(/-/g, "");
  return {
    zone: apex,
    ttl: 3600,
    soa: { mname: ns[0] ?? "@", rname: `hostmaster.${apex}.`, serial: Number(`${date}01`), refresh: 3600, retry: 600, expire: 1209600, minimum: 60 },
    records: { "@": { NS: ns }, ...records },
  };
}
