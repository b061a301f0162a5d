/** Rules over the lab and its network, and over each of `network.trustedSubnets`. */
import { describe, hostBitsText, isInside, networkText, parseCidr, quote, type Cidr } from "../cidr";
import { WEAVE_RELEASES } from "../releases";
import { isObjOrAbsent, usable, type Rule, type SpecContext } from "./context";
import { isDnsName, badBool, badPositive, hasSpace, cidrProblems, halfOf } from "./predicates";

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
