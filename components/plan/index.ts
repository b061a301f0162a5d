/**
 * `planLab(spec)`: validate a LabSpec and compute every derived fact (defaults, peer names, ring
 * shares, launch commands, container addressing and names). Pure: no I/O, no clock, no
 * randomness, so the same spec always gives the same plan.
 */
import { createHash } from "crypto";
import type { ContainerSpec, DnsRecordSpec, HostSpec, LabSpec, NetworkSpec, SshSettings } from "../spec";
import { DEFAULTS } from "../spec";
import { launchCommand } from "../weave/commands";
import { networkText, type Cidr } from "./cidr";
import { sortPeerNames } from "../model/peer-names";
import { atDeployText, isDeployTime, type DeployTimeHostField } from "../model/deploy-time";
import { predictShares } from "./ring";
import type {
  AddressingPlan,
  ContainerPlan,
  DnsRecordPlan,
  HostPlan,
  LabPlan,
  NetworkPlan,
  SpecIssue,
  SshPlan,
} from "../model/plan";
import { qualifyDnsName, validateSpec, type SpecContext } from "./validate";
import { WEAVE_RELEASES } from "./releases";

export type { LabPlan, HostPlan, ContainerPlan, NetworkPlan, SpecIssue } from "../model/plan";
export { validateSpec } from "./validate";

/** A spec that cannot be planned. `issues` lists every problem; the message has one line per problem. */
export class SpecError extends Error {
  readonly issues: SpecIssue[];
  constructor(issues: SpecIssue[], header = "Invalid weave-lab spec") {
    super(
      `${header} (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `${i.path}: ${i.message}`).join("\n")}`,
    );
    this.name = "SpecError";
    this.issues = issues;
  }
}

/**
 * Validate `spec` and derive the plan. Throws `SpecError` listing every problem at once.
 * Secret fields (`password`, SSH keys, host keys) may be of any type: only their presence is read.
 * Where a host is (`address`, `ssh.host`, …) may be a Pulumi Output: the plan then shows
 * `<address of NAME>` there, lists the field in the host's `atDeploy`, and is made again with the
 * values once they are known (`WeaveNetwork` does).
 */
export function planLab<S, A = string>(spec: LabSpec<S, A>): LabPlan {
  const { errors, warnings, context } = validateSpec(spec);
  if (errors.length > 0) throw new SpecError(errors);
  return buildPlan(spec as LabSpec<unknown, unknown>, context, warnings);
}

/** A host field as plan text: its value, or `<address of NAME>` when it is given at deploy time. */
function known(h: HostSpec<unknown, unknown>, field: DeployTimeHostField, v: unknown): string {
  return isDeployTime(v) ? atDeployText(field, h.name) : (v as string);
}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== "";

function buildNetwork(n: NetworkSpec<unknown>, c: SpecContext, hosts: { peerName: string }[]): NetworkPlan {
  const range = c.goodRange!;
  const defaultSubnet = c.goodDefaultSubnet!;
  const distribution = c.distribution as NetworkPlan["weave"]["distribution"];
  const release = WEAVE_RELEASES[distribution][c.version];
  const w = n.weave ?? {};
  const network: Omit<NetworkPlan, "fingerprint"> = {
    allocRange: networkText(range),
    defaultSubnet: networkText(defaultSubnet),
    bootstrap: n.bootstrap ?? DEFAULTS.bootstrap,
    encrypted: present(n.password),
    trustedSubnets: (n.trustedSubnets ?? []).slice(),
    dns: { domain: c.domain, ttl: n.dns?.ttl ?? DEFAULTS.dnsTtl, disabled: n.dns?.disabled ?? false },
    weave: {
      distribution,
      version: c.version,
      dockerApiVersion: release.dockerApiVersion,
      install: w.install ?? "present",
      scriptPath: w.scriptPath ?? DEFAULTS.scriptPath,
      ...(w.install === "download"
        ? { scriptUrl: w.scriptUrl ?? release.scriptUrl, scriptSha256: w.scriptSha256!.toLowerCase() }
        : {}),
      ...(w.dockerApiVersion !== undefined ? { dockerApiVersionOverride: w.dockerApiVersion } : {}),
    },
    proxy: n.proxy ?? false,
    plugin: n.plugin ?? false,
    resetForeignRouters: n.resetForeignRouters ?? false,
    consensusTimeoutSeconds: n.consensusTimeoutSeconds ?? DEFAULTS.consensusTimeoutSeconds,
  };
  return {
    ...network,
    fingerprint: networkFingerprint(
      network,
      hosts.map((h) => h.peerName),
    ),
  };
}

/**
 * Digest of every router-wide fact. Two plans with equal fingerprints launch compatible routers;
 * a different fingerprint means relaunching every router with IPAM reset. The install method,
 * script path and timeouts are deliberately left out: they do not change what the routers agree on.
 */
export function networkFingerprint(n: Omit<NetworkPlan, "fingerprint">, peerNames: string[]): string {
  const facts = {
    allocRange: n.allocRange,
    defaultSubnet: n.defaultSubnet,
    bootstrap: n.bootstrap,
    seeds: sortPeerNames(peerNames),
    encrypted: n.encrypted,
    trustedSubnets: [...n.trustedSubnets].sort(),
    dns: n.dns,
    weave: { distribution: n.weave.distribution, version: n.weave.version },
  };
  return createHash("sha256").update(JSON.stringify(facts)).digest("hex").slice(0, 16);
}

function buildSsh(h: HostSpec<unknown, unknown>): SshPlan {
  const s: SshSettings<unknown, unknown> = h.ssh ?? {};
  const user = s.user === undefined ? DEFAULTS.sshUser : known(h, "ssh.user", s.user);
  return {
    host: s.host === undefined ? known(h, "address", h.address) : known(h, "ssh.host", s.host),
    port: s.port ?? DEFAULTS.sshPort,
    user,
    hasPrivateKey: present(s.privateKey),
    ...(s.agent !== undefined ? { agent: s.agent } : {}),
    hasHostKey: present(s.hostKey),
    insecureIgnoreHostKey: s.insecureIgnoreHostKey ?? false,
    sudo: s.sudo ?? false,
    ...(s.jumpHost
      ? {
          jumpHost: {
            host: known(h, "ssh.jumpHost.host", s.jumpHost.host),
            port: s.jumpHost.port ?? DEFAULTS.sshPort,
            user: s.jumpHost.user === undefined ? user : known(h, "ssh.jumpHost.user", s.jumpHost.user),
            hasHostKey: present(s.jumpHost.hostKey),
            hasPrivateKey: present(s.jumpHost.privateKey) || present(s.privateKey),
          },
        }
      : {}),
    connectTimeoutSeconds: s.connectTimeoutSeconds ?? DEFAULTS.connectTimeoutSeconds,
  };
}

function addressing(
  k: ContainerSpec,
  defaultSubnet: string,
  range: Cidr,
  c: SpecContext,
  i: number,
): AddressingPlan {
  if (k.address !== undefined) {
    const a = c.containers[i].address;
    const ip = a && a.ok ? a.value.addr : 0;
    return { kind: "static", cidr: k.address, insideRange: ip >= range.network && ip <= range.last };
  }
  if (k.subnet !== undefined) return { kind: "subnet", subnet: k.subnet };
  return { kind: "dynamic", subnet: defaultSubnet };
}

function buildPlan(spec: LabSpec<unknown, unknown>, c: SpecContext, warnings: SpecIssue[]): LabPlan {
  const n = spec.network ?? {};
  const peerNames = c.hosts.map((h) => ({ peerName: h.peerName! }));
  const network = buildNetwork(n, c, peerNames);
  const range = c.goodRange!;
  const seeds = sortPeerNames(peerNames.map((p) => p.peerName));
  const shares = network.bootstrap === "seed" ? predictShares(range, seeds) : undefined;

  const hosts: HostPlan[] = spec.hosts.map((h, index) => {
    const peerName = c.hosts[index].peerName!;
    const nickname = h.nickname ?? h.name;
    const peers = spec.hosts.filter((_, j) => j !== index).map((o) => known(o, "address", o.address));
    const extraLaunchArgs = h.extraLaunchArgs ?? [];
    const atDeploy = [...c.hosts[index].atDeploy];
    return {
      index,
      name: h.name,
      address: known(h, "address", h.address),
      ...(atDeploy.length > 0 ? { atDeploy } : {}),
      ssh: buildSsh(h),
      peerName,
      nickname,
      peers,
      launch: launchCommand(network, { peerName, nickname, peers, extraLaunchArgs }, seeds),
      ...(shares ? { predictedShare: shares.get(peerName) ?? [] } : {}),
    };
  });

  const dns = network.dns;
  const containers: ContainerPlan[] = (spec.containers ?? []).map((k, i) => {
    const hostname = k.hostname ?? k.name;
    return {
      key: `${k.host}/${k.name}`,
      name: k.name,
      host: k.host,
      image: k.image,
      command: (k.command ?? []).slice(),
      env: { ...(k.env ?? {}) },
      ports: (k.ports ?? []).slice(),
      publishAll: k.publishAll ?? false,
      restart: k.restart ?? "no",
      hostname,
      addressing: addressing(k, network.defaultSubnet, range, c, i),
      ...(dns.disabled ? {} : { fqdn: `${k.name}.${dns.domain}` }),
      extraFqdns: dns.disabled
        ? []
        : [...new Set((k.dnsNames ?? []).map((d) => qualifyDnsName(d, dns.domain)!))],
    };
  });

  const dnsRecords: DnsRecordPlan[] = (spec.dnsRecords ?? []).map((r: DnsRecordSpec) => {
    const host = r.host ?? spec.hosts[0].name;
    const fqdn = qualifyDnsName(r.name, dns.domain)!;
    return { key: `${host}/${fqdn}`, host, fqdn, ips: r.ips.slice() };
  });

  return { name: c.labName, network, hosts, containers, dnsRecords, warnings };
}
