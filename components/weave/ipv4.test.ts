import fc from "fast-check";
import { intervalToShares, ipToNumber, mergeIntervals, normaliseShares, numberToIp, parseCidr } from "./ipv4";
import { parseStatusIpam } from "./status";

describe("IPv4 helpers", () => {
  test("addresses round-trip through numbers", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => ipToNumber(numberToIp(n)) === n));
  });

  test("malformed addresses and CIDRs with host bits are refused", () => {
    expect(() => ipToNumber("256.1.1.1")).toThrow(/not an IPv4 address/);
    expect(() => parseCidr("172.16.16.1/24")).toThrow(/host bits set/);
    expect(parseCidr("172.16.16.0/24")).toEqual({ start: ipToNumber("172.16.16.0"), size: 256, prefix: 24 });
  });

  test("an interval is cut into aligned CIDR blocks that tile it exactly, in order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 24 }), fc.integer({ min: 1, max: 4096 }), (start, size) => {
        const blocks = intervalToShares({ start, size });
        let at = start;
        for (const b of blocks) {
          const { start: s, size: n } = parseCidr(b.cidr);
          if (s !== at || n !== b.size || s % n !== 0 || ipToNumber(b.end) !== s + n - 1) return false;
          at += n;
        }
        // No two neighbours could have been one block: the cut is minimal.
        const mergeable = blocks.some(
          (b, i) =>
            i > 0 && blocks[i - 1].size === b.size && ipToNumber(blocks[i - 1].start) % (2 * b.size) === 0,
        );
        return at === start + size && !mergeable;
      }),
    );
  });

  test("normalising shares ignores order and splitting: same addresses, same result", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ start: fc.integer({ min: 0, max: 1000 }), size: fc.integer({ min: 1, max: 64 }) }),
          { maxLength: 8 },
        ),
        (ivs) => {
          const a = normaliseShares(ivs.map((i) => ({ start: numberToIp(i.start), size: i.size })));
          const b = normaliseShares(
            [...ivs].reverse().map((i) => ({ start: numberToIp(i.start), size: i.size })),
          );
          const total = mergeIntervals(ivs).reduce((n, i) => n + i.size, 0);
          return JSON.stringify(a) === JSON.stringify(b) && a.reduce((n, s) => n + s.size, 0) === total;
        },
      ),
    );
  });
});

/** Weave's `%04.1f` of a float32 percentage, to within rounding (Go rounds exact halves to even: 6.25 → 06.2). */
const goPercent = (ips: number, total: number): string =>
  Math.fround((Math.fround(ips) * 100) / Math.fround(total))
    .toFixed(1)
    .padStart(4, "0");

describe("status ipam lines rendered like Weave's template read back exactly", () => {
  test("name padded to 37, count right-aligned in 8, %04.1f percentage, local/unreachable/blank info", () => {
    const hex2 = fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16).padStart(2, "0"));
    const peer = fc.tuple(
      fc.array(hex2, { minLength: 6, maxLength: 6 }),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(peer, fc.integer({ min: 1, max: 1 << 20 }), fc.constantFrom("local", "unreachable", "")),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 0, max: 50 }),
        (rows, active) => {
          const total = 1 << 20;
          const text = rows
            .map(([[mac, nick], ips, kind]) => {
              const info =
                kind === "local" ? `(${active} active)` : kind === "unreachable" ? "- unreachable!" : "";
              return `${`${mac.join(":")}(${nick})`.padEnd(37)} ${String(ips).padStart(8)} IPs (${goPercent(ips, total)}% of total) ${info}\n`;
            })
            .join("");
          const { value, unparsed } = parseStatusIpam(text);
          return (
            unparsed.length === 0 &&
            value.length === rows.length &&
            value.every(
              (v, i) =>
                v.size === rows[i][1] &&
                v.peer.nickname === rows[i][0][1] &&
                v.local === (rows[i][2] === "local") &&
                v.unreachable === (rows[i][2] === "unreachable") &&
                Math.abs(v.percent - (rows[i][1] * 100) / total) <= 0.051,
            )
          );
        },
      ),
    );
  });
});
