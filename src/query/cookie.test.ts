import { describe, expect, it } from "vitest";
import { CookieJar } from "./cookie.js";
import { siphash24 } from "./siphash.js";

const hex = (s: string) => Buffer.from(s, "hex");

describe("SipHash-2-4", () => {
  // Reference vectors (SipHash paper, Appendix A / reference vectors.h): key 00..0f, message 00..(n-1).
  const key = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
  it.each([
    [0, "310e0edd47db6f72"],
    [1, "fd67dc93c539f874"],
    [2, "5a4fa9d909806c0d"],
    [3, "2d7efbd796666785"],
    [4, "b7877127e09427cf"],
    [5, "8da699cd64557618"],
    [6, "cee3fe586e46c9cb"],
    [7, "37d1018bf50002ab"],
    [8, "6224939a79f5f593"],
    [15, "e545be4961ca29a1"],
  ])("message of %d bytes", (n, want) => {
    const out = Buffer.alloc(8);
    siphash24(key, Buffer.from(Array.from({ length: n }, (_, i) => i)), n, out);
    expect(out.toString("hex")).toBe(want);
  });
});

describe("RFC 9018 server cookies", () => {
  const secret = hex("e5e973e5a6b2a43f48e7dc849e37bfcf");
  const client = hex("2464c4abcf10c957");

  it("A.1: learning a new server cookie", () => {
    const jar = new CookieJar(secret, () => 1559731985);
    expect(jar.makeServerCookie(client, "198.51.100.100").toString("hex")).toBe("010000005cf79f111f8130c3eee29480");
  });

  it("A.2: the same client renews it 40 minutes later", () => {
    const jar = new CookieJar(secret, () => 1559734385);
    const old = hex("010000005cf79f111f8130c3eee29480");
    expect(jar.check(client, old, "198.51.100.100")).toBe("valid");
    // Older than 30 minutes: a fresh one is handed out.
    expect(jar.serverCookieFor(client, old, "198.51.100.100").toString("hex")).toBe("010000005cf7a871d4a564a1442aca77");
  });

  it("echoes a recent valid cookie and rejects forged, other-client and expired ones", () => {
    let now = 1_700_000_000;
    const jar = new CookieJar(secret, () => now);
    const c = jar.makeServerCookie(client, "2001:db8::1");
    now += 60;
    expect(jar.serverCookieFor(client, c, "2001:db8::1").equals(c)).toBe(true);
    expect(jar.check(client, c, "2001:db8::2")).toBe("invalid");
    expect(jar.check(hex("0000000000000001"), c, "2001:db8::1")).toBe("invalid");
    const forged = Buffer.from(c);
    forged[15]! ^= 1;
    expect(jar.check(client, forged, "2001:db8::1")).toBe("invalid");
    now += 3600;
    expect(jar.check(client, c, "2001:db8::1")).toBe("stale");
  });

  it("treats IPv4-mapped IPv6 as IPv4, and accepts the previous secret while rolling", () => {
    const jar = new CookieJar(secret, () => 1559731985);
    expect(jar.makeServerCookie(client, "::ffff:198.51.100.100").toString("hex")).toBe("010000005cf79f111f8130c3eee29480");
    const rolled = new CookieJar(Buffer.alloc(16, 9), () => 1559731990, secret);
    expect(rolled.check(client, hex("010000005cf79f111f8130c3eee29480"), "198.51.100.100")).toBe("valid");
    expect(new CookieJar(Buffer.alloc(16, 9), () => 1559731990).check(client, hex("010000005cf79f111f8130c3eee29480"), "198.51.100.100")).toBe("invalid");
  });
});
