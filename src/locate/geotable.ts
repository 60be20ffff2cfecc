// A compact location table built from geoip-lite's data files: what the server keeps in memory
// instead of the library's ~110 MB of tables. Per address range it keeps only its first address
// and a place number; a place is (country, subdivision, latitude, longitude), the only things
// steering reads. Adjacent ranges with the same place are merged, gaps become "no place".
//
// Measured (geoip-lite 2.0.3 data): about 3.3 million IPv4 city ranges become ~2.6 million entries
// (with the gaps between them), ~20 MB of typed arrays with IPv6 and the places, built in about
// two seconds at start. A lookup is a binary search within the address's /16: no strings, no
// objects, no cache needed.
//
// The file format is geoip-lite's (lib/geoip.js, version pinned in package.json): IPv4 city
// records of 24 bytes (start u32, end u32, location id u32, latitude i32 ×10⁴, longitude i32 ×10⁴,
// area), IPv6 records of 48 bytes (start 16 bytes, end 16 bytes, then the same four fields; only
// the first 64 bits of an address are compared), location records of 88 bytes (country 2, region 3,
// …). test/geotable.test.ts compares every lookup with geoip-lite's own on a million addresses.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { lookupText, type GeoProvider, type GeoResult } from "./provider.js";

const V4_RECORD = 24;
const V6_RECORD = 48;
const LOCATION_RECORD = 88;
const NO_LOCATION = 0xffffffff;
const NO_PLACE = -1;
/** A location record without a country: interned like the others, answered as no place. */
const NO_COUNTRY = 0xffff;
/** Records read per chunk: the 79 MB file is streamed, never held whole. */
const CHUNK_RECORDS = 1 << 16;

/** geoip-lite excludes these (lib/geoip.js: privateRange4); so do we. */
const PRIVATE4 = new Uint32Array([0x0a000000, 0x0affffff, 0xac100000, 0xac1fffff, 0xc0a80000, 0xc0a8ffff]); // (first, last) pairs

export class GeoTable implements GeoProvider {
  private constructor(
    readonly name: string,
    /** IPv4: first address of each entry (sorted; kept as its low 16 bits, below), and its place (-1: none). */
    starts4: Uint32Array,
    private readonly places4: Int32Array,
    /** IPv6: first 64 bits of each entry's first address, as two halves; its place. */
    private readonly starts6hi: Uint32Array,
    private readonly starts6lo: Uint32Array,
    private readonly places6: Int32Array,
    private readonly places: Places,
  ) {
    // By the top 16 bits of an IPv4 address: the first entry at or after that /16. A lookup then
    // searches one /16's few entries (39 on average), in one or two cache lines, instead of
    // 21 steps across 11 MB: with a million different clients, memory latency was the cost.
    this.index4 = new Uint32Array(65_537);
    let e = 0;
    for (let b = 0; b < 65_536; b++) {
      while (e < starts4.length && starts4[e]! >>> 16 < b) e++;
      this.index4[b] = e;
    }
    this.index4[65_536] = starts4.length;
    // Within a /16 the top 16 bits are the index's: each start keeps its low 16 (5 MB less).
    this.low4 = new Uint16Array(starts4.length);
    for (let i = 0; i < starts4.length; i++) this.low4[i] = starts4[i]! & 0xffff;
  }

  private readonly index4: Uint32Array;
  private readonly low4: Uint16Array;

  /** Builds the table from the geoip-lite package's data directory (default: the installed package's). */
  static fromGeoipLite(dataDir?: string): GeoTable {
    const dir = dataDir ?? geoipLiteDataDir();
    const version = dataDir === undefined ? geoipLiteVersion() : "data";
    const names = fs.readFileSync(path.join(dir, "geoip-city-names.dat"));
    const places = new PlaceInterner(names);
    const v4 = readRanges(path.join(dir, "geoip-city.dat"), V4_RECORD, places, 4);
    const v6 = readRanges(path.join(dir, "geoip-city6.dat"), V6_RECORD, places, 6);
    return new GeoTable(`geoip-lite ${version} (compact)`, v4.hi, v4.places, v6.hi, v6.lo, v6.places, places.finish());
  }

  /** Entries held (IPv4 + IPv6) and places, for benchmarks. */
  get size(): { entries: number; places: number; bytes: number } {
    const p = this.places;
    const bytes = this.index4.byteLength + this.low4.byteLength + this.places4.byteLength + this.starts6hi.byteLength + this.starts6lo.byteLength + this.places6.byteLength
      + p.country.byteLength + p.subdivision.byteLength + p.lat.byteLength + p.lon.byteLength;
    return { entries: this.low4.length + this.starts6hi.length, places: p.lat.length, bytes };
  }

  place(family: 4 | 6, bytes: Buffer): number {
    if (family === 4) {
      const ip = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
      for (let i = 0; i < PRIVATE4.length; i += 2) if (ip >= PRIVATE4[i]! && ip <= PRIVATE4[i + 1]!) return NO_PLACE;
      const i = this.lastAtOrBelow4(ip);
      return i < 0 ? NO_PLACE : this.places4[i]!;
    }
    const hi = bytes.readUInt32BE(0);
    const lo = bytes.readUInt32BE(4);
    // Binary search on (hi, lo): the last entry starting at or before the address.
    let a = 0;
    let b = this.starts6hi.length - 1;
    let found = -1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      const mh = this.starts6hi[m]!;
      if (mh < hi || (mh === hi && this.starts6lo[m]! <= lo)) { found = m; a = m + 1; } else b = m - 1;
    }
    return found < 0 ? NO_PLACE : this.places6[found]!;
  }

  /** The last IPv4 entry starting at or before `ip`, or -1: searched within its /16 (index4). */
  private lastAtOrBelow4(ip: number): number {
    const hi = ip >>> 16;
    // Entries of this /16 are [index4[hi], index4[hi + 1]); the one before them covers its start.
    let a = this.index4[hi]!;
    let b = this.index4[hi + 1]! - 1;
    let found = a - 1;
    const low = this.low4, lo = ip & 0xffff;
    while (a <= b) {
      const m = (a + b) >>> 1;
      if (low[m]! <= lo) { found = m; a = m + 1; } else b = m - 1;
    }
    return found;
  }

  describe(place: number): GeoResult {
    const p = this.places;
    return { country: p.countries[p.country[place]!]!, subdivision: p.subdivisions[p.subdivision[place]!]!, latitude: p.lat[place]! / 10_000, longitude: p.lon[place]! / 10_000 };
  }

  /** Text lookup (tools, tests): the same answer as place + describe. */
  lookup(address: string): GeoResult | null {
    return lookupText(this, address);
  }
}



/**
 * Places interned by (location record, latitude, longitude). A place is kept as three numbers
 * (country and subdivision index, coordinates ×10⁴), and becomes an object only when described.
 */
class PlaceInterner {
  readonly countries: string[] = [];
  readonly subdivisions: (string | null)[] = [];
  /** By place: index into countries / subdivisions, latitude and longitude ×10⁴. */
  country = new Uint16Array(1 << 16);
  subdivision = new Uint16Array(1 << 16);
  lat = new Int32Array(1 << 16);
  lon = new Int32Array(1 << 16);
  loc = new Uint32Array(1 << 16);
  count = 0;
  /** Hash slots: place + 1, 0 empty. */
  private slots = new Int32Array(1 << 17);
  /** By location record: [country index, subdivision index], or null when it has no country. */
  private readonly records = new Map<number, readonly [number, number] | null>();
  private readonly countryIndex = new Map<string, number>();
  private readonly subdivisionIndex = new Map<string | null, number>();
  constructor(private readonly names: Buffer) {}

  intern(locId: number, lat: number, lon: number): number {
    if (locId === NO_LOCATION || (locId + 1) * LOCATION_RECORD > this.names.length) return NO_PLACE;
    // Open addressing over typed arrays: millions of ranges, ~200,000 places; a Map of Maps
    // spent seconds here.
    const mask = this.slots.length - 1;
    let h = (Math.imul(locId, 0x9e3779b1) ^ Math.imul(lat, 0x85ebca6b) ^ Math.imul(lon, 0xc2b2ae35)) >>> 0;
    for (;; h = (h + 1) >>> 0) {
      const s = this.slots[h & mask]!;
      if (s === 0) break;
      const place = s - 1;
      if (this.loc[place] === locId && this.lat[place] === lat && this.lon[place] === lon) return this.country[place] === NO_COUNTRY ? NO_PLACE : place;
    }
    const rec = this.record(locId);
    const place = this.count++;
    if (place >= this.lat.length) this.grow();
    this.loc[place] = locId;
    this.country[place] = rec === null ? NO_COUNTRY : rec[0];
    this.subdivision[place] = rec === null ? 0 : rec[1];
    this.lat[place] = lat;
    this.lon[place] = lon;
    this.slots[h & mask] = place + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
    return rec === null ? NO_PLACE : place;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let place = 0; place < this.count; place++) {
      let h = (Math.imul(this.loc[place]!, 0x9e3779b1) ^ Math.imul(this.lat[place]!, 0x85ebca6b) ^ Math.imul(this.lon[place]!, 0xc2b2ae35)) >>> 0;
      while (this.slots[h & mask] !== 0) h = (h + 1) >>> 0;
      this.slots[h & mask] = place + 1;
    }
  }

  private record(locId: number): readonly [number, number] | null {
    let rec = this.records.get(locId);
    if (rec === undefined) {
      const off = locId * LOCATION_RECORD;
      const country = text(this.names, off, off + 2);
      const region = text(this.names, off + 2, off + 5) || null;
      rec = country === "" ? null : [indexOf(this.countryIndex, this.countries, country), indexOf(this.subdivisionIndex, this.subdivisions, region)];
      this.records.set(locId, rec);
    }
    return rec;
  }

  private grow(): void {
    const n = this.lat.length * 2;
    const copy = <T extends Uint16Array | Int32Array | Uint32Array>(a: T): T => { const b = new (a.constructor as new (n: number) => T)(n); b.set(a); return b; };
    this.country = copy(this.country); this.subdivision = copy(this.subdivision); this.lat = copy(this.lat); this.lon = copy(this.lon); this.loc = copy(this.loc);
  }

  /** The finished places: arrays trimmed, the file's buffers left to the collector. */
  finish(): Places {
    const n = this.count;
    return { countries: this.countries, subdivisions: this.subdivisions, country: this.country.slice(0, n), subdivision: this.subdivision.slice(0, n), lat: this.lat.slice(0, n), lon: this.lon.slice(0, n) };
  }
}

interface Places {
  readonly countries: readonly string[];
  readonly subdivisions: readonly (string | null)[];
  readonly country: Uint16Array;
  readonly subdivision: Uint16Array;
  readonly lat: Int32Array;
  readonly lon: Int32Array;
}

function indexOf<T>(index: Map<T, number>, list: T[], value: T): number {
  let i = index.get(value);
  if (i === undefined) { index.set(value, (i = list.length)); list.push(value); }
  return i;
}

function text(buf: Buffer, start: number, end: number): string {
  const nul = buf.indexOf(0, start);
  return buf.toString("utf8", start, nul >= start && nul < end ? nul : end);
}

interface Ranges { hi: Uint32Array; lo: Uint32Array; places: Int32Array }

/** Streams a range file into (start, place) entries: adjacent equal places merged, gaps as no place. */
function readRanges(file: string, recordSize: number, places: PlaceInterner, family: 4 | 6): Ranges {
  const fd = fs.openSync(file, "r");
  try {
    const total = Math.floor(fs.fstatSync(fd).size / recordSize);
    // Worst case every range and a gap before it: sized for that, trimmed at the end.
    let hi = new Uint32Array(total * 2 + 1);
    let lo = family === 6 ? new Uint32Array(total * 2 + 1) : new Uint32Array(0);
    let pl = new Int32Array(total * 2 + 1);
    let n = 0;
    // The address after the previous range's end, as (hi, lo); none before the first range or
    // after one that reached the top of the space.
    let nextHi = -1, nextLo = 0;
    let lastLoc = -1, lastLat = 0, lastLon = 0, lastPlace = NO_PLACE;
    const chunk = Buffer.allocUnsafe(CHUNK_RECORDS * recordSize);
    const push = (h: number, l: number, place: number) => {
      if (n > 0 && pl[n - 1] === place) return;
      hi[n] = h; if (family === 6) lo[n] = l; pl[n] = place; n++;
    };
    const f = family === 6 ? 32 : 8;
    for (let done = 0; done < total;) {
      const want = Math.min(CHUNK_RECORDS, total - done);
      const got = fs.readSync(fd, chunk, 0, want * recordSize, done * recordSize);
      if (got !== want * recordSize) throw new Error(`${file}: short read`);
      for (let r = 0; r < want; r++) {
        const o = r * recordSize;
        const sh = chunk.readUInt32BE(o);
        const sl = family === 6 ? chunk.readUInt32BE(o + 4) : 0;
        const eh = family === 6 ? chunk.readUInt32BE(o + 16) : chunk.readUInt32BE(o + 4);
        const el = family === 6 ? chunk.readUInt32BE(o + 20) : 0;
        const loc = chunk.readUInt32BE(o + f), lat = chunk.readInt32BE(o + f + 4), lon = chunk.readInt32BE(o + f + 8);
        // Neighbouring ranges mostly share their place: intern only when it changes.
        if (loc !== lastLoc || lat !== lastLat || lon !== lastLon) {
          lastPlace = places.intern(loc, lat, lon);
          lastLoc = loc; lastLat = lat; lastLon = lon;
        }
        // A gap between the previous range and this one: no place there.
        if (nextHi >= 0 && (sh > nextHi || (sh === nextHi && sl > nextLo))) push(nextHi, nextLo, NO_PLACE);
        push(sh, sl, lastPlace);
        // The address after this range's end (64-bit increment over two halves).
        if (family === 4) { nextHi = eh === 0xffffffff ? -1 : eh + 1; nextLo = 0; }
        else if (el !== 0xffffffff) { nextHi = eh; nextLo = el + 1; }
        else { nextHi = eh === 0xffffffff ? -1 : eh + 1; nextLo = 0; }
      }
      done += want;
    }
    // Past the last range: no place.
    if (nextHi >= 0) push(nextHi, nextLo, NO_PLACE);
    hi = hi.slice(0, n); lo = lo.slice(0, family === 6 ? n : 0); pl = pl.slice(0, n);
    return { hi, lo, places: pl };
  } finally {
    fs.closeSync(fd);
  }
}

const require = createRequire(import.meta.url);

function geoipLiteDataDir(): string {
  return path.join(path.dirname(require.resolve("geoip-lite/package.json")), "data");
}

function geoipLiteVersion(): string {
  return (require("geoip-lite/package.json") as { version: string }).version;
}
