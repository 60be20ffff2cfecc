// GeoIP providers: geoip-lite (bundled data, the default) or a MaxMind-format database given with
// `gslb serve --geoip-mmdb FILE` (what serious operators run, kept current by geoipupdate).

import fs from "node:fs";
import { createRequire } from "node:module";

export interface GeoResult {
  readonly country: string;
  readonly subdivision: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
}

export interface GeoProvider {
  readonly name: string;
  lookup(address: string): GeoResult | null;
}

const require = createRequire(import.meta.url);

/** geoip-lite 2.0.3 (data published with it, 2026-07-08); loads its ~110 MB of tables once. */
export function geoipLite(): GeoProvider {
  const geoip = require("geoip-lite") as { lookup(ip: string): { country: string; region: string; ll: [number, number] } | null };
  return {
    name: "geoip-lite 2.0.3",
    lookup(address) {
      const r = geoip.lookup(address);
      if (r === null || !r.country) return null;
      const [lat, lon] = r.ll ?? [];
      return { country: r.country, subdivision: r.region || null, latitude: lat ?? null, longitude: lon ?? null };
    },
  };
}

/** A MaxMind GeoIP2/GeoLite2 City or Country database (mmdb), read with the `maxmind` package. */
export async function mmdb(file: string): Promise<GeoProvider> {
  const { Reader } = await import("maxmind");
  let reader: InstanceType<typeof Reader<any>>;
  try {
    reader = new Reader<any>(fs.readFileSync(file));
  } catch (err) {
    throw new Error(`--geoip-mmdb ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return {
    name: `mmdb ${file}`,
    lookup(address) {
      const r = reader.get(address);
      const country = r?.country?.iso_code ?? r?.registered_country?.iso_code;
      if (!country) return null;
      return {
        country,
        subdivision: r?.subdivisions?.[0]?.iso_code ?? null,
        latitude: r?.location?.latitude ?? null,
        longitude: r?.location?.longitude ?? null,
      };
    },
  };
}
