// The prober's thread: probes run here, off the DNS event loop, so no amount of probing can delay
// an answer. Messages go in (targets, "first round") and results come out, one way.

import { parentPort } from "node:worker_threads";
import { Prober, type Target } from "./scheduler.js";
import type { ToWorker, FromWorker } from "./thread.js";

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const prober = new Prober({
  onResult: (t, r, state) => post({ kind: "result", key: t.key, ok: r.ok, rttMs: r.rttMs, reason: r.reason, state }),
  onTransition: (t, tr) => post({ kind: "transition", key: t.key, from: tr.from, to: tr.to, reason: tr.reason }),
});

port.on("message", (m: ToWorker) => {
  switch (m.kind) {
    case "update":
      prober.update(m.targets as Target[]);
      break;
    case "firstRound":
      void prober.firstRound(m.deadlineMs).then(() => post({ kind: "firstRoundDone", id: m.id }));
      break;
    case "stop":
      prober.stop();
      port.close();
      break;
  }
});
