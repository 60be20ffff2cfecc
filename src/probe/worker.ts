// The prober's process: probes run here, off the DNS event loop and at a lower CPU priority, so
// probing cannot delay an answer. Messages go in (targets, "first round"), results come out.

import { Prober, type Target } from "./scheduler.js";
import type { ToWorker, FromWorker, ResultTuple } from "./thread.js";

const post = (m: FromWorker) => process.send!(m);

// Results go out in batches (every 250 ms, or sooner with a state change): thousands of probes a
// second must not mean thousands of wake-ups for the DNS server.
const BATCH_MS = 250;
let batch: ResultTuple[] = [];
let flushTimer: NodeJS.Timeout | null = null;
const flush = () => {
  if (flushTimer !== null) { clearTimeout(flushTimer); flushTimer = null; }
  if (batch.length > 0) { post({ kind: "results", results: batch }); batch = []; }
};

const prober = new Prober({
  onResult: (t, r, state) => {
    batch.push([t.key, r.ok, r.rttMs, r.reason, state]);
    flushTimer ??= setTimeout(flush, BATCH_MS);
  },
  // A transition is sent at once, after the results that led to it: failover waits for no batch.
  onTransition: (t, tr) => { flush(); post({ kind: "transition", key: t.key, from: tr.from, to: tr.to, reason: tr.reason }); },
});

// The DNS server going away (crash or kill) takes the prober with it.
process.on("disconnect", () => process.exit(0));

process.on("message", (m: ToWorker) => {
  switch (m.kind) {
    case "update":
      prober.update(m.targets as Target[]);
      break;
    case "firstRound":
      void prober.firstRound(m.deadlineMs).then(() => { flush(); post({ kind: "firstRoundDone", id: m.id }); });
      break;
    case "stop":
      prober.stop();
      process.exit(0);
  }
});
