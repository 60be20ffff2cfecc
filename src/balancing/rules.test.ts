import { describe, expect, it } from "vitest";
import { balancing, clientAt, lbOf } from "../../test/support/balancing.js";
import type { RegionCode } from "../locate/regions.js";
import type { Client } from "./model.js";
import { applyRules } from "./rules.js";

const pools = { a: { origins: [{ name: "a", address: "192.0.2.1" }] }, b: { origins: [{ name: "b", address: "192.0.2.2" }] }, office: { origins: [{ name: "o", address: "192.0.2.3" }] }, de: { origins: [{ name: "d", address: "192.0.2.4" }] } };
const withRules = (rules: unknown[]) => lbOf(balancing({ pools, load_balancers: { www: { default_pools: ["a"], rules } } }));
const client = (octets: number[], bits: number, country = "DE", region: RegionCode = "WEU"): Client => {
  const c = clientAt({ country, region });
  return { ...c, address: octets.join("."), bytes: Buffer.from(octets), bits };
};
const run = (lb: ReturnType<typeof withRules>, c: Client, family: "A" | "AAAA" = "A") => applyRules(lb, lb.rules, { qname: "www.lb.example.com", family, loadBalancer: lb.name, client: c, ecs: null });

describe("rules", () => {
  const lb = withRules([
    { name: "short ttl everywhere", overrides: { ttl: 10 } },
    { name: "office", condition: { subnet: ["10.99.0.0/16"] }, overrides: { default_pools: ["office"] }, terminates: true },
    { name: "v6 to b", condition: "dns.qry.type == 28", overrides: { default_pools: ["b"] }, terminates: true },
    { name: "germany", condition: { country: ["DE"], region: ["WEU"] }, overrides: { default_pools: ["de"], steering_policy: "random" }, terminates: true },
  ]);
  it("terminates defaults to false (Cloudflare): matches accumulate; a terminating match stops", () => {
    const office = run(lb, client([10, 99, 1, 0], 24));
    expect(office.matched).toEqual(["short ttl everywhere", "office"]);
    expect(office.settings).toMatchObject({ ttl: 10, defaultPools: ["office"], policy: "" });
    expect(run(lb, client([10, 1, 1, 0], 24), "AAAA").settings.defaultPools).toEqual(["b"]);
    const de = run(lb, client([10, 1, 1, 0], 24));
    expect(de.settings).toMatchObject({ defaultPools: ["de"], policy: "random", ttl: 10 });
    expect(de.usedClient).toBe(true);
  });
  it("without terminates, a later match overrides an earlier one", () => {
    const l = withRules([{ name: "one", overrides: { default_pools: ["b"] } }, { name: "two", overrides: { default_pools: ["office"] } }]);
    const r = run(l, client([192, 0, 2, 1], 32));
    expect(r.matched).toEqual(["one", "two"]);
    expect(r.settings.defaultPools).toEqual(["office"]);
  });
  it("priority orders rules (lower first, equal ones as listed); disabled rules are skipped", () => {
    const l = withRules([
      { name: "late", priority: 5, overrides: { default_pools: ["b"] }, terminates: true },
      { name: "early", priority: 1, overrides: { default_pools: ["office"] }, terminates: true },
      { name: "off", priority: 0, disabled: true, overrides: { default_pools: ["de"] }, terminates: true },
    ]);
    expect(l.rules.map((r) => r.name)).toEqual(["early", "late"]);
    expect(run(l, client([192, 0, 2, 1], 32)).settings.defaultPools).toEqual(["office"]);
  });
  it("a subnet condition needs enough known bits; location conditions need a location", () => {
    expect(run(lb, client([10, 0, 0, 0], 8)).matched).not.toContain("office");
    const nowhere = run(lb, { ...client([192, 0, 2, 0], 24), location: () => clientAt({}).location() });
    expect(nowhere.matched).toEqual(["short ttl everywhere"]);
  });
  it("Cloudflare expressions: ip.src, cf.load_balancer.region, dns.qry.name", () => {
    const l = withRules([
      { name: "office", condition: "ip.src in {10.99.0.0/16} and dns.qry.name == \"www.lb.example.com\"", overrides: { default_pools: ["office"] }, terminates: true },
      { name: "europe", condition: "cf.load_balancer.region in {\"WEU\" \"EEU\"}", overrides: { default_pools: ["de"] } },
    ]);
    expect(run(l, client([10, 99, 3, 0], 24)).settings.defaultPools).toEqual(["office"]);
    expect(run(l, client([10, 1, 3, 0], 24)).settings.defaultPools).toEqual(["de"]);
    expect(run(l, client([10, 1, 3, 0], 24, "JP", "NEAS")).settings.defaultPools).toEqual(["a"]);
  });
  it("no rules: the load balancer as it is", () => {
    const plain = withRules([]);
    expect(run(plain, client([1, 2, 3, 0], 24))).toEqual({ settings: plain, matched: [], usedClient: false });
  });
});
