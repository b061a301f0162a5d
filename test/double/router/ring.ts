/**
 * The IPAM ring of the router double: the range is cut at tokens, each token starts a piece
 * owned by one peer up to the next token. Pure functions over plain data so every rule can be
 * tested with literals. Semantics follow reference §8 and fixtures 13/14/16 (recursive halving
 * over names sorted numerically, tokens never coalesce, versions bump on every owner change).
 */
import { comparePeerNames, formatIp } from "./ip";

export interface RingEntry {
  /** First address of the piece. */
  token: number;
  peer: string;
  nickname: string;
  version: number;
  /** Free addresses in the piece as last reported by its owner (guides donation requests). */
  free: number;
}

export interface Ring {
  /** First address of the range. */
  start: number;
  /** One past the last address of the range. */
  end: number;
  /** Peers the ring was created for (sorted); two rings with different seeds never merge. */
  seeds: string[];
  /** Nicknames of the seeds, for the "seeded by different peers" text. */
  seedNicks: Record<string, string>;
  /** Sorted by token; empty = no ring yet. */
  entries: RingEntry[];
}

export function emptyRing(start: number, size: number): Ring {
  return { start, end: start + size, seeds: [], seedNicks: {}, entries: [] };
}

/** Sort and de-duplicate peer names the way Weave orders consensus values (numeric MAC order). */
export function sortPeers(names: string[]): string[] {
  return [...new Set(names)].sort(comparePeerNames);
}

/**
 * Recursive halving of `[start, start+size)` over `peers` (already sorted): the first half of the
 * peers (rounded down) gets the first half of the space. Three peers over a /24 give /25, /26, /26.
 */
export function subdivide(
  start: number,
  size: number,
  peers: string[],
): Array<{ token: number; size: number; peer: string }> {
  if (peers.length === 0 || size === 0) return [];
  if (peers.length === 1 || size === 1) return [{ token: start, size, peer: peers[0] }];
  const half = Math.floor(size / 2);
  const cut = Math.floor(peers.length / 2);
  return [
    ...subdivide(start, half, peers.slice(0, cut)),
    ...subdivide(start + half, size - half, peers.slice(cut)),
  ];
}

/** A fresh ring split among `peers` (seed list or consensus value), every entry at version 0. */
export function createRing(
  start: number,
  size: number,
  peers: string[],
  nicks: Record<string, string>,
): Ring {
  const seeds = sortPeers(peers);
  const seedNicks: Record<string, string> = {};
  for (const s of seeds) seedNicks[s] = nicks[s] ?? "";
  return {
    start,
    end: start + size,
    seeds,
    seedNicks,
    entries: subdivide(start, size, seeds).map((p) => ({
      token: p.token,
      peer: p.peer,
      nickname: nicks[p.peer] ?? "",
      version: 0,
      free: p.size,
    })),
  };
}

export function cloneRing(r: Ring): Ring {
  return {
    ...r,
    seeds: [...r.seeds],
    seedNicks: { ...r.seedNicks },
    entries: r.entries.map((e) => ({ ...e })),
  };
}

/** End (exclusive) of entry `i`. */
export function entryEnd(r: Ring, i: number): number {
  return i + 1 < r.entries.length ? r.entries[i + 1].token : r.end;
}

/** Pieces owned by `peer`, as `[start, end)` pairs in token order. */
export function ownedRanges(r: Ring, peer: string): Array<{ start: number; end: number; index: number }> {
  const out: Array<{ start: number; end: number; index: number }> = [];
  r.entries.forEach((e, i) => {
    if (e.peer === peer) out.push({ start: e.token, end: entryEnd(r, i), index: i });
  });
  return out;
}

/** Owner of an address, or undefined when there is no ring or the address is outside it. */
export function ownerOf(r: Ring, addr: number): RingEntry | undefined {
  if (addr < r.start || addr >= r.end) return undefined;
  let found: RingEntry | undefined;
  for (const e of r.entries) {
    if (e.token <= addr) found = e;
    else break;
  }
  return found;
}

/** Total addresses owned by each peer (for `status ipam`), in ring order of first appearance. */
export function sizesByPeer(r: Ring): Map<string, { size: number; nickname: string }> {
  const out = new Map<string, { size: number; nickname: string }>();
  r.entries.forEach((e, i) => {
    const cur = out.get(e.peer) ?? { size: 0, nickname: e.nickname };
    cur.size += entryEnd(r, i) - e.token;
    out.set(e.peer, cur);
  });
  return out;
}

function ensureToken(r: Ring, addr: number): void {
  if (addr <= r.start || addr >= r.end) return;
  if (r.entries.some((e) => e.token === addr)) return;
  const owner = ownerOf(r, addr);
  if (!owner) return;
  // The owner corrects `free` with its next report; the piece size is the best first guess.
  r.entries.push({ token: addr, peer: owner.peer, nickname: owner.nickname, version: 0, free: 0 });
  r.entries.sort((a, b) => a.token - b.token);
  const i = r.entries.findIndex((e) => e.token === addr);
  r.entries[i].free = entryEnd(r, i) - addr;
  const prev = r.entries[i - 1];
  if (prev) prev.free = Math.max(0, Math.min(prev.free, addr - prev.token));
  r.entries.sort((a, b) => a.token - b.token);
}

/**
 * Give `[start, end)` to `peer` (a donation or a single-address claim): tokens are inserted at
 * both edges as needed; a new token starts at version 0, an existing one is bumped.
 */
export function grant(r: Ring, start: number, end: number, peer: string, nickname: string): Ring {
  const out = cloneRing(r);
  const existed = new Set(out.entries.map((e) => e.token));
  ensureToken(out, end);
  ensureToken(out, start);
  for (const e of out.entries) {
    if (e.token >= start && e.token < end) {
      if (existed.has(e.token)) e.version += 1;
      e.peer = peer;
      e.nickname = nickname;
    }
  }
  return out;
}

/** Move every piece of `from` to `to` with the version bumped by `bump` (reset: 100, rmpeer: 100). */
export function transferAll(
  r: Ring,
  from: string,
  to: string,
  toNick: string,
  bump: number,
): { ring: Ring; moved: number } {
  const out = cloneRing(r);
  let moved = 0;
  out.entries.forEach((e, i) => {
    if (e.peer === from) {
      moved += entryEnd(out, i) - e.token;
      e.peer = to;
      e.nickname = toNick;
      e.version += bump;
    }
  });
  return { ring: out, moved };
}

export type MergeResult =
  | {
      ok: true;
      ring: Ring;
      changed: boolean;
      lost: Array<{ token: number; newOwner: string; nextToken: number }>;
    }
  | { ok: false; error: string };

function seedList(r: Ring): string {
  return "[" + r.seeds.map((s) => `${s}(${r.seedNicks[s] ?? ""})`).join(" ") + "]";
}

function cidrOfRange(start: number, end: number): string {
  return `${formatIp(start)}/${32 - Math.log2(end - start)}`;
}

/**
 * Merge a ring received from a peer into ours. An empty received ring carries no information.
 * Different ranges or different seeds are fatal for the connection (the texts of §8.2); otherwise
 * the union of tokens is taken and, per token, the higher version wins. `lost` lists tokens that
 * the merge took away from `self` (the situation behind fixture 16's panic).
 */
export function mergeRing(ours: Ring, theirs: Ring, self: string): MergeResult {
  if (theirs.entries.length === 0) return { ok: true, ring: ours, changed: false, lost: [] };
  if (theirs.start !== ours.start || theirs.end !== ours.end) {
    return {
      ok: false,
      error: `Incompatible IP allocation ranges (received: ${cidrOfRange(theirs.start, theirs.end)}, ours: ${cidrOfRange(ours.start, ours.end)})`,
    };
  }
  if (ours.entries.length === 0) return { ok: true, ring: cloneRing(theirs), changed: true, lost: [] };
  if (ours.seeds.join(",") !== theirs.seeds.join(",")) {
    return {
      ok: false,
      error: `IP allocation was seeded by different peers (received: ${seedList(theirs)}, ours: ${seedList(ours)})`,
    };
  }
  const out = cloneRing(ours);
  let changed = false;
  const lost: Array<{ token: number; newOwner: string; nextToken: number }> = [];
  for (const t of theirs.entries) {
    const mine = out.entries.find((e) => e.token === t.token);
    if (!mine) {
      out.entries.push({ ...t });
      changed = true;
    } else if (t.version > mine.version) {
      if (mine.peer === self && t.peer !== self)
        lost.push({ token: t.token, newOwner: t.peer, nextToken: 0 });
      Object.assign(mine, t);
      changed = true;
    }
  }
  out.entries.sort((a, b) => a.token - b.token);
  for (const l of lost) {
    const i = out.entries.findIndex((e) => e.token === l.token);
    l.nextToken = entryEnd(out, i);
  }
  return { ok: true, ring: out, changed, lost };
}

/** Split `[a, b)` into maximal CIDR-aligned blocks, lowest first. */
export function alignedBlocks(a: number, b: number): Array<{ start: number; size: number }> {
  const out: Array<{ start: number; size: number }> = [];
  let cur = a;
  while (cur < b) {
    let size = 1;
    while (cur % (size * 2) === 0 && cur + size * 2 <= b && size * 2 <= 2 ** 31) size *= 2;
    out.push({ start: cur, size });
    cur += size;
  }
  return out;
}

/** Free `[start,end)` intervals of `ranges` once `used` addresses are taken out. */
export function freeIntervals(
  ranges: Array<{ start: number; end: number }>,
  used: number[],
): Array<{ start: number; end: number }> {
  const sorted = [...used].sort((x, y) => x - y);
  const out: Array<{ start: number; end: number }> = [];
  for (const r of ranges) {
    let cur = r.start;
    for (const u of sorted) {
      if (u < cur || u >= r.end) continue;
      if (u > cur) out.push({ start: cur, end: u });
      cur = u + 1;
    }
    if (cur < r.end) out.push({ start: cur, end: r.end });
  }
  return out;
}

/**
 * What a donor gives (reference §8.3): its largest CIDR-aligned free block inside the requested
 * range (lowest on ties); only the upper half of it when the block is more than half of the
 * donor's free space there. Undefined when nothing is free.
 */
export function chooseDonation(
  free: Array<{ start: number; end: number }>,
): { start: number; end: number } | undefined {
  let best: { start: number; size: number } | undefined;
  let total = 0;
  for (const f of free) {
    total += f.end - f.start;
    for (const b of alignedBlocks(f.start, f.end)) if (!best || b.size > best.size) best = b;
  }
  if (!best) return undefined;
  if (best.size > 1 && best.size > total / 2)
    return { start: best.start + best.size / 2, end: best.start + best.size };
  return { start: best.start, end: best.start + best.size };
}
