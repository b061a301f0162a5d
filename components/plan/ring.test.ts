import fc from "fast-check";
import { parseCidr, type Cidr } from "./cidr";
import { sortPeerNames } from "../model/peer-names";
import { predictShares } from "./ring";

const cidr = (t: string): Cidr => {
  const r = parseCidr(t);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};
const ipNum = (s: string): number => s.split(".").reduce((a, o) => a * 256 + Number(o), 0);

describe("ring prediction (Weave's recursive halving)", () => {
  test("reproduces fixture step 13: four seeds on 172.16.16.0/24, given unsorted, get /26s in numeric order", () => {
    const shares = predictShares(cidr("172.16.16.0/24"), [
      "02:00:00:00:00:03",
      "02:00:00:00:00:01",
      "02:00:00:00:00:04",
      "02:00:00:00:00:02",
    ]);
    expect(Object.fromEntries([...shares].map(([k, v]) => [k, v.map((s) => s.cidr)]))).toEqual({
      "02:00:00:00:00:01": ["172.16.16.0/26"],
      "02:00:00:00:00:02": ["172.16.16.64/26"],
      "02:00:00:00:00:03": ["172.16.16.128/26"],
      "02:00:00:00:00:04": ["172.16.16.192/26"],
    });
    expect(shares.get("02:00:00:00:00:02")![0]).toEqual({
      cidr: "172.16.16.64/26",
      start: "172.16.16.64",
      end: "172.16.16.127",
      size: 64,
    });
  });

  test("three peers on a /12: the first gets a /13, the other two a /14 each", () => {
    const shares = predictShares(cidr("10.32.0.0/12"), [
      "0a:00:00:00:00:03",
      "0a:00:00:00:00:01",
      "0a:00:00:00:00:02",
    ]);
    expect(shares.get("0a:00:00:00:00:01")!.map((s) => s.cidr)).toEqual(["10.32.0.0/13"]);
    expect(shares.get("0a:00:00:00:00:02")!.map((s) => s.cidr)).toEqual(["10.40.0.0/14"]);
    expect(shares.get("0a:00:00:00:00:03")!.map((s) => s.cidr)).toEqual(["10.44.0.0/14"]);
  });

  test("sorts by numeric value, not by insertion order", () => {
    expect(sortPeerNames(["ff:00:00:00:00:00", "0a:00:00:00:00:00", "0a:00:00:00:00:00"])).toEqual([
      "0a:00:00:00:00:00",
      "ff:00:00:00:00:00",
    ]);
  });

  test("more peers than addresses: five peers on a /30 leave the highest-sorted peer without space", () => {
    const names = [
      "00:00:00:00:00:01",
      "00:00:00:00:00:02",
      "00:00:00:00:00:03",
      "00:00:00:00:00:04",
      "00:00:00:00:00:05",
    ];
    const shares = predictShares(cidr("10.0.0.0/30"), names);
    expect(names.map((n) => shares.get(n)!.map((s) => s.cidr))).toEqual([
      ["10.0.0.0/32"],
      ["10.0.0.1/32"],
      ["10.0.0.2/32"],
      ["10.0.0.3/32"],
      [],
    ]);
  });

  const nameArb = fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
    .map((b) => b.map((x) => x.toString(16).padStart(2, "0")).join(":"));
  const rangeArb = fc
    .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 8, max: 30 }))
    .map(([addr, prefix]) => {
      const size = 2 ** (32 - prefix);
      const net = Math.floor(addr / size) * size;
      return cidr(
        `${Math.floor(net / 16777216)}.${Math.floor(net / 65536) % 256}.${Math.floor(net / 256) % 256}.${net % 256}/${prefix}`,
      );
    });

  test("property: shares are disjoint, CIDR-aligned, at most one per peer, and cover the range exactly", () => {
    fc.assert(
      fc.property(rangeArb, fc.uniqueArray(nameArb, { minLength: 1, maxLength: 40 }), (range, names) => {
        const shares = [...predictShares(range, names).values()];
        for (const s of shares) expect(s.length).toBeLessThanOrEqual(1);
        const pieces = shares.flat().sort((a, b) => ipNum(a.start) - ipNum(b.start));
        let next = range.network;
        for (const p of pieces) {
          const start = ipNum(p.start);
          expect(start).toBe(next); // contiguous and disjoint
          expect(start % p.size).toBe(0); // aligned
          expect(Math.log2(p.size) % 1).toBe(0);
          expect(ipNum(p.end)).toBe(start + p.size - 1);
          next = start + p.size;
        }
        expect(next).toBe(range.network + range.size);
      }),
    );
  });

  test("property: the prediction does not depend on the order (or repetition) of the seed list", () => {
    fc.assert(
      fc.property(
        rangeArb,
        fc.uniqueArray(nameArb, { minLength: 1, maxLength: 20 }),
        fc.nat(),
        (range, names, seed) => {
          const shuffled = [...names, ...names.slice(0, 2)].sort((a, b) =>
            (a + seed).localeCompare(b) > 0 ? 1 : -1,
          );
          expect(predictShares(range, shuffled)).toEqual(predictShares(range, names));
        },
      ),
    );
  });

  test("property: when there are no more peers than addresses every peer gets space", () => {
    fc.assert(
      fc.property(rangeArb, fc.uniqueArray(nameArb, { minLength: 1, maxLength: 64 }), (range, names) => {
        fc.pre(names.length <= range.size);
        for (const s of predictShares(range, names).values()) expect(s).toHaveLength(1);
      }),
    );
  });
});
