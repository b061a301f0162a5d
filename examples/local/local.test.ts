import * as pulumi from "@pulumi/pulumi";
import { mockRuntime, settle, valueOf } from "../mock-runtime";

const registered = mockRuntime("weave-lab-local", {});
jest.setTimeout(120_000);

describe("examples/local", () => {
  let program: {
    weaveHosts: pulumi.Output<unknown>;
    sshCommands: Record<string, string>;
    sshPrivateKey: pulumi.Output<string>;
  };
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("./index");
    await valueOf(program.weaveHosts);
    await settle();
  });

  it("declares two Docker-in-Docker hosts with their own ports and names, through one Docker provider", () => {
    const containers = registered.filter((r) => r.type === "docker:index/container:Container");
    expect(
      containers.map((c) => [c.inputs.name, (c.inputs.ports as { external: number; ip: string }[])[0]]),
    ).toEqual([
      [
        "weave-lab-example-local-dev-docker1",
        { internal: 22, external: 2211, ip: "127.0.0.1", protocol: "tcp" },
      ],
      [
        "weave-lab-example-local-dev-docker2",
        { internal: 22, external: 2212, ip: "127.0.0.1", protocol: "tcp" },
      ],
    ]);
    for (const c of containers) expect(c.inputs.privileged).toBe(true);
    expect(registered.filter((r) => r.type === "pulumi:providers:docker")).toHaveLength(1);
    expect(registered.find((r) => r.type === "docker:index/network:Network")?.inputs.ipamConfigs).toEqual([
      { subnet: "10.10.11.0/24", gateway: "10.10.11.1" },
    ]);
  });

  it("builds the Weave network on them, reaching each over its published port with its pinned host key", async () => {
    const routers = registered.filter((r) => r.type.endsWith(":Router"));
    expect(routers.map((r) => [r.inputs.address, (r.inputs.connection as { port: number }).port])).toEqual([
      ["10.10.11.101", 2211],
      ["10.10.11.102", 2212],
    ]);
    expect((routers[0].inputs.connection as { hostKey: string }).hostKey).toContain("local-docker1-host-key");
    expect(program.sshCommands.docker2).toBe(
      "ssh -i id_ed25519 -o UserKnownHostsFile=known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -p 2212 root@127.0.0.1",
    );
    expect(await pulumi.isSecret(program.sshPrivateKey)).toBe(true);
  });

  it("runs web1 and web2 from the hosts' own lab/web:1 image", () => {
    const declared = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/weave-lab:Container");
    expect(declared.map((r) => [r.inputs.key, r.inputs.image]).sort()).toEqual([
      ["docker1/web1", "lab/web:1"],
      ["docker2/web2", "lab/web:1"],
    ]);
  });
});
