// Deployment files, checked by the tools that read them: docker-compose.yml by docker-compose
// (there is no Docker engine here to run it; scripts/demo runs the same topology and
// test/demo.test.ts resolves through it), unbound's configuration by unbound-checkconf, and
// scripts/gslb.service by systemd-analyze, then run as it says: an unprivileged user holding only
// CAP_NET_BIND_SERVICE binds port 53, answers, reloads on ExecReload and stops on SIGTERM.
// Each tool is required in CI (CI=true: .ci/run installs it); elsewhere its tests are skipped.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hasDig } from "./support/dig.js";

const root = new URL("..", import.meta.url).pathname;
const has = (command: string, args: string[]) => spawnSync(command, args, { stdio: "ignore" }).status === 0;
const CI = process.env.CI === "true";
const hasCompose = has("docker-compose", ["version"]);
if (!hasCompose && CI) throw new Error("docker-compose is required in CI: apt-get install -y --no-install-recommends docker-compose");
const checkconf = ["unbound-checkconf", "/usr/sbin/unbound-checkconf"].find((c) => spawnSync(c, ["-h"], { stdio: "ignore" }).error === undefined);
if (checkconf === undefined && CI) throw new Error("unbound is required in CI: apt-get install -y unbound");
const hasSystemd = has("systemd-analyze", ["--version"]);
if (!hasSystemd && CI) throw new Error("systemd-analyze is required in CI: apt-get install -y systemd");
const isRoot = process.getuid?.() === 0;

const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
const compose = (args: string[]) => spawnSync("docker-compose", ["-f", "docker-compose.yml", ...args], { cwd: root, encoding: "utf8", timeout: 30_000 });

/** `docker-compose config`'s normalised YAML → each service's lines (enough to read a few keys without a YAML library). */
function services(normalised: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = /^services:\n([\s\S]*?)(?=^\S|$(?![\s\S]))/m.exec(normalised)![1]!;
  for (const block of body.split(/^(?= {2}[\w-]+:$)/m)) {
    const name = /^ {2}([\w-]+):$/m.exec(block)?.[1];
    if (name !== undefined) out.set(name, block);
  }
  return out;
}

describe.skipIf(!hasCompose)("docker-compose.yml (skipped without docker-compose outside CI)", () => {
  it("is a valid compose file: docker-compose config -q", () => {
    const r = compose(["config", "-q"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("gslb built from the Dockerfile on 0.0.0.0:53, the origins and unbound at the addresses the demo zone and unbound.conf name; unbound on host port 5353", () => {
    const r = compose(["config"]);
    expect(r.status).toBe(0);
    const s = services(r.stdout);
    expect([...s.keys()].sort()).toEqual(["gslb", "origin-eu", "origin-us", "unbound"]);
    const address = (name: string) => /ipv4_address: ([\d.]+)/.exec(s.get(name)!)![1]!;

    const gslb = s.get("gslb")!;
    expect(gslb).toMatch(new RegExp(`build:\\n\\s+context: ${root.replace(/\/$/, "")}\\n`));
    expect(gslb).toMatch(/- --listen\n\s+- 0\.0\.0\.0:53\n/);
    expect(gslb).toMatch(/- --zones\n\s+- \/zones\n/);
    expect(gslb).toContain(`- ${root}scripts/demo-zones:/zones`);

    // The zone the compose gslb serves: its origins are the origin services, by name; ns1 is gslb.
    const zone = JSON.parse(read("scripts/demo-zones/lb.example.com.json"));
    for (const pool of Object.values<any>(zone.pools)) for (const o of pool.origins) expect(o.address, o.name).toBe(address(o.name));
    expect(zone.records.ns1.A).toEqual([address("gslb")]);
    for (const name of ["origin-eu", "origin-us"]) expect(s.get(name)).toMatch(/- \/origin\.mjs\n/);

    // unbound: the stub zone and ECS go to gslb's address; published on the host's loopback, port 5353.
    const conf = read("scripts/docker/unbound.conf");
    expect(conf).toContain(`stub-addr: ${address("gslb")}\n`);
    expect(conf).toContain(`send-client-subnet: ${address("gslb")}\n`);
    expect(conf).toContain('module-config: "subnetcache validator iterator"');
    expect(s.get("unbound")).toContain("- 127.0.0.1:5353:53/udp");
    expect(s.get("unbound")).toContain("- 127.0.0.1:5353:53/tcp");
  });

  it("builds gslb as the issue says: node:20-bookworm-slim, npm ci, build, dev dependencies pruned, a user that is not root, 53/udp and 53/tcp", () => {
    const d = read("Dockerfile");
    expect(d.match(/^FROM node:20-bookworm-slim/gm)).toHaveLength(2);
    expect(d).toMatch(/npm ci[^\n]*\n\s*&& npm run build\s*\\\n\s*&& npm prune --omit=dev/);
    expect(d).toMatch(/^USER node$/m);
    expect(d).toMatch(/^EXPOSE 53\/udp 53\/tcp$/m);
    expect(d).toMatch(/^CMD \["serve", "--zones", "\/app\/zones", "--listen", "0\.0\.0\.0:53"\]$/m);
  });
});

describe.skipIf(checkconf === undefined)("unbound's configuration for docker-compose (skipped without unbound outside CI)", () => {
  it("passes unbound-checkconf", () => {
    const r = spawnSync(checkconf!, [path.join(root, "scripts/docker/unbound.conf")], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toContain("no errors");
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!hasSystemd)("scripts/gslb.service (skipped without systemd-analyze outside CI)", () => {
  const unit = read("scripts/gslb.service");
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(unit)?.[1];

  it("passes systemd-analyze verify without a warning, and its hardening scores OK", () => {
    const r = spawnSync("systemd-analyze", ["verify", path.join(root, "scripts/gslb.service")], { cwd: os.tmpdir(), encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const security = spawnSync("systemd-analyze", ["security", "--offline=yes", path.join(root, "scripts/gslb.service")], { cwd: os.tmpdir(), encoding: "utf8" });
    const exposure = Number(/Overall exposure level for gslb\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
    // 10 is a unit without any hardening; "OK" is under 4.5 (systemd's scale).
    expect(exposure).toBeLessThan(4);
  });

  it("says: an unprivileged user with CAP_NET_BIND_SERVICE only, reload by SIGHUP, SIGTERM to gslb alone, time for the graceful stop", () => {
    expect(value("User")).toBe("gslb");
    expect(value("AmbientCapabilities")).toBe("CAP_NET_BIND_SERVICE");
    expect(value("CapabilityBoundingSet")).toBe("CAP_NET_BIND_SERVICE");
    expect(value("NoNewPrivileges")).toBe("yes");
    expect(value("ExecReload")).toBe("/bin/kill -HUP $MAINPID");
    expect(value("KillMode")).toBe("mixed");
    expect(value("KillSignal")).toBe("SIGTERM");
    // The graceful stop (5 s) and the primary's wait for its workers (5 s more) fit before SIGKILL.
    expect(Number(value("TimeoutStopSec"))).toBeGreaterThan(10);
    expect(value("ProtectSystem")).toBe("strict");
    expect(value("ReadWritePaths")).toBe(/--zones (\S+)/.exec(value("ExecStart")!)![1]);
  });

  // Run as root (CI is): a network namespace of its own, with only loopback, so port 53 there is
  // no one else's; the user is nobody (the unit's gslb user does not exist here).
  it.skipIf(!(isRoot && hasDig) && !CI)("runs as it says: ExecStart as nobody with only CAP_NET_BIND_SERVICE binds port 53 and answers; ExecReload reloads; SIGTERM exits 0; without the capability, one line and exit 1", () => {
    const zones = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-unit-"));
    fs.chmodSync(zones, 0o755);
    try {
      for (const f of ["lb.example.com.json", "zone.schema.json"]) fs.copyFileSync(path.join(root, "zones", f), path.join(zones, f));
      const here = (command: string) => command.replaceAll("/opt/gslb/", root).replaceAll(value("ReadWritePaths")!, zones);
      const execStart = here(value("ExecStart")!);
      const execReload = value("ExecReload")!;
      const caps = value("AmbientCapabilities")!.split(/\s+/).map((c) => `+${c.replace(/^CAP_/, "").toLowerCase()}`).join(",");
      const asUnit = `setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs --bounding-set=-all,${caps} --inh-caps=${caps} --ambient-caps=${caps} --`;
      const script = `
        set -u
        ip link set lo up
        cd ${JSON.stringify(zones)}
        ${asUnit} ${execStart} --workers 1 > gslb.log 2>&1 &
        MAINPID=$!
        for i in $(seq 1 200); do grep -q '"msg":"serving"' gslb.log && break; sleep 0.1; done
        echo "answer: $(dig @127.0.0.1 -p 53 +short +time=2 +tries=1 ns1.lb.example.com)"
        ${execReload}
        for i in $(seq 1 50); do grep -q '"msg":"reload: nothing changed' gslb.log && break; sleep 0.1; done
        kill -TERM $MAINPID; wait $MAINPID; echo "exit: $?"
        cat gslb.log
        setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs -- ${execStart} --workers 1; echo "without the capability, exit: $?"
      `;
      const r = spawnSync("unshare", ["--net", "bash", "-c", script], { encoding: "utf8", timeout: 60_000 });
      const out = r.stdout + r.stderr;
      expect(out).toContain("answer: 192.0.2.53\n");
      expect(out).toMatch(/"listen":\["0\.0\.0\.0:53"\]/);
      expect(out).toContain('"msg":"reloading the zone directory"');
      expect(out).toContain('"msg":"reload: nothing changed');
      expect(out).toContain("exit: 0\n");
      expect(out).toContain('"msg":"stopped"');
      expect(r.stdout).toContain("without the capability, exit: 1\n");
      expect(r.stderr).toContain("gslb: cannot listen on udp 0.0.0.0:53: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)\n");
    } finally {
      fs.rmSync(zones, { recursive: true, force: true });
    }
  }, 70_000);
});
