import fc from "fast-check";
import { candidateNets, labIdOfResource, layoutLab, newLabId, validateLabOptions } from "../../lab/layout";

describe("lab options", () => {
  test("defaults to four hosts host1..host4 from 10.10.10.101", () => {
    const v = validateLabOptions();
    expect(v).toEqual({
      names: ["host1", "host2", "host3", "host4"],
      net: [10, 10, 10],
      firstHost: 101,
      explicitAddress: false,
    });
  });

  test("names decide the host count when hosts is not given", () => {
    expect(validateLabOptions({ names: ["a", "b"] }).names).toEqual(["a", "b"]);
  });

  test("every problem is reported at once, naming the field, the value and what is allowed", () => {
    let msg = "";
    try {
      validateLabOptions({ hosts: 3, names: ["ok", "Bad_Name", "ok", "x"], firstAddress: "10.10.10.300" });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(
      msg
        .split("\n")
        .slice(1)
        .map((l) => l.trim()),
    ).toEqual([
      'names[1]: "Bad_Name" is not a valid host name; use lowercase letters, digits and "-", starting with a letter, at most 32 characters',
      'names[2]: "ok" is given twice; host names must be unique',
      "names: 4 names given but hosts is 3; give as many names as hosts (or leave hosts out)",
      'firstAddress: "10.10.10.300" is not an IPv4 address; give one like "10.10.10.101"',
    ]);
  });

  test("host count must be 1-253 and fit between the first address and .254", () => {
    expect(() => validateLabOptions({ hosts: 0 })).toThrow(
      "hosts: 0 is not allowed; give an integer from 1 to 253",
    );
    expect(() => validateLabOptions({ hosts: 2.5 })).toThrow("hosts: 2.5 is not allowed");
    expect(validateLabOptions({ hosts: 154 }).names[153]).toBe("host154");
    expect(() => validateLabOptions({ hosts: 155 })).toThrow(
      "firstAddress: 10.10.10.101 leaves no room for 155 host(s) in 10.10.10.0/24; the last octet must be 2–100 (.1 is the bridge)",
    );
    expect(validateLabOptions({ hosts: 253, firstAddress: "10.10.10.2" }).names.length).toBe(253);
    expect(() => validateLabOptions({ firstAddress: "10.10.10.1" })).toThrow(/\.1 is the bridge/);
  });

  test("an explicit first address is remembered so it is never moved to another /24", () => {
    expect(validateLabOptions({ firstAddress: "10.20.30.40" })).toMatchObject({
      net: [10, 20, 30],
      firstHost: 40,
      explicitAddress: true,
    });
    expect(candidateNets([10, 20, 30], true)).toEqual([[10, 20, 30]]);
    const auto = candidateNets([10, 10, 10], false);
    expect(auto.slice(0, 3)).toEqual([
      [10, 10, 10],
      [10, 10, 11],
      [10, 10, 12],
    ]);
    expect(auto[auto.length - 1]).toEqual([10, 10, 255]);
  });
});

describe("lab layout", () => {
  test("32 hosts get consecutive textbook addresses and per-lab names", () => {
    const l = layoutLab(
      "ab12cd",
      [10, 10, 10],
      101,
      Array.from({ length: 32 }, (_, i) => `host${i + 1}`),
    );
    expect(l.bridge).toBe("wlbab12cd");
    expect(l.bridgeAddress).toBe("10.10.10.1");
    expect(l.cidr).toBe("10.10.10.0/24");
    expect(l.hosts[0]).toEqual({
      index: 1,
      name: "host1",
      address: "10.10.10.101",
      netns: "wl-ab12cd-host1",
      veth: "wlvab12cdn1",
    });
    expect(l.hosts[31].address).toBe("10.10.10.132");
  });

  test("for any id and host count, interface names fit 15 chars and every name maps back to its lab", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 253 }), (seed, n) => {
        let s = seed;
        const id = newLabId(() => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const l = layoutLab(
          id,
          [10, 10, 10],
          2,
          Array.from({ length: n }, (_, i) => `h${i}`),
        );
        const ifnames = [l.bridge, ...l.hosts.map((h) => h.veth)];
        expect(ifnames.every((x) => x.length <= 15)).toBe(true);
        expect(new Set(ifnames).size).toBe(ifnames.length);
        expect(new Set(l.hosts.map((h) => h.address)).size).toBe(n);
        for (const x of [...ifnames, ...l.hosts.map((h) => h.netns)]) expect(labIdOfResource(x)).toBe(id);
      }),
      { numRuns: 200 },
    );
  });

  test("names that are not ours are not claimed by cleanup", () => {
    for (const n of ["eth0", "docker0", "weave", "wl-short-x", "wlbabc", "wlvab12cdnx", "vethab12cd"])
      expect(labIdOfResource(n)).toBeUndefined();
  });

  test("a bad lab id is rejected", () => {
    expect(() => layoutLab("AB", [10, 10, 10], 101, ["a"])).toThrow(
      'lab id "AB" must be 6 lowercase letters or digits',
    );
  });
});
