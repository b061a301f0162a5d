/**
 * The consensus verdict: given what the plan expects and what every host's router reports,
 * is the lab one healthy Weave network with one agreed ring? Pure: the consensus gate polls
 * reports and calls this until `ready`, or fails with `problems` at its deadline.
 *
 * Vocabulary: a *problem* is something wrong now (a failed connection, a wrong range, a
 * stranger in the ring); a *wait* is something not done yet (IPAM idle before `weave prime`,
 * a connection still pending). `healthy` = no problems; `ready` = healthy and nothing to wait for.
 */
import type { BootstrapMode } from "../spec";
import type { LabPlan, RangeShare } from "../model/plan";
import { classifyLine, classifyOutput, type WeaveError } from "./errors";
import { ipToNumber, mergeIntervals, normaliseShares, parseCidr } from "./ipv4";
import type { ConnectionInfo, WeaveReport } from "./types";

/** One host as the plan expects it. */
export interface ExpectedHost {
  name: string;
  /** Address other routers dial (its TCP 6783). */
  address: string;
  peerName: string;
  /** Weave nickname; informational. */
  nickname?: string;
  /** Seed mode: the share the plan predicts. */
  predictedShare?: RangeShare[];
}

/** What the verdict compares reports against. */
export interface ExpectedLab {
  range: string;
  bootstrap: BootstrapMode;
  encrypted: boolean;
  hosts: ExpectedHost[];
}

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
 * What was seen on one host: its parsed report (plus recent router log lines), or why there is
 * none. A report wins when both are given.
 */
export interface HostObservation {
  host: string;
  report?: WeaveReport;
  /** Recent `docker logs weave` output; explains failures the report only shows as resets. */
  logs?: string;
  /** What went wrong reaching the router, as the transport or CLI said it. */
  error?: string;
  /** Kind of `error`; defaults to a classification of its text (router-not-running, …) or `unreachable`. */
  kind?: string;
}

export interface VerdictProblem {
  host: string;
  message: string;
  kind: string;
  /**
   * The other peer the problem is about, when it is about one (a stranger in the topology, a
   * dialled address, an owner of addresses, the far end of a logged failure): its peer name
   * and/or address, so callers match on fields instead of searching the message.
   */
  about?: { peerName?: string; address?: string };
}

export interface Verdict {
  /** No problems (waits allowed). */
  healthy: boolean;
  /** Healthy, every router ready, IPAM ready everywhere, ring complete. */
  ready: boolean;
  problems: VerdictProblem[];
  /** Things not done yet; not failures. */
  waiting: VerdictProblem[];
  /** Each host's share of the range as its own router reports it (empty while no ring). */
  shares: Record<string, RangeShare[]>;
  /** One paragraph for logs and errors. */
  summary: string;
}

const ipOf = (address: string): string => address.replace(/:\d+$/, "");

/** Turn a connection failure into a sentence naming who must change what. */
function explainFailure(
  host: string,
  peerLabel: string,
  peerHost: ExpectedHost | undefined,
  e: WeaveError | undefined,
  raw: string,
  lab: ExpectedLab,
): { kind: string; message: string } {
  const head = `${host}: connection to ${peerLabel} failed: `;
  if (!e) return { kind: "connection-failed", message: `${head}${raw}` };
  switch (e.kind) {
    case "incompatible-range": {
      const odd =
        e.ours !== lab.range ? host : e.received !== lab.range ? (peerHost?.name ?? peerLabel) : undefined;
      const who = odd
        ? `${odd} was launched with another --ipalloc-range (the lab's is ${lab.range})`
        : "the two routers disagree on --ipalloc-range";
      return {
        kind: e.kind,
        message: `${head}Incompatible IP allocation ranges (received ${e.received}, ours ${e.ours}): ${who}`,
      };
    }
    case "seeded-by-different-peers": {
      const fmt = (l: typeof e.ours) => l.map((p) => p.nickname || p.name).join(", ") || "none";
      return {
        kind: e.kind,
        message: `${head}IP allocation was seeded by different peers (theirs: ${fmt(e.received)}; ours: ${fmt(e.ours)}): the routers formed separate rings; reset one side and relaunch it with the lab's peers`,
      };
    }
    case "password-missing-here":
      return {
        kind: e.kind,
        message: `${head}${host} has no password but ${peerLabel} encrypts; launch every router with the same password`,
      };
    case "password-missing-on-peer":
      return {
        kind: e.kind,
        message: `${head}${peerLabel} has no password but ${host} encrypts; launch every router with the same password`,
      };
    case "connection-refused":
      return {
        kind: e.kind,
        message: `${head}nothing listens on ${e.target} (router on ${peerLabel} not running, or TCP 6783 blocked)`,
      };
    default:
      return { kind: e.kind, message: `${head}${e.line}. ${e.advice}` };
  }
}

/** Classify an observation error text into a kind. */
function errorKind(o: { error?: string; kind?: string }): string {
  if (o.kind) return o.kind;
  const text = o.error ?? "";
  const c = classifyLine(text.split("\n").find((l) => classifyLine(l)) ?? "");
  return c?.kind ?? "unreachable";
}

/**
 * Decide whether the lab is one healthy network. `observations` should hold one entry per
 * expected host; a host without one is a problem.
 */
export function consensusVerdict(expected: ExpectedLab, observations: HostObservation[]): Verdict {
  const problems: VerdictProblem[] = [];
  const waiting: VerdictProblem[] = [];
  const shares: Record<string, RangeShare[]> = {};
  const byPeerName = new Map(expected.hosts.map((h) => [h.peerName.toLowerCase(), h]));
  const byIp = new Map(expected.hosts.map((h) => [h.address, h]));
  const label = (peerName: string, nickname?: string): string => {
    const h = byPeerName.get(peerName.toLowerCase());
    return h ? h.name : `${peerName}${nickname ? `(${nickname})` : ""}`;
  };
  const problem = (host: string, kind: string, message: string, about?: VerdictProblem["about"]): void => {
    if (!problems.some((p) => p.host === host && p.kind === kind && p.message === message))
      problems.push(about ? { host, kind, message, about } : { host, kind, message });
  };
  const wait = (host: string, kind: string, message: string): void => {
    waiting.push({ host, kind, message });
  };

  let rangeSize = 0;
  try {
    rangeSize = parseCidr(expected.range).size;
  } catch {
    problem("lab", "bad-range", `the lab's range ${JSON.stringify(expected.range)} is not an IPv4 CIDR`);
  }

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
    const r = o.report;
    let hostReady = true;

    if (!r.ready) {
      hostReady = false;
      wait(h.name, "router-starting", `${h.name}: router is still starting (proxy/plugin not ready)`);
    }
    if (r.router.name.toLowerCase() !== h.peerName.toLowerCase()) {
      problem(
        h.name,
        "peer-name-mismatch",
        `${h.name}: router's peer name is ${r.router.name}, the plan expects ${h.peerName}`,
      );
    }
    if (r.router.encryption !== expected.encrypted) {
      problem(
        h.name,
        "encryption-mismatch",
        expected.encrypted
          ? `${h.name}: encryption is disabled but the lab has a password: relaunch ${h.name} with WEAVE_PASSWORD`
          : `${h.name}: encryption is enabled but the lab has no password: relaunch ${h.name} without WEAVE_PASSWORD`,
      );
    }

    // Topology: every lab peer known, no stranger.
    const known = new Set(r.router.peers.map((p) => p.name.toLowerCase()));
    for (const other of expected.hosts) {
      if (!known.has(other.peerName.toLowerCase())) {
        problem(
          h.name,
          "peer-missing",
          `${h.name}: ${other.name} (${other.peerName}) is not in its peer list`,
        );
      }
    }
    for (const p of r.router.peers) {
      if (!byPeerName.has(p.name.toLowerCase())) {
        problem(
          h.name,
          "stranger-peer",
          `${h.name}: peer ${p.name}(${p.nickname}) is in its topology but is not a host of this lab`,
          { peerName: p.name },
        );
      }
    }

    // Connections: an established one to every other host, failures explained.
    const logErrors = o.logs ? classifyOutput(o.logs) : [];
    let allConnected = true;
    for (const other of expected.hosts) {
      if (other.name === h.name) continue;
      const conns = r.router.connections.filter(
        (c) =>
          c.peer?.name.toLowerCase() === other.peerName.toLowerCase() || ipOf(c.address) === other.address,
      );
      if (conns.some((c) => c.state === "established")) continue;
      allConnected = false;
      const failed = conns.find((c) => c.state === "failed" || c.state === "retrying");
      if (failed) {
        let e = classifyLine(failed.error ?? failed.info);
        // A reset only says the far end hung up; the log usually says why (password, range…).
        if (!e || e.kind === "connection-reset") {
          const fromLog = logErrors.find(
            (x) =>
              x.kind !== "connection-reset" &&
              x.kind !== "connect-to-self" &&
              (!x.remote || ipOf(x.remote.address) === other.address),
          );
          if (fromLog) e = fromLog;
        }
        const ex = explainFailure(
          h.name,
          `${ipOf(failed.address)} (${other.name})`,
          other,
          e,
          failed.error ?? failed.info,
          expected,
        );
        problem(h.name, ex.kind, ex.message);
      } else if (conns.some((c: ConnectionInfo) => c.state === "pending" || c.state === "connecting")) {
        hostReady = false;
        wait(h.name, "connection-pending", `${h.name}: connection to ${other.name} is still being set up`);
      } else {
        problem(h.name, "not-connected", `${h.name}: no connection to ${other.name} (${other.address})`);
      }
    }
    for (const c of r.router.connections) {
      if (c.state !== "failed") continue;
      const ip = ipOf(c.address);
      if (!byIp.has(ip) && !(c.error ?? "").includes("cannot connect to ourself")) {
        problem(
          h.name,
          "stranger-target",
          `${h.name}: dials ${c.address}, which is not a host of this lab: ${c.error ?? c.info}`,
          { address: ip },
        );
      }
    }
    // Decisive log lines not already explained by a connection (e.g. the passive side of a
    // mismatch). Once every connection is established they are history, not the present.
    for (const e of allConnected ? [] : logErrors) {
      const decisive = [
        "password-missing-here",
        "password-missing-on-peer",
        "password-mismatch",
        "incompatible-range",
        "seeded-by-different-peers",
        "peer-name-collision",
        "ipam-assertion-panic",
      ];
      if (!decisive.includes(e.kind) || problems.some((p) => p.host === h.name && p.kind === e.kind))
        continue;
      const who = e.remote?.peer
        ? label(e.remote.peer.name, e.remote.peer.nickname)
        : e.remote
          ? ipOf(e.remote.address)
          : "a peer";
      const about = e.remote?.peer
        ? { peerName: e.remote.peer.name, ...(e.remote ? { address: ipOf(e.remote.address) } : {}) }
        : e.remote
          ? { address: ipOf(e.remote.address) }
          : undefined;
      problem(h.name, e.kind, `${h.name}: log says (about ${who}): ${e.line}. ${e.advice}`, about);
    }

    // IPAM.
    const ipam = r.ipam;
    if (!ipam) {
      problem(
        h.name,
        "ipam-disabled",
        `${h.name}: IPAM is disabled (launched with an empty --ipalloc-range)`,
      );
      continue;
    }
    if (ipam.range !== expected.range) {
      problem(
        h.name,
        "range-mismatch",
        `${h.name}: runs range ${ipam.range} but the lab's range is ${expected.range}: ${h.name} was launched with another --ipalloc-range`,
      );
    }
    switch (ipam.status) {
      case "ready":
        break;
      case "idle":
        hostReady = false;
        wait(
          h.name,
          "ipam-idle",
          `${h.name}: IPAM is idle (no ring yet; ${expected.bootstrap === "seed" ? "seed mode should be ready at launch" : "run weave prime"})`,
        );
        break;
      case "awaiting-consensus":
        hostReady = false;
        wait(
          h.name,
          "ipam-awaiting-consensus",
          `${h.name}: IPAM awaiting consensus (quorum ${ipam.paxos?.quorum}, known ${ipam.paxos?.knownNodes})`,
        );
        break;
      case "priming":
        hostReady = false;
        wait(h.name, "ipam-priming", `${h.name}: IPAM is priming (observer waiting for a ring)`);
        break;
      case "waiting-for-ips":
        wait(
          h.name,
          "ipam-waiting-for-ips",
          `${h.name}: allocations are waiting for free addresses (${ipam.pendingAllocates.join(", ")})`,
        );
        break;
      case "all-owners-unreachable":
        problem(h.name, "all-owners-unreachable", `${h.name}: every IP range is owned by unreachable peers`);
        break;
      default:
        problem(h.name, "ipam-unknown", `${h.name}: unrecognised IPAM state`);
    }

    // The ring as this host sees it.
    if (ipam.entries && ipam.entries.length > 0 && rangeSize > 0 && ipam.range === expected.range) {
      const rStart = parseCidr(expected.range).start;
      const covered = mergeIntervals(
        ipam.entries.map((e) => ({ start: ipToNumber(e.token), size: e.size })),
      ).filter((iv) => iv.start >= rStart && iv.start + iv.size <= rStart + rangeSize);
      const total = covered.reduce((n, iv) => n + iv.size, 0);
      if (total !== rangeSize) {
        problem(
          h.name,
          "ring-incomplete",
          `${h.name}: the ring covers ${total} of the ${rangeSize} addresses of ${expected.range}`,
        );
      }
      for (const owner of ipam.owners) {
        const lab = byPeerName.get(owner.peer.toLowerCase());
        const cidrs = owner.shares.map((s) => s.cidr).join(", ");
        if (!lab) {
          problem(
            h.name,
            "stranger-owner",
            `${h.name}: ${owner.size} addresses (${cidrs}) are owned by ${owner.peer}(${owner.nickname}), which is not a host of this lab: run \`weave rmpeer ${owner.peer}\` on one host`,
            { peerName: owner.peer },
          );
        } else if (!owner.reachable) {
          problem(
            h.name,
            "unreachable-owner",
            `${h.name}: ${owner.size} addresses (${cidrs}) are owned by ${lab.name} (${owner.peer}), which is unreachable: bring ${lab.name} back, or run \`weave rmpeer ${owner.peer}\` on exactly one surviving host`,
          );
        }
      }
      const mine = ipam.owners.find((x) => x.peer.toLowerCase() === h.peerName.toLowerCase());
      shares[h.name] = mine ? mine.shares : [];
    }
    if (hostReady) readyHosts++;
  }

  // Seed mode: the split is known in advance and must be exactly the prediction.
  if (expected.bootstrap === "seed") {
    for (const h of expected.hosts) {
      const r = obsByHost.get(h.name)?.report;
      if (!h.predictedShare || !r?.ipam?.entries?.length) continue;
      const want = normaliseShares(h.predictedShare);
      const got = shares[h.name];
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        const fmt = (l: RangeShare[]) => l.map((s) => s.cidr).join(", ") || "nothing";
        problem(h.name, "share-mismatch", `${h.name}: owns ${fmt(got)} but the plan predicted ${fmt(want)}`);
      }
    }
  }

  // Ring views must agree between hosts (ownership, not versions, which propagate lazily).
  const views = expected.hosts
    .map((h) => obsByHost.get(h.name))
    .filter((o): o is HostObservation & { report: WeaveReport } => !!o?.report?.ipam?.entries?.length);
  const viewKey = (r: WeaveReport) =>
    JSON.stringify((r.ipam?.owners ?? []).map((ow) => [ow.peer, ow.shares.map((s) => s.cidr)]));
  const firstView = views[0];
  for (const v of views.slice(1)) {
    if (viewKey(v.report) !== viewKey(firstView.report)) {
      wait(
        v.host,
        "ring-views-differ",
        `${v.host}: its view of the ring differs from ${firstView.host}'s (gossip catching up, or separate rings)`,
      );
    }
  }

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
