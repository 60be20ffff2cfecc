// The write side of the status API: PUT and DELETE /api/v1/overrides/ZONE/POOL[/ORIGIN] edit
// zones/_overrides.json, the one place overrides live (health/overrides.ts reads it, `gslb check`
// checks it, operators edit it by hand). A write reads the file, replaces (or removes) the entries
// for exactly that pool or origin, checks the whole result as the server would load it, and
// replaces the file atomically (a temporary file beside it, then rename): a reader never sees half
// a file, and a file that would not load is never written.

import fs from "node:fs";
import path from "node:path";
import type { Balancing } from "../balancing/model.js";
import { parseOverrides } from "../health/overrides.js";
import { didYouMean, type ConfigError } from "../problems/problems.js";

/** What an override applies to, from the URL. */
export interface OverrideTarget {
  readonly zone: string;
  readonly pool: string;
  /** null: the whole pool. */
  readonly origin: string | null;
}

/** An HTTP status and a JSON body. */
export interface Outcome {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

type Entry = Record<string, unknown>;

/** Keys a PUT body may have (the target comes from the URL). */
const BODY_KEYS = ["state", "until", "schedule", "duration", "comment"];

/** The file's entries as written, or why they cannot be read (a missing file has none). */
export function readEntries(file: string): { entries: Entry[] } | { error: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { entries: [] };
    return { error: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { return { error: `${file}: invalid JSON: ${(e as Error).message}` }; }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { error: `${file}: expected an object {"overrides": [...]}` };
  const list = (json as { overrides?: unknown }).overrides ?? [];
  if (!Array.isArray(list) || list.some((e) => typeof e !== "object" || e === null || Array.isArray(e))) return { error: `${file}: overrides: expected an array of objects` };
  return { entries: list as Entry[] };
}

/** The pool or origin named by the URL must exist in the zones served now: 404 otherwise. */
export function checkTarget(t: OverrideTarget, balancing: ReadonlyMap<string, Balancing>): Outcome | null {
  const zone = normalZone(t.zone);
  const b = balancing.get(zone);
  if (b === undefined) return notFound(`no zone ${t.zone} is served${didYouMean(zone, [...balancing.keys()])}`);
  const pool = b.pools.get(t.pool);
  if (pool === undefined) return notFound(`zone ${zone} has no pool ${JSON.stringify(t.pool)}${didYouMean(t.pool, [...b.pools.keys()])}`);
  if (t.origin !== null && !pool.origins.some((o) => o.name === t.origin)) return notFound(`pool ${t.pool} has no origin ${JSON.stringify(t.origin)}${didYouMean(t.origin, pool.origins.map((o) => o.name))}`);
  return null;
}

/** A PUT's body as an entry for the target, or why not (400). */
function entryFrom(t: OverrideTarget, body: unknown): Entry | Outcome {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return bad([{ path: "$", message: 'expected a JSON object such as {"state": "drain"}' }]);
  const problems: { path: string; message: string }[] = [];
  for (const k of Object.keys(body)) {
    if (k === "zone" || k === "pool" || k === "origin") problems.push({ path: k, message: `the ${k} is given by the URL, not the body` });
    else if (!BODY_KEYS.includes(k)) problems.push({ path: k, message: `unknown key ${JSON.stringify(k)}${didYouMean(k, BODY_KEYS)}` });
  }
  if (!("state" in body)) problems.push({ path: "state", message: "required: up, down or drain" });
  if (problems.length > 0) return bad(problems);
  return { zone: normalZone(t.zone), pool: t.pool, ...(t.origin !== null ? { origin: t.origin } : {}), ...body };
}

const isOutcome = (x: Entry | Outcome): x is Outcome => typeof x.status === "number" && typeof x.body === "object";

/** PUT: the body (state, until, schedule, duration, comment) becomes the target's only entry. */
export function putOverride(file: string, balancing: ReadonlyMap<string, Balancing>, t: OverrideTarget, body: unknown): Outcome {
  const missing = checkTarget(t, balancing);
  if (missing !== null) return missing;
  const entry = entryFrom(t, body);
  if (isOutcome(entry)) return entry;
  const read = readEntries(file);
  if ("error" in read) return conflict([read.error]);
  const kept = read.entries.filter((e) => !sameTarget(e, t));
  const next = [...kept, entry];
  const checked = check(file, next, balancing, kept.length);
  if (checked !== null) return checked;
  writeAtomically(file, next);
  return { status: 200, body: { override: entry, replaced: read.entries.length - kept.length } };
}

/** The etcd layer (gslb serve --etcd): one key per pool or origin, checked as the file's entries are; PUT (body) or DELETE (null). */
export async function writeEtcdOverride(etcd: { putOverride(key: string, entry: Entry): Promise<void>; deleteOverride(key: string): Promise<boolean> }, balancing: ReadonlyMap<string, Balancing>, t: OverrideTarget, body: unknown): Promise<Outcome> {
  const missing = checkTarget(t, balancing);
  if (missing !== null) return missing;
  const key = [normalZone(t.zone), t.pool, ...(t.origin !== null ? [t.origin] : [])].join("/");
  try {
    if (body === null) {
      if (!(await etcd.deleteOverride(key))) return notFound(`no override on ${describe(t)} in etcd`);
      return { status: 200, body: { removed: 1, layer: "etcd" } };
    }
    const entry = entryFrom(t, body);
    if (isOutcome(entry)) return entry;
    const checked = check("etcd", [entry], balancing, 0);
    if (checked !== null) return checked;
    await etcd.putOverride(key, entry);
    return { status: 200, body: { override: entry, layer: "etcd" } };
  } catch (err) {
    return { status: 503, body: { error: `etcd did not take the write: ${(err as Error).message}; nothing changed (retry, or write _overrides.json on each instance)` } };
  }
}

/** DELETE: every entry for the target goes. */
export function deleteOverride(file: string, balancing: ReadonlyMap<string, Balancing>, t: OverrideTarget): Outcome {
  const missing = checkTarget(t, balancing);
  if (missing !== null) return missing;
  const read = readEntries(file);
  if ("error" in read) return conflict([read.error]);
  const kept = read.entries.filter((e) => !sameTarget(e, t));
  const removed = read.entries.length - kept.length;
  if (removed === 0) return notFound(`no override on ${describe(t)} in ${file}`);
  const checked = check(file, kept, balancing, -1);
  if (checked !== null) return checked;
  writeAtomically(file, kept);
  return { status: 200, body: { removed } };
}

/** The new file as the server would load it: the new entry's problems are the request's (400), others the file's (409). */
function check(file: string, entries: Entry[], balancing: ReadonlyMap<string, Balancing>, newIndex: number): Outcome | null {
  const { errors } = parseOverrides(file, JSON.stringify({ overrides: entries }), balancing);
  if (errors.length === 0) return null;
  const prefix = `overrides[${newIndex}]`;
  const mine = errors.filter((e) => newIndex >= 0 && (e.path === prefix || e.path.startsWith(`${prefix}.`)));
  if (mine.length > 0) return bad(mine.map((e) => ({ path: e.path === prefix ? "$" : e.path.slice(prefix.length + 1), message: e.message })));
  return conflict(errors.map((e: ConfigError) => `${e.file}: ${e.path}: ${e.message}`));
}

function writeAtomically(file: string, entries: Entry[]): void {
  const dir = path.dirname(file);
  // A name the zone loader ignores (leading "."), unique to this process and moment.
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let mode = 0o644;
  try { mode = fs.statSync(file).mode & 0o777; } catch { /* new file */ }
  const fd = fs.openSync(tmp, "wx", mode);
  try {
    fs.writeFileSync(fd, JSON.stringify({ overrides: entries }, null, 2) + "\n");
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function sameTarget(e: Entry, t: OverrideTarget): boolean {
  return typeof e.zone === "string" && normalZone(e.zone) === normalZone(t.zone) && e.pool === t.pool && (e.origin ?? null) === t.origin;
}

function normalZone(z: string): string {
  return z.replace(/\.$/, "").toLowerCase();
}

function describe(t: OverrideTarget): string {
  return t.origin === null ? `pool ${t.pool} of ${normalZone(t.zone)}` : `origin ${t.origin} of pool ${t.pool} in ${normalZone(t.zone)}`;
}

function notFound(error: string): Outcome {
  return { status: 404, body: { error } };
}

function bad(problems: { path: string; message: string }[]): Outcome {
  return { status: 400, body: { error: problems.map((p) => `${p.path}: ${p.message}`).join("; "), problems } };
}

function conflict(problems: string[]): Outcome {
  return { status: 409, body: { error: `the overrides file has problems of its own; fix it first: ${problems.join("; ")}`, problems } };
}
