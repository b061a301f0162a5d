/**
 * What the ConsensusGate does, as plain functions over `OpsEnv`: prime the ring on one host,
 * then read every host's `/report` concurrently through the API forwards (only the fields the
 * verdict reads: the report's `consensus` view) until the consensus verdict is healthy or the
 * deadline passes, in which case the error says per host what is missing.
 */
import type { RangeShare } from "../model/plan";
import type { HostConnection } from "../remote/types";

import type { OpsEnv } from "./ops-env";
import { fetchReport } from "./router-read";
import { consensusVerdict, type VerdictProblem } from "../weave/verdict";
import { expectedFromGate, type Observation } from "./verdict-adapter";
import type { GateHostResult, GateInputs, GateOutputs } from "./types";

/** One round of observation: every host's report (or why there is none), read concurrently. */
export async function observeAll(env: OpsEnv, inputs: GateInputs, perHostMs = 5_000): Promise<Observation[]> {
  return Promise.all(
    inputs.hosts.map(async (h): Promise<Observation> => {
      let conn: HostConnection;
      try {
        conn = env.connect(h.connection);
        const report = await fetchReport(conn, perHostMs, "consensus");
        if (!report)
          return { host: h.host, error: "the router does not answer on 127.0.0.1:6784 (not running?)" };
        return { host: h.host, report };
      } catch (e) {
        return { host: h.host, error: String((e as Error).message ?? e) };
      }
    }),
  );
}

/** Messages usually start with the host already; add it when not. */
function withHost(host: string, message: string): string {
  return message.startsWith(`${host}:`) ? message : `${host}: ${message}`;
}

/** Sum of share sizes. */
function sizeOf(shares: RangeShare[]): number {
  return shares.reduce((a, s) => a + s.size, 0);
}

/** A host being removed: still running until its router is deleted (after the gate). */
export interface LeavingHost {
  host: string;
  peerName: string;
  nickname: string;
  address: string;
}

/**
 * Is a verdict problem about a leaving host? Matched on the problem's fields (the host it was
 * seen on, the peer name or address it is about), never by searching its text: leaving
 * `docker1` must not hide a problem about `docker10`.
 */
export function isAbout(p: VerdictProblem, l: LeavingHost): boolean {
  if (p.host === l.host) return true;
  const a = p.about;
  if (!a) return false;
  return (
    (a.peerName !== undefined && a.peerName.toLowerCase() === l.peerName.toLowerCase()) ||
    (a.address !== undefined && a.address === l.address)
  );
}

export interface GateRunOptions {
  /** First poll interval, ms (default 250). */
  pollMs?: number;
  /**
   * Longest poll interval, ms (default 1000). While the open problems stay the same, each wait
   * is half as long again as the one before, up to this; any change sets it back to `pollMs`.
   */
  maxPollMs?: number;
  /** Progress log interval, ms. */
  logEveryMs?: number;
  /**
   * Peer names of hosts being removed in this update: still running until their routers are
   * deleted (after the gate), so their ownership is expected and not a problem.
   */
  leaving?: LeavingHost[];
  /** True when the ring was formed with another seed list (hosts joined later): no prediction to check. */
  membershipChanged?: boolean;
}

/**
 * `weave prime` without its helper container: the script's `prime` is `GET /ring` on the router's
 * API, which answers (empty, 200) once this peer has a ring, forming it by consensus when none
 * exists yet (needs a quorum of connected peers). Asked here through the same API forward as the
 * reports. 404 means the router has IPAM off, as the script's exit 4 does.
 */
export async function prime(env: OpsEnv, inputs: GateInputs): Promise<void> {
  const first = inputs.hosts[0];
  env.log(`consensus: priming the ring on ${first.host} (GET /ring, as weave prime does)`);
  const r = await env.connect(first.connection).http("GET", "/ring", { timeoutMs: inputs.primeTimeoutMs });
  if (r.status === 200) return;
  throw new Error(
    `${first.host}: priming the IPAM ring (GET /ring on the router's API, what \`weave prime\` asks) answered ${r.status}` +
      (r.status === 404
        ? ": the router has IPAM off, so there is no ring to agree on. Launch it with --ipalloc-range (network.allocRange)."
        : `: ${JSON.stringify(r.body.slice(0, 300))}`),
  );
}

/**
 * The wait before the next poll: back to `first` when the open problems changed since the last
 * round (the mesh is moving), else half as long again as the last wait, at most `max`. Reading
 * 16 reports through SSH every 250 ms is work the busy routers' hosts share; a lab waiting on a
 * connection Weave leaves pending (on 16 real hosts, one sleeve connection stayed so for about a
 * minute, until Weave gave up on it and reconnected) gains nothing by it.
 */
export function nextPollMs(last: number, changed: boolean, first: number, max: number): number {
  return changed ? first : Math.min(max, Math.max(first, Math.round(last * 1.5)));
}

/** Prime, then wait for a healthy verdict. */
export async function runGate(
  env: OpsEnv,
  inputs: GateInputs,
  opts: GateRunOptions = {},
): Promise<GateOutputs> {
  if (inputs.hosts.length === 0) throw new Error("consensus gate: the lab has no hosts");
  const pollMs = opts.pollMs ?? 250;
  const maxPollMs = Math.max(pollMs, opts.maxPollMs ?? 1_000);
  let delay = pollMs;
  let lastOpen: string | undefined;
  const logEvery = opts.logEveryMs ?? 5_000;
  const started = Date.now();
  await prime(env, inputs);
  // A ring formed with another seed list, or one a relaunched router rejoined (its old range was
  // handed over), has shares the seed does not predict.
  const rejoined = inputs.rejoinedHosts ?? [];
  const expected = expectedFromGate(inputs, {
    checkPrediction: !opts.membershipChanged && rejoined.length === 0,
  });
  const deadline = started + inputs.timeoutSeconds * 1000;
  let lastLog = started;
  for (;;) {
    const observations = await observeAll(env, inputs);
    const v = consensusVerdict(expected, observations);
    const leaving = opts.leaving ?? [];
    const aboutLeaving = (p: VerdictProblem): boolean => leaving.some((l) => isAbout(p, l));
    const problems = v.problems.filter((p) => !aboutLeaving(p));
    const waiting = v.waiting.filter((p) => !aboutLeaving(p));
    const ready = leaving.length === 0 ? v.ready : problems.length === 0 && waiting.length === 0;
    if (ready && problems.length === 0) {
      const results: Record<string, GateHostResult> = {};
      for (const h of inputs.hosts) {
        const shares = v.shares[h.host] ?? [];
        results[h.host] = {
          peerName: h.peerName,
          nickname: h.nickname,
          address: h.address,
          shares,
          size: sizeOf(shares),
        };
      }
      const ms = Date.now() - started;
      env.log(
        `consensus: all ${inputs.hosts.length} hosts agree on one ring for ${inputs.allocRange} (${ms} ms)`,
      );
      return {
        ...inputs,
        healthy: true,
        summary: v.summary,
        results,
        ringSeed: inputs.seedNames,
        convergedMs: ms,
      };
    }
    const now = Date.now();
    if (now >= deadline) {
      const lines = [...problems, ...waiting].map((p) => `  ${withHost(p.host, p.message)}`);
      throw new Error(
        `consensus not reached on ${inputs.allocRange} within ${inputs.timeoutSeconds} s (network.consensusTimeoutSeconds):\n` +
          (lines.length > 0 ? lines.join("\n") : `  ${v.summary}`),
      );
    }
    const open = [...problems, ...waiting].map((p) => withHost(p.host, p.message)).join("; ") || v.summary;
    if (now - lastLog >= logEvery) {
      lastLog = now;
      env.log(`consensus: waiting (${Math.round((now - started) / 1000)} s): ${open}`);
    }
    delay = nextPollMs(delay, open !== lastOpen, pollMs, maxPollMs);
    lastOpen = open;
    await env.sleep(delay);
  }
}

/** Update: hosts removed since last time are "leaving"; a changed membership voids the seed prediction. */
export async function updateGate(
  env: OpsEnv,
  olds: GateOutputs,
  news: GateInputs,
  opts: GateRunOptions = {},
): Promise<GateOutputs> {
  const now = new Set(news.hosts.map((h) => h.host));
  const leaving = olds.hosts
    .filter((h) => !now.has(h.host))
    .map((h) => ({ host: h.host, peerName: h.peerName, nickname: h.nickname, address: h.address }));
  const ringSeed = olds.ringSeed ?? olds.seedNames;
  const membershipChanged = JSON.stringify(ringSeed) !== JSON.stringify(news.seedNames);
  const out = await runGate(env, news, { ...opts, leaving, membershipChanged });
  // The ring keeps the seed list it was formed with until every router is relaunched.
  return { ...out, ringSeed: membershipChanged ? ringSeed : news.seedNames };
}
