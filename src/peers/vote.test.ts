import { describe, expect, it } from "vitest";
import { vote, type Verdict } from "./vote.js";

const v = (instance: string, region: Verdict["region"], state: Verdict["state"]): Verdict => ({ instance, region, state });

describe("vote", () => {
  it("down when a majority of regions is down; a tie is up", () => {
    expect(vote([v("a", "WEU", "down"), v("b", "ENAM", "down"), v("c", "SEAS", "up")], null).state).toBe("down");
    expect(vote([v("a", "WEU", "down"), v("b", "ENAM", "up"), v("c", "SEAS", "up")], null).state).toBe("up");
    // Two name servers that disagree: up (one instance's blip does not take the origin out everywhere).
    expect(vote([v("a", "WEU", "down"), v("b", "ENAM", "up")], null).state).toBe("up");
    expect(vote([v("a", "WEU", "down")], null).state).toBe("down");
  });
  it("instances of one region decide that region first (Cloudflare's data centers in a region)", () => {
    // WEU: 2 of 3 down → WEU down; ENAM up; one region each way: a tie → up.
    const o = vote([v("a", "WEU", "down"), v("b", "WEU", "down"), v("c", "WEU", "up"), v("d", "ENAM", "up")], null);
    expect(o).toEqual({ state: "up", counted: 4, down: 2, regions: 2, regionsDown: 1 });
    // A region's tie is up.
    expect(vote([v("a", "WEU", "down"), v("b", "WEU", "up"), v("c", "ENAM", "down")], null).state).toBe("up");
  });
  it("only check_regions vote; none of them: no outcome (the caller keeps its own verdict)", () => {
    const all = [v("a", "WEU", "down"), v("b", "ENAM", "up"), v("c", "ENAM", "up"), v("d", null, "up")];
    expect(vote(all, new Set(["WEU"])).state).toBe("down");
    expect(vote(all, new Set(["WEU", "ENAM"])).state).toBe("up");
    expect(vote(all, new Set(["SEAS"]))).toEqual({ state: null, counted: 0, down: 0, regions: 0, regionsDown: 0 });
  });
  it("instances without a region each count as a region of their own", () => {
    expect(vote([v("a", null, "down"), v("b", null, "down"), v("c", "WEU", "up")], null).state).toBe("down");
  });
});
