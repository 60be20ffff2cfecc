// Zone files: every rejection with its path, suggestions, JSON syntax positions, keep-last-good.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadZoneDir, parseZoneText } from "./load.js";
import { zoneJsonSchema } from "./schema.js";

const sample = () => JSON.parse(fs.readFileSync(new URL("../../zones/lb.example.com.json", import.meta.url), "utf8"));
const errorsOf = (zone: unknown) => parseZoneText("z.json", typeof zone === "string" ? zone : JSON.stringify(zone)).errors.map((e) => `${e.path}: ${e.message}`);
const withRecords = (records: Record<string, unknown>) => { const z = sample(); Object.assign(z.records, records); return z; };

describe("the sample zone", () => {
  it("loads into the expected zone input", () => {
    const r = parseZoneText("z.json", JSON.stringify(sample()));
    expect(r.errors).toEqual([]);
    const input = r.input!;
    expect(input.origin).toBe("lb.example.com");
    expect(input.soa).toMatchObject({ mname: "ns1.lb.example.com", rname: "hostmaster.example.com", serial: 2026112201 });
    const find = (name: string, type: number) => input.rrsets.find((s) => s.name === name && s.type === type);
    expect(find("lb.example.com", 2)!.rdata).toEqual(["ns1.lb.example.com", "ns2.lb.example.com"]);
    expect(find("lb.example.com", 15)!.rdata).toEqual([{ preference: 10, exchange: "mail.lb.example.com" }]);
    expect(find("*.dev.lb.example.com", 1)).toMatchObject({ ttl: 60, rdata: ["192.0.2.80"] });
    expect(find("docs.lb.example.com", 5)!.rdata).toEqual(["www.example.org"]);
    expect(find("lb.example.com", 257)!.rdata).toEqual([{ flags: 0, tag: "issue", value: Buffer.from("letsencrypt.org") }]);
    expect(find("lb.example.com", 16)!.rdata).toEqual([[Buffer.from("v=spf1 -all")]]);
    expect(r.zone!.cuts.has("sub.lb.example.com")).toBe(true);
  });

  it("accepts every value form and default TTL", () => {
    const z = sample();
    delete z.ttl;
    Object.assign(z.records, {
      one: { A: "192.0.2.1" },
      many: { A: { values: ["192.0.2.1", "192.0.2.2"] } },
      single: { AAAA: { ttl: 5, value: "2001:DB8:0:0::1" } },
      txt: { TXT: ["a", ["b", "c"]] },
      ptr: { PTR: "@" },
    });
    const r = parseZoneText("z.json", JSON.stringify(z));
    expect(r.errors).toEqual([]);
    const find = (name: string, type: number) => r.input!.rrsets.find((s) => s.name === name && s.type === type)!;
    expect(find("one.lb.example.com", 1)).toMatchObject({ ttl: 3600, rdata: ["192.0.2.1"] });
    expect(find("many.lb.example.com", 1).rdata).toHaveLength(2);
    expect(find("single.lb.example.com", 28)).toMatchObject({ ttl: 5, rdata: ["2001:db8::1"] });
    expect(find("txt.lb.example.com", 16).rdata).toEqual([[Buffer.from("a")], [Buffer.from("b"), Buffer.from("c")]]);
    expect(find("ptr.lb.example.com", 12).rdata).toEqual(["lb.example.com"]);
  });

  it("publishes a JSON Schema generated from the same zod schema", () => {
    const s = zoneJsonSchema() as any;
    expect(s.type).toBe("object");
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(["zone", "ttl", "soa", "records"]));
  });
});

describe("rejections, each with its path", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["CNAME beside other data", { docs: { CNAME: "x.example.org.", A: "192.0.2.1" } }, "records.docs.CNAME: CNAME cannot stand beside other data (A)"],
    ["two CNAMEs", { docs: { CNAME: ["a.example.org.", "b.example.org."] } }, "records.docs.CNAME: a name has at most one CNAME"],
    ["CNAME at the apex", { "@": { CNAME: "x.example.org." } }, 'records["@"].CNAME: no CNAME at the apex'],
    ["data below a delegation", { "www.sub": { TXT: "hi" } }, "records[\"www.sub\"].TXT: www.sub.lb.example.com is at or below the delegation sub.lb.example.com"],
    ["MX at a delegation point", { sub: { NS: ["ns.sub"], MX: { preference: 1, exchange: "mail" } } }, "records.sub.MX: sub.lb.example.com is at or below the delegation"],
    ["NS at a wildcard", { "*.w": { NS: "ns1" } }, 'records["*.w"].NS: NS at a wildcard name is not allowed'],
    ["a bad IPv4 address", { mail: { A: ["192.0.2.300"] } }, 'records.mail.A[0]: "192.0.2.300" is not an IPv4 address'],
    ["an IPv4 address with leading zeros", { mail: { A: "192.0.2.025" } }, 'records.mail.A: "192.0.2.025" is not an IPv4 address'],
    ["a bad IPv6 address", { mail: { AAAA: { values: ["2001:db8::1::2"] } } }, 'records.mail.AAAA.values[0]: "2001:db8::1::2" is not an IPv6 address'],
    ["a label over 63 bytes", { ["a".repeat(64)]: { A: "192.0.2.1" } }, "is 64 bytes; the limit is 63"],
    ["a name over 255 bytes", { [Array(5).fill("a".repeat(60)).join(".")]: { A: "192.0.2.1" } }, "the limit is 255"],
    ["a bad character", { "w w": { A: "192.0.2.1" } }, 'may hold only letters, digits, "-" and "_"'],
    ["a wildcard not leftmost", { "a.*.b": { A: "192.0.2.1" } }, '"*" is allowed only as the leftmost label'],
    ["a TTL over 2^31-1", { mail: { A: { ttl: 2 ** 31, values: ["192.0.2.1"] } } }, "records.mail.A.ttl:"],
    ["a negative MX preference", { "@": { NS: ["ns1", "ns2"], MX: { preference: -1, exchange: "mail" } } }, 'records["@"].MX.preference:'],
    ["a CAA tag with a dash", { "@": { NS: ["ns1", "ns2"], CAA: { flags: 0, tag: "is-sue", value: "x" } } }, 'records["@"].CAA.tag: 1 to 15 letters or digits'],
    ["a TXT piece over 255 bytes", { t: { TXT: [["x".repeat(256)]] } }, "records.t.TXT[0][0]: character-string is 256 bytes"],
    ["a lame in-zone NS target", { sub: { NS: ["ns.sub", "nohost"] } }, "records.sub.NS: NS target nohost.lb.example.com is in the zone but has no A or AAAA record"],
    ["an MX target that is a CNAME", { "@": { NS: ["ns1", "ns2"], MX: { preference: 1, exchange: "docs" } } }, 'records["@"].MX: MX target docs.lb.example.com is a CNAME'],
    ["two spellings of one owner", { MAIL: { TXT: "x" } }, 'records.MAIL: names the same owner as records["mail"]'],
    ["an owner outside the zone", { "www.example.org.": { A: "192.0.2.1" } }, 'records["www.example.org."]: www.example.org is outside the zone lb.example.com'],
  ])("%s", (_what, records, expected) => {
    expect(errorsOf(withRecords(records)).join("\n")).toContain(expected);
  });

  it("requires NS at the apex", () => {
    const z = sample();
    delete z.records["@"].NS;
    expect(errorsOf(z)).toContain('records["@"]: the apex needs NS records (the servers this zone is delegated to)');
  });

  it("checks the zone name and the SOA numbers", () => {
    expect(errorsOf({ ...sample(), zone: "bad..name" })).toEqual(["zone: empty label (two dots in a row, or a leading dot)"]);
    const z = sample();
    z.soa.serial = 2 ** 32;
    expect(errorsOf(z).join()).toContain("soa.serial:");
  });

  it("suggests the closest key for unknown keys and record types, and still checks the rest", () => {
    const z = sample();
    z.recrods = {};
    z.soa.seral = 1;
    z.records.mail = { AAA: "2001:db8::1", a: "192.0.2.300" };
    const errors = errorsOf(z);
    expect(errors).toContain('recrods: unknown key "recrods" (did you mean "records"?)');
    expect(errors).toContain('soa.seral: unknown key "seral" (did you mean "serial"?)');
    expect(errors).toContain('records.mail.AAA: unknown key "AAA" (did you mean "AAAA"?)');
    expect(errors).toContain('records.mail.a: unknown key "a" (did you mean "A"?)');
    const z2 = sample();
    z2.recrods = {};
    z2.records.mail.A = "192.0.2.300";
    expect(errorsOf(z2)).toContain('records.mail.A: "192.0.2.300" is not an IPv4 address');
  });

  it("reports every problem in one run: schema, references and zone rules together", () => {
    const z = sample();
    z.pools["eu-west"].minimum_origins = "one";
    z.pools.backup.origins[0].adress = "203.0.113.10";
    z.load_balancers.www.steering_polcy = "geo";
    z.load_balancers.www.default_pools = ["us-east", "eu-wst"];
    z.load_balancers.www.rules = [{ name: "r", overides: {} }];
    z.records.mail = { A: "192.0.2.300" };
    z.monitors.tcp1 = { type: "tcp" };
    z.monitors.odd = { type: "htp" };
    const errors = errorsOf(z);
    expect(errors).toEqual(expect.arrayContaining([
      "monitors.tcp1.port: a tcp monitor needs a port (1-65535): tcp has no default port",
      "monitors.odd.type: type must be one of http, https, tcp, smtp, udp_icmp, icmp_ping (default http)",
      'pools.eu-west.minimum_origins: expected number, got the string "one"',
      'pools.backup.origins[0].adress: unknown key "adress" (did you mean "address"?)',
      'load_balancers.www.steering_polcy: unknown key "steering_polcy" (did you mean "steering_policy"?)',
      'load_balancers.www.rules[0].overides: unknown key "overides" (did you mean "overrides"?)',
      'load_balancers.www.default_pools[1]: unknown pool "eu-wst" (did you mean "eu-west"?)',
      'records.mail.A: "192.0.2.300" is not an IPv4 address',
    ]));
    // eu-west was dropped for its schema problem: references to it are not reported again.
    expect(errors.filter((e) => e.includes('unknown pool "eu-west"'))).toEqual([]);
    expect(errors.every((e) => !e.startsWith(":"))).toBe(true);
  });

  it("accepts Cloudflare's fields: warnings for those with no effect here, not errors", () => {
    const z = sample();
    Object.assign(z.load_balancers.www, { session_affinity: "cookie", proxied: false, id: "699d98642c564d2e855e9661899b7252", description: "x" });
    const r = parseZoneText("z.json", JSON.stringify(z));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([{ file: "z.json", path: "load_balancers.www.session_affinity", message: "no effect: session affinity needs Cloudflare's proxy (DNS-only)" }]);
    z.load_balancers.www.proxied = true;
    expect(errorsOf(z)).toEqual(["load_balancers.www.proxied: gslb answers DNS only: a proxied (orange-cloud) load balancer needs Cloudflare's proxy; set false or remove it"]);
  });

  it("reports JSON syntax errors with line and column", () => {
    const [e] = errorsOf('{\n  "zone": "lb.example.com",\n  "ttl": 300,,\n}');
    expect(e).toMatch(/^\$: invalid JSON at line 3, column 14/);
  });

  it("explains a value of the wrong shape", () => {
    expect(errorsOf(withRecords({ mail: { A: 42 } })).join()).toContain('records.mail.A: expected a value, an array of values, or { "ttl": N, "values": [...] }');
    const z = sample();
    delete z.soa.mname;
    expect(errorsOf(z)).toContain("soa.mname: missing (expected string)");
  });
});

describe("directories", () => {
  const dirs: string[] = [];
  const tmp = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-cfg-")); dirs.push(d); return d; };
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  it("skips server files and dot files, and refuses a zone declared twice", () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, "a.json"), JSON.stringify(sample()));
    fs.writeFileSync(path.join(d, "b.json"), JSON.stringify(sample()));
    fs.writeFileSync(path.join(d, "_overrides.json"), "{ not a zone");
    fs.writeFileSync(path.join(d, ".hidden.json"), "{ not a zone");
    fs.writeFileSync(path.join(d, "notes.txt"), "x");
    const load = loadZoneDir(d);
    expect(load.zones.map((z) => z.origin)).toEqual(["lb.example.com"]);
    expect(load.errors).toEqual([{ file: path.join(d, "b.json"), path: "zone", message: `zone lb.example.com is already served from ${path.join(d, "a.json")}: this file is not served` }]);
  });

  it("keeps the last good version of a broken file, reuses unchanged zones, and drops deleted files", () => {
    const d = tmp();
    const file = path.join(d, "lb.json");
    fs.writeFileSync(file, JSON.stringify(sample()));
    const first = loadZoneDir(d);
    const again = loadZoneDir(d, first.results);
    expect(again.zones[0]).toBe(first.zones[0]);
    fs.writeFileSync(file, "{ broken");
    const broken = loadZoneDir(d, again.results);
    expect(broken.zones[0]).toBe(first.zones[0]);
    expect(broken.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^invalid JSON/), "still serving the last good version (lb.example.com serial 2026112201)"]);
    // Still broken on the next reload: still the last good version.
    expect(loadZoneDir(d, broken.results).zones[0]).toBe(first.zones[0]);
    const z = sample();
    z.soa.serial = 2026112202;
    fs.writeFileSync(file, JSON.stringify(z));
    expect(loadZoneDir(d, broken.results).zones[0]!.serial).toBe(2026112202);
    fs.rmSync(file);
    expect(loadZoneDir(d, broken.results).zones).toEqual([]);
  });

  it("reports a missing directory and keeps what it served", () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, "lb.json"), JSON.stringify(sample()));
    const first = loadZoneDir(d);
    fs.rmSync(d, { recursive: true });
    const gone = loadZoneDir(d, first.results);
    expect(gone.errors[0]!.message).toMatch(/cannot read the zone directory: ENOENT/);
    expect(gone.zones).toHaveLength(1);
  });
});
