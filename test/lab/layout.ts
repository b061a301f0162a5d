/**
 * Pure decisions of the lab: option validation, names of namespaces and links, addresses.
 * Kept free of I/O so the rules are tested with plain inputs.
 */
import type { DoubleConfig } from "./double-config";

/** Options of `createLab`. */
export interface LabOptions {
  /** Number of hosts, 1–253 (at most 154 from the default first address). Defaults to `names.length` when names are given, else 4 (the textbook lab). */
  hosts?: number;
  /** Host names (lowercase letters, digits, `-`, starting with a letter, ≤ 32 chars, unique). Defaults to `host1`…`hostN`. */
  names?: string[];
  /**
   * Address of the first host; the others follow (.101, .102, …), the bridge in the root namespace
   * takes `.1` of the same /24. Defaults to `10.10.10.101`; when that /24 is held by another live
   * lab the next free /24 (10.10.11.0, …) is used instead. An explicit address is never moved:
   * if its /24 is taken, `createLab` fails naming the lab that holds it.
   */
  firstAddress?: string;
  /** Settings written to every host's double `config.json`. Defaults to `DEFAULT_DOUBLE_CONFIG`. */
  double?: Partial<DoubleConfig>;
}

export const DEFAULT_FIRST_ADDRESS = "10.10.10.101";
export const DEFAULT_HOST_COUNT = 4;
/** Every lab resource carries this prefix (namespaces `wl-<id>-<host>`, links `wlb<id>`, `wlv<id>n<i>`). */
export const LAB_ID_PATTERN = /^[a-z0-9]{6}$/;
const NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** One host's place in the lab. */
export interface HostLayout {
  /** 1-based position. */
  index: number;
  name: string;
  address: string;
  /** Network namespace (`wl-<id>-<name>`). */
  netns: string;
  /** Root-namespace end of the host's veth (`wlv<id>n<index>`, ≤ 15 chars); `eth0` inside. */
  veth: string;
}

/** Where everything of one lab lives on this machine. */
export interface LabLayout {
  id: string;
  /** Bridge in the root namespace joining every host (`wlb<id>`). */
  bridge: string;
  /** The bridge's address (`<a.b.c>.1`); the test process reaches hosts from it. */
  bridgeAddress: string;
  /** The lab's /24, e.g. `10.10.10.0/24`. */
  cidr: string;
  prefixLength: 24;
  hosts: HostLayout[];
}

/** Validated options: what the lab will look like apart from its id and /24. */
export interface ValidOptions {
  names: string[];
  /** First three octets of the requested /24. */
  net: [number, number, number];
  /** Last octet of the first host. */
  firstHost: number;
  /** Whether the caller named the address (then it is never moved to another /24). */
  explicitAddress: boolean;
}

/** Validate `createLab` options; every problem is reported at once as `path: message`. */
export function validateLabOptions(opts: LabOptions = {}): ValidOptions {
  const problems: string[] = [];
  const { hosts, names } = opts;
  if (hosts !== undefined && (!Number.isInteger(hosts) || hosts < 1 || hosts > 253)) {
    problems.push(`hosts: ${JSON.stringify(hosts)} is not allowed; give an integer from 1 to 253`);
  }
  if (names !== undefined) {
    if (!Array.isArray(names) || names.length === 0) {
      problems.push(`names: ${JSON.stringify(names)} is not allowed; give a non-empty list of host names`);
    } else {
      const seen = new Set<string>();
      names.forEach((n, i) => {
        if (typeof n !== "string" || !NAME_PATTERN.test(n)) {
          problems.push(
            `names[${i}]: ${JSON.stringify(n)} is not a valid host name; use lowercase letters, digits and "-", starting with a letter, at most 32 characters`,
          );
        } else if (seen.has(n)) {
          problems.push(`names[${i}]: ${JSON.stringify(n)} is given twice; host names must be unique`);
        }
        seen.add(n);
      });
      if (hosts !== undefined && names.length !== hosts) {
        problems.push(
          `names: ${names.length} names given but hosts is ${hosts}; give as many names as hosts (or leave hosts out)`,
        );
      }
    }
  }
  const count = Array.isArray(names) && names.length > 0 ? names.length : (hosts ?? DEFAULT_HOST_COUNT);
  const first = opts.firstAddress ?? DEFAULT_FIRST_ADDRESS;
  const octets = parseIPv4(first);
  let net: [number, number, number] = [10, 10, 10];
  let firstHost = 101;
  if (!octets) {
    problems.push(
      `firstAddress: ${JSON.stringify(opts.firstAddress)} is not an IPv4 address; give one like "10.10.10.101"`,
    );
  } else {
    net = [octets[0], octets[1], octets[2]];
    firstHost = octets[3];
    if (firstHost < 2 || (Number.isInteger(count) && firstHost + count - 1 > 254)) {
      problems.push(
        `firstAddress: ${first} leaves no room for ${count} host(s) in ${net.join(".")}.0/24; the last octet must be 2–${Math.max(2, 255 - count)} (.1 is the bridge)`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`invalid lab options:\n  ${problems.join("\n  ")}`);
  const finalNames =
    Array.isArray(names) && names.length > 0
      ? [...names]
      : Array.from({ length: count }, (_, i) => `host${i + 1}`);
  return { names: finalNames, net, firstHost, explicitAddress: opts.firstAddress !== undefined };
}

/** Names and addresses of a lab with id `id` on the /24 `net`. */
export function layoutLab(
  id: string,
  net: readonly [number, number, number],
  firstHost: number,
  names: readonly string[],
): LabLayout {
  if (!LAB_ID_PATTERN.test(id))
    throw new Error(`lab id ${JSON.stringify(id)} must be 6 lowercase letters or digits`);
  const base = net.join(".");
  return {
    id,
    bridge: `wlb${id}`,
    bridgeAddress: `${base}.1`,
    cidr: `${base}.0/24`,
    prefixLength: 24,
    hosts: names.map((name, i) => ({
      index: i + 1,
      name,
      address: `${base}.${firstHost + i}`,
      netns: `wl-${id}-${name}`,
      veth: `wlv${id}n${i + 1}`,
    })),
  };
}

/** The /24s tried in order when the default one is taken: the requested one, then c+1, c+2, … up to .255. */
export function candidateNets(
  net: readonly [number, number, number],
  explicit: boolean,
): Array<[number, number, number]> {
  if (explicit) return [[net[0], net[1], net[2]]];
  const out: Array<[number, number, number]> = [];
  for (let c = net[2]; c <= 255; c++) out.push([net[0], net[1], c]);
  return out;
}

/** Which lab (if any) a namespace or link name belongs to. */
export function labIdOfResource(name: string): string | undefined {
  const m =
    /^wl-([a-z0-9]{6})-/.exec(name) ?? /^wlb([a-z0-9]{6})$/.exec(name) ?? /^wlv([a-z0-9]{6})n\d+$/.exec(name);
  return m ? m[1] : undefined;
}

/** `[a, b, c, d]` of a dotted IPv4 address, or undefined. */
export function parseIPv4(s: unknown): [number, number, number, number] | undefined {
  if (typeof s !== "string") return undefined;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1).map(Number) as [number, number, number, number];
  return o.every((x) => x <= 255) ? o : undefined;
}

/** A fresh random lab id. */
export function newLabId(random: () => number = Math.random): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let id = "";
  for (let i = 0; i < 6; i++) id += alphabet[Math.floor(random() * alphabet.length)];
  return id;
}
