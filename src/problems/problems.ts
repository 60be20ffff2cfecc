// Problems found in configuration files, as an operator reads them: the file, a JSON path
// (records["*.dev"].A.values[0], soa.serial), the reason, and "did you mean" suggestions.

export type Path = readonly (string | number)[];

/** A problem at a path of the file being checked (zone files and _overrides.json alike). */
export interface Problem {
  readonly path: Path;
  readonly message: string;
}

/** A problem as reported: file, formatted path, reason. */
export interface ConfigError {
  readonly file: string;
  /** JSON path in the file (records["*.dev"].A.values[0]); "$" for the whole file, never empty. */
  readonly path: string;
  readonly message: string;
}

/** The path of a problem with the whole file (JSON syntax, unreadable, kept last good version): JSONPath's root. */
export const WHOLE_FILE = "$";

/** One problem as a line: "file: path: reason" (a tag such as "warning: " before the reason). */
export function formatError(e: ConfigError, tag = ""): string {
  return `${e.file}: ${e.path}: ${tag}${e.message}`;
}

export function toError(file: string, p: Problem): ConfigError {
  return { file, path: formatPath(p.path), message: p.message };
}

/** ` (did you mean "y"?)` for the closest known name, or "". */
export function didYouMean(name: string, known: readonly string[]): string {
  const hint = suggest(name, known);
  return hint ? ` (did you mean ${JSON.stringify(hint)}?)` : "";
}

/** "unknown pool "x" (did you mean "y"?)" / "(known: a, b)". */
export function unknownName(kind: string, name: string, known: readonly string[]): string {
  const hint = didYouMean(name, known);
  return `unknown ${kind} ${JSON.stringify(name)}${hint !== "" ? hint : known.length ? ` (known: ${known.join(", ")})` : ""}`;
}

export function formatPath(path: Path): string {
  if (path.length === 0) return WHOLE_FILE;
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The closest known key, for "did you mean": case-insensitive match, else edit distance ≤ a third of its length. */
export function suggest(key: string, known: readonly string[]): string | null {
  const exact = known.find((k) => k.toLowerCase() === key.toLowerCase());
  if (exact !== undefined) return exact;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(Math.max(key.length, best.length) / 3)) ? best : null;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, swaps of neighbours ("recrods"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
