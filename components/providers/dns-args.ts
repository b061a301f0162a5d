/**
 * A host's DNS arguments for `docker run` (`--dns=<router's DNS address>`,
 * `--dns-search=<domain>`), asked once per router and process. They come from the router's API,
 * as the 2.8.1 script's `dns_args` reads them (milliseconds); `weave dns-args` (a helper
 * container, seconds) only when the API does not answer as that script expects.
 */
import type { HostConnection } from "../remote/types";
import { weaveCommands } from "../weave/commands";
import { parseDnsArgs } from "../weave/dns";
import { isIpv4 } from "../weave/ipv4";
import { containerError } from "./container-diff";
import type { ContainerInputs, ContainerWeave } from "./container-types";
import { routerGet } from "./ops-env";

/** Per-process cache of each host's DNS arguments (one ask per router per run). */
const DNS_ARGS_SLOT = "__weaveLabDnsArgs";

function dnsArgsCache(): Map<string, Promise<string[]>> {
  const g = globalThis as Record<string, unknown>;
  let m = g[DNS_ARGS_SLOT] as Map<string, Promise<string[]>> | undefined;
  if (!m) {
    m = new Map();
    g[DNS_ARGS_SLOT] = m;
  }
  return m;
}

/**
 * Which router a container's `dns-args` come from: the host as reached (name, address, port), the
 * script, and the network's fingerprint (router-wide facts, the DNS domain among them: routers
 * relaunched with another domain give other arguments).
 */
export function dnsArgsScope(
  i: Pick<ContainerInputs, "connection" | "weave" | "networkFingerprint">,
): string {
  const c = i.connection;
  return [
    c.hostName,
    c.host,
    c.port,
    i.weave.scriptPath,
    i.weave.distribution ?? "",
    i.networkFingerprint,
  ].join("\u0000");
}

/** The domain the script falls back to when `GET /domain` answers empty. */
const DEFAULT_DOMAIN = "weave.local.";

/**
 * The DNS arguments from the router's API, read the way the 2.8.1 script's `dns_args` does:
 * `GET /domain` (404: DNS is off, no arguments; empty: `weave.local.`), then `GET /dns-address`.
 * Undefined when an answer is anything else (no router listening, another status, an address
 * that is not IPv4): the caller then asks `weave dns-args`, whose failure says more.
 * An SSH failure is thrown: the CLI would fail the same way.
 */
export async function dnsArgsFromApi(conn: HostConnection, timeoutMs: number): Promise<string[] | undefined> {
  const domain = await routerGet(conn, "/domain", { timeoutMs });
  if (domain?.status === 404) return [];
  if (domain?.status !== 200) return undefined;
  const address = await routerGet(conn, "/dns-address", { timeoutMs });
  const ip = address?.status === 200 ? address.body.trim() : "";
  if (!isIpv4(ip)) return undefined;
  return [`--dns=${ip}`, `--dns-search=${domain.body.trim() || DEFAULT_DOMAIN}`];
}

/** `weave dns-args` on the host (a helper container), parsed into its words. */
async function dnsArgsFromCli(conn: HostConnection, w: ContainerWeave, timeoutMs: number): Promise<string[]> {
  const c = weaveCommands({ weave: w }).dnsArgs();
  const r = await conn.exec(c.argv, {
    env: c.env,
    timeoutMs,
    what: "weave dns-args (the router's DNS address)",
  });
  const parsed = parseDnsArgs(r.stdout);
  if (parsed.unparsed.length > 0) {
    throw containerError(
      conn.hostName,
      `cannot read \`weave dns-args\` output ${JSON.stringify(r.stdout.slice(0, 500))}`,
    );
  }
  const out: string[] = [];
  if (parsed.value.dns) out.push(`--dns=${parsed.value.dns}`);
  if (parsed.value.search) out.push(`--dns-search=${parsed.value.search}`);
  return out;
}

/**
 * The host's DNS arguments for `docker run` (`--dns=<ip>`, `--dns-search=<domain>`), asked once
 * per router (`scope`, see `dnsArgsScope`) and process, as separate argv elements, never through
 * a shell. Empty when the router has DNS off.
 */
export async function dnsArgsOf(
  conn: HostConnection,
  w: ContainerWeave,
  timeoutMs: number,
  scope = `${conn.hostName}\u0000${w.scriptPath}`,
): Promise<string[]> {
  const key = scope;
  const cache = dnsArgsCache();
  let p = cache.get(key);
  if (!p) {
    p = (async () => (await dnsArgsFromApi(conn, timeoutMs)) ?? dnsArgsFromCli(conn, w, timeoutMs))();
    cache.set(key, p);
    // A failure is not remembered: the next container on the host asks again.
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Forget cached `dns-args` (tests; a relaunched router may listen elsewhere). */
export function clearDnsArgsCache(): void {
  dnsArgsCache().clear();
}
