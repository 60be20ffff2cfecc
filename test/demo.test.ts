// scripts/demo end to end, as a user runs it: two real HTTP origins, gslb probing them, and a real
// recursive resolver (unbound) to which lb.example.com is delegated to gslb, sending ECS. A name
// resolved through unbound answers by the client's subnet, so ECS went through; the demo then
// stops everything it started (checked in the process table), and a failing test kills its
// whole process group: no orphans either way.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dig, hasDig } from "./support/dig.js";
import { groupMembers, killGroup, run, waitGone, type Running } from "./support/processes.js";

const root = new URL("..", import.meta.url).pathname;
const hasUnbound = ["unbound", "/usr/sbin/unbound"].some((c) => spawnSync(c, ["-V"], { stdio: "ignore" }).status === 0);
if (!hasUnbound && process.env.CI === "true") throw new Error("unbound is required in CI: apt-get install -y unbound");

let demo: Running | null = null;
/** The demo's temporary directory: it removes it itself, unless the backstop had to kill it. */
let files: string | null = null;
afterAll(() => {
  if (demo !== null) killGroup(demo.pid);
  if (files !== null) fs.rmSync(files, { recursive: true, force: true });
});

describe.skipIf(!hasUnbound || !hasDig)("scripts/demo (skipped without unbound or dig outside CI)", () => {
  it("resolves the delegated name through unbound, which sends gslb the client's subnet; Ctrl-C leaves nothing behind", async () => {
    // A process group of its own: the backstop above reaches everything the demo starts.
    demo = run(path.join(root, "scripts/demo"), [], { detached: true });
    const d = demo;
    await d.waitFor("Ctrl-C stops everything.", 60_000);
    const out = d.text();
    files = /files (\/\S+)/.exec(out)?.[1] ?? null;
    const m = /^ {2}dig @([\d.]+) -p (\d+) www\.lb\.example\.com/m.exec(out)!;
    expect(m, out).not.toBeNull();
    const [resolver, port] = [m[1]!, Number(m[2])];
    const originPort = Number(/origin-eu http:\/\/127\.29\.53\.11:(\d+)\//.exec(out)![1]);
    expect(resolver).toBe("127.29.53.3");

    // The monitors probe both origins (gslb's log, echoed by the demo).
    expect(out).toContain('"target":"http://127.29.53.11:');
    expect(out).toMatch(/"origins":\["lb\.example\.com\/us\/origin-us"\],"from":"unknown","to":"up"/);

    // An Irish client's subnet, sent by dig to unbound, by unbound to gslb: the eu origin, with
    // gslb's scope (/24) handed back by the resolver; an answer by recursion, not authority.
    // A loaded machine may make a recursion slow: dig waits 5 s rather than 2.
    const irish = await dig(port, ["+time=5", "+subnet=87.32.10.0/24", "www.lb.example.com", "A"], resolver);
    expect(irish.status).toBe("NOERROR");
    expect(irish.answer.map((r) => r.split(" ").at(-1))).toEqual(["127.29.53.11"]);
    expect(irish.flags).toContain("ra");
    expect(irish.flags).not.toContain("aa");
    expect(irish.opt).toContain("CLIENT-SUBNET: 87.32.10.0/24/24");
    // A Japanese client's: the us origin. Same name, same resolver: only the subnet differs.
    const japanese = await dig(port, ["+time=5", "+subnet=133.1.1.0/24", "www.lb.example.com", "A"], resolver);
    expect(japanese.answer.map((r) => r.split(" ").at(-1))).toEqual(["127.29.53.12"]);
    // No subnet from the client: unbound sends the querier's own /24 (127.0.0.0, not located).
    const own = await dig(port, ["+time=5", "www.lb.example.com", "A"], resolver);
    expect(own.answer.map((r) => r.split(" ").at(-1))).toEqual(["127.29.53.12"]);

    // gslb's own account (--log-queries 1 in the demo): each came from unbound, with ECS.
    await new Promise((r) => setTimeout(r, 200));
    const gslbLines = d.lines().flatMap((l) => { const j = /^gslb\s+\| (\{.*\})$/.exec(l.text ?? ""); return j === null ? [] : [JSON.parse(j[1]!)]; });
    const steered = gslbLines
      .filter((l) => l.msg === "query" && l.qname === "www.lb.example.com");
    // (unbound may ask again when gslb is slow to answer: the same query, twice.)
    expect([...new Set(steered.map((l) => JSON.stringify([l.steering.from, l.steering.client, l.steering.pool, l.steering.scope])))]).toEqual([
      ["ecs", "87.32.10.0", "eu", 24],
      ["ecs", "133.1.1.0", "us", 24],
      ["ecs", "127.0.0.0", "us", 24],
    ].map((x) => JSON.stringify(x)));
    for (const l of steered) expect(l.client).toMatch(/^127\./);

    // And the answer is a real origin.
    const page = await fetch(`http://127.29.53.11:${originPort}/`);
    expect(await page.text()).toBe("hello from origin-eu\n");

    // Ctrl-C: the demo stops unbound, gslb (and its prober) and the origins, and removes its files.
    expect(files).not.toBeNull();
    expect(fs.existsSync(files!)).toBe(true);
    const members = groupMembers(d.pid).filter((p) => p !== d.pid);
    expect(members.length).toBeGreaterThanOrEqual(5); // 2 origins, gslb, its prober, unbound
    process.kill(d.pid, "SIGINT");
    expect(await d.exited).toBe(0);
    expect(d.text()).toContain("demo stopped: origins, gslb and unbound are gone");
    expect(await waitGone(members, 3000)).toEqual([]);
    expect(groupMembers(d.pid)).toEqual([]);
    expect(fs.existsSync(files!)).toBe(false);
  }, 90_000);
});
