/**
 * `weave-lab status`, the pure part: what every host showed (router, report, the lab's Docker
 * containers, `weave ps`) against the plan → one row per host and a list of drift, each naming
 * the host and the thing. The consensus verdict (`weave/verdict.ts`) judges the ring; this adds
 * what the spec says about routers, containers and names.
 *
 * Exit codes: 2 when a host could not be reached at all (the picture is incomplete), else 1 when
 * anything drifted or the verdict is not ready, else 0.
 */
import type { ContainerPlan, LabPlan } from "../model/plan";
import {
  consensusVerdict,
  expectedFromPlan,
  type HostObservation,
  type VerdictProblem,
} from "../weave/verdict";
import type { PsEntry, WeaveReport } from "../weave/types";
import { inSubnet } from "../providers/dataplane-matrix";

/** One of the lab's containers as Docker shows it (`docker inspect`). */
export interface LiveContainer {
  id: string;
  state: string;
  labels: Record<string, string>;
}

/** Everything read from one host. */
export interface HostLive {
  host: string;
  /** Set when SSH itself failed: nothing else was read. */
  unreachable?: string;
  /** `docker inspect weave`. */
  router: "running" | "stopped" | "absent";
  /** `GET /report`; undefined when the router did not answer. */
  report?: WeaveReport;
  /** Containers labelled with this lab's name (running or not). */
  containers: LiveContainer[];
  /** `weave ps`: every container attached to Weave on the host; undefined when it could not run. */
  attached?: PsEntry[];
}

export type DriftKind =
  | "host-unreachable"
  | "router-missing"
  | "router-stopped"
  | "router-silent"
  | "router-foreign"
  | "router-other-range"
  | "container-missing"
  | "container-stopped"
  | "container-detached"
  | "container-address"
  | "container-unknown"
  | "name-missing"
  | "unreachable-owner"
  | "split-ring";

/** One difference between the live lab and its spec. */
export interface Drift {
  kind: DriftKind;
  host: string;
  /** What differs: a host, `<host>/<name>` of a container, a peer name or a DNS name. */
  subject: string;
  message: string;
}

/** A container row of the status table. */
export interface ContainerRow {
  /** `<host>/<name>` when weave-lab knows it, else the id Weave or Docker printed. */
  key: string;
  id: string;
  state: string;
  cidrs: string[];
  /** In the spec, found labelled but not in the spec, or attached to Weave without our label. */
  origin: "planned" | "unplanned" | "foreign";
}

/** One host as `status` shows it. */
export interface HostStatus {
  name: string;
  address: string;
  reachable: boolean;
  router: string;
  peerName?: string;
  nickname?: string;
  ipamStatus?: string;
  range?: string;
  /** Peers in its topology (lab host names where known). */
  peers: string[];
  connections: Array<{ peer: string; direction: string; state: string }>;
  owned: string[];
  /** The plan's prediction (seed mode); undefined in consensus mode. */
  predicted?: string[];
  containers: ContainerRow[];
  /** Live weaveDNS entries this router holds: `name → address (container)`. */
  dns: Array<{ name: string; address: string; container: string }>;
}

export interface LabStatus {
  lab: string;
  range: string;
  hosts: HostStatus[];
  drift: Drift[];
  /** The consensus verdict's problems and pending items not already listed as drift. */
  health: VerdictProblem[];
  /**
   * Facts shown but not failing: a host owning other ranges than seed mode predicted (Weave
   * moves space by donation as soon as a host allocates outside what it owns, e.g. in a default
   * subnet smaller than the range).
   */
  notes: string[];
  /** No drift and no health problem. */
  healthy: boolean;
  exitCode: 0 | 1 | 2;
}

const stripDot = (n: string): string => n.replace(/\.$/, "").toLowerCase();
const idMatches = (short: string, full: string): boolean =>
  short.length >= 12 && full.toLowerCase().startsWith(short.toLowerCase());

/** Verdict kinds that a drift entry already tells. */
const TOLD_AS_DRIFT = new Set([
  "peer-name-mismatch",
  "range-mismatch",
  "unreachable-owner",
  "seeded-by-different-peers",
  "ring-views-differ",
  "unreachable",
  "no-observation",
  "router-not-running",
]);

function addressDrift(c: ContainerPlan, cidrs: string[]): string | undefined {
  const a = c.addressing;
  if (a.kind === "static") {
    return cidrs.includes(a.cidr) ? undefined : `has ${cidrs.join(", ")}, the spec gives ${a.cidr}`;
  }
  return cidrs.some((x) => inSubnet(x.split("/")[0], a.subnet))
    ? undefined
    : `has ${cidrs.join(", ")}, outside its subnet ${a.subnet}`;
}

/** Compares what the hosts showed with the plan. */
export function compareLab(plan: LabPlan, live: readonly HostLive[]): LabStatus {
  const drift: Drift[] = [];
  const byHost = new Map(live.map((l) => [l.host, l]));
  const byPeer = new Map(plan.hosts.map((h) => [h.peerName.toLowerCase(), h.name]));
  const peerLabel = (name: string, nick?: string): string =>
    byPeer.get(name.toLowerCase()) ?? `${name}${nick ? `(${nick})` : ""}`;
  const add = (kind: DriftKind, host: string, subject: string, message: string): void => {
    if (!drift.some((d) => d.kind === kind && d.subject === subject && d.message === message))
      drift.push({ kind, host, subject, message });
  };

  const hosts: HostStatus[] = plan.hosts.map((h) => {
    const l = byHost.get(h.name);
    const row: HostStatus = {
      name: h.name,
      address: h.address,
      reachable: !!l && !l.unreachable,
      router: l ? (l.unreachable ? "unknown" : l.router) : "unknown",
      peers: [],
      connections: [],
      owned: [],
      ...(h.predictedShare ? { predicted: h.predictedShare.map((s) => s.cidr) } : {}),
      containers: [],
      dns: [],
    };
    if (!l || l.unreachable) {
      add(
        "host-unreachable",
        h.name,
        h.name,
        `${h.name}: could not be read over SSH: ${l?.unreachable ?? "not observed"}`,
      );
      return row;
    }
    // Router.
    if (l.router === "absent") add("router-missing", h.name, h.name, `${h.name}: no weave router container`);
    else if (l.router === "stopped")
      add("router-stopped", h.name, h.name, `${h.name}: the weave router is stopped`);
    else if (!l.report)
      add(
        "router-silent",
        h.name,
        h.name,
        `${h.name}: the router runs but its API (127.0.0.1:6784) does not answer`,
      );
    const r = l.report;
    if (r) {
      row.router = r.ready ? "ready" : "starting";
      row.peerName = r.router.name;
      row.nickname = r.router.nickname;
      row.peers = r.router.peers.map((p) => peerLabel(p.name, p.nickname));
      row.connections = r.router.connections.map((c) => ({
        peer: c.peer ? peerLabel(c.peer.name, c.peer.nickname) : c.address,
        direction: c.direction,
        state: c.state,
      }));
      if (r.router.name.toLowerCase() !== h.peerName.toLowerCase())
        add(
          "router-foreign",
          h.name,
          h.name,
          `${h.name}: runs a router named ${r.router.name}(${r.router.nickname}), the spec's is ${h.peerName}: not this lab's router`,
        );
      if (!r.ipam)
        add(
          "router-other-range",
          h.name,
          h.name,
          `${h.name}: the router has IPAM disabled, the spec's range is ${plan.network.allocRange}`,
        );
      else {
        row.ipamStatus = r.ipam.status;
        row.range = r.ipam.range;
        if (r.ipam.range !== plan.network.allocRange)
          add(
            "router-other-range",
            h.name,
            h.name,
            `${h.name}: the router runs range ${r.ipam.range}, the spec's is ${plan.network.allocRange}`,
          );
        const mine = r.ipam.owners.find((o) => o.peer.toLowerCase() === h.peerName.toLowerCase());
        row.owned = mine ? mine.shares.map((s) => s.cidr) : [];
        for (const o of r.ipam.owners) {
          if (!o.reachable)
            add(
              "unreachable-owner",
              h.name,
              o.peer,
              `${o.size} addresses (${o.shares.map((s) => s.cidr).join(", ")}) are owned by ${peerLabel(o.peer, o.nickname)}, which is unreachable: bring it back, or run \`weave rmpeer ${o.peer}\` on exactly one surviving host`,
            );
        }
      }
      row.dns = (r.dns?.entries ?? [])
        .filter((e) => e.tombstone === 0)
        .map((e) => ({
          name: stripDot(e.hostname),
          address: e.address,
          container: e.containerId.slice(0, 12),
        }));
    }

    // Containers.
    const planned = plan.containers.filter((c) => c.host === h.name);
    const seen = new Set<string>();
    for (const c of planned) {
      const found = l.containers.find((x) => x.labels["weave-lab.key"] === c.key);
      if (!found) {
        add("container-missing", h.name, c.key, `${c.key}: no such container on ${h.name}`);
        row.containers.push({ key: c.key, id: "", state: "missing", cidrs: [], origin: "planned" });
        continue;
      }
      seen.add(found.id);
      const att = l.attached?.find((a) => !a.isExpose && idMatches(a.id, found.id));
      const cidrs = att?.cidrs ?? [];
      row.containers.push({
        key: c.key,
        id: found.id.slice(0, 12),
        state: found.state,
        cidrs,
        origin: "planned",
      });
      if (found.state !== "running") {
        add("container-stopped", h.name, c.key, `${c.key}: the container is ${found.state}`);
        continue;
      }
      if (!l.attached) continue;
      if (cidrs.length === 0) {
        add("container-detached", h.name, c.key, `${c.key}: running but not attached to Weave (no address)`);
        continue;
      }
      const why = addressDrift(c, cidrs);
      if (why) add("container-address", h.name, c.key, `${c.key}: ${why}`);
      const names = [...(c.fqdn ? [c.fqdn] : []), ...c.extraFqdns];
      for (const n of names) {
        if (r?.dns && !row.dns.some((e) => e.name === n.toLowerCase() && idMatches(e.container, found.id)))
          add("name-missing", h.name, n, `${n}: not registered in weaveDNS for ${c.key}`);
      }
    }
    for (const x of l.containers) {
      if (seen.has(x.id)) continue;
      const key = x.labels["weave-lab.key"] ?? x.id.slice(0, 12);
      const att = l.attached?.find((a) => !a.isExpose && idMatches(a.id, x.id));
      seen.add(x.id);
      row.containers.push({
        key,
        id: x.id.slice(0, 12),
        state: x.state,
        cidrs: att?.cidrs ?? [],
        origin: "unplanned",
      });
      add(
        "container-unknown",
        h.name,
        key,
        `${key}: a container of this lab on ${h.name} that the spec does not have`,
      );
    }
    for (const a of l.attached ?? []) {
      if (a.isExpose || [...seen].some((id) => idMatches(a.id, id))) continue;
      row.containers.push({ key: a.id, id: a.id, state: "running", cidrs: a.cidrs, origin: "foreign" });
      add(
        "container-unknown",
        h.name,
        a.id,
        `${a.id}: attached to Weave on ${h.name} (${a.cidrs.join(", ") || "no address"}) but not in the spec`,
      );
    }
    for (const rec of plan.dnsRecords.filter((x) => x.host === h.name)) {
      if (!r?.dns) continue;
      const have = row.dns.filter((e) => e.name === rec.fqdn.toLowerCase()).map((e) => e.address);
      const lacking = rec.ips.filter((ip) => !have.includes(ip));
      if (lacking.length)
        add(
          "name-missing",
          h.name,
          rec.fqdn,
          `${rec.fqdn}: ${lacking.join(", ")} not registered in weaveDNS on ${h.name}`,
        );
    }
    return row;
  });

  // Split ring: hosts whose routers see different owners for the range.
  const views = new Map<string, string[]>();
  for (const h of plan.hosts) {
    const r = byHost.get(h.name)?.report;
    if (!r?.ipam?.entries?.length || r.ipam.range !== plan.network.allocRange) continue;
    const key = JSON.stringify(
      r.ipam.owners.map((o) => [o.peer.toLowerCase(), o.shares.map((s) => s.cidr)]).sort(),
    );
    views.set(key, [...(views.get(key) ?? []), h.name]);
  }
  if (views.size > 1) {
    const groups = [...views.values()].map((g) => `{${g.join(", ")}}`).join(" vs ");
    add(
      "split-ring",
      "lab",
      plan.network.allocRange,
      `the hosts disagree on who owns ${plan.network.allocRange}: ${groups}`,
    );
  }

  const observations: HostObservation[] = live.map((l) =>
    l.report
      ? { host: l.host, report: l.report }
      : { host: l.host, error: l.unreachable ?? `router ${l.router}` },
  );
  const v = consensusVerdict(expectedFromPlan(plan), observations);
  const all = [...v.problems, ...v.waiting];
  const notes = all
    .filter((p) => p.kind === "share-mismatch")
    .map((p) => `${p.message} (moved by donation since the ring formed)`);
  const health = all.filter((p) => !TOLD_AS_DRIFT.has(p.kind) && p.kind !== "share-mismatch");
  const unreachable = drift.some((d) => d.kind === "host-unreachable");
  const healthy = drift.length === 0 && health.length === 0;
  return {
    lab: plan.name,
    range: plan.network.allocRange,
    hosts,
    drift,
    health,
    notes,
    healthy,
    exitCode: unreachable ? 2 : healthy ? 0 : 1,
  };
}
