// This instance in an etcd cluster (gslb serve --etcd): it publishes its own verdicts and its
// instance record under a lease (so that a dead instance's word expires by itself), reads every
// other instance's, and the operators' overrides written through any instance's API. It runs in the
// primary (control) process only; nothing here is on the DNS path: verdicts go into VotedHealth
// (health.ts), in memory, and writes happen in the background.
//
// Keys, under the prefix (--etcd-prefix, default /gslb/):
//   instances/NAME             this instance: region, pop, version, zones (serial, digest)   lease
//   verdicts/NAME/TARGET       its verdict on one probe target: {s, r, t}                      lease
//   rtt/NAME/N                 its RTT averages, {TARGET: ms}, RTT_CHUNK targets a key          lease
//   overrides/ZONE/POOL[/ORIGIN]  an override, as an _overrides.json entry                    no lease
//
// When etcd cannot be reached (the lease's keep-alives fail for twice its TTL, or the watch stays
// disconnected for GRACE_MS), the instance is "degraded": it answers from its own verdicts, says so
// once in the log, on /readyz's body, /api/v1/cluster and gslb_etcd_degraded, and keeps trying;
// once etcd answers again it takes a new lease, publishes everything and reads everything again.

import fs from "node:fs";
import { Etcd3, type IKeyValue, type IOptions, type Lease, type Watcher } from "etcd3";
import type { Logger } from "../log/logger.js";
import { isRegionCode, type RegionCode } from "../locate/regions.js";
import type { VotedHealth, Published } from "./health.js";

export interface EtcdOptions {
  /** Client URLs (http:// or https://). */
  readonly endpoints: readonly string[];
  /** Key prefix, ending in "/". */
  readonly prefix: string;
  /** Lease TTL in seconds (etcd raises it to its own minimum). */
  readonly leaseTtlS: number;
  /** TLS: CA, and a client certificate and key (files). */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly user?: string;
  readonly password?: string;
}

export interface InstanceIdentity {
  readonly instance: string;
  readonly region: RegionCode | null;
  readonly pop: string | null;
  readonly version: string;
}

/** A zone as loaded at an instance: its serial and a digest of its file's served text. */
export interface ZoneSummary {
  readonly zone: string;
  readonly serial: number;
  readonly digest: string;
}

export interface InstanceRecord extends InstanceIdentity {
  readonly started: string;
  readonly zones: readonly ZoneSummary[];
}

export interface PeerInstance {
  readonly record: InstanceRecord;
  /** ms since the epoch (this instance's clock): when its record last arrived (or now, for itself). */
  readonly lastSeen: number;
  /** ms since then, on the monotonic clock (right across a step of the wall clock). */
  readonly ageMs: number;
  /** Its record expired (lease gone): kept to be shown, no longer voting. */
  readonly gone: boolean;
  readonly self: boolean;
}

export interface OverrideEntry { readonly [key: string]: unknown }

/** connecting: at start; reconnecting: the lease or the watch was lost, a new one is being made (GRACE_MS at most, last known verdicts kept); degraded: etcd unreachable, own verdicts only. */
export type EtcdState = "connecting" | "connected" | "reconnecting" | "degraded";

/** The watch may be down this long before the instance counts as degraded (a member restarting). */
const GRACE_MS = 3000;
/** Retry connecting after this, doubling up to MAX. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;
/** Unary calls give up after this (a slow etcd never holds anything but the background writes). */
const CALL_DEADLINE_MS = 3000;
/** Verdicts are gathered this long before one write (a partial outage moves many targets at once). */
const FLUSH_MS = 50;
/** etcd's --max-txn-ops is 128 by default. */
const TXN_OPS = 100;
/** The instance record is rewritten this often (its `lastSeen` for the others). */
const HEARTBEAT_MS = 10_000;
/** RTT averages are published at most this often (and at once on a new lease). */
const RTT_PUBLISH_MS = 15_000;
/** Targets per RTT key: 2,000 × ~35 bytes stays far below etcd's 1.5 MiB request limit. */
const RTT_CHUNK = 2000;
/** Instances whose record expired are still shown this long. */
const GONE_KEPT_MS = 3_600_000;

export class EtcdPeers {
  private readonly client: Etcd3;
  private state: EtcdState = "connecting";
  private stateSince = Date.now();
  private lastError: string | null = null;
  private closed = false;
  private lease: Lease | null = null;
  private leaseId: string | null = null;
  /** Monotonic (performance.now()), as every duration here: a wall clock stepped (NTP correcting it) is no lost lease. */
  private lastKeepalive = 0;
  private watcher: Watcher | null = null;
  private watchDownSince: number | null = null;
  private readonly dirty = new Set<string>();
  /** Target ids whose verdict this instance has (or may still have, under a lease just lost) in etcd: to delete them when they go. */
  private readonly published = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing = false;
  private tick: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private rttTimer: NodeJS.Timeout | null = null;
  /** RTT chunks as last written (to write only those that moved). */
  private readonly rttWritten = new Map<number, Record<string, number>>();
  private zones: readonly ZoneSummary[] = [];
  private readonly started = new Date().toISOString();
  /** Other instances; `seenAt`: when their record last arrived (monotonic). */
  private readonly instances = new Map<string, { record: InstanceRecord; seenAt: number; gone: boolean }>();
  private overrides = new Map<string, OverrideEntry>();
  private firstSync: () => void = () => {};
  private readonly synced: Promise<void>;
  private session = 0;
  /** During a full read: instance regions and verdicts gathered, to be applied at once (no half-read vote). */
  private bulk: { regions: Map<string, RegionCode | null>; verdicts: [string, string, Published][] } | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private warnedTwin = false;
  /** Writes to etcd since start (puts and deletes, each key counted), for the metric. */
  writes = 0;

  constructor(
    private readonly options: EtcdOptions,
    private readonly me: InstanceIdentity,
    private readonly voted: VotedHealth,
    private readonly log: Logger,
    /** The overrides in etcd changed: every entry now. */
    private readonly onOverrides: (entries: readonly OverrideEntry[]) => void,
    /** Degraded or connected again (the status side's figures). */
    private readonly onState: (state: EtcdState) => void = () => {},
  ) {
    this.client = new Etcd3(clientOptions(options));
    this.synced = new Promise((r) => { this.firstSync = r; });
  }

  /** Start connecting (in the background: nothing waits for etcd). */
  start(): void {
    void this.connectLoop();
    this.tick = setInterval(() => this.check(), 500);
    this.tick.unref();
  }

  /** Resolves once the first full read from etcd is done, or after `ms`. */
  async ready(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([this.synced.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); })]);
    clearTimeout(timer);
    return done;
  }

  /** Answering from this instance's own verdicts only: etcd not reached yet, or unreachable. */
  get degraded(): boolean {
    return this.state === "connecting" || this.state === "degraded";
  }

  get status(): { state: EtcdState; since: number; lastError: string | null; endpoints: readonly string[]; prefix: string; leaseTtlS: number } {
    return { state: this.state, since: this.stateSince, lastError: this.lastError, endpoints: this.options.endpoints, prefix: this.options.prefix, leaseTtlS: this.options.leaseTtlS };
  }

  /** Every instance known: this one first, then the others by name. */
  peers(): PeerInstance[] {
    // An age on the monotonic clock, a time on the wall clock now: right even if the wall clock was stepped since.
    const now = Date.now(), mono = performance.now();
    const self: PeerInstance = { record: this.record(), lastSeen: now, ageMs: 0, gone: false, self: true };
    const others = [...this.instances.entries()].filter(([name]) => name !== this.me.instance).sort(([a], [b]) => a.localeCompare(b))
      .map(([, i]) => ({ record: i.record, lastSeen: now - (mono - i.seenAt), ageMs: mono - i.seenAt, gone: i.gone, self: false }));
    return [self, ...others];
  }

  /** The overrides in etcd, by key ("zone/pool[/origin]"). */
  overrideEntries(): ReadonlyMap<string, OverrideEntry> {
    return this.overrides;
  }

  /** This instance's own verdict on a target changed: written soon (gathered for FLUSH_MS). */
  ownChanged(id: string): void {
    this.dirty.add(id);
    this.scheduleFlush();
  }

  /** The targets changed (a reload): verdicts of targets no longer probed are withdrawn, new ones written. */
  targetsChanged(): void {
    const now = new Set(this.voted.ids());
    for (const id of this.published) if (!now.has(id)) this.dirty.add(id);
    for (const id of now) if (!this.published.has(id)) this.dirty.add(id);
    this.scheduleFlush();
  }

  /** The zones as loaded here (serial and digest each), for the instance record. */
  setZones(zones: readonly ZoneSummary[]): void {
    this.zones = zones;
    if (this.state === "connected") void this.writeRecord().catch((err) => this.failed("writing the instance record", err));
  }

  /** Write an override for every instance (key "zone/pool[/origin]"); rejects when etcd does not take it. */
  async putOverride(key: string, entry: OverrideEntry): Promise<void> {
    await this.client.put(`${this.options.prefix}overrides/${key}`).value(JSON.stringify(entry));
    this.writes++;
  }

  /** Remove an override for every instance; false when there was none. */
  async deleteOverride(key: string): Promise<boolean> {
    const r = await this.client.delete().key(`${this.options.prefix}overrides/${key}`).exec();
    this.writes++;
    return Number(r.deleted) > 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.tick !== null) clearInterval(this.tick);
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    if (this.rttTimer !== null) clearInterval(this.rttTimer);
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    await this.watcher?.cancel().catch(() => {});
    // A graceful stop withdraws this instance's verdicts now rather than at the lease's expiry.
    if (this.lease !== null && this.state === "connected") await withTimeout(this.lease.revoke(), 1000).catch(() => {});
    this.client.close();
  }

  // ------------------------------------------------------------------ the connection

  private async connectLoop(): Promise<void> {
    let delay = RETRY_MIN_MS;
    while (!this.closed) {
      const session = ++this.session;
      try {
        await this.connect(session);
        return;
      } catch (err) {
        if (this.closed) return;
        this.teardown();
        this.noteError("connecting", err);
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
  }

  private async connect(session: number): Promise<void> {
    const prefix = this.options.prefix;
    const lease = this.client.lease(this.options.leaseTtlS, { autoKeepAlive: true });
    this.lease = lease;
    lease.on("lost", (err) => { if (this.lease === lease) this.lost(`lease lost: ${(err as Error).message}`); });
    lease.on("keepaliveSucceeded", () => { if (this.lease === lease) this.lastKeepalive = performance.now(); });
    this.leaseId = await lease.grant();
    this.lastKeepalive = performance.now();
    // Everything of ours again (a new lease: what the old one held may be gone), then everything of everyone.
    await this.writeRecord();
    for (const id of this.voted.ids()) this.dirty.add(id);
    await this.flush();
    const all = await this.client.getAll().prefix(prefix).exec();
    if (session !== this.session || this.closed) return;
    this.voted.clearRemoteRtt();
    const seen = new Set<string>();
    for (const [name, i] of this.instances) if (!i.gone) seen.add(name);
    const alive = new Set<string>();
    this.overrides = new Map();
    // Everyone's word replaces what was known, in one step: the vote never sees half of it.
    this.bulk = { regions: new Map(), verdicts: [] };
    try {
      for (const kv of all.kvs) this.apply("put", kv, alive);
      this.voted.replaceRemote(this.bulk.regions, this.bulk.verdicts);
    } finally {
      this.bulk = null;
    }
    for (const name of seen) if (!alive.has(name)) this.instanceGone(name);
    this.onOverrides([...this.overrides.values()]);
    const watcher = await this.client.watch().prefix(prefix).startRevision(String(Number(all.header.revision) + 1)).create();
    if (session !== this.session || this.closed) { await watcher.cancel(); return; }
    this.watcher = watcher;
    this.watchDownSince = null;
    watcher.on("put", (kv) => this.apply("put", kv));
    watcher.on("delete", (kv) => this.apply("delete", kv));
    watcher.on("disconnected", () => { if (this.watcher === watcher) this.watchDownSince ??= performance.now(); });
    watcher.on("connected", () => { if (this.watcher === watcher) this.watchDownSince = null; });
    watcher.on("error", (err) => { if (this.watcher === watcher) this.lost(`watch failed: ${err.message}`); });
    this.heartbeat = setInterval(() => { if (this.state === "connected") void this.writeRecord().catch((err) => this.noteError("heartbeat", err)); }, HEARTBEAT_MS);
    this.heartbeat.unref();
    this.rttWritten.clear();
    const publish = () => { if (this.state === "connected") void this.publishRtt().catch((err) => this.failed("writing RTT averages", err)); };
    this.rttTimer = setInterval(publish, RTT_PUBLISH_MS);
    this.rttTimer.unref();
    this.setState("connected");
    this.scheduleFlush();
    publish();
    this.firstSync();
  }

  /** Every 500 ms: a lease whose keep-alives failed for twice its TTL, or a watch down for GRACE_MS, is a lost connection. */
  private check(): void {
    if (this.state !== "connected") return;
    const now = performance.now();
    // Twice the TTL, as etcd3 itself: a leader election (one member killed) delays keep-alives, and
    // the new leader extends every lease, so a keep-alive late by less than the TTL loses nothing.
    if (now - this.lastKeepalive > 2 * this.options.leaseTtlS * 1000) this.lost(`no lease keep-alive for ${Math.round((now - this.lastKeepalive) / 1000)} s`);
    else if (this.watchDownSince !== null && now - this.watchDownSince > GRACE_MS) this.lost(`watch disconnected for ${Math.round((now - this.watchDownSince) / 1000)} s`);
  }

  /**
   * The lease or the watch is gone: a new lease and a full read are tried at once, with the last
   * known verdicts kept meanwhile (a lease can expire while a member is killed and a leader is
   * elected, with etcd answering again a moment later); degraded only if that takes over GRACE_MS.
   */
  private lost(reason: string): void {
    if (this.closed || this.state !== "connected") return;
    this.lastError = reason;
    this.teardown();
    this.setState("reconnecting");
    this.graceTimer = setTimeout(() => { this.graceTimer = null; if (this.state === "reconnecting") this.setState("degraded"); }, GRACE_MS);
    this.graceTimer.unref();
    void this.connectLoop();
  }

  private teardown(): void {
    this.session++;
    const lease = this.lease, watcher = this.watcher;
    this.lease = null; this.leaseId = null; this.watcher = null;
    if (this.heartbeat !== null) { clearInterval(this.heartbeat); this.heartbeat = null; }
    if (this.rttTimer !== null) { clearInterval(this.rttTimer); this.rttTimer = null; }
    void watcher?.cancel().catch(() => {});
    lease?.release();
    // `published` is kept: keys under the lost lease may outlive it by its TTL, and a target dropped
    // meanwhile is still deleted once a new lease is taken.
  }

  private setState(state: EtcdState): void {
    if (this.state === state) return;
    const before = this.state;
    this.state = state;
    this.stateSince = Date.now();
    if (state !== "reconnecting" && this.graceTimer !== null) { clearTimeout(this.graceTimer); this.graceTimer = null; }
    if (state === "reconnecting") {
      this.log.info({ reason: this.lastError }, "etcd: lease or watch lost: taking a new lease (the last known verdicts meanwhile)");
    } else if (state === "connected") {
      this.voted.setUseRemote(true, "etcd reachable: the vote counts every instance");
      const message = before === "degraded" ? "etcd reachable again: health is voted again" : before === "reconnecting" ? "etcd: a new lease; everything published and read again" : "etcd connected: health is voted among the instances";
      this.log.info({ endpoints: this.options.endpoints, lease: this.leaseId, instances: this.peers().filter((p) => !p.gone).length }, message);
    } else {
      this.voted.setUseRemote(false, "etcd unreachable: this instance's own verdicts");
      // Said once per outage: the retries that follow are quiet.
      this.log.warn({ endpoints: this.options.endpoints, reason: this.lastError }, "etcd unreachable: answering from this instance's own health checks until it is back");
    }
    this.onState(state);
  }

  private noteError(what: string, err: unknown): void {
    const message = `${what}: ${(err as Error).message}`;
    if (this.state === "connecting" && this.lastError === null) {
      this.lastError = message;
      this.setState("degraded");
      return;
    }
    this.lastError = message;
    this.log.debug({ err: message }, "etcd: retrying");
  }

  private failed(what: string, err: unknown): void {
    this.lastError = `${what}: ${(err as Error).message}`;
    this.log.debug({ err: this.lastError }, "etcd write failed (retried with the next change or reconnect)");
  }

  // ------------------------------------------------------------------ writes

  private record(): InstanceRecord {
    return { ...this.me, started: this.started, zones: this.zones };
  }

  private async writeRecord(): Promise<void> {
    if (this.leaseId === null) return;
    await this.client.put(`${this.options.prefix}instances/${this.me.instance}`).value(JSON.stringify(this.record())).lease(this.leaseId);
    this.writes++;
  }

  private scheduleFlush(delayMs = FLUSH_MS): void {
    if (this.flushTimer !== null || this.state !== "connected") return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      // A write that failed (a member going away mid-call) is tried again: a verdict is never left unpublished.
      void this.flush().catch((err) => { this.failed("writing verdicts", err); this.scheduleFlush(RETRY_MIN_MS); });
    }, delayMs);
    this.flushTimer.unref();
  }

  /** Dirty verdicts out, in transactions of TXN_OPS; those not written stay dirty. */
  private async flush(): Promise<void> {
    if (this.flushing || this.leaseId === null) return;
    this.flushing = true;
    try {
      while (this.dirty.size > 0 && this.leaseId !== null) {
        // No verdict yet (not checked) and none in etcd: nothing to write. On a new lease every
        // target is dirty, most of them not checked yet at start-up; deleting each (a key that
        // does not exist) doubled the start-up writes (scripts/bench-etcd, docs/benchmarks.md).
        for (const id of this.dirty) if (!this.published.has(id) && this.voted.ownVerdict(id) === null) this.dirty.delete(id);
        if (this.dirty.size === 0) break;
        const batch = [...this.dirty].slice(0, TXN_OPS);
        const lease = this.leaseId;
        const puts = new Set<string>();
        const ops = batch.map((id) => {
          const key = Buffer.from(`${this.options.prefix}verdicts/${this.me.instance}/${id}`);
          const v = this.voted.ownVerdict(id);
          if (v !== null) puts.add(id);
          return v === null ? { request_delete_range: { key } } : { request_put: { key, value: Buffer.from(JSON.stringify({ s: v.state, r: v.reason, t: v.at })), lease } };
        });
        // Out of `dirty` while in flight: a change meanwhile marks the target again, and is written
        // next (it was lost when the batch left `dirty` only after the call).
        for (const id of batch) this.dirty.delete(id);
        try {
          await this.client.kv.txn({ success: ops });
        } catch (err) {
          for (const id of batch) this.dirty.add(id);
          throw err;
        }
        for (const id of batch) {
          if (!puts.has(id)) { this.published.delete(id); continue; }
          this.published.add(id);
          // Dropped by a reload while its put was in flight (targetsChanged did not see it published): deleted next.
          if (this.voted.ownVerdict(id) === null) this.dirty.add(id);
        }
        this.writes += ops.length;
      }
    } finally {
      this.flushing = false;
    }
    if (this.dirty.size > 0) this.scheduleFlush();
  }

  /** RTT averages, in chunks of RTT_CHUNK targets; a chunk is written when a figure in it moved by 10% (1 ms at least), or its targets changed. */
  private async publishRtt(): Promise<void> {
    if (this.leaseId === null) return;
    const lease = this.leaseId;
    const ids = [...this.voted.ownRtts().keys()].sort();
    const rtts = this.voted.ownRtts();
    const ops: { request_put?: { key: Buffer; value: Buffer; lease: string }; request_delete_range?: { key: Buffer } }[] = [];
    const written: [number, Record<string, number> | null][] = [];
    const chunks = Math.ceil(ids.length / RTT_CHUNK);
    for (let n = 0; n < chunks; n++) {
      const data: Record<string, number> = {};
      for (const id of ids.slice(n * RTT_CHUNK, (n + 1) * RTT_CHUNK)) data[id] = Math.round(rtts.get(id)! * 10) / 10;
      if (!moved(this.rttWritten.get(n), data)) continue;
      ops.push({ request_put: { key: Buffer.from(`${this.options.prefix}rtt/${this.me.instance}/${n}`), value: Buffer.from(JSON.stringify(data)), lease } });
      written.push([n, data]);
    }
    for (const n of this.rttWritten.keys()) if (n >= chunks) { ops.push({ request_delete_range: { key: Buffer.from(`${this.options.prefix}rtt/${this.me.instance}/${n}`) } }); written.push([n, null]); }
    for (let i = 0; i < ops.length; i += TXN_OPS) await this.client.kv.txn({ success: ops.slice(i, i + TXN_OPS) });
    for (const [n, data] of written) { if (data === null) this.rttWritten.delete(n); else this.rttWritten.set(n, data); }
    this.writes += ops.length;
  }

  // ------------------------------------------------------------------ reads

  private apply(kind: "put" | "delete", kv: IKeyValue, alive?: Set<string>): void {
    const rest = kv.key.toString().slice(this.options.prefix.length);
    const slash = rest.indexOf("/");
    const section = rest.slice(0, slash), name = rest.slice(slash + 1);
    try {
      if (section === "instances") {
        if (kind === "delete") { this.instanceGone(name); return; }
        const record = JSON.parse(kv.value.toString()) as InstanceRecord;
        if (name === this.me.instance) {
          // Two processes with one --instance name would overwrite each other's verdicts.
          if (record.started !== this.started && !this.warnedTwin) { this.warnedTwin = true; this.log.error({ instance: name, started: record.started }, "another instance uses this --instance name: give each instance its own"); }
          return;
        }
        alive?.add(name);
        this.instances.set(name, { record, seenAt: performance.now(), gone: false });
        const region = record.region !== null && isRegionCode(record.region) ? record.region : null;
        if (this.bulk !== null) this.bulk.regions.set(name, region);
        else this.voted.setRegion(name, region);
      } else if (section === "verdicts") {
        const [instance, id] = name.split("/");
        if (instance === undefined || id === undefined || instance === this.me.instance) return;
        if (kind === "delete") { this.voted.setRemote(instance, id, null); return; }
        const v = JSON.parse(kv.value.toString()) as { s: string; r: string; t: number };
        if (v.s !== "up" && v.s !== "down") return;
        const verdict: Published = { state: v.s, reason: String(v.r ?? ""), at: Number(v.t) };
        if (this.bulk !== null) this.bulk.verdicts.push([instance, id, verdict]);
        else this.voted.setRemote(instance, id, verdict);
      } else if (section === "rtt") {
        const [instance, n] = name.split("/");
        if (instance === undefined || n === undefined || instance === this.me.instance) return;
        this.voted.setRemoteRtt(instance, Number(n), kind === "delete" ? null : JSON.parse(kv.value.toString()) as Record<string, number>);
      } else if (section === "overrides") {
        if (kind === "delete") this.overrides.delete(name);
        else this.overrides.set(name, JSON.parse(kv.value.toString()) as OverrideEntry);
        // A full read tells once, at its end.
        if (alive === undefined) this.onOverrides([...this.overrides.values()]);
      }
    } catch (err) {
      this.log.warn({ key: kv.key.toString(), err: (err as Error).message }, "etcd: a value that is not gslb's JSON: ignored");
    }
  }

  private instanceGone(name: string): void {
    const i = this.instances.get(name);
    if (i !== undefined && !i.gone) { i.gone = true; this.log.info({ instance: name }, "instance gone (its lease expired): the vote goes on without it"); }
    this.voted.dropInstance(name);
    const cutoff = performance.now() - GONE_KEPT_MS;
    for (const [n, x] of this.instances) if (x.gone && x.seenAt < cutoff) this.instances.delete(n);
  }
}

function clientOptions(o: EtcdOptions): IOptions {
  const tls = o.endpoints.some((e) => e.startsWith("https://")) || o.ca !== undefined;
  return {
    hosts: [...o.endpoints],
    ...(tls ? { credentials: { rootCertificate: o.ca === undefined ? (undefined as unknown as Buffer) : fs.readFileSync(o.ca), ...(o.cert !== undefined ? { certChain: fs.readFileSync(o.cert) } : {}), ...(o.key !== undefined ? { privateKey: fs.readFileSync(o.key) } : {}) } } : {}),
    ...(o.user !== undefined ? { auth: { username: o.user, password: o.password ?? "" } } : {}),
    dialTimeout: CALL_DEADLINE_MS,
    // Unary calls give up; streams (watch, keep-alives) stay open. etcd's server refuses pings more often than every 5 s.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
    grpcOptions: { "grpc.keepalive_time_ms": 10_000, "grpc.keepalive_timeout_ms": 3000 },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms).unref())]);
}

/** Whether a chunk of RTT averages moved enough to be written again. */
function moved(before: Readonly<Record<string, number>> | undefined, after: Readonly<Record<string, number>>): boolean {
  if (before === undefined) return true;
  const keys = Object.keys(after);
  if (keys.length !== Object.keys(before).length) return true;
  for (const k of keys) {
    const a = after[k]!, b = before[k];
    if (b === undefined || Math.abs(a - b) > Math.max(1, 0.1 * b)) return true;
  }
  return false;
}
