// EtcdPeers' writes against a real etcd member (test/support/etcd.ts), with the instance's own
// verdicts given by hand: what goes to etcd, and what does not. test/etcd.test.ts runs whole
// instances; this counts single writes, which whole instances make hard to pin down.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Etcd3 } from "etcd3";
import { startEtcd, type EtcdCluster } from "../../test/support/etcd.js";
import { until } from "../../test/support/http.js";
import { silentLogger } from "../log/logger.js";
import { EtcdPeers } from "./etcd.js";
import type { Published, VotedHealth } from "./health.js";

/** The part of VotedHealth that EtcdPeers calls: targets and this instance's verdicts, set by the test. */
function ownVerdicts(ids: string[]) {
  const live = new Set(ids);
  const own = new Map<string, Published>();
  const voted = {
    ids: () => [...live],
    ownVerdict: (id: string) => (live.has(id) ? own.get(id) ?? null : null),
    ownRtts: () => new Map<string, number>(),
    clearRemoteRtt() {}, replaceRemote() {}, setRemote() {}, setRegion() {}, dropInstance() {}, setRemoteRtt() {}, setUseRemote() {},
  };
  return { voted: voted as unknown as VotedHealth, live, own };
}

describe("EtcdPeers: writes", () => {
  let etcd: EtcdCluster;
  let client: Etcd3;
  const prefix = `/gslb-unit-${process.pid}/`;
  const deletes = async () => Number(/^etcd_debugging_mvcc_delete_total (\d+)$/m.exec(await (await fetch(`${etcd.members[0]!.clientUrl}/metrics`)).text())?.[1]);
  const verdictKeys = async () => (await client.getAll().prefix(`${prefix}verdicts/`).keys()).map((k) => k.slice(`${prefix}verdicts/`.length)).sort();

  beforeAll(async () => {
    etcd = await startEtcd(1);
    client = new Etcd3({ hosts: etcd.endpoints });
  }, 40_000);
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });

  it("a target not checked yet is not written (no delete of a key that never was); one dropped after its verdict is deleted", async () => {
    const h = ownVerdicts(["a", "b", "c"]);
    h.own.set("a", { state: "up", reason: "connected", at: Date.now() });
    const peers = new EtcdPeers({ endpoints: [etcd.endpoints], prefix, leaseTtlS: 5 }, { instance: "i1", region: "WEU", pop: null, version: "test" }, h.voted, silentLogger(), () => {});
    peers.start();
    try {
      expect(await peers.ready(15_000)).toBe(true);
      // The record and a's verdict; b and c (not checked yet) cost nothing. Before: a delete each.
      expect(await verdictKeys()).toEqual(["i1/a"]);
      expect(peers.writes).toBe(2);
      expect(await deletes()).toBe(0);

      h.own.set("b", { state: "down", reason: "connection refused", at: Date.now() });
      peers.ownChanged("b");
      await until(async () => (await verdictKeys()).includes("i1/b"), 5000, "b's verdict written");

      // A reload drops b (its key goes) and adds d, not checked yet (nothing written for it).
      h.live.delete("b");
      h.live.add("d");
      peers.targetsChanged();
      await until(async () => !(await verdictKeys()).includes("i1/b"), 5000, "b's verdict deleted");
      expect(await deletes()).toBe(1);
      expect(await verdictKeys()).toEqual(["i1/a"]);
    } finally {
      await peers.close();
    }
  }, 40_000);

  it("a change while the previous write is in flight is written too (it was lost), and a target dropped meanwhile is deleted", async () => {
    const h = ownVerdicts(["x"]);
    h.own.set("x", { state: "up", reason: "connected", at: Date.now() });
    const peers = new EtcdPeers({ endpoints: [etcd.endpoints], prefix, leaseTtlS: 5 }, { instance: "i2", region: "WEU", pop: null, version: "test" }, h.voted, silentLogger(), () => {});
    peers.start();
    const value = async () => JSON.parse((await client.get(`${prefix}verdicts/i2/x`).string()) ?? "{}").s;
    try {
      expect(await peers.ready(15_000)).toBe(true);
      expect(await value()).toBe("up");
      // etcd frozen: the write of "down" waits (less than the call's 3 s deadline) while x is up again.
      etcd.pauseAll();
      h.own.set("x", { state: "down", reason: "connection refused", at: Date.now() });
      peers.ownChanged("x");
      await new Promise((r) => setTimeout(r, 400));
      h.own.set("x", { state: "up", reason: "connected", at: Date.now() });
      peers.ownChanged("x");
      await new Promise((r) => setTimeout(r, 200));
      etcd.resumeAll();
      await until(async () => peers.writes >= 3, 5000, "the frozen write done");
      await until(async () => (await value()) === "up", 5000, "x up again in etcd");

      // The same with a reload that drops the target while its put waits: the key is deleted after.
      const before = peers.writes;
      h.live.add("y");
      h.own.set("y", { state: "down", reason: "connection refused", at: Date.now() });
      etcd.pauseAll();
      peers.ownChanged("y");
      await new Promise((r) => setTimeout(r, 400));
      h.live.delete("y");
      peers.targetsChanged();
      await new Promise((r) => setTimeout(r, 200));
      etcd.resumeAll();
      await until(async () => peers.writes >= before + 2 && (await verdictKeys()).join() === "i2/x", 5000, "y's verdict written, then deleted");
    } finally {
      etcd.resumeAll();
      await peers.close();
    }
  }, 40_000);
});
