// Builds the immutable in-memory zone from validated input, once per load: everything a query
// needs (nodes, empty non-terminals, cuts, wire records, the negative SOA) is computed here.

import { RRClass, RRType } from "../wire/constants.js";
import type { ResourceRecord } from "../wire/types.js";
import type { RRset, Zone, ZoneInput, ZoneNode } from "./types.js";

export function buildZone(input: ZoneInput): Zone {
  const origin = input.origin;
  const nodes = new Map<string, { name: string; rrsets: Map<number, RRset> }>();
  const add = (name: string, type: number, ttl: number, rdata: RRset["rdata"]) => {
    let node = nodes.get(name);
    if (node === undefined) nodes.set(name, (node = { name, rrsets: new Map() }));
    if (node.rrsets.has(type)) throw new Error(`buildZone: two ${type} RRsets at ${name}`);
    node.rrsets.set(type, makeRRset(name, type, ttl, rdata));
  };
  add(origin, RRType.SOA, input.soaTtl, [input.soa]);
  for (const s of input.rrsets) {
    if (s.name !== origin && !s.name.endsWith("." + origin)) throw new Error(`buildZone: ${s.name} is outside ${origin}`);
    add(s.name, s.type, s.ttl, s.rdata);
  }

  const emptyNonTerminals = new Set<string>();
  const cuts = new Set<string>();
  for (const name of nodes.keys()) {
    if (name !== origin && nodes.get(name)!.rrsets.has(RRType.NS)) cuts.add(name);
    for (let parent = parentOf(name); parent !== null && parent.length > origin.length; parent = parentOf(parent)) {
      if (!nodes.has(parent)) emptyNonTerminals.add(parent);
    }
  }

  const soa = nodes.get(origin)!.rrsets.get(RRType.SOA)!;
  const negativeTtl = Math.min(input.soaTtl, input.soa.minimum);
  const frozenNodes = new Map<string, ZoneNode>();
  for (const [name, n] of nodes) frozenNodes.set(name, Object.freeze({ name, rrsets: n.rrsets }));
  return Object.freeze({
    origin,
    source: input.source,
    serial: input.soa.serial,
    soa,
    negativeTtl,
    negativeSoa: Object.freeze({ name: origin, type: RRType.SOA, class: RRClass.IN, ttl: negativeTtl, data: input.soa }),
    nodes: frozenNodes,
    emptyNonTerminals,
    cuts,
  });
}

export function makeRRset(name: string, type: number, ttl: number, rdata: RRset["rdata"]): RRset {
  const records: ResourceRecord[] = rdata.map((data) => Object.freeze({ name, type, class: RRClass.IN, ttl, data }));
  return Object.freeze({ name, type, ttl, rdata, records: Object.freeze(records) });
}

/** "a.b.c" → "b.c"; "c" → ""; "" → null. An escaped dot ("a\\.b") is inside a label, not between labels. */
export function parentOf(name: string): string | null {
  if (name === "") return null;
  let dot = -1;
  if (!name.includes("\\")) dot = name.indexOf(".");
  else {
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c === 0x5c) i++; // the next character is escaped (\DDD digits are never dots)
      else if (c === 0x2e) { dot = i; break; }
    }
  }
  return dot === -1 ? "" : name.slice(dot + 1);
}
