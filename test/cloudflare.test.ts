// gslb import cloudflare / gslb export cloudflare as users run them (node dist/cli/main.js): the
// documented Cloudflare examples imported into the sample zone, what is written and what is not,
// the report on stderr, and export → import through the command line.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseZoneText } from "../src/config/load.js";
import { writeFileAtomic } from "../src/cli/import.js";

const root = new URL("..", import.meta.url).pathname;
const main = path.join(root, "dist/cli/main.js");
const fixture = (name: string) => path.join(root, "test/fixtures/cloudflare", name);
const gslb = (args: string[], input?: string) => spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: "utf8", timeout: 20_000, ...(input !== undefined ? { input } : {}) });

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
/** A scratch zones directory holding a copy of the shipped sample zone. */
function zonesCopy(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-cf-"));
  dirs.push(dir);
  const file = path.join(dir, "lb.example.com.json");
  fs.copyFileSync(path.join(root, "zones/lb.example.com.json"), file);
  return { dir, file };
}
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

// The documented load balancer names six pool ids; one is the documented pool's (17b5962d...), the
// others and the placeholder fallback "fallback_pool" are defined nowhere, and the documented pool
// names the monitor "monitor": --map ties them to what is imported.
const SEED_MAP = [
  "9290f38c5d07c2e2f4df57b1f61d4196", "00920f38ce07c2e2f4df50b1f61d4194",
  "de90f38ced07c2e2f4df50b1f61d4194", "abd90f38ced07c2e2f4df50b1f61d4194", "f9138c5d07c2e2f4df57b1f61d4196", "fallback_pool",
].flatMap((id) => ["--map", `${id}=primary-dc-1`]).concat(["--map", "monitor=login-page-monitor"]);
const SEED_INPUTS = [fixture("create-load-balancer.request.json"), fixture("create-pool.response.json"), fixture("create-monitor.request.json")];
const seedArgs = (into: string) => ["import", "cloudflare", "--cloudflare-zone", "example.com", "--into", into, ...SEED_MAP, ...SEED_INPUTS];

describe("gslb import cloudflare", () => {
  it("has help, and bad usage is one line and exit 2", () => {
    for (const args of [["import", "--help"], ["import", "cloudflare", "--help"], ["export", "cloudflare", "--help"]]) {
      const r = gslb(args);
      expect(r.status, args.join(" ")).toBe(0);
      expect(r.stdout, args.join(" ")).toMatch(new RegExp(`^Usage: gslb ${args[0]} cloudflare`));
    }
    expect(gslb(["--help"]).stdout).toMatch(/import .*\n.*export /);
    for (const args of [["import", "aws", "x.json"], ["import", "cloudflare", "x.json"], ["import", "cloudflare", "--print"], ["import", "cloudflare", "--print", "--map", "oops", "x.json"]]) {
      const r = gslb(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
  });

  it("imports Cloudflare's documented examples into the sample zone, which then passes gslb check", () => {
    const { dir, file } = zonesCopy();
    const before = readJson(file);
    const r = gslb(seedArgs(file));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/imported 1 monitor, 1 pool, 1 load balancer; /);
    const after = readJson(file);
    // Everything that was there stays.
    for (const key of ["zone", "ttl", "soa", "records", "networks"]) expect(after[key], key).toEqual(before[key]);
    expect(Object.keys(after.pools)).toEqual([...Object.keys(before.pools), "primary-dc-1"]);
    expect(after.load_balancers.www).toMatchObject({
      default_pools: ["primary-dc-1"], fallback_pool: "primary-dc-1", region_pools: { ENAM: ["primary-dc-1"], WNAM: ["primary-dc-1"] },
      country_pools: { GB: ["primary-dc-1"], US: ["primary-dc-1"] }, steering_policy: "dynamic_latency", ttl: 30,
      description: "Load Balancer for www.example.com", session_affinity: "cookie", pop_pools: { LAX: ["primary-dc-1"] },
    });
    expect(after.load_balancers.www).not.toHaveProperty("proxied");
    expect(after.pools["primary-dc-1"]).toMatchObject({ id: "17b5962d775c646f3f9725cbc7a53df4", monitor: "login-page-monitor" });
    expect(after.monitors["login-page-monitor"]).toMatchObject({ type: "https", path: "/health", description: "Login page monitor" });
    const stderr = r.stderr.split("\n");
    expect(stderr).toEqual(expect.arrayContaining([
      "load_balancers.www.name: www.example.com → the owner \"www\" of lb.example.com",
      "load_balancers.www.proxied: true: dropped: gslb answers DNS only, so this load balancer answers with its origins' addresses (as proxied: false)",
      "load_balancers.www.session_affinity: kept; no effect in DNS-only mode",
      // pop_pools are kept and steer by gslb serve --pop: their ids resolved like any other list.
      'load_balancers.www.pop_pools.LAX[0]: id de90f38ced07c2e2f4df50b1f61d4194 → "primary-dc-1" (--map)',
      'load_balancers.www.default_pools[0]: id 17b5962d775c646f3f9725cbc7a53df4 → "primary-dc-1"',
      'pools.primary-dc-1.monitor: id monitor → "login-page-monitor" (--map)',
      'load_balancers.www: replaces the one in ' + file,
      "monitors.login-page-monitor: key from its description \"Login page monitor\"",
    ]));
    // The validator warns about the same fields: said once, by the import's own line.
    expect(r.stderr).not.toMatch(/load_balancers\.www\.session_affinity: warning:/);
    expect(parseZoneText(file, fs.readFileSync(file, "utf8")).errors).toEqual([]);
    const check = gslb(["check", dir]);
    expect(check.status, check.stderr).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(["lb.example.com.json"]);
  });

  it("drops the documented rule on a proxied-only field, at its path and naming the field", () => {
    const { file } = zonesCopy();
    const r = gslb(["import", "cloudflare", "--cloudflare-zone", "example.com", "--into", file, "--print", ...SEED_MAP,
      fixture("create-load-balancer.response.json"), fixture("create-pool.response.json"), fixture("create-monitor.response.json")]);
    const line = r.stderr.split("\n").find((l) => l.startsWith("load_balancers.www.rules[0].condition: "));
    expect(line).toMatch(/http\.request\.uri\.path/);
    expect(line).toMatch(/: rule "route the path \/testing to testing datacenter\." dropped$/);
    const printed = JSON.parse(r.stdout);
    expect(printed.load_balancers.www.rules).toEqual([]);
    expect(printed.load_balancers.www).toMatchObject({ id: "699d98642c564d2e855e9661899b7252", random_steering: { default_weight: 0.2, pool_weights: { "primary-dc-1": 0.5 } } });
    // --print with --into writes nothing.
    expect(fs.readFileSync(file, "utf8")).toBe(fs.readFileSync(path.join(root, "zones/lb.example.com.json"), "utf8"));
  });

  it("skips a hostname outside the zone and says how to bring it in", () => {
    const r = gslb(["import", "cloudflare", "--zone", "lb.example.com", "--print", ...SEED_MAP, ...SEED_INPUTS]);
    expect(r.stderr).toContain('load_balancers["www.example.com"].name: www.example.com is outside the zone lb.example.com: skipped');
    const printed = JSON.parse(r.stdout);
    expect(Object.keys(printed)).toEqual(["monitors", "pools", "load_balancers"]);
    expect(printed.load_balancers).toEqual({});
    expect(Object.keys(printed.pools)).toEqual(["primary-dc-1"]);
  });

  it("writes nothing when the result does not pass validation (the file stays byte for byte), unless --force", () => {
    const { dir, file } = zonesCopy();
    const original = fs.readFileSync(file, "utf8");
    // The documented pool without --map: its monitor "monitor" is in no input and no zone file.
    const args = ["import", "cloudflare", "--into", file, fixture("create-pool.response.json")];
    const r = gslb(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pools.primary-dc-1.monitor: monitor id monitor is not in the inputs: left as it is (import that monitor too, or --map monitor=KEY)");
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: pools\\.primary-dc-1\\.monitor: `));
    expect(r.stderr).toContain(`${file}: not written: `);
    expect(fs.readFileSync(file, "utf8")).toBe(original);
    expect(fs.readdirSync(dir)).toEqual(["lb.example.com.json"]);

    const forced = gslb([...args, "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/written with \d+ validation problems? \(--force\)/);
    expect(readJson(file).pools["primary-dc-1"].monitor).toBe("monitor");
  });

  it("creates a new zone file around the import when given its name servers", () => {
    const { dir } = zonesCopy();
    const file = path.join(dir, "example.com.json");
    const without = gslb(["import", "cloudflare", "--zone", "example.com", "--into", file, ...SEED_MAP, ...SEED_INPUTS]);
    expect(without.status).toBe(2);
    expect(without.stderr).toMatch(/--ns/);
    const mismatch = gslb(["import", "cloudflare", "--zone", "example.com", "--into", path.join(dir, "lb.example.com.json"), ...SEED_INPUTS]);
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr).toContain("is the zone lb.example.com, not example.com");
    const r = gslb(["import", "cloudflare", "--zone", "example.com", "--into", file, "--ns", "ns1.example.net", "--ns", "ns2.example.com=192.0.2.53", ...SEED_MAP, ...SEED_INPUTS]);
    expect(r.status, r.stderr).toBe(0);
    const z = readJson(file);
    expect(z.records).toEqual({ "@": { NS: ["ns1.example.net.", "ns2"] }, ns2: { A: ["192.0.2.53"] } });
    expect(Object.keys(z.load_balancers)).toEqual(["www"]);
    expect(parseZoneText(file, fs.readFileSync(file, "utf8")).errors).toEqual([]);
  });

  it("reads standard input as \"-\"", () => {
    const r = gslb(["import", "cloudflare", "--zone", "lb.example.com", "--print", "-"], fs.readFileSync(fixture("create-monitor.request.json"), "utf8"));
    expect(r.status, r.stderr).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout).monitors)).toEqual(["login-page-monitor"]);
  });
});

describe("gslb export cloudflare", () => {
  it("prints payloads that import back to the same zone sections", () => {
    const first = zonesCopy();
    expect(gslb(seedArgs(first.file)).status).toBe(0);
    const exported = gslb(["export", "cloudflare", "--zones", first.dir, "--cloudflare-zone", "example.com"]);
    expect(exported.status, exported.stderr).toBe(0);
    const payloads = JSON.parse(exported.stdout);
    expect(payloads.load_balancers.map((l: { name: string }) => l.name)).toEqual(["www.example.com"]);
    // References: Cloudflare's id where the object has one, else its name.
    expect(payloads.load_balancers[0].default_pools).toEqual(["17b5962d775c646f3f9725cbc7a53df4"]);
    expect(payloads.pools.find((p: { name: string }) => p.name === "primary-dc-1").monitor).toBe("Login page monitor");
    expect(exported.stderr).toContain("networks: 2 networks: gslb's own (Cloudflare locates clients by GeoIP alone): not exported");

    const second = zonesCopy();
    const payloadFile = path.join(second.dir, ".export.json");
    fs.writeFileSync(payloadFile, exported.stdout);
    const back = gslb(["import", "cloudflare", "--cloudflare-zone", "example.com", "--into", second.file, payloadFile]);
    expect(back.status, back.stderr).toBe(0);
    const a = readJson(first.file);
    const b = readJson(second.file);
    for (const key of ["monitors", "pools", "load_balancers"]) expect(b[key], key).toEqual(a[key]);
  });

  it("refuses a zone file that does not pass validation, and asks which zone when there are several", () => {
    const { dir, file } = zonesCopy();
    fs.writeFileSync(path.join(dir, "other.json"), JSON.stringify({ ...readJson(file), zone: "other.example" }));
    const several = gslb(["export", "cloudflare", "--zones", dir]);
    expect(several.status).toBe(2);
    expect(several.stderr).toMatch(/several zones .*--zone NAME/);
    const broken = readJson(file);
    broken.load_balancers.www.default_pools = ["nowhere"];
    fs.writeFileSync(file, JSON.stringify(broken));
    const r = gslb(["export", "cloudflare", "--zones", dir, "--zone", "lb.example.com"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/load_balancers\.www\.default_pools\[0\]: .*nowhere/);
  });
});

describe("writing a zone file", () => {
  it("leaves neither a partial file nor its temporary file when the final rename fails", () => {
    const { dir } = zonesCopy();
    // A non-empty directory where the file should go: writing the temporary file works, the rename cannot.
    const target = path.join(dir, "taken.json");
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "keep"), "x");
    expect(() => writeFileAtomic(target, "{}\n")).toThrow();
    expect(fs.readdirSync(dir).sort()).toEqual(["lb.example.com.json", "taken.json"]);
    expect(fs.readdirSync(target)).toEqual(["keep"]);
  });

  it("replaces a file in one step and keeps its permissions", () => {
    const { dir, file } = zonesCopy();
    fs.chmodSync(file, 0o640);
    writeFileAtomic(file, "{\"new\": true}\n");
    expect(fs.readFileSync(file, "utf8")).toBe("{\"new\": true}\n");
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir)).toEqual(["lb.example.com.json"]);
  });
});
