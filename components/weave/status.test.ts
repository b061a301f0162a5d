import { listFixtures, readFixture } from "../../test/fixtures";
import {
  parseAttrs,
  parsePeerRef,
  parseStatus,
  parseStatusConnections,
  parseStatusDns,
  parseStatusIpam,
  parseStatusPeers,
  parseStatusTargets,
} from "./status";

const out = (file: string): string => readFixture(file).stdout;

describe("weave status (plain)", () => {
  test("01: a lone first router reads as idle IPAM, no connections, every section present", () => {
    const s = parseStatus(out("01-docker1-weave-status.txt"));
    expect(s.unparsed).toEqual([]);
    expect(s.version).toBe("2.8.1");
    expect(s.versionCheck).toMatch(/^failed to check latest version - see logs; next check at /);
    expect(s.router).toEqual({
      protocol: "weave 1..2",
      peer: { name: "3e:a2:4a:17:e0:d9", nickname: "docker1" },
      encryption: false,
      peerDiscovery: true,
      targets: 0,
      connections: { total: 0, byState: {} },
      peers: 1,
      establishedPeerConnections: 0,
      pendingPeerConnections: 0,
      trustedSubnets: [],
    });
    expect(s.ipam).toEqual({
      status: "idle",
      kind: "idle",
      range: "172.16.16.0/24",
      defaultSubnet: "172.16.16.0/24",
    });
    expect(s.dns).toEqual({ domain: "weave.local.", upstream: ["127.0.0.11"], ttl: 1, entries: 0 });
    expect(s.proxy).toEqual({ addresses: ["unix:///var/run/weave/weave.sock"] });
    expect(s.plugin).toEqual({ kind: "legacy", driverName: "weave" });
  });

  test("02: the joining router counts one established connection and two peers", () => {
    const s = parseStatus(out("02-docker2-weave-status-immediate.txt"));
    expect(s.router?.targets).toBe(1);
    expect(s.router?.connections).toEqual({ total: 1, byState: { established: 1 } });
    expect(s.router?.peers).toBe(2);
    expect(s.router?.establishedPeerConnections).toBe(2);
  });

  test("03: IPAM becomes ready after the first allocation, DNS has one entry", () => {
    const s = parseStatus(out("03-docker2-weave-status.txt"));
    expect(s.ipam?.kind).toBe("ready");
    expect(s.dns?.entries).toBe(1);
  });

  test("06: the wrong-range host has one failed connection, sees only itself, other range", () => {
    const s = parseStatus(out("06-docker4-weave-status.txt"));
    expect(s.router?.connections).toEqual({ total: 1, byState: { failed: 1 } });
    expect(s.router?.peers).toBe(1);
    expect(s.ipam?.range).toBe("172.64.65.0/24");
  });

  test("07: a /25 default subnet inside a /24 range is kept apart", () => {
    const s = parseStatus(readFixture("09-docker4-weave-status-after-relaunch.txt").stdout);
    expect(s.ipam?.range).toBe("172.16.16.0/24");
    expect(s.ipam?.defaultSubnet).toBe("172.16.16.0/25");
  });

  test("11: every host of the final lab sees 4 peers with 12 established connections", () => {
    for (const h of [1, 2, 3, 4]) {
      const s = parseStatus(out(`11-docker${h}-weave-status-final.txt`));
      expect(s.unparsed).toEqual([]);
      expect(s.router?.peer.nickname).toBe(`docker${h}`);
      expect(s.router?.peers).toBe(4);
      expect(s.router?.establishedPeerConnections).toBe(12);
      expect(s.router?.connections).toEqual({ total: 3, byState: { established: 3 } });
      expect(s.dns?.entries).toBe(8);
    }
  });

  test("12: a router-only launch has no proxy or plugin section and that is not an error", () => {
    const s = parseStatus(out("12-docker9-weave-status-router-only.txt"));
    expect(s.unparsed).toEqual([]);
    expect(s.proxy).toBeUndefined();
    expect(s.plugin).toBeUndefined();
    expect(s.router?.peer.name).toBe("82:6b:f1:f4:e3:1f");
    expect(s.versionCheck).toBe("up to date; next check at 0001/01/01 00:00:00");
  });

  test("12: default launch shows Weave's default range 10.32.0.0/12", () => {
    const s = parseStatus(out("12-docker9-weave-status-ipam-default-range.txt"));
    expect(s.ipam).toMatchObject({ kind: "idle", range: "10.32.0.0/12", defaultSubnet: "10.32.0.0/12" });
  });

  test("13: seed mode is ready before any container, version check disabled", () => {
    const s = parseStatus(out("13-docker1-weave-status-seed-before-containers.txt"));
    expect(s.versionCheck).toBe("version check update disabled");
    expect(s.ipam?.kind).toBe("ready");
    expect(s.router?.peer).toEqual({ name: "02:00:00:00:00:03", nickname: "docker1" });
  });

  test("14: consensus mode stays idle until prime, then ready even for a host left out", () => {
    expect(parseStatus(out("14-docker1-weave-status-before-prime.txt")).ipam?.kind).toBe("idle");
    expect(parseStatus(out("14-docker1-weave-status-after-prime.txt")).ipam?.kind).toBe("ready");
  });

  test("15: encryption enabled on password hosts, disabled on the one without", () => {
    expect(parseStatus(out("15-docker1-weave-status-encrypted.txt")).router?.encryption).toBe(true);
    const d3 = parseStatus(out("15-docker3-weave-status-no-password.txt"));
    expect(d3.router?.encryption).toBe(false);
    expect(d3.router?.connections.byState).toEqual({ failed: 1 });
  });

  test("17: split brain: docker1 has 1 failed connection and 1 peer; docker2 none", () => {
    const d1 = parseStatus(out("17-docker1-weave-status-after-connect.txt"));
    expect(d1.router?.targets).toBe(1);
    expect(d1.router?.connections).toEqual({ total: 1, byState: { failed: 1 } });
    expect(d1.router?.peers).toBe(1);
    const d2 = parseStatus(out("17-docker2-weave-status-after-connect.txt"));
    expect(d2.router?.targets).toBe(0);
    expect(d2.router?.connections).toEqual({ total: 0, byState: {} });
  });

  test("18: the bare /status body (no surrounding blank lines) reads the same as the CLI's", () => {
    const s = parseStatus(out("18-docker1-curl-status.txt"));
    expect(s.unparsed).toEqual([]);
    expect(s.version).toBe("2.8.1");
    expect(s.router?.targets).toBe(3);
    expect(s.dns?.entries).toBe(3);
  });

  test("rendered samples: awaiting consensus, pending counts, trusted subnets and v2 plugin", () => {
    const s = parseStatus(
      [
        "        Version: 2.8.1 (version 2.9.0 available - please upgrade!)",
        "        Service: router",
        "           Name: ce:31:e0:06:45:1a(host1)",
        "        Targets: 2",
        "    Connections: 4 (2 established, 1 failed, 1 connecting)",
        "          Peers: 3 (with 4 established, 2 pending connections)",
        " TrustedSubnets: 10.0.0.0/8, 192.168.57.0/24",
        "        Service: ipam",
        "         Status: awaiting consensus (quorum: 2, known: 1)",
        "          Range: 10.32.0.0/12",
        "  DefaultSubnet: 10.32.0.0/12",
        "        Service: plugin (v2)",
      ].join("\n"),
    );
    expect(s.unparsed).toEqual([]);
    expect(s.router?.connections.byState).toEqual({ established: 2, failed: 1, connecting: 1 });
    expect(s.router?.pendingPeerConnections).toBe(2);
    expect(s.router?.trustedSubnets).toEqual(["10.0.0.0/8", "192.168.57.0/24"]);
    expect(s.ipam).toMatchObject({ kind: "awaiting-consensus", quorum: 2, known: 1 });
    expect(s.plugin).toEqual({ kind: "v2" });
  });

  test("peers with only pending connections, and a proxy on two addresses", () => {
    const s = parseStatus(
      [
        "        Service: router",
        "           Name: ce:31:e0:06:45:1a(host1)",
        "        Targets: 1",
        "    Connections: 1 (1 pending)",
        "          Peers: 2 (with 2 pending connections)",
        "        Service: proxy",
        "        Address: unix:///var/run/weave/weave.sock, tcp://0.0.0.0:12375",
      ].join("\n"),
    );
    expect(s.unparsed).toEqual([]);
    expect(s.router).toMatchObject({ peers: 2, establishedPeerConnections: 0, pendingPeerConnections: 2 });
    expect(s.proxy?.addresses).toEqual(["unix:///var/run/weave/weave.sock", "tcp://0.0.0.0:12375"]);
    expect(
      parseStatus(
        "          Peers: 2 (with 2 bogus connections)\n        Service: router\n          Peers: x",
      ).unparsed.length,
    ).toBeGreaterThan(0);
  });

  test("unknown lines and fields are collected, not dropped", () => {
    const s = parseStatus(
      "        Service: router\n       Frobnicate: 7\nrandom text\n        Service: gizmo\n",
    );
    expect(s.unparsed).toEqual(
      expect.arrayContaining(["random text", "router: Frobnicate: 7", "Service: gizmo"]),
    );
  });
});

describe("weave status ipam", () => {
  test("idle output is empty (01, 14 before prime)", () => {
    expect(parseStatusIpam(out("01-docker1-weave-status-ipam.txt"))).toEqual({ value: [], unparsed: [] });
    expect(parseStatusIpam(out("14-docker2-weave-status-ipam-before-prime.txt")).value).toEqual([]);
  });

  test("03: 50/50 split, local line first with its active count, trailing space on the other", () => {
    const { value, unparsed } = parseStatusIpam(out("03-docker2-weave-status-ipam.txt"));
    expect(unparsed).toEqual([]);
    expect(value).toEqual([
      {
        peer: { name: "56:ff:8d:9e:da:f9", nickname: "docker2" },
        size: 128,
        percent: 50,
        local: true,
        active: 1,
        unreachable: false,
      },
      {
        peer: { name: "3e:a2:4a:17:e0:d9", nickname: "docker1" },
        size: 128,
        percent: 50,
        local: false,
        unreachable: false,
      },
    ]);
  });

  test("05: docker3's 32-address donation from docker2", () => {
    const { value } = parseStatusIpam(out("05-docker3-weave-status-ipam.txt"));
    const sizes = Object.fromEntries(value.map((l) => [l.peer.nickname, l.size]));
    expect(sizes).toEqual({ docker1: 128, docker2: 96, docker3: 32 });
    expect(value[0].local && value[0].peer.nickname === "docker3").toBe(true);
  });

  test("07: a single claimed address moves ownership (129/95) and percentages keep one decimal", () => {
    const { value } = parseStatusIpam(out("07-docker1-weave-status-ipam.txt"));
    expect(value.map((l) => [l.peer.nickname, l.size, l.percent])).toEqual([
      ["docker1", 129, 50.4],
      ["docker2", 95, 37.1],
      ["docker3", 32, 12.5],
    ]);
  });

  test("09/16: unreachable owners are flagged and %04.1f percentages like 06.2 are read", () => {
    const d9 = parseStatusIpam(out("09-docker1-weave-status-ipam-while-docker4-down.txt")).value;
    expect(d9.filter((l) => l.unreachable).map((l) => [l.peer.nickname, l.size])).toEqual([["docker4", 64]]);
    const d16 = parseStatusIpam(out("16-docker1-weave-status-ipam-after-docker4-forced-reset.txt")).value;
    const d4 = d16.find((l) => l.peer.nickname === "docker4");
    expect(d4).toMatchObject({ size: 16, percent: 6.2, unreachable: true, local: false });
  });

  test("14: a host left out of the consensus ring has no local line", () => {
    const { value } = parseStatusIpam(out("14-docker1-weave-status-ipam-after-prime.txt"));
    expect(value.some((l) => l.local)).toBe(false);
    expect(value.map((l) => [l.peer.nickname, l.size])).toEqual([
      ["docker2", 128],
      ["docker3", 64],
      ["docker4", 64],
    ]);
  });

  test("17: each split-brain host owns 100% of its own ring", () => {
    const { value } = parseStatusIpam(out("17-docker1-weave-status-ipam-before-connect.txt"));
    expect(value).toEqual([
      {
        peer: { name: "3e:a2:4a:17:e0:d9", nickname: "docker1" },
        size: 256,
        percent: 100,
        local: true,
        active: 1,
        unreachable: false,
      },
    ]);
  });
});

describe("weave status peers", () => {
  test("02: two peers, each with one established connection to the other", () => {
    const { value, unparsed } = parseStatusPeers(out("02-docker2-weave-status-peers.txt"));
    expect(unparsed).toEqual([]);
    expect(value).toEqual([
      {
        peer: { name: "56:ff:8d:9e:da:f9", nickname: "docker2" },
        connections: [
          {
            direction: "outbound",
            address: "10.10.10.101:6783",
            peer: { name: "3e:a2:4a:17:e0:d9", nickname: "docker1" },
            state: "established",
          },
        ],
      },
      {
        peer: { name: "3e:a2:4a:17:e0:d9", nickname: "docker1" },
        connections: [
          {
            direction: "inbound",
            address: "10.10.10.102:38285",
            peer: { name: "56:ff:8d:9e:da:f9", nickname: "docker2" },
            state: "established",
          },
        ],
      },
    ]);
  });

  test("06: the wrong-range host is alone", () => {
    const { value } = parseStatusPeers(out("06-docker4-weave-status-peers.txt"));
    expect(value).toEqual([{ peer: { name: "e6:e4:80:96:15:77", nickname: "docker4" }, connections: [] }]);
  });

  test("13: full mesh of four, three established connections each", () => {
    const { value } = parseStatusPeers(out("13-docker3-weave-status-peers-seed-before-containers.txt"));
    expect(value.map((p) => p.peer.nickname).sort()).toEqual(["docker1", "docker2", "docker3", "docker4"]);
    for (const p of value) expect(p.connections.filter((c) => c.state === "established")).toHaveLength(3);
  });

  test("16: after docker4's reset it is gone from the tree", () => {
    const { value } = parseStatusPeers(out("16-docker1-weave-status-peers-after-docker4-reset.txt"));
    expect(value.map((p) => p.peer.nickname).sort()).toEqual(["docker1", "docker2", "docker3"]);
  });
});

describe("weave status connections", () => {
  test("02: an established sleeve connection with mtu 1438", () => {
    const { value, unparsed } = parseStatusConnections(out("02-docker2-weave-status-connections.txt"));
    expect(unparsed).toEqual([]);
    expect(value).toEqual([
      {
        direction: "outbound",
        address: "10.10.10.101:6783",
        state: "established",
        peer: { name: "3e:a2:4a:17:e0:d9", nickname: "docker1" },
        overlay: "sleeve",
        mtu: 1438,
        attrs: { mtu: 1438 },
        info: "sleeve 3e:a2:4a:17:e0:d9(docker1) mtu=1438",
      },
    ]);
  });

  test("06: a failed connection carries the range error and the retry time separately", () => {
    const [c] = parseStatusConnections(out("06-docker4-weave-status-connections.txt")).value;
    expect(c.state).toBe("failed");
    expect(c.error).toBe(
      "Incompatible IP allocation ranges (received: 172.16.16.0/24, ours: 172.64.65.0/24)",
    );
    expect(c.retry).toMatch(/^2026-11-28 03:04:01\.340346409 \+0000 UTC m=\+13\.158510197$/);
  });

  test("05: docker3 dials both earlier hosts, both established", () => {
    const { value } = parseStatusConnections(out("05-docker3-weave-status-connections.txt"));
    expect(value.map((c) => [c.direction, c.address, c.peer?.nickname, c.state])).toEqual([
      ["outbound", "10.10.10.101:6783", "docker1", "established"],
      ["outbound", "10.10.10.102:6783", "docker2", "established"],
    ]);
  });

  test("10: the API's /status/connections lists docker1's three inbound connections", () => {
    const { value } = parseStatusConnections(out("10-docker1-curl-status-connections.txt"));
    expect(value.map((c) => c.peer?.nickname).sort()).toEqual(["docker2", "docker3", "docker4"]);
    expect(value.every((c) => c.direction === "inbound")).toBe(true);
  });

  test("06 docker1: mixed established and failed lines; the failure is a connection reset", () => {
    const { value } = parseStatusConnections(out("06-docker1-weave-status-connections.txt"));
    expect(value.map((c) => c.state)).toEqual(["established", "established", "failed"]);
    expect(value[2].error).toMatch(/connection reset by peer$/);
  });

  test("15: encrypted connections, with `encrypted=truemtu=1414` split into two attrs", () => {
    const [c] = parseStatusConnections(out("15-docker1-weave-status-connections-encrypted.txt")).value;
    expect(c).toMatchObject({
      state: "established",
      encrypted: true,
      overlay: "sleeve",
      mtu: 1414,
      attrs: { encrypted: true, mtu: 1414 },
    });
    expect(c.peer?.nickname).toBe("docker2");
  });

  test("17: seeded-by-different-peers failure; the other side's list is empty", () => {
    const [c] = parseStatusConnections(out("17-docker1-weave-status-connections-after-connect.txt")).value;
    expect(c.error).toBe(
      "IP allocation was seeded by different peers (received: [56:ff:8d:9e:da:f9(docker2)], ours: [3e:a2:4a:17:e0:d9(docker1)])",
    );
    expect(
      parseStatusConnections(out("17-docker2-weave-status-connections-after-connect.txt")).value,
    ).toEqual([]);
  });

  test("rendered samples: pending unencrypted, retrying, connecting, fastdp and retry: never", () => {
    const text = [
      "-> 192.168.56.12:6783    established fastdp ea:2d:b2:e6:e4:f5(host2) mtu=1376",
      "<- 192.168.56.13:44228   pending     unencrypted none   ee:38:33:a7:d9:71(host3) ",
      "-> 192.168.56.15:6783    retrying    Unable to decrypt TCP msg ",
      "-> 192.168.56.16:6783    connecting   ",
      "-> 192.168.56.11:6783    failed      cannot connect to ourself, retry: never ",
    ].join("\n");
    const { value, unparsed } = parseStatusConnections(text);
    expect(unparsed).toEqual([]);
    expect(value.map((c) => c.state)).toEqual(["established", "pending", "retrying", "connecting", "failed"]);
    expect(value[0]).toMatchObject({ overlay: "fastdp", mtu: 1376 });
    expect(value[1]).toMatchObject({ encrypted: false, overlay: "none", attrs: {} });
    expect(value[2].error).toBe("Unable to decrypt TCP msg");
    expect(value[3].info).toBe("");
    expect(value[4]).toMatchObject({ error: "cannot connect to ourself", retry: "never" });
  });

  test("attrs with no separator are split; a garbled run is refused", () => {
    expect(parseAttrs("encrypted=truemtu=1414")).toEqual({ encrypted: true, mtu: 1414 });
    expect(parseAttrs("mtu=abc")).toBeUndefined();
  });
});

describe("weave status dns and targets", () => {
  test("08: DNS entries with weave:extern, round-robin names and an address outside the range", () => {
    const { value, unparsed } = parseStatusDns(out("08-docker1-weave-status-dns-after-add.txt"));
    expect(unparsed).toEqual([]);
    expect(value).toHaveLength(9);
    expect(value[0]).toEqual({
      hostname: "docker1",
      address: "10.10.10.101",
      containerId: "weave:extern",
      origin: "3e:a2:4a:17:e0:d9",
    });
    expect(value.filter((e) => e.hostname === "web1").map((e) => e.address)).toEqual([
      "172.16.16.1",
      "172.16.16.224",
    ]);
    expect(value.find((e) => e.hostname === "wrongip")?.address).toBe("1.1.1.1");
  });

  test("02: targets list the launch peer", () => {
    expect(parseStatusTargets(out("02-docker2-weave-status-targets.txt"))).toEqual({
      value: ["10.10.10.101"],
      unparsed: [],
    });
  });
});

describe("peer references", () => {
  test("name(nick) splits; other text is refused", () => {
    expect(parsePeerRef("02:00:00:00:00:03(docker1)")).toEqual({
      name: "02:00:00:00:00:03",
      nickname: "docker1",
    });
    expect(parsePeerRef("docker1")).toBeUndefined();
  });
});

describe("every status-like fixture", () => {
  // Which parser applies is decided by the command in the fixture, not by its file name.
  const parsers: Array<[RegExp, (t: string) => { unparsed: string[] }]> = [
    [/(weave status ipam|\/status\/ipam)$/, parseStatusIpam],
    [/(weave status peers|\/status\/peers)$/, parseStatusPeers],
    [/(weave status connections|\/status\/connections)$/, parseStatusConnections],
    [/(weave status dns|\/status\/dns)$/, parseStatusDns],
    [/(weave status targets|\/status\/targets)$/, parseStatusTargets],
    [/(weave status|:678[24]\/status)$/, parseStatus],
  ];
  const files = listFixtures().filter((f) => f.endsWith(".txt"));
  const cases = files
    .map((f) => ({ f, fx: readFixture(f) }))
    .filter(
      ({ fx }) =>
        !fx.command.includes("-si ") &&
        !fx.command.includes(" -i ") &&
        parsers.some(([re]) => re.test(fx.command)),
    );

  test("there are many of them (guards the filter)", () => {
    expect(cases.length).toBeGreaterThan(80);
  });

  test.each(cases.map((c) => [c.f, c.fx] as const))("%s parses with no unparsed line", (_f, fx) => {
    const [, parse] = parsers.find(([re]) => re.test(fx.command))!;
    expect(parse(fx.stdout).unparsed).toEqual([]);
  });
});
