// Where this process answers from: its point of presence (gslb serve --pop), which Cloudflare's
// pop_pools are keyed by. A process constant, set once by the server (and by each answering
// worker from its start message) before the first answer; steering reads it.

export const site: { pop: string | null } = { pop: null };

/** This process's point of presence (upper-cased, as pop_pools' keys are compared). */
export function setPop(pop: string | null | undefined): void {
  site.pop = pop === null || pop === undefined ? null : pop.toUpperCase();
}
