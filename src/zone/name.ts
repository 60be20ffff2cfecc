// Label arithmetic on names in presentation form (lower case, no trailing dot, "" is the root).
// Zone data never holds escapes (the config loader forbids them), but query names may: "a\.b" is
// one label, so a dot counts as a separator only when not escaped.

/** "a.b.c" → "b.c"; "c" → ""; "" → null. */
export function parentOf(name: string): string | null {
  if (name === "") return null;
  let dot: number;
  if (!name.includes("\\")) dot = name.indexOf(".");
  else {
    dot = -1;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c === 0x5c) i++; // the next character is escaped (the digits of \DDD are never dots)
      else if (c === 0x2e) {
        dot = i;
        break;
      }
    }
  }
  return dot === -1 ? "" : name.slice(dot + 1);
}

/** name is `ancestor` or below it, on label boundaries. */
export function isAtOrBelow(name: string, ancestor: string): boolean {
  if (ancestor === "" || name === ancestor) return true;
  const at = name.length - ancestor.length - 1;
  if (at < 1 || name.charCodeAt(at) !== 0x2e || !name.endsWith(ancestor)) return false;
  // The dot must not be escaped: an even number of backslashes before it.
  let slashes = 0;
  for (let i = at - 1; i >= 0 && name.charCodeAt(i) === 0x5c; i--) slashes++;
  return slashes % 2 === 0;
}
