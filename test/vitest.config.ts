import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Servers under test bind loopback ports; files run in parallel on separate ports.
    pool: "forks",
    // CI asks for a JSON report too (for its one-line summary); people get the default reporter.
    reporters: process.env.GSLB_VITEST_JSON ? ["default", "json"] : ["default"],
    outputFile: process.env.GSLB_VITEST_JSON ? { json: process.env.GSLB_VITEST_JSON } : undefined,
  },
});
