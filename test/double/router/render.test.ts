/**
 * The status templates and report JSON, fed with the state each fixture was captured in, must
 * give the fixture's bytes (only volatile parts masked: retry times, map order of lines).
 */
import { readFixture, readJsonFixture } from "../../fixtures";
import {
  encodeJson,
  goPercent,
  renderConnections,
  renderDns,
  renderIpam,
  renderPeers,
  renderReport,
  renderStatus,
  reportObject,
} from "./render";
import { executeTemplate } from "./template";
import { ConnectionView, PeerView, RouterSnapshot } from "./view";

/** `weave status*` stdout without the script's surrounding blank lines. */
const body = (file: string): string => {
  const out = readFixture(file).stdout;
  return /weave-status(\.|-(?!ipam|peers|connections|dns|targets))/.test(file) ? out.slice(1, -1) : out;
};
const maskRetry = (s: string): string =>
  s.replace(/retry: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}/g, "retry: <time>");
const sortedLines = (s: string): string[] => s.split("\n").sort();

const SEED = {
  d1: { name: "02:00:00:00:00:03", nick: "docker1", ip: "10.10.10.101" },
  d2: { name: "02:00:00:00:00:01", nick: "docker2", ip: "10.10.10.102" },
  d3: { name: "02:00:00:00:00:04", nick: "docker3", ip: "10.10.10.103" },
  d4: { name: "02:00:00:00:00:02", nick: "docker4", ip: "10.10.10.104" },
};

/** docker1's view of fixture 13 after one container per host. */
function seedLabSnapshot(): RouterSnapshot {
  const hosts = [SEED.d1, SEED.d2, SEED.d3, SEED.d4];
  const peers: PeerView[] = hosts.map((h, i) => ({
    Name: h.name,
    NickName: h.nick,
    UID: "17101140144321440729",
    ShortID: 100 + i,
    Version: 6,
    Connections: hosts
      .filter((o) => o !== h)
      .map((o) => ({
        Name: o.name,
        NickName: o.nick,
        Address: `${o.ip}:6783`,
        Outbound: true,
        Established: true,
      })),
  }));
  const connections: ConnectionView[] = [SEED.d2, SEED.d3, SEED.d4].map((h, i) => ({
    Address: `${h.ip}:${33149 + i}`,
    Outbound: false,
    State: "established",
    Info: `sleeve ${h.name}(${h.nick})`,
    Attrs: { mtu: 1438, name: "sleeve" },
  }));
  const entry = (token: string, h: { name: string; nick: string }, version: number) => ({
    Token: token,
    Size: 64,
    Peer: h.name,
    Nickname: h.nick,
    IsKnownPeer: true,
    Version: version,
  });
  return {
    ready: true,
    version: "2.8.1",
    versionCheck: { enabled: false, nextCheckAt: new Date(0) },
    name: SEED.d1.name,
    nickName: SEED.d1.nick,
    port: 6783,
    encryption: false,
    peerDiscovery: true,
    protocolMin: 1,
    protocolMax: 2,
    peers,
    connections,
    targets: ["10.10.10.102", "10.10.10.103", "10.10.10.104"],
    trustedSubnets: [],
    terminationCount: 0,
    macs: [],
    ipam: {
      Paxos: null,
      Range: "172.16.16.0/24",
      RangeNumIPs: 256,
      ActiveIPs: 1,
      DefaultSubnet: "172.16.16.0/24",
      Entries: [
        entry("172.16.16.0", SEED.d2, 0),
        entry("172.16.16.64", SEED.d4, 0),
        entry("172.16.16.128", SEED.d1, 1),
        entry("172.16.16.192", SEED.d3, 0),
      ],
      PendingClaims: null,
      PendingAllocates: null,
      status: "ready",
    },
    dns: {
      Domain: "weave.local.",
      Upstream: ["127.0.0.11"],
      Address: "172.17.0.1:53",
      TTL: 1,
      Entries: [
        {
          Hostname: "c1.weave.local.",
          Origin: SEED.d1.name,
          ContainerID: "6b9b70cefbec92bf7327bd9908417af4be900da333c27ec0d5065ffd3eb614eb",
          Address: "172.16.16.128",
          Version: 0,
          Tombstone: 0,
        },
        {
          Hostname: "c2.weave.local.",
          Origin: SEED.d2.name,
          ContainerID: "f5f9d772462699e26d6c5880f7b9236a1e3741164f1c0fb9c67ad5a15e78bd61",
          Address: "172.16.16.1",
          Version: 0,
          Tombstone: 0,
        },
        {
          Hostname: "c3.weave.local.",
          Origin: SEED.d3.name,
          ContainerID: "b0789d0d45a4cbb22875e10db85da633188beb7efe321fdd9a4c7e3b62be9bc3",
          Address: "172.16.16.192",
          Version: 0,
          Tombstone: 0,
        },
        {
          Hostname: "c4.weave.local.",
          Origin: SEED.d4.name,
          ContainerID: "ab072dbf129c923c9bfef2c3e472c80866c38732c477955afa45d79e9ac295cd",
          Address: "172.16.16.64",
          Version: 0,
          Tombstone: 0,
        },
      ],
    },
    proxy: { Addresses: ["unix:///var/run/weave/weave.sock"] },
    plugin: { defaultSubnet: "172.16.16.0/24", dns: true },
  };
}

describe("weave status text", () => {
  it("reproduces 13-docker1 `weave status` after containers byte for byte", () => {
    expect(renderStatus(seedLabSnapshot())).toBe(body("13-docker1-weave-status-seed-after-containers.txt"));
  });

  it("prints the failed-version-check form and Targets/Connections/Peers of a lone peer (01-docker1)", () => {
    const s = seedLabSnapshot();
    Object.assign(s, {
      name: "3e:a2:4a:17:e0:d9",
      versionCheck: { enabled: true, nextCheckAt: new Date("2026-11-28T07:45:17.965Z") },
      peers: [
        {
          Name: "3e:a2:4a:17:e0:d9",
          NickName: "docker1",
          UID: "1",
          ShortID: 1,
          Version: 0,
          Connections: null,
        },
      ],
      connections: [],
      targets: [],
    });
    s.ipam = { ...s.ipam!, Entries: null, ActiveIPs: 0, status: "idle" };
    s.dns = { ...s.dns!, Entries: null };
    expect(renderStatus(s)).toBe(body("01-docker1-weave-status.txt"));
  });

  it("omits proxy and plugin sections when they are off (12-docker9 router only)", () => {
    const s = seedLabSnapshot();
    Object.assign(s, {
      name: "82:6b:f1:f4:e3:1f",
      nickName: "docker9",
      versionCheck: { enabled: true, nextCheckAt: new Date("0001-01-01T00:00:00Z") },
      peers: [
        {
          Name: "82:6b:f1:f4:e3:1f",
          NickName: "docker9",
          UID: "1",
          ShortID: 1,
          Version: 0,
          Connections: null,
        },
      ],
      connections: [],
      targets: [],
      proxy: undefined,
      plugin: undefined,
    });
    s.ipam = { ...s.ipam!, Entries: null, status: "idle" };
    s.dns = { ...s.dns!, Entries: null };
    const text = renderStatus(s)
      .replace(/next check at .*\)/, "next check at 0001/01/01 00:00:00)")
      .replace("failed to check latest version - see logs;", "up to date;");
    expect(text).toBe(body("12-docker9-weave-status-router-only.txt"));
  });

  it("counts a failed target in Connections and shows Encryption: enabled (06-docker4, 15-docker1)", () => {
    const s = seedLabSnapshot();
    s.connections = [
      { Address: "10.10.10.101:6783", Outbound: true, State: "failed", Info: "x, retry: never", Attrs: null },
    ];
    expect(renderStatus(s)).toContain("    Connections: 1 (1 failed)\n");
    s.encryption = true;
    expect(renderStatus(s)).toContain("     Encryption: enabled\n");
  });
});

describe("status sub-views", () => {
  it("ipam: local line first with (N active), others with a trailing space (13-docker1)", () => {
    const fixture = body("13-docker1-weave-status-ipam-seed-after-containers.txt");
    const ours = renderIpam(seedLabSnapshot(), new Set(Object.values(SEED).map((h) => h.name)));
    expect(ours.split("\n")[0]).toBe(fixture.split("\n")[0]);
    expect(sortedLines(ours)).toEqual(sortedLines(fixture));
  });

  it("ipam: unreachable owners are marked and 6.25 % prints as 06.2 (16-docker1 after forced reset)", () => {
    const s = seedLabSnapshot();
    const e = (token: string, size: number, h: { name: string; nick: string }) => ({
      Token: token,
      Size: size,
      Peer: h.name,
      Nickname: h.nick,
      IsKnownPeer: true,
      Version: 0,
    });
    s.ipam!.Entries = [
      e("172.16.16.0", 128, SEED.d2),
      e("172.16.16.128", 48, SEED.d1),
      e("172.16.16.176", 16, SEED.d4),
      e("172.16.16.192", 64, SEED.d3),
    ];
    const fixture = body("16-docker1-weave-status-ipam-after-docker4-forced-reset.txt");
    const ours = renderIpam(s, new Set([SEED.d1.name, SEED.d2.name, SEED.d3.name]));
    expect(ours.split("\n")[0]).toBe(fixture.split("\n")[0]);
    expect(sortedLines(ours)).toEqual(sortedLines(fixture));
  });

  it("ipam: prints nothing while idle (01-docker1)", () => {
    const s = seedLabSnapshot();
    s.ipam!.Entries = null;
    expect(renderIpam(s, new Set())).toBe(body("01-docker1-weave-status-ipam.txt"));
  });

  it("Go's %04.1f: ties to even on the float32 value", () => {
    expect([
      goPercent(16, 256),
      goPercent(48, 256),
      goPercent(97, 256),
      goPercent(63, 256),
      goPercent(256, 256),
      goPercent(131072, 1048576),
    ]).toEqual(["06.2", "18.8", "37.9", "24.6", "100.0", "12.5"]);
  });

  it("peers: a block per peer with padded connection lines (13-docker1, order-insensitive)", () => {
    const fixture = body("13-docker1-weave-status-peers-seed-after-containers.txt");
    const mask = (s: string): string[] =>
      sortedLines(s.replace(/(<-|->) (\S+):\d+ +/g, "$1 $2:<port> ".padEnd(1)).replace(/<-/g, "->"));
    const ours = renderPeers(seedLabSnapshot());
    expect(
      ours
        .split("\n")
        .map((l) => l.length)
        .sort(),
    ).toEqual(
      fixture
        .split("\n")
        .map((l) => l.length)
        .sort(),
    );
    expect(mask(ours)).toEqual(mask(fixture));
  });

  it("connections: established sleeve line with mtu (02-docker2)", () => {
    const s = seedLabSnapshot();
    s.connections = [
      {
        Address: "10.10.10.101:6783",
        Outbound: true,
        State: "established",
        Info: "sleeve 3e:a2:4a:17:e0:d9(docker1)",
        Attrs: { mtu: 1438, name: "sleeve" },
      },
    ];
    expect(renderConnections(s)).toBe(body("02-docker2-weave-status-connections.txt"));
  });

  it("connections: encrypted line keeps Weave's missing separator (15-docker1)", () => {
    const s = seedLabSnapshot();
    s.connections = [
      {
        Address: "10.10.10.102:59879",
        Outbound: false,
        State: "established",
        Info: "encrypted   sleeve 56:ff:8d:9e:da:f9(docker2)",
        Attrs: { encrypted: true, mtu: 1414, name: "sleeve" },
      },
    ];
    expect(renderConnections(s)).toBe(body("15-docker1-weave-status-connections-encrypted.txt"));
  });

  it("connections: failed target with its reason and retry time, trailing space (06-docker4, 17-docker1)", () => {
    const s = seedLabSnapshot();
    const why = "Incompatible IP allocation ranges (received: 172.16.16.0/24, ours: 172.64.65.0/24)";
    s.connections = [
      {
        Address: "10.10.10.101:6783",
        Outbound: true,
        State: "failed",
        Info: `${why}, retry: 2026-11-28 03:04:01.1 +0000 UTC m=+13.158510197`,
        Attrs: null,
      },
    ];
    expect(maskRetry(renderConnections(s))).toBe(maskRetry(body("06-docker4-weave-status-connections.txt")));
  });

  it("dns: sorted, hostname without domain, 12-char ids (10-docker1)", () => {
    const s = seedLabSnapshot();
    const fixture = body("10-docker1-curl-status-dns.txt");
    s.dns!.Entries = fixture
      .trim()
      .split("\n")
      .reverse()
      .map((l) => {
        const [host, ip, id, origin] = l.split(/\s+/);
        return {
          Hostname: `${host}.weave.local.`,
          Origin: origin,
          ContainerID: id + "0".repeat(52),
          Address: ip,
          Version: 0,
          Tombstone: 0,
        };
      });
    s.dns!.Entries.push({
      Hostname: "gone.weave.local.",
      Origin: SEED.d1.name,
      ContainerID: "x",
      Address: "1.2.3.4",
      Version: 1,
      Tombstone: 1700000000,
    });
    expect(renderDns(s)).toBe(fixture);
  });
});

/** Every key path of a JSON value (arrays contribute their elements' paths). */
function keyPaths(v: unknown, prefix = ""): string[] {
  if (Array.isArray(v)) return [...new Set(v.flatMap((x) => keyPaths(x, prefix + "[]")))];
  if (v && typeof v === "object") {
    return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => [
      prefix + "." + k,
      ...keyPaths(x, prefix + "." + k),
    ]);
  }
  return [];
}

describe("weave report JSON", () => {
  const parse = (s: string): unknown => JSON.parse(s.replace(/"UID": \d+/g, '"UID": 0'));

  it("has the fixture's keys in the fixture's order at every level (13-docker1 after containers)", () => {
    const fixture = parse(readJsonFixture("13-docker1-weave-report-seed-after-containers.json"));
    const s = seedLabSnapshot();
    s.macs = [
      {
        Mac: "c6:c4:76:c8:a1:e2",
        Name: SEED.d1.name,
        NickName: "docker1",
        LastSeen: "2026-11-28T03:24:46.622366528Z",
      },
    ];
    expect(keyPaths(parse(renderReport(s)))).toEqual(keyPaths(fixture));
  });

  it("matches the idle lone-peer report exactly once volatile fields are masked (01-docker1)", () => {
    const text = readJsonFixture("01-docker1-weave-report.json");
    const s = seedLabSnapshot();
    Object.assign(s, {
      name: "3e:a2:4a:17:e0:d9",
      versionCheck: { enabled: true, nextCheckAt: new Date("2026-11-28T07:45:17.965Z") },
      peers: [
        {
          Name: "3e:a2:4a:17:e0:d9",
          NickName: "docker1",
          UID: "1989343886168734263",
          ShortID: 2779,
          Version: 0,
          Connections: null,
        },
      ],
      connections: [],
      targets: [],
    });
    s.ipam = { ...s.ipam!, Entries: null, ActiveIPs: 0, status: "idle" };
    s.dns = { ...s.dns!, Entries: null };
    const mask = (x: string): string =>
      x
        .replace(/"NextCheckAt": "[^"]*"/, '"NextCheckAt": "T"')
        .replace(/"PacketsReceived": \d+/, '"PacketsReceived": 0');
    const ours = renderReport(s);
    expect(ours.endsWith("}")).toBe(true);
    expect(mask(ours)).toBe(mask(text));
  });

  it("writes UIDs above 2^53 as exact integers", () => {
    const s = seedLabSnapshot();
    expect(renderReport(s)).toContain('"UID": 17101140144321440729,');
  });

  it("omits IPAM and DNS when disabled", () => {
    const s = seedLabSnapshot();
    s.ipam = undefined;
    s.dns = undefined;
    expect(Object.keys(reportObject(s))).toEqual([
      "Ready",
      "Version",
      "VersionCheck",
      "Router",
      "Proxy",
      "Plugin",
    ]);
  });
});

describe("report -f templates", () => {
  const data = reportObject(seedLabSnapshot());
  it("evaluates the fixtures' templates (10-docker1)", () => {
    expect(executeTemplate("{{.Version}}", data)).toEqual({
      status: 200,
      body: readFixture("10-docker1-curl-report-format-version.txt").stdout,
    });
    expect(executeTemplate("{{.IPAM.DefaultSubnet}} {{len .Router.Peers}}", data)).toEqual({
      status: 200,
      body: "172.16.16.0/24 4",
    });
  });
  it("json renders compact Go JSON", () => {
    expect(executeTemplate("{{json .Proxy}}", data).body).toBe(
      '{"Addresses":["unix:///var/run/weave/weave.sock"]}',
    );
    expect(encodeJson({ a: "<" }, 0)).toBe('{"a":"\\u003c"}');
  });
  it("reports parse and execution errors like Go", () => {
    expect(executeTemplate("{{.Version", data)).toEqual({
      status: 400,
      body: "template: format:1: unclosed action",
    });
    expect(executeTemplate("{{.Nope}}", data)).toEqual({
      status: 500,
      body: "error during template execution",
    });
    expect(executeTemplate("v{{.Nope}}", data)).toEqual({
      status: 200,
      body: "verror during template execution",
    });
  });
});
