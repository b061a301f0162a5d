/**
 * Weave peer names: 48-bit values written like MAC addresses. weave-lab always passes an
 * explicit `--name`, so the seed list and the ring split are known before launch.
 *
 * User-given names are accepted in every form Weave itself accepts (`aa:bb:cc:dd:ee:ff`, one or
 * two hex digits per group, and the `::` abbreviations of mesh's `PeerNameFromString`, e.g.
 * `::1` = `00:00:00:00:00:01`) and normalised to the full lowercase form Weave prints in
 * `weave status`, so that names compare equal however they were written. As in Weave, `::`
 * stands for at least two zero groups (`1::2:3:4:5` is rejected by Weave and by us).
 */
import { createHash } from "crypto";

const GROUP = /^[0-9a-fA-F]{1,2}$/;

/**
 * Parse a peer name the way Weave does and return its canonical form
 * (`02:00:00:00:00:01`), or undefined if Weave would reject it.
 */
export function normalizePeerName(text: string): string | undefined {
  let groups: string[];
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    if (text.indexOf("::", dbl + 1) >= 0) return undefined;
    const head = text.slice(0, dbl) === "" ? [] : text.slice(0, dbl).split(":");
    const tail = text.slice(dbl + 2) === "" ? [] : text.slice(dbl + 2).split(":");
    const explicit = head.length + tail.length;
    // Weave's accepted patterns: one to four explicit groups, `::` replacing the rest.
    if (explicit < 1 || explicit > 4) return undefined;
    groups = [...head, ...Array<string>(6 - explicit).fill("0"), ...tail];
  } else {
    groups = text.split(":");
    if (groups.length !== 6) return undefined;
  }
  if (!groups.every((g) => GROUP.test(g))) return undefined;
  return groups.map((g) => g.toLowerCase().padStart(2, "0")).join(":");
}

/** Numeric value of a canonical peer name, for sorting the way Weave does (it compares uint64s). */
export function peerNameValue(canonical: string): number {
  let v = 0;
  for (const group of canonical.split(":")) v = v * 256 + parseInt(group, 16);
  return v;
}

/** Unique canonical peer names in the order Weave uses: numeric ascending, duplicates removed. */
export function sortPeerNames(names: readonly string[]): string[] {
  return [...new Set(names)]
    .map((n) => ({ n, v: peerNameValue(n) }))
    .sort((a, b) => a.v - b.v)
    .map((x) => x.n);
}

/** Compare two canonical peer names in Weave's order (numeric). */
export function comparePeerNames(a: string, b: string): number {
  return peerNameValue(a) - peerNameValue(b);
}

/**
 * A deterministic peer name for a host: the first six bytes of SHA-256(lab name, NUL, host
 * name), with the locally-administered bit set and the multicast bit cleared, so it can never
 * be a real NIC's MAC. Two labs with different names get different peer names.
 */
export function derivePeerName(labName: string, hostName: string): string {
  const digest = createHash("sha256").update(`${labName}\u0000${hostName}`).digest();
  const bytes = Array.from(digest.subarray(0, 6));
  bytes[0] = (bytes[0] | 0x02) & 0xfe;
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}
