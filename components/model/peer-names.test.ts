import fc from "fast-check";
import { comparePeerNames, derivePeerName, normalizePeerName } from "./peer-names";

describe("peer names", () => {
  test.each([
    ["02:00:00:00:00:01", "02:00:00:00:00:01"],
    ["CE:31:E0:06:45:1A", "ce:31:e0:06:45:1a"],
    ["2:0:0:0:0:1", "02:00:00:00:00:01"],
    ["::1", "00:00:00:00:00:01"],
    ["1::", "01:00:00:00:00:00"],
    ["1::1", "01:00:00:00:00:01"],
    ["::12:34:56:78", "00:00:12:34:56:78"],
    ["aa:bb:cc:dd::", "aa:bb:cc:dd:00:00"],
  ])("accepts %s the way Weave does and normalises it to %s", (given, canonical) => {
    expect(normalizePeerName(given)).toBe(canonical);
  });

  test.each([
    ["docker1"],
    [""],
    ["::"],
    ["1::2:3:4:5"],
    ["1::2::3"],
    ["02:00:00:00:00"],
    ["02:00:00:00:00:01:02"],
    ["002:00:00:00:00:01"],
    ["0g:00:00:00:00:01"],
  ])("rejects %p (Weave would refuse it too)", (bad) => {
    expect(normalizePeerName(bad)).toBeUndefined();
  });

  test("derived names are deterministic, locally administered, unicast and differ by lab", () => {
    const a = derivePeerName("textbook", "docker1");
    expect(a).toBe(derivePeerName("textbook", "docker1"));
    expect(a).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(derivePeerName("other", "docker1")).not.toBe(a);
    fc.assert(
      fc.property(fc.string(), fc.string(), (lab, host) => {
        const first = parseInt(derivePeerName(lab, host).slice(0, 2), 16);
        expect(first & 0x02).toBe(0x02);
        expect(first & 0x01).toBe(0);
      }),
    );
  });

  test("sorting is numeric over the whole 48 bits", () => {
    const names = ["0a:00:00:00:00:00", "02:00:00:00:00:10", "02:00:00:00:00:02", "ff:ff:ff:ff:ff:ff"];
    expect([...names].sort(comparePeerNames)).toEqual([
      "02:00:00:00:00:02",
      "02:00:00:00:00:10",
      "0a:00:00:00:00:00",
      "ff:ff:ff:ff:ff:ff",
    ]);
  });
});
