/**
 * Small IPv4 helpers for reading Weave's ring. Addresses fit in a double exactly, so plain
 * numbers are enough; these never see user input that the planner has not already validated,
 * but they still refuse malformed text instead of guessing.
 */
import type { RangeShare } from "../model/plan";

/** `"172.16.16.64"` → 2886733888; throws on anything that is not a dotted quad. */
export function ipToNumber(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return ((parts[0] * 256 + parts[1]) * 256 + parts[2]) * 256 + parts[3];
}

/** 2886733888 → `"172.16.16.64"`. */
export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** True when `text` is a dotted-quad IPv4 address. */
export function isIpv4(text: string): boolean {
  try {
    ipToNumber(text);
    return true;
  } catch {
    return false;
  }
}

/** IPv4 addresses in numeric order, without duplicates. */
export function sortIps(ips: readonly string[]): string[] {
  return [...new Set(ips)].sort((a, b) => ipToNumber(a) - ipToNumber(b));
}

/** `"172.16.16.0/24"` → first address and size; throws when malformed or host bits are set. */
export function parseCidr(cidr: string): { start: number; size: number; prefix: number } {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  if (!m || Number(m[2]) > 32) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const start = ipToNumber(m[1]);
  const prefix = Number(m[2]);
  const size = 2 ** (32 - prefix);
  if (start % size !== 0) throw new Error(`CIDR has host bits set: ${JSON.stringify(cidr)}`);
  return { start, size, prefix };
}

/** An inclusive-exclusive run of addresses `[start, start + size)`. */
export interface Interval {
  start: number;
  size: number;
}

/** Merge overlapping or touching intervals; the result is sorted. */
export function mergeIntervals(list: Interval[]): Interval[] {
  const sorted = [...list].filter((i) => i.size > 0).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.start + last.size) {
      last.size = Math.max(last.size, i.start + i.size - last.start);
    } else {
      out.push({ ...i });
    }
  }
  return out;
}

/**
 * Split an interval into the fewest CIDR-aligned blocks, in address order. Weave's halving
 * gives aligned pieces already; donations (e.g. 26 addresses at .224) do not, and a
 * `RangeShare` must carry a CIDR.
 */
export function intervalToShares(iv: Interval): RangeShare[] {
  const out: RangeShare[] = [];
  let start = iv.start;
  let left = iv.size;
  while (left > 0) {
    let size = 1;
    while (size * 2 <= left && start % (size * 2) === 0) size *= 2;
    const prefix = 32 - Math.log2(size);
    out.push({
      cidr: `${numberToIp(start)}/${prefix}`,
      start: numberToIp(start),
      end: numberToIp(start + size - 1),
      size,
    });
    start += size;
    left -= size;
  }
  return out;
}

/** Canonical form of a set of shares: merged, then cut into aligned blocks. Makes comparisons order-free. */
export function normaliseShares(shares: Array<{ start: string; size: number }>): RangeShare[] {
  return mergeIntervals(shares.map((s) => ({ start: ipToNumber(s.start), size: s.size }))).flatMap(
    intervalToShares,
  );
}

/** Total number of addresses in some shares. */
export function shareTotal(shares: Array<{ size: number }>): number {
  return shares.reduce((n, s) => n + s.size, 0);
}
