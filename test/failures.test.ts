// The README's table "What clients get when X fails", row by row, through a real server on loopback
// whose monitors probe real HTTP origins (an origin is down when it answers 500, or when nothing
// listens), asked with dig. Rows other tests already prove name those tests in the README.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dig, hasDig } from "./support/dig.js";
import { httpOrigin } from "./support/http.js";
import { balancedZone } from "./support/zones.js";
import { startTestServer, type TestServer } from "./support/server.js";

const UP = ["127.0.0.81", "127.0.0.82", "127.0.0.84", "127.0.0.86", "127.0.0.87", "127.0.0.88"];
const FAILING = ["127.0.0.83", "127.0.0.85", "127.0.0.89"];
let origins: Awaited<ReturnType<typeof httpOrigin>>[] = [];
let t: TestServer;
let cold: TestServer;

function zone(port: number): Record<string, any> {
  return balancedZone({
    // Generous: on a loaded machine an origin that is up must not miss the first round.
    monitors: { hc: { type: "http", path: "/", port, interval: 5, timeout: 5, retries: 1 } },
    pools: {
      up: { origins: [{ name: "u", address: "127.0.0.81" }], monitor: "hc" },
      up2: { origins: [{ name: "u2", address: "127.0.0.82" }], monitor: "hc" },
      down: { origins: [{ name: "d", address: "127.0.0.83" }], monitor: "hc" },
      // Nothing listens on 127.0.0.90: connection refused.
      down2: { origins: [{ name: "d2", address: "127.0.0.85" }, { name: "d3", address: "127.0.0.90" }], monitor: "hc" },
      // One of two up, two needed.
      partial: { origins: [{ name: "p1", address: "127.0.0.84" }, { name: "p2", address: "127.0.0.89" }], monitor: "hc", minimum_origins: 2 },
      // The disabled origin answers its monitor, but is neither probed nor answered.
      somedisabled: { origins: [{ name: "on", address: "127.0.0.86" }, { name: "off", address: "127.0.0.87", enabled: false }], monitor: "hc" },
      alldisabled: { origins: [{ name: "off", address: "127.0.0.88", enabled: false }], monitor: "hc" },
      disabledpool: { origins: [{ name: "x", address: "127.0.0.88" }], monitor: "hc", enabled: false },
    },
    load_balancers: {
      poolfails: { default_pools: ["down", "up"], fallback_pool: "up2", steering_policy: "off" },
      allfail: { default_pools: ["down", "down2"], fallback_pool: "up2", steering_policy: "off" },
      fallbackfails: { default_pools: ["down"], fallback_pool: "down2", steering_policy: "off", max_answers: 2 },
      origindisabled: { default_pools: ["somedisabled", "up"], steering_policy: "off", max_answers: 2 },
      pooldisabledorigins: { default_pools: ["alldisabled", "up"], steering_policy: "off" },
      pooldisabled: { default_pools: ["disabledpool", "up"], steering_policy: "off" },
      fallbackdisabled: { default_pools: ["down"], fallback_pool: "disabledpool", steering_policy: "off" },
      minimum: { default_pools: ["partial", "up"], steering_policy: "off" },
    },
  });
}

beforeAll(async () => {
  if (!hasDig) return;
  const first = await httpOrigin(UP[0]!);
  origins = [first];
  for (const host of [...UP.slice(1), ...FAILING]) origins.push(await httpOrigin(host, first.port));
  for (const o of origins.slice(UP.length)) o.status = 500;
  const z = zone(first.port);
  // A second zone file, broken: at start-up it is reported and its zone is not served; the others are.
  t = await startTestServer({ "lb.example.com.json": z, "broken.example.json": '{ "zone": "broken.example", "ttl": 300, ' });
  cold = await startTestServer({ "lb.example.com.json": z }, { monitors: false });
}, 30_000);

afterAll(async () => {
  await t?.close();
  await cold?.close();
  for (const o of origins) await o.close();
});

/** dig's record lines are "owner ttl class type data...". */
const rrType = (rr: string) => rr.split(" ")[3]!;
const data = (rr: string) => rr.split(" ").slice(4).join(" ");
const ask = async (s: TestServer, name: string, qtype = "A") => {
  const r = await dig(s.port, [`${name}.lb.example.com`, qtype]);
  return { status: r.status, answers: r.answer.map(data).sort(), authority: r.authority.map(rrType) };
};

describe.skipIf(!hasDig)("what clients get when X fails (the README's table)", () => {
  it("all origins of a pool down: the next pool in default_pools", async () => {
    expect(await ask(t, "poolfails")).toMatchObject({ status: "NOERROR", answers: ["127.0.0.81"] });
  });

  it("every pool down: the fallback pool", async () => {
    expect(await ask(t, "allfail")).toMatchObject({ status: "NOERROR", answers: ["127.0.0.82"] });
  });

  it("the fallback pool down too: its enabled origins all the same, health ignored", async () => {
    expect(await ask(t, "fallbackfails")).toMatchObject({ status: "NOERROR", answers: ["127.0.0.85", "127.0.0.90"] });
  });

  it("a disabled origin: never answered, not counted; a pool with no enabled origin is unhealthy", async () => {
    for (let i = 0; i < 5; i++) expect(await ask(t, "origindisabled")).toMatchObject({ answers: ["127.0.0.86"] });
    expect(await ask(t, "pooldisabledorigins")).toMatchObject({ answers: ["127.0.0.81"] });
    // Not probed either: the status API's view of the prober's targets has no result for it.
    expect(t.server.health.state("lb.example.com/somedisabled", "off")).toBe("unknown");
  });

  it("a disabled pool: passed over; a disabled fallback pool: NODATA (NOERROR, the SOA in authority)", async () => {
    expect(await ask(t, "pooldisabled")).toMatchObject({ answers: ["127.0.0.81"] });
    expect(await ask(t, "fallbackdisabled")).toEqual({ status: "NOERROR", answers: [], authority: ["SOA"] });
  });

  it("minimum_origins not met: the pool is unhealthy although one origin is up; the next pool answers", async () => {
    expect(await ask(t, "minimum")).toMatchObject({ answers: ["127.0.0.81"] });
  });

  it("an AAAA query where no pool has an IPv6 origin: NODATA", async () => {
    expect(await ask(t, "poolfails", "AAAA")).toEqual({ status: "NOERROR", answers: [], authority: ["SOA"] });
  });

  it("records (SOA, NS, MX, static A) never depend on health", async () => {
    const soa = await dig(t.port, ["lb.example.com", "SOA"]);
    expect(soa.status).toBe("NOERROR");
    expect(soa.answer.map(rrType)).toEqual(["SOA"]);
    expect((await dig(t.port, ["lb.example.com", "NS"])).answer.map(data).sort()).toEqual(["ns1.lb.example.com.", "ns2.lb.example.com."]);
    expect((await dig(t.port, ["mail.lb.example.com", "A"])).answer.map(data)).toEqual(["192.0.2.25"]);
  });

  it("a zone file broken at start-up: its zone is not served (REFUSED), the others are", async () => {
    expect((await dig(t.port, ["broken.example", "SOA"])).status).toBe("REFUSED");
    expect((await dig(t.port, ["lb.example.com", "SOA"])).status).toBe("NOERROR");
  });

  it("monitors not run (--no-monitors, or before a first result): origins count as up, so a failing origin is answered", async () => {
    expect(await ask(cold, "poolfails")).toMatchObject({ answers: ["127.0.0.83"] });
  });
});
