// Edit the JSON, see the change; break it, keep serving the last good version (issue 2, standards).

import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { udpQuery } from "./support/client.js";
import { sampleZone, startTestServer, type TestServer } from "./support/server.js";

let t: TestServer;
beforeAll(async () => { t = await startTestServer({ "lb.example.com.json": sampleZone() }, { watch: true }); });
afterAll(() => t.close());

const mailA = async () => {
  const p = await udpQuery(t.port, "mail.lb.example.com");
  return { rcode: (p as any).rcode as string, addresses: (p.answers ?? []).map((r: any) => r.data) };
};
/** Poll until the answer matches: reload is asynchronous (file watch + debounce). */
async function eventually(expected: unknown, timeoutMs = 3000) {
  const start = Date.now();
  for (;;) {
    const got = await mailA();
    try { expect(got).toEqual(expected); return; } catch (err) { if (Date.now() - start > timeoutMs) throw err; }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("zone reload", () => {
  it("serves an edited file, keeps the last good one when broken, and drops a deleted one", async () => {
    await eventually({ rcode: "NOERROR", addresses: ["192.0.2.25"] });

    const edited = sampleZone();
    edited.records.mail.A = ["192.0.2.26"];
    t.writeZone("lb.example.com.json", edited);
    await eventually({ rcode: "NOERROR", addresses: ["192.0.2.26"] });

    // Broken JSON, then a semantic error: the last good version keeps answering.
    t.writeZone("lb.example.com.json", "{ \"zone\": \"lb.example.com\", ");
    await new Promise((r) => setTimeout(r, 500));
    await eventually({ rcode: "NOERROR", addresses: ["192.0.2.26"] });
    const broken = sampleZone();
    broken.records.mail.A = ["not-an-address"];
    t.writeZone("lb.example.com.json", broken);
    await new Promise((r) => setTimeout(r, 500));
    await eventually({ rcode: "NOERROR", addresses: ["192.0.2.26"] });
    const result = t.server.reload();
    expect(result.errors.some((e) => e.message.includes("not-an-address"))).toBe(true);

    const fixed = sampleZone();
    fixed.records.mail.A = ["192.0.2.27"];
    t.writeZone("lb.example.com.json", fixed);
    await eventually({ rcode: "NOERROR", addresses: ["192.0.2.27"] });

    fs.rmSync(path.join(t.dir, "lb.example.com.json"));
    await eventually({ rcode: "REFUSED", addresses: [] });
  });
});
