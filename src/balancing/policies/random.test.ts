import { describe, expect, it } from "vitest";
import { decide, sample, seeded } from "../../../test/support/balancing.js";

describe("random", () => {
  const b = sample({ steering_policy: "random", random_steering: { default_weight: 1, pool_weights: { "us-east": 0.9, "eu-west": 0.3, "ap-ne": 0 } } });
  it("picks healthy pools by random_steering weights; a weight of 0 gets nothing", () => {
    const counts = new Map<string, number>();
    const random = seeded(11);
    for (let i = 0; i < 20000; i++) {
      const name = decide(b, { random }).pool!.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect(counts.get("ap-ne")).toBeUndefined();
    expect(counts.get("us-east")! / 20000).toBeCloseTo(0.75, 1);
  });
  it("only healthy pools; when every healthy pool weighs 0, the fallback answers", () => {
    const random = seeded(3);
    for (let i = 0; i < 200; i++) expect(decide(b, { random, states: { "us-east/use1": "down", "us-east/use2": "down" } }).pool!.name).toBe("eu-west");
    expect(decide(b, { states: { "us-east/use1": "down", "us-east/use2": "down", "eu-west/euw1": "down" } })).toMatchObject({ pool: { name: "backup" }, fallback: true });
  });
});
