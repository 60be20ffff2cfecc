// The README read as the tests run it: the commands of its sh blocks, and the files it asks the
// reader to write (a code block right after `<!-- file: PATH -->`), each with its section.

import fs from "node:fs";
import path from "node:path";

export const root = new URL("../..", import.meta.url).pathname;
export const readmePath = path.join(root, "README.md");

export interface Command {
  readonly kind: "command";
  /** The command: continuation lines joined, the trailing comment apart, spaces collapsed. */
  readonly text: string;
  /** The trailing comment (`# ...`), or "". */
  readonly comment: string;
  readonly line: number;
  /** The `## ` heading it is under. */
  readonly section: string;
}

export interface FileBlock {
  readonly kind: "file";
  readonly path: string;
  readonly content: string;
  readonly line: number;
  readonly section: string;
}

export type Step = Command | FileBlock;

export function readmeSteps(text = fs.readFileSync(readmePath, "utf8")): Step[] {
  const lines = text.split("\n");
  const out: Step[] = [];
  let section = "";
  let fence: "sh" | "file" | "other" | null = null;
  let filePath = "";
  let fileLines: string[] = [];
  let fileStart = 0;
  let pendingFile: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (fence === null && l.startsWith("## ")) section = l.slice(3).trim();
    const marker = /^<!-- file: (\S+) -->$/.exec(l.trim());
    if (fence === null && marker !== null) { pendingFile = marker[1]!; continue; }
    if (l.trimStart().startsWith("```")) {
      if (fence === null) {
        if (pendingFile !== null) { fence = "file"; filePath = pendingFile; fileLines = []; fileStart = i + 2; }
        else fence = l.trim() === "```sh" ? "sh" : "other";
        pendingFile = null;
      } else {
        if (fence === "file") out.push({ kind: "file", path: filePath, content: fileLines.join("\n") + "\n", line: fileStart, section });
        fence = null;
      }
      continue;
    }
    if (l.trim() !== "") pendingFile = null;
    if (fence === "file") { fileLines.push(l); continue; }
    if (fence !== "sh" || l.trim() === "" || l.trimStart().startsWith("#")) continue;
    let cmd = l;
    const start = i;
    while (cmd.endsWith("\\") && i + 1 < lines.length) cmd = cmd.slice(0, -1) + " " + lines[++i]!.trim();
    const hash = cmd.search(/\s{2,}# /);
    out.push({
      kind: "command",
      text: (hash < 0 ? cmd : cmd.slice(0, hash)).trim().replace(/\s+/g, " "),
      comment: hash < 0 ? "" : cmd.slice(hash).trim(),
      line: start + 1,
      section,
    });
  }
  return out;
}

export function readmeCommands(): Command[] {
  return readmeSteps().filter((s): s is Command => s.kind === "command");
}

/** The section the walkthrough is in: test/walkthrough.test.ts runs it, in order. */
export const WALKTHROUGH = "Your first load balancer";
