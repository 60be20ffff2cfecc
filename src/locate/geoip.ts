// GeoIP providers: geoip-lite's bundled data as a compact table (the default, geotable.ts) or a
// MaxMind-format database given with `gslb serve --geoip-mmdb FILE` (what serious operators run,
// kept current by geoipupdate). Both answer with place numbers: the same place is always the same
// number, so the locator can keep one Location object per place and the answer cache can key on it.

import fs from "node:fs";
import { GeoTable } from "./geotable.js";
import { lookupText, type GeoProvider, type GeoResult } from "./provider.js";

export type { GeoProvider, GeoResult } from "./provider.js";

/** geoip-lite's bundled data (2.0.3, published 2026-07-08), as a compact table. */
export function geoipLite(): GeoProvider {
  return GeoTable.fromGeoipLite();
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
  // Places interned by what they hold: the database has no place numbers of its own.
  const places: GeoResult[] = [];
  const byKey = new Map<string, number>();
  const provider: GeoProvider = {
    name: `mmdb ${file}`,
    place(family, bytes) {
      const r = reader.get(family === 4 ? bytes.join(".") : bytes.toString("hex").replace(/(.{4})(?!$)/g, "$1:"));
      const country = r?.country?.iso_code ?? r?.registered_country?.iso_code;
      if (!country) return -1;
      const result: GeoResult = {
        country,
        subdivision: r?.subdivisions?.[0]?.iso_code ?? null,
        latitude: r?.location?.latitude ?? null,
        longitude: r?.location?.longitude ?? null,
      };
      const key = `${result.country}|${result.subdivision}|${result.latitude}|${result.longitude}`;
      let place = byKey.get(key);
      if (place === undefined) {
        byKey.set(key, (place = places.length));
        places.push(Object.freeze(result));
      }
      return place;
    },
    describe: (place) => places[place]!,
    lookup: (address) => lookupText(provider, address),
  };
  return provider;
}
