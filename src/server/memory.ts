// What a serving process sets of its own memory (docs/decisions.md, "A serving process's memory").
// Measured over rounds of scripts/bench's query files (scripts/memory-rounds, docs/benchmarks.md
// "Under 150 MB with every cache at its bound"): with V8's and glibc's defaults the answering
// process reached 167-212 MiB for a live heap of ~38 MiB, V8 letting the heap grow up to 4× the
// live size before a major GC, and glibc's brk heap keeping tens of MiB freed inside it.

import v8 from "node:v8";

/** A major GC once the old generation is 1.2× what the last one left alive, not up to 4×. */
const HEAP_GROWING_PERCENT = 20;

/**
 * Sets V8's heap growing factor for this process (read by V8 at each major GC, so setting it
 * once started works), unless the operator gave node a --heap-growing-percent of their own.
 */
export function tuneHeap(): void {
  if (process.execArgv.some((a) => a.startsWith("--heap-growing-percent"))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * The environment for the processes a server starts (workers, the prober): glibc's mmap threshold
 * fixed at its default of 128 KiB. Left dynamic, the first large buffer freed (the GeoIP table's
 * build) raises it to that size, and every table allocated after comes from the brk heap, where
 * what is freed stays resident. The CLI's shebang sets the same for the process it starts.
 */
export function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? String(128 << 10) };
}
