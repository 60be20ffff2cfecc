// The framework around the policies: usable pools, drained pools, the fallback pool, families.
import { describe, expect, it } from "vitest";
import { balancing, clientAt, decide, lbOf, sample } from "../../test/support/balancing.js";

const down = (...keys: string[]) => Object.fromEntries(keys.map((k) => [k, "down" as const]));

describe("fallback pool", () => {
  it("without fallback_pool, the last pool of default_pools, health ignored (Cloudflare)", () => {
    const b = sample({ steering_policy: "off", fallback_pool: undefined });
    expect(lbOf(b).fallbackPool).toBeNull();
    expect(decide(b, { states: down("us-east/use1", "us-east/use2", "eu-west/euw1", "ap-ne/apn1") }))
      .toMatchObject({ pool: { name: "ap-ne" }, fallback: true, reason: "no healthy pool of family A: fallback pool ap-ne (health ignored)" });
  });
  it("a disabled fallback pool answers nothing", () => {
    const b = sample({ steering_policy: "off" }, { backup: { origins: [{ name: "static", address: "203.0.113.10" }], enabled: false } });
    expect(decide(b, { states: down("us-east/use1", "us-east/use2", "eu-west/euw1", "ap-ne/apn1") })).toMatchObject({ pool: null, fallback: true });
  });
});

describe("pool health", () => {
  it("an unmonitored pool whose origins are all disabled is unhealthy: the next pool answers", () => {
    const b = balancing({
      pools: { off: { origins: [{ name: "a", address: "192.0.2.1", enabled: false }] }, on: { origins: [{ name: "b", address: "192.0.2.2" }] } },
      load_balancers: { www: { default_pools: ["off", "on"] } },
    });
    const d = decide(b);
    expect(d).toMatchObject({ pool: { name: "on" }, fallback: false });
    expect(d.considered).toEqual([{ pool: "off", state: "unhealthy" }, { pool: "on", state: "healthy" }]);
  });
  it("minimum_origins counts enabled origins that are up (unmonitored ones count as up)", () => {
    const b = balancing({
      monitors: { m: { type: "tcp", port: 80 } },
      pools: {
        two: { origins: [{ name: "a", address: "192.0.2.1" }, { name: "b", address: "192.0.2.2" }, { name: "c", address: "192.0.2.3", enabled: false }], minimum_origins: 2, monitor: "m" },
        plain: { origins: [{ name: "x", address: "192.0.2.9" }, { name: "y", address: "192.0.2.8", enabled: false }], minimum_origins: 2 },
        last: { origins: [{ name: "z", address: "192.0.2.7" }] },
      },
      load_balancers: { www: { default_pools: ["two", "plain", "last"] } },
    });
    expect(decide(b).pool!.name).toBe("two");
    expect(decide(b, { states: down("two/a") }).pool!.name).toBe("last");
  });
});

describe("address families", () => {
  const b = balancing({
    pools: {
      v6only: { origins: [{ name: "a", address: "2001:db8::1" }] },
      v4only: { origins: [{ name: "b", address: "192.0.2.2" }] },
    },
    load_balancers: { www: { default_pools: ["v6only", "v4only"] } },
  });
  it("a pool with no origin of the asked family is passed over like an unhealthy one", () => {
    expect(decide(b, { family: "A" })).toMatchObject({ pool: { name: "v4only" }, considered: [{ pool: "v6only", state: "no-family" }, { pool: "v4only", state: "healthy" }] });
    expect(decide(b, { family: "AAAA" }).pool!.name).toBe("v6only");
  });
  it("NODATA only when the fallback cannot answer the family either", () => {
    const one = balancing({ pools: { v6only: { origins: [{ name: "a", address: "2001:db8::1" }] } }, load_balancers: { www: { default_pools: ["v6only"] } } });
    expect(decide(one, { family: "A" })).toMatchObject({ pool: null, fallback: true, reason: "no healthy pool, and the fallback pool v6only has no enabled origin of family A" });
  });
  it("a healthy pool whose origins of the family are all down is passed over too", () => {
    const mixed = balancing({
      monitors: { m: { type: "tcp", port: 443 } },
      pools: { dual: { origins: [{ name: "a4", address: "192.0.2.1" }, { name: "a6", address: "2001:db8::1" }], monitor: "m" }, other: { origins: [{ name: "o6", address: "2001:db8::2" }] } },
      load_balancers: { www: { default_pools: ["dual", "other"] } },
    });
    expect(decide(mixed, { family: "AAAA", states: down("dual/a6") }).pool!.name).toBe("other");
    expect(decide(mixed, { family: "A", states: down("dual/a6") }).pool!.name).toBe("dual");
  });
});

describe("drain", () => {
  const b = sample({ steering_policy: "off" });
  it("healthy undrained pools by the policy, then healthy drained pools in failover order, then the fallback", () => {
    expect(decide(b, { overrides: { "us-east": "drain" } }).pool!.name).toBe("eu-west");
    const d = decide(b, { overrides: { "us-east": "drain" }, states: down("eu-west/euw1", "ap-ne/apn1") });
    expect(d).toMatchObject({ pool: { name: "us-east" }, fallback: false, reason: "no undrained healthy pool: drained pool of default_pools (failover order)" });
    // A drained healthy pool beats the fallback; a drained unhealthy one does not.
    expect(decide(b, { overrides: { "us-east": "drain" }, states: down("us-east/use1", "us-east/use2", "eu-west/euw1", "ap-ne/apn1") })).toMatchObject({ pool: { name: "backup" }, fallback: true });
  });
  it("a pool whose healthy origins of the family are all drained counts as drained", () => {
    expect(decide(b, { overrides: { "us-east/use1": "drain" } }).pool!.name).toBe("eu-west");
    expect(decide(b, { overrides: { "us-east/use1": "drain" }, family: "AAAA" }).pool!.name).toBe("us-east");
  });
  it("geo: drained pools of the mapped list before the fallback", () => {
    const g = sample();
    expect(decide(g, { client: clientAt({ country: "IE" }), overrides: { "eu-west": "drain" } })).toMatchObject({ pool: { name: "eu-west" }, fallback: false });
  });
});
