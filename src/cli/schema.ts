// gslb schema: the zone file JSON Schema, generated from the zod schema (for editors: "$schema").

import { zoneJsonSchema } from "../config/schema.js";
import { parseFlags } from "./args.js";

export const SCHEMA_HELP = `Usage: gslb schema

Print the JSON Schema of zone files (generated from the same zod schema the
server validates with). Point an editor at it for completion and checking.

Options:
  -h, --help   this text
`;

export async function schema(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { help: { type: "boolean", short: "h" } }, false);
  if (values.help) {
    process.stdout.write(SCHEMA_HELP);
    return 0;
  }
  process.stdout.write(JSON.stringify(zoneJsonSchema(), null, 2) + "\n");
  return 0;
}
