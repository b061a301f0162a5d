/**
 * IPv4 address and CIDR arithmetic for the planner. Weave's IPAM is IPv4 only, so is this module.
 *
 * ip-num is the reference for what an address or CIDR is (strict dotted quads, no leading zeros,
 * prefix 0-32): `cidr.test.ts` checks these parsers against ip-num's Validator and
 * IPv4CidrRange on random and edge-case inputs. The hot path does the same arithmetic on plain
 * numbers because ip-num's BigInt-based parsing costs ~15-50 µs per value, which alone would
 * take a large part of the 100 ms budget for planning 2,000 containers.
 */
import type { RangeShare } from "../model/plan";

/** A parsed IPv4 CIDR as written by the user (host bits may be set; see `hostBitsSet`). */
export interface Cidr {
  /** The text as given, e.g. `172.16.16.200/24`. */
  text: string;
  /** The address part as a number (host bits kept). */
  addr: number;
  prefix: number;
  /** Network address as a number (host bits cleared). */
  network: number;
  /** Number of addresses in the block (2^(32-prefix)). */
  size: number;
  /** Last address of the block (the broadcast address for prefixes up to /30). */
  last: number;
  /** True when the address part is not the network address (`172.16.16.5/24`). */
  hostBitsSet: boolean;
}

/** Why a CIDR or address did not parse, in words suitable for a SpecIssue. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const IPV6_HINT = /:/;
const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
/** Four decimal octets 0-255 without leading zeros (ip-num and Go's net.ParseIP agree). */
const DOTTED_QUAD = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/** Parse a dotted-quad IPv4 address into a number. */
export function parseIPv4(text: unknown): ParseResult<number> {
  if (typeof text !== "string") return { ok: false, reason: `must be a string, got ${describe(text)}` };
  if (IPV6_HINT.test(text)) {
    return {
      ok: false,
      reason: `${quote(text)} is IPv6; Weave's IPAM is IPv4 only: use a dotted quad like 10.0.0.1`,
    };
  }
  if (!DOTTED_QUAD.test(text)) {
    return { ok: false, reason: `${quote(text)} is not an IPv4 address; use a dotted quad like 10.0.0.1` };
  }
  let n = 0;
  for (const octet of text.split(".")) n = n * 256 + Number(octet);
  return { ok: true, value: n };
}

/** Parse `a.b.c.d/len` into a Cidr. Host bits are allowed here; callers decide if they matter. */
export function parseCidr(text: unknown): ParseResult<Cidr> {
  if (typeof text !== "string") return { ok: false, reason: `must be a string, got ${describe(text)}` };
  if (IPV6_HINT.test(text)) {
    return {
      ok: false,
      reason: `${quote(text)} is an IPv6 range; Weave's IPAM is IPv4 only: use an IPv4 CIDR like 10.32.0.0/12`,
    };
  }
  const slash = text.indexOf("/");
  if (slash < 0) {
    return { ok: false, reason: `${quote(text)} has no prefix length; use CIDR notation like 10.32.0.0/12` };
  }
  const addrText = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const addr = parseIPv4(addrText);
  if (!addr.ok) return { ok: false, reason: `${quote(text)}: ${addr.reason}` };
  if (!/^(\d|[12]\d|3[0-2])$/.test(lenText)) {
    return { ok: false, reason: `${quote(text)} has prefix length ${quote(lenText)}; allowed: 0 to 32` };
  }
  // Host bits are accepted here (as ip-num's fromCidr does); callers report them with a better message.
  const prefix = Number(lenText);
  const size = 2 ** (32 - prefix);
  const network = Math.floor(addr.value / size) * size;
  return {
    ok: true,
    value: {
      text,
      addr: addr.value,
      prefix,
      network,
      size,
      last: network + size - 1,
      hostBitsSet: addr.value !== network,
    },
  };
}

/** Dotted quad of a numeric address. */
export function ipToString(n: number): string {
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** `network/prefix` text of a block. */
export function cidrString(network: number, prefix: number): string {
  return `${ipToString(network)}/${prefix}`;
}

/** Canonical text of a Cidr's block (`172.16.16.0/24` for `172.16.16.5/24`). */
export function networkText(c: Cidr): string {
  return cidrString(c.network, c.prefix);
}

/** The host-bits part of a CIDR, e.g. `0.0.0.5` for `172.16.16.5/24`, for error messages. */
export function hostBitsText(c: Cidr): string {
  return ipToString(c.addr - c.network);
}

/** True when `ip` lies inside the block `c`. */
export function containsIp(c: Cidr, ip: number): boolean {
  return ip >= c.network && ip <= c.last;
}

/** True when block `inner` lies entirely inside block `outer`. */
export function isInside(inner: Cidr, outer: Cidr): boolean {
  return inner.network >= outer.network && inner.last <= outer.last;
}

/** True when the two blocks share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= b.last && b.network <= a.last;
}

/** A RangeShare for the block [start, start+size), which must be CIDR-aligned. */
export function toRangeShare(start: number, size: number): RangeShare {
  const prefix = 32 - Math.log2(size);
  return {
    cidr: cidrString(start, prefix),
    start: ipToString(start),
    end: ipToString(start + size - 1),
    size,
  };
}

/** Format any user value for an error message: strings quoted, others as JSON. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return quote(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Quote a string for an error message. */
export function quote(s: string): string {
  return JSON.stringify(s);
}
