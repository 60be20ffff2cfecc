// The fields every monitor type shares, with Cloudflare's defaults (interval 60, timeout 5,
// retries 2, consecutive_up/down 0 meaning 1, port 0 meaning the type's default), and the object
// each type's schema is built on: strict, so an unknown key is an error at its own path.

import { z } from "zod";
import type { BaseSettings } from "./types.js";

export const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Descriptive fields of Cloudflare's monitor object: accepted silently, dropped from the settings. */
const DESCRIPTIVE = {
  id: z.string().optional(),
  description: z.string().nullable().optional(),
  created_on: z.string().optional(),
  modified_on: z.string().optional(),
};

const COMMON = {
  timeout: int(1, 60).default(5).describe("seconds one attempt may take"),
  retries: int(0, 5).default(2).describe("immediate retries before a probe counts as failed"),
  interval: int(5, 3600).default(60).describe("seconds between probes"),
  consecutive_up: int(0, 100).default(0).describe("successes in a row before an origin goes up (0 means 1)"),
  consecutive_down: int(0, 100).default(0).describe("failures in a row before an origin goes down (0 means 1)"),
};

/** Why a field is ignored, worded once for every type that has no use for it. */
export const WHY = {
  probe_zone: "gslb probes from this machine, not from Cloudflare's edge: there is no zone to emulate",
  method: "this type sends no request method",
  path: "only http and https monitors request a path",
  header: "only http and https monitors send headers",
  expected_codes: "only http and https monitors have status codes",
  expected_body: "only http and https monitors read a body",
  follow_redirects: "only http and https monitors follow redirects",
  allow_insecure: "only https monitors verify a certificate",
  port: "ICMP has no ports",
} as const;

type Ignorable = keyof typeof WHY;

/** The ignored fields of a type: each accepted with any value (Cloudflare returns them all). */
export function ignore(...fields: Ignorable[]): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [f, WHY[f]]));
}

/**
 * The input object of a type: its `type` literal, the common and descriptive fields, its ignored
 * fields (any value), then its own fields (which may override the common ones).
 */
export function monitorObject<Name extends string, Shape extends z.core.$ZodLooseShape>(name: Name, ignored: Readonly<Record<string, string>>, shape: Shape) {
  const accepted = Object.fromEntries(Object.keys(ignored).map((k) => [k, z.unknown().optional().describe(`ignored: ${ignored[k]}`)]));
  return z.strictObject({ type: z.literal(name), ...DESCRIPTIVE, ...COMMON, ...accepted, ...shape });
}

/** A port with a default: absent, null or 0 means the type's default port (Cloudflare: port 0). */
export const portOrDefault = (defaultPort: number) =>
  int(0, 65535).nullable().optional().describe(`probe port; 0 or absent: ${defaultPort}`);

/** A port a type cannot do without (Cloudflare: "Required for TCP, UDP, and SMTP checks"). */
export const requiredPort = (type: string) =>
  z.number({ error: (iss) => (iss.input == null ? `a ${type} monitor needs a port (1-65535): ${type} has no default port` : undefined) })
    .int()
    .min(1, { error: `a ${type} monitor needs a port (1-65535): 0 means the type's default port, and ${type} has none` })
    .max(65535);

/**
 * The settings every type has, normalised (consecutive counts of 0 mean 1, as at Cloudflare), on
 * top of the parsed object as written: its ignored and descriptive fields stay for the loader.
 */
export function baseSettings<Name extends string, M extends { timeout: number; retries: number; interval: number; consecutive_up: number; consecutive_down: number }>(
  type: Name,
  m: M,
): Omit<M, keyof BaseSettings> & BaseSettings<Name> {
  return {
    ...m,
    type,
    timeout: m.timeout,
    retries: m.retries,
    interval: m.interval,
    consecutive_up: Math.max(1, m.consecutive_up),
    consecutive_down: Math.max(1, m.consecutive_down),
  };
}
