// Notifications (issue 10 §3) with real parts: loopback HTTP receivers, a real server whose monitors
// probe real HTTP origins, health flipped by making the origins answer 500, DNS over real sockets;
// and `gslb serve --workers 2 --webhook` as a child process.

import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeQuery, udpExchange } from "./support/client.js";
import { balancedZone } from "./support/zones.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { httpOrigin, sleep, until } from "./support/http.js";
import { serve, type Running } from "./support/processes.js";
import pino from "pino";
import { WebhookTarget } from "../src/notify/webhook.js";

interface Received { readonly headers: http.IncomingHttpHeaders; readonly text: string; readonly body: any; readonly answered: number | null }

/** A webhook receiver on loopback: answers 200, or 500 to the first `failFirst` requests, or never ("hang"). */
async function receiver(mode: { failFirst?: number; hang?: boolean } = {}) {
  const got: Received[] = [];
  let failures = mode.failFirst ?? 0;
  const server = http.createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (text += d));
    req.on("end", () => {
      if (mode.hang) { got.push({ headers: req.headers, text, body: JSON.parse(text), answered: null }); return; }
      const status = failures > 0 ? (failures--, 500) : 200;
      got.push({ headers: req.headers, text, body: JSON.parse(text), answered: status });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`;
  /** Accepted notifications (2xx answered), as "type pool origin to". */
  const delivered = () => got.filter((g) => g.answered === 200).map((g) => `${g.body.type} ${g.body.pool} ${g.body.origin ?? "-"} ${g.body.to}`);
  return { got, url, delivered, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
type Receiver = Awaited<ReturnType<typeof receiver>>;

const SECRET = "a-webhook-secret-for-the-tests";

function verify(r: Received, secret: string): boolean {
  const ts = String(r.headers["x-gslb-timestamp"]);
  const expected = `sha256=${crypto.createHmac("sha256", secret).update(`${ts}.${r.text}`).digest("hex")}`;
  const given = String(r.headers["x-gslb-signature"]);
  return given.length === expected.length && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** ms for a DNS answer over UDP (fails the test when there is none). */
async function dnsLatency(port: number): Promise<number> {
  const start = performance.now();
  const reply = await udpExchange(port, makeQuery("www.lb.example.com", "A"), { timeoutMs: 2000 });
  expect(reply).not.toBeNull();
  return performance.now() - start;
}

describe("webhooks from zone files and the server's options (one process)", () => {
  let a: Awaited<ReturnType<typeof httpOrigin>>;
  let b: Awaited<ReturnType<typeof httpOrigin>>;
  let all: Receiver, paDown: Receiver, flaky: Receiver, hang: Receiver, server: Receiver;
  let t: TestServer;
  const latencies: number[] = [];

  beforeAll(async () => {
    a = await httpOrigin("127.0.0.71");
    b = await httpOrigin("127.0.0.72", a.port);
    [all, paDown, flaky, hang, server] = await Promise.all([receiver(), receiver(), receiver({ failFirst: 1 }), receiver({ hang: true }), receiver()]);
    const zone = balancedZone({
      monitors: { hc: { type: "http", path: "/", port: a.port, interval: 5, timeout: 1, retries: 0, consecutive_up: 1, consecutive_down: 1 } },
      pools: {
        pa: { origins: [{ name: "a", address: "127.0.0.71" }], monitor: "hc" },
        // Cloudflare's notification_filter: no origin events for this pool, to any webhook.
        pb: { origins: [{ name: "b", address: "127.0.0.72" }], monitor: "hc", notification_filter: { origin: { disable: true }, pool: { healthy: null } } },
      },
      load_balancers: { www: { default_pools: ["pa", "pb"], fallback_pool: "pb", steering_policy: "off" } },
    });
    zone.notifications = {
      webhooks: [
        { url: all.url, secret_file: "hook.secret" },
        { url: paDown.url, pools: ["pa"], filter: { origin: { healthy: false }, pool: { healthy: false } } },
        { url: flaky.url },
        { url: hang.url },
      ],
    };
    t = await startTestServer({ "lb.example.com.json": zone }, {
      webhooks: [{ url: server.url, secret: null }],
      webhookDelivery: { retryBaseMs: 300, timeoutMs: 60_000 },
    });
    fs.writeFileSync(path.join(t.dir, "hook.secret"), `${SECRET}\n`);
    t.server.reload(); // the secret file is read on each load

    // Down, then up again, measuring DNS answers all along (a receiver hangs meanwhile).
    const measuring = (async () => {
      const stop = Date.now() + 30_000;
      while (Date.now() < stop && all.delivered().length < 6) { latencies.push(await dnsLatency(t.port)); await sleep(100); }
    })();
    a.status = 500;
    b.status = 500;
    await until(() => all.delivered().length >= 3, 15_000, "the down transitions at the signed webhook");
    a.status = 200;
    b.status = 200;
    await until(() => all.delivered().length >= 6, 15_000, "the up transitions at the signed webhook");
    await measuring;
    await until(() => flaky.delivered().length >= 6, 10_000, "the flaky receiver's deliveries");
    await sleep(1500); // room for anything sent twice
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await Promise.all([a, b, all, paDown, flaky, hang, server].map((x) => x?.close()));
  });

  it("sends each down and each up transition once, with zone, pool, origin, states, reason and time", () => {
    expect(all.delivered().sort()).toEqual([
      "origin pa a down", "origin pa a up", "pool pa - down", "pool pa - up", "pool pb - down", "pool pb - up",
    ]);
    expect(new Set(all.got.map((g) => g.body.id)).size).toBe(all.got.length);
    const down = all.got.find((g) => g.body.type === "origin" && g.body.to === "down")!.body;
    expect(down).toMatchObject({ zone: "lb.example.com", pool: "pa", origin: "a", from: "up", to: "down", healthy: false, forced: null, server: os.hostname() });
    // The prober's reason ("status 500"), or the tracker's when its once-a-second look saw the change first.
    expect(down.reason).toMatch(/^(status 500|health changed)$/);
    expect(Date.now() - Date.parse(down.time)).toBeLessThan(60_000);
    const poolDown = all.got.find((g) => g.body.type === "pool" && g.body.pool === "pa" && g.body.to === "down")!.body;
    expect(poolDown).toMatchObject({ origin: null, from: "up", healthy: false, reason: "0 of 1 origins up (minimum_origins 1)" });
    const up = all.got.find((g) => g.body.type === "origin" && g.body.to === "up")!.body;
    expect(up).toMatchObject({ from: "down", to: "up", healthy: true });
    // The server's own webhook (--webhook) hears the same.
    expect(server.delivered().sort()).toEqual(all.delivered().sort());
  });

  it("signs with the secret: X-Gslb-Signature is the HMAC of timestamp.body; the event id is a header too", () => {
    for (const r of all.got) {
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["x-gslb-event-id"]).toBe(r.body.id);
      expect(r.headers["idempotency-key"]).toBe(r.body.id);
      expect(Math.abs(Number(r.headers["x-gslb-timestamp"]) - Date.now() / 1000)).toBeLessThan(120);
      expect(verify(r, SECRET)).toBe(true);
      expect(verify(r, "another secret")).toBe(false);
    }
    // Without a secret, no signature.
    expect(server.got.every((r) => r.headers["x-gslb-signature"] === undefined)).toBe(true);
  });

  it("filters by pool and by health (healthy: false: DOWN events only)", () => {
    expect(paDown.delivered().sort()).toEqual(["origin pa a down", "pool pa - down"]);
  });

  it("applies the pool's notification_filter (origin.disable) to every webhook", () => {
    for (const r of [all, paDown, flaky, server]) expect(r.got.some((g) => g.body.origin === "b")).toBe(false);
    expect(all.delivered()).toContain("pool pb - down");
  });

  it("retries a receiver that failed (500), and then delivers once", () => {
    expect(flaky.got[0]!.answered).toBe(500);
    const first = flaky.got[0]!.body.id;
    expect(flaky.got.filter((g) => g.body.id === first).map((g) => g.answered)).toEqual([500, 200]);
    expect(flaky.delivered().sort()).toEqual(all.delivered().sort());
    expect(flaky.got.filter((g) => g.answered === 200).length).toBe(6);
  });

  it("a receiver that never answers holds up neither DNS, nor health checks, nor the other webhooks", () => {
    // It got the first notification and is still sitting on it (one at a time, in order).
    expect(hang.got.length).toBe(1);
    expect(hang.got[0]!.answered).toBeNull();
    // The other webhooks got all six meanwhile, so probes went on (down, then up) ...
    expect(all.delivered().length).toBe(6);
    // ... and DNS answered promptly throughout.
    expect(latencies.length).toBeGreaterThan(20);
    expect(Math.max(...latencies)).toBeLessThan(250);
  });
});

describe("gslb serve --workers 2 --webhook", () => {
  let a: Awaited<ReturnType<typeof httpOrigin>>;
  let hook: Receiver;
  let p: Running & { port: number };
  let dir: string;

  beforeAll(async () => {
    a = await httpOrigin("127.0.0.73");
    hook = await receiver();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-notify-"));
    const zone = balancedZone({
      monitors: { hc: { type: "http", path: "/", port: a.port, interval: 5, timeout: 1, retries: 0, consecutive_up: 1, consecutive_down: 1 } },
      pools: { pa: { origins: [{ name: "a", address: "127.0.0.73" }], monitor: "hc" } },
      load_balancers: { www: { default_pools: ["pa"], steering_policy: "off" } },
    });
    fs.writeFileSync(path.join(dir, "lb.example.com.json"), JSON.stringify(zone));
    fs.writeFileSync(path.join(dir, "secret"), `${SECRET}\n`);
    p = await serve(["--zones", dir, "--workers", "2", "--no-http", "--webhook", hook.url, "--webhook-secret-file", path.join(dir, "secret")]);
  }, 30_000);
  afterAll(async () => {
    if (p !== undefined) { p.proc.kill("SIGTERM"); await p.exited; }
    await a?.close();
    await hook?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("delivers each transition once (the primary sends, not each worker), signed", async () => {
    a.status = 500;
    await until(() => hook.delivered().length >= 2, 15_000, "the down transitions");
    await sleep(1500);
    expect(hook.delivered().sort()).toEqual(["origin pa a down", "pool pa - down"]);
    expect(hook.got.every((r) => verify(r, SECRET))).toBe(true);
  }, 30_000);
});

describe("a webhook's queue", () => {
  it("is bounded: past it the oldest waiting notifications are dropped, logged once with a count, and the newest delivered", async () => {
    // A receiver that holds the first request until released, then answers 200 to everything.
    const bodies: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const server = http.createServer((req, res) => {
      let text = "";
      req.on("data", (d) => (text += d));
      req.on("end", () => { bodies.push(text); const answer = () => { res.statusCode = 200; res.end(); }; if (bodies.length === 1) held.then(answer); else answer(); });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const lines: any[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const target = new WebhookTarget(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`, null, log, { queue: 3, retryBaseMs: 50 });
    try {
      for (let i = 0; i < 10; i++) target.push({ id: `n${i}`, body: JSON.stringify({ i }) });
      // In flight (n0) and the two newest wait; six were dropped.
      expect(target.pending).toBe(3);
      expect(target.counts.dropped).toBe(7);
      expect(lines.filter((l) => l.msg.startsWith("webhook queue full"))).toHaveLength(1);
      release();
      await until(() => target.counts.delivered === 3, 5000, "three delivered");
      expect(bodies.map((b) => JSON.parse(b).i)).toEqual([0, 8, 9]);
      expect(lines.some((l) => l.msg === "webhook queue was full: 7 notifications dropped")).toBe(true);
    } finally {
      target.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("a webhook over HTTPS", () => {
  it("delivers to a receiver whose CA the operator trusts (NODE_EXTRA_CA_CERTS), and refuses one it does not", async () => {
    // A CA and a certificate for 127.0.0.1, made here by openssl.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-webhook-tls-"));
    const ssl = (...args: string[]) => { const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" }); if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`); };
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=gslb test CA");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
    const bodies: string[] = [];
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, "server.key")), cert: fs.readFileSync(path.join(dir, "server.pem")) }, (req, res) => {
      let text = "";
      req.on("data", (d) => (text += d));
      req.on("end", () => { bodies.push(text); res.statusCode = 200; res.end(); });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`;
    // The delivery runs in its own process: Node reads NODE_EXTRA_CA_CERTS at start-up.
    const script = `
      import { WebhookTarget } from ${JSON.stringify(new URL("../dist/notify/webhook.js", import.meta.url).href)};
      import pino from "pino";
      const t = new WebhookTarget(process.argv[1], "s3cret", pino({ level: "info" }), { tries: 1 });
      t.push({ id: "e1", body: JSON.stringify({ type: "origin", to: "down" }) });
      const wait = setInterval(() => { if (t.counts.delivered + t.counts.failed > 0) { clearInterval(wait); process.exit(t.counts.delivered === 1 ? 0 : 3); } }, 20);`;
    const deliver = (env: NodeJS.ProcessEnv) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script, url], { env, cwd: path.dirname(new URL(import.meta.url).pathname) });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("exit", (code) => resolve({ code, out }));
    });
    try {
      const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
      const refused = await deliver(env);
      expect(refused.code, refused.out).toBe(3);
      expect(refused.out).toContain("webhook delivery failed");
      expect(bodies).toHaveLength(0);
      const trusted = await deliver({ ...env, NODE_EXTRA_CA_CERTS: path.join(dir, "ca.pem") });
      expect(trusted.code, trusted.out).toBe(0);
      expect(bodies.map((b) => JSON.parse(b))).toEqual([{ type: "origin", to: "down" }]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
