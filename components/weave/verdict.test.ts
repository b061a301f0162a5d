import type { LabPlan } from "../model/plan";
import { networkPlan } from "../../test/builders";
import { readFixture, readJsonFixture } from "../../test/fixtures";
import { parseReport, quoteBigUids } from "./report";
import type { WeaveReport } from "./types";
import { consensusVerdict, expectedFromPlan, type ExpectedLab, type HostObservation } from "./verdict";

/** The seed-mode lab of fixtures 13, 16, 18 (explicit names, deliberately not in host order). */
const SEED_LAB: ExpectedLab = {
  range: "172.16.16.0/24",
  bootstrap: "seed",
  encrypted: false,
  hosts: [
    {
      name: "docker1",
      address: "10.10.10.101",
      peerName: "02:00:00:00:00:03",
      nickname: "docker1",
      predictedShare: [share("172.16.16.128", 64)],
    },
    {
      name: "docker2",
      address: "10.10.10.102",
      peerName: "02:00:00:00:00:01",
      nickname: "docker2",
      predictedShare: [share("172.16.16.0", 64)],
    },
    {
      name: "docker3",
      address: "10.10.10.103",
      peerName: "02:00:00:00:00:04",
      nickname: "docker3",
      predictedShare: [share("172.16.16.192", 64)],
    },
    {
      name: "docker4",
      address: "10.10.10.104",
      peerName: "02:00:00:00:00:02",
      nickname: "docker4",
      predictedShare: [share("172.16.16.64", 64)],
    },
  ],
};

/** The textbook lab of fixtures 01–11, 14, 15, 17 (machine-id names), consensus mode. */
const TEXTBOOK_LAB: ExpectedLab = {
  range: "172.16.16.0/24",
  bootstrap: "consensus",
  encrypted: false,
  hosts: [
    { name: "docker1", address: "10.10.10.101", peerName: "3e:a2:4a:17:e0:d9", nickname: "docker1" },
    { name: "docker2", address: "10.10.10.102", peerName: "56:ff:8d:9e:da:f9", nickname: "docker2" },
    { name: "docker3", address: "10.10.10.103", peerName: "b2:8a:ef:e6:ee:1e", nickname: "docker3" },
    { name: "docker4", address: "10.10.10.104", peerName: "e6:e4:80:96:15:77", nickname: "docker4" },
  ],
};

function share(start: string, size: number) {
  const last = start.split(".").map(Number);
  last[3] += size - 1;
  return { cidr: `${start}/${32 - Math.log2(size)}`, start, end: last.join("."), size };
}

const report = (f: string): WeaveReport => parseReport(readJsonFixture(f));

/** Edit a report's raw JSON (UIDs quoted) and parse it again, so derived fields are recomputed. */
// Raw fixture JSON is edited freely here; parseReport re-validates every field afterwards.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function edited(f: string, edit: (raw: Record<string, any>) => void): WeaveReport {
  const raw = JSON.parse(quoteBigUids(readJsonFixture(f)));
  edit(raw);
  return parseReport(JSON.stringify(raw));
}

/**
 * Another host's view of the same moment, built from one report's topology: the router name
 * becomes that host's, its connections are the ones the topology lists for it. Used where only
 * one host's report was captured (10-, 14-).
 */
function viewOf(f: string, peerName: string): WeaveReport {
  return edited(f, (raw) => {
    const me = raw.Router.Peers.find((p: { Name: string }) => p.Name === peerName);
    raw.Router.Name = me.Name;
    raw.Router.NickName = me.NickName;
    raw.Router.Connections = me.Connections.map(
      (c: { Name: string; NickName: string; Address: string; Outbound: boolean; Established: boolean }) => ({
        Address: c.Address,
        Outbound: c.Outbound,
        State: c.Established ? "established" : "pending",
        Info: `sleeve ${c.Name}(${c.NickName})`,
        Attrs: { mtu: 1438, name: "sleeve" },
      }),
    );
  });
}

const all = (lab: ExpectedLab, f: (h: string, peer: string) => WeaveReport): HostObservation[] =>
  lab.hosts.map((h) => ({ host: h.name, report: f(h.name, h.peerName) }));

describe("consensusVerdict on real reports", () => {
  test("13: the seed lab after containers is ready and the split equals the prediction", () => {
    const v = consensusVerdict(
      SEED_LAB,
      all(SEED_LAB, (h) => report(`13-${h}-weave-report-seed-after-containers.json`)),
    );
    expect(v.problems).toEqual([]);
    expect(v.waiting).toEqual([]);
    expect(v.healthy).toBe(true);
    expect(v.ready).toBe(true);
    expect(Object.fromEntries(Object.entries(v.shares).map(([h, s]) => [h, s.map((x) => x.cidr)]))).toEqual({
      docker1: ["172.16.16.128/26"],
      docker2: ["172.16.16.0/26"],
      docker3: ["172.16.16.192/26"],
      docker4: ["172.16.16.64/26"],
    });
    expect(v.summary).toBe(
      "4 hosts agree on 172.16.16.0/24: docker1 172.16.16.128/26, docker2 172.16.16.0/26, docker3 172.16.16.192/26, docker4 172.16.16.64/26",
    );
  });

  test("13: before containers (entry versions 0 and lagging) is already ready", () => {
    const v = consensusVerdict(
      SEED_LAB,
      all(SEED_LAB, (h) => report(`13-${h}-weave-report-seed-before-containers.json`)),
    );
    expect(v.ready).toBe(true);
  });

  test("13: a prediction the ring does not match is a share-mismatch naming both", () => {
    const lab: ExpectedLab = {
      ...SEED_LAB,
      hosts: SEED_LAB.hosts.map((h) =>
        h.name === "docker1" ? { ...h, predictedShare: [share("172.16.16.0", 64)] } : h,
      ),
    };
    const v = consensusVerdict(
      lab,
      all(lab, (h) => report(`13-${h}-weave-report-seed-after-containers.json`)),
    );
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual([
      {
        host: "docker1",
        kind: "share-mismatch",
        message: "docker1: owns 172.16.16.128/26 but the plan predicted 172.16.16.0/26",
      },
    ]);
  });

  test("10: the final textbook lab (fragmented ring after donations) is ready in consensus mode", () => {
    const v = consensusVerdict(
      TEXTBOOK_LAB,
      all(TEXTBOOK_LAB, (_h, peer) => viewOf("10-docker1-weave-report-final.json", peer)),
    );
    expect(v.problems).toEqual([]);
    expect(v.ready).toBe(true);
    expect(
      Object.fromEntries(Object.entries(v.shares).map(([h, s]) => [h, s.reduce((n, x) => n + x.size, 0)])),
    ).toEqual({
      docker1: 81,
      docker2: 31,
      docker3: 31,
      docker4: 113,
    });
  });

  test("14: idle before prime is 'not yet', not a failure", () => {
    const v = consensusVerdict(
      TEXTBOOK_LAB,
      all(TEXTBOOK_LAB, (_h, peer) => viewOf("14-docker3-weave-report-before-prime.json", peer)),
    );
    expect(v.healthy).toBe(true);
    expect(v.ready).toBe(false);
    expect(v.waiting.map((w) => [w.host, w.kind])).toEqual([
      ["docker1", "ipam-idle"],
      ["docker2", "ipam-idle"],
      ["docker3", "ipam-idle"],
      ["docker4", "ipam-idle"],
    ]);
    expect(v.waiting[0].message).toMatch(/run weave prime/);
  });

  test("14: after prime docker1 owns nothing, which is normal in consensus mode", () => {
    const v = consensusVerdict(
      TEXTBOOK_LAB,
      all(TEXTBOOK_LAB, (_h, peer) => viewOf("14-docker3-weave-report-after-prime.json", peer)),
    );
    expect(v.problems).toEqual([]);
    expect(v.ready).toBe(true);
    expect(v.shares.docker1).toEqual([]);
    expect(v.shares.docker2.map((s) => s.cidr)).toEqual(["172.16.16.0/25"]);
  });

  test("06: docker4 with the wrong range: range mismatch and a failed connection in words a user can act on", () => {
    const v = consensusVerdict(TEXTBOOK_LAB, [
      {
        host: "docker4",
        report: report("06-docker4-weave-report.json"),
        logs: readFixture("06-docker4-docker-logs-weave.txt").stderr,
      },
    ]);
    const d4 = v.problems.filter((p) => p.host === "docker4");
    expect(d4).toEqual(
      expect.arrayContaining([
        {
          host: "docker4",
          kind: "incompatible-range",
          message:
            "docker4: connection to 10.10.10.101 (docker1) failed: Incompatible IP allocation ranges (received 172.16.16.0/24, ours 172.64.65.0/24): docker4 was launched with another --ipalloc-range (the lab's is 172.16.16.0/24)",
        },
        {
          host: "docker4",
          kind: "range-mismatch",
          message:
            "docker4: runs range 172.64.65.0/24 but the lab's range is 172.16.16.0/24: docker4 was launched with another --ipalloc-range",
        },
      ]),
    );
    // Gossip over the pending connections still told docker4 about every peer.
    expect(d4.some((p) => p.kind === "peer-missing")).toBe(false);
    // The two pending connections are waits, not failures.
    expect(v.waiting.filter((w) => w.host === "docker4" && w.kind === "connection-pending")).toHaveLength(2);
    expect(v.healthy).toBe(false);
    expect(v.problems.filter((p) => p.kind === "no-observation").map((p) => p.host)).toEqual([
      "docker1",
      "docker2",
      "docker3",
    ]);
  });

  test("16: after docker4's reset, docker1 misses docker4 and the dial is refused", () => {
    const v = consensusVerdict(SEED_LAB, [
      { host: "docker1", report: report("16-docker1-weave-report-after-docker4-reset.json") },
      { host: "docker4", error: "weave container is not present. Have you launched it?" },
    ]);
    expect(v.problems).toEqual(
      expect.arrayContaining([
        {
          host: "docker4",
          kind: "router-not-present",
          message: "docker4: router not usable: weave container is not present. Have you launched it?",
        },
        {
          host: "docker1",
          kind: "peer-missing",
          message: "docker1: docker4 (02:00:00:00:00:02) is not in its peer list",
        },
        {
          host: "docker1",
          kind: "connection-refused",
          message:
            "docker1: connection to 10.10.10.104 (docker4) failed: nothing listens on 10.10.10.104:6783 (router on 10.10.10.104 (docker4) not running, or TCP 6783 blocked)",
        },
      ]),
    );
  });

  test("16: an unreachable owner in the ring names the host and says to rmpeer on one survivor", () => {
    const unreachable = edited("16-docker1-weave-report-after-rmpeer.json", (raw) => {
      const e = raw.IPAM.Entries.find((x: { Token: string }) => x.Token === "172.16.16.176");
      e.Peer = "02:00:00:00:00:02";
      e.Nickname = "docker4";
      e.IsKnownPeer = false;
    });
    const v = consensusVerdict(SEED_LAB, [{ host: "docker1", report: unreachable }]);
    expect(v.problems).toContainEqual({
      host: "docker1",
      kind: "unreachable-owner",
      message:
        "docker1: 16 addresses (172.16.16.176/28) are owned by docker4 (02:00:00:00:00:02), which is unreachable: bring docker4 back, or run `weave rmpeer 02:00:00:00:00:02` on exactly one surviving host",
    });
  });

  test("a stranger owning part of the ring is a problem naming its addresses", () => {
    const r = edited("13-docker1-weave-report-seed-after-containers.json", (raw) => {
      raw.IPAM.Entries[0].Peer = "aa:bb:cc:dd:ee:ff";
      raw.IPAM.Entries[0].Nickname = "old";
    });
    const v = consensusVerdict(SEED_LAB, [{ host: "docker1", report: r }]);
    expect(v.problems.find((p) => p.kind === "stranger-owner")?.message).toBe(
      "docker1: 64 addresses (172.16.16.0/26) are owned by aa:bb:cc:dd:ee:ff(old), which is not a host of this lab: run `weave rmpeer aa:bb:cc:dd:ee:ff` on one host",
    );
    // The peer it is about is a field, not only words in the message.
    expect(v.problems.find((p) => p.kind === "stranger-owner")?.about).toEqual({
      peerName: "aa:bb:cc:dd:ee:ff",
    });
  });

  test("a ring with a hole is incomplete", () => {
    const r = edited("13-docker1-weave-report-seed-after-containers.json", (raw) => {
      raw.IPAM.Entries[3].Size = 32;
    });
    const v = consensusVerdict(SEED_LAB, [{ host: "docker1", report: r }]);
    expect(v.problems).toContainEqual({
      host: "docker1",
      kind: "ring-incomplete",
      message: "docker1: the ring covers 224 of the 256 addresses of 172.16.16.0/24",
    });
  });

  test("15: a host launched without the password: encryption mismatch and the reason from its log", () => {
    const lab: ExpectedLab = {
      ...TEXTBOOK_LAB,
      encrypted: true,
      hosts: TEXTBOOK_LAB.hosts.filter((h) => h.name === "docker1" || h.name === "docker3"),
    };
    // docker3 as captured in 15-: alone, encryption off, its only connection failed with a reset.
    const d3 = edited("01-docker1-weave-report.json", (raw) => {
      raw.Router.Name = "b2:8a:ef:e6:ee:1e";
      raw.Router.NickName = "docker3";
      raw.Router.Peers = [{ ...raw.Router.Peers[0], Name: "b2:8a:ef:e6:ee:1e", NickName: "docker3" }];
      raw.Router.Connections = [
        {
          Address: "10.10.10.101:6783",
          Outbound: true,
          State: "failed",
          Info: readFixture("15-docker3-weave-status-connections-no-password.txt")
            .stdout.split(/failed\s+/)[1]
            .trim(),
          Attrs: null,
        },
      ];
    });
    const fx = readFixture("15-docker3-docker-logs-weave-tail.txt");
    const v = consensusVerdict(lab, [{ host: "docker3", report: d3, logs: fx.stdout + fx.stderr }]);
    expect(v.problems).toEqual(
      expect.arrayContaining([
        {
          host: "docker3",
          kind: "encryption-mismatch",
          message:
            "docker3: encryption is disabled but the lab has a password: relaunch docker3 with WEAVE_PASSWORD",
        },
        {
          host: "docker3",
          kind: "password-missing-here",
          message:
            "docker3: connection to 10.10.10.101 (docker1) failed: docker3 has no password but 10.10.10.101 (docker1) encrypts; launch every router with the same password",
        },
      ]),
    );
  });

  test("17: split brain: the seeded-by-different-peers failure and the missing peer on both sides", () => {
    const lab: ExpectedLab = { ...TEXTBOOK_LAB, hosts: TEXTBOOK_LAB.hosts.slice(0, 2) };
    const info = readFixture("17-docker1-weave-status-connections-after-connect.txt")
      .stdout.split(/failed\s+/)[1]
      .trim();
    const own = (name: string, nick: string, conns: unknown[]) =>
      edited("01-docker1-weave-report.json", (raw) => {
        raw.Router.Name = name;
        raw.Router.NickName = nick;
        raw.Router.Peers = [{ ...raw.Router.Peers[0], Name: name, NickName: nick }];
        raw.Router.Connections = conns;
        raw.IPAM.Entries = [
          { Token: "172.16.16.0", Size: 256, Peer: name, Nickname: nick, IsKnownPeer: true, Version: 1 },
        ];
      });
    const d1 = own("3e:a2:4a:17:e0:d9", "docker1", [
      { Address: "10.10.10.102:6783", Outbound: true, State: "failed", Info: info, Attrs: null },
    ]);
    const d2 = own("56:ff:8d:9e:da:f9", "docker2", []);
    const logs2 = readFixture("17-docker2-docker-logs-weave-tail-after-connect.txt").stdout;
    const v = consensusVerdict(lab, [
      { host: "docker1", report: d1 },
      { host: "docker2", report: d2, logs: logs2 },
    ]);
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual(
      expect.arrayContaining([
        {
          host: "docker1",
          kind: "seeded-by-different-peers",
          message:
            "docker1: connection to 10.10.10.102 (docker2) failed: IP allocation was seeded by different peers (theirs: docker2; ours: docker1): the routers formed separate rings; reset one side and relaunch it with the lab's peers",
        },
        {
          host: "docker1",
          kind: "peer-missing",
          message: "docker1: docker2 (56:ff:8d:9e:da:f9) is not in its peer list",
        },
        {
          host: "docker2",
          kind: "not-connected",
          message: "docker2: no connection to docker1 (10.10.10.101)",
        },
        expect.objectContaining({
          host: "docker2",
          kind: "seeded-by-different-peers",
          message: expect.stringMatching(/^docker2: log says \(about docker1\)/),
        }),
      ]),
    );
    // Each side believes it owns everything; the views differ.
    expect(v.shares.docker1.map((s) => s.cidr)).toEqual(["172.16.16.0/24"]);
    expect(v.shares.docker2.map((s) => s.cidr)).toEqual(["172.16.16.0/24"]);
  });

  test("a router that is not running is reported with its kind; an SSH failure as unreachable", () => {
    const v = consensusVerdict(SEED_LAB, [
      ...SEED_LAB.hosts.slice(0, 2).map((h) => ({
        host: h.name,
        report: report(`13-${h.name}-weave-report-seed-after-containers.json`),
      })),
      { host: "docker3", error: readFixture("09-docker4-weave-status-after-stop.txt").stderr },
      { host: "docker4", error: "connect ECONNREFUSED 10.10.10.104:22" },
    ]);
    expect(
      v.problems.filter((p) => p.host === "docker3" || p.host === "docker4").map((p) => [p.host, p.kind]),
    ).toEqual([
      ["docker3", "router-not-running"],
      ["docker4", "unreachable"],
    ]);
    expect(v.summary).toMatch(
      /^\d+ problem\(s\): docker3: router not usable: weave container is not running\./,
    );
  });

  test("encryption on where the lab has none, and a wrong peer name, are problems", () => {
    const r = edited("13-docker2-weave-report-seed-after-containers.json", (raw) => {
      raw.Router.Encryption = true;
    });
    const v = consensusVerdict(SEED_LAB, [{ host: "docker1", report: r }]);
    expect(v.problems.map((p) => p.kind)).toEqual(
      expect.arrayContaining(["encryption-mismatch", "peer-name-mismatch"]),
    );
  });
});

describe("expectedFromPlan", () => {
  test("takes range, bootstrap, encryption and each host's identity and predicted share", () => {
    const host = (i: number, name: string, peerName: string) => ({
      index: i,
      name,
      address: `10.0.0.${i + 1}`,
      ssh: {
        host: `10.0.0.${i + 1}`,
        port: 22,
        user: "root",
        hasPrivateKey: false,
        hasHostKey: true,
        insecureIgnoreHostKey: false,
        sudo: false,
        connectTimeoutSeconds: 60,
      },
      peerName,
      nickname: name,
      peers: [],
      launch: { argv: ["weave", "launch"], env: {}, secretEnv: [] },
      predictedShare: [share(i === 0 ? "10.32.0.0" : "10.32.0.128", 128)],
    });
    const plan: LabPlan = {
      name: "lab",
      network: networkPlan({ allocRange: "10.32.0.0/24", defaultSubnet: "10.32.0.0/24", encrypted: true }),
      hosts: [host(0, "a", "02:00:00:00:00:01"), host(1, "b", "02:00:00:00:00:02")],
      containers: [],
      dnsRecords: [],
      warnings: [],
    };
    expect(expectedFromPlan(plan)).toEqual({
      range: "10.32.0.0/24",
      bootstrap: "seed",
      encrypted: true,
      hosts: [
        {
          name: "a",
          address: "10.0.0.1",
          peerName: "02:00:00:00:00:01",
          nickname: "a",
          predictedShare: [share("10.32.0.0", 128)],
        },
        {
          name: "b",
          address: "10.0.0.2",
          peerName: "02:00:00:00:00:02",
          nickname: "b",
          predictedShare: [share("10.32.0.128", 128)],
        },
      ],
    });
  });
});

describe("observations in the gate's shape", () => {
  test("old mismatch lines in the log do not fail a host whose connections are all established", () => {
    const logs = readFixture("17-docker2-docker-logs-weave-tail-after-connect.txt").stdout;
    const obs = all(SEED_LAB, (h) => report(`13-${h}-weave-report-seed-after-containers.json`)).map((o) => ({
      ...o,
      logs,
    }));
    const v = consensusVerdict(SEED_LAB, obs);
    expect(v.problems).toEqual([]);
    expect(v.ready).toBe(true);
  });

  test("an observation with neither report nor error is still a problem, not a crash", () => {
    const v = consensusVerdict({ ...SEED_LAB, hosts: SEED_LAB.hosts.slice(0, 1) }, [{ host: "docker1" }]);
    expect(v.problems).toEqual([
      { host: "docker1", kind: "unreachable", message: "docker1: unreachable: no report and no error given" },
    ]);
  });

  test("a host named in observations but not in the lab is reported", () => {
    const v = consensusVerdict({ ...SEED_LAB, hosts: SEED_LAB.hosts.slice(0, 1) }, [
      { host: "docker1", report: report("13-docker1-weave-report-seed-after-containers.json") },
      { host: "docker9", error: "x" },
    ]);
    expect(v.problems.map((p) => [p.host, p.kind])).toContainEqual(["docker9", "unexpected-host"]);
  });
});
