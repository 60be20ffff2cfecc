// gslb check: the whole pre-flight, without serving. Problems as "file: path: reason" on stderr
// (exit 1), schema and references alike in one run; warnings ("file: path: warning: ...", fields
// that have no effect here) do not fail the check; when all is well, one summary line per zone on
// stdout (exit 0). A directory's _overrides.json is checked against its zones.

import fs from "node:fs";
import path from "node:path";
import { loadZoneDir, loadZoneFile, SCHEMA_FILE, type ZoneFileResult } from "../config/load.js";
import { zoneJsonSchema } from "../config/schema.js";
import { parseOverrides } from "../health/overrides.js";
import { formatError, WHOLE_FILE, type ConfigError } from "../problems/problems.js";
import { parseFlags } from "./args.js";

export const CHECK_HELP = `Usage: gslb check [DIR|FILE]...

Validate zone files without serving them (default: ./zones), and a directory's
_overrides.json against its zones. Every problem is printed as "file: path:
reason"; exit status 1 if there is any, else 0 with one summary line per zone.
Fields that are accepted but have no effect here (Cloudflare proxy features)
are printed as warnings and do not fail the check.

Zone files are a directory's *.json files but _*.json (server files), .*
and ${SCHEMA_FILE}: the JSON Schema for editors ("gslb schema" writes it),
which is checked to be this version's.

Options:
  -h, --help   this text
`;

export async function check(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { help: { type: "boolean", short: "h" } }, true);
  if (values.help) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  const results: ZoneFileResult[] = [];
  const errors: ConfigError[] = [];
  const warnings: ConfigError[] = [];
  const notes: string[] = [];
  for (const target of positionals.length > 0 ? positionals : ["./zones"]) {
    const isDir = fs.existsSync(target) && fs.statSync(target).isDirectory();
    if (isDir || path.basename(target) === SCHEMA_FILE) {
      // The schema is not a zone: say it was seen, and whether an editor gets this version's.
      const schema = isDir ? path.join(target, SCHEMA_FILE) : target;
      if (fs.existsSync(schema)) {
        const current = fs.readFileSync(schema, "utf8") === `${JSON.stringify(zoneJsonSchema(), null, 2)}\n`;
        if (current) notes.push(`${schema}: the zone file JSON Schema, for editors (not a zone)\n`);
        else warnings.push({ file: schema, path: WHOLE_FILE, message: `not this gslb's zone file JSON Schema (not a zone): regenerate it with gslb schema > ${schema}` });
      }
      if (!isDir) continue;
    }
    if (isDir) {
      const load = loadZoneDir(target);
      results.push(...load.results.values());
      errors.push(...load.errors);
      warnings.push(...load.warnings);
      const overrides = path.join(target, "_overrides.json");
      if (fs.existsSync(overrides)) errors.push(...parseOverrides(overrides, fs.readFileSync(overrides, "utf8"), load.balancing).errors);
    } else {
      const r = loadZoneFile(target);
      results.push(r);
      errors.push(...r.errors);
      warnings.push(...r.warnings);
    }
  }
  const line = (e: ConfigError, tag = "") => `${formatError(e, tag)}\n`;
  for (const w of warnings) process.stderr.write(line(w, "warning: "));
  for (const e of errors) process.stderr.write(line(e));
  if (errors.length > 0) {
    process.stderr.write(`${errors.length} problem${errors.length === 1 ? "" : "s"} found\n`);
    return 1;
  }
  if (results.length === 0) {
    for (const n of notes) process.stdout.write(n);
    process.stderr.write(`no zone files found (*.json but _*.json, .* and ${SCHEMA_FILE})\n`);
    return 1;
  }
  for (const r of results) {
    const z = r.zone!;
    const rrsets = [...z.nodes.values()].reduce((n, node) => n + node.rrsets.size, 0);
    const lbs = r.balancing!.balancers.size;
    const off = r.balancing!.disabled;
    const balancing = lbs + off > 0 ? `, ${lbs} load balancer${lbs === 1 ? "" : "s"}${off > 0 ? ` (and ${off} disabled)` : ""}, ${r.balancing!.pools.size} pools` : "";
    process.stdout.write(`${r.file}: ${z.origin} serial ${z.serial}, ${z.nodes.size} names, ${rrsets} RRsets${balancing}\n`);
  }
  for (const n of notes) process.stdout.write(n);
  return 0;
}
