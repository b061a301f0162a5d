/**
 * The spec, parsed once: every address and CIDR is parsed here and the rule tables read the
 * result, so rules stay cheap even for thousands of containers. The planner reuses the context.
 */
import type { LabSpec } from "../../spec";
import { DEFAULTS } from "../../spec";
import { isInside, parseCidr, parseIPv4, type Cidr, type ParseResult } from "../cidr";
import { classifyLaunchArgs, type LaunchArg } from "../launch-args";
import { derivePeerName, normalizePeerName } from "../../model/peer-names";
import { deployTimeFields, type DeployTimeHostField } from "../../model/deploy-time";

export type Obj = Record<string, unknown>;

/** One validation rule over items of type `C`. */
export interface Rule<C> {
  /** Field the problem is attributed to. */
  path: (c: C) => string;
  /** True when the item breaks the rule. */
  when: (c: C) => boolean;
  /** What is wrong: the bad value and what is allowed. */
  message: (c: C) => string;
  /** `warning`: legal but worth saying; goes to `plan.warnings`. Defaults to `error`. */
  severity?: "error" | "warning";
}

// ---------------------------------------------------------------------------------------------
// Context: the spec, parsed once.

export interface HostCtx {
  i: number;
  raw: Obj;
  ssh: Obj;
  jump?: Obj;
  /** Host name if it is a string. */
  name?: string;
  address: ParseResult<number>;
  /** Fields given at deploy time (Pulumi Outputs): checked once known, not here. */
  atDeploy: ReadonlySet<DeployTimeHostField>;
  /** Canonical peer name (given and valid, or derived); undefined when the given one is invalid. */
  peerName?: string;
  peerNameGiven: boolean;
  args?: LaunchArg[];
  /** Index of an earlier host with the same name / address / peer name. */
  dupName?: number;
  dupAddress?: number;
  dupPeerName?: number;
}

export interface ContainerCtx {
  i: number;
  raw: Obj;
  name?: string;
  host?: string;
  address?: ParseResult<Cidr>;
  subnet?: ParseResult<Cidr>;
  /** Index of an earlier container with the same name on the same host. */
  dupOnHost?: number;
  /** Index of an earlier container with the same static IP. */
  dupStatic?: number;
}

export interface DnsRecordCtx {
  i: number;
  raw: Obj;
  host?: string;
  fqdn?: string;
  dupKey?: number;
}

export interface SpecContext {
  spec: Obj;
  network: Obj;
  dns: Obj;
  weave: Obj;
  labName: string;
  rangeText: string;
  range: ParseResult<Cidr>;
  /** The range if it is usable (parsed, network address, /30 or shorter). */
  goodRange?: Cidr;
  defaultSubnet?: ParseResult<Cidr>;
  goodDefaultSubnet?: Cidr;
  dnsDisabled: boolean;
  /** Domain without trailing dot (resolved default). */
  domain: string;
  distribution: string;
  version: string;
  hosts: HostCtx[];
  hostNames: Set<string>;
  containers: ContainerCtx[];
  dnsRecords: DnsRecordCtx[];
}

export const obj = (v: unknown): Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
export const isObjOrAbsent = (v: unknown): boolean =>
  v === undefined || (v !== null && typeof v === "object" && !Array.isArray(v));
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Does a CIDR parse and is it usable as a Weave range/subnet (network address, ≥ 4 addresses)? */
export const usable = (p: ParseResult<Cidr> | undefined): Cidr | undefined =>
  p && p.ok && !p.value.hostBitsSet && p.value.prefix <= 30 ? p.value : undefined;

/** Resolve a DNS name given in a spec against the domain: a label is qualified, an FQDN must end in the domain. */
export function qualifyDnsName(name: string, domain: string): string | undefined {
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  if (!n.includes(".")) return `${n}.${domain}`;
  return n === domain || n.endsWith(`.${domain}`) ? n : undefined;
}

export function buildContext(spec: LabSpec<unknown> | unknown): SpecContext {
  const s = obj(spec);
  const network = obj(s.network);
  const dns = obj(network.dns);
  const weave = obj(network.weave);
  const labName = str(s.name) ?? DEFAULTS.labName;
  const rangeText = str(network.allocRange) ?? DEFAULTS.allocRange;
  const range = parseCidr(network.allocRange ?? DEFAULTS.allocRange);
  const goodRange = usable(range);
  const defaultSubnet = network.defaultSubnet === undefined ? undefined : parseCidr(network.defaultSubnet);
  const goodDefaultSubnet =
    defaultSubnet === undefined
      ? goodRange
      : goodRange && usable(defaultSubnet) && isInside(usable(defaultSubnet)!, goodRange)
        ? usable(defaultSubnet)
        : undefined;
  const domainRaw = str(dns.domain) ?? DEFAULTS.dnsDomain;
  const domain = domainRaw.endsWith(".") ? domainRaw.slice(0, -1) : domainRaw;
  const distribution = str(weave.distribution) ?? DEFAULTS.distribution;
  const version =
    str(weave.version) ?? DEFAULTS.versions[distribution as keyof typeof DEFAULTS.versions] ?? "";

  const hostsRaw = Array.isArray(s.hosts) ? s.hosts : [];
  const byName = new Map<string, number>();
  const byAddress = new Map<number, number>();
  const byPeer = new Map<string, number>();
  const hosts: HostCtx[] = hostsRaw.map((h, i) => {
    const raw = obj(h);
    const ssh = obj(raw.ssh);
    const name = str(raw.name);
    const atDeploy = new Set(deployTimeFields(raw));
    const address: ParseResult<number> = atDeploy.has("address")
      ? { ok: false, reason: "given at deploy time" }
      : parseIPv4(raw.address);
    const given = raw.peerName !== undefined;
    const peerName = given
      ? typeof raw.peerName === "string"
        ? normalizePeerName(raw.peerName)
        : undefined
      : name !== undefined
        ? derivePeerName(labName, name)
        : undefined;
    const args =
      Array.isArray(raw.extraLaunchArgs) && raw.extraLaunchArgs.every((a) => typeof a === "string")
        ? classifyLaunchArgs(raw.extraLaunchArgs as string[])
        : undefined;
    const hc: HostCtx = {
      i,
      raw,
      ssh,
      jump: ssh.jumpHost === undefined ? undefined : obj(ssh.jumpHost),
      name,
      address,
      atDeploy,
      peerName,
      peerNameGiven: given,
      args,
    };
    if (name !== undefined) {
      if (byName.has(name)) hc.dupName = byName.get(name);
      else byName.set(name, i);
    }
    if (address.ok) {
      if (byAddress.has(address.value)) hc.dupAddress = byAddress.get(address.value);
      else byAddress.set(address.value, i);
    }
    if (peerName !== undefined) {
      if (byPeer.has(peerName)) hc.dupPeerName = byPeer.get(peerName);
      else byPeer.set(peerName, i);
    }
    return hc;
  });

  const containersRaw = Array.isArray(s.containers) ? s.containers : [];
  const byHostName = new Map<string, number>();
  const byStatic = new Map<number, number>();
  const containers: ContainerCtx[] = containersRaw.map((c, i) => {
    const raw = obj(c);
    const cc: ContainerCtx = {
      i,
      raw,
      name: str(raw.name),
      host: str(raw.host),
      address: raw.address === undefined ? undefined : parseCidr(raw.address),
      subnet: raw.subnet === undefined ? undefined : parseCidr(raw.subnet),
    };
    if (cc.name !== undefined && cc.host !== undefined) {
      const key = `${cc.host}/${cc.name}`;
      if (byHostName.has(key)) cc.dupOnHost = byHostName.get(key);
      else byHostName.set(key, i);
    }
    if (cc.address?.ok) {
      const ip = cc.address.value.addr;
      if (byStatic.has(ip)) cc.dupStatic = byStatic.get(ip);
      else byStatic.set(ip, i);
    }
    return cc;
  });

  const firstHost = hosts[0]?.name;
  const byRecord = new Map<string, number>();
  const dnsRecords: DnsRecordCtx[] = (Array.isArray(s.dnsRecords) ? s.dnsRecords : []).map((r, i) => {
    const raw = obj(r);
    const host = raw.host === undefined ? firstHost : str(raw.host);
    const fqdn = typeof raw.name === "string" ? qualifyDnsName(raw.name, domain) : undefined;
    const rc: DnsRecordCtx = { i, raw, host, fqdn };
    if (host !== undefined && fqdn !== undefined) {
      const key = `${host}/${fqdn}`;
      if (byRecord.has(key)) rc.dupKey = byRecord.get(key);
      else byRecord.set(key, i);
    }
    return rc;
  });

  return {
    spec: s,
    network,
    dns,
    weave,
    labName,
    rangeText,
    range,
    goodRange,
    defaultSubnet,
    goodDefaultSubnet,
    dnsDisabled: dns.disabled === true,
    domain,
    distribution,
    version,
    hosts,
    hostNames: new Set(byName.keys()),
    containers,
    dnsRecords,
  };
}
