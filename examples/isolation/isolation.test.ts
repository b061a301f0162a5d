import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { mockRuntime, settle, valueOf } from "../mock-runtime";
import { planLab } from "../../components/plan";

const hostKeys = {
  docker1: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIone",
  docker2: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItwo",
};
const registered = mockRuntime(
  "weave-lab-isolation",
  {
    "weave-lab-isolation:sshPrivateKey":
      "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----\n",
    "weave-lab-isolation:hostKeys": hostKeys,
  },
  ["weave-lab-isolation:sshPrivateKey"],
);
jest.setTimeout(120_000);

describe("examples/isolation", () => {
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require("./index") as { weaveHosts: pulumi.Output<unknown> };
    await valueOf(program.weaveHosts);
    await settle();
  });

  it("launches every router with the range and the default subnet that keeps the upper half free", () => {
    const routers = registered.filter((r) => r.type.endsWith(":Router"));
    expect(routers).toHaveLength(2);
    for (const r of routers) {
      expect([r.inputs.allocRange, r.inputs.defaultSubnet]).toEqual(["172.16.16.0/24", "172.16.16.0/25"]);
      const argv = (r.inputs.launch as { argv: string[] }).argv;
      expect(argv[argv.indexOf("--ipalloc-default-subnet") + 1]).toBe("172.16.16.0/25");
    }
  });

  it("plans dynamic containers in the default subnet, db1/db2 in 172.16.16.128/26 and one static address", () => {
    // The same containers the example declares, planned as the program plans them.
    const src = fs.readFileSync(path.join(__dirname, "index.ts"), "utf8");
    expect(src).toContain('subnet: "172.16.16.128/26"');
    const plan = planLab({
      network: { allocRange: "172.16.16.0/24", defaultSubnet: "172.16.16.0/25" },
      hosts: [
        { name: "docker1", address: "10.10.10.101", ssh: { hostKey: hostKeys.docker1 } },
        { name: "docker2", address: "10.10.10.102", ssh: { hostKey: hostKeys.docker2 } },
      ],
      containers: [
        { name: "web1", host: "docker1", image: "nginx:alpine" },
        { name: "web2", host: "docker2", image: "nginx:alpine" },
        { name: "db1", host: "docker1", image: "redis:alpine", subnet: "172.16.16.128/26" },
        { name: "db2", host: "docker2", image: "redis:alpine", subnet: "172.16.16.128/26" },
        { name: "fixed", host: "docker2", image: "nginx:alpine", address: "172.16.16.200/24" },
      ],
    });
    expect(plan.containers.map((c) => [c.key, c.addressing])).toEqual([
      ["docker1/web1", { kind: "dynamic", subnet: "172.16.16.0/25" }],
      ["docker2/web2", { kind: "dynamic", subnet: "172.16.16.0/25" }],
      ["docker1/db1", { kind: "subnet", subnet: "172.16.16.128/26" }],
      ["docker2/db2", { kind: "subnet", subnet: "172.16.16.128/26" }],
      ["docker2/fixed", { kind: "static", cidr: "172.16.16.200/24", insideRange: true }],
    ]);
    expect(plan.warnings).toEqual([]);
  });
});
