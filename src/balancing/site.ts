// Where this process answers from: its point of presence (gslb serve --pop), which Cloudflare's
// pop_pools are keyed by. A process constant, set once by the server (and by each answering
// worker from its start message) before the first answer; steering reads it.

export const site: { pop: string | null; regionalRtt: boolean } = { pop: null, regionalRtt: false };

/**
 * Whether pools' RTT is known per client region (gslb serve --etcd: the instances publish theirs):
 * dynamic_latency then reads the client's region. Off, it reads this instance's RTT, as alone.
 */
export function setRegionalRtt(on: boolean): void {
  site.regionalRtt = on;
}

/** This process's point of presence (upper-cased, as pop_pools' keys are compared). */
export function setPop(pop: string | null | undefined): void {
  site.pop = pop === null || pop === undefined ? null : pop.toUpperCase();
}
