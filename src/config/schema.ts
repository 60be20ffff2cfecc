// The zone file, as zod schemas: the single source of truth for validation (load.ts), the types
// the loader works with, and the published JSON Schema (`gslb schema`). Structure only: rules that
// need the whole zone (CNAME exclusivity, delegations, names) are in validate.ts. The
// load-balancing sections are balancing/schema.ts's.

import { z } from "zod";
import { BalancingSections } from "../balancing/schema.js";
import { NameText, RECORD_TYPES, type RecordTypeName } from "../records/types.js";
import { MAX_TTL } from "../wire/constants.js";

const int = (min: number, max: number) => z.number().int().min(min).max(max);
export const Ttl = int(0, MAX_TTL).describe("seconds, 0 to 2147483647");
const U32 = int(0, 2 ** 32 - 1);

export const Soa = z.strictObject({
  mname: NameText.describe("primary name server"),
  rname: NameText.describe('responsible mailbox as a name: "hostmaster.example.com."'),
  serial: U32,
  refresh: U32,
  retry: U32,
  expire: U32,
  minimum: U32.describe("negative-answer TTL cap (RFC 2308)"),
});

/**
 * The forms one RRset may take: a single value, an array, or with its own TTL:
 * { "ttl": 60, "values": [...] } / { "ttl": 60, "value": ... }.
 */
function rrset<T extends z.ZodType>(value: T) {
  return z.union([
    value,
    z.array(value).min(1),
    z.strictObject({ ttl: Ttl.optional(), values: z.array(value).min(1) }),
    z.strictObject({ ttl: Ttl.optional(), value }),
  ]);
}

/** A name's records: type → RRset, one key per entry of the record-type table. */
export const NameRecords = z.strictObject(
  Object.fromEntries(Object.entries(RECORD_TYPES).map(([name, t]) => [name, rrset(t.schema).optional()])) as { [K in RecordTypeName]: z.ZodOptional<ReturnType<typeof rrset>> },
);

export const DEFAULT_ZONE_TTL = 3600;

export const ZoneFile = z.strictObject({
  $schema: z.string().optional().describe("the JSON Schema, for editors (./zone.schema.json); gslb ignores it"),
  zone: z.string().min(1).describe("the apex, e.g. lb.example.com"),
  ttl: Ttl.default(DEFAULT_ZONE_TTL).describe("TTL of records that set none, and of the SOA"),
  soa: Soa,
  records: z.record(z.string(), NameRecords).default({}).describe("owner name → type → values"),
  ...BalancingSections,
});
export type ZoneFile = z.infer<typeof ZoneFile>;

/** The JSON Schema `gslb schema` prints and zones/zone.schema.json holds (test/schema.test.ts keeps them equal). */
export function zoneJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(ZoneFile, { io: "input" }) as Record<string, unknown>;
  // A title for editors' hover text; the rest is zod's.
  return { $schema, title: "gslb zone file", ...rest };
}
