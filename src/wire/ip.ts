// IP address text <-> bytes, strict: the zone loader validates with these, the codec encodes with them.

/** Strict dotted quad (no leading zeros, 0-255) → 4 bytes, or null. */
export function parseIPv4(text: string): Buffer | null {
  const out = Buffer.alloc(4);
  let part = 0;
  let value = -1;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (value < 0 || part > 3) return null;
      out[part++] = value;
      value = -1;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (value === 0 && digits > 0) return null; // leading zero
      value = (value < 0 ? 0 : value * 10) + (c - 48);
      if (++digits > 3 || value > 255) return null;
    } else {
      return null;
    }
  }
  return part === 4 ? out : null;
}

export function formatIPv4(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/** IPv6 text (RFC 4291 §2.2 forms, including a trailing dotted quad) → 16 bytes, or null. */
export function parseIPv6(text: string): Buffer | null {
  if (text.length < 2 || text.length > 45) return null;
  const out = Buffer.alloc(16);
  const dbl = text.indexOf("::");
  if (dbl !== -1 && text.indexOf("::", dbl + 1) !== -1) return null;
  const head = dbl === -1 ? text : text.slice(0, dbl);
  const tail = dbl === -1 ? "" : text.slice(dbl + 2);
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  const words: number[] = [];
  const parseGroups = (groups: string[], allowV4Last: boolean): number[] | null => {
    const ws: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4Last && i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIPv4(g);
        if (v4 === null) return null;
        ws.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        ws.push(parseInt(g, 16));
      }
    }
    return ws;
  };
  const hw = parseGroups(headGroups, dbl === -1);
  const tw = parseGroups(tailGroups, true);
  if (hw === null || tw === null) return null;
  if (dbl === -1) {
    if (hw.length !== 8) return null;
    words.push(...hw);
  } else {
    const fill = 8 - hw.length - tw.length;
    if (fill < 1) return null;
    words.push(...hw, ...new Array<number>(fill).fill(0), ...tw);
  }
  for (let i = 0; i < 8; i++) out.writeUInt16BE(words[i]!, i * 2);
  return out;
}

/** 16 bytes → RFC 5952 canonical text: lower case, longest run (≥2) of zero groups as "::", leftmost on a tie. */
export function formatIPv6(b: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[offset + 2 * i]! << 8) | b[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Canonical (RFC 5952) form of IPv6 text, or null when it is not an IPv6 address. */
export function canonicalIPv6(text: string): string | null {
  const b = parseIPv6(text);
  return b === null ? null : formatIPv6(b);
}
