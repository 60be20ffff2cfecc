import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { GeoTable } from "./geotable.js";

const require = createRequire(import.meta.url);
const lite = require("geoip-lite") as { lookup(ip: string): { country: string; region: string; ll: [number | null, number | null] } | null };

/** geoip-lite's own answer, reduced to what the table keeps. */
function expected(ip: string) {
  const r = lite.lookup(ip);
  if (r === null || !r.country) return null;
  return { country: r.country, subdivision: r.region || null, latitude: r.ll[0], longitude: r.ll[1] };
}

describe("GeoTable (compact geoip-lite data)", () => {
  const table = GeoTable.fromGeoipLite();

  it("answers as geoip-lite does, on 200,000 IPv4 and 50,000 IPv6 addresses", () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const mismatches: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      const n = next();
      const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      const want = expected(ip);
      const got = table.lookup(ip);
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${ip}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
    }
    for (let i = 0; i < 50_000; i++) {
      // Mostly 2000::/3 (where allocations are), with random low halves.
      const g = [0x2000 | (next() & 0x1fff), next() & 0xffff, next() & 0xffff, next() & 0xffff, next() & 0xffff, 0, 0, next() & 0xffff];
      const ip = g.map((x) => x.toString(16)).join(":");
      const want = expected(ip);
      const got = table.lookup(ip);
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${ip}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it("answers as geoip-lite does at the edges of /16s (each is searched by its own index entry)", () => {
    const mismatches: string[] = [];
    for (let b = 0; b < 65_536; b += 5) {
      for (const low of [0, 1, 0x7fff, 0xfffe, 0xffff]) {
        const ip = `${b >>> 8}.${b & 255}.${low >>> 8}.${low & 255}`;
        const want = expected(ip);
        const got = table.lookup(ip);
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${ip}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it("knows real places, and nothing for private or reserved space", () => {
    expect(table.lookup("81.2.69.142")).toMatchObject({ country: "GB" });
    expect(table.lookup("10.1.2.3")).toBeNull();
    expect(table.lookup("192.168.1.1")).toBeNull();
    expect(table.lookup("127.0.0.1")).toBeNull();
    expect(table.lookup("255.255.255.255")).toBeNull();
    // Merged ranges, IPv4 starts kept as 16 bits within their /16: ~20 MB where full starts took 25.
    expect(table.size.bytes).toBeLessThan(22 * 1024 * 1024);
  });
});
