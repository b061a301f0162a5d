import type * as pulumi from "@pulumi/pulumi";
import { mockRuntime, settle, valueOf } from "../mock-runtime";
import { fakePrivateKey } from "../../test/fake-key";

const hostKeys = {
  docker1: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIone",
  docker2: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItwo",
};
const registered = mockRuntime(
  "weave-lab-isolation",
  {
    "weave-lab-isolation:sshPrivateKey": fakePrivateKey("k"),
    "weave-lab-isolation:hostKeys": hostKeys,
  },
  ["weave-lab-isolation:sshPrivateKey"],
);
jest.setTimeout(120_000);

describe("examples/isolation", () => {
  let program: {
    weaveHosts: pulumi.Output<unknown>;
    weaveContainers: pulumi.Output<Record<string, { ip: string; cidr: string }>>;
  };
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("./index");
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

  it("puts dynamic containers in the default subnet, db1/db2 in 172.16.16.128/26 and fixed at 172.16.16.200", async () => {
    const declared = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/weave-lab:Container");
    const byKey = (a: [unknown, unknown], b: [unknown, unknown]): number =>
      String(a[0]).localeCompare(String(b[0]));
    expect(declared.map((r): [unknown, unknown] => [r.inputs.key, r.inputs.addressing]).sort(byKey)).toEqual([
      ["docker1/db1", { kind: "subnet", subnet: "172.16.16.128/26" }],
      ["docker1/web1", { kind: "dynamic", subnet: "172.16.16.0/25" }],
      ["docker2/db2", { kind: "subnet", subnet: "172.16.16.128/26" }],
      ["docker2/fixed", { kind: "static", cidr: "172.16.16.200/24", insideRange: true }],
      ["docker2/web2", { kind: "dynamic", subnet: "172.16.16.0/25" }],
    ]);
    const out = await valueOf(program.weaveContainers);
    const last = (ip: string): number => Number(ip.split(".")[3]);
    for (const k of ["docker1/web1", "docker2/web2"]) expect(last(out[k].ip)).toBeLessThan(128);
    for (const k of ["docker1/db1", "docker2/db2"]) {
      expect(last(out[k].ip)).toBeGreaterThanOrEqual(128);
      expect(last(out[k].ip)).toBeLessThan(192);
      expect(out[k].cidr.endsWith("/26")).toBe(true);
    }
    expect(out["docker2/fixed"].cidr).toBe("172.16.16.200/24");
  });
});
