import * as pulumi from "@pulumi/pulumi";
import { mockRuntime, settle, valueOf } from "../mock-runtime";

const registered = mockRuntime("weave-lab-hosts-from-resources", {});
jest.setTimeout(120_000);

describe("examples/hosts-from-resources", () => {
  let program: {
    weaveHosts: pulumi.Output<Record<string, { address: string; peerName: string }>>;
    plannedHosts: { name: string; address: string; peerName: string; predictedShares: string[] }[];
  };
  /** The address each machine's Docker container was given, by host name. */
  const dockerAddress = (): Record<string, string> =>
    Object.fromEntries(
      registered
        .filter((r) => r.type === "docker:index/container:Container")
        .map((r) => [
          r.inputs.hostname as string,
          (r.inputs.networksAdvanced as { ipv4Address: string }[])[0].ipv4Address,
        ]),
    );
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("./index");
    await valueOf(program.weaveHosts);
    await settle();
  });

  it("plans peer names and each host's share before any address is known", () => {
    expect(program.plannedHosts.map((h) => [h.name, h.address])).toEqual([
      ["docker1", "<address of docker1>"],
      ["docker2", "<address of docker2>"],
      ["docker3", "<address of docker3>"],
    ]);
    const shares = program.plannedHosts.flatMap((h) => h.predictedShares);
    // The three shares cover the range once: 172.16.18.0/24 split over three peers.
    expect(shares.length).toBeGreaterThanOrEqual(3);
    const size = shares.reduce((n, c) => n + 2 ** (32 - Number(c.split("/")[1])), 0);
    expect(size).toBe(256);
    expect(new Set(program.plannedHosts.map((h) => h.peerName)).size).toBe(3);
  });

  it("launches each router with the address Docker reports, and names the others' addresses as its peers", () => {
    const addr = dockerAddress();
    expect(Object.keys(addr).sort()).toEqual(["docker1", "docker2", "docker3"]);
    const routers = registered.filter((r) => r.type.endsWith(":Router"));
    expect(routers.map((r) => [r.inputs.host, r.inputs.address])).toEqual(
      ["docker1", "docker2", "docker3"].map((h) => [h, addr[h]]),
    );
    for (const r of routers) {
      const others = ["docker1", "docker2", "docker3"].filter((h) => h !== r.inputs.host).map((h) => addr[h]);
      const argv = (r.inputs.launch as { argv: string[] }).argv;
      expect(argv.slice(-2)).toEqual(others);
      expect(argv.join(" ")).not.toContain("<address of");
      const peers = r.inputs.peers as { address: string }[];
      expect(peers.map((p) => p.address)).toEqual(others);
    }
    const gate = registered.find((r) => r.type.endsWith(":ConsensusGate"));
    expect((gate!.inputs.hosts as { address: string }[]).map((h) => h.address)).toEqual(
      ["docker1", "docker2", "docker3"].map((h) => addr[h]),
    );
  });

  it("reports each host with the address it was given", async () => {
    const addr = dockerAddress();
    const hosts = await valueOf(program.weaveHosts);
    expect(Object.fromEntries(Object.entries(hosts).map(([k, h]) => [k, h.address]))).toEqual(addr);
  });
});
