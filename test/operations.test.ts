// Every operational event is a log line an operator can read, read here from the server's own log
// output (support/logs.ts): the overrides file loaded, changed or removed; a reload that changed
// nothing; the prober process exiting and coming back (one line each, no stack: an expected event).

import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { captureLogs } from "./support/logs.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";
import { balancedZone } from "./support/zones.js";

const servers: TestServer[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

const drain = [{ zone: "lb.example.com", pool: "eu-west", state: "drain" }];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("operational events in the log", () => {
  it("the overrides file: loaded, changed, removed (one line each), the last seen by the directory watch", async () => {
    const logs = captureLogs();
    // Written before the start: the first load of the file is a line too.
    const s = await startTestServer({ "lb.example.com.json": sampleZone(), "_overrides.json": { overrides: drain } }, { monitors: false, watch: true, logger: logs.logger });
    servers.push(s);
    expect(logs.find("overrides file")).toMatchObject([{ msg: "overrides file loaded", file: path.join(s.dir, "_overrides.json") }]);

    fs.writeFileSync(path.join(s.dir, "_overrides.json"), JSON.stringify({ overrides: [{ ...drain[0], state: "down" }] }));
    s.server.reload();
    expect(logs.find("overrides file").map((l) => l.msg)).toEqual(["overrides file loaded", "overrides file changed"]);

    // Removed: the watch reloads, and every override is gone from the health table.
    fs.unlinkSync(path.join(s.dir, "_overrides.json"));
    const removed = await logs.waitFor("overrides file removed");
    expect(removed).toMatchObject({ level: 40, msg: "overrides file removed: every override cleared", reason: "ENOENT" });
    expect(s.server.health.overrides()).toEqual([]);
    expect(logs.find("overrides file").map((l) => l.msg)).toEqual(["overrides file loaded", "overrides file changed", "overrides file removed: every override cleared"]);
  });

  it("a reload that changed nothing says so in one line; one that changed something does not", async () => {
    const logs = captureLogs();
    const s = await startTestServer({ "lb.example.com.json": sampleZone() }, { monitors: false, logger: logs.logger });
    servers.push(s);
    s.server.reload();
    expect(logs.find("reload")).toMatchObject([{ level: 30, msg: "reload: nothing changed (the same zones and overrides are served)", zones: 1 }]);

    const z = sampleZone();
    z.soa.serial++;
    s.writeZone("lb.example.com.json", z);
    s.server.reload();
    expect(logs.find("reload")).toHaveLength(1);
    expect(logs.find("zone loaded").at(-1)).toMatchObject({ serial: z.soa.serial });
    // A broken edit serves nothing new either: the error, and the same zones.
    s.writeZone("lb.example.com.json", "{");
    s.server.reload();
    expect(logs.find("zone file error")).toHaveLength(2); // the JSON error, and "still serving the last good version"
    expect(logs.find("reload")).toHaveLength(2);
  });

  it("the directory watch reloads for zone files, not for editors' swap files or the schema", async () => {
    const logs = captureLogs();
    const s = await startTestServer({ "lb.example.com.json": sampleZone() }, { monitors: false, watch: true, logger: logs.logger });
    servers.push(s);
    fs.writeFileSync(path.join(s.dir, ".lb.example.com.json.swp"), "vim");
    fs.writeFileSync(path.join(s.dir, "zone.schema.json"), "{}");
    await sleep(600); // the watch gathers events for 150 ms before a reload
    expect(logs.find("reload")).toEqual([]);
    // The same text written again: a reload, and nothing changed.
    s.writeZone("lb.example.com.json", sampleZone());
    await logs.waitFor("reload: nothing changed");
  });

  it("the prober process killed: one line saying it exited and when it restarts, one when it has; no stack", async () => {
    const origin = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => origin.listen(0, "127.0.0.41", () => r()));
    try {
      const logs = captureLogs();
      const zone = balancedZone({
        monitors: { hc: { type: "http", path: "/", port: (origin.address() as net.AddressInfo).port, interval: 5, timeout: 1, retries: 0 } },
        pools: { p: { origins: [{ name: "o", address: "127.0.0.41" }], monitor: "hc" } },
        load_balancers: { k: { default_pools: ["p"] } },
      });
      const s = await startTestServer({ "lb.example.com.json": zone }, { logger: logs.logger });
      servers.push(s);
      const first = s.server.proberPid!;
      process.kill(first, "SIGKILL");
      const exited = await logs.waitFor("prober process exited");
      expect(exited).toMatchObject({ level: 40, msg: "prober process exited (SIGKILL): restarting it in 1 s; origins keep their states meanwhile", pid: first, signal: "SIGKILL", restartInMs: 1000 });
      const restarted = await logs.waitFor("prober restarted", 4000);
      expect(restarted.pid).toBe(s.server.proberPid);
      expect(restarted.pid).not.toBe(first);
      const prober = logs.lines().filter((l) => /prober/.test(l.msg));
      expect(prober.map((l) => l.msg)).toEqual([exited.msg, "prober restarted"]);
      // One line each: no error object, so no stack trace in the log.
      for (const l of prober) expect(JSON.stringify(l)).not.toMatch(/"err"|stack|    at /);
    } finally {
      origin.close();
    }
  }, 15_000);
});
