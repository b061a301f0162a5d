/**
 * What makes a spec invalid: the one place to look.
 *
 * Validation is a set of rule tables in the aws-cdk style: each rule is `{ path, when, message }`
 * over one kind of item (the lab, a host, one launch argument, a container, a DNS record, a
 * field name). `validateSpec` runs every rule over every item and returns all problems at once;
 * rules with `severity: "warning"` describe legal but surprising specs (they end up in
 * `plan.warnings`). Messages name the bad value and what is allowed.
 *
 * The input may come from YAML/JSON, so every rule reads fields as `unknown` and reports a wrong
 * type instead of crashing. The context parses each address and CIDR once (the planner reuses
 * it), so rules are cheap even for thousands of containers.
 */
import type { LabSpec } from "../spec";
import { DEFAULTS } from "../spec";
import type { SpecIssue } from "./types";
import {
  containsIp,
  describe,
  hostBitsText,
  ipToString,
  isInside,
  networkText,
  overlaps,
  parseCidr,
  parseIPv4,
  quote,
  type Cidr,
  type ParseResult,
} from "./cidr";
import { derivePeerName, normalizePeerName } from "./peer-names";
import {
  classifyLaunchArgs,
  isKnownFlag,
  redactLaunchArgs,
  REMOVED_COMMANDS,
  shownLaunchArg,
  type LaunchArg,
} from "./launch-args";
import { WEAVE_RELEASES } from "./releases";

type Obj = Record<string, unknown>;

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

const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const isObjOrAbsent = (v: unknown): boolean =>
  v === undefined || (v !== null && typeof v === "object" && !Array.isArray(v));
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Does a CIDR parse and is it usable as a Weave range/subnet (network address, ≥ 4 addresses)? */
const usable = (p: ParseResult<Cidr> | undefined): Cidr | undefined =>
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
    const address = parseIPv4(raw.address);
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

// ---------------------------------------------------------------------------------------------
// Shared predicates and wording.

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LABEL_RULE =
  "a DNS label: lowercase letters, digits and '-', 1 to 63 characters, not starting or ending with '-'";
const isDnsName = (v: string): boolean => v.length <= 253 && v.split(".").every((l) => DNS_LABEL.test(l));
const badLabel = (v: unknown): boolean => typeof v !== "string" || !DNS_LABEL.test(v);
const badBool = (v: unknown): boolean => v !== undefined && typeof v !== "boolean";
const badPort = (v: unknown): boolean =>
  v !== undefined && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535);
const badPositive = (v: unknown): boolean =>
  v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v > 0);
const hasSpace = (v: string): boolean => /\s/.test(v);
const MAC_RULE =
  "a MAC-style peer name like 02:00:00:00:00:01 (six groups of 1-2 hex digits; Weave's '::' abbreviations such as ::1 are accepted)";

/** Rules shared by the range and the default subnet and container subnets. */
function cidrProblems(p: ParseResult<Cidr>): string | undefined {
  if (!p.ok) return `${p.reason}`;
  const c = p.value;
  if (c.hostBitsSet) {
    return `${quote(c.text)} has host bits set (${hostBitsText(c)} after the /${c.prefix} prefix); Weave requires a network address: use ${networkText(c)}`;
  }
  if (c.prefix > 30) {
    return `${quote(c.text)} has only ${c.size} address${c.size === 1 ? "" : "es"}; Weave needs at least 4: use a prefix of /30 or shorter`;
  }
  return undefined;
}

const halfOf = (c: Cidr): string => `${networkText({ ...c, prefix: c.prefix + 1 })}`;

// ---------------------------------------------------------------------------------------------
// Rules over the lab and its network.

export const labRules: Rule<SpecContext>[] = [
  {
    path: () => "name",
    when: (c) =>
      c.spec.name !== undefined &&
      (typeof c.spec.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(c.spec.name)),
    message: (c) =>
      `${describe(c.spec.name)} is not a valid lab name; allowed: 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
  },
  {
    path: () => "hosts",
    when: (c) => !Array.isArray(c.spec.hosts) || c.spec.hosts.length === 0,
    message: (c) =>
      `${Array.isArray(c.spec.hosts) ? "is empty" : `must be a list of hosts, got ${describe(c.spec.hosts)}`}; a lab needs at least one host to run a Weave router`,
  },
  ...(["containers", "dnsRecords"] as const).map((k) => ({
    path: () => k,
    when: (c: SpecContext) => c.spec[k] !== undefined && !Array.isArray(c.spec[k]),
    message: (c: SpecContext) => `must be a list, got ${describe(c.spec[k])}`,
  })),
  ...(
    [
      ["network", (c: SpecContext) => c.spec.network],
      ["network.dns", (c: SpecContext) => c.network.dns],
      ["network.weave", (c: SpecContext) => c.network.weave],
    ] as const
  ).map(([path, get]) => ({
    path: () => path,
    when: (c: SpecContext) => !isObjOrAbsent(get(c)),
    message: (c: SpecContext) => `must be a mapping of settings, got ${describe(get(c))}`,
  })),
  {
    path: () => "network.allocRange",
    when: (c) => cidrProblems(c.range) !== undefined,
    message: (c) =>
      `${cidrProblems(c.range)}; allowed: an IPv4 network in CIDR notation, /30 or shorter, such as 10.32.0.0/12`,
  },
  {
    path: () => "network.defaultSubnet",
    when: (c) => c.defaultSubnet !== undefined && cidrProblems(c.defaultSubnet) !== undefined,
    message: (c) =>
      `${cidrProblems(c.defaultSubnet!)}; allowed: an IPv4 subnet of network.allocRange, /30 or shorter`,
  },
  {
    path: () => "network.defaultSubnet",
    when: (c) =>
      !!c.goodRange &&
      usable(c.defaultSubnet) !== undefined &&
      !isInside(usable(c.defaultSubnet)!, c.goodRange),
    message: (c) =>
      `${quote(usable(c.defaultSubnet)!.text)} is not inside network.allocRange ${quote(c.goodRange!.text)}; allowed: a subnet of ${c.goodRange!.text}, e.g. ${halfOf(c.goodRange!)}, or leave it unset to use the whole range`,
  },
  {
    path: () => "network.bootstrap",
    when: (c) =>
      c.network.bootstrap !== undefined &&
      c.network.bootstrap !== "seed" &&
      c.network.bootstrap !== "consensus",
    message: (c) =>
      `${describe(c.network.bootstrap)} is not a bootstrap mode; allowed: "seed" or "consensus"`,
  },
  {
    path: () => "network.password",
    when: (c) => c.network.password === "" || c.network.password === null,
    message: () =>
      `is empty; Weave treats an empty password as no encryption: give a non-empty password or omit the field`,
  },
  {
    path: () => "network.trustedSubnets",
    when: (c) => c.network.trustedSubnets !== undefined && !Array.isArray(c.network.trustedSubnets),
    message: (c) => `must be a list of IPv4 CIDRs, got ${describe(c.network.trustedSubnets)}`,
  },
  {
    path: () => "network.dns.domain",
    when: (c) =>
      c.dns.domain !== undefined &&
      (typeof c.dns.domain !== "string" || !isDnsName(c.domain) || c.domain === ""),
    message: (c) =>
      `${describe(c.dns.domain)} is not a DNS domain; allowed: dot-separated DNS labels (lowercase letters, digits, '-'), e.g. "weave.local"`,
  },
  {
    path: () => "network.dns.ttl",
    when: (c) =>
      c.dns.ttl !== undefined &&
      !(Number.isInteger(c.dns.ttl) && (c.dns.ttl as number) >= 0 && (c.dns.ttl as number) <= 2147483647),
    message: (c) =>
      `${describe(c.dns.ttl)} is not a valid TTL; allowed: an integer number of seconds from 0 to 2147483647`,
  },
  ...(["disabled"] as const).map((k) => ({
    path: () => `network.dns.${k}`,
    when: (c: SpecContext) => badBool(c.dns[k]),
    message: (c: SpecContext) => `${describe(c.dns[k])} is not a boolean; allowed: true or false`,
  })),
  ...(["proxy", "plugin", "resetForeignRouters"] as const).map((k) => ({
    path: () => `network.${k}`,
    when: (c: SpecContext) => badBool(c.network[k]),
    message: (c: SpecContext) => `${describe(c.network[k])} is not a boolean; allowed: true or false`,
  })),
  {
    path: () => "network.consensusTimeoutSeconds",
    when: (c) => badPositive(c.network.consensusTimeoutSeconds),
    message: (c) =>
      `${describe(c.network.consensusTimeoutSeconds)} is not a valid timeout; allowed: a number of seconds greater than 0`,
  },
  {
    path: () => "network.weave.distribution",
    when: (c) =>
      !(c.distribution in WEAVE_RELEASES) ||
      (c.weave.distribution !== undefined && typeof c.weave.distribution !== "string"),
    message: (c) =>
      `${describe(c.weave.distribution)} is not a known Weave distribution; allowed: "weaveworks" (upstream 2.8.1) or "rajch" (the maintained fork, 2.9.x)`,
  },
  {
    path: () => "network.weave.version",
    when: (c) =>
      c.distribution in WEAVE_RELEASES &&
      !(c.version in WEAVE_RELEASES[c.distribution as keyof typeof WEAVE_RELEASES]),
    message: (c) =>
      `${describe(c.weave.version)} is not a supported ${c.distribution} release; allowed: ${Object.keys(
        WEAVE_RELEASES[c.distribution as keyof typeof WEAVE_RELEASES],
      )
        .map(quote)
        .join(", ")}` +
      (c.distribution === "weaveworks"
        ? " (the last upstream release; newer builds are the rajch fork: set distribution: rajch)"
        : " (the only 2.9.x release of rajch/weave)"),
  },
  {
    path: () => "network.weave.install",
    when: (c) =>
      c.weave.install !== undefined && c.weave.install !== "present" && c.weave.install !== "download",
    message: (c) => `${describe(c.weave.install)} is not an install mode; allowed: "present" or "download"`,
  },
  {
    path: () => "network.weave.scriptSha256",
    when: (c) => c.weave.install === "download" && c.weave.scriptSha256 === undefined,
    message: () =>
      `is missing; install: "download" needs the expected SHA-256 of the script (64 hex digits) so a tampered or wrong download is refused`,
  },
  {
    path: () => "network.weave.scriptSha256",
    when: (c) =>
      c.weave.scriptSha256 !== undefined &&
      (typeof c.weave.scriptSha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(c.weave.scriptSha256)),
    message: (c) => `${describe(c.weave.scriptSha256)} is not a SHA-256; allowed: 64 hexadecimal digits`,
  },
  {
    path: () => "network.weave.scriptPath",
    when: (c) =>
      c.weave.scriptPath !== undefined &&
      (typeof c.weave.scriptPath !== "string" ||
        !c.weave.scriptPath.startsWith("/") ||
        hasSpace(c.weave.scriptPath)),
    message: (c) =>
      `${describe(c.weave.scriptPath)} is not usable; allowed: an absolute path without whitespace, e.g. "/usr/local/bin/weave"`,
  },
  {
    path: () => "network.weave.scriptUrl",
    when: (c) =>
      c.weave.scriptUrl !== undefined &&
      (typeof c.weave.scriptUrl !== "string" || !/^https?:\/\/\S+$/.test(c.weave.scriptUrl)),
    message: (c) =>
      `${describe(c.weave.scriptUrl)} is not a URL; allowed: an http(s) URL of the weave script`,
  },
  {
    path: () => "network.weave.dockerApiVersion",
    when: (c) =>
      c.weave.dockerApiVersion !== undefined &&
      (typeof c.weave.dockerApiVersion !== "string" || !/^1\.\d{1,2}$/.test(c.weave.dockerApiVersion)),
    message: (c) =>
      `${describe(c.weave.dockerApiVersion)} is not a Docker API version; allowed: "1.N", e.g. "1.24"`,
  },
  {
    severity: "warning",
    path: () => "network.weave.dockerApiVersion",
    when: (c) =>
      typeof c.weave.dockerApiVersion === "string" &&
      WEAVE_RELEASES[c.distribution as "weaveworks"]?.[c.version]?.honoursDockerApiVersion === false,
    message: (c) =>
      `${quote(c.weave.dockerApiVersion as string)}: weaveworks ${c.version} does not pass DOCKER_API_VERSION to its helper containers (they always speak API 1.18); only the host's docker client sees it. Use distribution "rajch" to change the helpers' API version`,
  },
  {
    severity: "warning",
    path: () => "hosts",
    when: (c) => c.network.bootstrap !== "consensus" && !!c.goodRange && c.hosts.length > c.goodRange.size,
    message: (c) =>
      `${c.hosts.length} hosts share network.allocRange ${c.goodRange!.text}, which has only ${c.goodRange!.size} addresses: in seed mode the hosts sorted last get no share and must ask others for space`,
  },
];

/** Rules over each element of `network.trustedSubnets`. */
export const trustedSubnetRules: Rule<{ i: number; value: unknown }>[] = [
  {
    path: (t) => `network.trustedSubnets[${t.i}]`,
    when: (t) => !parseCidr(t.value).ok,
    message: (t) => {
      const p = parseCidr(t.value);
      return `${p.ok ? "" : p.reason}; allowed: an IPv4 CIDR such as 192.168.56.0/24`;
    },
  },
  {
    path: (t) => `network.trustedSubnets[${t.i}]`,
    when: (t) => {
      const p = parseCidr(t.value);
      return p.ok && p.value.hostBitsSet;
    },
    message: (t) => {
      const p = parseCidr(t.value) as { ok: true; value: Cidr };
      return `${quote(p.value.text)} has host bits set (${hostBitsText(p.value)}); use the network address ${networkText(p.value)}`;
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Rules over each host.

export const hostRules: Rule<{ h: HostCtx; c: SpecContext }>[] = [
  {
    path: ({ h }) => `hosts[${h.i}]`,
    when: ({ h, c }) => {
      const raw = (c.spec.hosts as unknown[])[h.i];
      return raw === null || typeof raw !== "object" || Array.isArray(raw);
    },
    message: ({ h, c }) =>
      `${describe((c.spec.hosts as unknown[])[h.i])} is not a host; allowed: a mapping with at least name and address`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].name`,
    when: ({ h }) => badLabel(h.raw.name),
    message: ({ h }) => `${describe(h.raw.name)} is not a valid host name; allowed: ${LABEL_RULE}`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].name`,
    when: ({ h }) => h.dupName !== undefined,
    message: ({ h }) =>
      `${quote(h.name!)} is already the name of hosts[${h.dupName}]; host names must be unique`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].address`,
    when: ({ h }) => !h.address.ok,
    message: ({ h }) =>
      `${(h.address as { reason: string }).reason}; allowed: the IPv4 address other routers reach this host on`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].address`,
    when: ({ h }) => h.dupAddress !== undefined,
    message: ({ h, c }) =>
      `${describe(h.raw.address)} is already the address of hosts[${h.dupAddress}] (${c.hosts[h.dupAddress!].name}); each host needs its own address`,
  },
  {
    severity: "warning",
    path: ({ h }) => `hosts[${h.i}].address`,
    when: ({ h, c }) => h.address.ok && !!c.goodRange && containsIp(c.goodRange, h.address.value),
    message: ({ h, c }) =>
      `${describe(h.raw.address)} lies inside network.allocRange ${c.goodRange!.text}: containers may be given addresses that clash with the host network`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].peerName`,
    when: ({ h }) => h.peerNameGiven && h.peerName === undefined,
    message: ({ h }) => `${describe(h.raw.peerName)} is not a Weave peer name; allowed: ${MAC_RULE}`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].peerName`,
    when: ({ h }) => h.peerName === "00:00:00:00:00:00",
    message: ({ h }) =>
      `${describe(h.raw.peerName)} is Weave's reserved "unknown peer" name; allowed: any other ${MAC_RULE}`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].peerName`,
    // A derived name repeats only because the host name does; that is reported on the name.
    when: ({ h }) => h.dupPeerName !== undefined && (h.peerNameGiven || h.dupName === undefined),
    message: ({ h, c }) =>
      `${h.peerNameGiven ? describe(h.raw.peerName) : `derived name ${quote(h.peerName!)}`} is the same peer name as hosts[${h.dupPeerName}] (${c.hosts[h.dupPeerName!].name}); Weave refuses peers with colliding names: give each host a distinct peerName`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].nickname`,
    when: ({ h }) =>
      h.raw.nickname !== undefined &&
      (typeof h.raw.nickname !== "string" || h.raw.nickname === "" || hasSpace(h.raw.nickname)),
    message: ({ h }) =>
      `${describe(h.raw.nickname)} is not a usable nickname; allowed: a non-empty string without whitespace (weave launch re-splits arguments on whitespace)`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh`,
    when: ({ h }) => !isObjOrAbsent(h.raw.ssh),
    message: ({ h }) => `must be a mapping of SSH settings, got ${describe(h.raw.ssh)}`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.port`,
    when: ({ h }) => badPort(h.ssh.port),
    message: ({ h }) => `${describe(h.ssh.port)} is not a TCP port; allowed: an integer from 1 to 65535`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.user`,
    when: ({ h }) =>
      h.ssh.user !== undefined &&
      (typeof h.ssh.user !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(h.ssh.user)),
    message: ({ h }) =>
      `${describe(h.ssh.user)} is not a login name; allowed: letters, digits, '_', '.', '-'`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.host`,
    when: ({ h }) =>
      h.ssh.host !== undefined &&
      (typeof h.ssh.host !== "string" || h.ssh.host === "" || hasSpace(h.ssh.host)),
    message: ({ h }) =>
      `${describe(h.ssh.host)} is not a host name or address; allowed: a non-empty name or IP without whitespace`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.hostKey`,
    when: ({ h }) =>
      (h.ssh.hostKey === undefined || h.ssh.hostKey === null || h.ssh.hostKey === "") &&
      h.ssh.insecureIgnoreHostKey !== true,
    message: ({ h }) =>
      `is missing, so the SSH server of ${h.name ?? `hosts[${h.i}]`} could not be authenticated; allowed: its public key line ("ssh-ed25519 AAAA…") or a "SHA256:…" fingerprint, or set hosts[${h.i}].ssh.insecureIgnoreHostKey: true (a man in the middle could then read the Weave password)`,
  },
  {
    severity: "warning",
    path: ({ h }) => `hosts[${h.i}].ssh.insecureIgnoreHostKey`,
    when: ({ h }) => h.ssh.insecureIgnoreHostKey === true,
    message: ({ h }) =>
      `is true: the SSH server of ${h.name ?? `hosts[${h.i}]`} is not authenticated, so a man in the middle could take its SSH session and read the Weave password; pin its key instead with hosts[${h.i}].ssh.hostKey ("ssh-ed25519 AAAA…" or "SHA256:…", e.g. from \`ssh-keyscan <host> | ssh-keygen -lf -\`)`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.hostKey`,
    when: ({ h }) =>
      typeof h.ssh.hostKey === "string" &&
      h.ssh.hostKey !== "" &&
      !/^(ssh-|ecdsa-|sk-|SHA256:)/.test(h.ssh.hostKey),
    message: () =>
      `is neither an OpenSSH public key line nor a fingerprint; allowed: "ssh-ed25519 AAAA…", "ecdsa-sha2-nistp256 AAAA…", "ssh-rsa AAAA…" or "SHA256:<base64>"`,
  },
  ...(["insecureIgnoreHostKey", "sudo"] as const).map((k) => ({
    path: ({ h }: { h: HostCtx }) => `hosts[${h.i}].ssh.${k}`,
    when: ({ h }: { h: HostCtx }) => badBool(h.ssh[k]),
    message: ({ h }: { h: HostCtx }) => `${describe(h.ssh[k])} is not a boolean; allowed: true or false`,
  })),
  {
    path: ({ h }) => `hosts[${h.i}].ssh.connectTimeoutSeconds`,
    when: ({ h }) => badPositive(h.ssh.connectTimeoutSeconds),
    message: ({ h }) =>
      `${describe(h.ssh.connectTimeoutSeconds)} is not a valid timeout; allowed: a number of seconds greater than 0`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.jumpHost.host`,
    when: ({ h }) =>
      h.jump !== undefined &&
      (typeof h.jump.host !== "string" || h.jump.host === "" || hasSpace(h.jump.host)),
    message: ({ h }) =>
      `${describe(h.jump!.host)} is not a bastion address; allowed: a non-empty host name or IP (required when jumpHost is given)`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.jumpHost.port`,
    when: ({ h }) => h.jump !== undefined && badPort(h.jump.port),
    message: ({ h }) => `${describe(h.jump!.port)} is not a TCP port; allowed: an integer from 1 to 65535`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.jumpHost.hostKey`,
    when: ({ h }) =>
      h.jump !== undefined &&
      (h.jump.hostKey === undefined || h.jump.hostKey === "") &&
      h.ssh.insecureIgnoreHostKey !== true,
    message: ({ h }) =>
      `is missing; the bastion's key must be pinned like the host's (public key line or "SHA256:" fingerprint), unless hosts[${h.i}].ssh.insecureIgnoreHostKey is true`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].extraLaunchArgs`,
    when: ({ h }) => h.raw.extraLaunchArgs !== undefined && h.args === undefined,
    message: ({ h }) => `must be a list of strings, got ${describe(redactedList(h.raw.extraLaunchArgs))}`,
  },
];

// ---------------------------------------------------------------------------------------------
/** A would-be argument list with the values of secret flags masked (its non-strings kept). */
function redactedList(raw: unknown): unknown {
  if (!Array.isArray(raw)) return raw;
  const shown = redactLaunchArgs(raw.map((x) => (typeof x === "string" ? x : "")));
  return raw.map((x, i) => (typeof x === "string" ? shown[i] : x));
}

// Rules over each element of a host's `extraLaunchArgs`.

export interface ArgCtx {
  h: HostCtx;
  a: LaunchArg;
  c: SpecContext;
}

/** Flags weave-lab sets itself from the spec, with the field that controls each. */
const OWNED_FLAGS: Record<string, string> = {
  "ipalloc-init":
    "network.bootstrap (weave-lab passes --ipalloc-init seed=<all peer names> or consensus=<hosts>)",
  "ipalloc-default-subnet": "network.defaultSubnet",
  name: "hosts[].peerName",
  nickname: "hosts[].nickname",
  password: "network.password (passed as WEAVE_PASSWORD, never in argv)",
  "dns-domain": "network.dns.domain",
  "dns-ttl": "network.dns.ttl",
  "no-dns": "network.dns.disabled",
  "trusted-subnets": "network.trustedSubnets",
  proxy: "network.proxy",
  plugin: "network.plugin",
  "http-addr":
    "nothing: the weave script always talks to 127.0.0.1:6784, so moving the API breaks every weave command",
  resume: "hosts (weave-lab always passes the peer list, which Weave refuses together with --resume)",
  port: "nothing: every router must listen on 6783 because peers are given as bare addresses",
};

const argPath = ({ h, a }: ArgCtx): string => `hosts[${h.i}].extraLaunchArgs[${a.index}]`;
const hostLabel = (h: HostCtx): string => h.name ?? `hosts[${h.i}]`;
const isRangeFlag = (f: string | undefined): boolean => f === "ipalloc-range" || f === "iprange";

export const launchArgRules: Rule<ArgCtx>[] = [
  {
    path: argPath,
    when: ({ a }) => a.text === "" || hasSpace(a.text),
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} is empty or contains whitespace; weave launch re-splits its arguments on whitespace, so give each word as its own list element`,
  },
  {
    path: argPath,
    when: ({ a }) => a.kind === "word" && (REMOVED_COMMANDS.has(a.text) || a.text === "launch"),
    message: ({ a }) =>
      a.text === "launch"
        ? `"launch" is the command itself; list only the extra flags`
        : `"${a.text}" is a weave command that was removed in Weave 2.0 ('weave ${a.text}' exits 1); weave-lab runs "weave launch" (router, and proxy/plugin when enabled) and attaches containers itself`,
  },
  {
    path: argPath,
    when: ({ a }) =>
      a.kind === "word" &&
      !REMOVED_COMMANDS.has(a.text) &&
      a.text !== "launch" &&
      a.text !== "" &&
      !hasSpace(a.text),
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} would be taken as a peer; weave-lab passes every other host's address as the peer list: add the peer to hosts instead`,
  },
  {
    path: argPath,
    when: ({ a, c }) =>
      a.kind === "flag" &&
      isRangeFlag(a.flag) &&
      !!c.goodRange &&
      a.value !== undefined &&
      a.value !== c.goodRange.text,
    message: ({ h, a, c }) =>
      `${hostLabel(h)} would launch with range ${a.value} while the network uses ${c.goodRange!.text}: its connections would be dropped with 'Incompatible IP allocation ranges'; remove ${quote(shownLaunchArg(a))} (the range is network.allocRange, identical on every host)`,
  },
  {
    severity: "warning",
    path: argPath,
    when: ({ a, c }) =>
      a.kind === "flag" && isRangeFlag(a.flag) && !!c.goodRange && a.value === c.goodRange.text,
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} repeats network.allocRange, which weave-lab already passes; it can be removed`,
  },
  {
    path: argPath,
    when: ({ a }) => a.kind === "flag" && isRangeFlag(a.flag) && a.value === undefined,
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} has no value; the range is set by network.allocRange: remove the flag`,
  },
  {
    path: argPath,
    when: ({ a }) => a.kind === "flag" && a.flag !== undefined && a.flag in OWNED_FLAGS,
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} contradicts what weave-lab sets for the whole network; allowed: any launch flag except the ones weave-lab owns. Control this through ${OWNED_FLAGS[a.flag!]}`,
  },
  {
    severity: "warning",
    path: argPath,
    when: ({ a }) => a.kind === "flag" && a.flag !== undefined && !isKnownFlag(a.flag),
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} is not a flag Weave 2.8.1 knows; an unknown flag makes the router exit at start-up ("The weave container has died")`,
  },
];

// ---------------------------------------------------------------------------------------------
// Rules over each container.

export interface ContainerRuleCtx {
  k: ContainerCtx;
  c: SpecContext;
}

const cPath = (k: ContainerCtx, f: string): string => `containers[${k.i}].${f}`;
const RESTART = ["no", "always", "unless-stopped", "on-failure"];
const PORT_FORM =
  /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d{1,5}(-\d{1,5})?:)?\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const staticOk = (k: ContainerCtx): Cidr | undefined => (k.address?.ok ? k.address.value : undefined);

export const containerRules: Rule<ContainerRuleCtx>[] = [
  {
    path: ({ k }) => cPath(k, "name"),
    when: ({ k }) => badLabel(k.raw.name),
    message: ({ k }) =>
      `${describe(k.raw.name)} is not a valid container name; allowed: ${LABEL_RULE} (it is also the container's DNS name)`,
  },
  {
    path: ({ k }) => cPath(k, "name"),
    when: ({ k }) => k.dupOnHost !== undefined,
    message: ({ k }) =>
      `${quote(k.name!)} is already used by containers[${k.dupOnHost}] on host ${quote(k.host!)}; names must be unique per host (the same name on two hosts is fine: DNS round-robin)`,
  },
  {
    path: ({ k }) => cPath(k, "host"),
    when: ({ k, c }) => k.host === undefined || !c.hostNames.has(k.host),
    message: ({ k, c }) =>
      `${describe(k.raw.host)} is not a host of this lab; allowed: ${[...c.hostNames].map(quote).join(", ") || "(no valid hosts)"}`,
  },
  {
    path: ({ k }) => cPath(k, "image"),
    when: ({ k }) =>
      typeof k.raw.image !== "string" ||
      k.raw.image.trim() === "" ||
      hasSpace(k.raw.image) ||
      k.raw.image.startsWith("-"),
    message: ({ k }) =>
      `${describe(k.raw.image)} is not an image reference; allowed: a non-empty reference without whitespace that does not start with "-" (docker run would read it as an option), e.g. "nginx:1.27"`,
  },
  {
    path: ({ k }) => cPath(k, "command"),
    when: ({ k }) =>
      k.raw.command !== undefined &&
      !(Array.isArray(k.raw.command) && k.raw.command.every((x) => typeof x === "string")),
    message: ({ k }) =>
      `${describe(k.raw.command)} is not an argv; allowed: a list of strings, passed literally (no shell)`,
  },
  {
    path: ({ k }) => cPath(k, "env"),
    when: ({ k }) =>
      k.raw.env !== undefined &&
      (!isObjOrAbsent(k.raw.env) ||
        Object.entries(obj(k.raw.env)).some(([n, v]) => !ENV_NAME.test(n) || typeof v !== "string")),
    message: ({ k }) => {
      const bad = Object.entries(obj(k.raw.env)).filter(
        ([n, v]) => !ENV_NAME.test(n) || typeof v !== "string",
      );
      return `${bad.length ? bad.map(([n, v]) => `${quote(n)}=${describe(v)}`).join(", ") : describe(k.raw.env)} not allowed; allowed: a mapping of names ([A-Za-z_][A-Za-z0-9_]*) to string values`;
    },
  },
  {
    path: ({ k }) => cPath(k, "ports"),
    when: ({ k }) =>
      k.raw.ports !== undefined &&
      !(Array.isArray(k.raw.ports) && k.raw.ports.every((p) => typeof p === "string" && PORT_FORM.test(p))),
    message: ({ k }) => {
      const bad = Array.isArray(k.raw.ports)
        ? k.raw.ports.filter((p) => typeof p !== "string" || !PORT_FORM.test(p))
        : [k.raw.ports];
      return `${bad.map(describe).join(", ")} not in Docker's -p form; allowed: "80", "8080:80", "127.0.0.1:53:53/udp"`;
    },
  },
  {
    path: ({ k }) => cPath(k, "publishAll"),
    when: ({ k }) => badBool(k.raw.publishAll),
    message: ({ k }) => `${describe(k.raw.publishAll)} is not a boolean; allowed: true or false`,
  },
  {
    path: ({ k }) => cPath(k, "restart"),
    when: ({ k }) => k.raw.restart !== undefined && !RESTART.includes(k.raw.restart as string),
    message: ({ k }) =>
      `${describe(k.raw.restart)} is not a restart policy; allowed: ${RESTART.map(quote).join(", ")}`,
  },
  {
    path: ({ k }) => cPath(k, "hostname"),
    when: ({ k }) =>
      k.raw.hostname !== undefined &&
      (typeof k.raw.hostname !== "string" || !isDnsName(k.raw.hostname) || k.raw.hostname === ""),
    message: ({ k }) =>
      `${describe(k.raw.hostname)} is not a host name; allowed: dot-separated DNS labels (lowercase letters, digits, '-')`,
  },
  {
    path: ({ k }) => cPath(k, "address"),
    when: ({ k }) => k.address !== undefined && k.subnet !== undefined,
    message: ({ k }) =>
      `${describe(k.raw.address)} given together with subnet ${describe(k.raw.subnet)}; allowed: either a static address or a subnet to allocate from, not both`,
  },
  {
    path: ({ k }) => cPath(k, "address"),
    when: ({ k }) => k.address !== undefined && !k.address.ok,
    message: ({ k }) =>
      `${(k.address as { reason: string }).reason}; allowed: an IPv4 address with its prefix, e.g. "172.16.16.200/24"`,
  },
  {
    path: ({ k }) => cPath(k, "address"),
    when: ({ k }) => {
      const a = staticOk(k);
      return !!a && a.prefix <= 30 && (a.addr === a.network || a.addr === a.last);
    },
    message: ({ k }) => {
      const a = staticOk(k)!;
      const which = a.addr === a.network ? "network" : "broadcast";
      return `${quote(a.text)} is the ${which} address of ${networkText(a)}; allowed: a host address from ${ipToString(a.network + 1)} to ${ipToString(a.last - 1)}`;
    },
  },
  {
    path: ({ k }) => cPath(k, "address"),
    when: ({ k }) => k.dupStatic !== undefined,
    message: ({ k, c }) =>
      `${quote(staticOk(k)!.text)} uses the same IP as containers[${k.dupStatic}] (${c.containers[k.dupStatic!].host}/${c.containers[k.dupStatic!].name}); static addresses must be unique`,
  },
  {
    severity: "warning",
    path: ({ k }) => cPath(k, "address"),
    when: ({ k, c }) => !!staticOk(k) && !!c.goodRange && !containsIp(c.goodRange, staticOk(k)!.addr),
    message: ({ k, c }) =>
      `${quote(staticOk(k)!.text)} is outside network.allocRange ${c.goodRange!.text}: Weave does not track it, so nothing stops another host from using the same address`,
  },
  {
    severity: "warning",
    path: ({ k }) => cPath(k, "address"),
    when: ({ k, c }) => {
      const a = staticOk(k);
      return !!a && !!c.goodRange && containsIp(c.goodRange, a.addr) && a.prefix < c.goodRange.prefix;
    },
    message: ({ k, c }) =>
      `${quote(staticOk(k)!.text)} has a wider netmask (/${staticOk(k)!.prefix}) than network.allocRange ${c.goodRange!.text}: the container will send traffic for addresses outside the Weave network into it; use /${c.goodRange!.prefix} or longer`,
  },
  {
    path: ({ k }) => cPath(k, "subnet"),
    when: ({ k }) => k.subnet !== undefined && cidrProblems(k.subnet) !== undefined,
    message: ({ k }) =>
      `${cidrProblems(k.subnet!)}; allowed: an IPv4 subnet of network.allocRange, /30 or shorter`,
  },
  {
    path: ({ k }) => cPath(k, "subnet"),
    when: ({ k, c }) => !!usable(k.subnet) && !!c.goodRange && !isInside(usable(k.subnet)!, c.goodRange),
    message: ({ k, c }) =>
      `${quote(usable(k.subnet)!.text)} is not inside network.allocRange ${c.goodRange!.text}; Weave only allocates from its range: allowed: a subnet of ${c.goodRange!.text}`,
  },
  {
    severity: "warning",
    path: ({ k }) => cPath(k, "subnet"),
    when: ({ k, c }) => {
      const s = usable(k.subnet);
      const d = c.goodDefaultSubnet;
      return (
        !!s &&
        !!d &&
        !!c.goodRange &&
        d.prefix !== c.goodRange.prefix &&
        overlaps(s, d) &&
        s.prefix !== d.prefix
      );
    },
    message: ({ k, c }) =>
      `${quote(usable(k.subnet)!.text)} overlaps network.defaultSubnet ${c.goodDefaultSubnet!.text} without being equal to it: its containers are not isolated from dynamically addressed ones`,
  },
  {
    path: ({ k }) => cPath(k, "dnsNames"),
    when: ({ k }) =>
      k.raw.dnsNames !== undefined &&
      !(Array.isArray(k.raw.dnsNames) && k.raw.dnsNames.every((n) => typeof n === "string")),
    message: ({ k }) =>
      `${describe(k.raw.dnsNames)} is not a list of names; allowed: DNS labels or FQDNs inside the domain`,
  },
  {
    severity: "warning",
    path: ({ k }) => cPath(k, "dnsNames"),
    when: ({ k, c }) => c.dnsDisabled && Array.isArray(k.raw.dnsNames) && k.raw.dnsNames.length > 0,
    message: () => `are ignored because network.dns.disabled is true`,
  },
];

/** Rules over each extra DNS name of a container. */
export const dnsNameRules: Rule<{ k: ContainerCtx; j: number; name: string; c: SpecContext }>[] = [
  {
    path: ({ k, j }) => cPath(k, `dnsNames[${j}]`),
    when: ({ name, c }) =>
      !isDnsName(name.replace(/\.$/, "")) || qualifyDnsName(name, c.domain) === undefined,
    message: ({ name, c }) =>
      `${quote(name)} is not a name weaveDNS would serve; allowed: a DNS label (qualified as <label>.${c.domain}) or an FQDN ending in .${c.domain} (Weave silently ignores names outside its domain)`,
  },
];

// ---------------------------------------------------------------------------------------------
// Rules over each extra DNS record.

export const dnsRecordRules: Rule<{ r: DnsRecordCtx; c: SpecContext }>[] = [
  {
    path: ({ r }) => `dnsRecords[${r.i}].name`,
    when: ({ r, c }) =>
      typeof r.raw.name !== "string" ||
      !isDnsName(r.raw.name.replace(/\.$/, "")) ||
      qualifyDnsName(r.raw.name, c.domain) === undefined,
    message: ({ r, c }) =>
      `${describe(r.raw.name)} is not a name weaveDNS would serve; allowed: a DNS label (qualified as <label>.${c.domain}) or an FQDN ending in .${c.domain}`,
  },
  {
    path: ({ r }) => `dnsRecords[${r.i}].ips`,
    when: ({ r }) => !Array.isArray(r.raw.ips) || r.raw.ips.length === 0,
    message: ({ r }) =>
      `${describe(r.raw.ips)} is not a list of addresses; allowed: one or more IPv4 addresses`,
  },
  {
    path: ({ r }) => `dnsRecords[${r.i}].ips`,
    when: ({ r }) => Array.isArray(r.raw.ips) && r.raw.ips.some((ip) => !parseIPv4(ip).ok),
    message: ({ r }) =>
      `${(r.raw.ips as unknown[])
        .filter((ip) => !parseIPv4(ip).ok)
        .map(describe)
        .join(", ")} not IPv4; allowed: dotted quads like 192.168.56.200`,
  },
  {
    path: ({ r }) => `dnsRecords[${r.i}].host`,
    when: ({ r, c }) => (r.host === undefined ? r.raw.host !== undefined : !c.hostNames.has(r.host)),
    message: ({ r, c }) =>
      `${describe(r.raw.host)} is not a host of this lab; allowed: ${[...c.hostNames].map(quote).join(", ") || "(no valid hosts)"}`,
  },
  {
    path: ({ r }) => `dnsRecords[${r.i}]`,
    when: ({ c }) => c.dnsDisabled,
    message: () =>
      `cannot be registered because network.dns.disabled is true; remove the record or enable DNS`,
  },
  {
    path: ({ r }) => `dnsRecords[${r.i}].name`,
    when: ({ r }) => r.dupKey !== undefined,
    message: ({ r }) =>
      `${quote(r.fqdn!)} is already registered from host ${quote(r.host!)} by dnsRecords[${r.dupKey}]; merge their ips`,
  },
];

// ---------------------------------------------------------------------------------------------
// Field names: catch typos (`adress`) instead of silently using a default.

const FIELDS: Record<string, readonly string[]> = {
  lab: ["name", "network", "hosts", "containers", "dnsRecords"],
  network: [
    "allocRange",
    "defaultSubnet",
    "bootstrap",
    "password",
    "trustedSubnets",
    "dns",
    "weave",
    "proxy",
    "plugin",
    "resetForeignRouters",
    "consensusTimeoutSeconds",
  ],
  dns: ["domain", "ttl", "disabled"],
  weave: [
    "distribution",
    "version",
    "install",
    "scriptPath",
    "scriptUrl",
    "scriptSha256",
    "dockerApiVersion",
  ],
  host: ["name", "address", "ssh", "peerName", "nickname", "extraLaunchArgs"],
  ssh: [
    "host",
    "port",
    "user",
    "privateKey",
    "passphrase",
    "agent",
    "hostKey",
    "insecureIgnoreHostKey",
    "sudo",
    "jumpHost",
    "connectTimeoutSeconds",
  ],
  jumpHost: ["host", "port", "user", "privateKey", "hostKey"],
  container: [
    "name",
    "host",
    "image",
    "command",
    "env",
    "ports",
    "publishAll",
    "restart",
    "address",
    "subnet",
    "dnsNames",
    "hostname",
  ],
  dnsRecord: ["name", "ips", "host"],
};

export const fieldRules: Rule<{ path: string; key: string; kind: string }>[] = [
  {
    path: (f) => (f.path ? `${f.path}.${f.key}` : f.key),
    when: (f) => !FIELDS[f.kind].includes(f.key),
    message: (f) => `is not a known field; allowed here: ${FIELDS[f.kind].join(", ")}`,
  },
];

function fieldItems(c: SpecContext): { path: string; key: string; kind: string }[] {
  const out: { path: string; key: string; kind: string }[] = [];
  const add = (path: string, o: Obj, kind: string): void => {
    for (const key of Object.keys(o)) out.push({ path, key, kind });
  };
  add("", c.spec, "lab");
  add("network", c.network, "network");
  add("network.dns", c.dns, "dns");
  add("network.weave", c.weave, "weave");
  for (const h of c.hosts) {
    add(`hosts[${h.i}]`, h.raw, "host");
    add(`hosts[${h.i}].ssh`, h.ssh, "ssh");
    if (h.jump) add(`hosts[${h.i}].ssh.jumpHost`, h.jump, "jumpHost");
  }
  for (const k of c.containers) add(`containers[${k.i}]`, k.raw, "container");
  for (const r of c.dnsRecords) add(`dnsRecords[${r.i}]`, r.raw, "dnsRecord");
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Everything wrong with a spec (errors) and worth knowing (warnings), in spec order. */
export interface ValidationResult {
  errors: SpecIssue[];
  warnings: SpecIssue[];
  context: SpecContext;
}

function apply<C>(
  rules: readonly Rule<C>[],
  items: readonly C[],
  errors: SpecIssue[],
  warnings: SpecIssue[],
): void {
  for (const item of items) {
    for (const rule of rules) {
      if (rule.when(item)) {
        (rule.severity === "warning" ? warnings : errors).push({
          path: rule.path(item),
          message: rule.message(item),
        });
      }
    }
  }
}

/** Run every rule over a spec (possibly read from YAML, so of unknown shape). Never throws. */
export function validateSpec(spec: LabSpec<unknown> | unknown): ValidationResult {
  const c = buildContext(spec);
  const errors: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    errors.push({ path: "(spec)", message: `must be a mapping with at least hosts, got ${describe(spec)}` });
    return { errors, warnings, context: c };
  }
  apply(fieldRules, fieldItems(c), errors, warnings);
  apply(labRules, [c], errors, warnings);
  const trusted = Array.isArray(c.network.trustedSubnets) ? c.network.trustedSubnets : [];
  apply(
    trustedSubnetRules,
    trusted.map((value, i) => ({ i, value })),
    errors,
    warnings,
  );
  const isObject = (v: unknown): boolean => v !== null && typeof v === "object" && !Array.isArray(v);
  for (const h of c.hosts) {
    // A host that is not even a mapping gets one message, not one per missing field.
    apply(
      isObject((c.spec.hosts as unknown[])[h.i]) ? hostRules : hostRules.slice(0, 1),
      [{ h, c }],
      errors,
      warnings,
    );
    if (h.args)
      apply(
        launchArgRules,
        h.args.filter((a) => a.kind !== "value").map((a) => ({ h, a, c })),
        errors,
        warnings,
      );
  }
  for (const k of c.containers) {
    if (!isObject((c.spec.containers as unknown[])[k.i])) {
      errors.push({
        path: `containers[${k.i}]`,
        message: `${describe((c.spec.containers as unknown[])[k.i])} is not a container; allowed: a mapping with at least name, host and image`,
      });
      continue;
    }
    apply(containerRules, [{ k, c }], errors, warnings);
    if (Array.isArray(k.raw.dnsNames) && !c.dnsDisabled) {
      const names = k.raw.dnsNames
        .map((name, j) => ({ k, j, name, c }))
        .filter(
          (x): x is { k: ContainerCtx; j: number; name: string; c: SpecContext } =>
            typeof x.name === "string",
        );
      apply(dnsNameRules, names, errors, warnings);
    }
  }
  for (const r of c.dnsRecords) {
    const raw = (c.spec.dnsRecords as unknown[])[r.i];
    if (!isObject(raw)) {
      errors.push({
        path: `dnsRecords[${r.i}]`,
        message: `${describe(raw)} is not a DNS record; allowed: a mapping with name and ips (and optionally host)`,
      });
      continue;
    }
    apply(dnsRecordRules, [{ r, c }], errors, warnings);
  }
  return { errors, warnings, context: c };
}
