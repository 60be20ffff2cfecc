import { describe, expect, it } from "vitest";
import { decide, sample, seeded } from "../../../test/support/balancing.js";

describe("least_connections", () => {
  it("DNS-only: random by weight, as Cloudflare", () => {
    const b = sample({ steering_policy: "least_connections", random_steering: { pool_weights: { "us-east": 0, "eu-west": 0 } } });
    const d = decide(b, { random: seeded(1) });
    expect(d).toMatchObject({ pool: { name: "ap-ne" }, policy: "least_connections" });
    expect(d.reason).toMatch(/DNS-only mode, random by weight/);
  });
});
