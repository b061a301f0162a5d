import { formatIp, normalisePeerName, parseCidr } from "./ip";
import {
  alignedBlocks,
  chooseDonation,
  createRing,
  entryEnd,
  freeIntervals,
  grant,
  mergeRing,
  sizesByPeer,
  subdivide,
  transferAll,
} from "./ring";

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `02:00:00:00:00:0${i + 1}`);
const r24 = parseCidr("172.16.16.0/24")!;

describe("recursive halving over sorted peer names", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "splits a /24 among %i peers into CIDR-aligned pieces covering it exactly",
    (n) => {
      const parts = subdivide(r24.start, r24.size, names(n));
      expect(parts.map((p) => p.peer)).toEqual(names(n));
      expect(parts.reduce((s, p) => s + p.size, 0)).toBe(256);
      let cursor = r24.start;
      for (const p of parts) {
        expect(p.token).toBe(cursor);
        expect(Number.isInteger(Math.log2(p.size))).toBe(true);
        expect(p.token % p.size).toBe(0);
        cursor += p.size;
      }
      // Halving: the first floor(n/2) peers share the first half.
      const firstHalf = parts.filter((p) => p.token < r24.start + 128).map((p) => p.peer);
      expect(firstHalf).toEqual(names(n).slice(0, n === 1 ? 1 : Math.floor(n / 2)));
    },
  );

  it("gives the reference's /12 shares: 3 peers → /13, /14, /14", () => {
    const r = parseCidr("10.32.0.0/12")!;
    expect(subdivide(r.start, r.size, ["a", "b", "c"]).map((p) => `${formatIp(p.token)}:${p.size}`)).toEqual([
      "10.32.0.0:524288",
      "10.40.0.0:262144",
      "10.44.0.0:262144",
    ]);
  });

  it("reproduces fixture 13's table whatever the seed-list order (names sorted numerically)", () => {
    const seedOrder = ["02:00:00:00:00:03", "02:00:00:00:00:01", "02:00:00:00:00:04", "02:00:00:00:00:02"];
    const nicks = {
      "02:00:00:00:00:01": "docker2",
      "02:00:00:00:00:02": "docker4",
      "02:00:00:00:00:03": "docker1",
      "02:00:00:00:00:04": "docker3",
    };
    const ring = createRing(r24.start, r24.size, seedOrder, nicks);
    const table = ring.entries.map(
      (e, i) =>
        `${e.peer} ${nicks[e.peer as keyof typeof nicks]} ${formatIp(e.token)}/${32 - Math.log2(entryEnd(ring, i) - e.token)} v${e.version}`,
    );
    expect(table).toEqual([
      "02:00:00:00:00:01 docker2 172.16.16.0/26 v0",
      "02:00:00:00:00:02 docker4 172.16.16.64/26 v0",
      "02:00:00:00:00:03 docker1 172.16.16.128/26 v0",
      "02:00:00:00:00:04 docker3 172.16.16.192/26 v0",
    ]);
    expect(createRing(r24.start, r24.size, [...seedOrder].reverse(), nicks)).toEqual(ring);
  });

  it("sorts by the numeric MAC value, not by launch order, and accepts ::-abbreviations", () => {
    expect(normalisePeerName("::1")).toBe("00:00:00:00:00:01");
    expect(normalisePeerName("1::")).toBe("01:00:00:00:00:00");
    expect(normalisePeerName("02:00:00:00:00:0A")).toBe("02:00:00:00:00:0a");
    expect(normalisePeerName("zz::1")).toBeUndefined();
    const ring = createRing(r24.start, r24.size, ["0a:00:00:00:00:00", "09:ff:ff:ff:ff:ff"], {});
    expect(ring.entries[0].peer).toBe("09:ff:ff:ff:ff:ff");
  });
});

describe("ring merge", () => {
  const a = createRing(r24.start, r24.size, ["02:00:00:00:00:01"], { "02:00:00:00:00:01": "docker1" });
  const b = createRing(r24.start, r24.size, ["02:00:00:00:00:02"], { "02:00:00:00:00:02": "docker2" });

  it("refuses a ring over a different range with the exact Weave text", () => {
    const other = createRing(parseCidr("172.64.65.0/24")!.start, 256, ["02:00:00:00:00:01"], {});
    const r = mergeRing(other, a, "x");
    expect(r).toEqual({
      ok: false,
      error: "Incompatible IP allocation ranges (received: 172.16.16.0/24, ours: 172.64.65.0/24)",
    });
  });

  it("refuses an independently seeded ring (split brain) naming both seed lists", () => {
    expect(mergeRing(a, b, "02:00:00:00:00:01")).toEqual({
      ok: false,
      error:
        "IP allocation was seeded by different peers (received: [02:00:00:00:00:02(docker2)], ours: [02:00:00:00:00:01(docker1)])",
    });
  });

  it("ignores an empty ring and adopts a ring when it has none", () => {
    const empty = { ...a, entries: [] };
    expect(mergeRing(a, empty, "x")).toMatchObject({ ok: true, changed: false });
    expect(mergeRing(empty, a, "x")).toMatchObject({ ok: true, changed: true, ring: { entries: a.entries } });
  });

  it("keeps the higher version per token and the union of tokens", () => {
    const two = createRing(r24.start, r24.size, ["02:00:00:00:00:01", "02:00:00:00:00:02"], {});
    const donated = grant(two, r24.start + 192, r24.start + 256, "02:00:00:00:00:01", "");
    const r = mergeRing(two, donated, "02:00:00:00:00:02");
    if (!r.ok) throw new Error(r.error);
    expect([...sizesByPeer(r.ring)].map(([p, v]) => `${p}=${v.size}`)).toEqual([
      "02:00:00:00:00:01=192",
      "02:00:00:00:00:02=64",
    ]);
    // The donor inserted a new token, so nothing the receiver owned changed hands by version.
    expect(r.lost).toEqual([]);
    const reset = transferAll(r.ring, "02:00:00:00:00:02", "02:00:00:00:00:01", "", 100).ring;
    const back = mergeRing(r.ring, reset, "02:00:00:00:00:02");
    expect(back.ok && back.lost.map((l) => [formatIp(l.token), l.newOwner, formatIp(l.nextToken)])).toEqual([
      ["172.16.16.128", "02:00:00:00:00:01", "172.16.16.192"],
    ]);
  });
});

describe("donation and transfers", () => {
  it("gives the upper half of the largest aligned free block when it is more than half the free space (reference §8.3)", () => {
    const r = parseCidr("10.32.0.0/13")!;
    const used = [r.start + 1];
    const first = chooseDonation(freeIntervals([{ start: r.start, end: r.start + r.size }], used))!;
    expect(`${formatIp(first.start)}/${32 - Math.log2(first.end - first.start)}`).toBe("10.38.0.0/15");
    const second = chooseDonation(freeIntervals([{ start: r.start, end: first.start }], used))!;
    expect(`${formatIp(second.start)}/${32 - Math.log2(second.end - second.start)}`).toBe("10.34.0.0/15");
  });

  it("donates 32 of a /25 whose first address is used (fixture 05: docker3 got .224/27)", () => {
    const half = { start: r24.start + 128, end: r24.start + 256 };
    const d = chooseDonation(freeIntervals([half], [r24.start + 128]))!;
    expect([formatIp(d.start), d.end - d.start]).toEqual(["172.16.16.224", 32]);
  });

  it("splits free space into maximal aligned blocks", () => {
    expect(alignedBlocks(1, 8).map((b) => `${b.start}/${b.size}`)).toEqual(["1/1", "2/2", "4/4"]);
  });

  it("hands everything to an heir with the version bumped by 100 (reset / rmpeer)", () => {
    const ring = createRing(r24.start, r24.size, names(4), {});
    const { ring: after, moved } = transferAll(ring, names(4)[1], names(4)[0], "h1", 100);
    expect(moved).toBe(64);
    expect(after.entries.map((e) => `${e.peer}:${e.version}`)).toEqual([
      `${names(4)[0]}:0`,
      `${names(4)[0]}:100`,
      `${names(4)[2]}:0`,
      `${names(4)[3]}:0`,
    ]);
  });
});
