/** Rules over each container, each of its extra DNS names, and each extra DNS record. */
import {
  containsIp,
  describe,
  ipToString,
  isInside,
  networkText,
  overlaps,
  parseIPv4,
  quote,
  type Cidr,
} from "../cidr";
import {
  obj,
  isObjOrAbsent,
  usable,
  qualifyDnsName,
  type Rule,
  type ContainerCtx,
  type DnsRecordCtx,
  type SpecContext,
} from "./context";
import { LABEL_RULE, isDnsName, badLabel, badBool, hasSpace, cidrProblems } from "./predicates";

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
