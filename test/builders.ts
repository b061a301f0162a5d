/**
 * Builders the tests share: the fixtures' seed lab, a NetworkPlan with every default resolved, and
 * a router's report, values with Pulumi's unknown placeholder.
 * Each test states what it changes; the rest is the same lab everywhere.
 */
import type { NetworkPlan } from "../components/model/plan";
import { planLab } from "../components/plan";
import { UNKNOWN } from "../components/providers/unknowns";
import type { ContainerSpec, DnsRecordSpec, LabSpec, NetworkSpec, SshSettings } from "../components/spec";
import type { ReportDns, ReportIpam, ReportRouter, WeaveReport } from "../components/weave/types";

/** The seed lab's peer names (fixture step 13), deliberately not in host order. */
export const SEED_PEER_NAMES = [
  "02:00:00:00:00:03",
  "02:00:00:00:00:01",
  "02:00:00:00:00:04",
  "02:00:00:00:00:02",
];

/**
 * The fixtures' seed lab (step 13): docker1..docker4 at 10.10.10.101..104 with explicit peer
 * names, range 172.16.16.0/24. Defaults to the name `textbook`, hosts with
 * `insecureIgnoreHostKey`, and no containers or records.
 */
export function seedLab(
  o: {
    name?: string;
    network?: NetworkSpec;
    ssh?: SshSettings;
    containers?: ContainerSpec[];
    dnsRecords?: DnsRecordSpec[];
  } = {},
): LabSpec {
  return {
    name: o.name ?? "textbook",
    network: { allocRange: "172.16.16.0/24", ...o.network },
    hosts: SEED_PEER_NAMES.map((peerName, i) => ({
      name: `docker${i + 1}`,
      address: `10.10.10.10${i + 1}`,
      peerName,
      ssh: o.ssh ?? { insecureIgnoreHostKey: true },
    })),
    ...(o.containers ? { containers: o.containers } : {}),
    ...(o.dnsRecords ? { dnsRecords: o.dnsRecords } : {}),
  };
}

/** The NetworkPlan `planLab` makes of a one-host lab with every default, with `over` on top. */
export function networkPlan(over: Partial<NetworkPlan> = {}): NetworkPlan {
  const plan = planLab({
    hosts: [{ name: "h1", address: "10.0.0.1", ssh: { insecureIgnoreHostKey: true } }],
  });
  return { ...plan.network, ...over };
}

/**
 * A Weave 2.8.1 `/report` of a running router: the fields every report has, with this router's
 * particulars (`name`, `nickname`, and whatever else `router` sets) and its IPAM view on top.
 * Without `ipam.range` the range is 172.16.16.0/24; the default subnet follows the range.
 */
export function weaveReport(o: {
  router: Pick<ReportRouter, "name" | "nickname"> & Partial<ReportRouter>;
  ipam?: Partial<ReportIpam>;
  dns?: ReportDns;
}): WeaveReport {
  const range = o.ipam?.range ?? "172.16.16.0/24";
  return {
    ready: true,
    version: "2.8.1",
    versionCheck: { enabled: false, success: false, newVersion: "", nextCheckAt: "" },
    router: {
      protocol: "weave",
      protocolMinVersion: 1,
      protocolMaxVersion: 2,
      encryption: false,
      peerDiscovery: true,
      port: 6783,
      peers: [],
      connections: [],
      terminationCount: 0,
      targets: [],
      trustedSubnets: [],
      interface: "",
      ...o.router,
    },
    ipam: {
      paxos: null,
      range,
      rangeNumIPs: 256,
      activeIPs: 0,
      defaultSubnet: range,
      entries: [],
      owners: [],
      pendingClaims: [],
      pendingAllocates: [],
      status: "ready",
      ...o.ipam,
    },
    ...(o.dns ? { dns: o.dns } : {}),
  };
}

/** Every position in a JSON value below the top (each key and index, depth first). */
export function innerPositions(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = at.length > 0 ? [at] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...innerPositions(x, [...at, i])));
  else if (v !== null && typeof v === "object")
    for (const [k, x] of Object.entries(v)) out.push(...innerPositions(x, [...at, k]));
  return out;
}

/** A deep copy of `v` with Pulumi's unknown placeholder ("known after apply") at `path`. */
export function withUnknownAt<T>(v: T, path: Array<string | number>): T {
  const copy = JSON.parse(JSON.stringify(v)) as Record<string | number, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[path[path.length - 1]] = UNKNOWN;
  return copy as T;
}

/**
 * `docker exec` of the weave script in the router container with the default environment, as
 * the script's own helper would run `args` (exec_remote: HOST_ROOT=/host, `--local`), written
 * out here once for the tests that expect it.
 */
export function inRouterArgv(...args: string[]): string[] {
  return [
    "docker",
    "exec",
    "-e",
    "HOST_ROOT=/host",
    "-e",
    "CHECKPOINT_DISABLE=1",
    "weave",
    "/home/weave/weave",
    "--local",
    ...args,
  ];
}
