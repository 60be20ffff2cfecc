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
