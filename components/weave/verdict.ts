/**
 * The consensus verdict: given what the plan expects and what every host's router reports,
 * is the lab one healthy Weave network with one agreed ring? Pure: the consensus gate polls
 * reports and calls this until `ready`, or fails with `problems` at its deadline.
 *
 * Vocabulary: a *problem* is something wrong now (a failed connection, a wrong range, a
 * stranger in the ring); a *wait* is something not done yet (IPAM idle before `weave prime`,
 * a connection still pending). `healthy` = no problems; `ready` = healthy and nothing to wait for.
 */
import type { LabPlan, RangeShare } from "../model/plan";
import type {
  ExpectedHost,
  ExpectedLab,
  HostObservation,
  Judge,
  Verdict,
  VerdictProblem,
} from "./verdict-types";
import { classifyLine, classifyOutput } from "./errors";
import type { WeaveReport } from "./types";
import {
  checkIpam,
  checkPredictedShares,
  checkRingViews,
  checkRouter,
  checkTopology,
  newJudge,
  readRing,
} from "./verdict-checks";
import { checkConnections, checkDialledStrangers, checkLogLines } from "./verdict-connections";

export type { ExpectedHost, ExpectedLab, HostObservation, Verdict, VerdictProblem } from "./verdict-types";

/** Derive the expectation from a plan. */
export function expectedFromPlan(plan: LabPlan): ExpectedLab {
  return {
    range: plan.network.allocRange,
    bootstrap: plan.network.bootstrap,
    encrypted: plan.network.encrypted,
    hosts: plan.hosts.map((h) => {
      const e: ExpectedHost = {
        name: h.name,
        address: h.address,
        peerName: h.peerName,
        nickname: h.nickname,
      };
      if (h.predictedShare) e.predictedShare = h.predictedShare;
      return e;
    }),
  };
}

/**
 * Decide whether the lab is one healthy network. `observations` should hold one entry per
 * expected host; a host without one is a problem.
 */
export function consensusVerdict(expected: ExpectedLab, observations: HostObservation[]): Verdict {
  const j = newJudge(expected);
  const { problems, waiting, shares, problem } = j;

  const obsByHost = new Map(observations.map((o) => [o.host, o]));
  for (const o of observations) {
    if (!expected.hosts.some((h) => h.name === o.host))
      problem(o.host, "unexpected-host", `${o.host} is not a host of this lab`);
  }

  let readyHosts = 0;
  for (const h of expected.hosts) {
    const o = obsByHost.get(h.name);
    shares[h.name] = [];
    if (!o) {
      problem(h.name, "no-observation", `${h.name}: no report was collected`);
      continue;
    }
    if (!o.report) {
      const kind = errorKind(o);
      const why = o.error ?? "no report and no error given";
      problem(
        h.name,
        kind,
        `${h.name}: ${kind === "unreachable" ? "unreachable" : "router not usable"}: ${why}`,
      );
      continue;
    }
    if (judgeHost(j, h, o.report, o.logs)) readyHosts++;
  }
  checkPredictedShares(j, obsByHost);
  checkRingViews(j, obsByHost);

  const healthy = problems.length === 0;
  const ready = healthy && waiting.length === 0 && readyHosts === expected.hosts.length;
  return {
    healthy,
    ready,
    problems,
    waiting,
    shares,
    summary: summarise(expected, ready, healthy, problems, waiting, shares),
  };
}

/** Every check of one host that sent a report; true when nothing on it is still to wait for. */
function judgeHost(j: Judge, h: ExpectedHost, r: WeaveReport, logs: string | undefined): boolean {
  let ready = checkRouter(j, h, r);
  checkTopology(j, h, r);
  const logErrors = logs ? classifyOutput(logs) : [];
  const connections = checkConnections(j, h, r, logErrors);
  ready = connections.ready && ready;
  checkDialledStrangers(j, h, r);
  checkLogLines(j, h, logErrors, connections.allConnected);
  if (!r.ipam) {
    j.problem(
      h.name,
      "ipam-disabled",
      `${h.name}: IPAM is disabled (launched with an empty --ipalloc-range)`,
    );
    return false;
  }
  ready = checkIpam(j, h, r.ipam) && ready;
  readRing(j, h, r.ipam);
  return ready;
}

/** Classify an observation error text into a kind. */
function errorKind(o: { error?: string; kind?: string }): string {
  if (o.kind) return o.kind;
  const text = o.error ?? "";
  const c = classifyLine(text.split("\n").find((l) => classifyLine(l)) ?? "");
  return c?.kind ?? "unreachable";
}

function summarise(
  expected: ExpectedLab,
  ready: boolean,
  healthy: boolean,
  problems: VerdictProblem[],
  waiting: VerdictProblem[],
  shares: Record<string, RangeShare[]>,
): string {
  const split = expected.hosts
    .map((h) => `${h.name} ${shares[h.name]?.map((s) => s.cidr).join("+") || "-"}`)
    .join(", ");
  if (ready) return `${expected.hosts.length} hosts agree on ${expected.range}: ${split}`;
  if (healthy)
    return `not ready yet (${waiting.length} pending): ${waiting.map((w) => w.message).join("; ")}`;
  return `${problems.length} problem(s): ${problems.map((p) => p.message).join("; ")}`;
}
