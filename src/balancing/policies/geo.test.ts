import { describe, expect, it } from "vitest";
import { clientAt, decide, lbOf, sample } from "../../../test/support/balancing.js";

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
    expect(lbOf(sample({ steering_policy: "" })).policy).toBe("geo");
    expect(decide(sample({ region_pools: {}, country_pools: {} }), { client: clientAt({ country: "IE" }) })).toMatchObject({ pool: { name: "us-east" }, usedLocation: false });
  });
});
