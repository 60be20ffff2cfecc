// gslb export cloudflare: a zone file's monitors, pools and load balancers as Cloudflare API
// payloads on stdout; what cannot be said in Cloudflare's terms is listed on stderr.

import { formatError } from "../problems/problems.js";
import fs from "node:fs";
import path from "node:path";
import { parseZoneText } from "../config/load.js";
import { exportCloudflare } from "../balancing/cloudflare/export.js";
import { isObject, normalName, type JsonObject } from "../balancing/cloudflare/import.js";
import { parseFlags, UsageError } from "./args.js";

export const EXPORT_HELP = `Usage: gslb export cloudflare [--zones DIR] [--zone NAME] [--cloudflare-zone NAME]

Print a zone's monitors, pools and load balancers as the JSON bodies Cloudflare's
Load Balancing API takes: {"monitors": [...], "pools": [...], "load_balancers": [...]}.
Load balancer names are absolute hostnames. References use the Cloudflare id of
objects that have one (imported from Cloudflare), else their name: create the
monitors, then the pools, then the load balancers, replacing each such name with
the id Cloudflare returns. "gslb import cloudflare" reads this output back.

gslb's own fields are translated when Cloudflare has an equivalent (a structured
rule condition becomes an expression) and otherwise listed on stderr as not
exported (max_answers, health_address, networks).

Options:
  --zones DIR             zone directory (default ./zones)
  --zone NAME             the zone to export (needed when DIR has several)
  --cloudflare-zone NAME  the zone the load balancers have at Cloudflare when it
                          is not the gslb zone: www.lb.example.com becomes
                          www.example.com with --cloudflare-zone example.com
  -h, --help              this text

Exit status: 0 done, 1 the zone file is missing or does not pass "gslb check", 2 bad usage.
`;

export async function exportCommand(argv: string[]): Promise<number> {
  if (argv[0] === undefined || argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(EXPORT_HELP);
    return argv[0] === undefined ? 2 : 0;
  }
  if (argv[0] !== "cloudflare") throw new UsageError(`unknown target ${JSON.stringify(argv[0])}; targets: cloudflare`);
  const { values } = parseFlags(argv.slice(1), {
    zones: { type: "string" },
    zone: { type: "string" },
    "cloudflare-zone": { type: "string" },
    help: { type: "boolean", short: "h" },
  }, false);
  if (values.help) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }
  const dir = values.zones ?? "./zones";
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith(".json") && !f.startsWith("_") && !f.startsWith(".")).sort().map((f) => path.join(dir, f));
  } catch (err) {
    process.stderr.write(`${dir}: cannot read the zone directory: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 1;
  }
  // Zone files by the zone they declare (a file that is not JSON declares none).
  const zones = new Map<string, { file: string; text: string; json: JsonObject }>();
  for (const file of files) {
    try {
      const text = fs.readFileSync(file, "utf8");
      const json: unknown = JSON.parse(text);
      if (isObject(json) && typeof json.zone === "string") zones.set(normalName(json.zone), { file, text, json });
    } catch { /* not a zone file we can name; "gslb check" says why */ }
  }
  const wanted = values.zone !== undefined ? normalName(values.zone) : null;
  if (wanted === null && zones.size !== 1) {
    throw new UsageError(zones.size === 0 ? `no zone files in ${dir}` : `${dir} has several zones (${[...zones.keys()].join(", ")}): say which with --zone NAME`);
  }
  const chosen = zones.get(wanted ?? [...zones.keys()][0]!);
  if (chosen === undefined) {
    process.stderr.write(`no zone file for ${wanted} in ${dir}${zones.size ? ` (zones: ${[...zones.keys()].join(", ")})` : ""}\n`);
    return 1;
  }
  const errors = parseZoneText(chosen.file, chosen.text).errors;
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(`${formatError(e)}\n`);
    process.stderr.write(`${chosen.file}: not exported: fix ${errors.length === 1 ? "this problem" : `these ${errors.length} problems`} first\n`);
    return 1;
  }
  const result = exportCloudflare(chosen.json, { cloudflareZone: values["cloudflare-zone"] ?? null });
  for (const n of result.notes) process.stderr.write(`${n.path === "" ? "" : `${n.path}: `}${n.message}\n`);
  const { monitors, pools, load_balancers } = result;
  process.stdout.write(`${JSON.stringify({ monitors, pools, load_balancers }, null, 2)}\n`);
  return 0;
}
