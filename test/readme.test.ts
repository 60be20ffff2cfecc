// Every command the README shows in a `sh` block is run here, or named below with the test that
// covers it instead (issue 10 §6: a README whose commands are not run rots). A command this file
// does not know fails the test: add how to run it, or why it is covered elsewhere.
//
// The server is the quick start's (`npx gslb serve` on the sample zones, in a scratch copy), on
// ports the OS chose: `-p 5300` and `127.0.0.1:8053` in the README are rewritten to them. An IPv4
// address a comment names ("eu-west's 198.51.100.10") must be in the command's output.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readmeCommands, root, WALKTHROUGH, type Command } from "./support/readme.js";

const main = path.join(root, "dist/cli/main.js");

// dig, curl and jq run the README's examples: required in CI (.ci/run installs them), else skipped.
const tools = ["dig", "curl", "jq"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
if (tools.length > 0 && process.env.CI === "true") throw new Error(`the README's examples need ${tools.join(", ")} (apt-get install)`);

/** Commands not run here, each with the test (or the reason) that covers it. */
const ELSEWHERE: [RegExp, string][] = [
  [/^npm ci && npm test$/, "the test suite itself (.ci/run runs it on a clean clone)"],
  [/^curl .*(api\.cloudflare\.com|-s \.\.\. \/(accounts|zones)\/\$)/, "Cloudflare's API, off this machine (loopback only); import/export run on recorded payloads in test/cloudflare.test.ts"],
  [/^npx gslb (import|export) cloudflare /, "needs a Cloudflare account's exports; test/cloudflare.test.ts runs both commands on recorded payloads"],
  [/^scripts\/demo\b/, "test/demo.test.ts runs scripts/demo end to end through unbound"],
  [/^docker(-compose)? /, "no Docker engine here: test/deploy.test.ts validates docker-compose.yml (docker-compose config) and the Dockerfile"],
  [/^dig @127\.0\.0\.1 -p 5353 /, "the docker-compose topology's resolver; test/demo.test.ts asks the same through unbound"],
  [/^(systemctl|journalctl) /, "no systemd here: test/deploy.test.ts runs the unit's ExecStart, ExecReload and stop as the unit would"],
  [/^(node )?scripts\/(bench|bench-workers|bench-config|config-cost\.mjs|memory-rounds|hostile|soak|fuzz)\b/, "benchmarks of minutes each, run by hand; their figures are in docs/benchmarks.md"],
  [/^etcd --name /, "an etcd member on another host; test/support/etcd.ts starts a 3-member cluster on loopback the same way"],
  [/^npx gslb serve .*--etcd /, "an instance of several on other hosts; test/etcd.test.ts runs three on loopback against a real etcd cluster"],
];

let dir = "";
let dnsPort = 0;
let httpPort = 0;
let server: ReturnType<typeof spawn> | null = null;

beforeAll(async () => {
  if (tools.length > 0) return;
  // The quick start's layout: a working directory with zones/ (and the token the API examples read).
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-readme-"));
  fs.cpSync(path.join(root, "zones"), path.join(dir, "zones"), { recursive: true });
  fs.writeFileSync(path.join(dir, "token"), "readme-test-token-0123456789\n");
  server = spawn(process.execPath, [main, "serve", "--zones", "zones", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--api-token-file", "token", "--workers", "1"], { cwd: dir });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "serving" line: ${lines.join("\n")}`)), 15_000);
    server!.stdout!.on("data", (d: Buffer) => {
      lines.push(...d.toString().split("\n").filter(Boolean));
      const serving = lines.map((l) => { try { return JSON.parse(l); } catch { return {}; } }).find((l) => l.msg === "serving");
      if (serving !== undefined) {
        dnsPort = Number(String(serving.listen[0]).split(":").pop());
        httpPort = Number(String(serving.http).split(":").pop());
        clearTimeout(timer);
        resolve();
      }
    });
    server!.on("exit", (code) => { clearTimeout(timer); reject(new Error(`gslb serve exited ${code}: ${lines.join("\n")}`)); });
  });
}, 30_000);

afterAll(() => {
  server?.kill("SIGKILL");
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
});

/** Run one README command here, rewritten to this server and this build; stdout and stderr together. */
function run(c: Command): { status: number | null; output: string } {
  const text = c.text
    .replace(/-p 5300\b/g, `-p ${dnsPort}`)
    .replace(/127\.0\.0\.1:8053\b/g, `127.0.0.1:${httpPort}`)
    .replace(/^npx gslb /, `${process.execPath} ${main} `)
    .replace(/^npm ci && npx gslb serve$/, "true");
  const r = spawnSync("sh", ["-c", text], { cwd: dir, encoding: "utf8", timeout: 20_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe.skipIf(tools.length > 0)("the README's commands", () => {
  const all = readmeCommands();

  it("are found (the parser reads the README's sh blocks)", () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all.map((c) => c.text)).toContain("npm ci && npx gslb serve");
  });

  it("each run here, or are covered by a named test", () => {
    const failures: string[] = [];
    let ran = 0;
    for (const c of all) {
      // The walkthrough starts its own origins and server: test/walkthrough.test.ts runs it, in order.
      if (c.section === WALKTHROUGH) continue;
      if (ELSEWHERE.some(([re]) => re.test(c.text))) continue;
      // A server started here would outlive the command's timeout (spawnSync kills the shell, not it).
      if (/^npx gslb serve\b/.test(c.text)) {
        failures.push(`README.md:${c.line}: a server this test cannot stop; only the quick start's (beforeAll) and the walkthrough's (test/walkthrough.test.ts) run: ${c.text}`);
        continue;
      }
      if (!/^(npm ci && npx gslb serve|dig @127\.0\.0\.1 -p 5300 |npx gslb |curl -s (-X \w+ )?(-H "[^"]*" )?(-d '[^']*' )?http:\/\/127\.0\.0\.1:8053\/)/.test(c.text)) {
        failures.push(`README.md:${c.line}: not run by this test and not covered elsewhere: ${c.text}`);
        continue;
      }
      const r = run(c);
      ran++;
      if (r.status !== 0) { failures.push(`README.md:${c.line}: exit ${r.status}: ${c.text}\n${r.output.slice(0, 400)}`); continue; }
      if (c.text.startsWith("dig ") && !/status: NOERROR/.test(r.output)) failures.push(`README.md:${c.line}: not NOERROR: ${c.text}\n${r.output.slice(0, 400)}`);
      if (c.text.startsWith("curl ") && /"error"/.test(r.output)) failures.push(`README.md:${c.line}: the API said error: ${c.text}\n${r.output.slice(0, 400)}`);
      // What the comment promises: addresses named must be in the answer (the quick start's
      // listen address is rewritten to a free port: beforeAll waited for it to serve).
      if (c.text === "npm ci && npx gslb serve") continue;
      for (const ip of c.comment.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []) {
        if (/\+subnet=/.test(c.text) && c.text.includes(ip)) continue;
        if (!r.output.includes(ip)) failures.push(`README.md:${c.line}: the comment names ${ip}, the output does not: ${c.text}\n${r.output.slice(0, 400)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(ran).toBeGreaterThan(5);
  }, 120_000);

  it("the schema command writes what is committed", () => {
    const c = all.find((x) => x.text.startsWith("npx gslb schema > "))!;
    expect(c).toBeDefined();
    expect(run(c).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "zones/zone.schema.json"), "utf8")).toBe(fs.readFileSync(path.join(root, "zones/zone.schema.json"), "utf8"));
  });
});

// Every flag a command's --help lists is documented in the README (issue 10 §6: "every field").
describe("the README's documentation of the commands", () => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  for (const command of [["serve"], ["check"], ["explain"], ["health"], ["schema"], ["import", "cloudflare"], ["export", "cloudflare"]]) {
    it(`has every flag of gslb ${command.join(" ")} --help`, () => {
      const help = spawnSync(process.execPath, [main, ...command, "--help"], { encoding: "utf8" });
      expect(help.status).toBe(0);
      const flags = [...new Set([...help.stdout.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]))].filter((f) => f !== "--help");
      const missing = flags.filter((f) => !new RegExp(`\`${f}\\b`).test(readme));
      expect(missing, `gslb ${command.join(" ")}: flags --help lists and the README does not document (as \`${"--flag"}...\`)`).toEqual([]);
    });
  }
});

describe("the README's links and figures", () => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");

  it("every #anchor it links to is one of its headings (the Contents list stays accurate)", () => {
    const slug = (h: string) => h.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const headings = new Set([...readme.matchAll(/^#{1,6} (.*)$/gm)].map((m) => slug(m[1]!)));
    const links = [...new Set([...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!))];
    expect(links.filter((l) => !headings.has(l))).toEqual([]);
    // The Contents list names every ## section.
    const contents = /## Contents\n([\s\S]*?)\n## /.exec(readme)![1]!;
    const sections = [...readme.matchAll(/^## (.*)$/gm)].map((m) => slug(m[1]!)).filter((s) => s !== "contents");
    expect(sections.filter((s) => !contents.includes(`(#${s})`))).toEqual([]);
  });

  it("the Performance section quotes figures of docs/benchmarks.md, none of its own", () => {
    const perf = /\n## Performance\n([\s\S]*?)\n## /.exec(readme)![1]!;
    const docs = fs.readFileSync(path.join(root, "docs/benchmarks.md"), "utf8");
    const figures = [...perf.replace(/```[\s\S]*?```/g, "").matchAll(/\d[\d,.]*(–\d[\d,.]*)?\s?(×|MiB|MB)|×\d[\d.]*/g)].map((m) => m[0]);
    expect(figures.length).toBeGreaterThan(5);
    expect(figures.filter((f) => !docs.includes(f) && !docs.includes(f.replace(/\s/, " ")))).toEqual([]);
  });
});
