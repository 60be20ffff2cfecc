#!/usr/bin/env node
// Data for scripts/bench, generated from what the project already ships (no download, no extra
// package):
//
//   node scripts/bench-data.mjs mmdb OUT.mmdb   a MaxMind-format (GeoIP2 City layout) database made
//        from geoip-lite's bundled city data, so that gdnsd, PowerDNS and gslb locate every client
//        from the same data as gslb's default: continent.code, country.iso_code and
//        location.latitude/longitude per range. "continent" is the bench's grouping of
//        src/locate/regions.json (see CONTINENT below), so that one geo mapping reads the same in
//        every server's configuration. It also places the bench's three origin addresses
//        (127.0.1.1, 127.0.2.1, 127.0.3.1) at their pools' coordinates, for PowerDNS's
//        pickclosest, which locates candidate addresses, not pools.
//   node scripts/bench-data.mjs queries DIR     dnsperf input files (-B: each message as on TCP,
//        2-byte length then the DNS message) and DIR/verify.tsv, the subnets the bench digs to
//        check every server's answers before measuring.
//
// Deterministic: the same geoip-lite data gives the same files.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ZONE = "bench.example";
// Pools of the bench zone: where their origins are, and the coordinates every server uses.
export const POOLS = {
  us: { address: "127.0.1.1", lat: 38.9, lon: -77.0, country: "US", continent: "NA" },
  eu: { address: "127.0.2.1", lat: 50.1, lon: 8.7, country: "DE", continent: "EU" },
  ap: { address: "127.0.3.1", lat: 35.7, lon: 139.7, country: "JP", continent: "AS" },
};
// Cloudflare region (gslb's unit for region_pools) -> the continent code written into the mmdb.
// Geo steering is by continent in gdnsd and PowerDNS and by region in gslb; this table makes them
// the same mapping: NA, SA -> us; EU, AF -> eu; AS, OC -> ap (scripts/bench-zones/*).
const CONTINENT = {
  WNAM: "NA", ENAM: "NA", NSAM: "SA", SSAM: "SA", WEU: "EU", EEU: "EU", NAF: "AF", SAF: "AF",
  ME: "AS", SAS: "AS", SEAS: "AS", NEAS: "AS", OC: "OC",
};
const GEO_POOL = { NA: "us", SA: "us", EU: "eu", AF: "eu", AS: "ap", OC: "ap" };

function countryContinents() {
  const regions = JSON.parse(fs.readFileSync(path.join(root, "src/locate/regions.json"), "utf8"));
  const map = new Map();
  for (const [code, r] of Object.entries(regions.regions)) for (const c of r.countries) map.set(c, CONTINENT[code]);
  for (const [c, split] of Object.entries(regions.split_countries)) map.set(c, CONTINENT[split.default_region]);
  return map;
}

/** geoip-lite's IPv4 city ranges, adjacent ranges with the same data merged. */
function geoipLiteRanges() {
  const dir = path.join(root, "node_modules/geoip-lite/data");
  const main = fs.readFileSync(path.join(dir, "geoip-city.dat"));
  const names = fs.readFileSync(path.join(dir, "geoip-city-names.dat"));
  const n = main.length / 24;
  const start = new Uint32Array(n), end = new Uint32Array(n), rec = new Int32Array(n);
  const records = []; // [country, lat, lon]
  const index = new Map();
  let m = 0;
  for (let i = 0; i < n; i++) {
    const o = i * 24;
    const loc = main.readUInt32BE(o + 8);
    if (loc === 0xffffffff) continue;
    const cc = names.toString("latin1", loc * 88, loc * 88 + 2);
    const lat = main.readInt32BE(o + 12), lon = main.readInt32BE(o + 16);
    const key = `${cc},${lat},${lon}`;
    let k = index.get(key);
    if (k === undefined) { k = records.length; records.push([cc, lat / 10000, lon / 10000]); index.set(key, k); }
    const s = main.readUInt32BE(o), e = main.readUInt32BE(o + 4);
    if (m > 0 && rec[m - 1] === k && end[m - 1] + 1 === s) { end[m - 1] = e; continue; }
    start[m] = s; end[m] = e; rec[m] = k; m++;
  }
  return { start: start.subarray(0, m), end: end.subarray(0, m), rec: rec.subarray(0, m), records };
}

// ---------- MaxMind DB writer (https://maxmind.github.io/MaxMind-DB/), just what this needs ----------
function ctrl(type, size) {
  const head = [];
  let extra = [];
  if (size < 29) head.push(size);
  else if (size < 285) { head.push(29); extra = [size - 29]; }
  else if (size < 65821) { head.push(30); extra = [(size - 285) >> 8, (size - 285) & 255]; }
  else { head.push(31); const v = size - 65821; extra = [(v >> 16) & 255, (v >> 8) & 255, v & 255]; }
  if (type <= 7) head[0] |= type << 5;
  else head.push(type - 7);
  return Buffer.from([...head, ...extra]);
}
function enc(v) {
  if (typeof v === "string") { const b = Buffer.from(v, "utf8"); return Buffer.concat([ctrl(2, b.length), b]); }
  if (typeof v === "number" && !Number.isInteger(v)) { const b = Buffer.alloc(8); b.writeDoubleBE(v); return Buffer.concat([ctrl(3, 8), b]); }
  if (Array.isArray(v)) return Buffer.concat([ctrl(11, v.length), ...v.map(enc)]);
  if (typeof v === "object" && v !== null && v.double !== undefined) { const b = Buffer.alloc(8); b.writeDoubleBE(v.double); return Buffer.concat([ctrl(3, 8), b]); }
  if (typeof v === "object" && v !== null && v.uint !== undefined) {
    const type = v.bits === 16 ? 5 : v.bits === 32 ? 6 : 9;
    const bytes = [];
    for (let x = BigInt(v.uint); x > 0n; x >>= 8n) bytes.unshift(Number(x & 255n));
    return Buffer.concat([ctrl(type, bytes.length), Buffer.from(bytes)]);
  }
  if (typeof v === "object" && v !== null) {
    const keys = Object.keys(v);
    return Buffer.concat([ctrl(7, keys.length), ...keys.flatMap((k) => [enc(k), enc(v[k])])]);
  }
  throw new Error(`cannot encode ${v}`);
}

function writeMmdb(out) {
  const continents = countryContinents();
  const { start, end, rec, records } = geoipLiteRanges();
  // The origin addresses, at their pools' coordinates (127/8 is not in geoip-lite's data).
  const extra = Object.values(POOLS).map((p) => {
    const [a, b, c] = p.address.split(".").map(Number);
    const s = ((a << 24) | (b << 16) | (c << 8)) >>> 0;
    records.push([p.country, p.lat, p.lon]);
    return [s, s + 255, records.length - 1];
  });
  // Merge the extra ranges into the sorted list.
  const S = [], E = [], R = [];
  let j = 0;
  for (let i = 0; i <= start.length; i++) {
    while (j < extra.length && (i === start.length || extra[j][0] < start[i])) { S.push(extra[j][0]); E.push(extra[j][1]); R.push(extra[j][2]); j++; }
    if (i < start.length) { S.push(start[i]); E.push(end[i]); R.push(rec[i]); }
  }
  const st = Uint32Array.from(S), en = Uint32Array.from(E), rc = Int32Array.from(R);
  const n = st.length;

  // Data section: one map per distinct record.
  const dataParts = [];
  const dataOffset = new Int32Array(records.length);
  let off = 0;
  for (let k = 0; k < records.length; k++) {
    const [cc, lat, lon] = records[k];
    const value = {};
    const cont = continents.get(cc);
    if (cont) value.continent = { code: cont };
    value.country = { iso_code: cc };
    // accuracy_radius: PowerDNS reads a location only when it is there (geoipinterface-mmdb.cc).
    value.location = { accuracy_radius: { uint: 100, bits: 16 }, latitude: { double: lat }, longitude: { double: lon } };
    const b = enc(value);
    dataOffset[k] = off; off += b.length; dataParts.push(b);
  }

  // Search tree: IPv6 (ip_version 6), IPv4 in ::/96 as MaxMind's own databases have it.
  let cap = 1 << 22, left = new Int32Array(cap), right = new Int32Array(cap), count = 0;
  const EMPTY = -1;
  const alloc = () => {
    if (count === cap) {
      cap *= 2;
      const l = new Int32Array(cap); l.set(left); left = l;
      const r = new Int32Array(cap); r.set(right); right = r;
    }
    return count++;
  };
  for (let i = 0; i < 96; i++) { const id = alloc(); left[id] = id + 1; right[id] = EMPTY; }
  // first range index with end >= lo, searching [a, b)
  const firstEnd = (lo, a, b) => { while (a < b) { const mid = (a + b) >>> 1; if (en[mid] < lo) a = mid + 1; else b = mid; } return a; };
  const build = (lo, bits, a, b) => {
    const hi = lo + 2 ** bits - 1;
    const i = firstEnd(lo, a, b);
    if (i === b || st[i] > hi) return EMPTY;
    if (st[i] <= lo && en[i] >= hi) return -2 - rc[i];
    const id = alloc();
    const half = 2 ** (bits - 1);
    // ranges that can touch [lo, hi]: from i to the first starting after hi
    let k = i; { let x = i, y = b; while (x < y) { const mid = (x + y) >>> 1; if (st[mid] <= hi) x = mid + 1; else y = mid; } k = x; }
    const l = build(lo, bits - 1, i, k);
    const r = build(lo + half, bits - 1, i, k);
    left[id] = l; right[id] = r;
    return id;
  };
  const v4root = build(0, 32, 0, n);
  if (v4root !== 96) throw new Error("unexpected tree shape");
  const nodeCount = count;
  const value = (x) => (x >= 0 ? x : x === EMPTY ? nodeCount : nodeCount + 16 + dataOffset[-2 - x]);
  const tree = Buffer.alloc(nodeCount * 8);
  for (let i = 0; i < nodeCount; i++) { tree.writeUInt32BE(value(left[i]), i * 8); tree.writeUInt32BE(value(right[i]), i * 8 + 4); }
  const meta = enc({
    binary_format_major_version: { uint: 2, bits: 16 },
    binary_format_minor_version: { uint: 0, bits: 16 },
    build_epoch: { uint: Date.UTC(2026, 6, 8) / 1000, bits: 64 }, // geoip-lite 2.0.3 data date (libmaxminddb wants non-zero)
    database_type: "GeoIP2-City",
    description: { en: "gslb bench: geoip-lite 2.0.3 city data, continent = bench grouping of regions.json" },
    ip_version: { uint: 6, bits: 16 },
    languages: ["en"],
    node_count: { uint: nodeCount, bits: 32 },
    record_size: { uint: 32, bits: 16 },
  });
  fs.writeFileSync(out, Buffer.concat([tree, Buffer.alloc(16), ...dataParts, Buffer.from([0xab, 0xcd, 0xef]), Buffer.from("MaxMind.com"), meta]));
  console.error(`bench-data: ${out}: ${n} ranges, ${records.length} locations, ${nodeCount} nodes`);
}

// ---------- dnsperf -B query files ----------
function qname(name) {
  return Buffer.concat([...name.split(".").filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}
/** One query framed as dnsperf -B reads it; EDNS (1232) always, ECS /24 when `subnet` is given. */
function query(name, subnet = null) {
  const head = Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  const q = Buffer.concat([qname(name), Buffer.from([0, 1, 0, 1])]);
  const opt = subnet === null ? Buffer.alloc(0) : Buffer.from([0, 8, 0, 7, 0, 1, 24, 0, (subnet >>> 24) & 255, (subnet >>> 16) & 255, (subnet >>> 8) & 255]);
  const rr = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, opt.length >> 8, opt.length & 255]);
  const msg = Buffer.concat([head, q, rr, opt]);
  const len = Buffer.alloc(2); len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}
function mulberry32(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const ip = (x) => `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;

function writeQueries(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const { start, end, rec, records } = geoipLiteRanges();
  const continents = countryContinents();
  // Distinct /24s drawn uniformly from the address space geoip-lite locates (where real clients are).
  const cum = new Float64Array(start.length);
  let total = 0;
  for (let i = 0; i < start.length; i++) { total += end[i] - start[i] + 1; cum[i] = total; }
  const rand = mulberry32(20261129);
  const subnets = (count, seen) => {
    const out = new Uint32Array(count);
    let k = 0;
    while (k < count) {
      const x = rand() * total;
      let a = 0, b = cum.length - 1;
      while (a < b) { const mid = (a + b) >>> 1; if (cum[mid] > x) b = mid; else a = mid + 1; }
      const addr = start[a] + Math.floor(x - (a > 0 ? cum[a - 1] : 0));
      const s24 = (addr & 0xffffff00) >>> 0;
      if (seen.has(s24)) continue;
      seen.add(s24); out[k++] = s24;
    }
    return out;
  };
  const s10k = subnets(10000, new Set());
  const s1m = subnets(1000000, new Set());
  const countries = new Set();
  for (const s of s10k) { const i = rangeOf(s); if (i >= 0) countries.add(records[rec[i]][0]); }
  function rangeOf(a) { let x = 0, y = start.length - 1; while (x < y) { const m = (x + y) >>> 1; if (end[m] < a) x = m + 1; else y = m; } return start[x] <= a && a <= end[x] ? x : -1; }

  const write = (file, bufs) => fs.writeFileSync(path.join(dir, file), Buffer.concat(bufs));
  write("static.bin", [query(`static.${ZONE}`)]);
  const nxRand = mulberry32(7);
  const nxName = () => Array.from({ length: 12 }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(nxRand() * 36)]).join("") + `.${ZONE}`;
  const nx = Array.from({ length: 10000 }, nxName);
  write("nxdomain.bin", nx.map((n) => query(n)));
  write("lb10k.bin", Array.from(s10k, (s) => query(`www.${ZONE}`, s)));
  write("proximity.bin", Array.from(s10k, (s) => query(`near.${ZONE}`, s)));
  // 1M messages, written in chunks (each is the same length, which lets the bench rotate the file).
  const fd = fs.openSync(path.join(dir, "lb1m.bin"), "w");
  for (let i = 0; i < s1m.length; i += 50000) fs.writeSync(fd, Buffer.concat(Array.from(s1m.subarray(i, i + 50000), (s) => query(`www.${ZONE}`, s))));
  fs.closeSync(fd);
  // TCP mix: static A, the load-balanced name with ECS (10k subnets), NXDOMAIN, in turn.
  const mix = [];
  for (let i = 0; i < 10000; i++) mix.push(query(`static.${ZONE}`), query(`www.${ZONE}`, s10k[i]), query(nx[i]));
  write("tcp.bin", mix);
  fs.writeFileSync(path.join(dir, "lb1m.msglen"), String(query(`www.${ZONE}`, 0).length));

  // Subnets to dig before measuring: the largest range of a country, well inside it, whose
  // expected pool is clear for geo and for proximity.
  const picks = [
    ["DE", (lat, lon) => lat > 47 && lat < 55 && lon > 6 && lon < 15],
    ["JP", (lat, lon) => lon > 130],
    ["US", (lat, lon) => lon > -90 && lon < -70],
    ["BR", (lat, lon) => lat < -10],
  ];
  const lines = ["# country\tsubnet\tgeo pool address\tproximity pool address\tlat,lon"];
  for (const [cc, ok] of picks) {
    let best = -1;
    for (let i = 0; i < start.length; i++) {
      const [c, lat, lon] = records[rec[i]];
      if (c !== cc || !ok(lat, lon)) continue;
      if (end[i] - start[i] < 1024) continue;
      if (best < 0 || end[i] - start[i] > end[best] - start[best]) best = i;
    }
    if (best < 0) continue;
    const [, lat, lon] = records[rec[best]];
    const s24 = ((start[best] + 512) & 0xffffff00) >>> 0;
    const geo = POOLS[GEO_POOL[continents.get(cc)] ?? "us"].address;
    const dist = (p) => { const r = Math.PI / 180; return Math.acos(Math.min(1, Math.sin(lat * r) * Math.sin(p.lat * r) + Math.cos(lat * r) * Math.cos(p.lat * r) * Math.cos((lon - p.lon) * r))); };
    const near = Object.values(POOLS).sort((a, b) => dist(a) - dist(b))[0].address;
    lines.push(`${cc}\t${ip(s24)}/24\t${geo}\t${near}\t${lat},${lon}`);
  }
  fs.writeFileSync(path.join(dir, "verify.tsv"), lines.join("\n") + "\n");
  console.error(`bench-data: ${dir}: 10,000 and 1,000,000 distinct /24s (the 10,000 fall in ${countries.size} countries)`);
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === "mmdb" && arg) writeMmdb(arg);
else if (cmd === "queries" && arg) writeQueries(arg);
else {
  console.error("usage: node scripts/bench-data.mjs mmdb OUT.mmdb | queries DIR");
  process.exit(2);
}
