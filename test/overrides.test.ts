// Operator overrides (zones/_overrides.json) through a real server: forced down, drained, expired,
// recurring windows, and a broken file keeping the previous overrides.

import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { opt, udpQuery } from "./support/client.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";
import { OverrideManager } from "../src/health/overrides.js";
import { HealthTable } from "../src/health/table.js";

let t: TestServer;
beforeAll(async () => { t = await startTestServer({ "lb.example.com.json": sampleZone() }, { monitors: false }); });
afterAll(() => t.close());

// A German client (10.20/16 is DE in the sample's networks): WEU → eu-west first, then us-east.
const german = async () => ((await udpQuery(t.port, "www.lb.example.com", "A", { additionals: [opt([{ code: 8, data: Buffer.from([0, 1, 24, 0, 10, 20, 1]) }])] })).answers ?? []).map((r: any) => r.data);
const write = (overrides: unknown) => {
  fs.writeFileSync(path.join(t.dir, "_overrides.json"), typeof overrides === "string" ? overrides : JSON.stringify({ overrides }));
  return t.server.reload();
};
const EU = ["198.51.100.10"];
const US = ["192.0.2.10"];

describe("overrides", () => {
  it("force a pool down or drain it, without a restart", async () => {
    expect(await german()).toEqual(EU);
    write([{ zone: "lb.example.com", pool: "eu-west", state: "down", comment: "maintenance" }]);
    expect(await german()).toEqual(US);
    write([{ zone: "lb.example.com", pool: "eu-west", state: "drain" }]);
    expect(await german()).toEqual(US);
    expect(t.server.health.view(t.server.balancing().get("lb.example.com")!).poolHealthy(t.server.balancing().get("lb.example.com")!.pools.get("eu-west")!)).toBe(true);
    write([]);
    expect(await german()).toEqual(EU);
  });

  it("end at `until`", async () => {
    write([{ zone: "lb.example.com", pool: "eu-west", state: "down", until: new Date(Date.now() + 600).toISOString() }]);
    expect(await german()).toEqual(US);
    await new Promise((r) => setTimeout(r, 800));
    expect(await german()).toEqual(EU);
    write([{ zone: "lb.example.com", pool: "eu-west", state: "down", until: "2020-01-01T00:00:00Z" }]);
    expect(await german()).toEqual(EU);
  });

  it("open recurring windows on a cron schedule, for their duration", async () => {
    // Every second, for one second (node-cron takes a seconds field).
    write([{ zone: "lb.example.com", pool: "eu-west", state: "down", schedule: "*/3 * * * * *", duration: "1s" }]);
    const seen = new Set<string>();
    const start = Date.now();
    while (Date.now() - start < 4000) {
      seen.add(JSON.stringify(await german()));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toEqual(new Set([JSON.stringify(EU), JSON.stringify(US)]));
    write([]);
  }, 10_000);

  it("report a broken file with its path and keep the previous overrides", async () => {
    write([{ zone: "lb.example.com", pool: "eu-west", state: "down" }]);
    write([{ zone: "lb.example.com", pool: "eu-wst", state: "down" }]);
    expect(await german()).toEqual(US);
    write("{ not json");
    expect(await german()).toEqual(US);
    write([]);
    expect(await german()).toEqual(EU);
  });

  it("name the file, path and reason of each problem", () => {
    const file = path.join(t.dir, "_check.json");
    const m = new OverrideManager(new HealthTable());
    const errorsFor = (overrides: unknown) => { fs.writeFileSync(file, JSON.stringify({ overrides })); return m.load(file, t.server.balancing()).map((e) => `${e.path}: ${e.message}`); };
    expect(errorsFor([{ zone: "lb.example.com", pool: "eu-wst", state: "down" }])).toEqual(['overrides[0].pool: zone lb.example.com has no pool "eu-wst" (did you mean "eu-west"?)']);
    expect(errorsFor([{ zone: "lb.example.com", pool: "eu-west", origin: "nope", state: "down" }])).toEqual(['overrides[0].origin: pool eu-west has no origin "nope"']);
    expect(errorsFor([{ zone: "lb.example.com", pool: "eu-west", state: "down", schedule: "0 2 * * 0" }])).toEqual(["overrides[0]: a schedule needs a duration, and a duration a schedule"]);
    expect(errorsFor([{ zone: "lb.example.com", pool: "eu-west", state: "off" }])[0]).toMatch(/^overrides\[0\]\.state: /);
    expect(errorsFor([{ zone: "lb.exmple.com", pool: "eu-west", state: "down" }])).toEqual(['overrides[0].zone: no zone lb.exmple.com is served (did you mean "lb.example.com"?)']);
    expect(errorsFor([{ zone: "lb.example.com", pool: "eu-west", state: "down", schedule: "99 * * * *", duration: "1h" }])).toEqual(['overrides[0].schedule: not a cron expression: "99 * * * *"']);
    expect(errorsFor([{ zone: "lb.example.com", pool: "eu-west", stat: "down" }])[0]).toBe('overrides[0].stat: unknown key "stat" (did you mean "state"?)');
    m.stop();
  });
});
