// Issue 4's judging scenario through the whole path: while a client keeps asking, one origin flaps
// (a good answer, then a wrong body, then good...) and must stay in the answers because it never
// fails consecutive_down probes in a row; another is slowed past the timeout and must leave the
// answers within interval × consecutive_down + timeout (+ jitter), then come back when it is fast.

import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerData } from "./support/client.js";
import { balancedZone } from "./support/zones.js";
import { startTestServer, type TestServer } from "./support/server.js";

interface Origin { server: http.Server; port: number; requests: number; delayMs: number; body: (n: number) => string }

async function origin(host: string, port = 0): Promise<Origin> {
  const o: Origin = {
    server: http.createServer((_req, res) => { const n = ++o.requests; setTimeout(() => res.end(o.body(n)), o.delayMs); }),
    port: 0, requests: 0, delayMs: 0, body: () => "status: healthy",
  };
  await new Promise<void>((r) => o.server.listen(port, host, () => r()));
  o.port = (o.server.address() as net.AddressInfo).port;
  return o;
}

let flappy: Origin;
let slowed: Origin;
let t: TestServer;
const INTERVAL_S = 5, TIMEOUT_S = 1, DOWN = 2, UP = 2;

beforeAll(async () => {
  flappy = await origin("127.0.0.41");
  slowed = await origin("127.0.0.42", flappy.port);
  const z = balancedZone({
    monitors: { hc: { type: "http", path: "/", port: flappy.port, interval: INTERVAL_S, timeout: TIMEOUT_S, retries: 0, expected_body: "HEALTHY", consecutive_down: DOWN, consecutive_up: UP } },
    pools: { p: { origins: [{ name: "flappy", address: "127.0.0.41" }, { name: "slowed", address: "127.0.0.42" }], monitor: "hc" } },
    load_balancers: { app: { default_pools: ["p"], steering_policy: "off", max_answers: 2 } },
  });
  t = await startTestServer({ "lb.example.com.json": z });
}, 20_000);
afterAll(async () => { await t.close(); flappy.server.close(); slowed.server.close(); });

const addresses = async () => (await answerData(t.port, "app.lb.example.com")).sort();

describe("a client asking all along", () => {
  it("keeps a flapping origin, drops a slowed one within the bound and takes it back after consecutive_up", async () => {
    expect(await addresses()).toEqual(["127.0.0.41", "127.0.0.42"]);
    // From now on every other answer of the flapping origin has the wrong body.
    const base = flappy.requests;
    flappy.body = (n) => ((n - base) % 2 === 1 ? "status: degraded" : "status: healthy");
    // The slowed origin answers after twice the timeout: each probe fails.
    slowed.delayMs = 2 * TIMEOUT_S * 1000;
    const slowedAt = Date.now();
    const bound = (INTERVAL_S * DOWN * 1.1 + TIMEOUT_S) * 1000;

    let droppedAfter: number | null = null;
    const seen: string[] = [];
    while (Date.now() - slowedAt < bound + 4000) {
      const a = await addresses();
      expect(a, "the flapping origin must never leave the answers").toContain("127.0.0.41");
      if (!a.includes("127.0.0.42") && droppedAfter === null) droppedAfter = Date.now() - slowedAt;
      if (droppedAfter !== null) expect(a, "once down, the slowed origin stays out until consecutive_up successes").toEqual(["127.0.0.41"]);
      seen.push(a.join(","));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(droppedAfter).not.toBeNull();
    expect(droppedAfter!).toBeLessThan(bound);
    // The flapping origin was really probed with wrong bodies in between.
    expect(flappy.requests - base).toBeGreaterThanOrEqual(3);
    expect(t.server.health.state("lb.example.com/p", "flappy")).toBe("up");

    // Fast again: back after consecutive_up successes, within interval × consecutive_up + jitter.
    slowed.delayMs = 0;
    const fastAt = Date.now();
    while (!(await addresses()).includes("127.0.0.42")) {
      expect(Date.now() - fastAt).toBeLessThan((INTERVAL_S * UP * 1.1 + TIMEOUT_S) * 1000 + 1000);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Not before the second success: at least one full interval (less jitter) after the first.
    expect(Date.now() - fastAt).toBeGreaterThan(INTERVAL_S * 0.9 * 1000 - 2 * TIMEOUT_S * 1000);
  }, 60_000);
});
