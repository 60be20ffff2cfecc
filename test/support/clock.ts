// One process's wall clock off, the machine's untouched: Debian's libfaketime (package faketime,
// installed by .ci/run), preloaded into that process only. The offset is read from a file the test
// writes ("-1h", "+0"), so the test can also step the clock while the process runs, as NTP does
// when it corrects a wrong clock. The monotonic clock is left alone
// (FAKETIME_DONT_FAKE_MONOTONIC): a host whose wall clock is wrong still counts seconds right, and
// Node's timers run on the monotonic clock.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** libfaketime's preload library (multiarch path), or null when the package is not installed. */
export const LIBFAKETIME = (() => {
  for (const dir of fs.existsSync("/usr/lib") ? fs.readdirSync("/usr/lib") : []) {
    const p = path.join("/usr/lib", dir, "faketime", "libfaketime.so.1");
    if (fs.existsSync(p)) return p;
  }
  return null;
})();

export interface SkewedClock {
  /** The environment for the process whose clock is off. */
  readonly env: NodeJS.ProcessEnv;
  /** Set the offset ("-1h", "+30m", "+0"); the process sees it within about a second. */
  set(offset: string): void;
  remove(): void;
}

export function skewedClock(offset: string): SkewedClock {
  if (LIBFAKETIME === null) throw new Error("libfaketime is not installed: apt-get install faketime (a skewed clock without touching the machine's)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gslb-clock-"));
  const file = path.join(dir, "faketime");
  const set = (o: string) => fs.writeFileSync(file, `${o}\n`);
  set(offset);
  return {
    env: {
      ...process.env,
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: file,
      // The file is read again every second (libfaketime's default is 10 s).
      FAKETIME_CACHE_DURATION: "1",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    },
    set,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
