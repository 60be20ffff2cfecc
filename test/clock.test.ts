// A host's wall clock stepped while gslb runs (NTP correcting it): probes go on at their interval.
// The probe scheduler measures spans on the monotonic clock; on the wall clock, a step back of an
// hour during a probe scheduled that origin's next probe an hour later (the fault this test found).
// One process's clock is moved with libfaketime (test/support/clock.ts); the machine's is untouched.

import fs from "node:fs";
import http from "node:http";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { skewedClock } from "./support/clock.js";
import { serve } from "./support/processes.js";
import { balancedZone } from "./support/zones.js";

describe("a wall clock stepped back while a probe runs", () => {
  const cleanup: (() => void)[] = [];
  afterAll(() => { for (const c of cleanup.reverse()) c(); });

  it("the origin's next probe still comes an interval later, not an hour later", async () => {
    // The origin answers its probes 3 s after they arrive, and says when each one did.
    const arrivals: number[] = [];
    let arrived: (() => void) | null = null;
    const origin = http.createServer((_req, res) => { arrivals.push(Date.now()); arrived?.(); setTimeout(() => res.end("ok"), 3000); });
    await new Promise<void>((r) => origin.listen(0, "127.0.0.41", () => r()));
    cleanup.push(() => { origin.closeAllConnections(); origin.close(); });
    const port = (origin.address() as net.AddressInfo).port;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-clock-"));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(balancedZone({
      monitors: { hc: { type: "http", path: "/", port, interval: 5, timeout: 4, retries: 0 } },
      pools: { p: { origins: [{ name: "a", address: "127.0.0.41" }], monitor: "hc" } },
      load_balancers: { app: { default_pools: ["p"], fallback_pool: "p" } },
    })));
    const clock = skewedClock("+0");
    cleanup.push(() => clock.remove());
    const g = await serve(["--zones", dir], 20_000, clock.env);
    cleanup.push(() => g.proc.kill("SIGKILL"));

    // A probe arrives; while it waits for its answer, the clock goes back an hour (libfaketime
    // reads the offset within a second: well inside the 3 s the probe takes).
    const next = () => new Promise<void>((r) => { arrived = r; });
    const n = arrivals.length;
    await next();
    clock.set("-1h");
    const stepped = arrivals.length;
    expect(stepped).toBeGreaterThan(n);
    // The next probe: an interval (5 s ± 10% jitter) after the one in flight started.
    const waited = await Promise.race([next().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 9000))]);
    expect(waited, "no probe within 9 s of the last one: the step back postponed it").toBe(true);
    const gap = arrivals.at(-1)! - arrivals[stepped - 1]!;
    expect(gap).toBeGreaterThan(4000);
    expect(gap).toBeLessThan(7000);
  }, 40_000);
});
