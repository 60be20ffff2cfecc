import { describe, expect, it } from "vitest";
import { balancing, ZONE } from "../../test/support/balancing.js";
import { HealthTable } from "../health/table.js";
import { buildTargets } from "../probe/targets.js";
import { targetId, VotedHealth } from "./health.js";

/** Pool p (every instance votes) and pool q (check_regions WEU) on one origin: one target. */
function setup() {
  const b = balancing({
    monitors: { m: { type: "http", port: 80 } },
    pools: {
      p: { origins: [{ name: "o", address: "192.0.2.1" }], monitor: "m" },
      q: { origins: [{ name: "o", address: "192.0.2.1" }], monitor: "m", check_regions: ["WEU"] },
    },
    load_balancers: { www: { default_pools: ["p", "q"] } },
  });
  const table = new HealthTable();
  const targets = buildTargets([b], table);
  const changes: string[][] = [];
  const own: string[] = [];
  const voted = new VotedHealth(table, "me", "ENAM", { ownChanged: (id) => own.push(id), votedChanged: (keys) => changes.push([...keys]) });
  voted.setTargets(targets, new Map([[ZONE, b]]));
  const slots = targets[0]!.subscribers.map((s) => s.slot);
  // The prober writes each subscriber's slot.
  const prober = (state: "up" | "down") => { for (const s of slots) voted.setState(s, state); };
  const state = (pool: string) => table.state(`${ZONE}/${pool}`, "o");
  return { b, table, targets, voted, prober, state, id: targetId(targets[0]!), own, changes, slots };
}

describe("VotedHealth", () => {
  it("alone (etcd not reached): the prober's verdict, as without --etcd; a target's change is published once", () => {
    const { voted, prober, state, id, own } = setup();
    prober("down");
    expect([state("p"), state("q")]).toEqual(["down", "down"]);
    expect(own).toEqual([id]);
    voted.setRemote("x", id, { state: "up", reason: "200", at: 0 });
    expect(state("p")).toBe("down");
    voted.stop();
  });

  it("the vote per origin: check_regions choose the voters; a tie is up; a withdrawn verdict leaves the vote", () => {
    const { voted, prober, state, id, changes } = setup();
    prober("up");
    voted.setUseRemote(true, "test");
    voted.setRegion("x", "WEU");
    voted.setRemote("x", id, { state: "down", reason: "timeout", at: 0 });
    // p: ENAM up, WEU down → a tie → up. q: only WEU votes → down.
    expect([state("p"), state("q")]).toEqual(["up", "down"]);
    voted.setRegion("z", "SEAS");
    voted.setRemote("z", id, { state: "down", reason: "timeout", at: 0 });
    expect(state("p")).toBe("down");
    expect(changes.at(-1)).toEqual([`${ZONE}/p/o`]);
    // z's lease expires: a tie again.
    voted.dropInstance("z");
    expect(state("p")).toBe("up");
    // etcd unreachable: own verdicts only.
    voted.setUseRemote(false, "test");
    expect([state("p"), state("q")]).toEqual(["up", "up"]);
    voted.stop();
  });

  it("per-instance verdicts beside the vote (the status API)", () => {
    const { voted, prober, table, id } = setup();
    prober("up");
    voted.setUseRemote(true, "test");
    voted.setRegion("x", "WEU");
    voted.setRemote("x", id, { state: "down", reason: "timeout", at: 0 });
    const v = voted.verdictsOf(`${ZONE}/q/o`, table.slotOf(`${ZONE}/q/o`))!;
    expect(v.outcome).toMatchObject({ state: "down", counted: 1, down: 1 });
    expect(v.verdicts.map((x) => [x.instance, x.state, x.counted])).toEqual([["me", "up", false], ["x", "down", true]]);
    voted.stop();
  });

  it("regional RTT: each region's instances, else the nearest measured region", () => {
    const { voted, prober, table, id, slots } = setup();
    prober("up");
    voted.setUseRemote(true, "test");
    voted.setRegion("x", "WEU");
    voted.setOriginRtt(slots[0]!, 10);
    voted.setRemoteRtt("x", 0, { [id]: 100 });
    (voted as unknown as { regional(): void }).regional();
    const rtt = table.poolRegionalRtt(`${ZONE}/p`)!;
    expect([rtt.ENAM, rtt.WEU, rtt.EEU, rtt.WNAM, rtt.SEAS]).toEqual([10, 100, 100, 10, 100]);
    // etcd gone: no regional figures (dynamic_latency reads this instance's own).
    voted.setUseRemote(false, "test");
    (voted as unknown as { regional(): void }).regional();
    expect(table.poolRegionalRtt(`${ZONE}/p`)).toBeNull();
    voted.stop();
  });
});
