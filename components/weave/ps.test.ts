import { listFixtures, readFixture } from "../../test/fixtures";
import { parseDnsArgs, parseDnsLookup } from "./dns";
import {
  compareApiVersions,
  parseDockerVersionLine,
  parseEngineVersion,
  parseLaunchContainerId,
  parsePs,
  parseRmpeer,
  parseScriptVersionLine,
  parseWeaveVersion,
} from "./ps";

const out = (f: string): string => readFixture(f).stdout;

describe("weave ps", () => {
  test("03: the bridge line (MAC = peer name) and one container with its address", () => {
    expect(parsePs(out("03-docker2-weave-ps.txt"))).toEqual({
      value: [
        { id: "weave:expose", mac: "56:ff:8d:9e:da:f9", cidrs: [], isExpose: true },
        { id: "8e1ac967cfb1", mac: "4a:e5:39:d5:4f:4a", cidrs: ["172.16.16.128/24"], isExpose: false },
      ],
      unparsed: [],
    });
  });

  test("07: containers named on the command line keep their names; manual addresses too", () => {
    const { value } = parsePs(out("07-docker1-weave-ps-wrongip-rightip.txt"));
    expect(value.map((e) => [e.id, e.cidrs])).toEqual([
      ["wrongip", ["1.1.1.1/24"]],
      ["rightip", ["172.16.16.200/24"]],
    ]);
  });

  test("09: a container with only a MAC, one with two CIDRs, and a lone empty line", () => {
    expect(parsePs(out("09-docker4-weave-ps-plain-after-detach.txt")).value).toEqual([
      { id: "plain", mac: "1a:7b:e0:35:f4:55", cidrs: [], isExpose: false },
    ]);
    expect(parsePs(out("09-docker4-weave-ps-plain-after-2nd-attach.txt")).value[0].cidrs).toEqual([
      "172.16.16.65/24",
      "172.16.16.250/24",
    ]);
    expect(parsePs(out("09-docker4-weave-ps-plain-before-attach.txt"))).toEqual({ value: [], unparsed: [] });
  });

  test("09: weave:expose with its exposed address", () => {
    expect(parsePs(out("09-docker4-weave-ps-after-expose.txt")).value).toEqual([
      { id: "weave:expose", mac: "e6:e4:80:96:15:77", cidrs: ["172.16.16.67/24"], isExpose: true },
    ]);
  });

  test("every `weave ps` fixture parses with no unparsed line", () => {
    const files = listFixtures().filter(
      (f) => f.endsWith(".txt") && /^weave ps\b/.test(readFixture(f).command),
    );
    expect(files.length).toBeGreaterThan(25);
    for (const f of files) expect(parsePs(out(f)).unparsed).toEqual([]);
  });
});

describe("dns-lookup and dns-args", () => {
  test("08: two A records for web1 (random order, returned sorted); unknown name gives none", () => {
    expect(parseDnsLookup(out("08-docker1-weave-dns-lookup-web1.txt"))).toEqual({
      value: ["172.16.16.1", "172.16.16.224"],
      unparsed: [],
    });
    expect(parseDnsLookup(out("08-docker1-weave-dns-lookup-nosuchname.txt")).value).toEqual([]);
    expect(parseDnsLookup(out("08-docker1-weave-dns-lookup-docker1.txt")).value).toEqual(["10.10.10.101"]);
  });

  test("08: dns-args without a trailing newline", () => {
    expect(parseDnsArgs(out("08-docker1-weave-dns-args.txt"))).toEqual({
      value: { dns: "172.17.0.1", search: "weave.local." },
      unparsed: [],
    });
    expect(parseDnsArgs("").value).toEqual({});
  });

  test("dns-args without the trailing dot (a resolv.conf-style domain) reads the same", () => {
    expect(parseDnsArgs("--dns=172.17.0.1 --dns-search=weave.local")).toEqual({
      value: { dns: "172.17.0.1", search: "weave.local" },
      unparsed: [],
    });
  });

  test("junk in a lookup is reported", () => {
    expect(parseDnsLookup(";; connection timed out\n").unparsed).toEqual([";; connection timed out"]);
  });
});

describe("versions", () => {
  test("19: weave version gives the script and router versions", () => {
    expect(parseWeaveVersion(out("19-docker1-weave-version.txt"))).toEqual({
      value: { script: "2.8.1", router: "2.8.1" },
      unparsed: [],
    });
  });

  test("19: the docker version line keeps the Debian suffix and reads the API range", () => {
    const facts = parseDockerVersionLine(out("19-docker1-docker-version-server-api.txt"));
    expect(facts).toEqual({ serverVersion: "20.10.24+dfsg1", apiVersion: "1.41", minApiVersion: "1.12" });
    expect(parseEngineVersion(facts.serverVersion)).toEqual({
      text: "20.10.24+dfsg1",
      major: 20,
      minor: 10,
      patch: 24,
    });
  });

  test("distribution suffixes and short forms are read leniently", () => {
    expect(parseEngineVersion("1.13.1-rhel")).toMatchObject({ major: 1, minor: 13, patch: 1 });
    expect(parseEngineVersion("29.0.0~rc1")).toMatchObject({ major: 29, minor: 0 });
    expect(parseEngineVersion("27")).toMatchObject({ major: 27, minor: 0, patch: 0 });
    expect(parseEngineVersion("unknown")).toBeUndefined();
  });

  test("a malformed docker version line is refused with the text and the expected shape", () => {
    expect(() => parseDockerVersionLine("Cannot connect to the Docker daemon")).toThrow(
      /expected "<server version> <API version> <min API version>"/,
    );
  });

  test("API versions compare numerically", () => {
    expect(compareApiVersions("1.9", "1.12")).toBe(-1);
    expect(compareApiVersions("1.24", "1.24")).toBe(0);
    expect(compareApiVersions("1.44", "1.24")).toBe(1);
  });
});

describe("rmpeer and launch", () => {
  test("16: rmpeer counts the addresses taken over; the second run takes none", () => {
    expect(parseRmpeer(out("16-docker1-weave-rmpeer-docker4.txt")).value).toEqual([
      { peer: "02:00:00:00:00:02", ipsTakenOver: 16 },
    ]);
    expect(parseRmpeer(out("16-docker1-weave-rmpeer-docker4-again.txt")).value).toEqual([
      { peer: "02:00:00:00:00:02", ipsTakenOver: 0 },
    ]);
  });

  test("01: launch prints the full container ID last; a failed launch prints none", () => {
    expect(parseLaunchContainerId(out("01-docker1-weave-launch.txt"))).toBe(
      "3f88c252d997573e07a8604651042540df9b68a52c9d3571a434774546136b79",
    );
    expect(
      parseLaunchContainerId(
        "latest: Pulling from weaveworks/weave\nDigest: sha256:abc\n" + "a".repeat(64) + "\n",
      ),
    ).toBe("a".repeat(64));
    expect(parseLaunchContainerId(out("09-docker1-weave-launch-again.txt"))).toBeUndefined();
  });
});

describe("parseScriptVersionLine", () => {
  test("reads the release's SCRIPT_VERSION line (2.8.1's spelling), quoted or not, and nothing else", () => {
    expect(parseScriptVersionLine('SCRIPT_VERSION="2.8.1"\n')).toBe("2.8.1");
    expect(parseScriptVersionLine("SCRIPT_VERSION=2.9.0\r\n")).toBe("2.9.0");
    expect(parseScriptVersionLine('#!/bin/sh\nSCRIPT_VERSION="unreleased"\n')).toBe("unreleased");
    expect(parseScriptVersionLine("# SCRIPT_VERSION=2.8.1\n")).toBeUndefined();
    expect(parseScriptVersionLine("")).toBeUndefined();
  });
});
