import {
  buildMatrix,
  dataPlaneFailureMessage,
  expectedNames,
  inSubnet,
  lookupKey,
  pingKey,
  pingProbes,
  renderMatrix,
  resolverPerHost,
  type LookupOutcome,
  type PingOutcome,
  type ProbeContainer,
} from "./dataplane-matrix";

const c = (key: string, cidr: string, names: string[] = []): ProbeContainer => {
  const [host, name] = key.split("/");
  return { key, name, host, cidr, names, usesWeaveDns: names.length > 0 };
};

// The isolation example: two containers in the default /25, one in 172.16.16.128/26.
const dyn1 = c("docker1/dyn1", "172.16.16.5/25", ["dyn1.weave.local"]);
const dyn2 = c("docker2/dyn2", "172.16.16.70/25", ["dyn2.weave.local"]);
const sub1 = c("docker3/sub1", "172.16.16.130/26", ["sub1.weave.local"]);

describe("what the data plane should do", () => {
  test("an address is in a container's subnet by the container's prefix, host bits ignored", () => {
    expect(inSubnet("172.16.16.70", "172.16.16.5/25")).toBe(true);
    expect(inSubnet("172.16.16.128", "172.16.16.5/25")).toBe(false);
    expect(inSubnet("172.16.16.191", "172.16.16.130/26")).toBe(true);
    expect(inSubnet("172.16.16.192", "172.16.16.130/26")).toBe(false);
  });

  test("every ordered pair is probed; same subnet must reach, different subnets must stay isolated", () => {
    expect(pingProbes([dyn1, dyn2, sub1])).toEqual([
      { from: "docker1/dyn1", to: "docker2/dyn2", ip: "172.16.16.70", expect: "reach" },
      { from: "docker1/dyn1", to: "docker3/sub1", ip: "172.16.16.130", expect: "isolated" },
      { from: "docker2/dyn2", to: "docker1/dyn1", ip: "172.16.16.5", expect: "reach" },
      { from: "docker2/dyn2", to: "docker3/sub1", ip: "172.16.16.130", expect: "isolated" },
      { from: "docker3/sub1", to: "docker1/dyn1", ip: "172.16.16.5", expect: "isolated" },
      { from: "docker3/sub1", to: "docker2/dyn2", ip: "172.16.16.70", expect: "isolated" },
    ]);
  });

  test("a container without an address is neither pinged nor pinging", () => {
    expect(pingProbes([dyn1, c("docker2/gone", "")])).toEqual([]);
  });

  test("a name shared by two containers (web1 on two hosts) must resolve to both; records count; names compare case-insensitively", () => {
    const names = expectedNames(
      [
        c("docker1/web1", "172.16.16.10/24", ["web1.weave.local"]),
        c("docker3/web1", "172.16.16.2/24", ["Web1.weave.local", "www.weave.local"]),
      ],
      [{ fqdn: "docker1.weave.local", ips: ["10.10.10.101"] }],
    );
    expect(names).toEqual([
      { fqdn: "docker1.weave.local", ips: ["10.10.10.101"] },
      { fqdn: "web1.weave.local", ips: ["172.16.16.2", "172.16.16.10"] },
      { fqdn: "www.weave.local", ips: ["172.16.16.2"] },
    ]);
  });

  test("each host resolves from its first addressed container that uses weaveDNS", () => {
    expect(
      resolverPerHost([
        c("docker1/nodns", "172.16.16.9/24"),
        c("docker1/b", "", ["b.weave.local"]),
        c("docker1/a", "172.16.16.3/24", ["a.weave.local"]),
        c("docker2/x", "172.16.16.4/24", ["x.weave.local"]),
      ]),
    ).toEqual({ docker1: "docker1/a", docker2: "docker2/x" });
  });
});

describe("the matrix", () => {
  const containers = [dyn1, dyn2, sub1];
  const probes = pingProbes(containers);
  const names = expectedNames(containers, []);
  const resolvers = resolverPerHost(containers);
  const allDns = (): Map<string, LookupOutcome> => {
    const m = new Map<string, LookupOutcome>();
    const ips: Record<string, string> = {
      "dyn1.weave.local": "172.16.16.5",
      "dyn2.weave.local": "172.16.16.70",
      "sub1.weave.local": "172.16.16.130",
    };
    for (const h of ["docker1", "docker2", "docker3"])
      for (const n of Object.keys(ips)) m.set(lookupKey(h, n), { ips: [ips[n]], via: "nslookup" });
    return m;
  };
  const pings = (over: Record<string, PingOutcome> = {}): Map<string, PingOutcome> => {
    const m = new Map<string, PingOutcome>();
    for (const p of probes) m.set(pingKey(p), p.expect === "reach" ? "reached" : "lost");
    for (const [k, v] of Object.entries(over)) {
      const [from, to] = k.split(" -> ");
      m.set(pingKey({ from, to }), v);
    }
    return m;
  };

  test("a working isolated lab passes", () => {
    const m = buildMatrix(containers, probes, pings(), names, resolvers, allDns());
    expect(m.ok).toBe(true);
    expect(m.failures).toEqual([]);
    expect(m.reach["docker1/dyn1"]["docker3/sub1"]).toEqual({
      expect: "isolated",
      outcome: "lost",
      ok: true,
    });
    expect(m.summary).toBe("6/6 container pairs as expected, 9/9 name lookups as declared");
  });

  test("pairs that cannot reach each other are named, both directions, with the address", () => {
    const m = buildMatrix(
      containers,
      probes,
      pings({ "docker1/dyn1 -> docker2/dyn2": "lost", "docker2/dyn2 -> docker1/dyn1": "lost" }),
      names,
      resolvers,
      allDns(),
    );
    expect(m.ok).toBe(false);
    expect(m.failures).toEqual([
      "docker1/dyn1 cannot reach docker2/dyn2 at 172.16.16.70",
      "docker2/dyn2 cannot reach docker1/dyn1 at 172.16.16.5",
    ]);
    const msg = dataPlaneFailureMessage("iso", m);
    expect(msg).toContain("data plane of iso: the routers agree, but containers do not reach each other");
    expect(msg).toContain("\n  docker1/dyn1 cannot reach docker2/dyn2 at 172.16.16.70");
  });

  test("a packet across subnets is a broken isolation", () => {
    const m = buildMatrix(
      containers,
      probes,
      pings({ "docker3/sub1 -> docker1/dyn1": "reached" }),
      names,
      resolvers,
      allDns(),
    );
    expect(m.failures).toEqual([
      "docker3/sub1 reaches docker1/dyn1 at 172.16.16.5 although they are in different subnets (isolation broken)",
    ]);
  });

  test("a wrong or missing answer for a name is named with the host, the container and both address lists", () => {
    const dns = allDns();
    dns.set(lookupKey("docker2", "dyn1.weave.local"), { ips: [], via: "getent" });
    const m = buildMatrix(containers, probes, pings(), names, resolvers, dns);
    expect(m.failures).toEqual([
      "dyn1.weave.local from docker2 (in docker2/dyn2) resolves to [], declared [172.16.16.5]",
    ]);
    expect(m.dns.docker2["dyn1.weave.local"].ok).toBe(false);
  });

  test("checks whose tool is missing are listed as not verifiable and do not fail the lab", () => {
    const dns = allDns();
    dns.set(lookupKey("docker1", "dyn2.weave.local"), {
      ips: [],
      via: "neither getent nor nslookup in dyn1's image",
      unverified: true,
    });
    const m = buildMatrix(
      containers,
      probes,
      pings({ "docker1/dyn1 -> docker2/dyn2": "unverified" }),
      names,
      resolvers,
      dns,
    );
    expect(m.ok).toBe(true);
    expect(m.unverified).toEqual([
      "docker1/dyn1 → docker2/dyn2 (172.16.16.70): no ping in the image",
      "dyn2.weave.local from docker1 (in docker1/dyn1): neither getent nor nslookup in dyn1's image",
    ]);
  });

  test("a container without an address fails the lab by name", () => {
    const gone = c("docker2/gone", "", ["gone.weave.local"]);
    const m = buildMatrix([dyn1, gone], pingProbes([dyn1, gone]), new Map(), [], {}, new Map());
    expect(m.failures).toEqual(["docker2/gone has no Weave address (detached or never attached)"]);
  });

  test("rendered as a table of pairs and a table of names", () => {
    const two = [c("d1/a", "10.0.0.1/24", ["a.l"]), c("d2/b", "10.0.0.2/24", ["b.l"])];
    const pr = pingProbes(two);
    const p = new Map<string, PingOutcome>([
      [pingKey({ from: "d1/a", to: "d2/b" }), "reached"],
      [pingKey({ from: "d2/b", to: "d1/a" }), "lost"],
    ]);
    const l = new Map<string, LookupOutcome>([
      [lookupKey("d1", "a.l"), { ips: ["10.0.0.1"], via: "getent" }],
      [lookupKey("d1", "b.l"), { ips: ["10.0.0.2"], via: "getent" }],
      [lookupKey("d2", "a.l"), { ips: ["10.0.0.1"], via: "getent" }],
      [lookupKey("d2", "b.l"), { ips: [], via: "getent" }],
    ]);
    const m = buildMatrix(two, pr, p, expectedNames(two, []), resolverPerHost(two), l);
    expect(renderMatrix(m)).toBe(
      [
        "Reachability (row pings column; ok = reached, -- = isolated as expected, FAIL, ? = not verifiable)",
        "FROM \\ TO  d1/a  d2/b",
        "d1/a             ok",
        "d2/b       FAIL",
        "",
        "Names (resolved from one container per host)",
        "NAME  DECLARED  d1  d2",
        "a.l   10.0.0.1  ok  ok",
        "b.l   10.0.0.2  ok  FAIL(none)",
        "",
        "1/2 container pairs as expected, 3/4 name lookups as declared; 2 failures",
        "  FAIL d2/b cannot reach d1/a at 10.0.0.1",
        "  FAIL b.l from d2 (in d2/b) resolves to [], declared [10.0.0.2]",
        "",
      ].join("\n"),
    );
  });
});
