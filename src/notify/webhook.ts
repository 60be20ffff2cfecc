// One webhook: a bounded queue of notifications and one delivery at a time (in order), each a
// POST of JSON with node:http(s), signed when a secret is set, retried with exponential backoff
// on network errors, timeouts, 408, 429 and 5xx. Nothing here is awaited by anyone: push()
// returns at once, whatever the receiver does. Failures are logged one line at a time, at most
// one line a minute per webhook (with a count of the lines left out).

import crypto from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { Logger } from "../log/logger.js";

export interface DeliveryOptions {
  /** Attempts per notification, the first included (default 6: 1 + retries after 1, 2, 4, 8, 16 s). */
  readonly tries?: number;
  /** The first retry's wait; each next one doubles (default 1000 ms). */
  readonly retryBaseMs?: number;
  /** Longest wait between tries (default 60 s). */
  readonly retryMaxMs?: number;
  /** One request's time limit, connection to the end of the reply (default 10 s). */
  readonly timeoutMs?: number;
  /** Notifications waiting per webhook at most; beyond it the oldest is dropped (default 1000). */
  readonly queue?: number;
  /** The User-Agent header. */
  readonly userAgent?: string;
}

export interface Notification {
  /** Unique per state change (the same across retries and webhooks): receivers de-duplicate by it. */
  readonly id: string;
  /** The JSON body, as sent. */
  readonly body: string;
}

/** How often one webhook's failures are logged at most. */
const LOG_EVERY_MS = 60_000;

export class WebhookTarget {
  private readonly queue: Notification[] = [];
  private busy = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private request: http.ClientRequest | null = null;
  private readonly url: URL;
  private readonly opts: Required<DeliveryOptions>;
  private lastLog = 0;
  private unlogged = 0;
  private dropped = 0;
  /** Delivered, given up (after every try or on a 4xx), dropped (queue full): for tests and logs. */
  readonly counts = { delivered: 0, failed: 0, dropped: 0 };

  constructor(url: string, private readonly secret: string | null, private readonly log: Logger, options: DeliveryOptions = {}) {
    this.url = new URL(url);
    this.opts = {
      tries: options.tries ?? 6, retryBaseMs: options.retryBaseMs ?? 1000, retryMaxMs: options.retryMaxMs ?? 60_000,
      timeoutMs: options.timeoutMs ?? 10_000, queue: options.queue ?? 1000, userAgent: options.userAgent ?? "gslb",
    };
  }

  /** The URL as logs show it: no user name, password or query (they may hold a token). */
  get shown(): string {
    return `${this.url.protocol}//${this.url.host}${this.url.pathname}`;
  }

  /** Queue a notification; returns at once. */
  push(n: Notification): void {
    if (this.stopped) return;
    this.queue.push(n);
    if (this.queue.length > this.opts.queue) {
      // The oldest not in flight (the one being sent finishes its tries).
      this.queue.splice(this.busy ? 1 : 0, 1);
      this.counts.dropped++;
      // Logged once per run of drops, with the count, when the queue has room again.
      if (this.dropped++ === 0) this.log.warn({ webhook: this.shown, queue: this.opts.queue }, "webhook queue full: the oldest notifications are dropped");
    }
    this.next();
  }

  /** Stop: what waits is dropped, the request in flight is abandoned. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.request?.destroy();
  }

  /** Notifications waiting or in flight. */
  get pending(): number {
    return this.queue.length;
  }

  private next(): void {
    if (this.busy || this.stopped || this.queue.length === 0) return;
    this.busy = true;
    if (this.dropped > 0 && this.queue.length < this.opts.queue) {
      this.log.warn({ webhook: this.shown, dropped: this.dropped }, `webhook queue was full: ${this.dropped} notifications dropped`);
      this.dropped = 0;
    }
    this.attempt(this.queue[0]!, 1);
  }

  private attempt(n: Notification, tryNo: number): void {
    this.send(n).then((outcome) => {
      if (this.stopped) return;
      if (outcome.ok) {
        this.counts.delivered++;
        return this.done(n);
      }
      const last = tryNo >= this.opts.tries || !outcome.retry;
      const wait = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (tryNo - 1));
      this.failed(n, outcome.reason, tryNo, last ? null : wait);
      if (last) {
        this.counts.failed++;
        return this.done(n);
      }
      this.timer = setTimeout(() => { this.timer = null; if (!this.stopped) this.attempt(n, tryNo + 1); }, wait);
      this.timer.unref();
    }, () => {});
  }

  private done(n: Notification): void {
    if (this.queue[0] === n) this.queue.shift();
    this.busy = false;
    this.next();
  }

  private failed(n: Notification, reason: string, tryNo: number, retryInMs: number | null): void {
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) { this.unlogged++; return; }
    this.lastLog = now;
    const more = this.unlogged > 0 ? ` (${this.unlogged} more failures since the last line)` : "";
    this.unlogged = 0;
    this.log.warn({ webhook: this.shown, event: n.id, reason, attempt: tryNo, of: this.opts.tries, retryInMs },
      `webhook delivery failed: ${reason}; ${retryInMs === null ? "given up" : `retry in ${retryInMs / 1000} s`}${more}`);
  }

  /** One POST: ok on a 2xx; retry on a network error, a timeout, 408, 429 or 5xx. Never rejects. */
  private send(n: Notification): Promise<{ ok: true } | { ok: false; retry: boolean; reason: string }> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = Buffer.from(n.body, "utf8");
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "content-length": String(body.length),
      "user-agent": this.opts.userAgent,
      "x-gslb-event-id": n.id,
      "idempotency-key": n.id,
      "x-gslb-timestamp": timestamp,
    };
    if (this.secret !== null) headers["x-gslb-signature"] = `sha256=${sign(this.secret, timestamp, n.body)}`;
    if (this.url.username !== "" || this.url.password !== "") {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(this.url.username)}:${decodeURIComponent(this.url.password)}`).toString("base64")}`;
    }
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r: { ok: true } | { ok: false; retry: boolean; reason: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.request = null;
        resolve(r);
      };
      const lib = this.url.protocol === "https:" ? https : http;
      const req = lib.request(this.url, { method: "POST", headers, agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        res.on("end", () => finish(status >= 200 && status < 300 ? { ok: true } : { ok: false, retry: status === 408 || status === 429 || status >= 500, reason: `HTTP ${status}` }));
        res.on("error", (err) => finish({ ok: false, retry: true, reason: oneLine(err) }));
      });
      this.request = req;
      const timer = setTimeout(() => { finish({ ok: false, retry: true, reason: `no answer within ${this.opts.timeoutMs / 1000} s` }); req.destroy(); }, this.opts.timeoutMs);
      timer.unref();
      req.on("error", (err) => finish({ ok: false, retry: true, reason: oneLine(err) }));
      req.end(body);
    });
  }
}

/** The signature: hex HMAC-SHA256 of "<timestamp>.<body>" with the secret. */
export function sign(secret: string, timestamp: string, body: string): string {
  return crypto.createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

function oneLine(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined ? `${code}${err.message.includes(code) ? "" : `: ${err.message}`}` : err.message.split("\n")[0]!;
}
