// The pre-flight of the load-balancing sections: every reference, code, address and condition.
import { describe, expect, it } from "vitest";
import { balancing, problemsOf } from "../../test/support/balancing.js";

const pools = { a: { origins: [{ name: "a1", address: "192.0.2.1" }] }, b: { origins: [{ name: "b1", address: "192.0.2.2" }] } };
const lb = (fields: Record<string, unknown>) => problemsOf({ pools, load_balancers: { www: { default_pools: ["a", "b"], ...fields } } });

describe("load balancing checks", () => {
  it("origin addresses that look like IP literals must be valid ones", () => {
    const r = problemsOf({ pools: { p: { origins: [{ name: "x", address: "192.0.2.300" }, { name: "y", address: "2001:db8::g" }, { name: "z", address: "app.example.net" }] } } });
    expect(r.problems).toEqual([
      'pools.p.origins.0.address: "192.0.2.300" is not an IPv4 address (four numbers 0-255, no leading zeros)',
      'pools.p.origins.1.address: "2001:db8::g" is not an IPv6 address',
    ]);
  });
  it("country codes are ISO 3166-1 alpha-2, with suggestions", () => {
    const r = lb({ country_pools: { UK: ["a"], EU: ["a"], XX: ["a"], gb: ["b"], GB: ["b"] } });
    expect(r.problems).toEqual([
      'load_balancers.www.country_pools.UK: "UK" is not an ISO 3166-1 alpha-2 country code (did you mean "GB"?)',
      'load_balancers.www.country_pools.EU: "EU" is not a country code: Europe is region_pools WEU and EEU',
      'load_balancers.www.country_pools.XX: "XX" is not an ISO 3166-1 alpha-2 country code',
      'load_balancers.www.country_pools.gb: "gb" is not an ISO 3166-1 alpha-2 country code (did you mean "GB"?)',
    ]);
  });
  it("webhooks of the notifications section: a URL, pools that exist", () => {
    expect(problemsOf({ pools, notifications: { webhooks: [{ url: "not a url" }] } }).problems).toEqual([
      "notifications.webhooks.0.url: an http:// or https:// URL",
    ]);
    expect(problemsOf({ pools, notifications: { webhooks: [{ url: "http://127.0.0.1:9/hook", pools: ["a", "aa"] }, { url: "http://127.0.0.1:9/x#frag" }] } }).problems).toEqual([
      'notifications.webhooks.0.pools.1: unknown pool "aa" (did you mean "a"?)',
      "notifications.webhooks.1.url: a webhook URL has no #fragment",
    ]);
  });
  it("region codes, and pools listed twice", () => {
    expect(lb({ region_pools: { weu: ["a"] }, default_pools: ["a", "b", "a"] }).problems).toEqual([
      'load_balancers.www.default_pools.2: pool "a" is listed twice',
      'load_balancers.www.region_pools.weu: unknown region "weu" (did you mean "WEU"?) (WNAM ENAM WEU EEU NSAM SSAM OC ME NAF SAF SAS SEAS NEAS)',
    ]);
  });
  it("unknown pools and monitors, with suggestions, everywhere they are named", () => {
    const r = problemsOf({
      monitors: { web: { type: "http" } },
      pools: { ...pools, c: { origins: [{ name: "c1", address: "192.0.2.3" }], monitor: "wbe" } },
      load_balancers: { www: { default_pools: ["a", "bb"], fallback_pool: "zz", random_steering: { pool_weights: { aa: 1 } }, rules: [{ name: "r", overrides: { fallback_pool: "c2" } }] } },
    });
    expect(r.problems).toEqual([
      'pools.c.monitor: unknown monitor "wbe" (did you mean "web"?)',
      'load_balancers.www.default_pools.1: unknown pool "bb" (did you mean "b"?)',
      'load_balancers.www.fallback_pool: unknown pool "zz" (known: a, b, c)',
      'load_balancers.www.random_steering.pool_weights.aa: unknown pool "aa" (did you mean "a"?)',
      'load_balancers.www.rules.0.overrides.fallback_pool: unknown pool "c2" (did you mean "c"?)',
    ]);
  });
  it("proxied: true is refused; proxy-only fields are accepted with a warning; descriptive fields silently", () => {
    expect(lb({ proxied: true }).problems).toEqual(["load_balancers.www.proxied: gslb answers DNS only: a proxied (orange-cloud) load balancer needs Cloudflare's proxy; set false or remove it"]);
    const r = lb({ proxied: false, session_affinity: "cookie", session_affinity_ttl: 1800, adaptive_routing: { failover_across_pools: true }, pop_pools: { LAX: ["a"] }, id: "699d98642c564d2e855e9661899b7252", created_on: "2014-01-01T05:20:00.12345Z", description: "x", name: "www.lb.example.com", session_affinity_attributes: { samesite: "Auto" } });
    expect(r.problems).toEqual([]);
    expect(r.warnings.map((w) => w.split(":")[0])).toEqual([
      "load_balancers.www.session_affinity", "load_balancers.www.session_affinity_ttl", "load_balancers.www.session_affinity_attributes", "load_balancers.www.adaptive_routing",
    ]);
    expect(lb({ location_strategy: { mode: "pop", prefer_ecs: "always" } }).warnings).toEqual(["load_balancers.www.location_strategy.mode: no effect: gslb has no points of presence; a client without ECS is located by its resolver's address (resolver_ip)"]);
    expect(problemsOf({ pools: { "a/b": { origins: [{ name: "x", address: "192.0.2.1" }] } } }).problems).toEqual(['pools.a/b: pool name "a/b" may hold only letters, digits, "-" and "_" (as at Cloudflare)']);
    // Cloudflare's API returns defaults for these: no warning for "none", false, {} or null.
    expect(lb({ session_affinity: "none", adaptive_routing: { failover_across_pools: false }, pop_pools: {} }).warnings).toEqual([]);
  });
  it("pool and origin fields of Cloudflare's API are known", () => {
    const r = problemsOf({ pools: { p: {
      name: "p", id: "17b5962d775c646f3f9725cbc7a53df4", description: "d", created_on: "t", modified_on: "t", check_regions: ["WEU"], notification_email: "a@b.c",
      load_shedding: { default_percent: 0 }, origin_steering: { policy: "least_connections" },
      origins: [{ name: "o", address: "app.example.net", header: { Host: ["app.example.net"] }, port: 8443, virtual_network_id: "x", flatten_cname: true, disabled_at: "t" }],
    } } });
    expect(r.problems).toEqual([]);
    expect(r.warnings.map((w) => w.split(":")[0])).toEqual(["pools.p.notification_email", "pools.p.origins.0.port", "pools.p.origins.0.virtual_network_id", "pools.p.origins.0.flatten_cname"]);
  });
  it("check_regions: region codes (the vote's voters), ALL_REGIONS / ALL_DATACENTERS or null for all; unknown codes are errors", () => {
    const pool = (check_regions: unknown) => ({ pools: { p: { origins: [{ name: "o", address: "192.0.2.1" }], check_regions } } });
    expect(balancing(pool(["WEU", "ENAM"])).pools.get("p")!.checkRegions).toEqual(new Set(["WEU", "ENAM"]));
    for (const all of [null, undefined, [], ["ALL_REGIONS"], ["ALL_DATACENTERS"]]) expect(balancing(pool(all)).pools.get("p")!.checkRegions).toBeNull();
    expect(problemsOf(pool(["weu", "XX"])).problems).toEqual([
      'pools.p.check_regions.0: unknown region "weu" (did you mean "WEU"?) (WNAM ENAM WEU EEU NSAM SSAM OC ME NAF SAF SAS SEAS NEAS), ALL_REGIONS or ALL_DATACENTERS',
      'pools.p.check_regions.1: unknown region "XX" (WNAM ENAM WEU EEU NSAM SSAM OC ME NAF SAF SAS SEAS NEAS), ALL_REGIONS or ALL_DATACENTERS',
    ]);
  });
  it("rule conditions in Cloudflare's language: errors at their path, naming proxied-only fields", () => {
    const r = lb({ rules: [{ name: "x", condition: "http.request.uri.path contains \"/api\"" }, { name: "y", condition: "dns.qry.tpye == 1" }, { name: "z", condition: { country: ["UK"] } }] });
    expect(r.problems).toHaveLength(3);
    expect(r.problems[0]).toMatch(/^load_balancers\.www\.rules\.0\.condition: .*http\.request\.uri\.path.*proxied/);
    expect(r.problems[1]).toMatch(/^load_balancers\.www\.rules\.1\.condition: .*dns\.qry\.type/);
    expect(r.problems[2]).toBe('load_balancers.www.rules.2.condition.country.0: "UK" is not an ISO 3166-1 alpha-2 country code (did you mean "GB"?)');
  });
  it("at the apex, host-name origins are refused (a CNAME beside the SOA)", () => {
    const r = problemsOf({ pools: { h: { origins: [{ name: "h1", address: "app.example.net" }] } }, load_balancers: { "@": { default_pools: ["h"] } } });
    expect(r.problems).toEqual(["load_balancers.@: pool h's origin h1 is a host name (app.example.net): at the apex it would be a CNAME beside the SOA and NS; give it an address"]);
  });
  it("two keys naming one load balancer", () => {
    expect(problemsOf({ pools, load_balancers: { www: { default_pools: ["a"] }, "www.lb.example.com.": { default_pools: ["b"] } } }).problems)
      .toEqual(['load_balancers.www.lb.example.com.: names the same owner as load_balancers["www"] (www.lb.example.com)']);
  });
});
