import { describe, expect, it } from "vitest";
import { geoipLite, type GeoProvider } from "./geoip.js";
import { Locator } from "./locate.js";
import { parseCidr, type Network } from "./networks.js";
import { regionOf } from "./regions.js";

const net = (cidr: string, location: Network["location"]): Network => {
  const p = parseCidr(cidr);
  if (typeof p === "string") throw new Error(p);
  return { cidr, ...p, location };
};
/** A provider with one place, recording the addresses it was asked (to see blocks located alike). */
const fixedGeo = () => {
  const calls: string[] = [];
  const japan = { country: "JP", subdivision: null, latitude: 35.7, longitude: 139.7 };
  const geo: GeoProvider = {
    name: "fixed",
    place: (family, bytes) => { calls.push(family === 4 ? bytes.join(".") : bytes.toString("hex")); return 0; },
    describe: () => japan,
    lookup: () => japan,
  };
  return { geo, calls };
};

describe("regions", () => {
  it("maps countries and US/Canada subdivisions to Cloudflare's region codes", () => {
    expect(regionOf("DE")).toBe("WEU");
    expect(regionOf("JP")).toBe("NEAS");
    expect(regionOf("US", "CA")).toBe("WNAM");
    expect(regionOf("US", "NY")).toBe("ENAM");
    // Most US addresses carry no state: the country's default region.
    expect(regionOf("US")).toBe("ENAM");
    expect(regionOf("CA", "BC")).toBe("WNAM");
    expect(regionOf("ZZ")).toBeNull();
  });
});

describe("networks", () => {
  it("parses CIDRs strictly", () => {
    expect(parseCidr("10.20.0.0/16")).toMatchObject({ family: 4, prefix: 16 });
    expect(parseCidr("2001:db8::/32")).toMatchObject({ family: 6, prefix: 32 });
    expect(parseCidr("10.20.1.0/16")).toMatch(/host bits.*10\.20\.0\.0\/16/);
    expect(parseCidr("10.20.0.0")).toMatch(/ADDRESS\/PREFIX/);
    expect(parseCidr("10.20.0.0/33")).toMatch(/0 to 32/);
  });
});

describe("Locator", () => {
  const networks = [
    net("10.20.0.0/16", { country: "DE" }),
    net("10.20.30.0/24", { region: "EEU" }),
    net("10.30.0.0/16", { region: "WNAM", latitude: 37.4, longitude: -122.1 }),
    net("2001:db8:aa::/48", { country: "US", subdivision: "CA" }),
  ];

  it("uses the longest matching network, then GeoIP", () => {
    const { geo } = fixedGeo();
    const l = new Locator(networks, geo);
    expect(l.locate("10.20.1.1")).toMatchObject({ country: "DE", region: "WEU", via: { kind: "network", cidr: "10.20.0.0/16" } });
    expect(l.locate("10.20.30.7")).toMatchObject({ region: "EEU", via: { cidr: "10.20.30.0/24" } });
    expect(l.locate("10.30.9.9")).toMatchObject({ region: "WNAM", latitude: 37.4 });
    expect(l.locate("2001:db8:aa:1::1")).toMatchObject({ country: "US", region: "WNAM" });
    expect(l.locate("192.0.2.1")).toMatchObject({ country: "JP", region: "NEAS", via: { kind: "geoip" }, bits: 24 });
  });

  it("uses only the bits an ECS prefix gives", () => {
    const { geo } = fixedGeo();
    const l = new Locator(networks, geo);
    // A /16 subnet cannot be told to be inside 10.20.30.0/24: WEU, but scoped /24, since clients
    // of 10.20.30.0/24 inside it get another answer.
    expect(l.locate("10.20.0.0", 16)).toMatchObject({ region: "WEU", bits: 24 });
    expect(l.locate("10.20.0.0", 32)).toMatchObject({ region: "WEU", bits: 32 });
    expect(l.locate("10.20.30.0", 24)).toMatchObject({ region: "EEU", bits: 24 });
    expect(l.locate("198.51.100.0", 0)).toMatchObject({ via: { kind: "none" }, bits: 0 });
  });

  it("scopes a GeoIP answer to an operator network inside the block", () => {
    const { geo } = fixedGeo();
    const l = new Locator([net("192.0.2.128/25", { country: "DE" })], geo);
    // The resolver's /24 (or the resolver itself, outside the /25): GeoIP, valid only for 192.0.2.0/25.
    expect(l.locate("192.0.2.0", 24)).toMatchObject({ country: "JP", bits: 25 });
    expect(l.locate("192.0.2.7")).toMatchObject({ country: "JP", bits: 25 });
    expect(l.locate("192.0.2.200")).toMatchObject({ country: "DE", via: { kind: "network" } });
    expect(l.locate("198.51.100.7")).toMatchObject({ country: "JP", bits: 24 });
  });

  it("locates the /24 or /48 block, and makes one Location per place", () => {
    const { geo, calls } = fixedGeo();
    const l = new Locator([], geo);
    const a = l.locate("198.51.100.1");
    const b = l.locate("198.51.101.200");
    l.locate("2001:db8:1:ffff::1");
    expect(calls).toEqual(["198.51.100.0", "198.51.101.0", "20010db8000100000000000000000000"]);
    // Same place, same bits: the same object (the answer cache keys on its classes).
    expect(a).toBe(b);
    expect(a.point).toBe("35.7,139.7|24");
    expect(l.locate("198.51.100.0", 20)).not.toBe(a);
  });

  it("remembers 10,000 blocks asked in turn: GeoIP is asked again for under 1% of them", () => {
    // scripts/bench's lb10k: ECS from 10,000 /24s, round and round. Direct-mapped, blocks sharing a
    // slot evicted each other on every pass (13% asked again); the table is set-associative.
    const { geo, calls } = fixedGeo();
    const l = new Locator([], geo);
    // Blocks spread as real clients' are (an arithmetic series would suit the hash too well).
    const distinct = new Set<string>();
    for (let x = 1; distinct.size < 10_000;) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      distinct.add(`${1 + (x >>> 25)}.${(x >>> 17) & 255}.${(x >>> 9) & 255}.7`);
    }
    const blocks = [...distinct];
    for (const b of blocks) l.locate(b, 24);
    expect(calls.length).toBe(10_000);
    calls.length = 0;
    for (let pass = 0; pass < 3; pass++) for (const b of blocks) expect(l.locate(b, 24).country).toBe("JP");
    expect(calls.length).toBeLessThan(3 * 100);
  });

  it("locates real addresses with geoip-lite's bundled data", () => {
    const l = new Locator([], geoipLite());
    const gb = l.locate("81.2.69.142");
    expect(gb).toMatchObject({ country: "GB", region: "WEU", via: { kind: "geoip" } });
    expect(gb.latitude).not.toBeNull();
    expect(l.locate("127.0.0.1")).toMatchObject({ country: null, region: null });
  });
});
