/**
 * The input of the range picture and table: verified (or predicted) state, plain data only, so
 * the renderers are pure and can be fed from stack outputs, a plan, or a test.
 */
import type { RangeShare } from "../model/plan";

/** One host and the pieces of the range it owns. */
export interface RangeViewHost {
  /** Host name (as in the spec). */
  name: string;
  /** Weave peer name (MAC form). */
  peerName: string;
  /** Pieces of the range this host owns; empty when it owns none (normal in consensus mode). */
  shares: RangeShare[];
}

/** One container address to mark on the range. */
export interface RangeViewContainer {
  name: string;
  host: string;
  /** IPv4 address without prefix (a CIDR is accepted and its prefix ignored). */
  ip: string;
}

/** Everything the picture shows. */
export interface RangeView {
  /** The allocation range as a CIDR, e.g. `172.16.16.0/24`. */
  range: string;
  /** Optional heading; defaults to a description of the range. */
  title?: string;
  hosts: RangeViewHost[];
  containers: RangeViewContainer[];
}

/** A parsed IPv4 CIDR as integers: `first`..`last` inclusive. */
export interface Span {
  first: number;
  last: number;
  size: number;
}

/** Parses a dotted IPv4 address (an optional `/prefix` is ignored); throws naming the bad text. */
export function ipv4ToInt(text: string): number {
  const addr = text.split("/")[0];
  const parts = addr.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`not an IPv4 address: '${text}'`);
  }
  // Multiplication instead of shifts: shifts are signed 32-bit in JavaScript.
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** The inverse of `ipv4ToInt`. */
export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** Parses `a.b.c.d/p` into the span of addresses it covers (host bits are masked off). */
export function parseCidr(cidr: string): Span {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || Number(m[2]) > 32) throw new Error(`not an IPv4 CIDR: '${cidr}'`);
  const size = 2 ** (32 - Number(m[2]));
  const first = Math.floor(ipv4ToInt(m[1]) / size) * size;
  return { first, last: first + size - 1, size };
}

/** Pieces of the range nobody owns (gaps between the hosts' shares), in address order. */
export function unownedSpans(view: RangeView): Span[] {
  const range = parseCidr(view.range);
  const owned = view.hosts
    .flatMap((h) => h.shares)
    .map((s) => ({ first: ipv4ToInt(s.start), last: ipv4ToInt(s.end) }))
    .sort((a, b) => a.first - b.first);
  const gaps: Span[] = [];
  let next = range.first;
  for (const o of owned) {
    if (o.first > next) gaps.push({ first: next, last: o.first - 1, size: o.first - next });
    next = Math.max(next, o.last + 1);
  }
  if (next <= range.last) gaps.push({ first: next, last: range.last, size: range.last - next + 1 });
  return gaps;
}

/** Percentage with one decimal, as Weave's `status ipam` prints it (`25.0%`). */
export function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}%`;
}
