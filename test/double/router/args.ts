/**
 * The router's command line, parsed with Go `flag` semantics (the last occurrence of a value flag
 * wins; `--flag=value`, `--flag value`, `-flag`; booleans take `=false`). Validation errors are the
 * texts weaver logs before dying (reference §5.2), so `weave launch` shows "has died".
 */
import * as os from "os";
import { formatCidr, normalisePeerName, parseCidr } from "./ip";

const BOOL_FLAGS = new Set([
  "plugin",
  "proxy",
  "no-dns",
  "no-discovery",
  "resume",
  "no-fastdp",
  "no-bridged-fastdp",
  "awsvpc",
  "no-masq-local",
  "expect-npc",
  "pkt-debug",
  "plugin-v2",
  "plugin-v2-multicast",
  "without-dns",
  "no-multicast-route",
  "no-rewrite-hosts",
  "no-default-ipalloc",
  "rewrite-inspect",
  "tls",
  "tlsverify",
  "no-detect-tls",
  "no-restart",
  "log-timestamps",
]);
const VALUE_FLAGS = new Set([
  "port",
  "nickname",
  "host-root",
  "docker-bridge",
  "weave-bridge",
  "datapath",
  "ipalloc-range",
  "ipalloc-default-subnet",
  "ipalloc-init",
  "dns-listen-address",
  "http-addr",
  "status-addr",
  "metrics-addr",
  "resolv-conf",
  "H",
  "name",
  "host",
  "conn-limit",
  "dns-domain",
  "dns-ttl",
  "dns-fallback-timeout",
  "trusted-subnets",
  "log-level",
  "password",
  "mtu",
  "token",
  "peer-discovery-url",
  "advertise-address",
  "hostname-from-label",
  "hostname-match",
  "hostname-replacement",
  "tlscacert",
  "tlscert",
  "tlskey",
  "db-prefix",
  "proc-path",
  "bufsz",
  "min-protocol-version",
  "ipalloc-range-deprecated",
  "iprange",
]);
const MULTI_FLAGS = new Set(["H"]);

export type InitMode =
  | { kind: "deferred" }
  | { kind: "consensus"; count: number }
  | { kind: "seed"; peers: string[] }
  | { kind: "observer" };

export interface RouterConfig {
  /** Raw flag values (last wins; `H` keeps every value) for the "Command line options" log line. */
  raw: Map<string, string | string[]>;
  peers: string[];
  port: number;
  host: string;
  name?: string;
  nickname: string;
  range?: { start: number; size: number; prefix: number };
  defaultSubnet?: { start: number; size: number; prefix: number };
  init: InitMode;
  password?: string;
  trustedSubnets: string[];
  discovery: boolean;
  resume: boolean;
  dns: boolean;
  dnsDomain: string;
  dnsTtl: number;
  dnsListen: string;
  httpAddr: string;
  statusAddr: string;
  resolvConf?: string;
  proxy: boolean;
  plugin: boolean;
  proxyAddrs: string[];
  connLimit: number;
  minProtocol: number;
}

/** Parse argv; returns the config or the fatal message weaver would log. */
/**
 * A start-up failure. `raw` is set for errors weaver finds after logging its command line (bad
 * values), absent for flag syntax errors (which stop it before any log line).
 */
export interface RouterFatal {
  fatal: string;
  raw?: Map<string, string | string[]>;
}

export function parseRouterArgs(argv: string[], env: NodeJS.ProcessEnv): RouterConfig | RouterFatal {
  const raw = new Map<string, string | string[]>();
  const peers: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-") || a === "-") {
      peers.push(a);
      continue;
    }
    if (a === "--") {
      peers.push(...argv.slice(i + 1));
      break;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const key = eq >= 0 ? body.slice(0, eq) : body;
    let value: string;
    if (BOOL_FLAGS.has(key)) {
      value = eq >= 0 ? body.slice(eq + 1) : "true";
      if (!/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(value))
        return { fatal: `invalid boolean value "${value}" for -${key}: parse error` };
      value = /^(true|1|t|TRUE|True)$/.test(value) ? "true" : "false";
    } else if (VALUE_FLAGS.has(key)) {
      if (eq >= 0) value = body.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) return { fatal: `flag needs an argument: -${key}` };
        value = argv[++i];
      }
    } else {
      return { fatal: `flag provided but not defined: -${key}` };
    }
    if (MULTI_FLAGS.has(key)) raw.set(key, [...((raw.get(key) as string[] | undefined) ?? []), value]);
    else raw.set(key, value);
  }
  const get = (k: string): string | undefined => raw.get(k) as string | undefined;
  const bool = (k: string, dflt: boolean): boolean => (raw.has(k) ? get(k) === "true" : dflt);

  const rangeText = get("ipalloc-range") ?? get("iprange") ?? "";
  let range: RouterConfig["range"];
  if (rangeText !== "") {
    const r = parseCidr(rangeText);
    if (!r) return { raw, fatal: `invalid CIDR address: ${rangeText}` };
    if (r.hostBitsSet)
      return { raw, fatal: `invalid subnet - bits after network prefix are not all zero: ${rangeText}` };
    if (r.size < 4) return { raw, fatal: `invalid subnet - smaller than minimum size 4: ${rangeText}` };
    range = { start: r.start, size: r.size, prefix: r.prefix };
  }
  let defaultSubnet = range;
  const ds = get("ipalloc-default-subnet");
  if (ds !== undefined && ds !== "") {
    const r = parseCidr(ds);
    if (!r) return { raw, fatal: `invalid CIDR address: ${ds}` };
    if (r.hostBitsSet)
      return { raw, fatal: `invalid subnet - bits after network prefix are not all zero: ${ds}` };
    defaultSubnet = { start: r.start, size: r.size, prefix: r.prefix };
    if (
      range &&
      (defaultSubnet.start >= range.start + range.size ||
        range.start >= defaultSubnet.start + defaultSubnet.size)
    ) {
      return {
        raw,
        fatal: `IP address allocation default subnet ${ds} does not overlap with allocation range ${formatCidr(range)}`,
      };
    }
  }

  let init: InitMode = { kind: "deferred" };
  const initText = get("ipalloc-init");
  if (initText !== undefined && initText !== "") {
    if (!range) return { raw, fatal: "--ipalloc-init specified without --ipalloc-range." };
    const [mode, param] = initText.includes("=")
      ? [initText.slice(0, initText.indexOf("=")), initText.slice(initText.indexOf("=") + 1)]
      : [initText, undefined];
    if (mode === "consensus") {
      if (param === undefined) init = { kind: "consensus", count: 0 };
      else {
        const n = Number(param);
        if (!/^\d+$/.test(param) || n < 1)
          return { raw, fatal: `Unable to parse --ipalloc-init: bad consensus parameter: ${param}` };
        init = { kind: "consensus", count: n };
      }
    } else if (mode === "seed") {
      if (!param) return { raw, fatal: "Unable to parse --ipalloc-init: seed mode requires peer name list" };
      const names: string[] = [];
      for (const p of param.split(",")) {
        const n = normalisePeerName(p);
        if (!n) return { raw, fatal: `Unable to parse --ipalloc-init: invalid peer name format: "${p}"` };
        names.push(n);
      }
      init = { kind: "seed", peers: names };
    } else if (mode === "observer") {
      if (param !== undefined)
        return { raw, fatal: "Unable to parse --ipalloc-init: observer mode takes no parameter" };
      init = { kind: "observer" };
    } else {
      return { raw, fatal: `Unable to parse --ipalloc-init: unknown mode: ${mode}` };
    }
  }

  let name: string | undefined;
  const nameText = get("name");
  if (nameText !== undefined && nameText !== "") {
    name = normalisePeerName(nameText);
    if (!name) return { raw, fatal: `invalid peer name format: "${nameText}"` };
  }

  const trusted: string[] = [];
  const ts = get("trusted-subnets");
  if (ts) {
    for (const t of ts.split(",")) {
      const c = parseCidr(t);
      if (!c) return { raw, fatal: `Unable to parse trusted subnets: invalid CIDR address: ${t}` };
      trusted.push(formatCidr(c));
    }
  }
  const resume = bool("resume", false);
  if (resume && peers.length > 0)
    return { raw, fatal: "You must not specify an initial peer list in conjunction with --resume" };

  let domain = get("dns-domain") ?? "weave.local.";
  if (!domain.endsWith(".")) domain += ".";
  const ttl = Number(get("dns-ttl") ?? "1");
  const port = Number(get("port") ?? "6783");
  const proxy = bool("proxy", false);
  const password = get("password") ?? env.WEAVE_PASSWORD;
  const H = (raw.get("H") as string[] | undefined) ?? [];
  return {
    raw,
    peers,
    port,
    host: get("host") ?? "",
    name,
    nickname: get("nickname") ?? os.hostname(),
    range,
    defaultSubnet,
    init,
    password: password === "" ? undefined : password,
    trustedSubnets: trusted,
    discovery: !bool("no-discovery", false),
    resume,
    dns: !bool("no-dns", false),
    dnsDomain: domain,
    dnsTtl: Number.isFinite(ttl) ? ttl : 1,
    dnsListen: get("dns-listen-address") ?? "0.0.0.0:53",
    httpAddr: get("http-addr") ?? "",
    statusAddr: get("status-addr") ?? "",
    resolvConf: get("resolv-conf"),
    proxy,
    plugin: bool("plugin", false),
    proxyAddrs: H.length > 0 ? H : ["unix:///var/run/weave/weave.sock"],
    connLimit: Number(get("conn-limit") ?? "200"),
    minProtocol: Number(get("min-protocol-version") ?? "1"),
  };
}

/** `Command line options: map[k:v …]` as weaver logs it (keys sorted, password never shown). */
export function optionsLine(raw: Map<string, string | string[]>): string {
  const keys = [...raw.keys()].filter((k) => k !== "password").sort();
  return (
    "map[" +
    keys
      .map((k) => {
        const v = raw.get(k)!;
        return `${k}:${Array.isArray(v) ? `[${v.join(" ")}]` : v}`;
      })
      .join(" ") +
    "]"
  );
}
