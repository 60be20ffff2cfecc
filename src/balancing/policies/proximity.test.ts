import { describe, expect, it } from "vitest";
import { clientAt, decide, sample } from "../../../test/support/balancing.js";
import { greatCircleKm } from "./proximity.js";

describe("proximity", () => {
  const b = sample({ steering_policy: "proximity" });
  it("the nearest healthy pool by great-circle distance; pools without coordinates skipped", () => {
    expect(decide(b, { client: clientAt({ latitude: 48.9, longitude: 2.4 }) }).pool!.name).toBe("eu-west");
    expect(decide(b, { client: clientAt({ latitude: 37.6, longitude: 127.0 }) })).toMatchObject({ pool: { name: "ap-ne" }, usedLocation: true });
    // Seoul with Tokyo down: Dublin (~8,900 km) is nearer than Washington (~11,100 km).
    expect(decide(b, { client: clientAt({ latitude: 37.6, longitude: 127.0 }), states: { "ap-ne/apn1": "down" } }).pool!.name).toBe("eu-west");
    expect(greatCircleKm(53.3, -6.3, 38.9, -77.0)).toBeCloseTo(5450, -2);
  });
  it("a client that cannot be placed gets failover order", () => {
    expect(decide(b, { client: clientAt({}) })).toMatchObject({ pool: { name: "us-east" }, reason: "client not locatable: failover order" });
  });
});
