// Zone file → Cloudflare payloads, and the round trips: export then import gives the sections back.

import { describe, expect, it } from "vitest";
import { parseExpression } from "../expression.js";
import { conditionExpression, exportCloudflare } from "./export.js";
import { importCloudflare, type JsonObject } from "./import.js";

const lines = (r: { notes: readonly { path: string; message: string }[] }) => r.notes.map((n) => `${n.path === "" ? "" : `${n.path}: `}${n.message}`);
const sections = (z: JsonObject) => ({ monitors: z.monitors, pools: z.pools, load_balancers: z.load_balancers });

/** A zone written for gslb: no ids, references by key, a wildcard and an apex load balancer. */
const native = (): JsonObject => ({
  zone: "lb.example.com",
  monitors: {
    web: { type: "http", path: "/healthz", port: 8080, expected_codes: "2xx", interval: 15, consecutive_down: 2 },
    "tls-check": { type: "https", description: "TLS check", header: { Host: ["www.example.com"] } },
  },
  pools: {
    "us-east": { origins: [{ name: "use1", address: "192.0.2.10" }, { name: "use2", address: "2001:db8::10", weight: 0.5 }], monitor: "web", latitude: 38.9, longitude: -77 },
    "eu-west": { origins: [{ name: "euw1", address: "198.51.100.10" }], monitor: "tls-check", description: "Dublin" },
    backup: { origins: [{ name: "static", address: "static.example.net" }] },
  },
  load_balancers: {
    www: {
      default_pools: ["us-east", "eu-west"], fallback_pool: "backup", steering_policy: "random",
      region_pools: { WEU: ["eu-west", "us-east"] }, country_pools: { IE: ["eu-west"] },
      random_steering: { default_weight: 0.5, pool_weights: { "eu-west": 0.8 } }, location_strategy: { prefer_ecs: "always" }, ttl: 30,
      rules: [{ name: "v6", condition: "dns.qry.type == 28", overrides: { default_pools: ["eu-west"], fallback_pool: "us-east" }, terminates: true }],
    },
    "*.app": { default_pools: ["backup"] },
    "@": { default_pools: ["us-east"], enabled: false },
  },
});

const reimport = (exported: object, zone = "lb.example.com", cloudflareZone: string | null = null) =>
  importCloudflare([{ file: "export.json", text: JSON.stringify(exported) }], { zone, cloudflareZone });

describe("export", () => {
  it("gives Cloudflare's create bodies: absolute hostnames, names where there are no ids, a note saying what to replace", () => {
    const r = exportCloudflare(native());
    expect(r.monitors.map((m) => m.description)).toEqual(["web", "TLS check"]);
    expect(r.pools.map((p) => [p.name, p.monitor])).toEqual([["us-east", "web"], ["eu-west", "TLS check"], ["backup", undefined]]);
    expect(r.load_balancers.map((l) => l.name)).toEqual(["www.lb.example.com", "*.app.lb.example.com", "lb.example.com"]);
    expect(r.load_balancers[0]).toMatchObject({ default_pools: ["us-east", "eu-west"], fallback_pool: "backup", random_steering: { pool_weights: { "eu-west": 0.8 } } });
    expect(lines(r)).toContain("not yet at Cloudflare (no id): monitors web, tls-check; pools us-east, eu-west, backup. Create the monitors, then the pools, then the load balancers, replacing each reference to one of these by name with the id Cloudflare returns");
  });

  it("uses Cloudflare ids for objects that have one", () => {
    const z = native();
    ((z.pools as JsonObject)["eu-west"] as JsonObject).id = "9290f38c5d07c2e2f4df57b1f61d4196";
    ((z.monitors as JsonObject).web as JsonObject).id = "f1aba936b94213e5b8dca0c0dbf1f9cc";
    const r = exportCloudflare(z);
    expect(r.pools[0]).toMatchObject({ name: "us-east", monitor: "f1aba936b94213e5b8dca0c0dbf1f9cc" });
    expect(r.load_balancers[0]).toMatchObject({
      default_pools: ["us-east", "9290f38c5d07c2e2f4df57b1f61d4196"], region_pools: { WEU: ["9290f38c5d07c2e2f4df57b1f61d4196", "us-east"] },
      random_steering: { pool_weights: { "9290f38c5d07c2e2f4df57b1f61d4196": 0.8 } },
      rules: [{ overrides: { default_pools: ["9290f38c5d07c2e2f4df57b1f61d4196"] } }],
    });
  });

  it("lists gslb's own fields as not exported, and translates structured rule conditions", () => {
    const z = native();
    z.networks = { "10.20.0.0/16": { country: "DE" } };
    const www = (z.load_balancers as JsonObject).www as JsonObject;
    www.max_answers = 2;
    www.rules = [
      { name: "office", condition: { subnet: ["10.99.0.0/16", "2001:db8::/32"], qtype: ["A", "AAAA"] }, overrides: { default_pools: ["backup"] } },
      { name: "europe", condition: { region: ["WEU", "EEU"] }, overrides: { ttl: 10 }, terminates: false },
      { name: "ireland", condition: { country: ["IE"] }, overrides: { default_pools: ["eu-west"] } },
      { name: "all", condition: {} },
    ];
    (((z.pools as JsonObject)["us-east"] as JsonObject).origins as JsonObject[])[0]!.health_address = "10.0.0.10";
    const r = exportCloudflare(z);
    const rules = r.load_balancers[0]!.rules as JsonObject[];
    expect(rules.map((x) => [x.name, x.condition])).toEqual([
      ["office", "ip.src in {10.99.0.0/16 2001:db8::/32} and dns.qry.type in {1 28}"],
      ["europe", 'cf.load_balancer.region in {"WEU" "EEU"}'],
      ["all", ""],
    ]);
    for (const x of rules) expect(parseExpression(String(x.condition)), String(x.condition)).toMatchObject({ ok: true });
    expect(r.load_balancers[0]).not.toHaveProperty("max_answers");
    expect(((r.pools[0]!.origins as JsonObject[])[0])).toEqual({ name: "use1", address: "192.0.2.10" });
    expect(lines(r)).toEqual(expect.arrayContaining([
      "pools.us-east.origins[0].health_address: \"10.0.0.10\": gslb's own (Cloudflare probes the address): not exported",
      "load_balancers.www.max_answers: 2: gslb's own (Cloudflare has no such setting): not exported",
      'load_balancers.www.rules[0].condition: {"subnet":["10.99.0.0/16","2001:db8::/32"],"qtype":["A","AAAA"]} → "ip.src in {10.99.0.0/16 2001:db8::/32} and dns.qry.type in {1 28}"',
      "load_balancers.www.rules[1].condition: approximate: region: Cloudflare matches the region of its data center that answers (near the resolver), gslb the client's region",
      'load_balancers.www.rules[2].condition: country: Cloudflare\'s DNS-only rules cannot see the client\'s country: rule "ireland" not exported',
      "networks: 1 networks: gslb's own (Cloudflare locates clients by GeoIP alone): not exported",
    ]));
  });

  it("says ahead when a monitor or pool will not come back under its key", () => {
    const z = native();
    (z.monitors as JsonObject).Web = (z.monitors as JsonObject).web!;
    const r = exportCloudflare(z);
    expect(lines(r)).toContain('monitors.Web: comes back from Cloudflare as "web" (gslb import names a monitor after its description)');
    expect(conditionExpression({ qtype: ["MX"] })).toEqual({ error: 'qtype ["MX"]: only A and AAAA' });
  });
});

describe("round trips", () => {
  it("export then import gives a gslb zone's sections back exactly", () => {
    const z = native();
    const back = reimport(exportCloudflare(z));
    expect(sections({ ...back } as unknown as JsonObject)).toEqual(sections(z));
    expect(back.notes.filter((n) => n.kind !== "translated")).toEqual([]);
  });

  it("also through another Cloudflare zone (--cloudflare-zone both ways)", () => {
    const z = native();
    const exported = exportCloudflare(z, { cloudflareZone: "example.com" });
    expect(exported.load_balancers.map((l) => l.name)).toEqual(["www.example.com", "*.app.example.com", "example.com"]);
    expect(sections(reimport(exported, "lb.example.com", "example.com") as unknown as JsonObject)).toEqual(sections(z));
  });

  it("import then export gives Cloudflare's objects back, ids and all, less what gslb dropped", () => {
    const cf = {
      monitors: [{ id: "m1", description: "Web health", type: "https", path: "/healthz", created_on: "2024-01-01T00:00:00Z" }],
      pools: [
        { id: "p1", name: "us-east", monitor: "m1", origins: [{ name: "a", address: "192.0.2.1", weight: 1, enabled: true }], minimum_origins: 1 },
        { id: "p2", name: "eu-west", origins: [{ name: "b", address: "198.51.100.1", flatten_cname: true }], surprise: "?" },
      ],
      load_balancers: [{
        id: "lb1", name: "www.example.com", default_pools: ["p1", "p2"], fallback_pool: "p2", proxied: false, zone_name: "example.com",
        region_pools: { WEU: ["p2"] }, session_affinity: "none", rules: [{ name: "r", condition: "ip.src in {10.0.0.0/8}", overrides: { default_pools: ["p2"] }, priority: 1 }],
      }],
    };
    const imported = importCloudflare([{ file: "cf.json", text: JSON.stringify(cf) }], { zone: "lb.example.com", cloudflareZone: "example.com" });
    const zone = { zone: "lb.example.com", ...imported } as unknown as JsonObject;
    const out = exportCloudflare(zone, { cloudflareZone: "example.com" });
    expect(out.monitors).toEqual(cf.monitors);
    const { surprise: _dropped, ...p2 } = cf.pools[1]!;
    expect(out.pools).toEqual([cf.pools[0], p2]);
    expect(out.load_balancers).toEqual(cf.load_balancers);
    // And the second import is the first: a fixed point.
    const again = importCloudflare([{ file: "out.json", text: JSON.stringify(out) }], { zone: "lb.example.com", cloudflareZone: "example.com" });
    expect(sections(again as unknown as JsonObject)).toEqual(sections(imported as unknown as JsonObject));
  });
});
