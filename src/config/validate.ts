// From a structurally valid zone file (schema.ts) to ZoneInput, checking what DNS forbids across
// the whole zone. Every problem is reported with its JSON path; all are collected, not just the first.

import { RRType, type ZoneTypeName } from "../wire/constants.js";
import { canonicalIPv6, parseIPv4 } from "../wire/ip.js";
import type { CaaData, MxData, RData, SoaData, SrvData } from "../wire/types.js";
import type { ZoneInput } from "../zone/types.js";
import { checkName, inZone, resolveName } from "./names.js";
import type { Path } from "./paths.js";
import type { ZoneFile } from "./schema.js";
import { validateBalancing } from "./balancing.js";

export interface Problem {
  path: Path;
  message: string;
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

/** TXT record → character-strings: a string is split into 255-byte pieces; an array is taken as given. */
function txtStrings(v: string | string[], path: Path, problems: Problem[]): Buffer[] {
  if (typeof v === "string") {
    const bytes = Buffer.from(v, "utf8");
    if (bytes.length === 0) return [bytes];
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
    return out;
  }
  return v.map((s, i) => {
    const b = Buffer.from(s, "utf8");
    if (b.length > 255) problems.push({ path: [...path, i], message: `character-string is ${b.length} bytes; the limit is 255 (write one string to have it split)` });
    return b;
  });
}

export function validateZone(file: ZoneFile, source: string): { input: ZoneInput | null; problems: Problem[] } {
  const problems: Problem[] = [];
  const zoneName = file.zone.endsWith(".") ? file.zone.slice(0, -1) : file.zone;
  const zoneProblem = zoneName === "" ? "the root zone is not served" : checkName(zoneName, false);
  if (zoneProblem !== null) return { input: null, problems: [{ path: ["zone"], message: zoneProblem }] };
  const origin = zoneName.toLowerCase();

  const name = (text: string, path: Path, opts: { wildcard?: boolean; root?: boolean } = {}): string => {
    const r = resolveName(text, origin, opts);
    if (typeof r === "string") return r;
    problems.push({ path, message: r.error });
    return "";
  };

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

    for (const [typeName, raw] of Object.entries(types) as [ZoneTypeName, unknown][]) {
      if (raw === undefined) continue;
      const path: Path = [...ownerPath, typeName];
      const { ttl, values, valuePath } = unpack(raw, file.ttl, path);
      const type = RRType[typeName];
      const rdata: RData[] = [];
      values.forEach((v, i) => {
        const at = valuePath(i);
        switch (typeName) {
          case "A":
            if (parseIPv4(v as string) === null) problems.push({ path: at, message: `${JSON.stringify(v)} is not an IPv4 address` });
            else rdata.push(v as string);
            break;
          case "AAAA": {
            const c = canonicalIPv6(v as string);
            if (c === null) problems.push({ path: at, message: `${JSON.stringify(v)} is not an IPv6 address` });
            else rdata.push(c);
            break;
          }
          case "NS":
          case "CNAME":
          case "PTR":
            rdata.push(name(v as string, at));
            break;
          case "MX": {
            const mx = v as MxData;
            rdata.push({ preference: mx.preference, exchange: name(mx.exchange, [...at, "exchange"], { root: true }) });
            break;
          }
          case "SRV": {
            const s = v as SrvData;
            rdata.push({ ...s, target: name(s.target, [...at, "target"], { root: true }) });
            break;
          }
          case "CAA": {
            const c = v as { flags: number; tag: string; value: string };
            rdata.push({ flags: c.flags, tag: c.tag, value: Buffer.from(c.value, "utf8") } satisfies CaaData);
            break;
          }
          case "TXT":
            rdata.push(txtStrings(v as string | string[], at, problems));
            break;
        }
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
      else if (types.size > 1) problems.push({ path: cnamePath, message: `CNAME cannot stand beside other data (${[...types.keys()].filter((t) => t !== RRType.CNAME).map(typeLabel).join(", ")}) (RFC 1034 §3.6.2)` });
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
    const targets = s.type === RRType.NS ? (s.rdata as string[])
      : s.type === RRType.MX ? (s.rdata as MxData[]).map((m) => m.exchange)
      : s.type === RRType.SRV ? (s.rdata as SrvData[]).map((x) => x.target)
      : [];
    targets.forEach((t) => {
      if (t === "" || !inZone(t, origin)) return;
      if (cnameOwners.has(t)) problems.push({ path: s.path, message: `${typeLabel(s.type)} target ${t} is a CNAME; it must name a host with addresses (RFC 2181 §10.3)` });
      else if (s.type === RRType.NS && !hasAddress(t)) {
        problems.push({ path: s.path, message: `NS target ${t} is in the zone but has no A or AAAA record${cutOf(t) ? " (glue)" : ""}: the delegation would be lame` });
      }
    });
  }

  const balancing = validateBalancing(file, origin, new Set(typesAt.keys()), problems);
  for (const owner of balancing.balancers.keys()) {
    const cut = cutOf(owner);
    if (cut !== undefined) problems.push({ path: ["load_balancers"], message: `${owner} is at or below the delegation ${cut}` });
  }

  if (problems.length > 0) return { input: null, problems };
  return {
    input: { origin, source, soa, soaTtl: file.ttl, rrsets: rrsets.map(({ path: _p, ...r }) => r), balancing },
    problems,
  };
}

function typeLabel(type: number): string {
  return Object.entries(RRType).find(([, v]) => v === type)?.[0] ?? String(type);
}
