import crypto from "node:crypto";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { renderStatus, statusPage } from "./page.js";
import type { StatusSnapshot } from "./snapshot.js";

const evil = `<img src=x onerror="alert(1)">'&`;

function snapshot(): StatusSnapshot {
  const origin = { origin: evil, address: evil, enabled: true, state: "down" as const, forced: null, rtt_ms: 1.234, last_probe: evil, since: "2026-01-01T00:00:00.000Z" };
  return {
    generated_at: "2026-01-01T00:00:01.000Z", ready: true, unknown_health: "up",
    load_balancers: [{
      zone: evil, name: evil, policy: evil, pools: [evil], default_pools: [evil], fallback_pool: evil,
      region_pools: { [evil]: [evil] }, country_pools: {},
      regions: [{ region: "WEU", name: evil, pool: evil, fallback: true, reason: evil }],
    }],
    pools: { [evil]: { [evil]: { pool: evil, enabled: true, state: "down", forced: null, healthy: false, origins_up: 0, minimum_origins: 1, monitor: evil, rtt_ms: null, since: "2026-01-01T00:00:00.000Z", origins: [origin] } } },
    events: [{ seq: 1, time: "2026-01-01T00:00:00.000Z", zone: evil, pool: evil, origin: evil, from: "up", to: "down", forced: null, reason: evil }],
  };
}

describe("the status page", () => {
  it("escapes every string from configuration and probes", () => {
    const html = renderStatus(snapshot());
    expect(html).not.toContain("<img");
    expect(html).not.toContain(`"alert`);
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;");
    expect(html).toContain("1.23 ms");
  });

  it("is one document with no external resource; its CSP allows exactly its own style and script", () => {
    const page = statusPage("0.1.0");
    const html = page.html(null);
    expect(html).not.toMatch(/\b(src|href)=/i);
    expect(html).not.toMatch(/https?:\/\//);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(html)![1]!;
    const sha = (t: string) => `'sha256-${crypto.createHash("sha256").update(t).digest("base64")}'`;
    expect(page.csp).toContain(`script-src ${sha(script)}`);
    expect(page.csp).toContain(`style-src ${sha(style)}`);
    expect(page.csp).toContain("default-src 'none'");
    expect(page.csp).toContain("connect-src 'self'");
  });

  it("runs the same renderer in the page's script (its source is self-contained)", () => {
    const html = statusPage("0.1.0").html(null);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    // The script as a browser would run it, with a fake document and fetch: the render it installs gives the server's HTML.
    const app = { innerHTML: "" };
    let tick: (() => void) | null = null;
    const s = snapshot();
    const done = new Promise<void>((resolve) => {
      vm.runInNewContext(script, {
        document: { getElementById: (id: string) => (id === "app" ? app : null) },
        setTimeout: (f: () => void) => { if (tick === null) { tick = f; } else resolve(); },
        fetch: async () => ({ ok: true, status: 200, json: async () => s }),
      });
      tick!();
    });
    return done.then(() => expect(app.innerHTML).toBe(renderStatus(s)));
  });
});
