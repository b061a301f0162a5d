/**
 * IPv4 and peer-name arithmetic for the router double. Addresses are unsigned 32-bit numbers;
 * a CIDR is `{ start, size, prefix }` with `size = 2^(32-prefix)`. Kept separate from the
 * product's ip-num based code on purpose: the double must be an independent implementation.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  start: number;
  /** Number of addresses (2^(32-prefix)). */
  size: number;
  prefix: number;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parse `a.b.c.d/len` keeping host bits (the address part is returned as `addr`). */
export function parseCidrLoose(s: string): { addr: number; prefix: number } | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const addr = parseIp(m[1]);
  const prefix = Number(m[2]);
  if (addr === undefined || prefix > 32) return undefined;
  return { addr, prefix };
}

/** Parse a network CIDR; `undefined` when malformed. Host bits are masked off. */
export function parseCidr(s: string): (Cidr & { hostBitsSet: boolean }) | undefined {
  const l = parseCidrLoose(s);
  if (!l) return undefined;
  const size = 2 ** (32 - l.prefix);
  const start = l.addr - (l.addr % size);
  return { start, size, prefix: l.prefix, hostBitsSet: start !== l.addr };
}

export function formatCidr(c: { start: number; prefix: number }): string {
  return `${formatIp(c.start)}/${c.prefix}`;
}

/** Size of a range as a prefix length when it is a power of two (else undefined). */
export function prefixOfSize(size: number): number | undefined {
  const p = 32 - Math.log2(size);
  return Number.isInteger(p) ? p : undefined;
}

/**
 * Canonical peer name: six lower-case hex octets. Weave accepts abbreviations with `::`
 * (`::1` = 00:00:00:00:00:01, `1::` = 01:00:00:00:00:00); anything else is invalid.
 */
export function normalisePeerName(s: string): string | undefined {
  const parts = s.split("::");
  if (parts.length > 2) return undefined;
  const side = (x: string): string[] => (x === "" ? [] : x.split(":"));
  let octets: string[];
  if (parts.length === 2) {
    const left = side(parts[0]);
    const right = side(parts[1]);
    const fill = 6 - left.length - right.length;
    if (fill < 1) return undefined;
    octets = [...left, ...Array<string>(fill).fill("0"), ...right];
  } else {
    octets = side(parts[0]);
  }
  if (octets.length !== 6 || octets.some((o) => !/^[0-9a-fA-F]{1,2}$/.test(o))) return undefined;
  return octets.map((o) => o.toLowerCase().padStart(2, "0")).join(":");
}

/** Numeric value of a canonical peer name, for Weave's "sort by name" (MAC order). */
export function peerNameValue(name: string): bigint {
  return BigInt("0x" + name.replace(/:/g, ""));
}

export function comparePeerNames(a: string, b: string): number {
  const x = peerNameValue(a);
  const y = peerNameValue(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
