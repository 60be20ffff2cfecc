import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parseZoneText } from "../config/load.js";
import { HealthTable } from "../health/table.js";
import { EventLog } from "./events.js";
import { HealthTracker, type StateChange } from "./health.js";

/** The sample zone with us-east monitored (use1, use2; minimum_origins 1) and eu-west not. */
function balancing() {
  const z = JSON.parse(fs.readFileSync(new URL("../../zones/lb.example.com.json", import.meta.url), "utf8"));
  z.pools["us-east"].monitor = "web";
  const r = parseZoneText("lb.example.com.json", JSON.stringify(z));
  return new Map([["lb.example.com", r.balancing!]]);
}

const trackers: HealthTracker[] = [];
afterEach(() => { for (const t of trackers.splice(0)) t.stop(); });

function setup() {
  let now = 1_000_000;
  const health = new HealthTable("down");
  const events = new EventLog<StateChange>();
  const all = balancing();
  health.bind(all.values());
  const tracker = new HealthTracker(health, events, () => now);
  trackers.push(tracker);
  tracker.setBalancing(all);
  const b = all.get("lb.example.com")!;
  const pool = b.pools.get("us-east")!;
  const use1 = pool.origins[0]!;
  return { health, events, tracker, b, pool, use1, tick: (ms: number) => { now += ms; }, now: () => now };
}

describe("HealthTracker", () => {
  it("names each origin's and pool's state, and turns the prober's transitions into events with their reason and time", () => {
    const { health, events, tracker, b, pool, use1, tick, now } = setup();
    expect(events.recent()).toEqual([]); // a configuration loaded: followed from now on, no event
    expect(tracker.originStatus(b, pool, use1)).toMatchObject({ state: "unknown", monitor: "unknown", countsAsUp: false, override: null, since: now() });
    expect(tracker.poolStatus(b, pool)).toMatchObject({ state: "down", healthy: false, originsUp: 0 });
    // Unmonitored: up, no monitor.
    const eu = b.pools.get("eu-west")!;
    expect(tracker.originStatus(b, eu, eu.origins[0]!)).toMatchObject({ state: "up", monitor: null, countsAsUp: true });
    tick(5000);
    health.set("lb.example.com/us-east", "use1", "up");
    tracker.transition(["lb.example.com/us-east/use1"], "200");
    const [origin, poolEvent] = events.recent();
    expect(origin).toMatchObject({ seq: 1, zone: "lb.example.com", pool: "us-east", origin: "use1", from: "unknown", to: "up", forced: null, reason: "200", time: new Date(now()).toISOString() });
    expect(poolEvent).toMatchObject({ pool: "us-east", origin: null, from: "down", to: "up", reason: "1 of 2 origins up (minimum_origins 1)" });
    expect(tracker.originStatus(b, pool, use1)).toMatchObject({ state: "up", countsAsUp: true, since: now() });
  });

  it("shows overrides as forced and drained, on an origin or its pool, and their end", () => {
    const { health, events, tracker, b, pool, use1 } = setup();
    health.set("lb.example.com/us-east", "use1", "up");
    health.set("lb.example.com/us-east", "use2", "up");
    tracker.sync();
    const seen = events.last;
    health.setOverrides(new Map([["lb.example.com/us-east/use1", "down"]]));
    tracker.sync();
    expect(events.recent(seen)).toEqual([expect.objectContaining({ origin: "use1", from: "up", to: "forced", forced: "down", reason: "override down on the origin" })]);
    expect(tracker.originStatus(b, pool, use1)).toMatchObject({ state: "forced", forced: "down", monitor: "up", countsAsUp: false, override: { state: "down", on: "origin" } });
    health.setOverrides(new Map([["lb.example.com/us-east", "drain"]]));
    tracker.sync();
    expect(events.recent(seen + 1).map((e) => [e.origin, e.from, e.to, e.reason])).toEqual([
      ["use1", "forced", "up", "override ended"],
      [null, "up", "drained", "override drain on the pool"],
    ]);
    expect(tracker.originStatus(b, pool, use1)).toMatchObject({ state: "up", override: { state: "drain", on: "pool" } });
    health.setOverrides(new Map([["lb.example.com/us-east", "up"]]));
    tracker.sync();
    expect(tracker.poolStatus(b, pool)).toMatchObject({ state: "forced", forced: "up", healthy: true });
    expect(tracker.originStatus(b, pool, use1)).toMatchObject({ state: "forced", forced: "up", override: { state: "up", on: "pool" } });
  });

  it("notices changes that came without a notice at its next look, and forgets what a reload removed", () => {
    const { health, events, tracker, b, pool } = setup();
    health.set("lb.example.com/us-east", "use2", "down");
    tracker.sync();
    expect(events.recent()).toEqual([expect.objectContaining({ origin: "use2", from: "unknown", to: "down", reason: "health changed" })]);
    // A reload without the pool: it is no longer followed (and not reported).
    const smaller = new Map([["lb.example.com", { ...b, poolList: b.poolList.filter((p) => p !== pool) }]]);
    tracker.setBalancing(smaller as never);
    health.set("lb.example.com/us-east", "use2", "up");
    tracker.sync();
    expect(events.recent(1)).toEqual([]);
  });
});
