// The server as an independent client sees it: Node's dns.Resolver is c-ares, not our codec.

import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { otherZone, richZone } from "./support/zones.js";

let t: TestServer;
let r: Resolver;
beforeAll(async () => {
  t = await startTestServer({ "lb.example.com.json": richZone(), "other.test.json": otherZone() });
  r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`127.0.0.1:${t.port}`]);
});
afterAll(() => t.close());

describe("c-ares (node:dns Resolver)", () => {
  it("resolves every record type of the sample zone", async () => {
    expect(await r.resolve4("ns1.lb.example.com", { ttl: true })).toEqual([{ address: "192.0.2.53", ttl: 300 }]);
    expect(await r.resolve6("ns2.lb.example.com")).toEqual(["2001:db8::53"]);
    expect(await r.resolveMx("lb.example.com")).toEqual([{ priority: 10, exchange: "mail.lb.example.com" }]);
    expect(await r.resolveTxt("lb.example.com")).toEqual([["v=spf1 -all"]]);
    expect(await r.resolveSrv("_sip._tcp.lb.example.com")).toEqual([{ priority: 10, weight: 5, port: 5060, name: "mail.lb.example.com" }]);
    expect(await r.resolveCaa("lb.example.com")).toEqual([{ critical: 0, issue: "letsencrypt.org" }]);
    expect((await r.resolveNs("lb.example.com")).sort()).toEqual(["ns1.lb.example.com", "ns2.lb.example.com"]);
    expect(await r.resolveSoa("lb.example.com")).toMatchObject({ nsname: "ns1.lb.example.com", hostmaster: "hostmaster.example.com", serial: 2026112201, minttl: 60 });
    expect(await r.resolveCname("docs.lb.example.com")).toEqual(["www.example.org"]);
    expect(await r.resolve4("x.dev.lb.example.com", { ttl: true })).toEqual([{ address: "192.0.2.80", ttl: 60 }]);
    expect(await r.resolve4("to-net.lb.example.com")).toEqual(["192.0.2.201"]);
  });

  it("maps NXDOMAIN, NODATA and REFUSED to c-ares' codes", async () => {
    await expect(r.resolve4("nope.lb.example.com")).rejects.toMatchObject({ code: "ENOTFOUND" });
    await expect(r.resolve6("mail.lb.example.com")).rejects.toMatchObject({ code: "ENODATA" });
    await expect(r.resolve4("dev.lb.example.com")).rejects.toMatchObject({ code: "ENODATA" });
    await expect(r.resolve4("www.example.org")).rejects.toMatchObject({ code: "EREFUSED" });
  });

  it("falls back to TCP on truncation and gets the whole RRset", async () => {
    const addresses = await r.resolve4("huge.lb.example.com");
    expect(addresses).toHaveLength(100);
  });

  it("resolves over IPv6 loopback", async () => {
    const v6 = await startTestServer({ "lb.example.com.json": richZone() }, { host: "::1" });
    try {
      const r6 = new Resolver({ timeout: 1000, tries: 1 });
      r6.setServers([`[::1]:${v6.port}`]);
      expect(await r6.resolve4("mail.lb.example.com")).toEqual(["192.0.2.25"]);
    } finally {
      await v6.close();
    }
  });
});
