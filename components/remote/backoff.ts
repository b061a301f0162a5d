/**
 * Connect retry schedule: exponential backoff with full jitter, never sleeping past the overall
 * budget. Pure (the random source is a parameter) so the bound is property-tested.
 */

export interface BackoffOptions {
  /** First delay ceiling. Defaults to 250 ms. */
  initialMs?: number;
  /** Growth per attempt. Defaults to 2. */
  factor?: number;
  /** Largest delay ceiling: a fresh host's sshd comes up within seconds, so poll at least this often. Defaults to 4 000 ms. */
  maxMs?: number;
}

/**
 * The delay before retry number `attempt` (0-based): uniformly random in [ceiling/2, ceiling]
 * where ceiling = min(maxMs, initialMs·factor^attempt), clipped to the time left. Half-jitter
 * keeps hosts from retrying in lock-step without ever spinning on a near-zero delay.
 */
export function backoffDelay(
  attempt: number,
  remainingMs: number,
  random: () => number = Math.random,
  opts: BackoffOptions = {},
): number {
  const initial = opts.initialMs ?? 250;
  const factor = opts.factor ?? 2;
  const max = opts.maxMs ?? 4000;
  const ceiling = Math.min(max, initial * Math.pow(factor, Math.min(attempt, 60)));
  const d = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(0, Math.min(remainingMs, Math.round(d)));
}

/**
 * The whole schedule of delays that fit in `budgetMs`, assuming every attempt itself fails
 * instantly (the worst case for the number of attempts). Used by tests and the docs.
 */
export function backoffSchedule(
  budgetMs: number,
  random: () => number = Math.random,
  opts: BackoffOptions = {},
): number[] {
  const out: number[] = [];
  let spent = 0;
  for (let attempt = 0; spent < budgetMs; attempt++) {
    const d = backoffDelay(attempt, budgetMs - spent, random, opts);
    if (d <= 0) {
      break;
    }
    out.push(d);
    spent += d;
  }
  return out;
}
