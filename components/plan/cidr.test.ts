import fc from "fast-check";
import { IPv4, IPv4CidrRange, Validator } from "ip-num";
import { containsIp, ipToString, isInside, overlaps, parseCidr, parseIPv4, toRangeShare } from "./cidr";

/** ip-num is the reference for what an IPv4 address / CIDR is; our fast parsers must agree. */
describe("cidr parsing agrees with ip-num", () => {
  const octet = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.constantFrom("256", "01", "00", "-1", "", "a", "1e2", " 1"),
  );
  const quad = fc.array(octet, { minLength: 3, maxLength: 5 }).map((o) => o.join("."));

  test("property: an address parses exactly when ip-num accepts it, to the same number", () => {
    fc.assert(
      fc.property(quad, (text) => {
        const ours = parseIPv4(text);
        const [valid] = Validator.isValidIPv4String(text);
        expect(ours.ok).toBe(valid);
        if (ours.ok) expect(ours.value).toBe(Number(IPv4.fromDecimalDottedString(text).value));
      }),
      { numRuns: 2000 },
    );
  });

  test("property: a CIDR's network, size and last address match ip-num's IPv4CidrRange", () => {
    const valid = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }));
    fc.assert(
      fc.property(valid, ([n, prefix]) => {
        const text = `${ipToString(n)}/${prefix}`;
        const ours = parseCidr(text);
        expect(ours.ok).toBe(true);
        if (!ours.ok) return;
        const ref = IPv4CidrRange.fromCidr(text);
        expect(ours.value.network).toBe(Number(ref.getFirst().value));
        expect(ours.value.last).toBe(Number(ref.getLast().value));
        expect(ours.value.size).toBe(Number(ref.getSize()));
        expect(ours.value.hostBitsSet).toBe(n !== Number(ref.getFirst().value));
      }),
      { numRuns: 2000 },
    );
  });

  test.each([["10.0.0.0/33"], ["10.0.0.0/"], ["10.0.0.0/08"], ["10.0.0/8"], ["fd00::/8"], ["10.0.0.0"]])(
    "rejects %p",
    (text) => {
      expect(parseCidr(text).ok).toBe(false);
    },
  );

  test("non-strings are reported, not thrown on", () => {
    expect(parseCidr(42)).toEqual({ ok: false, reason: "must be a string, got 42" });
    expect(parseIPv4(undefined)).toEqual({ ok: false, reason: "must be a string, got nothing" });
  });
});

describe("cidr relations", () => {
  const c = (t: string) => {
    const r = parseCidr(t);
    if (!r.ok) throw new Error(r.reason);
    return r.value;
  };
  test("inside, overlaps, contains", () => {
    expect(isInside(c("172.16.16.0/25"), c("172.16.16.0/24"))).toBe(true);
    expect(isInside(c("172.16.16.0/23"), c("172.16.16.0/24"))).toBe(false);
    expect(overlaps(c("172.16.16.0/23"), c("172.16.17.0/24"))).toBe(true);
    expect(overlaps(c("172.16.16.0/24"), c("172.16.17.0/24"))).toBe(false);
    expect(containsIp(c("172.16.16.0/24"), c("172.16.16.255/32").addr)).toBe(true);
  });
  test("toRangeShare describes an aligned block", () => {
    expect(toRangeShare(c("10.32.0.0/12").network, 2 ** 19)).toEqual({
      cidr: "10.32.0.0/13",
      start: "10.32.0.0",
      end: "10.39.255.255",
      size: 524288,
    });
  });
});
