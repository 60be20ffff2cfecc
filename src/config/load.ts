// Zone files → zones: read, parse JSON (line:column on syntax errors), check the structure with
// zod (schema.ts), check DNS rules (validate.ts), build (zone/build.ts). A directory load keeps
// the last good version of any file that is broken now, so an edit never takes a zone down.

import fs from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { buildZone } from "../zone/build.js";
import type { Zone, ZoneInput } from "../zone/types.js";
import type { Balancing } from "../balancing/model.js";
import { didYouMean, toError, WHOLE_FILE, type ConfigError, type Path, type Problem } from "../problems/problems.js";
import { ZoneFile } from "./schema.js";
import { validateZone, type Removed } from "./validate.js";

export type { ConfigError } from "../problems/problems.js";

export interface ZoneFileResult {
  readonly file: string;
  /** The file's text, to skip re-parsing an unchanged file. */
  readonly text: string | null;
  /** The zone to serve from this file: the new one, or the last good one when this version is broken. */
  readonly zone: Zone | null;
  /** The text the served zone was built from (the last good version's when this one is broken). */
  readonly servedText?: string | null;
  /** Its load balancing (pools, load balancers, monitors, networks), resolved by the zone's load balancer names. */
  readonly balancing: Balancing | null;
  readonly input: ZoneInput | null;
  readonly errors: readonly ConfigError[];
  /** Accepted fields that have no effect here (Cloudflare proxy features, ...): worth a line, not a failure. */
  readonly warnings: readonly ConfigError[];
}

export interface DirLoad {
  /** What to serve, one zone per origin. */
  readonly zones: readonly Zone[];
  /** Each served zone's load balancing, by origin. */
  readonly balancing: ReadonlyMap<string, Balancing>;
  /** Per file path; pass back to the next load to keep last good versions. */
  readonly results: ReadonlyMap<string, ZoneFileResult>;
  /** Every problem, every file. */
  readonly errors: readonly ConfigError[];
  readonly warnings: readonly ConfigError[];
}

export function parseZoneText(file: string, text: string): ZoneFileResult {
  const fail = (errors: ConfigError[], warnings: readonly ConfigError[] = []): ZoneFileResult => ({ file, text, zone: null, balancing: null, input: null, errors, warnings });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail([{ file, path: WHOLE_FILE, message: jsonSyntaxMessage(text, (err as Error).message) }]);
  }
  // Every problem in one run: schema problems first, then, on what is left, the zone-wide checks.
  const { data, problems: schemaProblems, removed } = parseSalvaging(json);
  if (data === null) return fail(schemaProblems.map((p) => toError(file, p)));
  const v = validateZone(data, file, removed);
  const warnings = v.warnings.map((p) => toError(file, p));
  const problems = [...schemaProblems, ...v.problems];
  if (problems.length > 0 || v.input === null || v.balancing === null) return fail(problems.map((p) => toError(file, p)), warnings);
  try {
    return { file, text, servedText: text, zone: buildZone(v.input), balancing: v.balancing, input: v.input, errors: [], warnings };
  } catch (err) {
    return fail([{ file, path: WHOLE_FILE, message: `internal error building the zone: ${(err as Error).message}` }]);
  }
}

export function loadZoneFile(file: string): ZoneFileResult {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    return { file, text: null, zone: null, balancing: null, input: null, errors: [{ file, path: WHOLE_FILE, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }], warnings: [] };
  }
  return parseZoneText(file, text);
}

/**
 * The zone files' JSON Schema, kept beside them for editors (`"$schema": "./zone.schema.json"`):
 * a JSON file in the zones directory that is not a zone.
 */
export const SCHEMA_FILE = "zone.schema.json";

/** Whether a file name in a zones directory is a zone file: *.json, not starting with "_" (server files) or ".", and not the schema. */
export function isZoneFileName(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith("_") && !name.startsWith(".") && name !== SCHEMA_FILE;
}

/** Files a zones directory serves (isZoneFileName). */
export function zoneFilesIn(dir: string): string[] {
  return fs.readdirSync(dir)
    .filter(isZoneFileName)
    .sort()
    .map((f) => path.join(dir, f));
}

export function loadZoneDir(dir: string, previous?: ReadonlyMap<string, ZoneFileResult>): DirLoad {
  let files: string[];
  try {
    files = zoneFilesIn(dir);
  } catch (err) {
    const error: ConfigError = { file: dir, path: WHOLE_FILE, message: `cannot read the zone directory: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    // A directory that vanished for a moment must not take every zone down.
    return collect(previous ?? new Map(), [error]);
  }

  const results = new Map<string, ZoneFileResult>();
  for (const file of files) {
    const before = previous?.get(file);
    let text: string | null = null;
    try { text = fs.readFileSync(file, "utf8"); } catch { /* reported by loadZoneFile below */ }
    let result = before !== undefined && text !== null && before.text === text && before.errors.length === 0
      ? before
      : text === null ? loadZoneFile(file) : parseZoneText(file, text);
    if (result.errors.length > 0 && before?.zone) {
      // Keep serving the last good version of this file.
      const kept = before;
      result = { ...result, zone: kept.zone, servedText: kept.servedText, balancing: kept.balancing, input: kept.input, errors: [...result.errors, { file, path: WHOLE_FILE, message: `still serving the last good version (${kept.zone!.origin} serial ${kept.zone!.serial})` }] };
    }
    results.set(file, result);
  }

  // One file per zone: a zone already served keeps its file; a newly added second file is refused
  // (whatever the names' order). Among files new together, the first by name wins.
  const servedFrom = new Map<string, string>();
  for (const [file, r] of previous ?? []) if (r.zone !== null && results.get(file)?.zone?.origin === r.zone.origin) servedFrom.set(r.zone.origin, file);
  for (const [file, r] of results) if (r.zone !== null && !servedFrom.has(r.zone.origin)) servedFrom.set(r.zone.origin, file);
  for (const [file, r] of results) {
    if (r.zone === null || servedFrom.get(r.zone.origin) === file) continue;
    const owner = servedFrom.get(r.zone.origin)!;
    results.set(file, { ...r, zone: null, balancing: null, input: null, errors: [...r.errors.filter((e) => !e.message.startsWith("still serving")), { file, path: "zone", message: `zone ${r.zone.origin} is already served from ${owner}: this file is not served` }] });
  }
  return collect(results, []);
}

/**
 * What a load served, as texts: the files and the texts their served zones were built from. An
 * answering worker rebuilds the same zones from them (server/cluster.ts); the checks already passed.
 */
export function servedTexts(load: DirLoad): [file: string, text: string][] {
  return [...load.results.values()].filter((r) => r.zone !== null && typeof r.servedText === "string").map((r) => [r.file, r.servedText!]);
}

/** Zones from texts known good (servedTexts of another process); files unchanged since `previous` are not parsed again. */
export function loadTexts(files: readonly (readonly [string, string])[], previous?: ReadonlyMap<string, ZoneFileResult>): DirLoad {
  const results = new Map<string, ZoneFileResult>();
  for (const [file, text] of files) {
    const before = previous?.get(file);
    results.set(file, before !== undefined && before.text === text && before.errors.length === 0 ? before : parseZoneText(file, text));
  }
  return collect(results, []);
}

function collect(results: ReadonlyMap<string, ZoneFileResult>, extra: readonly ConfigError[]): DirLoad {
  const served = [...results.values()].filter((r) => r.zone !== null);
  return {
    zones: served.map((r) => r.zone!),
    balancing: new Map(served.map((r) => [r.zone!.origin, r.balancing!])),
    results,
    errors: [...extra, ...[...results.values()].flatMap((r) => r.errors)],
    warnings: [...results.values()].flatMap((r) => r.warnings),
  };
}

/**
 * Parse with zod; when parts of the file are broken, report them, drop them (unknown keys, or the
 * whole record type, pool, load balancer, monitor or network holding the problem) and parse again,
 * so the references and zone-wide rules are still checked in the same run. Names of dropped pools
 * and monitors are returned: references to them are not reported again as unknown.
 */
function parseSalvaging(json: unknown): { data: ZoneFile | null; problems: Problem[]; removed: Removed } {
  const problems: Problem[] = [];
  const removed = { pools: new Set<string>(), monitors: new Set<string>() };
  let current = json;
  for (let round = 0; round < 20; round++) {
    const parsed = ZoneFile.safeParse(current);
    if (parsed.success) return { data: parsed.data, problems, removed };
    problems.push(...zodProblems(parsed.error.issues, current));
    const next = structuredClone(current) as Record<string, any>;
    let progressed = false;
    for (const issue of parsed.error.issues) {
      const path = issue.path as (string | number)[];
      if (issue.code === "unrecognized_keys") {
        const node = at(next, path);
        if (node !== null && typeof node === "object") for (const k of issue.keys) { delete node[k]; progressed = true; }
        continue;
      }
      const entry = salvageable(path);
      if (entry === null) continue;
      const parent = at(next, entry.slice(0, -1));
      const key = entry[entry.length - 1]!;
      if (parent !== null && typeof parent === "object" && key in parent) {
        delete parent[key];
        progressed = true;
        if (entry[0] === "pools") removed.pools.add(String(key));
        if (entry[0] === "monitors") removed.monitors.add(String(key));
      }
    }
    if (!progressed) return { data: null, problems, removed };
    current = next;
  }
  return { data: null, problems, removed };
}

/** The entry that can be dropped to get past a problem at `path`, or null (soa, zone: nothing to check without them). */
function salvageable(path: readonly (string | number)[]): readonly (string | number)[] | null {
  const [section, name, type] = path;
  if (section === "records" && name !== undefined && type !== undefined) return ["records", name, type];
  if ((section === "pools" || section === "load_balancers" || section === "monitors" || section === "networks") && name !== undefined) return [section, name];
  return null;
}

function at(root: unknown, path: readonly (string | number)[]): any {
  return valueAt(root, path) ?? null;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node: any = root;
  for (const seg of path) node = node !== null && typeof node === "object" ? node[seg] : undefined;
  return node;
}

// ------------------------------------------------------------------------------------ messages

/** Node 20 says "... in JSON at position N"; people want line and column. */
function jsonSyntaxMessage(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  const position = m === null ? text.length : Number(m[1]);
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  const reason = message.replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
  return `invalid JSON at line ${line}, column ${column}: ${reason}`;
}

/** zod issues → problems with our wording; for a union, the branch that got furthest speaks. */
/** `root`: the JSON parsed, to say what a value of the wrong type was (zod keeps no input). */
function zodProblems(issues: readonly z.core.$ZodIssue[], root: unknown, base: Path = []): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path: Path = [...base, ...(issue.path as (string | number)[])];
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          out.push({ path: [...path, key], message: `unknown key ${JSON.stringify(key)}${didYouMean(key, knownKeysAt(path))}` });
        }
        break;
      case "invalid_union": {
        // A schema's own wording wins (a monitor's unknown type); else the branch that got furthest speaks.
        if (!issue.message.startsWith("Invalid input")) { out.push({ path, message: issue.message }); break; }
        // Branches that failed on the value's own type did not apply; of the others, the fewest issues.
        const applicable = issue.errors.filter((branch) => !branch.every((i) => i.code === "invalid_type" && i.path.length === 0));
        if (applicable.length === 0) {
          out.push({ path, message: unionExpectation(path) });
        } else {
          const best = applicable.reduce((a, b) => (b.length < a.length ? b : a));
          out.push(...zodProblems(best, root, path));
        }
        break;
      }
      case "invalid_type":
      {
        if (!issue.message.startsWith("Invalid input")) { out.push({ path, message: issue.message }); break; }
        const value = valueAt(root, path);
        out.push({ path, message: value === undefined ? `missing (expected ${issue.expected})` : `expected ${issue.expected}, got ${describe(value)}` });
      }
        break;
      case "too_big":
      case "too_small":
      case "invalid_format":
      default:
        out.push({ path, message: issue.message.replace(/^Invalid input: /, "") });
    }
  }
  return out;
}

function describe(v: unknown): string {
  return Array.isArray(v) ? "an array" : v === null ? "null" : typeof v === "string" ? `the string ${JSON.stringify(v)}` : typeof v;
}

function unionExpectation(path: Path): string {
  return path[0] === "records" && path.length === 3
    ? `expected a value, an array of values, or { "ttl": N, "values": [...] }`
    : "not one of the accepted forms";
}

/** Known keys of the object at `path`, for suggestions: read from the schema itself. */
function knownKeysAt(path: Path): readonly string[] {
  return keysOf(ZoneFile, path);
}

function keysOf(schema: z.ZodType, path: Path): readonly string[] {
  const def = (schema as any).def;
  switch (def.type) {
    case "optional": case "nullable": case "default": case "prefault": case "pipe":
      return keysOf(def.innerType ?? def.in, path);
    case "union":
      return [...new Set((def.options as z.ZodType[]).flatMap((o) => keysOf(o, path)))];
  }
  if (path.length === 0) return def.type === "object" ? Object.keys(def.shape) : [];
  const [head, ...rest] = path;
  if (def.type === "object") { const child = def.shape[head as string]; return child ? keysOf(child, rest) : []; }
  if (def.type === "record") return keysOf(def.valueType, rest);
  if (def.type === "array") return keysOf(def.element, rest);
  return [];
}
