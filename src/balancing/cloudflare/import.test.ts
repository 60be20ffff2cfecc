// Cloudflare JSON → zone-file sections: ids to keys, references, hostnames, and the report.

import { describe, expect, it } from "vitest";
import { importCloudflare, mergeIntoZone, newZoneFile, ownerOf, slug, type ImportOptions, type JsonObject } from "./import.js";

const envelope = (result: unknown, extra: object = {}) => JSON.stringify({ result, success: true, errors: [], messages: [], ...extra });
const doc = (file: string, json: unknown) => ({ file, text: typeof json === "string" ? json : JSON.stringify(json) });
const lines = (r: { notes: readonly { path: string; message: string }[] }) => r.notes.map((n) => `${n.path}: ${n.message}`);
const run = (docs: { file: string; text: string }[], options: Partial<ImportOptions> = {}) => importCloudflare(docs, { zone: "lb.example.com", ...options });

const monitor = { id: "m1", created_on: "2024-01-01T00:00:00Z", modified_on: "2024-01-02T00:00:00Z", description: "Web Health (HTTPS)", type: "https", path: "/healthz", interval: 60, expected_codes: "2xx" };
const poolA = { id: "p1", name: "us-east", monitor: "m1", origins: [{ name: "a", address: "192.0.2.1", enabled: true, weight: 1 }] };
const poolB = { id: "p2", name: "eu-west", origins: [{ name: "b", address: "198.51.100.1" }] };
const lb = {
  id: "lb1", name: "www.lb.example.com", default_pools: ["p1", "p2"], fallback_pool: "p2", region_pools: { WEU: ["p2", "p1"] },
  country_pools: { IE: ["p2"] }, random_steering: { default_weight: 0.5, pool_weights: { p1: 0.7 } }, steering_policy: "geo", ttl: 30, proxied: false,
};

describe("import: reading the inputs", () => {
  it("takes envelopes, bare objects and arrays, in any order, and resolves references across files", () => {
    const r = run([doc("lbs.json", envelope([lb])), doc("pools.json", [poolB, poolA]), doc("monitor.json", monitor)]);
    expect(Object.keys(r.monitors)).toEqual(["web-health-https"]);
    expect(Object.keys(r.pools)).toEqual(["eu-west", "us-east"]);
    expect(r.pools["us-east"]).toMatchObject({ monitor: "web-health-https" });
    expect(r.load_balancers.www).toMatchObject({
      default_pools: ["us-east", "eu-west"], fallback_pool: "eu-west", region_pools: { WEU: ["eu-west", "us-east"] },
      country_pools: { IE: ["eu-west"] }, random_steering: { default_weight: 0.5, pool_weights: { "us-east": 0.7 } }, proxied: false,
    });
    expect(lines(r)).toContain('pools.us-east.monitor: id m1 → "web-health-https"');
    expect(lines(r)).toContain('load_balancers.www.default_pools[1]: id p2 → "eu-west"');
    expect(lines(r)).toContain('load_balancers.www.random_steering.pool_weights.p1: id p1 → "us-east"');
    expect(lines(r)).toContain('monitors.web-health-https: key from its description "Web Health (HTTPS)"');
  });

  it("keeps a pool's notification_filter, which has effect (webhooks), without a line; notification_email is kept without effect", () => {
    const filter = { origin: { disable: true, healthy: null }, pool: { disable: false, healthy: false } };
    const r = run([doc("p.json", { ...poolB, notification_filter: filter, notification_email: "ops@example.com" })]);
    expect(r.pools["eu-west"]).toMatchObject({ notification_filter: filter, notification_email: "ops@example.com" });
    expect(lines(r).filter((l) => l.includes("notification_filter"))).toEqual([]);
    expect(lines(r).filter((l) => l.includes("notification_email"))).toEqual([expect.stringContaining("no effect")]);
  });

  it("keeps descriptive fields as they are and says so once, not per field", () => {
    const r = run([doc("m.json", monitor), doc("p.json", poolA)]);
    expect(r.monitors["web-health-https"]).toMatchObject({ id: "m1", created_on: "2024-01-01T00:00:00Z", modified_on: "2024-01-02T00:00:00Z" });
    expect(lines(r).filter((l) => /\.(id|created_on|modified_on):/.test(l))).toEqual([]);
    expect(r.summary).toContain("descriptive fields kept as they are (no effect on answers): id ×2, created_on ×1, modified_on ×1");
  });

  it("reports what is not Cloudflare's load balancing JSON, and failed or partial responses", () => {
    const r = run([
      doc("bad.json", "{ not json"),
      doc("failed.json", { result: null, success: false, errors: [{ code: 7003, message: "No route for the URI" }], messages: [] }),
      doc("page.json", envelope([poolA], { result_info: { page: 1, per_page: 1, total_pages: 3 } })),
      doc("odd.json", [{ hello: 1 }, 42]),
      doc("group.json", { id: "g1", description: "group", members: [] }),
    ]);
    const l = lines(r);
    expect(l.some((x) => x.startsWith("bad.json: not JSON"))).toBe(true);
    expect(l).toContain("failed.json: a failed API response (success: false: 7003 No route for the URI): skipped");
    expect(l).toContain("page.json: page 1 of 3: the other pages are not in this file (list with per_page, or give every page)");
    expect(l).toContain("odd.json: [0]: not a load balancer, pool or monitor (none of their fields): skipped");
    expect(l).toContain("odd.json: [1]: 42 is not a Cloudflare object: skipped");
    expect(l).toContain("group.json: a monitor group: gslb has none (attach one monitor to a pool): skipped");
    expect(Object.keys(r.pools)).toEqual(["us-east"]);
  });

  it("uses the later copy of an object given twice (same id), and says so", () => {
    const r = run([doc("a.json", poolA), doc("b.json", { ...poolA, origins: [{ name: "z", address: "192.0.2.9" }] })]);
    expect(r.pools["us-east"]).toMatchObject({ origins: [{ name: "z", address: "192.0.2.9" }] });
    expect(lines(r)).toContain("a.json: pool id p1 is given again in b.json: the later one is used");
  });
});

describe("import: keys", () => {
  it("keys monitors by their description, else their id, and says which", () => {
    const r = run([doc("m.json", [monitor, { id: "m2", type: "tcp", port: 22 }, { id: "m3", description: "web health https", type: "http" }])]);
    expect(Object.keys(r.monitors)).toEqual(["web-health-https", "m2", "web-health-https-2"]);
    expect(lines(r)).toContain("monitors.m2: key from its id (it has no description)");
    expect(lines(r)).toContain('monitors.web-health-https-2: key from its description "web health https" ("web-health-https" was taken)');
    expect(slug("  Déjà vu: 2 checks!  ")).toBe("d-j-vu-2-checks");
  });

  it("keys pools by their name, made valid and unique when needed, and reports it", () => {
    const r = run([doc("p.json", [{ ...poolA, name: "us east" }, { ...poolB, name: "us-east" }, { ...poolB, id: "p3", name: undefined }])]);
    expect(Object.keys(r.pools)).toEqual(["us-east", "us-east-2", "p3"]);
    expect(r.pools["us-east"]).toMatchObject({ name: "us east" });
    // The Cloudflare name stays where the key differs, so export gives it back.
    expect(r.pools["us-east-2"]).toMatchObject({ name: "us-east" });
    expect(r.pools.p3).not.toHaveProperty("name");
    expect(lines(r)).toContain('pools.us-east: key from its name "us east", made valid (letters, digits, - and _)');
    expect(lines(r)).toContain('pools.us-east-2: key from its name "us-east", which another pool has');
    expect(lines(r)).toContain("pools.p3: key from its id (it has no name)");
  });
});

describe("import: references", () => {
  it("reports a reference to an id not in the inputs with its path and id, and leaves it for validation to reject", () => {
    const r = run([doc("lb.json", lb), doc("p.json", poolB)]);
    expect(r.load_balancers.www).toMatchObject({ default_pools: ["p1", "eu-west"] });
    expect(lines(r)).toContain("load_balancers.www.default_pools[0]: pool id p1 is not in the inputs: left as it is (import that pool too, or --map p1=KEY)");
    expect(r.notes.filter((n) => n.kind === "unresolved").map((n) => n.path)).toEqual([
      "load_balancers.www.default_pools[0]", "load_balancers.www.region_pools.WEU[1]", "load_balancers.www.random_steering.pool_weights.p1",
    ]);
  });

  it("resolves with --map, with the ids kept in the zone file merged into, and by name", () => {
    const existing = { zone: "lb.example.com", pools: { backup: { id: "p9", origins: [{ name: "s", address: "203.0.113.1" }] } } };
    const r = run([doc("lb.json", { ...lb, default_pools: ["p1", "p9", "us-east"], fallback_pool: "fallback_pool", region_pools: {} })], {
      existing, map: new Map([["p1", "eu-west"], ["fallback_pool", "backup"]]),
    });
    expect(r.load_balancers.www).toMatchObject({ default_pools: ["eu-west", "backup", "us-east"], fallback_pool: "backup" });
    expect(lines(r)).toContain('load_balancers.www.default_pools[0]: id p1 → "eu-west" (--map)');
    expect(lines(r)).toContain('load_balancers.www.default_pools[1]: id p9 → "backup" (the id of the zone file\'s pool "backup")');
    // "us-east" is neither an id nor a known name here: unresolved.
    expect(lines(r)).toContain("load_balancers.www.default_pools[2]: pool id us-east is not in the inputs: left as it is (import that pool too, or --map us-east=KEY)");
  });

  it("keeps a pool once when two ids map to it", () => {
    const r = run([doc("lb.json", { ...lb, region_pools: {}, country_pools: {}, random_steering: undefined }), doc("p.json", poolA)], { map: new Map([["p2", "us-east"]]) });
    expect(r.load_balancers.www).toMatchObject({ default_pools: ["us-east"], fallback_pool: "us-east" });
    expect(lines(r)).toContain('load_balancers.www.default_pools[1]: "us-east" is already in this list: left out');
  });
});

describe("import: hostnames", () => {
  it("makes owners relative to the zone, skips what is outside, and hints at --cloudflare-zone", () => {
    const r = run([doc("lbs.json", [
      { ...lb, name: "LB.Example.com" },
      { ...lb, id: "lb2", name: "api.other.com" },
      { ...lb, id: "lb3", name: "shop.example.com", zone_name: "example.com" },
    ]), doc("p.json", [poolA, poolB])]);
    expect(Object.keys(r.load_balancers)).toEqual(["@"]);
    expect(lines(r)).toContain('load_balancers["@"].name: lb.example.com → the owner "@" of lb.example.com');
    expect(lines(r)).toContain('load_balancers["api.other.com"].name: api.other.com is outside the zone lb.example.com: skipped');
    expect(lines(r)).toContain('load_balancers["shop.example.com"].name: shop.example.com is outside the zone lb.example.com: skipped (its Cloudflare zone is example.com: --cloudflare-zone example.com puts it under lb.example.com)');
  });

  it("re-homes the Cloudflare zone's names under the gslb zone with --cloudflare-zone", () => {
    expect(ownerOf("www.example.com", "lb.example.com", "example.com")).toBe("www");
    expect(ownerOf("example.com.", "lb.example.com", "example.com")).toBe("@");
    expect(ownerOf("*.app.example.com", "lb.example.com", "example.com")).toBe("*.app");
    expect(ownerOf("www.lb.example.com", "lb.example.com", "example.com")).toBe("www.lb");
    expect(ownerOf("www.lb.example.com", "lb.example.com")).toBe("www");
    expect(ownerOf("www.example.org", "lb.example.com", "example.com")).toBeNull();
  });
});

describe("import: fields", () => {
  it("lists every field dropped, translated, or kept without effect, one line each", () => {
    const r = run([doc("all.json", [
      {
        ...lb, proxied: true, session_affinity: "cookie", session_affinity_ttl: 1800, adaptive_routing: { failover_across_pools: false },
        pop_pools: { LAX: ["p1"] }, pool_sets: [{ name: "x", overrides: { pools: ["p2"], fallback_pool: "p1" } }], networks: ["n"], surprise: 1, description: null,
      },
      { ...poolA, check_regions: ["WEU"], monitor_group: "g", health_sources: null, origins: [{ address: "origin.example.net", flatten_cname: true, port: 8443 }, { name: "", address: "192.0.2.7" }, {}] },
      { ...poolB, load_shedding: { default_percent: 0 } },
      monitor,
    ])]);
    const l = lines(r);
    for (const expected of [
      "load_balancers.www.proxied: true: dropped: gslb answers DNS only, so this load balancer answers with its origins' addresses (as proxied: false)",
      "load_balancers.www.session_affinity: kept; no effect in DNS-only mode",
      "load_balancers.www.session_affinity_ttl: kept; no effect in DNS-only mode",
      "load_balancers.www.pool_sets: kept; no effect: gslb has no pool sets (write them as rules)",
      'load_balancers.www.pool_sets[0].overrides.pools[0]: id p2 → "eu-west"',
      "load_balancers.www.networks: kept; no effect: Cloudflare's network selection",
      "load_balancers.www.surprise: 1: not a field gslb knows: dropped",
      "pools.us-east.monitor_group: kept; no effect: gslb has no monitor groups (attach one monitor with monitor)",
      "pools.us-east.origins[0].flatten_cname: kept; no effect: gslb answers a host-name origin with a CNAME (as flatten_cname: false)",
      "pools.us-east.origins[0].port: kept; no effect: a DNS answer carries no port (the monitor's port is probed)",
      'pools.us-east.origins[0].name: none: named "origin.example.net" after its address',
      'pools.us-east.origins[1].name: none: named "192.0.2.7" after its address',
      "pools.us-east.origins[2]: {}: an origin without an address: dropped",
    ]) expect(l).toContain(expected);
    // A "not set" value asks for nothing: no line (adaptive_routing false, load_shedding 0).
    expect(l.filter((x) => x.includes("adaptive_routing") || x.includes("load_shedding"))).toEqual([]);
    // check_regions means something here (gslb serve --etcd --region): kept without a note.
    expect(l.filter((x) => x.includes("check_regions"))).toEqual([]);
    // pop_pools steer by gslb serve --pop: kept without a note, its ids resolved.
    expect(l.filter((x) => x.includes("pop_pools") && !x.includes("→"))).toEqual([]);
    expect(r.load_balancers.www).not.toHaveProperty("proxied");
    expect(r.load_balancers.www).not.toHaveProperty("surprise");
    expect(r.load_balancers.www).toMatchObject({
      session_affinity: "cookie", pop_pools: { LAX: ["us-east"] }, networks: ["n"],
      pool_sets: [{ name: "x", overrides: { pools: ["eu-west"], fallback_pool: "us-east" } }],
    });
    expect(r.pools["us-east"]).toMatchObject({ origins: [{ name: "origin.example.net", address: "origin.example.net" }, { name: "192.0.2.7", address: "192.0.2.7" }] });
    expect(r.summary).toContain('2 fields set to null (Cloudflare\'s "not set") left out');
  });

  it("drops a rule whose condition a DNS-only load balancer cannot evaluate, at its path, naming the field", () => {
    const rules = [
      { name: "path", condition: 'http.request.uri.path contains "/testing"', overrides: { default_pools: ["p2"] } },
      { name: "v6", condition: "dns.qry.type == 28 and ip.src in {2001:db8::/32}", overrides: { default_pools: ["p2"], fallback_pool: "p1" }, terminates: true, priority: 2 },
      { name: "broken", condition: "dns.qry.type ==" },
    ];
    const r = run([doc("lb.json", { ...lb, rules }), doc("p.json", [poolA, poolB])]);
    const rule0 = lines(r).find((l) => l.startsWith("load_balancers.www.rules[0].condition: "));
    expect(rule0).toMatch(/http\.request\.uri\.path/);
    expect(rule0).toMatch(/rule "path" dropped$/);
    expect(lines(r).find((l) => l.startsWith("load_balancers.www.rules[2].condition: "))).toMatch(/at offset \d+ of .*rule "broken" dropped$/);
    expect(r.load_balancers.www!).toMatchObject({
      rules: [{ name: "v6", condition: "dns.qry.type == 28 and ip.src in {2001:db8::/32}", overrides: { default_pools: ["eu-west"], fallback_pool: "us-east" }, terminates: true, priority: 2 }],
    });
  });

  it("translates an override's declarative pool weights into random_steering, and drops its flat pool list", () => {
    const rules = [{ name: "w", condition: "", overrides: { pool_weights: { p1: 0.2 }, pool_default_weight: 0.5, pools: ["p1"], session_affinity: "ip_cookie" } }];
    const r = run([doc("lb.json", { ...lb, rules }), doc("p.json", [poolA, poolB])]);
    expect((r.load_balancers.www as JsonObject).rules).toEqual([{ name: "w", condition: "", overrides: { session_affinity: "ip_cookie", random_steering: { default_weight: 0.5, pool_weights: { "us-east": 0.2 } } } }]);
    expect(lines(r)).toEqual(expect.arrayContaining([
      "load_balancers.www.rules[0].overrides.pool_weights: → random_steering.pool_weights",
      "load_balancers.www.rules[0].overrides.pool_default_weight: → random_steering.default_weight",
      'load_balancers.www.rules[0].overrides.pools: ["p1"]: dropped: a pool set\'s flat pool list: gslb does not replace the topology (use default_pools)',
      "load_balancers.www.rules[0].overrides.session_affinity: kept; no effect in DNS-only mode",
    ]));
  });
});

describe("import: into a zone file", () => {
  it("replaces objects with the same keys (a load balancer by its owner name) and keeps everything else", () => {
    const existing = {
      zone: "lb.example.com", soa: { mname: "ns1" }, records: { "@": { NS: ["ns1"] } }, networks: { "10.0.0.0/8": { country: "DE" } },
      pools: { "us-east": { origins: [] }, backup: { origins: [] } }, load_balancers: { "WWW.lb.example.com.": { default_pools: ["backup"] }, api: { default_pools: ["backup"] } },
    } as JsonObject;
    const r = run([doc("x.json", [lb, poolA, poolB])]);
    const { zone, notes } = mergeIntoZone(existing, r, "zones/lb.example.com.json");
    expect(zone.records).toEqual(existing.records);
    expect(zone.networks).toEqual(existing.networks);
    expect(zone.soa).toEqual(existing.soa);
    expect(Object.keys(zone.pools as JsonObject)).toEqual(["us-east", "backup", "eu-west"]);
    expect(Object.keys(zone.load_balancers as JsonObject)).toEqual(["api", "www"]);
    expect(notes.map((n) => `${n.path}: ${n.message}`)).toEqual([
      "pools.us-east: replaces the one in zones/lb.example.com.json",
      'load_balancers.www: replaces the one keyed "WWW.lb.example.com." in zones/lb.example.com.json',
    ]);
    expect((existing.pools as JsonObject)["us-east"]).toEqual({ origins: [] });
  });

  it("starts a new zone file with an SOA and the apex NS set (glue for names inside)", () => {
    expect(newZoneFile("LB.example.com.", [{ name: "ns1.lb.example.com", address: "192.0.2.53" }, { name: "ns.example.net" }], new Date("2026-11-29T12:00:00Z"))).toEqual({
      zone: "lb.example.com", ttl: 3600,
      soa: { mname: "ns1", rname: "hostmaster.lb.example.com.", serial: 2026112901, refresh: 3600, retry: 600, expire: 1209600, minimum: 60 },
      records: { "@": { NS: ["ns1", "ns.example.net."] }, ns1: { A: ["192.0.2.53"] } },
    });
  });
});
