// Country (and US/Canada subdivision) → Cloudflare's 13 load-balancing regions, from regions.json
// (copied from the team's shared table with its provenance: about half of it is inferred; see the
// "notes" and "provenance" fields there, and `scripts/regions-validate.mjs`).

import fs from "node:fs";

export const REGION_CODES = ["WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS"] as const;
export type RegionCode = (typeof REGION_CODES)[number];

interface RegionsFile {
  regions: Record<RegionCode, { name: string; countries: string[]; subdivisions: string[] }>;
  split_countries: Record<string, { default_region: RegionCode }>;
}

// Read next to the sources (works from src/ under vitest and from dist/ once built).
const file = new URL("../../src/locate/regions.json", import.meta.url);
const data = JSON.parse(fs.readFileSync(file, "utf8")) as RegionsFile;

const byCountry = new Map<string, RegionCode>();
const bySubdivision = new Map<string, RegionCode>();
for (const code of REGION_CODES) {
  for (const c of data.regions[code].countries) byCountry.set(c, code);
  for (const s of data.regions[code].subdivisions) bySubdivision.set(s, code);
}
for (const [country, split] of Object.entries(data.split_countries)) byCountry.set(country, split.default_region);

export function isRegionCode(s: string): s is RegionCode {
  return (REGION_CODES as readonly string[]).includes(s);
}

/**
 * Region of a country (ISO 3166-1 alpha-2) and, for the US and Canada, its subdivision code
 * ("CA" for California → "US-CA"). A US or Canadian address without a subdivision gets the
 * country's default region (ENAM for both, inferred: most of their people live there).
 */
export function regionOf(country: string, subdivision: string | null = null): RegionCode | null {
  if (subdivision !== null && subdivision !== "") {
    const r = bySubdivision.get(`${country}-${subdivision}`);
    if (r !== undefined) return r;
  }
  return byCountry.get(country) ?? null;
}

export function regionName(code: RegionCode): string {
  return data.regions[code].name;
}

/** ISO 3166-1 alpha-2 codes GeoIP can return (the regions table covers every one, plus XK for Kosovo). */
const COUNTRIES: ReadonlySet<string> = new Set(byCountry.keys());
/** Codes people write for a country whose ISO code differs. */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = { UK: "GB", EL: "GR" };

/** Why `code` is not a country code GeoIP can match (with a suggestion), or null when it is one. */
export function countryCodeProblem(code: string): string | null {
  if (COUNTRIES.has(code)) return null;
  if (code.toUpperCase() === "EU") return `"EU" is not a country code: Europe is region_pools WEU and EEU`;
  const upper = code.toUpperCase();
  const hint = COUNTRY_ALIASES[upper] ?? (COUNTRIES.has(upper) ? upper : null);
  return `${JSON.stringify(code)} is not an ISO 3166-1 alpha-2 country code${hint !== null ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}`;
}

/** Why `code` is not one of the 13 region codes, or null. */
export function regionCodeProblem(code: string): string | null {
  if (isRegionCode(code)) return null;
  const upper = code.toUpperCase();
  return `unknown region ${JSON.stringify(code)}${isRegionCode(upper) ? ` (did you mean ${JSON.stringify(upper)}?)` : ""} (${REGION_CODES.join(" ")})`;
}

/** A representative point of each region (a large city in it): where proximity places its client. */
export const REGION_POINTS: Readonly<Record<RegionCode, { readonly city: string; readonly latitude: number; readonly longitude: number }>> = {
  WNAM: { city: "San Francisco", latitude: 37.77, longitude: -122.42 },
  ENAM: { city: "New York", latitude: 40.71, longitude: -74.01 },
  WEU: { city: "Frankfurt", latitude: 50.11, longitude: 8.68 },
  EEU: { city: "Warsaw", latitude: 52.23, longitude: 21.01 },
  NSAM: { city: "Bogotá", latitude: 4.71, longitude: -74.07 },
  SSAM: { city: "São Paulo", latitude: -23.55, longitude: -46.63 },
  OC: { city: "Sydney", latitude: -33.87, longitude: 151.21 },
  ME: { city: "Dubai", latitude: 25.2, longitude: 55.27 },
  NAF: { city: "Cairo", latitude: 30.04, longitude: 31.24 },
  SAF: { city: "Johannesburg", latitude: -26.2, longitude: 28.05 },
  SAS: { city: "Mumbai", latitude: 19.08, longitude: 72.88 },
  SEAS: { city: "Singapore", latitude: 1.35, longitude: 103.82 },
  NEAS: { city: "Tokyo", latitude: 35.68, longitude: 139.69 },
};
