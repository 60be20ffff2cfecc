// What a GeoIP provider answers (geoip.ts chooses one; geotable.ts is the default).

import { parseIPv4, parseIPv6 } from "../wire/ip.js";

export interface GeoResult {
  readonly country: string;
  readonly subdivision: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
}

export interface GeoProvider {
  readonly name: string;
  /** The place an address (4 or 16 bytes) is in, or -1 when unknown. */
  place(family: 4 | 6, bytes: Buffer): number;
  /** What a place number stands for. */
  describe(place: number): GeoResult;
  /** Text lookup (tools and tests). */
  lookup(address: string): GeoResult | null;
}

/** Text address → place → result (for `lookup` on any provider built on place/describe). */
export function lookupText(p: Pick<GeoProvider, "place" | "describe">, address: string): GeoResult | null {
  const v4 = parseIPv4(address);
  const bytes = v4 ?? parseIPv6(address);
  if (bytes === null) return null;
  const place = p.place(v4 !== null ? 4 : 6, bytes);
  return place < 0 ? null : p.describe(place);
}
