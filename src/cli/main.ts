#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2
// gslb <command>: one file per command in this folder; this one only dispatches.
// The flag: a young generation of 2 MB a half instead of 16 keeps a serving process's RSS about
// 30 MB lower under load at the same qps (docs/benchmarks.md); answering workers get it too (server/cluster.ts).
// The variable: glibc's mmap threshold fixed, so that freed tables leave RSS (server/memory.ts).

import { UsageError } from "./args.js";

const HELP = `Usage: gslb <command> [options]

Commands:
  serve     serve the zone files as an authoritative DNS server
  check     validate zone files without serving
  explain   show what a client would get for a name, and why
  health    run one round of health checks now and show every pool
  schema    print the zone file JSON Schema
  import    import cloudflare: Cloudflare Load Balancing API JSON into a zone file
  export    export cloudflare: a zone's load balancing as Cloudflare API payloads
  cluster   cluster status: the instances voting on health through etcd

Run "gslb <command> --help" for a command's options.
`;

const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  serve: async () => (await import("./serve.js")).serve,
  check: async () => (await import("./check.js")).check,
  explain: async () => (await import("./explain.js")).explain,
  health: async () => (await import("./health.js")).health,
  schema: async () => (await import("./schema.js")).schema,
  import: async () => (await import("./import.js")).importCommand,
  export: async () => (await import("./export.js")).exportCommand,
  cluster: async () => (await import("./cluster.js")).cluster,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === "--version") {
    process.stdout.write(`${(await import("../server.js")).VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[command];
  if (load === undefined) {
    process.stderr.write(`gslb: unknown command ${JSON.stringify(command)}; commands: ${Object.keys(COMMANDS).join(", ")}\n`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`gslb ${command}: ${err.message} (see gslb ${command} --help)\n`);
      return 2;
    }
    throw err;
  }
}

// A reader that stops early (`gslb schema | head`) closes the pipe: that ends the output, as it
// does for any Unix tool, not the process with a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`gslb: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
