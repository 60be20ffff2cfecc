// Which webhooks hear of which state change. The status side's health events (status/health.ts:
// every origin and pool state change, with its reason) are filtered here (the pool's
// notification_filter, then each webhook's pools and filter) and handed to the webhooks'
// queues (webhook.ts). The listener only filters and queues: it never waits for a receiver.
// It runs where the health table is, the primary with --workers N, so each change is sent once.

import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Balancing, FilterOptions, NotificationFilter } from "../balancing/model.js";
import type { Logger } from "../log/logger.js";
import type { EventLog } from "../status/events.js";
import type { StateChange } from "../status/health.js";
import { WebhookTarget, type DeliveryOptions } from "./webhook.js";

/** A webhook given on the command line (gslb serve --webhook): every zone, every pool. */
export interface ServerWebhook {
  readonly url: string;
  /** The HMAC secret (--webhook-secret-file), or null: unsigned. */
  readonly secret: string | null;
}

export interface NotifierOptions {
  readonly webhooks: readonly ServerWebhook[];
  /** Zone files' secret_file paths are relative to it. */
  readonly zonesDir: string;
  readonly logger: Logger;
  readonly delivery?: DeliveryOptions;
}

/** What a receiver is POSTed (README.md, "Notifications (webhooks)"). */
export interface NotificationBody {
  readonly id: string;
  readonly type: "origin" | "pool";
  readonly zone: string;
  readonly pool: string;
  readonly origin: string | null;
  readonly from: StateChange["from"];
  readonly to: StateChange["to"];
  /** true: up (or forced up); false: down (or forced down); null: neither (drained, unknown). */
  readonly healthy: boolean | null;
  readonly forced: "up" | "down" | null;
  readonly reason: string;
  readonly time: string;
  readonly server: string;
}

interface Route {
  readonly target: WebhookTarget;
  /** null: every zone (a server webhook). */
  readonly zone: string | null;
  readonly pools: ReadonlySet<string> | null;
  readonly filter: NotificationFilter | null;
}

export class Notifier {
  private readonly targets = new Map<string, WebhookTarget>();
  private routes: Route[] = [];
  private balancing: ReadonlyMap<string, Balancing> = new Map();
  private readonly unsubscribe: () => void;
  /** Event ids are this process's run and the event's seq: unique across restarts. */
  private readonly run = crypto.randomBytes(6).toString("hex");
  private readonly server = os.hostname();

  constructor(events: EventLog<StateChange>, private readonly options: NotifierOptions) {
    this.unsubscribe = events.on((e) => this.notify(e));
  }

  /** A load of the zones: each zone's webhooks (secrets read again) and pools' filters. Targets whose URL and secret stay keep their queues. */
  configure(all: ReadonlyMap<string, Balancing>): void {
    const log = this.options.logger;
    this.balancing = all;
    const routes: Route[] = [];
    const keep = new Map<string, WebhookTarget>();
    const target = (url: string, secret: string | null) => {
      const key = `${url}\0${secret ?? ""}`;
      let t = keep.get(key) ?? this.targets.get(key);
      t ??= new WebhookTarget(url, secret, log, this.options.delivery);
      keep.set(key, t);
      return t;
    };
    for (const w of this.options.webhooks) routes.push({ target: target(w.url, w.secret), zone: null, pools: null, filter: null });
    for (const b of all.values()) {
      b.webhooks.forEach((w, i) => {
        let secret: string | null = null;
        if (w.secretFile !== null) {
          const file = path.resolve(this.options.zonesDir, w.secretFile);
          secret = readSecret(file);
          if (secret === null) {
            log.error({ zone: b.origin, file }, `zone ${b.origin}: notifications.webhooks[${i}]: secret_file ${JSON.stringify(w.secretFile)} is unreadable or empty: this webhook is not sent to`);
            return;
          }
        }
        routes.push({ target: target(w.url, secret), zone: b.origin, pools: w.pools === null ? null : new Set(w.pools), filter: w.filter });
      });
    }
    for (const [key, t] of this.targets) if (!keep.has(key)) t.stop();
    const before = this.targets.size;
    this.targets.clear();
    for (const [key, t] of keep) this.targets.set(key, t);
    this.routes = routes;
    if (this.targets.size !== before || before === 0 && this.targets.size > 0) {
      log.info({ webhooks: [...this.targets.values()].map((t) => t.shown) }, `notifications: ${this.targets.size} webhook${this.targets.size === 1 ? "" : "s"}`);
    }
  }

  /** The webhooks now (tests). */
  webhooks(): readonly WebhookTarget[] {
    return [...this.targets.values()];
  }

  stop(): void {
    this.unsubscribe();
    for (const t of this.targets.values()) t.stop();
    this.targets.clear();
    this.routes = [];
  }

  private notify(e: StateChange): void {
    if (this.routes.length === 0) return;
    // A first check that finds an origin up changes nothing anyone needs to hear of.
    if (e.from === "unknown" && e.to === "up") return;
    const type = e.origin === null ? "pool" : "origin";
    const healthy = healthOf(e);
    const pool = this.balancing.get(e.zone)?.pools.get(e.pool);
    if (!passes(pool?.notificationFilter ?? null, type, healthy)) return;
    const to = new Set<WebhookTarget>();
    for (const r of this.routes) {
      if (r.zone !== null && r.zone !== e.zone) continue;
      if (r.pools !== null && !r.pools.has(e.pool)) continue;
      if (!passes(r.filter, type, healthy)) continue;
      to.add(r.target);
    }
    if (to.size === 0) return;
    const id = `${this.run}-${e.seq}`;
    const body: NotificationBody = {
      id, type, zone: e.zone, pool: e.pool, origin: e.origin, from: e.from, to: e.to, healthy, forced: e.forced, reason: e.reason, time: e.time, server: this.server,
    };
    const n = { id, body: JSON.stringify(body) };
    for (const t of to) t.push(n);
  }
}

function healthOf(e: StateChange): boolean | null {
  if (e.to === "up") return true;
  if (e.to === "down") return false;
  if (e.to === "forced") return e.forced === "up";
  return null;
}

/** Cloudflare's notification_filter: `disable` drops the kind; `healthy` keeps that health only (null: both). */
export function passes(filter: NotificationFilter | null, type: "origin" | "pool", healthy: boolean | null): boolean {
  const f: FilterOptions | null = filter?.[type] ?? null;
  if (f === null) return true;
  if (f.disable) return false;
  return f.healthy === null || f.healthy === healthy;
}

/** A secret file's first line, trimmed; null when unreadable or empty. */
export function readSecret(file: string): string | null {
  try {
    const line = (fs.readFileSync(file, "utf8").split(/\r?\n/)[0] ?? "").trim();
    return line === "" ? null : line;
  } catch {
    return null;
  }
}
