import { describe, expect, it } from "vitest";
import { decide, sample, seeded } from "../../../test/support/balancing.js";

describe("least_outstanding_requests", () => {
  it("DNS-only: random by weight, as Cloudflare", () => {
    const b = sample({ steering_policy: "least_outstanding_requests", random_steering: { pool_weights: { "us-east": 0, "ap-ne": 0 } } });
    const d = decide(b, { random: seeded(5) });
    expect(d).toMatchObject({ pool: { name: "eu-west" }, policy: "least_outstanding_requests" });
    expect(d.reason).toMatch(/DNS-only mode, random by weight/);
  });
});
