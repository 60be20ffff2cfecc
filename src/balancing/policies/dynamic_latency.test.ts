import { describe, expect, it } from "vitest";
import { choosePool } from "../pools.js";
import { clientAt, healthOf, lbOf, sample } from "../../../test/support/balancing.js";

describe("dynamic_latency", () => {
  const b = sample({ steering_policy: "dynamic_latency" });
  it("the healthy pool with the lowest RTT average; no data yet: failover order", () => {
    const { table, view } = healthOf(b);
    const decide = () => choosePool(lbOf(b), b.pools, "A", { client: clientAt({}), health: view, random: Math.random });
    expect(decide().reason).toBe("no RTT data yet: failover order");
    table.setPoolRtt(table.slotOf("lb.example.com/us-east"), 80);
    table.setPoolRtt(table.slotOf("lb.example.com/eu-west"), 74);
    expect(decide()).toMatchObject({ pool: { name: "eu-west" }, reason: "lowest monitor RTT average (74.0 ms)" });
    table.set("lb.example.com/eu-west", "euw1", "down");
    expect(decide().pool!.name).toBe("us-east");
  });
});
