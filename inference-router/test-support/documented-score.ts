/** One provider as the documented score sees it. */
export interface ScoredTerms {
  readonly price: number;
  readonly latencyMs: number;
  readonly inFlight: number;
  readonly reputation: number;
  readonly slashes: number;
}

/** The documented weights: 1 each, and 4 for the term a buyer prefers. */
export function documentedWeights(prefer?: "price" | "latency" | "reputation") {
  const weights = { price: 1, latency: 1, reputation: 1 };
  if (prefer !== undefined) weights[prefer] = 4;
  return weights;
}

/**
 * The router's score as docs/architecture.md states it, written independently of the router's code in float64:
 * price term min price / price (1 when free), latency term min L / L with L = max(latency, 0.1 ms) × (1 + in flight),
 * reputation term (reputation + 1) / ((max reputation + 1) × (1 + lost disputes)), weighted and summed.
 */
export function documentedScores(
  terms: readonly ScoredTerms[],
  w: { price: number; latency: number; reputation: number },
): number[] {
  const prices = terms.map((t) => t.price);
  const loads = terms.map((t) => Math.max(t.latencyMs, 0.1) * (1 + t.inFlight));
  const reputations = terms.map((t) => t.reputation);
  return terms.map((_, i) => {
    const p = prices[i] === 0 ? 1 : Math.min(...prices) / (prices[i] as number);
    const l = Math.min(...loads) / (loads[i] as number);
    const r = ((reputations[i] as number) + 1) / ((Math.max(...reputations) + 1) * (1 + (terms[i]?.slashes ?? 0)));
    return w.price * p + w.latency * l + w.reputation * r;
  });
}
