import { describe, expect, it } from "vitest";
import { ewma, poolLayout } from "./rtt.js";

describe("RTT averages", () => {
  it("starts at the first sample, then moves 30% of the way to each new one", () => {
    let avg = ewma(undefined, 20);
    expect(avg).toBe(20);
    avg = ewma(avg, 200); // 20 + 0.3 * 180
    expect(avg).toBeCloseTo(74, 10);
    expect(ewma(avg, 74)).toBeCloseTo(74, 10);
  });

  it("lays pools out by first appearance, each pool once per target", () => {
    const layout = poolLayout([
      { subscribers: [{ pool: "z/b", poolSlot: 7 }, { pool: "z/a", poolSlot: 3 }, { pool: "z/b", poolSlot: 7 }] },
      { subscribers: [{ pool: "z/c", poolSlot: 9 }] },
      { subscribers: [{ pool: "z/a", poolSlot: 3 }] },
    ]);
    expect(layout.pools).toEqual(["z/b", "z/a", "z/c"]);
    expect(layout.poolSlots).toEqual([7, 3, 9]);
    expect(layout.poolsOf).toEqual([[0, 1], [2], [1]]);
  });
});
