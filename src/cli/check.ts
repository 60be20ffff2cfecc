// gslb check: validate zone files without serving. Problems as "file: path: reason" on stderr
// (exit 1); when all is well, one summary line per zone on stdout (exit 0).

import fs from "node:fs";
import { loadZoneDir, loadZoneFile, type ConfigError, type ZoneFileResult } from "../config/load.js";
import { parseFlags } from "./args.js";

export const CHECK_HELP = `Usage: gslb check [DIR|FILE]...

Validate zone files without serving them (default: ./zones). Every problem is
printed as "file: path: reason"; exit status 1 if there is any, else 0 with one
summary line per zone.

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
  for (const target of positionals.length > 0 ? positionals : ["./zones"]) {
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
      const load = loadZoneDir(target);
      results.push(...load.results.values());
      errors.push(...load.errors);
    } else {
      const r = loadZoneFile(target);
      results.push(r);
      errors.push(...r.errors);
    }
  }
  for (const e of errors) process.stderr.write(`${e.file}: ${e.path === "" ? "" : `${e.path}: `}${e.message}\n`);
  if (errors.length > 0) {
    process.stderr.write(`${errors.length} problem${errors.length === 1 ? "" : "s"} found\n`);
    return 1;
  }
  if (results.length === 0) {
    process.stderr.write("no zone files found (*.json)\n");
    return 1;
  }
  for (const r of results) {
    const z = r.zone!;
    const rrsets = [...z.nodes.values()].reduce((n, node) => n + node.rrsets.size, 0);
    process.stdout.write(`${r.file}: ${z.origin} serial ${z.serial}, ${z.nodes.size} names, ${rrsets} RRsets\n`);
  }
  return 0;
}
