import { listFixtures, readJsonFixture } from "../../test/fixtures";
import { deriveIpamStatus, isReportParseError, parseReport, quoteBigUids } from "./report";

const report = (f: string) => parseReport(readJsonFixture(f));

describe("weave report JSON", () => {
  test("peer UIDs above 2^53 survive exactly (G15)", () => {
    const r = report("10-docker1-weave-report-final.json");
    const uids = Object.fromEntries(r.router.peers.map((p) => [p.nickname, p.uid]));
    // 12791858882548034045 would read as 12791858882548035000 through a plain JSON.parse.
    expect(uids.docker2).toBe("12791858882548034045");
    expect(uids.docker4).toBe("12964925202681334984");
    expect(Number(uids.docker2) > Number.MAX_SAFE_INTEGER).toBe(true);
  });

  test("quoteBigUids only touches UID values", () => {
    expect(quoteBigUids('{"UID": 12791858882548034045, "ShortID": 1656}')).toBe(
      '{"UID": "12791858882548034045", "ShortID": 1656}',
    );
  });

  test("01: lone router, idle IPAM with a null ring, version check enabled but failing", () => {
    const r = report("01-docker1-weave-report.json");
    expect(r.ready).toBe(true);
    expect(r.version).toBe("2.8.1");
    expect(r.versionCheck).toMatchObject({ enabled: true, success: false });
    expect(r.router).toMatchObject({
      name: "3e:a2:4a:17:e0:d9",
      nickname: "docker1",
      encryption: false,
      port: 6783,
    });
    expect(r.ipam).toMatchObject({
      range: "172.16.16.0/24",
      rangeNumIPs: 256,
      entries: null,
      owners: [],
      status: "idle",
      paxos: null,
    });
    expect(r.proxy?.addresses).toEqual(["unix:///var/run/weave/weave.sock"]);
    expect(r.plugin).toEqual({
      driverName: "weave",
      meshDriverName: "weavemesh",
      enabled: true,
      enabledV2: false,
    });
  });

  test("03: after the first allocation the ring is split 50/50 between docker1 and docker2", () => {
    const r = report("03-docker2-weave-report.json");
    expect(r.ipam?.status).toBe("ready");
    expect(r.ipam?.owners.map((o) => [o.nickname, o.size, o.shares.map((s) => s.cidr)])).toEqual([
      ["docker1", 128, ["172.16.16.0/25"]],
      ["docker2", 128, ["172.16.16.128/25"]],
    ]);
  });

  test("06: wrong range: pending connections and one failed with the range error", () => {
    const r = report("06-docker4-weave-report.json");
    expect(r.ipam?.range).toBe("172.64.65.0/24");
    const states = r.router.connections.map((c) => c.state).sort();
    expect(states).toEqual(["failed", "pending", "pending"]);
    const failed = r.router.connections.find((c) => c.state === "failed");
    expect(failed?.error).toBe(
      "Incompatible IP allocation ranges (received: 172.16.16.0/24, ours: 172.64.65.0/24)",
    );
    expect(failed?.address).toBe("10.10.10.101:6783");
    expect(r.router.targets).toEqual(["10.10.10.101"]);
    expect(r.router.terminationCount).toBe(41);
  });

  test("10: the final textbook lab: 4 peers in full mesh, fragmented ring covering all 256 addresses", () => {
    const r = report("10-docker1-weave-report-final.json");
    expect(r.router.peers).toHaveLength(4);
    for (const p of r.router.peers) expect(p.connections.filter((c) => c.established)).toHaveLength(3);
    expect(
      r.router.connections.every(
        (c) => c.state === "established" && c.overlay === "sleeve" && c.mtu === 1438,
      ),
    ).toBe(true);
    expect(r.router.targets).toEqual([]);
    const ipam = r.ipam!;
    expect(ipam.entries).toHaveLength(14);
    const sizes = Object.fromEntries(ipam.owners.map((o) => [o.nickname, o.size]));
    expect(sizes).toEqual({ docker1: 81, docker2: 31, docker3: 31, docker4: 113 });
    expect(ipam.owners.reduce((n, o) => n + o.size, 0)).toBe(256);
    // docker3 owns .224 (26) and .251 (5): not CIDR-aligned, so they are cut into aligned blocks.
    const d3 = ipam.owners.find((o) => o.nickname === "docker3")!;
    expect(d3.shares.map((s) => s.cidr)).toEqual([
      "172.16.16.224/28",
      "172.16.16.240/29",
      "172.16.16.248/31",
      "172.16.16.251/32",
      "172.16.16.252/30",
    ]);
    expect(r.dns?.entries.length).toBe(12);
    expect(r.dns?.domain).toBe("weave.local.");
  });

  test("13: seed mode before containers: ready, four /26 owners in sorted-name order, all version 0", () => {
    const r = report("13-docker1-weave-report-seed-before-containers.json");
    const ipam = r.ipam!;
    expect(ipam.status).toBe("ready");
    expect(ipam.entries?.map((e) => [e.token, e.peer, e.version])).toEqual([
      ["172.16.16.0", "02:00:00:00:00:01", 0],
      ["172.16.16.64", "02:00:00:00:00:02", 0],
      ["172.16.16.128", "02:00:00:00:00:03", 0],
      ["172.16.16.192", "02:00:00:00:00:04", 0],
    ]);
    expect(ipam.owners.map((o) => [o.nickname, o.shares.map((s) => s.cidr)])).toEqual([
      ["docker2", ["172.16.16.0/26"]],
      ["docker4", ["172.16.16.64/26"]],
      ["docker1", ["172.16.16.128/26"]],
      ["docker3", ["172.16.16.192/26"]],
    ]);
  });

  test("13: after containers the owner's entry version goes to 1", () => {
    const r = report("13-docker4-weave-report-seed-after-containers.json");
    expect(r.ipam?.entries?.every((e) => e.version === 1)).toBe(true);
    expect(r.ipam?.activeIPs).toBe(1);
  });

  test("14: consensus before prime: no ring; after: three owners, docker1 left out", () => {
    const before = report("14-docker3-weave-report-before-prime.json");
    expect(before.ipam).toMatchObject({ entries: null, paxos: null, status: "idle" });
    const after = report("14-docker3-weave-report-after-prime.json");
    expect(after.ipam?.owners.map((o) => [o.nickname, o.shares.map((s) => s.cidr)])).toEqual([
      ["docker2", ["172.16.16.0/25"]],
      ["docker3", ["172.16.16.128/26"]],
      ["docker4", ["172.16.16.192/26"]],
    ]);
  });

  test("16: after docker4's reset its .64 range belongs to docker2 at version 102; docker4 dial refused", () => {
    const r = report("16-docker1-weave-report-after-docker4-reset.json");
    const e64 = r.ipam?.entries?.find((e) => e.token === "172.16.16.64");
    expect(e64).toMatchObject({ peer: "02:00:00:00:00:01", version: 102 });
    expect(r.ipam?.owners.find((o) => o.nickname === "docker2")?.shares.map((s) => s.cidr)).toEqual([
      "172.16.16.0/25",
    ]);
    const failed = r.router.connections.find((c) => c.state === "failed");
    expect(failed?.error).toBe("dial tcp :0->10.10.10.104:6783: connect: connection refused");
  });

  test("every report fixture parses", () => {
    const files = listFixtures().filter((f) => f.endsWith(".json") && !f.includes("docker-info"));
    expect(files.length).toBeGreaterThanOrEqual(18);
    for (const f of files) expect(report(f).version).toBe("2.8.1");
  });

  test("bad input names the field and what was expected", () => {
    let thrown: unknown;
    try {
      parseReport("error: must supply one format parameter");
    } catch (e) {
      thrown = e;
    }
    expect(isReportParseError(thrown)).toBe(true);
    expect(() =>
      parseReport('{"Version": "2.8.1", "VersionCheck": null, "Router": {"Protocol": 7}}'),
    ).toThrow(/report \$\.Router\.Protocol: expected a string, got 7/);
  });

  describe("the consensus view", () => {
    const slim = {
      Ready: true,
      Version: "2.8.1",
      Router: {
        Name: "02:00:00:00:00:03",
        Encryption: false,
        Peers: [{ Name: "02:00:00:00:00:01", NickName: "docker2" }],
        Connections: null,
      },
    };
    test("reads the fields it needs and leaves the rest empty", () => {
      const r = parseReport(JSON.stringify(slim), "consensus");
      expect(r.router.name).toBe("02:00:00:00:00:03");
      expect(r.router.peers).toEqual([
        { name: "02:00:00:00:00:01", nickname: "docker2", uid: "", shortId: 0, version: 0, connections: [] },
      ]);
      expect(r.router.targets).toEqual([]);
      expect(r.ipam).toBeUndefined();
    });
    test("still requires them, and the full view requires everything", () => {
      const noPeerName = { ...slim, Router: { ...slim.Router, Peers: [{ NickName: "docker2" }] } };
      expect(() => parseReport(JSON.stringify(noPeerName), "consensus")).toThrow(
        /report \$\.Router\.Peers\[0\]\.Name: expected a string/,
      );
      const noEncryption = { ...slim, Router: { ...slim.Router, Encryption: undefined } };
      expect(() => parseReport(JSON.stringify(noEncryption), "consensus")).toThrow(
        /report \$\.Router\.Encryption: expected true or false, got nothing/,
      );
      expect(() => parseReport(JSON.stringify(slim))).toThrow(
        /report \$\.Router\.Peers\[0\]\.ShortID: expected a number/,
      );
    });
    test("a field it does not need is still checked when present", () => {
      const odd = { ...slim, Router: { ...slim.Router, Port: "6783" } };
      expect(() => parseReport(JSON.stringify(odd), "consensus")).toThrow(
        /report \$\.Router\.Port: expected a number/,
      );
    });
    test("a full report reads the same in either view", () => {
      for (const f of [
        "13-docker1-weave-report-seed-after-containers.json",
        "16-docker1-weave-report-after-rmpeer.json",
      ]) {
        expect(parseReport(readJsonFixture(f), "consensus")).toEqual(report(f));
      }
    });
  });

  test("derived IPAM status follows the template's precedence", () => {
    const e = (isKnownPeer: boolean) => ({
      token: "10.0.0.0",
      size: 4,
      peer: "p",
      nickname: "n",
      isKnownPeer,
      version: 0,
    });
    expect(deriveIpamStatus({ entries: [e(false)], paxos: null, pendingAllocates: ["x 10.0.0.0/30"] })).toBe(
      "all-owners-unreachable",
    );
    expect(deriveIpamStatus({ entries: [e(true)], paxos: null, pendingAllocates: ["x 10.0.0.0/30"] })).toBe(
      "waiting-for-ips",
    );
    expect(
      deriveIpamStatus({
        entries: null,
        paxos: { elector: true, knownNodes: 1, quorum: 2 },
        pendingAllocates: [],
      }),
    ).toBe("awaiting-consensus");
    expect(
      deriveIpamStatus({
        entries: null,
        paxos: { elector: false, knownNodes: 0, quorum: 0 },
        pendingAllocates: [],
      }),
    ).toBe("priming");
  });

  test("18: the API body equals the CLI's view: seed lab, web1 on docker1, no trailing newline needed", () => {
    const r = report("18-docker1-curl-report-accept-json.json");
    expect(r.router.name).toBe("02:00:00:00:00:03");
    expect(r.versionCheck).toEqual({
      enabled: false,
      success: false,
      newVersion: "",
      nextCheckAt: "0001-01-01T00:00:00Z",
    });
    expect(r.ipam?.owners.map((o) => [o.nickname, o.size])).toEqual([
      ["docker2", 64],
      ["docker4", 64],
      ["docker1", 64],
      ["docker3", 64],
    ]);
    expect(r.router.connections).toHaveLength(3);
    expect(r.router.connections.every((c) => c.state === "established")).toBe(true);
    expect(readJsonFixture("18-docker1-curl-report-accept-json.json").endsWith("}")).toBe(true);
  });

  test("02: the joining router's report shows docker1 as its one established peer", () => {
    const r = report("02-docker2-weave-report.json");
    expect(r.router.peers.map((p) => p.nickname).sort()).toEqual(["docker1", "docker2"]);
    expect(r.router.connections).toEqual([
      expect.objectContaining({
        direction: "outbound",
        address: "10.10.10.101:6783",
        state: "established",
        overlay: "sleeve",
        mtu: 1438,
      }),
    ]);
    expect(r.ipam?.status).toBe("idle");
  });
});
