// Zone files → zones: read, parse JSON (line:column on syntax errors), check the structure with
// zod (schema.ts), check DNS rules (validate.ts), build (zone/build.ts). A directory load keeps
// the last good version of any file that is broken now, so an edit never takes a zone down.

import fs from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { buildZone } from "../zone/build.js";
import type { Zone, ZoneInput } from "../zone/types.js";
import { formatPath, suggest, type Path } from "./paths.js";
import { KNOWN_KEYS, ZoneFile } from "./schema.js";
import { validateZone, type Problem } from "./validate.js";

export interface ConfigError {
  readonly file: string;
  /** JSON path in the file (records["*.dev"].A.values[0]); "" for the whole file. */
  readonly path: string;
  readonly message: string;
}

export interface ZoneFileResult {
  readonly file: string;
  /** The file's text, to skip re-parsing an unchanged file. */
  readonly text: string | null;
  /** The zone to serve from this file: the new one, or the last good one when this version is broken. */
  readonly zone: Zone | null;
  readonly input: ZoneInput | null;
  readonly errors: readonly ConfigError[];
}

export interface DirLoad {
  /** What to serve, one zone per origin. */
  readonly zones: readonly Zone[];
  /** Per file path; pass back to the next load to keep last good versions. */
  readonly results: ReadonlyMap<string, ZoneFileResult>;
  /** Every problem, every file. */
  readonly errors: readonly ConfigError[];
}

export function parseZoneText(file: string, text: string): ZoneFileResult {
  const fail = (errors: ConfigError[]): ZoneFileResult => ({ file, text, zone: null, input: null, errors });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail([{ file, path: "", message: jsonSyntaxMessage(text, (err as Error).message) }]);
  }
  let parsed = ZoneFile.safeParse(json);
  let earlier: Problem[] = [];
  if (!parsed.success && parsed.error.issues.every((i) => i.code === "unrecognized_keys")) {
    // Only unknown keys: report them, and still check the rest of the file so every mistake shows at once.
    earlier = zodProblems(parsed.error.issues);
    parsed = ZoneFile.safeParse(withoutKeys(json, parsed.error.issues));
  }
  if (!parsed.success) return fail([...earlier, ...zodProblems(parsed.error.issues)].map((p) => toError(file, p)));
  const { input, problems } = validateZone(parsed.data, file);
  if (input === null || earlier.length > 0) return fail([...earlier, ...problems].map((p) => toError(file, p)));
  try {
    return { file, text, zone: buildZone(input), input, errors: [] };
  } catch (err) {
    return fail([{ file, path: "", message: `internal error building the zone: ${(err as Error).message}` }]);
  }
}

export function loadZoneFile(file: string): ZoneFileResult {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    return { file, text: null, zone: null, input: null, errors: [{ file, path: "", message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] };
  }
  return parseZoneText(file, text);
}

/** Files a zones directory serves: *.json, not starting with "_" (server files) or ".". */
export function zoneFilesIn(dir: string): string[] {
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.startsWith("_") && !f.startsWith("."))
    .sort()
    .map((f) => path.join(dir, f));
}

export function loadZoneDir(dir: string, previous?: ReadonlyMap<string, ZoneFileResult>): DirLoad {
  let files: string[];
  try {
    files = zoneFilesIn(dir);
  } catch (err) {
    const error: ConfigError = { file: dir, path: "", message: `cannot read the zone directory: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    // A directory that vanished for a moment must not take every zone down.
    const kept = [...(previous?.values() ?? [])];
    return { zones: kept.flatMap((r) => (r.zone ? [r.zone] : [])), results: previous ?? new Map(), errors: [error] };
  }

  const results = new Map<string, ZoneFileResult>();
  const errors: ConfigError[] = [];
  const byOrigin = new Map<string, string>();
  for (const file of files) {
    const before = previous?.get(file);
    let text: string | null = null;
    try { text = fs.readFileSync(file, "utf8"); } catch { /* reported by loadZoneFile below */ }
    let result = before !== undefined && text !== null && before.text === text && before.errors.length === 0
      ? before
      : text === null ? loadZoneFile(file) : parseZoneText(file, text);

    if (result.zone !== null) {
      const other = byOrigin.get(result.zone.origin);
      if (other !== undefined) {
        result = { ...result, zone: null, errors: [{ file, path: "zone", message: `zone ${result.zone.origin} is already served from ${other}` }] };
      }
    }
    if (result.errors.length > 0 && before?.zone) {
      // Keep serving the last good version of this file.
      const kept = before.zone;
      result = { ...result, zone: byOrigin.has(kept.origin) ? null : kept, errors: [...result.errors, { file, path: "", message: `still serving the last good version (${kept.origin} serial ${kept.serial})` }] };
    }
    if (result.zone !== null) byOrigin.set(result.zone.origin, file);
    results.set(file, result);
    errors.push(...result.errors);
  }
  return { zones: [...results.values()].flatMap((r) => (r.zone ? [r.zone] : [])), results, errors };
}

/** A copy of json without the keys zod did not recognise. */
function withoutKeys(json: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(json);
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    let node: any = copy;
    for (const seg of issue.path) node = node?.[seg as string];
    if (node !== null && typeof node === "object") for (const k of issue.keys) delete node[k];
  }
  return copy;
}

// ------------------------------------------------------------------------------------ messages

function toError(file: string, p: Problem): ConfigError {
  return { file, path: formatPath(p.path), message: p.message };
}

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
function zodProblems(issues: readonly z.core.$ZodIssue[], base: Path = []): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path: Path = [...base, ...(issue.path as (string | number)[])];
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          const hint = suggest(key, knownKeysAt(path));
          out.push({ path: [...path, key], message: `unknown key ${JSON.stringify(key)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}` });
        }
        break;
      case "invalid_union": {
        // Branches that failed on the value's own type did not apply; of the others, the fewest issues.
        const applicable = issue.errors.filter((branch) => !branch.every((i) => i.code === "invalid_type" && i.path.length === 0));
        if (applicable.length === 0) {
          out.push({ path, message: unionExpectation(path) });
        } else {
          const best = applicable.reduce((a, b) => (b.length < a.length ? b : a));
          out.push(...zodProblems(best, path));
        }
        break;
      }
      case "invalid_type":
        out.push({ path, message: issue.input === undefined ? `missing (expected ${issue.expected})` : `expected ${issue.expected}, got ${describe(issue.input)}` });
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

/** Known keys of the object at `path`, for suggestions. */
function knownKeysAt(path: Path): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS.top;
  if (path[0] === "soa") return KNOWN_KEYS.soa;
  if (path[0] === "records" && path.length === 2) return KNOWN_KEYS.types;
  if (path[0] === "monitors" && path.length === 2) return KNOWN_KEYS.monitor;
  if (path[0] === "pools" && path.length === 2) return KNOWN_KEYS.pool;
  if (path[0] === "pools" && path[2] === "origins") return KNOWN_KEYS.origin;
  if (path[0] === "load_balancers" && path.length === 2) return KNOWN_KEYS.load_balancer;
  if (path[0] === "networks" && path.length === 2) return KNOWN_KEYS.network;
  if (path[0] === "records" && path.length >= 3) {
    const type = path[2] as keyof typeof KNOWN_KEYS;
    const own = type === "MX" || type === "SRV" || type === "CAA" ? KNOWN_KEYS[type] : [];
    return [...own, ...KNOWN_KEYS.rrset];
  }
  return [];
}
