// Issue 8's monitor forms through the whole path: a real server's monitors probe real origins on
// their own loopback addresses (HTTP on port 80 for `port: 0`, a TCP listener, SMTP servers, UDP
// listeners and closed UDP ports), and DNS answers follow. The first round runs before the sockets
// open, so the first answers already show each probe's verdict.

import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerData } from "./support/client.js";
import { balancedZone } from "./support/zones.js";
import { startTestServer, type TestServer } from "./support/server.js";

const hasFping = spawnSync("fping", ["-v"]).status === 0;
if (!hasFping && process.env.CI === "true") throw new Error("fping is required in CI: apt-get install -y fping");
// Port 80 (the http default that `port: 0` means) needs root, as CI has.
const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === "true") throw new Error("CI runs as root");

const closers: (() => void)[] = [];
const listen = (server: net.Server, port: number, host: string) => new Promise<number>((resolve) => server.listen(port, host, () => { closers.push(() => server.close()); resolve((server.address() as net.AddressInfo).port); }));

/** 200 only when the Host header is `host`, else 421 (Misdirected Request): who the monitor said it was asking. */
const hostChecker = (host: string) => http.createServer((req, res) => { res.statusCode = req.headers.host === host ? 200 : 421; res.end(); });

/** An SMTP server: `banner` (e.g. "220 ready"), then 250 to HELO and 221 to QUIT. */
function smtp(banner: string): net.Server {
  return net.createServer((s) => {
    s.write(`${banner}\r\n`);
    s.on("data", (d) => {
      const line = d.toString();
      if (/^HELO /i.test(line)) s.write("250 hello\r\n");
      else if (/^QUIT/i.test(line)) { s.write("221 bye\r\n"); s.end(); }
    });
    s.on("error", () => {});
  });
}

let t: TestServer;
let tcpPort = 0;
let smtpPort = 0;
let udpPort = 0;

beforeAll(async () => {
  await listen(hostChecker("app.example.net"), 80, "127.0.0.41");
  await listen(hostChecker("app.example.net"), 80, "127.0.0.42");
  tcpPort = await listen(net.createServer((s) => s.end()), 0, "127.0.0.43");
  smtpPort = await listen(smtp("220 mail ready"), 0, "127.0.0.45");
  await listen(smtp("554 go away"), smtpPort, "127.0.0.46");
  const u = dgram.createSocket("udp4");
  await new Promise<void>((r) => u.bind(0, "127.0.0.47", () => r()));
  udpPort = u.address().port;
  closers.push(() => u.close());
  const z = balancedZone({
    monitors: {
      // Cloudflare's forms: port 0 = the type's default port, consecutive counts 0 = 1.
      web: { type: "http", port: 0, path: "/", expected_codes: "200", timeout: 1, retries: 0, interval: 60, consecutive_up: 0, consecutive_down: 0 },
      conn: { type: "tcp", method: "connection_established", port: tcpPort, timeout: 1, retries: 0 },
      mail: { type: "smtp", port: smtpPort, timeout: 2, retries: 0 },
      dgram: { type: "udp_icmp", port: udpPort, timeout: 1, retries: 0 },
      ping: { type: "icmp_ping", timeout: 1, retries: 0 },
    },
    pools: {
      // The same server behind both: only the origin whose header.Host names it passes.
      named: { monitor: "web", origins: [{ name: "plain", address: "127.0.0.42" }, { name: "hosted", address: "127.0.0.41", header: { Host: ["app.example.net"] } }] },
      tcpdown: { monitor: "conn", origins: [{ name: "closed", address: "127.0.0.44" }] },
      tcpup: { monitor: "conn", origins: [{ name: "open", address: "127.0.0.43" }] },
      smtpbad: { monitor: "mail", origins: [{ name: "bad", address: "127.0.0.46" }] },
      smtpgood: { monitor: "mail", origins: [{ name: "good", address: "127.0.0.45" }] },
      udpclosed: { monitor: "dgram", origins: [{ name: "closed", address: "127.0.0.48" }] },
      udpopen: { monitor: "dgram", origins: [{ name: "open", address: "127.0.0.47" }] },
      pinged: { monitor: "ping", origins: [{ name: "here", address: "127.0.0.49" }] },
      last: { origins: [{ name: "last", address: "192.0.2.99" }] },
    },
    load_balancers: {
      hosted: { default_pools: ["named", "last"], steering_policy: "off" },
      tcp: { default_pools: ["tcpdown", "tcpup", "last"], steering_policy: "off" },
      smtp: { default_pools: ["smtpbad", "smtpgood", "last"], steering_policy: "off" },
      udp: { default_pools: ["udpclosed", "udpopen", "last"], steering_policy: "off" },
      ping: { default_pools: ["pinged", "last"], steering_policy: "off" },
    },
  });
  t = await startTestServer({ "lb.example.com.json": z }, { unknownHealth: "down" });
}, 30_000);
afterAll(async () => { await t?.close(); for (const c of closers) c(); });

const a = (name: string) => answerData(t.port, `${name}.lb.example.com`);

describe.skipIf(!isRoot)("monitors take Cloudflare's forms", () => {
  it("port 0 is the type's default port (80); an origin's header.Host is the Host the monitor sends", async () => {
    expect(await a("hosted")).toEqual(["127.0.0.41"]);
    expect(t.server.health.state("lb.example.com/named", "plain")).toBe("down");
    expect(t.server.health.state("lb.example.com/named", "hosted")).toBe("up");
  });

  it("tcp with method connection_established: a refused connection is down, an accepted one up", async () => {
    expect(await a("tcp")).toEqual(["127.0.0.43"]);
    expect(t.server.health.state("lb.example.com/tcpdown", "closed")).toBe("down");
  });

  it("smtp: a 554 banner is down, 220/HELO 250/QUIT 221 is up", async () => {
    expect(await a("smtp")).toEqual(["127.0.0.45"]);
    expect(t.server.health.state("lb.example.com/smtpbad", "bad")).toBe("down");
  });

  it.skipIf(!hasFping)("udp_icmp: an ICMP port unreachable is down, silence is up", async () => {
    expect(await a("udp")).toEqual(["127.0.0.47"]);
    expect(t.server.health.state("lb.example.com/udpclosed", "closed")).toBe("down");
  });

  it.skipIf(!hasFping)("icmp_ping: an echo reply is up", async () => {
    expect(await a("ping")).toEqual(["127.0.0.49"]);
  });
});
