/**
 * Facts about `weave launch` arguments (Weave 2.8.1 `prog/weaver/main.go` flag table and the
 * `weave` script's own launch options; rajch 2.9.0 has the same flags). Used by the validator to
 * classify a host's `extraLaunchArgs`; kept apart so the rules table stays readable.
 */

/** Boolean router/proxy/script flags: they never consume the next argument. */
export const BOOLEAN_FLAGS: ReadonlySet<string> = new Set([
  "version",
  "print-peer-name",
  "resume",
  "expect-npc",
  "pkt-debug",
  "no-discovery",
  "no-dns",
  "no-fastdp",
  "no-bridged-fastdp",
  "awsvpc",
  "plugin",
  "plugin-v2",
  "plugin-v2-multicast",
  "no-masq-local",
  "proxy",
  "rewrite-inspect",
  "no-default-ipalloc",
  "no-rewrite-hosts",
  "tls",
  "tlsverify",
  "without-dns",
  "no-multicast-route",
  "no-restart",
  "no-detect-tls",
]);

/** Flags that take a value (the next argument, or `--flag=value`). */
export const VALUE_FLAGS: ReadonlySet<string> = new Set([
  "host",
  "port",
  "min-protocol-version",
  "weave-bridge",
  "docker-bridge",
  "name",
  "nickname",
  "password",
  "log-level",
  "profile",
  "conn-limit",
  "bufsz",
  "mtu",
  "http-addr",
  "status-addr",
  "metrics-addr",
  "ipalloc-init",
  "ipalloc-range",
  "iprange",
  "ipalloc-default-subnet",
  "docker-api",
  "dns-domain",
  "dns-listen-address",
  "dns-ttl",
  "dns-fallback-timeout",
  "resolv-conf",
  "datapath",
  "trusted-subnets",
  "db-prefix",
  "proc-path",
  "host-root",
  "peer-discovery-url",
  "token",
  "advertise-address",
  "plugin-socket",
  "plugin-mesh-socket",
  "H",
  "hostname-from-label",
  "hostname-match",
  "hostname-replacement",
  "tlscacert",
  "tlscert",
  "tlskey",
]);

/**
 * Flags whose value is a secret: the Weave password (network-wide encryption key) and the
 * peer-discovery token. Their values never appear in a message or log.
 */
export const SECRET_FLAGS: ReadonlySet<string> = new Set(["password", "token"]);

/** Commands removed in Weave 2.0 (`weave` script): they print "has been removed" and exit 1. */
export const REMOVED_COMMANDS: ReadonlySet<string> = new Set([
  "run",
  "start",
  "restart",
  "launch-router",
  "stop-router",
  "launch-proxy",
  "stop-proxy",
  "launch-plugin",
  "stop-plugin",
]);

/** One element of `extraLaunchArgs`, classified. */
export interface LaunchArg {
  index: number;
  text: string;
  /** `flag`: `-x`/`--x[=v]`; `value`: the argument consumed by the preceding flag; `word`: anything else (a peer). */
  kind: "flag" | "value" | "word";
  /** Flag name without dashes (`ipalloc-range`), for `flag`; for `value`, the flag it belongs to. */
  flag?: string;
  /** The flag's value (from `=` or the next argument), when it has one. */
  value?: string;
}

/**
 * Classify each argument the way Go's flag parser would see it after the script: flags, their
 * values and positional words (which Weave takes as peers).
 */
export function classifyLaunchArgs(args: readonly string[]): LaunchArg[] {
  const out: LaunchArg[] = [];
  for (let i = 0; i < args.length; i++) {
    const text = args[i];
    if (!text.startsWith("-") || text === "-" || text === "--") {
      out.push({ index: i, text, kind: "word" });
      continue;
    }
    const body = text.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const flag = eq >= 0 ? body.slice(0, eq) : body;
    if (eq >= 0) {
      out.push({ index: i, text, kind: "flag", flag, value: body.slice(eq + 1) });
    } else if (VALUE_FLAGS.has(flag) && i + 1 < args.length) {
      out.push({ index: i, text, kind: "flag", flag, value: args[i + 1] });
      out.push({ index: i + 1, text: args[i + 1], kind: "value", flag });
      i++;
    } else {
      out.push({ index: i, text, kind: "flag", flag });
    }
  }
  return out;
}

/** True if Weave 2.8.1 (router, proxy or script) knows this flag name. */
export function isKnownFlag(flag: string): boolean {
  return BOOLEAN_FLAGS.has(flag) || VALUE_FLAGS.has(flag);
}

/**
 * How a classified argument may be shown in a message: the value of a secret flag is replaced by
 * `<secret>` (`--password=<secret>`, or `<secret>` for the separate value argument).
 */
export function shownLaunchArg(a: LaunchArg): string {
  if (a.flag === undefined || !SECRET_FLAGS.has(a.flag)) return a.text;
  if (a.kind === "value") return "<secret>";
  const eq = a.text.indexOf("=");
  return eq >= 0 ? `${a.text.slice(0, eq + 1)}<secret>` : a.text;
}

/** `args` with the values of secret flags replaced by `<secret>` (for logs and messages). */
export function redactLaunchArgs(args: readonly string[]): string[] {
  const shown = [...args];
  for (const a of classifyLaunchArgs(args)) shown[a.index] = shownLaunchArg(a);
  return shown;
}
