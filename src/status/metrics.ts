// GET /metrics: the Prometheus text format, through prom-client. Nothing here runs per query: the
// answering processes count into typed arrays (query/counters.ts); on a scrape the hub gathers
// their sums (over IPC from workers) and the prober's figures, once, and every metric's collect()
// callback reads that one gathering. Histograms already bucketed elsewhere (query latency, probe
// durations) are exposed by a small metric object of our own that prom-client's registry prints
// like its own histograms.

import client, { Counter, Gauge, Registry } from "prom-client";
import type { Balancing, Origin, Pool } from "../balancing/model.js";
import { DURATION_BUCKETS } from "../probe/channel.js";
import { LATENCY_BUCKETS, type CounterTotals } from "../query/counters.js";
import type { AnsweringFigures, StatusHub } from "./hub.js";

/** What one scrape reads: gathered once, before the registry renders. */
interface Scrape {
  answering: AnsweringFigures | null;
}

export interface Metrics {
  readonly contentType: string;
  /** Gather (workers, prober) and render. */
  render(): Promise<string>;
}

export function createMetrics(hub: StatusHub, version: string): Metrics {
  const registry = new Registry();
  client.collectDefaultMetrics({ register: registry });
  let scrape: Scrape = { answering: null };
  const totals = (): CounterTotals | null => scrape.answering?.counters ?? null;

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (m: Counter<L>) => void) =>
    new Counter<L>({ name, help, labelNames, registers: [registry], collect() { this.reset(); fill(this); } });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (m: Gauge<L>) => void) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry], collect() { this.reset(); fill(this); } });

  gauge("gslb_build_info", "gslb's version (always 1)", ["version"], (m) => m.set({ version }, 1));
  gauge("gslb_ready", "1 once zones are loaded, the first round of health checks is over and DNS is answered", [], (m) => m.set(hub.readiness().ready ? 1 : 0));
  gauge("gslb_answering_processes", "Processes answering DNS (--workers)", [], (m) => m.set(scrape.answering?.processes ?? 0));

  // ---------------------------------------------------------------- DNS
  counter("gslb_dns_queries_total", "DNS queries answered, by zone (\"(none)\": no zone answered), query type, response code and transport; counted before rate limiting", ["zone", "qtype", "rcode", "transport"], (m) => {
    for (const q of totals()?.queries.values() ?? []) m.inc({ zone: q.zone, qtype: q.qtype, rcode: q.rcode, transport: q.transport }, q.value);
  });
  counter("gslb_dns_dropped_queries_total", "DNS queries given no reply: malformed (shorter than a header, or a response), or dropped by response rate limiting", ["reason"], (m) => {
    m.inc({ reason: "malformed" }, totals()?.malformed ?? 0);
    m.inc({ reason: "rate_limited" }, scrape.answering?.rrl.dropped ?? 0);
  });
  counter("gslb_dns_rate_limited_total", "UDP responses limited by response rate limiting (--rrl-rate): sent truncated (slipped) or dropped", ["action"], (m) => {
    m.inc({ action: "slipped" }, scrape.answering?.rrl.slipped ?? 0);
    m.inc({ action: "dropped" }, scrape.answering?.rrl.dropped ?? 0);
  });
  registry.registerMetric(histogram("gslb_dns_query_duration_seconds", "Time to answer a DNS query inside the server, from its bytes to the reply's, by transport", LATENCY_BUCKETS, () => {
    const t = totals();
    if (t === null) return [];
    return [...t.latency].map(([transport, h]) => ({ labels: { transport }, buckets: h.buckets, count: h.count, sum: h.sum }));
  }) as never);

  // ---------------------------------------------------------------- load balancing
  counter("gslb_lb_answers_total", "Load-balanced answers, by load balancer and the pool that answered (\"(none)\": no pool could); reused answers included", ["zone", "load_balancer", "pool"], (m) => {
    const sums = new Map<string, { zone: string; load_balancer: string; pool: string; value: number }>();
    for (const a of totals()?.answers.values() ?? []) {
      const key = `${a.zone}|${a.loadBalancer}|${a.pool}`;
      const e = sums.get(key);
      if (e !== undefined) e.value += a.value;
      else sums.set(key, { zone: a.zone, load_balancer: a.loadBalancer, pool: a.pool, value: a.value });
    }
    for (const { value, ...labels } of sums.values()) m.inc(labels, value);
  });
  counter("gslb_lb_fallbacks_total", "Load-balanced answers that fell back to the fallback pool (no usable pool: health ignored), by load balancer and fallback pool", ["zone", "load_balancer", "pool"], (m) => {
    for (const a of totals()?.answers.values() ?? []) if (a.fallback) m.inc({ zone: a.zone, load_balancer: a.loadBalancer, pool: a.pool }, a.value);
  });
  counter("gslb_answer_cache_reused_total", "Load-balanced answers served from the answer cache (one answer per query shape and location class)", [], (m) => m.inc(scrape.answering?.answers.reused ?? 0));

  // ---------------------------------------------------------------- health
  registry.registerMetric(histogram("gslb_probe_duration_seconds", "Health check probe durations (retries included), by monitor type", DURATION_BUCKETS, () =>
    [...hub.probes.durations].map(([type, d]) => {
      const buckets = [...d.subarray(0, DURATION_BUCKETS.length + 1)];
      return { labels: { type }, buckets, count: buckets.reduce((a, b) => a + b, 0), sum: d[DURATION_BUCKETS.length + 1]! };
    })) as never);
  gauge("gslb_pool_up", "1 when the pool is healthy: enabled, and minimum_origins of its origins up (or forced up)", ["zone", "pool"], (m) => {
    const control = hub.control;
    if (control === null) return;
    for (const [zone, b] of control.current().balancing) for (const pool of b.poolList) m.set({ zone, pool: pool.name }, control.health.view(b).poolHealthy(pool) ? 1 : 0);
  });
  // ---------------------------------------------------------------- configuration
  counter("gslb_config_reloads_total", "Reloads of the zones directory (file changes, SIGHUP) since start", [], (m) => m.inc(hub.reloads));
  counter("gslb_config_reload_errors_total", "Reloads that reported a problem (a zone file kept its last good version or is not served, or _overrides.json was refused)", [], (m) => m.inc(hub.reloadErrors));
  gauge("gslb_config_last_reload_successful", "1 when the last load of the zones directory had no problem", [], (m) => m.set(hub.lastLoadOk ? 1 : 0));
  gauge("gslb_config_last_reload_timestamp_seconds", "When the zones directory was last loaded", [], (m) => m.set(hub.lastLoadAt / 1000));

  // ---------------------------------------------------------------- several instances (--etcd)
  const etcd = () => hub.control?.peers?.etcd ?? null;
  gauge("gslb_etcd_degraded", "1 while this instance answers from its own health checks because etcd is unreachable (or not reached yet); 0 while it votes; absent without --etcd", [], (m) => {
    const e = etcd();
    if (e !== null) m.set(e.degraded ? 1 : 0);
  });
  gauge("gslb_etcd_instances", "Instances voting through etcd now, this one included (--etcd)", [], (m) => {
    const e = etcd();
    if (e !== null) m.set(e.peers().filter((p) => !p.gone).length);
  });
  counter("gslb_etcd_writes_total", "Keys this instance wrote to or deleted from etcd since start (verdicts, its record, overrides)", [], (m) => {
    const e = etcd();
    if (e !== null) m.inc(e.writes);
  });

  // ---------------------------------------------------------------- TCP
  counter("gslb_tcp_connections_total", "TCP connections accepted", [], (m) => m.inc(scrape.answering?.tcp.accepted ?? 0));
  gauge("gslb_tcp_connections", "TCP connections open now", [], (m) => m.set(scrape.answering?.tcp.connections ?? 0));
  counter("gslb_tcp_refused_total", "TCP connections refused: over --tcp-max-connections (total) or --tcp-max-per-client (per_client)", ["limit"], (m) => {
    m.inc({ limit: "total" }, scrape.answering?.tcp.refusedTotal ?? 0);
    m.inc({ limit: "per_client" }, scrape.answering?.tcp.refusedPerClient ?? 0);
  });
  counter("gslb_tcp_closed_total", "TCP connections closed by a defence: a message not whole in time, or replies unread too long", ["reason"], (m) => {
    m.inc({ reason: "message_timeout" }, scrape.answering?.tcp.messageTimeouts ?? 0);
    m.inc({ reason: "stalled" }, scrape.answering?.tcp.stalledDrops ?? 0);
  });

  // One scrape at a time: a second one waits for the first's gathering rather than doubling it.
  let busy: Promise<string> | null = null;
  const render = async (): Promise<string> => {
    const [answering] = await Promise.all([hub.answering?.gather() ?? Promise.resolve(null), hub.refreshProbes()]);
    // Every collect() runs synchronously inside registry.metrics(): they all see this gathering.
    scrape = { answering };
    return (await registry.metrics()) + perOrigin(hub);
  };
  return {
    contentType: registry.contentType,
    render: async () => {
      while (busy !== null) await busy.catch(() => {});
      busy = render();
      try { return await busy; } finally { busy = null; }
    },
  };
}

type Labels = Record<string, string>;

/** A histogram whose buckets were counted elsewhere: printed by the registry like prom-client's own. */
function histogram(name: string, help: string, bounds: readonly number[], read: () => { labels: Labels; buckets: number[]; count: number; sum: number }[]) {
  return {
    name, help, type: "histogram", aggregator: "sum",
    reset() {},
    async get() {
      const values: { labels: Labels; value: number; metricName: string }[] = [];
      for (const h of read()) {
        let cumulative = 0;
        bounds.forEach((le, i) => {
          cumulative += h.buckets[i] ?? 0;
          values.push({ labels: { ...h.labels, le: String(le) }, value: cumulative, metricName: `${name}_bucket` });
        });
        values.push({ labels: { ...h.labels, le: "+Inf" }, value: h.count, metricName: `${name}_bucket` });
        values.push({ labels: h.labels, value: h.sum, metricName: `${name}_sum` });
        values.push({ labels: h.labels, value: h.count, metricName: `${name}_count` });
      }
      return { name, help, type: "histogram", values, aggregator: "sum" };
    },
  };
}

// ---------------------------------------------------------------- per origin, as text
// Series per origin are written here, not through prom-client: with 10,000 origins its set()/inc()
// (a label hash per series) and formatting held the event loop ~0.5 s a scrape, and with
// --workers 1 that loop answers DNS (docs/benchmarks.md). The labels of each origin are escaped
// once per configuration; a scrape only joins them with the values.

interface OriginSeries {
  readonly zone: string;
  readonly b: Balancing;
  readonly pool: Pool;
  readonly origin: Origin;
  /** `zone="...",pool="...",origin="..."`, escaped. */
  readonly labels: string;
  /** Its slot in the health table (RTT read by slot: no key built per scrape). */
  readonly slot: number;
}

const seriesOf = new WeakMap<ReadonlyMap<string, Balancing>, { readonly list: readonly OriginSeries[]; readonly byKey: ReadonlyMap<string, OriginSeries> }>();

/** Label values as the text format wants them: backslash, double quote and newline escaped. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function originSeries(balancing: ReadonlyMap<string, Balancing>, health: { slotOf(key: string): number }): { readonly list: readonly OriginSeries[]; readonly byKey: ReadonlyMap<string, OriginSeries> } {
  let s = seriesOf.get(balancing);
  if (s === undefined) {
    const list: OriginSeries[] = [];
    const byKey = new Map<string, OriginSeries>();
    for (const [zone, b] of balancing) for (const pool of b.poolList) for (const origin of pool.origins) {
      const x = { zone, b, pool, origin, labels: `zone="${escapeLabel(zone)}",pool="${escapeLabel(pool.name)}",origin="${escapeLabel(origin.name)}"`, slot: health.slotOf(origin.key) };
      list.push(x);
      byKey.set(origin.key, x);
    }
    seriesOf.set(balancing, (s = { list, byKey }));
  }
  return s;
}

/** gslb_probe_results_total, gslb_origin_up and gslb_origin_rtt_seconds in the text format. */
function perOrigin(hub: StatusHub): string {
  const control = hub.control;
  if (control === null) return "";
  const health = control.health;
  const { list, byKey } = originSeries(control.current().balancing, health);
  const out: string[] = [];
  out.push("# HELP gslb_probe_results_total Health check probe results by origin (a probe shared by several pools counts for each), success or failure", "# TYPE gslb_probe_results_total counter");
  for (const [key, r] of hub.probes.results) {
    const x = byKey.get(key);
    if (x === undefined) continue;
    // Results are keyed by the origin's key (pool key / origin name): the same labels as its other series.
    out.push(`gslb_probe_results_total{${x.labels},result="success"} ${r.success}`, `gslb_probe_results_total{${x.labels},result="failure"} ${r.failure}`);
  }
  out.push("", "# HELP gslb_origin_up 1 when steering counts the origin up (its monitor's verdict, overrides and --unknown-health applied; disabled origins 0)", "# TYPE gslb_origin_up gauge");
  let b: Balancing | null = null, view: ReturnType<typeof health.view> | null = null;
  for (const x of list) {
    if (x.b !== b) { b = x.b; view = health.view(b); }
    out.push(`gslb_origin_up{${x.labels}} ${x.origin.enabled && view!.originUp(x.pool, x.origin) ? 1 : 0}`);
  }
  out.push("", "# HELP gslb_origin_rtt_seconds Moving average of the origin's successful probe round trips", "# TYPE gslb_origin_rtt_seconds gauge");
  for (const x of list) {
    const ms = health.originRttAt(x.slot);
    if (ms !== null) out.push(`gslb_origin_rtt_seconds{${x.labels}} ${ms / 1000}`);
  }
  out.push("");
  return out.join("\n");
}
