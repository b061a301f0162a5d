import type { LabStatus } from "./compare";
import type { DataPlaneMatrix } from "../providers/dataplane-matrix";
import { renderStatus } from "./render";

const base: LabStatus = {
  lab: "r",
  range: "172.16.16.0/24",
  hosts: [
    {
      name: "docker1",
      address: "10.10.10.101",
      reachable: true,
      router: "ready",
      peerName: "aa:00:00:00:00:01",
      nickname: "docker1",
      ipamStatus: "ready",
      range: "172.16.16.0/24",
      peers: ["docker1", "docker2"],
      connections: [{ peer: "docker2", direction: "outbound", state: "established" }],
      owned: ["172.16.16.0/25"],
      predicted: ["172.16.16.0/25"],
      containers: [
        {
          key: "docker1/web1",
          id: "111111111111",
          state: "running",
          cidrs: ["172.16.16.3/24"],
          origin: "planned",
        },
      ],
      dns: [{ name: "web1.weave.local", address: "172.16.16.3", container: "111111111111" }],
    },
    {
      name: "docker2",
      address: "10.10.10.102",
      reachable: false,
      router: "unknown",
      peers: [],
      connections: [],
      owned: [],
      containers: [],
      dns: [],
    },
  ],
  drift: [
    {
      kind: "host-unreachable",
      host: "docker2",
      subject: "docker2",
      message: "docker2: could not be read over SSH: refused",
    },
  ],
  health: [],
  notes: ["docker1: owns x but the plan predicted y (moved by donation since the ring formed)"],
  healthy: false,
  exitCode: 2,
};

const rowOf = (text: string, first: string): string[] =>
  (text.split("\n").find((l) => l.startsWith(`${first} `)) ?? "").split(/\s{2,}/);

describe("status as text", () => {
  test("one row per host with router, peer, IPAM, owned vs predicted, peers and connections; unreachable hosts say so", () => {
    const t = renderStatus(base);
    expect(t.split("\n")[0]).toBe("Lab r (172.16.16.0/24): incomplete: some hosts could not be reached");
    expect(rowOf(t, "docker1")).toEqual([
      "docker1",
      "10.10.10.101",
      "ready",
      "aa:00:00:00:00:01(docker1)",
      "ready 172.16.16.0/24",
      "172.16.16.0/25",
      "172.16.16.0/25",
      "docker1,docker2",
      "docker2:established",
    ]);
    expect(rowOf(t, "docker2").slice(0, 3)).toEqual(["docker2", "10.10.10.102", "unreachable"]);
    expect(rowOf(t, "docker2")[6]).toBe("(consensus)");
  });

  test("containers, DNS entries, drift and notes are listed; the matrix only with --verify", () => {
    const t = renderStatus(base);
    expect(t).toContain("\nContainers\n");
    expect(t).toMatch(/docker1 {2}docker1\/web1 {2}111111111111 {2}running {2}172\.16\.16\.3\/24 {2}yes/);
    expect(t).toMatch(/docker1 {2}web1\.weave\.local {2}172\.16\.16\.3 {2}111111111111/);
    expect(t).toContain("Drift (1)\n  host-unreachable: docker2: could not be read over SSH: refused\n");
    expect(t).toContain("Notes\n  docker1: owns x");
    expect(t).not.toContain("Data plane");
    const m: DataPlaneMatrix = {
      ok: true,
      reach: {},
      dns: {},
      failures: [],
      unverified: [],
      summary: "0/0 ok",
    };
    expect(renderStatus(base, m)).toContain("\nData plane\n");
  });

  test("a healthy lab says so and has no drift", () => {
    const t = renderStatus({
      ...base,
      hosts: [base.hosts[0]],
      drift: [],
      notes: [],
      healthy: true,
      exitCode: 0,
    });
    expect(t.split("\n")[0]).toBe("Lab r (172.16.16.0/24): healthy and as specified");
    expect(t).toContain("\nDrift: none\n");
  });
});
