/**
 * Prediction of how Weave splits the allocation range in `seed` mode.
 *
 * Facts (Weave 2.8.1 `ipam/allocator.go` normalizeConsensus, `ipam/ring/ring.go` subdivide,
 * confirmed by fixture step 13): the seed names are sorted by their numeric value and
 * de-duplicated; then [start, end) is split recursively: the first ⌊n/2⌋ peers get the lower
 * half, the rest the upper half, until one peer is left (it owns the whole piece) or the piece
 * is a single address (the first peer of the group owns it, the others get nothing). Because the
 * range is a CIDR, every piece is a power of two and CIDR-aligned, and every peer owns at most
 * one piece. With more peers than addresses some peers own nothing.
 */
import { sortPeerNames } from "../model/peer-names";
import { toRangeShare, type Cidr } from "./cidr";
import type { RangeShare } from "../model/plan";

/**
 * The share of each seed name (canonical form) after Weave's recursive halving of `range`.
 * Every name of `names` is a key; peers that get no address map to `[]`.
 */
export function predictShares(range: Cidr, names: readonly string[]): Map<string, RangeShare[]> {
  const out = new Map<string, RangeShare[]>();
  const peers = sortPeerNames(names);
  for (const p of peers) out.set(p, []);
  const subdivide = (from: number, share: number, group: string[]): void => {
    if (share === 0 || group.length === 0) return;
    if (share === 1 || group.length === 1) {
      out.get(group[0])!.push(toRangeShare(from, share));
      return;
    }
    const half = Math.floor(share / 2);
    const cut = Math.floor(group.length / 2);
    subdivide(from, half, group.slice(0, cut));
    // Weave skips one address when the piece is odd; with CIDR ranges that only happens at
    // share 1, handled above, but keep the arithmetic faithful.
    subdivide(from + half + (share % 2), share - half - (share % 2), group.slice(cut));
  };
  subdivide(range.network, range.size, peers);
  return out;
}
