import { describe, expect, it } from "vitest";
import { NOWHERE } from "../locate/locate.js";
import { parseCidr, type Network } from "../locate/networks.js";
import { applyRules, type Rule, type RuleQuery } from "./rules.js";
import type { LoadBalancer } from "./types.js";

const base: LoadBalancer = {
  name: "www.lb.example.com", defaultPools: ["a"], fallbackPool: null, regionPools: new Map(), countryPools: new Map(),
  policy: "off", randomSteering: { defaultWeight: 1, poolWeights: new Map() }, preferEcs: "always", ttl: 30, maxAnswers: 1, rules: [],
};
const net = (cidr: string): Network => ({ cidr, ...(parseCidr(cidr) as any), location: {} });
const q = (address: number[], bits: number, extra: Partial<RuleQuery> = {}): RuleQuery =>
  ({ qtype: "A", family: 4, bytes: Buffer.from(address), bits, location: () => ({ ...NOWHERE, country: "DE", region: "WEU" }), ...extra });

const rules: Rule[] = [
  { name: "short ttl everywhere", condition: {}, overrides: { ttl: 10 }, terminates: false },
  { name: "office", condition: { subnet: [net("10.99.0.0/16")] }, overrides: { defaultPools: ["office"] }, terminates: true },
  { name: "v6 to b", condition: { qtype: ["AAAA"] }, overrides: { defaultPools: ["b"] }, terminates: true },
  { name: "germany", condition: { country: ["DE"], region: ["WEU"] }, overrides: { defaultPools: ["de"], policy: "random" }, terminates: true },
];

describe("rules", () => {
  it("accumulate non-terminating overrides; the first terminating match wins", () => {
    const office = applyRules(base, rules, q([10, 99, 1, 0], 24));
    expect(office.matched).toEqual(["short ttl everywhere", "office"]);
    expect(office.lb).toMatchObject({ ttl: 10, defaultPools: ["office"], policy: "off" });
    const v6 = applyRules(base, rules, q([10, 1, 1, 0], 24, { qtype: "AAAA" }));
    expect(v6.lb.defaultPools).toEqual(["b"]);
    const de = applyRules(base, rules, q([10, 1, 1, 0], 24));
    expect(de.lb).toMatchObject({ defaultPools: ["de"], policy: "random", ttl: 10 });
    expect(de.usedClient).toBe(true);
  });

  it("a subnet condition needs enough known bits; location conditions need a location", () => {
    // A /8 ECS subnet cannot be said to be inside 10.99.0.0/16.
    expect(applyRules(base, rules, q([10, 0, 0, 0], 8)).matched).not.toContain("office");
    const nowhere = applyRules(base, rules, q([192, 0, 2, 0], 24, { location: () => NOWHERE }));
    expect(nowhere.matched).toEqual(["short ttl everywhere"]);
    expect(nowhere.lb.defaultPools).toEqual(["a"]);
  });

  it("no rules: the load balancer as it is", () => {
    expect(applyRules(base, [], q([1, 2, 3, 0], 24))).toEqual({ lb: base, matched: [], usedClient: false });
  });
});
