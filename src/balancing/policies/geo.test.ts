import { describe, expect, it } from "vitest";
import { balancing, clientAt, decide, lbOf, sample } from "../../../test/support/balancing.js";
import { applyRules } from "../rules.js";
import { policyOf } from "./index.js";
import { codeId, NOWHERE, type Location } from "../../locate/locate.js";
import { geo, geoMapped } from "./geo.js";
import { setPop } from "../site.js";

describe("geo", () => {
  const b = sample();
  it("country_pools, else region_pools, else default_pools: the most specific mapping", () => {
    expect(decide(b, { client: clientAt({ country: "IE", region: "WEU" }) })).toMatchObject({ pool: { name: "eu-west" }, reason: "first healthy pool of country_pools[IE]", usedLocation: true });
    expect(decide(b, { client: clientAt({ country: "DE", region: "WEU" }) }).reason).toBe("first healthy pool of region_pools[WEU]");
    // Location-dependent even at default_pools: a client elsewhere could get another pool.
    expect(decide(b, { client: clientAt({ country: "JP", region: "NEAS" }) })).toMatchObject({ pool: { name: "us-east" }, reason: "first healthy pool of default_pools", usedLocation: true });
    expect(decide(b, { client: clientAt({}) }).pool!.name).toBe("us-east");
  });
  it("failover inside the mapped list; when all its pools are down, the fallback pool, not default_pools (Cloudflare)", () => {
    const de = clientAt({ country: "DE", region: "WEU" });
    expect(decide(b, { client: de, states: { "eu-west/euw1": "down" } })).toMatchObject({ pool: { name: "us-east" }, reason: "first healthy pool of region_pools[WEU]" });
    // IE maps to eu-west only: down → fallback, though us-east (default_pools) is healthy.
    expect(decide(b, { client: clientAt({ country: "IE", region: "WEU" }), states: { "eu-west/euw1": "down" } })).toMatchObject({ pool: { name: "backup" }, fallback: true });
  });
  it("\"\" is geo when a geo map is set; geo without maps does not depend on location", () => {
    expect(policyOf(lbOf(sample({ steering_policy: "" })))).toBe("geo");
    expect(decide(sample({ region_pools: {}, country_pools: {} }), { client: clientAt({ country: "IE" }) })).toMatchObject({ pool: { name: "us-east" }, usedLocation: false });
  });
  it("a rule that adds region_pools to a load balancer with \"\" makes it geo (resolved after the rules)", () => {
    const b = balancing({
      pools: { a: { origins: [{ name: "a", address: "192.0.2.1" }] }, eu: { origins: [{ name: "e", address: "192.0.2.2" }] } },
      load_balancers: { www: { default_pools: ["a"], rules: [{ name: "eu", condition: "", overrides: { region_pools: { WEU: ["eu"] } } }] } },
    });
    const lb = lbOf(b);
    const client = clientAt({ country: "DE", region: "WEU" });
    const ruled = applyRules(lb, lb.rules, { qname: lb.name, family: "A", loadBalancer: lb.name, client, ecs: null });
    expect(policyOf(lb)).toBe("off");
    expect(policyOf(ruled.settings)).toBe("geo");
    expect(decide(b, { lb: { ...lb, ...ruled.settings }, client }).pool!.name).toBe("eu");
  });
  it("pop_pools by this instance's --pop come first: pop, then country, then region, then default (Cloudflare's precedence)", () => {
    const b = sample({ pop_pools: { lhr: ["ap-ne"], FRA: ["us-east"] } });
    const ie = clientAt({ country: "IE", region: "WEU" });
    try {
      setPop("LHR");
      expect(decide(b, { client: ie })).toMatchObject({ pool: { name: "ap-ne" }, reason: "first healthy pool of pop_pools[LHR]" });
      // Its pools down: the fallback pool, as for a country's or a region's list.
      expect(decide(b, { client: ie, states: { "ap-ne/apn1": "down" } })).toMatchObject({ pool: { name: "backup" }, fallback: true });
      // A pop without a mapping: the client's country, region, default pools as before.
      setPop("AMS");
      expect(decide(b, { client: ie }).reason).toBe("first healthy pool of country_pools[IE]");
      setPop(null);
      expect(decide(b, { client: ie }).reason).toBe("first healthy pool of country_pools[IE]");
      // "" with pop_pools alone is geo, and reads no client location.
      const only = sample({ steering_policy: "", region_pools: {}, country_pools: {}, pop_pools: { LHR: ["eu-west"] } });
      expect(policyOf(lbOf(only))).toBe("geo");
      setPop("lhr");
      expect(decide(only, { client: clientAt({ country: "JP", region: "NEAS" }) })).toMatchObject({ pool: { name: "eu-west" }, usedLocation: false });
    } finally {
      setPop(null);
    }
  });
  it("classes clients by the table of mapped codes exactly as by the maps, one table per set of codes", () => {
    const lb = lbOf(sample());
    expect(lb.geoMapped).toBeDefined();
    const { geoMapped: _, ...byMaps } = lb;
    const at = (country: string | null, region: string | null, bits = 24): Location =>
      ({ ...NOWHERE, country, region: region as any, bits, countryId: country === null ? 0 : codeId(country), regionId: region === null ? 0 : codeId(region) });
    // Mapped country, mapped region, neither, a code first seen after the load balancer was built.
    for (const l of [at("IE", "WEU"), at("DE", "WEU"), at("PL", "EEU", 20), at("JP", "NEAS"), at(null, null, 0), at("ZZ-new", "WEU"), at("IE", null)]) {
      expect(geo.locationClass!(lb, l), `${l.country} ${l.region}`).toBe(geo.locationClass!(byMaps, l));
    }
    expect(geo.locationClass!(lb, at("IE", "WEU"))).not.toBe(geo.locationClass!(lb, at("DE", "WEU")));
    expect(geoMapped(new Map([["WEU", 1]]), new Map([["IE", 1]]))).toBe(geoMapped(new Map([["WEU", 2]]), new Map([["IE", 3]])));
  });
});
