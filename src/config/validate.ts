// From a structurally valid zone file (schema.ts) to ZoneInput, checking what DNS forbids across
// the whole zone. Every problem is reported with its JSON path; all are collected, not just the first.

import { RRType, typeName } from "../wire/constants.js";
import { RECORD_TYPE_BY_CODE, RECORD_TYPES, type NormaliseContext, type RecordTypeName } from "../records/types.js";
import type { RData, SoaData } from "../wire/types.js";
import type { ZoneInput } from "../zone/types.js";
import { checkName, inZone, resolveName } from "../records/names.js";
import type { Path, Problem } from "../problems/problems.js";
import { buildBalancing, type Removed } from "../balancing/build.js";
export type { Removed };
import type { Balancing } from "../balancing/model.js";
import type { ZoneFile } from "./schema.js";

export interface ZoneValidation {
  readonly input: ZoneInput | null;
  readonly balancing: Balancing | null;
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
}

type RRsetInput = ZoneInput["rrsets"][number] & { path: Path };

const RRSET_KEYS = new Set(["ttl", "values", "value"]);

/** Normalises the RRset forms (single, array, {ttl, values}, {ttl, value}) to values + TTL + the path of each value. */
function unpack(raw: unknown, zoneTtl: number, path: Path): { ttl: number; values: unknown[]; valuePath: (i: number) => Path } {
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && Object.keys(raw).every((k) => RRSET_KEYS.has(k))) {
    const o = raw as { ttl?: number; values?: unknown[]; value?: unknown };
    if (o.values !== undefined) return { ttl: o.ttl ?? zoneTtl, values: o.values, valuePath: (i) => [...path, "values", i] };
    return { ttl: o.ttl ?? zoneTtl, values: [o.value], valuePath: () => [...path, "value"] };
  }
  if (Array.isArray(raw)) return { ttl: zoneTtl, values: raw, valuePath: (i) => [...path, i] };
  return { ttl: zoneTtl, values: [raw], valuePath: () => path };
}

export function validateZone(file: ZoneFile, source: string, removed?: Removed): ZoneValidation {
  const problems: Problem[] = [];
  const zoneName = file.zone.endsWith(".") ? file.zone.slice(0, -1) : file.zone;
  const zoneProblem = zoneName === "" ? "the root zone is not served" : checkName(zoneName, false);
  if (zoneProblem !== null) return { input: null, balancing: null, problems: [{ path: ["zone"], message: zoneProblem }], warnings: [] };
  const origin = zoneName.toLowerCase();

  const name = (text: string, path: Path, opts: { wildcard?: boolean; root?: boolean } = {}): string => {
    const r = resolveName(text, origin, opts);
    if (typeof r === "string") return r;
    problems.push({ path, message: r.error });
    return "";
  };
  const ctx: NormaliseContext = { name, problem: (path, message) => problems.push({ path, message }) };

  const soa: SoaData = {
    ...file.soa,
    mname: name(file.soa.mname, ["soa", "mname"]),
    rname: name(file.soa.rname, ["soa", "rname"]),
  };

  // Owners: resolve, check they are in the zone and named once.
  const rrsets: RRsetInput[] = [];
  const ownerKey = new Map<string, string>();
  const typesAt = new Map<string, Map<number, Path>>();
  for (const [key, types] of Object.entries(file.records)) {
    const ownerPath: Path = ["records", key];
    const owner = name(key, ownerPath, { wildcard: true });
    if (owner === "" && key !== ".") continue;
    if (!inZone(owner, origin)) {
      problems.push({ path: ownerPath, message: `${owner} is outside the zone ${origin}` });
      continue;
    }
    const first = ownerKey.get(owner);
    if (first !== undefined) {
      problems.push({ path: ownerPath, message: `names the same owner as records[${JSON.stringify(first)}] (${owner})` });
      continue;
    }
    ownerKey.set(owner, key);
    const here = new Map<number, Path>();
    typesAt.set(owner, here);

    for (const [typeName, raw] of Object.entries(types) as [RecordTypeName, unknown][]) {
      if (raw === undefined) continue;
      const path: Path = [...ownerPath, typeName];
      const { ttl, values, valuePath } = unpack(raw, file.ttl, path);
      const type = RECORD_TYPES[typeName].code;
      const rdata: RData[] = [];
      const entry = RECORD_TYPES[typeName];
      values.forEach((v, i) => {
        const d = entry.normalise(v as never, valuePath(i), ctx);
        if (d !== null) rdata.push(d);
      });
      if (typeName === "CNAME" && values.length > 1) problems.push({ path, message: "a name has at most one CNAME" });
      here.set(type, path);
      rrsets.push({ name: owner, type, ttl, rdata, path });
    }
  }

  // Zone-wide rules.
  const apexTypes = typesAt.get(origin);
  if (apexTypes === undefined || !apexTypes.has(RRType.NS)) {
    problems.push({ path: ["records", ownerKey.get(origin) ?? "@"], message: "the apex needs NS records (the servers this zone is delegated to)" });
  }
  const cuts = [...typesAt].filter(([owner, t]) => owner !== origin && t.has(RRType.NS)).map(([owner]) => owner);
  const cutOf = (n: string) => cuts.find((c) => n === c || n.endsWith("." + c));
  const cnameOwners = new Set(rrsets.filter((s) => s.type === RRType.CNAME).map((s) => s.name));
  const hasAddress = (n: string) => { const t = typesAt.get(n); return t !== undefined && (t.has(RRType.A) || t.has(RRType.AAAA)); };

  for (const [owner, types] of typesAt) {
    const cnamePath = types.get(RRType.CNAME);
    if (cnamePath !== undefined) {
      if (owner === origin) problems.push({ path: cnamePath, message: "no CNAME at the apex: it owns SOA and NS (RFC 1034 §3.6.2)" });
      else if (types.size > 1) problems.push({ path: cnamePath, message: `CNAME cannot stand beside other data (${[...types.keys()].filter((t) => t !== RRType.CNAME).map(typeName).join(", ")}) (RFC 1034 §3.6.2)` });
    }
    if (owner.startsWith("*.") && types.has(RRType.NS)) problems.push({ path: types.get(RRType.NS)!, message: "NS at a wildcard name is not allowed (RFC 4592 §4.2)" });
    const cut = cutOf(owner);
    if (cut !== undefined) {
      for (const [type, path] of types) {
        if (type === RRType.A || type === RRType.AAAA || (type === RRType.NS && owner === cut)) continue;
        problems.push({ path, message: `${owner} is at or below the delegation ${cut}: only its NS and glue A/AAAA are allowed there` });
      }
    }
  }

  for (const s of rrsets) {
    const target = RECORD_TYPE_BY_CODE.get(s.type)?.target;
    const targets = target === undefined ? [] : s.rdata.map(target);
    targets.forEach((t) => {
      if (t === "" || !inZone(t, origin)) return;
      if (cnameOwners.has(t)) problems.push({ path: s.path, message: `${typeName(s.type)} target ${t} is a CNAME; it must name a host with addresses (RFC 2181 §10.3)` });
      else if (s.type === RRType.NS && !hasAddress(t)) {
        problems.push({ path: s.path, message: `NS target ${t} is in the zone but has no A or AAAA record${cutOf(t) ? " (glue)" : ""}: the delegation would be lame` });
      }
    });
  }

  // Load balancing: its own build, told only what it needs of the records (where the cuts are).
  const built = buildBalancing(file, { origin, cutAbove: (n) => cutOf(n) ?? null }, removed);
  problems.push(...built.problems);
  // Cloudflare's precedence: a load balancer shadows the A, AAAA and CNAME records at its name.
  const warnings = [...built.warnings];
  for (const owner of built.balancing.balancers.keys()) {
    for (const [type, path] of typesAt.get(owner) ?? []) {
      if (type === RRType.A || type === RRType.AAAA || type === RRType.CNAME) {
        warnings.push({ path, message: `not served while load_balancers has ${owner} (a load balancer takes precedence over its A, AAAA and CNAME records)` });
      }
    }
  }

  if (problems.length > 0) return { input: null, balancing: null, problems, warnings };
  const balancers = new Set(built.balancing.balancers.keys());
  return {
    input: { origin, source, soa, soaTtl: file.ttl, rrsets: rrsets.map(({ path: _p, ...r }) => r), balancers },
    balancing: built.balancing,
    problems,
    warnings,
  };
}
