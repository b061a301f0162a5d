import { planLab } from "../plan";
import type { LabSpec } from "../spec";
import type { IpamOwner, PsEntry, WeaveReport } from "../weave/types";
import { weaveReport } from "../../test/builders";
import { compareLab, type HostLive } from "./compare";

// Two hosts with explicit peer names; seed mode splits 172.16.16.0/24 in halves by sorted name.
const P1 = "aa:00:00:00:00:01";
const P2 = "aa:00:00:00:00:02";
const spec: LabSpec = {
  name: "st",
  network: { allocRange: "172.16.16.0/24" },
  hosts: [
    { name: "docker1", address: "10.10.10.101", peerName: P1, ssh: { insecureIgnoreHostKey: true } },
    { name: "docker2", address: "10.10.10.102", peerName: P2, ssh: { insecureIgnoreHostKey: true } },
  ],
  containers: [
    { name: "web1", host: "docker1", image: "busybox" },
    { name: "web2", host: "docker2", image: "busybox", address: "172.16.16.200/24" },
  ],
  dnsRecords: [{ name: "gw", ips: ["10.10.10.1"], host: "docker1" }],
};
const plan = planLab(spec);
const ID1 = "1".repeat(64);
const ID2 = "2".repeat(64);

const share = (cidr: string, start: string, end: string, size: number) => ({ cidr, start, end, size });

function owners(over: Partial<Record<string, Partial<IpamOwner>>> = {}): IpamOwner[] {
  // The prediction must be checked against the plan: take it from the plan, not from here.
  return plan.hosts.map((h) => ({
    peer: h.peerName,
    nickname: h.name,
    size: 128,
    reachable: true,
    shares: h.predictedShare ?? [],
    ...over[h.name],
  }));
}

function report(
  host: "docker1" | "docker2",
  o: {
    name?: string;
    range?: string;
    owners?: IpamOwner[];
    dns?: Array<[string, string, string]>;
  } = {},
): WeaveReport {
  const me = host === "docker1" ? P1 : P2;
  const other =
    host === "docker1"
      ? { p: P2, n: "docker2", a: "10.10.10.102" }
      : { p: P1, n: "docker1", a: "10.10.10.101" };
  const own = o.owners ?? owners();
  return weaveReport({
    router: {
      name: o.name ?? me,
      nickname: host,
      peers: [
        { name: o.name ?? me, nickname: host, uid: "1", shortId: 1, version: 1, connections: [] },
        { name: other.p, nickname: other.n, uid: "2", shortId: 2, version: 1, connections: [] },
      ],
      connections: [
        {
          direction: "outbound",
          address: `${other.a}:6783`,
          state: "established",
          peer: { name: other.p, nickname: other.n },
          attrs: {},
          info: "",
        },
      ],
      targets: [other.a],
    },
    ipam: {
      ...(o.range ? { range: o.range } : {}),
      activeIPs: 1,
      entries: own.flatMap((x) =>
        x.shares.map((s) => ({
          token: s.cidr.split("/")[0],
          size: s.size,
          peer: x.peer,
          nickname: x.nickname,
          isKnownPeer: x.reachable,
          version: 1,
        })),
      ),
      owners: own,
    },
    dns: {
      domain: "weave.local.",
      upstream: [],
      address: "172.17.0.1:53",
      ttl: 1,
      entries: (o.dns ?? []).map(([hostname, address, containerId]) => ({
        hostname: `${hostname}.`,
        address,
        containerId,
        origin: me,
        version: 0,
        tombstone: 0,
      })),
    },
  });
}

const labelled = (id: string, key: string, state = "running") => ({
  id,
  state,
  labels: { "weave-lab.lab": "st", "weave-lab.key": key },
});
const ps = (id: string, cidrs: string[]): PsEntry => ({
  id: id.slice(0, 12),
  mac: "02:00:00:00:00:01",
  cidrs,
  isExpose: false,
});

/** The lab exactly as specified. */
function healthy(): HostLive[] {
  return [
    {
      host: "docker1",
      router: "running",
      report: report("docker1", {
        dns: [
          ["web1.weave.local", "172.16.16.3", ID1.slice(0, 12)],
          ["gw.weave.local", "10.10.10.1", "weave:extern"],
        ],
      }),
      containers: [labelled(ID1, "docker1/web1")],
      attached: [
        ps(ID1, ["172.16.16.3/24"]),
        { id: "weave:expose", mac: "aa:00:00:00:00:01", cidrs: [], isExpose: true },
      ],
    },
    {
      host: "docker2",
      router: "running",
      report: report("docker2", { dns: [["web2.weave.local", "172.16.16.200", ID2.slice(0, 12)]] }),
      containers: [labelled(ID2, "docker2/web2")],
      attached: [ps(ID2, ["172.16.16.200/24"])],
    },
  ];
}

describe("weave-lab status: the live lab against its spec", () => {
  test("a lab as specified: no drift, healthy, exit 0, shares and containers shown", () => {
    const s = compareLab(plan, healthy());
    expect(s.drift).toEqual([]);
    expect(s.health).toEqual([]);
    expect(s.exitCode).toBe(0);
    const d1 = s.hosts[0];
    expect(d1).toMatchObject({ name: "docker1", router: "ready", peers: ["docker1", "docker2"] });
    expect(d1.owned).toEqual(d1.predicted);
    expect(d1.containers).toEqual([
      {
        key: "docker1/web1",
        id: "111111111111",
        state: "running",
        cidrs: ["172.16.16.3/24"],
        origin: "planned",
      },
    ]);
    expect(d1.dns).toContainEqual({
      name: "web1.weave.local",
      address: "172.16.16.3",
      container: "111111111111",
    });
  });

  test("a container removed out of band (docker rm) is missing, and its name gone from DNS is not reported twice", () => {
    const live = healthy();
    live[1].containers = [];
    live[1].attached = [];
    const s = compareLab(plan, live);
    expect(s.drift).toEqual([
      {
        kind: "container-missing",
        host: "docker2",
        subject: "docker2/web2",
        message: "docker2/web2: no such container on docker2",
      },
    ]);
    expect(s.exitCode).toBe(1);
  });

  test("a detached container, a stopped one, and a static address not honoured", () => {
    const live = healthy();
    live[0].attached = [];
    live[1].attached = [ps(ID2, ["172.16.16.201/24"])];
    let s = compareLab(plan, live);
    expect(s.drift.map((d) => [d.kind, d.subject])).toEqual([
      ["container-detached", "docker1/web1"],
      ["container-address", "docker2/web2"],
    ]);
    expect(s.drift[1].message).toBe("docker2/web2: has 172.16.16.201/24, the spec gives 172.16.16.200/24");
    live[0].containers = [labelled(ID1, "docker1/web1", "exited")];
    s = compareLab(plan, live);
    expect(s.drift[0]).toMatchObject({
      kind: "container-stopped",
      message: "docker1/web1: the container is exited",
    });
  });

  test("containers the spec does not have: labelled by this lab, or attached to Weave by someone else", () => {
    const live = healthy();
    const stray = "3".repeat(64);
    live[0].containers.push(labelled(stray, "docker1/old"));
    live[0].attached!.push(ps("4".repeat(64), ["172.16.16.9/24"]));
    const s = compareLab(plan, live);
    expect(s.drift.map((d) => [d.kind, d.subject])).toEqual([
      ["container-unknown", "docker1/old"],
      ["container-unknown", "444444444444"],
    ]);
    expect(s.hosts[0].containers.map((c) => c.origin)).toEqual(["planned", "unplanned", "foreign"]);
  });

  test("a name or record missing from weaveDNS is drift naming the name", () => {
    const live = healthy();
    live[0].report = report("docker1", { dns: [["web1.weave.local", "172.16.16.3", ID1.slice(0, 12)]] });
    const s = compareLab(plan, live);
    expect(s.drift).toEqual([
      {
        kind: "name-missing",
        host: "docker1",
        subject: "gw.weave.local",
        message: "gw.weave.local: 10.10.10.1 not registered in weaveDNS on docker1",
      },
    ]);
  });

  test("router missing, stopped, silent, foreign or of another range", () => {
    const live = healthy();
    live[0] = { host: "docker1", router: "absent", containers: [], attached: undefined };
    live[1].report = report("docker2", { name: "de:ad:be:ef:00:01", range: "10.32.0.0/12", owners: [] });
    const s = compareLab(plan, live);
    const kinds = s.drift.map((d) => d.kind);
    expect(kinds).toContain("router-missing");
    expect(kinds).toContain("router-foreign");
    expect(kinds).toContain("router-other-range");
    expect(s.drift.find((d) => d.kind === "router-other-range")!.message).toBe(
      "docker2: the router runs range 10.32.0.0/12, the spec's is 172.16.16.0/24",
    );
    expect(s.exitCode).toBe(1);
    const stopped = healthy();
    stopped[1] = { host: "docker2", router: "stopped", containers: [], attached: undefined };
    expect(compareLab(plan, stopped).drift.map((d) => d.kind)).toContain("router-stopped");
    const silent = healthy();
    delete silent[1].report;
    expect(compareLab(plan, silent).drift.map((d) => d.kind)).toContain("router-silent");
  });

  test("an unreachable owner and a split ring", () => {
    const live = healthy();
    const lost = owners({ docker2: { reachable: false } });
    live[0].report = report("docker1", {
      owners: lost,
      dns: [
        ["web1.weave.local", "172.16.16.3", ID1.slice(0, 12)],
        ["gw.weave.local", "10.10.10.1", "weave:extern"],
      ],
    });
    const s = compareLab(plan, live);
    const u = s.drift.find((d) => d.kind === "unreachable-owner");
    expect(u?.subject).toBe(P2);
    expect(u?.message).toContain("owned by docker2, which is unreachable");
    // docker2 alone owning the whole range in its view: the hosts disagree.
    const split = healthy();
    split[1].report = report("docker2", {
      owners: [
        {
          peer: P2,
          nickname: "docker2",
          size: 256,
          reachable: true,
          shares: [share("172.16.16.0/24", "172.16.16.0", "172.16.16.255", 256)],
        },
      ],
      dns: [["web2.weave.local", "172.16.16.200", ID2.slice(0, 12)]],
    });
    const t = compareLab(plan, split);
    expect(t.drift.find((d) => d.kind === "split-ring")?.message).toBe(
      "the hosts disagree on who owns 172.16.16.0/24: {docker1} vs {docker2}",
    );
  });

  test("ranges moved by donation after the ring formed are a note, not a failure", () => {
    const live = healthy();
    // docker2 gave docker1 a quarter of its half (as when docker1 allocates outside its share).
    const [h1, h2] = plan.hosts;
    const q = (cidr: string, start: string, end: string) => share(cidr, start, end, 64);
    const moved = (): IpamOwner[] => [
      {
        peer: h1.peerName,
        nickname: "docker1",
        size: 192,
        reachable: true,
        shares: [...h1.predictedShare!, q("172.16.16.128/26", "172.16.16.128", "172.16.16.191")],
      },
      {
        peer: h2.peerName,
        nickname: "docker2",
        size: 64,
        reachable: true,
        shares: [q("172.16.16.192/26", "172.16.16.192", "172.16.16.255")],
      },
    ];
    live[0].report = report("docker1", {
      owners: moved(),
      dns: [
        ["web1.weave.local", "172.16.16.3", ID1.slice(0, 12)],
        ["gw.weave.local", "10.10.10.1", "weave:extern"],
      ],
    });
    live[1].report = report("docker2", {
      owners: moved(),
      dns: [["web2.weave.local", "172.16.16.200", ID2.slice(0, 12)]],
    });
    const s = compareLab(plan, live);
    expect(s.drift).toEqual([]);
    expect(s.health).toEqual([]);
    expect(s.notes).toHaveLength(2);
    expect(s.notes[0]).toMatch(
      /^docker1: owns .* but the plan predicted .* \(moved by donation since the ring formed\)$/,
    );
    expect(s.exitCode).toBe(0);
  });

  test("a host SSH cannot reach: exit 2, named, and the rest still compared", () => {
    const live = healthy();
    live[1] = {
      host: "docker2",
      unreachable: "connect ECONNREFUSED 10.10.10.102:22",
      router: "absent",
      containers: [],
    };
    const s = compareLab(plan, live);
    expect(s.exitCode).toBe(2);
    expect(s.drift[0]).toEqual({
      kind: "host-unreachable",
      host: "docker2",
      subject: "docker2",
      message: "docker2: could not be read over SSH: connect ECONNREFUSED 10.10.10.102:22",
    });
    expect(s.hosts[0].reachable).toBe(true);
    expect(s.hosts[1].reachable).toBe(false);
  });

  test("the consensus verdict's own problems (a failed connection) make it unhealthy without drift", () => {
    const live = healthy();
    const r = report("docker1", {
      dns: [
        ["web1.weave.local", "172.16.16.3", ID1.slice(0, 12)],
        ["gw.weave.local", "10.10.10.1", "weave:extern"],
      ],
    });
    r.router.connections = [
      {
        direction: "outbound",
        address: "10.10.10.102:6783",
        state: "failed",
        error: "connection refused",
        attrs: {},
        info: "connection refused",
      },
    ];
    live[0].report = r;
    const s = compareLab(plan, live);
    expect(s.drift).toEqual([]);
    expect(s.health.length).toBeGreaterThan(0);
    expect(s.health[0].host).toBe("docker1");
    expect(s.exitCode).toBe(1);
  });
});
