/**
 * Adapter between the gate's inputs and the consensus verdict of `components/weave/verdict.ts`:
 * builds the verdict's `expected` from `GateInputs` (the gate does not carry the whole plan).
 */
import type { RangeShare } from "../plan/types";
import type { WeaveReport } from "../weave/types";
import type { GateInputs } from "./types";

/** One host's observation: its parsed report, or why there is none. */
export interface Observation {
  host: string;
  report?: WeaveReport;
  error?: string;
}

/** What the lab should look like. */
export interface GateExpected {
  range: string;
  bootstrap: GateInputs["bootstrap"];
  encrypted: boolean;
  hosts: Array<{ name: string; address: string; peerName: string; predictedShare?: RangeShare[] }>;
}

export function expectedFromGate(inputs: GateInputs, opts: { checkPrediction: boolean }): GateExpected {
  return {
    range: inputs.allocRange,
    bootstrap: inputs.bootstrap,
    encrypted: inputs.encrypted,
    hosts: inputs.hosts.map((h) => ({
      name: h.host,
      address: h.address,
      peerName: h.peerName,
      ...(opts.checkPrediction && h.predictedShare ? { predictedShare: h.predictedShare } : {}),
    })),
  };
}

/** One problem the gate reports, attributed to a host. */
export interface GateProblem {
  host: string;
  kind: string;
  message: string;
}

export interface GateVerdict {
  healthy: boolean;
  ready: boolean;
  problems: GateProblem[];
  shares: Record<string, RangeShare[]>;
  summary: string;
}

const shareKey = (s: RangeShare[]): string => s.map((x) => x.cidr).sort().join(",");

/**
 * The verdict over one round of observations: every host answers with the expected peer name,
 * range and encryption; every expected peer is connected (failed connections are reported with
 * Weave's reason); the ring exists, covers the range and has only known, reachable lab peers as
 * owners; in seed mode each host owns exactly its predicted share.
 */
export function judge(expected: GateExpected, observations: Observation[]): GateVerdict {
  const problems: GateProblem[] = [];
  const shares: Record<string, RangeShare[]> = {};
  const byName = new Map(expected.hosts.map((h) => [h.peerName, h]));
  let ready = true;
  for (const h of expected.hosts) {
    const o = observations.find((x) => x.host === h.name);
    const r = o?.report;
    if (!r) {
      ready = false;
      problems.push({ host: h.name, kind: "unreachable", message: o?.error ?? "no observation" });
      continue;
    }
    if (r.router.name !== h.peerName) problems.push({ host: h.name, kind: "peer-name", message: `router runs as peer ${r.router.name}, expected ${h.peerName}` });
    if (!r.ipam) {
      problems.push({ host: h.name, kind: "ipam-off", message: "IPAM is disabled on this router (launched without a range)" });
      ready = false;
      continue;
    }
    if (r.ipam.range !== expected.range) {
      problems.push({ host: h.name, kind: "range", message: `launched with range ${r.ipam.range}, the network uses ${expected.range}` });
    }
    if (r.router.encryption !== expected.encrypted) {
      problems.push({ host: h.name, kind: "encryption", message: `encryption is ${r.router.encryption ? "on" : "off"} but the network has it ${expected.encrypted ? "on" : "off"}` });
    }
    for (const c of r.router.connections) {
      if (c.state === "failed" || c.state === "retrying") {
        const ip = c.address.replace(/:\d+$/, "");
        const other = expected.hosts.find((x) => x.address === ip);
        if (other && other.name !== h.name) {
          problems.push({ host: h.name, kind: "connection", message: `connection to ${c.address} (${other.name}) ${c.state}: ${c.error ?? c.info}` });
        }
      }
    }
    const known = new Set(r.router.peers.map((p) => p.name));
    const missing = expected.hosts.filter((x) => !known.has(x.peerName)).map((x) => `${x.name} (${x.peerName})`);
    if (missing.length > 0) problems.push({ host: h.name, kind: "peers", message: `does not see ${missing.join(", ")} in its topology yet` });
    const entries = r.ipam.entries;
    if (!entries || entries.length === 0) {
      ready = false;
      problems.push({ host: h.name, kind: "ipam-not-ready", message: `IPAM is ${r.ipam.status} (no ring yet)` });
      continue;
    }
    const covered = entries.reduce((a, e) => a + e.size, 0);
    if (covered !== r.ipam.rangeNumIPs) problems.push({ host: h.name, kind: "ring-coverage", message: `ring covers ${covered} of ${r.ipam.rangeNumIPs} addresses` });
    for (const ow of r.ipam.owners) {
      if (!byName.has(ow.peer)) {
        problems.push({ host: h.name, kind: "stranger", message: `ring has owner ${ow.peer}(${ow.nickname}) with ${ow.size} addresses, which is not a host of this lab` });
      } else if (!ow.reachable) {
        problems.push({ host: h.name, kind: "unreachable-owner", message: `owner ${ow.peer}(${ow.nickname}) of ${ow.size} addresses is unreachable` });
      }
    }
    const mine = r.ipam.owners.find((ow) => ow.peer === h.peerName);
    shares[h.name] = mine ? mine.shares : [];
    if (expected.bootstrap === "seed" && h.predictedShare && shareKey(shares[h.name]) !== shareKey(h.predictedShare)) {
      problems.push({ host: h.name, kind: "prediction", message: `owns ${shareKey(shares[h.name]) || "nothing"}, the plan predicted ${shareKey(h.predictedShare)}` });
    }
  }
  const healthy = ready && problems.length === 0;
  const summary = healthy
    ? `${expected.hosts.length} hosts agree on one ring for ${expected.range}: ` +
      expected.hosts.map((h) => `${h.name} ${shareKey(shares[h.name] ?? []) || "-"}`).join("; ")
    : `${problems.length} problem(s)`;
  return { healthy, ready, problems, shares, summary };
}
