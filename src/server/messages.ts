// What the primary and its answering workers say to each other (cluster.ts, worker.ts), over
// Node's IPC channel with "advanced" serialization (Buffers and NaN cross as they are).

import type { SlotHealth, OverrideState } from "../health/table.js";
import type { RrlStats } from "../query/rrl.js";
import type { TcpStats } from "../transport/tcp.js";
import type { ListenAddress } from "../transport/types.js";
import type { AnsweringOptions, AnswerStats } from "./answering.js";
import type { CountersSnapshot } from "../query/counters.js";

export type Files = [file: string, text: string][];

export interface WorkerStart {
  readonly t: "start";
  readonly index: number;
  readonly logLevel: string;
  readonly unknownHealth: "up" | "down";
  readonly answering: Omit<AnsweringOptions, "random">;
  readonly version: number;
  readonly files: Files;
  readonly health: SlotHealth[];
  readonly overrides: [string, OverrideState][];
}

export type ToWorker =
  | WorkerStart
  | { readonly t: "load"; readonly version: number; readonly files: Files }
  | { readonly t: "health"; readonly changes: SlotHealth[] }
  | { readonly t: "overrides"; readonly active: [string, OverrideState][] }
  /** The status API is scraped: answered with "metrics" (counters are never sent unasked). */
  | { readonly t: "metrics"; readonly id: number }
  /** Stop answering: finish TCP replies for at most drainMs, then exit. */
  | { readonly t: "stop"; readonly drainMs: number };

export type FromWorker =
  /** Listening for messages: what is sent before this is lost (an ES module loads after the channel opens). */
  | { readonly t: "hello" }
  | { readonly t: "ready"; readonly version: number; readonly addresses: ListenAddress[] }
  | { readonly t: "failed"; readonly message: string }
  /** A configuration version applied (sent at once: the primary tells when every worker has it). */
  | { readonly t: "loaded"; readonly version: number }
  | { readonly t: "stats"; readonly queries: number; readonly tcp: TcpStats; readonly rrl: RrlStats; readonly answers: AnswerStats }
  | ({ readonly t: "metrics"; readonly id: number } & WorkerFigures);

/** What a worker has counted since it started (the primary sums its workers', and keeps a dead one's last). */
export interface WorkerFigures {
  readonly counters: CountersSnapshot | null;
  readonly tcp: TcpStats;
  readonly rrl: RrlStats;
  readonly answers: AnswerStats;
}
