// Issue 8 end to end: Cloudflare's semantics at the edges, through a real server on loopback,
// queried over UDP (answers decoded by dns-packet) and by c-ares (Node's dns.Resolver).

import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthTable } from "../src/health/table.js";
import { answerData, rcodeOf, udpQuery } from "./support/client.js";
import { balancedZone } from "./support/zones.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";

const ZONE = "lb.example.com";

function zone(): Record<string, any> {
  const z = balancedZone({
    pools: {
      a: { origins: [{ name: "a1", address: "192.0.2.1" }], monitor: "m" },
      b: { origins: [{ name: "b1", address: "192.0.2.2" }], monitor: "m" },
      c: { origins: [{ name: "c1", address: "192.0.2.3" }, { name: "c6", address: "2001:db8::3" }], monitor: "m" },
      dark: { origins: [{ name: "d1", address: "192.0.2.4", enabled: false }] },
      lit: { origins: [{ name: "l1", address: "192.0.2.5" }] },
      v6: { origins: [{ name: "x6", address: "2001:db8::6" }] },
      v4: { origins: [{ name: "x4", address: "192.0.2.6" }] },
    },
    monitors: { m: { type: "tcp", port: 9 } },
    load_balancers: {
      nofallback: { default_pools: ["a", "b", "c"], steering_policy: "off" },
      disabledorigins: { default_pools: ["dark", "lit"] },
      ruled: { default_pools: ["a"], rules: [
        { name: "first", condition: "", overrides: { default_pools: ["b"] } },
        { name: "second", condition: "dns.qry.type == 1", overrides: { ttl: 11 } },
      ] },
      prio: { default_pools: ["a"], rules: [
        { name: "late", priority: 2, condition: "", overrides: { default_pools: ["b"] }, terminates: true },
        { name: "early", priority: 1, condition: "", overrides: { default_pools: ["c"] }, terminates: true },
      ] },
      drained: { default_pools: ["a", "b"], fallback_pool: "lit" },
      family: { default_pools: ["v6", "v4"] },
      "@": { default_pools: ["a", "b"] },
      mixed: { default_pools: ["b"] },
      off: { default_pools: ["b"], enabled: false },
      "*.app": { default_pools: ["c"] },
      shadow: { default_pools: ["b"] },
      mail: { default_pools: ["b"] },
      forced: { default_pools: ["a", "lit"] },
    },
  });
  Object.assign(z.records, {
    mixed: { A: "198.51.100.99", TXT: "kept", MX: { preference: 5, exchange: "mail" } },
    off: { A: "198.51.100.98" },
    "real.app": { A: "198.51.100.97" },
    "x.deep.app": { TXT: "below" },
    shadow: { CNAME: "elsewhere.example.net." },
  });
  return z;
}

let t: TestServer;
let health: HealthTable;
const set = (pool: string, origin: string, state: "up" | "down") => health.set(`${ZONE}/${pool}`, origin, state);
const a = (name: string) => answerData(t.port, `${name}.${ZONE}`);
const aaaa = (name: string) => answerData(t.port, `${name}.${ZONE}`, "AAAA");

beforeAll(async () => {
  health = new HealthTable();
  t = await startTestServer({ "lb.example.com.json": zone() }, { monitors: false, health });
});
afterAll(() => t.close());

describe("Cloudflare's semantics through a real server", () => {
  it("without fallback_pool, the last of default_pools answers when all are down (health ignored)", async () => {
    expect(await a("nofallback")).toEqual(["192.0.2.1"]);
    set("a", "a1", "down"); set("b", "b1", "down"); set("c", "c1", "down"); set("c", "c6", "down");
    try {
      expect(await a("nofallback")).toEqual(["192.0.2.3"]);
    } finally { set("a", "a1", "up"); set("b", "b1", "up"); set("c", "c1", "up"); set("c", "c6", "up"); }
  });

  it("an unmonitored pool whose origins are all disabled is unhealthy: the next pool answers", async () => {
    expect(await a("disabledorigins")).toEqual(["192.0.2.5"]);
  });

  it("rules do not terminate by default: both overrides apply; priority orders them", async () => {
    const r = await udpQuery(t.port, `ruled.${ZONE}`);
    expect((r.answers ?? []).map((x: any) => [x.data, x.ttl])).toEqual([["192.0.2.2", 11]]);
    expect(await a("prio")).toEqual(["192.0.2.3"]);
  });

  it("a drained healthy pool answers before an unhealthy fallback (overrides file)", async () => {
    t.writeZone("_overrides.json", { overrides: [{ zone: ZONE, pool: "a", state: "drain" }] });
    t.server.reload();
    try {
      expect(await a("drained")).toEqual(["192.0.2.2"]);
      set("b", "b1", "down");
      expect(await a("drained")).toEqual(["192.0.2.1"]);
    } finally {
      set("b", "b1", "up");
      t.writeZone("_overrides.json", { overrides: [] });
      t.server.reload();
    }
  });

  it("a drained origin takes no traffic while another can; a pool whose only origin is drained comes after undrained pools", async () => {
    t.writeZone("_overrides.json", { overrides: [{ zone: ZONE, pool: "a", origin: "a1", state: "drain" }] });
    t.server.reload();
    try {
      expect(await a("nofallback")).toEqual(["192.0.2.2"]);
      set("b", "b1", "down"); set("c", "c1", "down"); set("c", "c6", "down");
      expect(await a("nofallback")).toEqual(["192.0.2.1"]);
    } finally {
      set("b", "b1", "up"); set("c", "c1", "up"); set("c", "c6", "up");
      t.writeZone("_overrides.json", { overrides: [] });
      t.server.reload();
    }
  });

  it("a pool with no origin of the asked family is passed over", async () => {
    expect(await a("family")).toEqual(["192.0.2.6"]);
    expect(await aaaa("family")).toEqual(["2001:db8::6"]);
  });

  it("a load balancer at the apex answers A; SOA, NS, MX and TXT at the apex stay", async () => {
    expect(await answerData(t.port, ZONE)).toEqual(["192.0.2.1"]);
    expect(await answerData(t.port, ZONE, "NS")).toEqual([`ns1.${ZONE}`, `ns2.${ZONE}`]);
    expect((await answerData(t.port, ZONE, "MX") as any[])[0]).toMatchObject({ exchange: `mail.${ZONE}` });
    expect((await udpQuery(t.port, ZONE, "SOA")).answers![0]!.type).toBe("SOA");
    // c-ares agrees.
    const r = new Resolver();
    r.setServers([`127.0.0.1:${t.port}`]);
    expect(await r.resolve4(ZONE)).toEqual(["192.0.2.1"]);
    expect(await r.resolveTxt(ZONE)).toEqual([["v=spf1 -all"]]);
  });

  it("a load balancer beats A records at its name; other types come from the records; enabled: false gives the name back", async () => {
    expect(await a("mixed")).toEqual(["192.0.2.2"]);
    expect(await answerData(t.port, `mixed.${ZONE}`, "TXT")).toEqual([[Buffer.from("kept")]]);
    expect((await answerData(t.port, `mixed.${ZONE}`, "MX") as any[])[0]).toMatchObject({ preference: 5 });
    expect(await a("off")).toEqual(["198.51.100.98"]);
  });

  it("a load balancer shadows a CNAME at its name; ANY gets its A; the additional section never gives a shadowed address", async () => {
    expect(await a("shadow")).toEqual(["192.0.2.2"]);
    for (const type of ["TXT", "CNAME", "MX"]) {
      const r = await udpQuery(t.port, `shadow.${ZONE}`, type);
      expect(rcodeOf(r)).toBe("NOERROR");
      expect(r.answers).toEqual([]);
    }
    expect(await answerData(t.port, `shadow.${ZONE}`, "ANY")).toEqual(["192.0.2.2"]);
    // The apex MX names mail, a load balancer now (its A record shadowed): no address in additional.
    const mx = await udpQuery(t.port, ZONE, "MX");
    expect((mx.additionals ?? []).filter((r: any) => r.type === "A" || r.type === "AAAA")).toEqual([]);
    expect(await a("mail")).toEqual(["192.0.2.2"]);
  });

  it("a pool forced up (overrides) answers from its origins whatever the monitor says", async () => {
    set("a", "a1", "down");
    try {
      expect(await a("forced")).toEqual(["192.0.2.5"]);
      t.writeZone("_overrides.json", { overrides: [{ zone: ZONE, pool: "a", state: "up" }] });
      t.server.reload();
      expect(await a("forced")).toEqual(["192.0.2.1"]);
      // A drained origin keeps its monitor's verdict: down and drained is not served.
      t.writeZone("_overrides.json", { overrides: [{ zone: ZONE, pool: "a", origin: "a1", state: "drain" }] });
      t.server.reload();
      expect(await a("forced")).toEqual(["192.0.2.5"]);
    } finally {
      set("a", "a1", "up");
      t.writeZone("_overrides.json", { overrides: [] });
      t.server.reload();
    }
  });

  it("wildcard load balancers synthesize like wildcard records (never over an existing name or empty non-terminal)", async () => {
    expect(await a("anything.app")).toEqual(["192.0.2.3"]);
    expect(await aaaa("other.app")).toEqual(["2001:db8::3"]);
    expect(await a("real.app")).toEqual(["198.51.100.97"]);
    // deep.app exists as an empty non-terminal above x.deep.app: NODATA, not the wildcard.
    const ent = await udpQuery(t.port, `deep.app.${ZONE}`);
    expect(rcodeOf(ent)).toBe("NOERROR");
    expect(ent.answers).toEqual([]);
    // TXT at a wildcard load balancer's synthesized name: no records there, NODATA.
    const txt = await udpQuery(t.port, `anything.app.${ZONE}`, "TXT");
    expect(rcodeOf(txt)).toBe("NOERROR");
    expect(txt.answers).toEqual([]);
  });
});

describe("zone files", () => {
  it("a second file declaring a served zone is refused; the zone stays with its file", async () => {
    const s = await startTestServer({ "m-zone.json": sampleZone() }, { monitors: false });
    try {
      const other = sampleZone();
      other.records.mail = { A: "192.0.2.250" };
      s.writeZone("a-copy.json", other);
      const load = s.server.reload();
      expect(await answerData(s.port, `mail.${ZONE}`)).toEqual(["192.0.2.25"]);
      const errors = load.errors.map((e) => `${e.file.split("/").pop()}: ${e.path}: ${e.message}`);
      expect(errors).toEqual([expect.stringMatching(/^a-copy\.json: zone: zone lb\.example\.com is already served from .*m-zone\.json: this file is not served$/)]);
    } finally { await s.close(); }
  });
});
