// dig (BIND's client) as a third, independent client. Required in CI (CI=true); elsewhere the dig
// tests are skipped when dig is missing, with a message saying so.

import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export const hasDig = spawnSync("dig", ["-v"]).status === 0;
if (!hasDig && process.env.CI === "true") throw new Error("dig is required in CI: apt-get install -y bind9-dnsutils");

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  opt: string;
  raw: string;
}

/** Run dig against our server and parse its sections (records with whitespace normalised). */
/** Asynchronous: the server under test runs in this process and must keep answering while dig waits. */
export async function dig(port: number, args: string[], host = "127.0.0.1"): Promise<DigResult> {
  const { stdout: raw } = await run("dig", [`@${host}`, "-p", String(port), "+time=2", "+tries=1", ...args], { encoding: "utf8" });
  const section = (title: string) => {
    const m = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(raw);
    return m === null ? [] : m[1]!.split("\n").filter((l) => l && !l.startsWith(";")).map((l) => l.split(/\s+/).join(" "));
  };
  const header = /status: (\w+)/.exec(raw);
  const flags = /;; flags: ([^;]*);/.exec(raw);
  const opt = /;; OPT PSEUDOSECTION:\n([\s\S]*?)\n(?:;; QUESTION|\n)/.exec(raw);
  return {
    status: header?.[1] ?? "NONE",
    flags: flags?.[1]!.trim().split(/\s+/) ?? [],
    answer: section("ANSWER"),
    authority: section("AUTHORITY"),
    additional: section("ADDITIONAL"),
    opt: opt?.[1] ?? "",
    raw,
  };
}
