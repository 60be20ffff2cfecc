#!/usr/bin/env node
// scripts/bench's table: medians over rounds of each (scenario, server), CPU per query against
// every other server's in the same scenario, the footnotes, and with --write FILE the section of
// docs/benchmarks.md between the markers below (added before the first "## " when absent).
// Usage: node scripts/bench-report.mjs RESULTS.tsv META.txt [--write docs/benchmarks.md]
import fs from "node:fs";

const [resultsFile, metaFile, flag, target] = process.argv.slice(2);
const BEGIN = "<!-- scripts/bench --write: begin (generated; rerun to replace) -->";
const END = "<!-- scripts/bench --write: end -->";

const meta = {};
for (const line of fs.readFileSync(metaFile, "utf8").split("\n")) {
  const i = line.indexOf("=");
  if (i > 0) meta[line.slice(0, i)] = line.slice(i + 1);
}
const [header, ...rows] = fs.readFileSync(resultsFile, "utf8").trim().split("\n").map((l) => l.split("\t"));
const runs = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));

const servers = meta.servers.split(" ");
const scenarios = meta.scenarios.split(" ");
const LABEL = { bare: "bare responder", gslb: "gslb", gdnsd: "gdnsd", pdns: "PowerDNS", knot: "Knot", custom: "custom" };
const SCENARIO = {
  static: "static A",
  lb10k: "LB geo, ECS 10k /24s",
  lb1m: "LB geo, ECS 1M /24s",
  proximity: "LB proximity, ECS 10k",
  nxdomain: "NXDOMAIN (10k names)",
  tcp: "TCP mix",
};

const num = (x) => (x === undefined || x === "-" || x === "" ? NaN : Number(x));
function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const fmt = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const fmtCpu = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : "–");
const fmtPct = (x) => (Number.isFinite(x) ? (x === 0 ? "0" : x < 0.01 ? "<0.01%" : `${x.toFixed(2)}%`) : "–");

const stats = new Map(); // "scenario server" -> medians
for (const sc of scenarios) {
  for (const s of servers) {
    const rs = runs.filter((r) => r.scenario === sc && r.server === s);
    if (rs.length === 0) continue;
    stats.set(`${sc} ${s}`, {
      n: rs.length,
      sat: median(rs.map((r) => num(r.sat_qps))),
      satCpu: median(rs.map((r) => num(r.sat_cpu_us))),
      qps: median(rs.map((r) => num(r.qps))),
      p50: median(rs.map((r) => num(r.p50_ms))),
      p99: median(rs.map((r) => num(r.p99_ms))),
      lost: median(rs.map((r) => (num(r.sent) > 0 ? (100 * num(r.lost)) / num(r.sent) : NaN))),
      cpu: median(rs.map((r) => num(r.cpu_us))),
      rss: median(rs.map((r) => num(r.rss_mib))),
      // The server's own process (gslb's answering one; its prober is a child). Older results have none.
      rssMain: median(rs.map((r) => num(r.rss_main_mib))),
      rcodes: [...new Set(rs.map((r) => r.rcodes))].join(" / "),
    });
  }
}

const notes = [];
const note = (text) => {
  let i = notes.indexOf(text);
  if (i < 0) { notes.push(text); i = notes.length - 1; }
  return `<sup>${i + 1}</sup>`;
};
const NA_KNOT = "Knot serves the static names only: it has no health checks (its geoip module steers by subnet or GeoIP but cannot fail over on a monitor), so it is given no load-balanced names.";
const BARE = "The bare responder answers every query with the same one-A reply (no EDNS, no ECS, never NXDOMAIN; TCP through node:net with the same framing): Node's floor for that scenario's packets, not a correct answer. Its answers are not checked.";

const rate = Number(meta.rate).toLocaleString("en-US");
const cols = ["scenario", "server", "p50 ms", "p99 ms", "lost", `CPU µs/query at ${rate} qps`, "RSS MiB", ...servers.map((s) => `÷ ${LABEL[s]}`), "saturated qps", "CPU µs/query saturated"];
const lines = [`| ${cols.join(" | ")} |`, `|${cols.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`];
for (const sc of scenarios) {
  for (const s of servers) {
    const st = stats.get(`${sc} ${s}`);
    let name = s === "bare" ? `${LABEL[s]}${note(BARE)}` : LABEL[s];
    if (s === "gslb" && meta["gslb_args"]) name += ` \`${meta.gslb_args}\``;
    if (st === undefined) {
      const why = s === "knot" ? note(NA_KNOT) : note("Not measured in this run.");
      lines.push(`| ${SCENARIO[sc]} | ${name} | n/a${why} |  |  |  |  |${servers.map(() => "  |").join("")}  |  |`);
      continue;
    }
    const ratios = servers.map((o) => {
      if (o === s) return "1";
      const other = stats.get(`${sc} ${o}`);
      if (other === undefined) return "–";
      // Paired by round: the two were measured within seconds of each other, so a slow spell of
      // the VM (its CPU per query can jump by half between rounds) divides out.
      const at = (field) => {
        const r = median(runs.filter((x) => x.scenario === sc && x.server === s).map((x) => {
          const y = runs.find((z) => z.scenario === sc && z.server === o && z.round === x.round);
          const a = num(x[field]), b = y === undefined ? NaN : num(y[field]);
          return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN;
        }));
        return Number.isFinite(r) ? fmt(r, 2) : "–";
      };
      const sat = at("sat_cpu_us");
      return sat === "–" ? at("cpu_us") : `${at("cpu_us")} (${sat})`;
    });
    const cpu = s === "gslb" ? `**${fmtCpu(st.cpu)}**` : fmtCpu(st.cpu);
    lines.push(`| ${SCENARIO[sc]} | ${name} | ${fmt(st.p50, 3)} | ${fmt(st.p99, 3)} | ${fmtPct(st.lost)} | ${cpu} | ${fmtInt(st.rss)}${Number.isFinite(st.rssMain) && st.rss - st.rssMain > 1 ? ` (${fmtInt(st.rssMain)})` : ""} | ${ratios.join(" | ")} | ${fmtInt(st.sat)} | ${fmtCpu(st.satCpu)} |`);
    const wrong = meta[`wrong.${s}:${sc}`];
    if (wrong) lines.push(`| ${SCENARIO[sc]} | ⚠ **${LABEL[s]} answers wrong**: ${wrong.replace(/\|/g, "\\|")} |  |  |  |  |  |${servers.map(() => "  |").join("")}  |  |`);
    const expected = sc === "nxdomain" ? "NXDOMAIN" : sc === "tcp" ? null : "NOERROR";
    if (s !== "bare" && expected && st.rcodes && !st.rcodes.split(/[ ,/]+/).every((x) => x === "" || x.startsWith(expected) || /^\d+$/.test(x)))
      lines.push(`| ${SCENARIO[sc]} | ⚠ **${LABEL[s]}: response codes ${st.rcodes}** (expected ${expected} only) |  |  |  |  |  |${servers.map(() => "  |").join("")}  |  |`);
  }
}

const versions = [
  `gslb ${meta.gslb}`,
  meta.gdnsd && `gdnsd ${meta.gdnsd}`,
  meta.pdns && `PowerDNS Authoritative ${meta.pdns}`,
  meta.knot && `Knot DNS ${meta.knot}`,
  `dnsperf ${meta.dnsperf}`,
].filter(Boolean);
const method = [
  `Each server runs on CPU ${meta.server_cpu}, dnsperf (and the HTTP origins) on CPU ${meta.load_cpu}; every server is up for the whole run, and each scenario measures them in turn, the order rotating each round. Figures are medians over ${meta.rounds} round${meta.rounds === "1" ? "" : "s"}.`,
  `**p50, p99, lost, CPU and RSS** come from dnsperf at a fixed ${Number(meta.rate).toLocaleString("en-US")} queries/s for ${meta.duration} s (${meta.clients} UDP sockets; ${meta.tcp_clients} TCP connections): well below every server's saturation, so that CPU per query compares the work per answer, not who batches best when overloaded. Latencies are dnsperf's per query (\`-v\`); lost is the share of queries not answered within 2 s.`,
  `**CPU µs/query** is utime + stime of the server and its child processes (\`/proc/PID/stat\`: all threads, so PowerDNS's thread per TCP connection counts, and so does gslb's prober process) over the answers received. **RSS** is VmRSS summed over the same processes after the run; in parentheses, where the server has child processes, its main process's alone (gslb's answering process: the prober is a process of its own). **÷ X** is this row's CPU per query over X's in the same scenario and round, at the fixed rate and, in parentheses, saturated: the median over rounds of those ratios (the two were measured within seconds of each other, so a slow spell of the VM divides out).`,
  Number(meta.sat_duration) > 0
    ? `**Saturated**: dnsperf unthrottled, ${meta.clients} UDP sockets (${meta.tcp_clients} TCP connections) and ${meta.outstanding} queries outstanding, for ${meta.sat_duration} s, and the CPU per query over that run. dnsperf has one core too: the fastest servers are limited by it, so compare saturated qps only where it is well below the bare responder's. CPU per query falls as the rate rises: each wake-up of a waiting server costs about the same however few queries it finds, and on this VM that cost (tens of µs: compare the bare responder's two CPU columns) is most of the CPU per query at the fixed rate, which brings the fixed-rate ratios towards 1. The saturated ratios show the work per answer once wake-ups are shared by many queries; the fixed-rate ones, what a server costs at a load it handles with room to spare.`
    : `Saturated qps were not measured (--sat-duration 0).`,
  `The zone is the same for all (\`scripts/bench-zones/\`): the load-balanced name steers by geo over three pools (their HTTP origins, 127.0.1.1, 127.0.2.1 and 127.0.3.1, are started by the bench and monitored every 10 s by each server); proximity picks the nearest of the same pools. gslb locates clients with geoip-lite (its default); gdnsd and PowerDNS with a MaxMind-format database that \`scripts/bench-data.mjs\` makes from the same geoip-lite data. The ECS subnets are distinct /24s drawn uniformly from the address space that data locates, so most are American, as real traffic is. Every server's answers for German, Japanese, American and Brazilian subnets are checked with dig before measuring.`,
  `Caches: at ${Number(meta.rate).toLocaleString("en-US")} queries/s the 10,000 subnets and the 10,000 NXDOMAIN names come round every ${(10000 / Number(meta.rate)).toFixed(0)} s, so a server that caches answers per subnet or name (PowerDNS's packet cache, 20 s; gdnsd precomputes its map) answers most of them from memory; lb1m never repeats a subnet for a server.`,
];
if (meta.load) {
  const [a, b] = meta.load.split(" ");
  method.push(`Load average (1 minute) ${a} when the measurements began and ${b} when they ended, on ${meta.nproc} cores. The bench itself accounts for up to about 2 (dnsperf and the server measured); more means other work shared the machine, and the figures are noisier for it.`);
}
for (const [k, v] of Object.entries(meta)) if (k.startsWith("note.")) method.push(`⚠ ${v}`);

const out = [
  `## gslb against other servers (\`scripts/bench\`, issue 9 §1)`,
  "",
  `${meta.date}, ${meta.cpu} × ${meta.nproc} cores, ${meta.mem_gib} GiB, Linux ${meta.kernel}, Node ${meta.node}, loopback. ${versions.join(", ")}. The command was \`${meta.command}\`.`,
  "",
  ...lines,
  "",
  ...notes.map((n, i) => `${i + 1}. ${n}`),
  "",
  ...method.map((m) => `- ${m}`),
  "",
].join("\n");

process.stdout.write(out);
if (flag === "--write" && target) {
  const doc = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "# Benchmarks\n";
  const section = `${BEGIN}\n${out}${END}\n`;
  let next;
  const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
  if (a >= 0 && b > a) next = doc.slice(0, a) + section + doc.slice(b + END.length + (doc[b + END.length] === "\n" ? 1 : 0));
  else {
    const i = doc.indexOf("\n## ");
    next = i >= 0 ? `${doc.slice(0, i + 1)}${section}\n${doc.slice(i + 1)}` : `${doc.trimEnd()}\n\n${section}`;
  }
  fs.writeFileSync(target, next);
  console.error(`bench: wrote ${target}`);
}
