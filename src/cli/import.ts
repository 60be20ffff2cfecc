// gslb import cloudflare: Cloudflare Load Balancing API JSON → a zone file's monitors, pools and
// load_balancers (src/balancing/cloudflare/import.ts does the translating). The result is checked
// with the zone-file validator and written atomically, only when it passes (or with --force).

import { formatError } from "../problems/problems.js";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseZoneText } from "../config/load.js";
import {
  importCloudflare, isObject, mergeIntoZone, newZoneFile, normalName,
  type InputDocument, type JsonObject, type NameServer, type Note,
} from "../balancing/cloudflare/import.js";
import { parseFlags, UsageError } from "./args.js";

export const IMPORT_HELP = `Usage: gslb import cloudflare (--into FILE | --print) [options] FILE...

Turn Cloudflare Load Balancing API JSON into the monitors, pools and load_balancers
of a zone file. FILEs ("-" for standard input), in any order, hold list or get
responses (with or without the {"result": ...} envelope), request bodies, or the
output of "gslb export cloudflare": one object or an array.

Ids become keys: a pool is keyed by its name, a monitor by its description (else
its id), and references by id are rewritten to the keys. A load balancer's name
(its hostname) becomes its owner in the zone: "www" for www.ZONE, "@" for ZONE.
Every field dropped, translated, or kept without effect is listed on stderr as
"path: what happened"; ids, created_on and modified_on are kept as they are.

Where the result goes:
  --into FILE           merge into this zone file: its records, soa, networks
                        and other monitors/pools/load balancers are kept, the
                        imported ones replace those with the same keys. Written
                        (atomically) only if the result passes "gslb check",
                        as 2-space-indented JSON (the old layout is not kept).
                        A FILE that does not exist is created; it needs --ns.
  --print               print the result on stdout instead of writing it: with
                        --into, the whole merged file; without, the imported
                        sections only ({"monitors", "pools", "load_balancers"})

Options:
  --zone NAME           the gslb zone (default: the "zone" of --into FILE)
  --cloudflare-zone NAME
                        the zone the load balancers have at Cloudflare when it is
                        not --zone: with --cloudflare-zone example.com and
                        --zone lb.example.com, www.example.com becomes "www"
  --map ID=KEY          repeatable: take references to Cloudflare id ID as the
                        pool or monitor KEY (objects not in the inputs, request
                        bodies without ids)
  --ns NAME[=ADDRESS]   repeatable: the name servers of a new zone file (an
                        address gives glue, for a name inside the zone)
  --force               write even when the result does not pass validation
  -h, --help            this text

Exit status: 0 done; 1 the result does not pass validation (nothing written
without --force), an input cannot be read, or there is nothing to import;
2 bad usage.
`;

export async function importCommand(argv: string[]): Promise<number> {
  if (argv[0] === undefined || argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(IMPORT_HELP);
    return argv[0] === undefined ? 2 : 0;
  }
  if (argv[0] !== "cloudflare") throw new UsageError(`unknown source ${JSON.stringify(argv[0])}; sources: cloudflare`);
  const { values, positionals } = parseFlags(argv.slice(1), {
    into: { type: "string" },
    print: { type: "boolean" },
    zone: { type: "string" },
    "cloudflare-zone": { type: "string" },
    map: { type: "string", multiple: true },
    ns: { type: "string", multiple: true },
    force: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, true);
  if (values.help) {
    process.stdout.write(IMPORT_HELP);
    return 0;
  }
  if (values.into === undefined && !values.print) throw new UsageError("say where the result goes: --into FILE, or --print");
  if (positionals.length === 0) throw new UsageError("no input FILE");

  const map = new Map<string, string>();
  for (const m of values.map ?? []) {
    const eq = m.indexOf("=");
    if (eq <= 0 || eq === m.length - 1) throw new UsageError(`--map ${JSON.stringify(m)}: expected ID=KEY`);
    map.set(m.slice(0, eq), m.slice(eq + 1));
  }
  const nameServers: NameServer[] = (values.ns ?? []).map((s) => {
    const [name, address] = s.split("=", 2) as [string, string | undefined];
    if (name === "") throw new UsageError(`--ns ${JSON.stringify(s)}: expected NAME or NAME=ADDRESS`);
    return address === undefined ? { name } : { name, address };
  });

  // The zone file merged into, if there is one.
  let existing: JsonObject | null = null;
  if (values.into !== undefined && fs.existsSync(values.into)) {
    let text: string;
    try {
      text = fs.readFileSync(values.into, "utf8");
    } catch (err) {
      process.stderr.write(`${values.into}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      return 1;
    }
    try {
      const json: unknown = JSON.parse(text);
      if (!isObject(json)) throw new Error("not a JSON object");
      existing = json;
    } catch (err) {
      process.stderr.write(`${values.into}: not a zone file to merge into (${(err as Error).message}); fix it first (gslb check ${values.into})\n`);
      return 1;
    }
  }
  const fileZone = existing !== null && typeof existing.zone === "string" ? normalName(existing.zone) : null;
  const zone = values.zone !== undefined ? normalName(values.zone) : fileZone;
  if (zone === null || zone === "") throw new UsageError("which zone? --zone NAME (or --into an existing zone file)");
  if (fileZone !== null && fileZone !== zone) throw new UsageError(`${values.into} is the zone ${fileZone}, not ${zone}`);
  if (values.into !== undefined && existing === null && nameServers.length === 0) {
    throw new UsageError(`${values.into} does not exist: give the new zone's name servers with --ns NAME`);
  }

  const docs: InputDocument[] = [];
  for (const file of positionals) {
    try {
      docs.push({ file, text: fs.readFileSync(file === "-" ? 0 : file, "utf8") });
    } catch (err) {
      process.stderr.write(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      return 1;
    }
  }

  const result = importCloudflare(docs, {
    zone,
    cloudflareZone: values["cloudflare-zone"] ?? null,
    map,
    existing,
  });
  const notes: Note[] = [...result.notes];
  const imported = { monitors: result.monitors, pools: result.pools, load_balancers: result.load_balancers };
  const counts = Object.values(imported).map((s) => Object.keys(s).length);
  if (counts.every((n) => n === 0)) {
    for (const n of notes) process.stderr.write(line(n));
    process.stderr.write("nothing to import: no load balancer, pool or monitor in the inputs\n");
    return 1;
  }

  let output: JsonObject;
  let target: string;
  if (values.into !== undefined) {
    target = values.into;
    const base = existing ?? newZoneFile(zone, nameServers, new Date());
    const merged = mergeIntoZone(base, imported, target);
    notes.push(...merged.notes);
    output = merged.zone;
  } else {
    // Sections only: validated inside a stand-in zone file, so references and values are checked.
    target = "(imported sections)";
    output = imported;
  }
  for (const n of notes) process.stderr.write(line(n));
  for (const s of result.summary) process.stderr.write(`${s}\n`);

  const text = `${JSON.stringify(output, null, 2)}\n`;
  const checked = values.into !== undefined
    ? text
    : JSON.stringify({ ...newZoneFile(zone, [{ name: "ns.invalid" }], new Date()), ...imported });
  const validation = parseZoneText(target, checked);
  const errors = validation.errors;
  for (const e of errors) process.stderr.write(`${formatError(e)}\n`);
  // The validator's warnings, less those the report above already gave for the same field.
  const reported = new Set(notes.map((n) => n.path));
  for (const w of validation.warnings) {
    if (!reported.has(w.path)) process.stderr.write(`${formatError(w, "warning: ")}\n`);
  }

  const kinds = (k: Note["kind"]) => notes.filter((n) => n.kind === k).length;
  const summary = `${counts[0]} monitor${s(counts[0]!)}, ${counts[1]} pool${s(counts[1]!)}, ${counts[2]} load balancer${s(counts[2]!)}; ` +
    `${kinds("translated")} translated, ${kinds("dropped")} dropped, ${kinds("kept")} kept without effect, ` +
    `${kinds("skipped")} skipped, ${kinds("unresolved")} unresolved`;

  if (values.print) {
    process.stdout.write(text);
    process.stderr.write(`${summary}${errors.length > 0 ? `; ${errors.length} validation problem${s(errors.length)}` : ""}\n`);
    return errors.length > 0 ? 1 : 0;
  }
  if (errors.length > 0 && !values.force) {
    process.stderr.write(`${target}: not written: ${errors.length} validation problem${s(errors.length)} (--force writes anyway)\n`);
    return 1;
  }
  try {
    writeFileAtomic(target, text);
  } catch (err) {
    process.stderr.write(`${target}: not written: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${target}: imported ${summary}${errors.length > 0 ? `; written with ${errors.length} validation problem${s(errors.length)} (--force)` : ""}\n`);
  return 0;
}

const s = (n: number) => (n === 1 ? "" : "s");
const line = (n: Note) => `${n.path === "" ? "" : `${n.path}: `}${n.message}\n`;

/**
 * Write a file so that readers (the server's directory watcher) see the old version or the new
 * one, never a part: a temporary file in the same directory (a dot name, which the zones
 * directory ignores), flushed, then renamed over the target. On failure the temporary file goes.
 */
export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let mode = 0o644;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch { /* a new file */ }
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, "wx", mode);
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.unlinkSync(tmp); } catch { /* never created */ }
    throw err;
  }
}
