// The answer path without sockets, for the in-process benchmarks (scripts/metrics-cost.mjs,
// scripts/config-cost.mjs): a zones directory loaded as `gslb serve` loads it, a Responder over it
// (packet and answer caches on, GeoIP from geoip-lite), and respond() wrapped as
// server/answering.ts wraps it when metrics are on (the latency histogram's clock reads).
// Needs a build (npm run build).
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** { respond(query, peer), responder }: with query counters when `counted`. */
export async function answerPath(zonesDir, { counted = true, nsid = null } = {}) {
  const { loadZoneDir } = await import(path.join(ROOT, "dist/config/load.js"));
  const { Responder } = await import(path.join(ROOT, "dist/query/respond.js"));
  const { CookieJar } = await import(path.join(ROOT, "dist/query/cookie.js"));
  const { HealthTable } = await import(path.join(ROOT, "dist/health/table.js"));
  const { geoipLite } = await import(path.join(ROOT, "dist/locate/geoip.js"));
  const { QueryCounters } = await import(path.join(ROOT, "dist/query/counters.js"));
  const { ZoneSet } = await import(path.join(ROOT, "dist/zone/zoneset.js"));
  const load = loadZoneDir(zonesDir);
  const health = new HealthTable();
  health.bind(load.balancing.values());
  const counters = counted ? new QueryCounters() : null;
  for (const z of load.zones) counters?.zone(z.origin);
  const responder = new Responder({
    udpSize: 1232, nsid, chaos: null, cookies: new CookieJar(), packetCache: true, answerCache: true,
    steering: { health, geo: geoipLite(), random: Math.random }, ...(counters !== null ? { counters } : {}),
  }, new ZoneSet(load.zones), load.balancing);
  const respond = counters === null
    ? (q, peer) => responder.respond(q, peer)
    : (q, peer) => {
      if (!counters.timing()) return responder.respond(q, peer);
      const t = performance.now(); const r = responder.respond(q, peer); counters.timed(t, performance.now(), false); return r;
    };
  return { respond, responder };
}
