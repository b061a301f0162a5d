/**
 * A host's `weave dns-args` (the router's DNS address and search domain for `docker run`), asked
 * once per router and process: each `weave` call costs a helper container.
 */
import type { HostConnection } from "../remote/types";
import { weaveCommands } from "../weave/commands";
import { parseDnsArgs } from "../weave/dns";
import { containerError } from "./container-diff";
import type { ContainerInputs, ContainerWeave } from "./container-types";

/** Per-process cache of each host's `weave dns-args` (one helper-container call per host per run). */
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

/**
 * The words of `weave dns-args` for the host (`--dns=<ip>`, `--dns-search=<domain>`), run once
 * per router (`scope`, see `dnsArgsScope`) and process and parsed, so they reach `docker run` as
 * argv elements, never through a shell. Empty when the router has DNS off.
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
    p = (async () => {
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
    })();
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
