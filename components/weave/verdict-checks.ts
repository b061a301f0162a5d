/**
 * The consensus verdict's checks of one router and of the ring, one per question: is the router
 * what the plan launched, does it know every lab peer and no stranger, is its IPAM ready on the
 * lab's range, what ring does it see, and do the hosts agree on it. Each adds problems and waits
 * to a `Judge`; `verdict.ts` runs them in order (connections are in `verdict-connections.ts`).
 */
import type { RangeShare } from "../model/plan";
import { ipToNumber, mergeIntervals, normaliseShares, parseCidr } from "./ipv4";
import type { WeaveReport } from "./types";
import type { ExpectedHost, ExpectedLab, HostObservation, Judge, VerdictProblem } from "./verdict-types";

export function newJudge(expected: ExpectedLab): Judge {
  const problems: VerdictProblem[] = [];
  const waiting: VerdictProblem[] = [];
  const byPeerName = new Map(expected.hosts.map((h) => [h.peerName.toLowerCase(), h]));
  const problem = (host: string, kind: string, message: string, about?: VerdictProblem["about"]): void => {
    if (!problems.some((p) => p.host === host && p.kind === kind && p.message === message))
      problems.push(about ? { host, kind, message, about } : { host, kind, message });
  };
  let rangeSize = 0;
  try {
    rangeSize = parseCidr(expected.range).size;
  } catch {
    problem("lab", "bad-range", `the lab's range ${JSON.stringify(expected.range)} is not an IPv4 CIDR`);
  }
  return {
    expected,
    problems,
    waiting,
    shares: {},
    byPeerName,
    byIp: new Map(expected.hosts.map((h) => [h.address, h])),
    rangeSize,
    label: (peerName, nickname) => {
      const h = byPeerName.get(peerName.toLowerCase());
      return h ? h.name : `${peerName}${nickname ? `(${nickname})` : ""}`;
    },
    problem,
    wait: (host, kind, message) => {
      waiting.push({ host, kind, message });
    },
  };
}

/** The router itself: started, with the planned peer name and encryption. False while it starts. */
export function checkRouter(j: Judge, h: ExpectedHost, r: WeaveReport): boolean {
  const { expected, problem, wait } = j;
  let ready = true;
  if (!r.ready) {
    ready = false;
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
  return ready;
}

/** Topology: every lab peer known, no stranger. */
export function checkTopology(j: Judge, h: ExpectedHost, r: WeaveReport): void {
  const { expected, problem, byPeerName } = j;
  const known = new Set(r.router.peers.map((p) => p.name.toLowerCase()));
  for (const other of expected.hosts) {
    if (!known.has(other.peerName.toLowerCase())) {
      problem(h.name, "peer-missing", `${h.name}: ${other.name} (${other.peerName}) is not in its peer list`);
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
}

/** IPAM on the lab's range and in a ready state. False while it waits for a ring. */
export function checkIpam(j: Judge, h: ExpectedHost, ipam: NonNullable<WeaveReport["ipam"]>): boolean {
  const { expected, problem, wait } = j;
  let ready = true;
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
      ready = false;
      wait(
        h.name,
        "ipam-idle",
        `${h.name}: IPAM is idle (no ring yet; ${expected.bootstrap === "seed" ? "seed mode should be ready at launch" : "run weave prime"})`,
      );
      break;
    case "awaiting-consensus":
      ready = false;
      wait(
        h.name,
        "ipam-awaiting-consensus",
        `${h.name}: IPAM awaiting consensus (quorum ${ipam.paxos?.quorum}, known ${ipam.paxos?.knownNodes})`,
      );
      break;
    case "priming":
      ready = false;
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
  return ready;
}

/** The ring as this host sees it: complete, owned by lab hosts that are reachable; its share. */
export function readRing(j: Judge, h: ExpectedHost, ipam: NonNullable<WeaveReport["ipam"]>): void {
  const { expected, problem, byPeerName, rangeSize, shares } = j;
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
}

/** Seed mode: the split is known in advance and must be exactly the prediction. */
export function checkPredictedShares(j: Judge, obsByHost: Map<string, HostObservation>): void {
  const { expected, problem, shares } = j;
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
}

/** Ring views must agree between hosts (ownership, not versions, which propagate lazily). */
export function checkRingViews(j: Judge, obsByHost: Map<string, HostObservation>): void {
  const { expected, wait } = j;
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
}
