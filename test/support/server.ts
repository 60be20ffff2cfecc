// A real gslb server on loopback for tests: zones written to a temp directory, port chosen by the OS.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { silentLogger } from "../../src/log/logger.js";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server.js";

export interface TestServer {
  readonly port: number;
  readonly host: string;
  readonly dir: string;
  readonly server: RunningServer;
  writeZone(file: string, zone: unknown): void;
  close(): Promise<void>;
}

/** `logger`: silent unless a test reads the logs (support/logs.ts). */
export type TestServerOptions = Partial<Omit<ServerOptions, "zonesDir">> & { host?: string };

export async function startTestServer(zones: Record<string, unknown>, options: TestServerOptions = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-test-"));
  const writeZone = (file: string, zone: unknown) =>
    fs.writeFileSync(path.join(dir, file), typeof zone === "string" ? zone : JSON.stringify(zone, null, 2));
  for (const [file, zone] of Object.entries(zones)) writeZone(file, zone);
  const host = options.host ?? "127.0.0.1";
  const server = await startServer({
    watch: false,
    ...options,
    zonesDir: dir,
    listen: options.listen ?? [{ host, port: 0 }],
    logger: options.logger ?? silentLogger(),
  });
  return {
    port: server.addresses[0]!.port,
    host,
    dir,
    server,
    writeZone,
    close: async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The sample zone shipped in zones/, as an object tests can copy and change. */
export function sampleZone(): Record<string, any> {
  const file = new URL("../../zones/lb.example.com.json", import.meta.url);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}
