// docs/architecture.md's promises about the source tree, checked on every run: no import cycles
// (value or type imports, re-exports included), and arrows between folders that point one way.

import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL("../src", import.meta.url).pathname;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

const graph = new Map<string, string[]>();
for (const file of sources(SRC)) {
  const text = fs.readFileSync(file, "utf8");
  const deps = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/g)]
    .map((m) => path.normalize(path.join(path.dirname(file), m[1]!.replace(/\.js$/, ".ts"))));
  graph.set(file, deps);
}
const folderOf = (f: string) => path.relative(SRC, f).split(path.sep)[0]!.replace(/\.ts$/, "");

describe("the source tree", () => {
  it("has no import cycles between files", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, "open");
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === "open") cycles.push(stack.slice(stack.indexOf(d)).concat(d).map((x) => path.relative(SRC, x)).join(" → "));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, "done");
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
    expect(graph.size).toBeGreaterThan(50);
  });

  it("has arrows between folders that point one way", () => {
    const edges = new Set<string>();
    for (const [f, deps] of graph) for (const d of deps) if (folderOf(f) !== folderOf(d)) edges.add(`${folderOf(f)} → ${folderOf(d)}`);
    const twoWay = [...edges].filter((e) => edges.has(e.split(" → ").reverse().join(" → ")));
    expect(twoWay).toEqual([]);
    // The zone knows load balancers by name only; the wire codec knows nothing of ours.
    expect([...edges].filter((e) => e.startsWith("zone → balancing") || e.startsWith("wire → "))).toEqual([]);
  });
});
