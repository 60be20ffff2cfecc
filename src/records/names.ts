// Owner and target names in zone files: resolution against the zone, and the character rules.

import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS } from "../wire/constants.js";

/** Absolute lower-case name without the trailing dot, or an error message. */
export function resolveName(text: string, origin: string, opts: { wildcard?: boolean; root?: boolean } = {}): string | { error: string } {
  if (text === "@") return origin;
  if (text === "." && opts.root) return "";
  const absolute = text.endsWith(".") ? text.slice(0, -1) : origin === "" ? text : `${text}.${origin}`;
  const problem = checkName(absolute, opts.wildcard ?? false);
  return problem === null ? absolute.toLowerCase() : { error: `${JSON.stringify(text)}: ${problem}` };
}

const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

/**
 * Letters, digits, "-" and "_" (service labels); "*" only as a whole leftmost label. Escapes and
 * other bytes are not accepted in zone files: nothing a GSLB serves needs them.
 */
export function checkName(name: string, wildcard: boolean): string | null {
  if (name === "") return null;
  const labels = name.split(".");
  let octets = 1;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === "") return "empty label (two dots in a row, or a leading dot)";
    if (l.length > MAX_LABEL_OCTETS) return `label "${l.slice(0, 20)}…" is ${l.length} bytes; the limit is ${MAX_LABEL_OCTETS}`;
    octets += l.length + 1;
    if (l === "*") {
      if (i !== 0 || !wildcard) return `"*" is allowed only as the leftmost label of an owner name`;
      continue;
    }
    if (!LABEL.test(l)) return `label "${l}" may hold only letters, digits, "-" and "_", and not start or end with "-"`;
  }
  if (octets > MAX_NAME_OCTETS) return `name is ${octets} bytes on the wire; the limit is ${MAX_NAME_OCTETS}`;
  return null;
}

/** name is origin or below it. */
export function inZone(name: string, origin: string): boolean {
  return name === origin || origin === "" || name.endsWith("." + origin);
}
