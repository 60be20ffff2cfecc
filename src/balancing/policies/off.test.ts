import { describe, expect, it } from "vitest";
import { decide, lbOf, sample } from "../../../test/support/balancing.js";
import { policyOf } from "./index.js";

describe("off (failover)", () => {
  const b = sample({ steering_policy: "off" });
  it("takes the first healthy pool of default_pools, in order", () => {
    expect(decide(b)).toMatchObject({ pool: { name: "us-east" }, policy: "off", reason: "first healthy pool of default_pools (failover order)", usedLocation: false });
    expect(decide(b, { states: { "us-east/use1": "down", "us-east/use2": "down" } }).pool!.name).toBe("eu-west");
    expect(decide(b, { states: { "us-east/use1": "down", "us-east/use2": "down", "eu-west/euw1": "down" } }).pool!.name).toBe("ap-ne");
  });
  it("a policy of \"\" without geo maps is off", () => {
    const plain = sample({ steering_policy: "", region_pools: {}, country_pools: {} });
    expect(policyOf(lbOf(plain))).toBe("off");
  });
});
