// dig (BIND 9) against the server: the client operators will use. Required in CI.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dig, hasDig } from "./support/dig.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { richZone } from "./support/zones.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ "lb.example.com.json": richZone() }, { nsid: Buffer.from("dig-ns"), chaos: { hostname: "dig-ns", version: "gslb test" } });
});
afterAll(() => t.close());

describe.skipIf(!hasDig)("dig", async () => {
  it("gets an authoritative answer over UDP and TCP", async () => {
    for (const extra of [[], ["+tcp"]]) {
      const r = await dig(t.port, ["+norec", "www.dev.lb.example.com", "A", ...extra]);
      expect(r.status).toBe("NOERROR");
      expect(r.flags).toContain("aa");
      expect(r.answer).toEqual(["www.dev.lb.example.com. 60 IN A 192.0.2.80"]);
    }
  });

  it("sees NXDOMAIN with the SOA at the negative TTL", async () => {
    const r = await dig(t.port, ["nope.lb.example.com"]);
    expect(r.status).toBe("NXDOMAIN");
    expect(r.authority[0]).toMatch(/^lb\.example\.com\. 60 IN SOA ns1\.lb\.example\.com\. hostmaster\.example\.com\. 2026112201 3600 600 1209600 60$/);
  });

  it("gets a referral for the delegated child", async () => {
    const r = await dig(t.port, ["+norec", "www.sub.lb.example.com"]);
    expect(r.status).toBe("NOERROR");
    expect(r.flags).not.toContain("aa");
    expect(r.authority).toEqual(["sub.lb.example.com. 300 IN NS ns.sub.lb.example.com."]);
    expect(r.additional).toEqual(["ns.sub.lb.example.com. 300 IN A 192.0.2.99"]);
  });

  it("retries over TCP after TC and gets all 100 records", async () => {
    const r = await dig(t.port, ["huge.lb.example.com"]);
    expect(r.raw).toMatch(/Truncated, retrying in TCP mode/);
    expect(r.answer).toHaveLength(100);
  });

  it("gets NSID, a server cookie and the ECS echo", async () => {
    const r = await dig(t.port, ["+nsid", "+cookie", "+subnet=198.51.100.0/24", "mail.lb.example.com"]);
    expect(r.status).toBe("NOERROR");
    expect(r.opt).toMatch(/NSID: .*\("dig-ns"\)/);
    expect(r.opt).toMatch(/COOKIE: [0-9a-f]{16}[0-9a-f]{32} \(good\)/);
    expect(r.opt).toMatch(/CLIENT-SUBNET: 198\.51\.100\.0\/24\/0/);
  });

  it("gets BADVERS for EDNS version 1", async () => {
    const r = await dig(t.port, ["+edns=1", "+noednsneg", "mail.lb.example.com"]);
    expect(r.status).toBe("BADVERS");
  });

  it("reads the CHAOS identity", async () => {
    expect((await dig(t.port, ["CH", "TXT", "version.bind"])).answer).toEqual(['version.bind. 0 CH TXT "gslb test"']);
    expect((await dig(t.port, ["CH", "TXT", "id.server"])).answer).toEqual(['id.server. 0 CH TXT "dig-ns"']);
  });

  it("gets a minimal ANY answer", async () => {
    const r = await dig(t.port, ["host.lb.example.com", "ANY"]);
    expect(r.status).toBe("NOERROR");
    expect(new Set(r.answer.map((l) => l.split(" ")[3])).size).toBe(1);
  });
});
