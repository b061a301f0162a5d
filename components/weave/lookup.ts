/**
 * Reading a name lookup made from inside a container: `getent hosts <name>` (glibc and musl
 * images) and busybox's or bind's `nslookup <name>` (busybox images have no `getent`), and
 * Docker's answer when the program is not in the image. Pure; the lookups themselves run in
 * `providers/name-lookup.ts`.
 */
import { isIpv4, sortIps } from "./ipv4";

/** The resolver programs tried in a container, in order: glibc/musl `getent`, then busybox `nslookup`. */
export type LookupTool = "getent" | "nslookup";

/** The programs in the order a lookup tries them. */
export const LOOKUP_TOOLS: readonly LookupTool[] = ["getent", "nslookup"];

/** The argv (after `docker exec <container>`) that looks `name` up with `tool`. */
export function lookupArgv(tool: LookupTool, name: string): string[] {
  return tool === "getent" ? ["getent", "hosts", name] : ["nslookup", name];
}

/**
 * Docker's answer when the program is not in the image: exit 126 or 127 from `docker exec` with
 * "executable file not found" / "not found" / "no such file" (on stderr, or on stdout with runc
 * 1.1's wording: pass both).
 */
export function isMissingTool(code: number, said: string): boolean {
  return (code === 126 || code === 127) && /not found|no such file/i.test(said);
}

/** `getent hosts` lines (`<ip> <name> [aliases]`): the IPv4 addresses, in numeric order, unique. */
export function parseGetent(text: string): string[] {
  const ips: string[] = [];
  for (const line of text.split("\n")) {
    const ip = line.trim().split(/\s+/)[0];
    if (ip && isIpv4(ip)) ips.push(ip);
  }
  return sortIps(ips);
}

/**
 * `nslookup <name>` output → the answer's IPv4 addresses (numeric order, unique), and whether
 * the server said the name does not exist. busybox 1.36 (fixture 08):
 * `Server:\t\t<ip>` / `Address:\t<ip>:53` / blank / `Name:\t<name>` / `Address: <ip>` …; busybox
 * 1.28 numbers its addresses (`Address 1: <ip> <name>`); bind's nslookup writes `<ip>#53` for
 * the server. The answer starts at the first `Name:` line; without one, after the server block
 * (up to the first blank line after `Server:`). `** server can't find <name>: NXDOMAIN` (or
 * `No answer`) means not found.
 */
export function parseNslookup(text: string): { ips: string[]; notFound: boolean } {
  const lines = text.split("\n").map((l) => l.trim());
  let from = lines.findIndex((l) => /^Name:/i.test(l));
  if (from < 0) {
    const server = lines.findIndex((l) => /^Server:/.test(l));
    const blank = server < 0 ? -1 : lines.findIndex((l, i) => i > server && l === "");
    from = server < 0 ? 0 : blank >= 0 ? blank : lines.length;
  }
  const ips: string[] = [];
  for (const line of lines.slice(from)) {
    const m = /^Address(?:\s+\d+)?:\s*(\S+)/i.exec(line);
    if (m && isIpv4(m[1])) ips.push(m[1]);
  }
  const notFound = /can't find .*: (NXDOMAIN|No answer)|can't resolve/i.test(text);
  return { ips: sortIps(ips), notFound: ips.length === 0 && notFound };
}
