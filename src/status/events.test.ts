import { describe, expect, it } from "vitest";
import { EventLog } from "./events.js";

interface E { readonly seq: number; readonly n: number }

describe("EventLog", () => {
  it("keeps the last N events, read after a seq and up to a limit", () => {
    const log = new EventLog<E>(3);
    expect(log.recent()).toEqual([]);
    for (let n = 1; n <= 5; n++) log.emit({ n });
    expect(log.last).toBe(5);
    expect(log.recent().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(log.recent(4).map((e) => e.n)).toEqual([5]);
    expect(log.recent(0, 2).map((e) => e.seq)).toEqual([4, 5]);
    expect(log.recent(5)).toEqual([]);
  });

  it("tells listeners as events happen; one that throws is reported and stops nobody", () => {
    const errors: unknown[] = [];
    const log = new EventLog<E>(10, (err) => errors.push(err));
    const got: number[] = [];
    log.on(() => { throw new Error("bad listener"); });
    const off = log.on((e) => got.push(e.n));
    log.emit({ n: 1 });
    off();
    log.emit({ n: 2 });
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(2);
    expect(log.recent().map((e) => e.n)).toEqual([1, 2]);
  });
});
