// Preloaded into a gslb server by scripts/fuzz and scripts/soak (node --expose-gc --import this):
// on SIGUSR2, collect garbage twice and print one JSON line with the memory figures to stderr, so
// "memory flat" is measured after the garbage is gone rather than whenever V8 got to it. The
// server's own code is not touched: this only adds a signal handler.
process.on("SIGUSR2", () => {
  if (typeof globalThis.gc === "function") { globalThis.gc(); globalThis.gc(); }
  const m = process.memoryUsage();
  process.stderr.write(JSON.stringify({ gcHook: true, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers }) + "\n");
});
