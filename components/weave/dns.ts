/** `weave dns-lookup` and `weave dns-args` outputs (reference §4). */
import { isIpv4 } from "./ipv4";
import type { Parsed } from "./types";

/**
 * `weave dns-lookup <name>`: one IPv4 address per line, in random order; empty output means
 * the name is unknown. Returned sorted so callers can compare sets.
 */
export function parseDnsLookup(text: string): Parsed<string[]> {
  const value: string[] = [];
  const unparsed: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (isIpv4(line)) value.push(line);
    else unparsed.push(line);
  }
  value.sort();
  return { value, unparsed };
}

/**
 * `weave dns-args`: `--dns=172.17.0.1 --dns-search=weave.local.` with no trailing newline. Real
 * 2.8.1 prints the domain with its trailing dot (fixture 08, and the DinD hosts CI runs); the
 * form without it reads the same.
 * Empty output (DNS disabled) gives `{}`.
 */
export function parseDnsArgs(text: string): Parsed<{ dns?: string; search?: string }> {
  const value: { dns?: string; search?: string } = {};
  const unparsed: string[] = [];
  for (const tok of text
    .trim()
    .split(/\s+/)
    .filter((t) => t)) {
    const m = /^--(dns|dns-search)=(\S+)$/.exec(tok);
    if (m && m[1] === "dns" && isIpv4(m[2])) value.dns = m[2];
    else if (m && m[1] === "dns-search") value.search = m[2];
    else unparsed.push(tok);
  }
  return { value, unparsed };
}
