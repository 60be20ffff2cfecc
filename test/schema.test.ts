// The zone file JSON Schema for editors: zones/zone.schema.json is what `gslb schema` prints (this
// fails when the committed file drifts from the zod schema), every sample zone points at it with
// "$schema", and the loader and `gslb check` know it is not a zone.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadZoneDir } from "../src/config/load.js";

const root = new URL("..", import.meta.url).pathname;
const main = path.join(root, "dist/cli/main.js");
const gslb = (args: string[]) => spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: "utf8", timeout: 10_000 });
const committed = path.join(root, "zones/zone.schema.json");
/** Directories of sample zones: the README's quick start, and the demo and docker-compose topology. */
const SAMPLE_DIRS = ["zones", "scripts/demo-zones"];
const sampleZones = () => SAMPLE_DIRS.flatMap((d) => fs.readdirSync(path.join(root, d)).filter((f) => f.endsWith(".json") && f !== "zone.schema.json").map((f) => path.join(root, d, f)));

describe("the zone file JSON Schema", () => {
  it("is committed as zones/zone.schema.json exactly as gslb schema prints it", () => {
    const printed = gslb(["schema"]);
    expect(printed.status).toBe(0);
    // On failure: the zod schema changed; run `npx gslb schema > zones/zone.schema.json` and commit it.
    expect(fs.readFileSync(committed, "utf8"), "zones/zone.schema.json is stale: npx gslb schema > zones/zone.schema.json").toBe(printed.stdout);
    const schema = JSON.parse(printed.stdout);
    expect(schema).toMatchObject({ $schema: "https://json-schema.org/draft/2020-12/schema", title: "gslb zone file", type: "object", additionalProperties: false });
    expect(schema.properties.$schema).toMatchObject({ type: "string" });
  });

  it("is what every sample zone refers to, and the loader accepts the reference", () => {
    const zones = sampleZones();
    expect(zones.length).toBeGreaterThanOrEqual(2);
    for (const file of zones) {
      const ref = JSON.parse(fs.readFileSync(file, "utf8")).$schema;
      expect(typeof ref, file).toBe("string");
      expect(path.resolve(path.dirname(file), ref), file).toBe(committed);
    }
    for (const dir of SAMPLE_DIRS) {
      const load = loadZoneDir(path.join(root, dir));
      expect(load.errors, dir).toEqual([]);
      expect(load.zones.length, dir).toBeGreaterThan(0);
    }
  });

  it("is no zone to the loader; gslb check says it saw it, and whether it is this version's", () => {
    // zones/ holds the schema: it is not read as a zone (it would fail: no "zone", no "soa").
    expect([...loadZoneDir(path.join(root, "zones")).results.keys()].map((f) => path.basename(f))).toEqual(["lb.example.com.json"]);
    const ok = gslb(["check", "zones"]);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("zones/zone.schema.json: the zone file JSON Schema, for editors (not a zone)\n");

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-schema-"));
    try {
      fs.copyFileSync(path.join(root, "zones/lb.example.com.json"), path.join(dir, "lb.example.com.json"));
      fs.writeFileSync(path.join(dir, "zone.schema.json"), JSON.stringify({ type: "object" }));
      const stale = gslb(["check", dir]);
      expect(stale.status).toBe(0);
      expect(stale.stderr).toBe(`${dir}/zone.schema.json: $: warning: not this gslb's zone file JSON Schema (not a zone): regenerate it with gslb schema > ${dir}/zone.schema.json\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
