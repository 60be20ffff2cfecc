// Writes a minimal MaxMind DB (format 2.0, IPv4 tree, 24-bit records) holding one network, so the
// `--geoip-mmdb` path is tested with the real `maxmind` reader without shipping a database.

type Value = string | number | boolean | Value[] | { [k: string]: Value };

function control(type: number, size: number): Buffer {
  // Types above 7 are "extended": type bits 0, then a byte with type - 7.
  if (size >= 29) throw new Error("test writer: sizes under 29 only");
  return type <= 7 ? Buffer.from([(type << 5) | size]) : Buffer.from([size, type - 7]);
}

function encode(v: Value, doubles = false): Buffer {
  if (typeof v === "string") { const b = Buffer.from(v); return Buffer.concat([control(2, b.length), b]); }
  if (typeof v === "boolean") return control(14, v ? 1 : 0);
  if (typeof v === "number") {
    if (doubles || !Number.isInteger(v)) { const b = Buffer.alloc(8); b.writeDoubleBE(v); return Buffer.concat([control(3, 8), b]); }
    const b = Buffer.alloc(4); b.writeUInt32BE(v); return Buffer.concat([control(6, 4), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map((x) => encode(x))]);
  const entries = Object.entries(v);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x, k === "latitude" || k === "longitude")])]);
}

/** A database where `network` (IPv4, /prefix) maps to `record`; everything else has no data. */
export function writeMmdb(network: [number, number, number, number], prefix: number, record: Value): Buffer {
  const nodeCount = prefix;
  const tree = Buffer.alloc(nodeCount * 6);
  const bits = ((network[0] << 24) | (network[1] << 16) | (network[2] << 8) | network[3]) >>> 0;
  const dataPointer = nodeCount + 16; // data section offset 0
  for (let i = 0; i < nodeCount; i++) {
    const bit = (bits >>> (31 - i)) & 1;
    const next = i === nodeCount - 1 ? dataPointer : i + 1;
    const left = bit === 0 ? next : nodeCount;
    const right = bit === 1 ? next : nodeCount;
    tree.writeUIntBE(left, i * 6, 3);
    tree.writeUIntBE(right, i * 6 + 3, 3);
  }
  const metadata = Buffer.concat([
    control(7, 9),
    encode("node_count"), Buffer.concat([control(6, 4), u32(nodeCount)]),
    encode("record_size"), Buffer.concat([control(5, 2), u16(24)]),
    encode("ip_version"), Buffer.concat([control(5, 2), u16(4)]),
    encode("database_type"), encode("GeoIP2-City"),
    encode("languages"), encode(["en"]),
    encode("binary_format_major_version"), Buffer.concat([control(5, 2), u16(2)]),
    encode("binary_format_minor_version"), Buffer.concat([control(5, 2), u16(0)]),
    encode("build_epoch"), Buffer.concat([control(9, 8), Buffer.alloc(4), u32(1_790_000_000)]),
    encode("description"), encode({ en: "gslb test database" }),
  ]);
  return Buffer.concat([tree, Buffer.alloc(16), encode(record), Buffer.from("\xab\xcd\xefMaxMind.com", "latin1"), metadata]);
}

const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
