/**
 * Peer addresses (`host[:port]`, as `weave launch` and `weave connect` take them) and socket
 * errors in the words Go's net package uses.
 */
import * as dns from "dns";
import { parseIp } from "./ip";

export function splitHostPort(s: string, defaultPort: number): [string, string] {
  const i = s.lastIndexOf(":");
  if (i < 0) return [s, String(defaultPort)];
  return [s.slice(0, i), s.slice(i + 1)];
}

/** `host[:port]` → address, or the error text `weave connect` shows. */
export async function resolvePeer(
  p: string,
  defaultPort: number,
): Promise<{ host: string; port: number } | { error: string }> {
  const [host, portText] = splitHostPort(p, defaultPort);
  if (host === "" || !/^[A-Za-z0-9]+$/.test(portText))
    return { error: `invalid peer name "${p}", should be host[:port]` };
  if (!/^\d+$/.test(portText)) return { error: `address tcp/${portText}: unknown port` };
  const port = Number(portText);
  if (parseIp(host) !== undefined) return { host, port };
  try {
    const r = await dns.promises.lookup(host, { family: 4 });
    return { host: r.address, port };
  } catch {
    return { error: `lookup ${host}: no such host` };
  }
}

export function errText(e: unknown): string {
  return errnoText(e as Error);
}

export function errnoText(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "EADDRINUSE":
      return "address already in use";
    case "EADDRNOTAVAIL":
      return "cannot assign requested address";
    case "EHOSTUNREACH":
      return "no route to host";
    case "ENETUNREACH":
      return "network is unreachable";
    case "ETIMEDOUT":
      return "i/o timeout";
    case "EACCES":
      return "permission denied";
    default:
      return e.message;
  }
}
