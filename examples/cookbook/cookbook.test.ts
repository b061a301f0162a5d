import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { mockRuntime, settle, valueOf } from "../mock-runtime";
import { planLab } from "../../components/plan";
import { fakePrivateKey } from "../../test/fake-key";

const hostKeys = Object.fromEntries(
  [1, 2, 3, 4].map((i) => [`docker${i}`, `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost${i}`]),
);
const registered = mockRuntime(
  "weave-lab-cookbook",
  {
    "weave-lab-cookbook:sshPrivateKey": fakePrivateKey("k"),
    "weave-lab-cookbook:hostKeys": hostKeys,
  },
  ["weave-lab-cookbook:sshPrivateKey"],
);
jest.setTimeout(120_000);

describe("examples/cookbook", () => {
  let program: {
    weaveHosts: pulumi.Output<Record<string, { shares: { cidr: string }[] }>>;
    weaveContainers: pulumi.Output<Record<string, { ip: string; fqdn: string }>>;
  };
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("./index");
    await valueOf(program.weaveHosts);
    await settle();
  });

  it("declares a router on each of the four textbook hosts with the same range, pinned keys and a seed of all four", () => {
    const routers = registered.filter((r) => r.type.endsWith(":Router"));
    expect(routers.map((r) => r.inputs.address)).toEqual([
      "10.10.10.101",
      "10.10.10.102",
      "10.10.10.103",
      "10.10.10.104",
    ]);
    for (const [i, r] of routers.entries()) {
      expect(r.inputs.allocRange).toBe("172.16.16.0/24");
      expect((r.inputs.seedNames as string[]).length).toBe(4);
      const conn = r.inputs.connection as {
        hostKey: string;
        privateKey: string;
        insecureIgnoreHostKey: boolean;
      };
      expect(conn.hostKey).toBe(hostKeys[`docker${i + 1}`]);
      expect(conn.insecureIgnoreHostKey).toBe(false);
      const argv = (r.inputs.launch as { argv: string[] }).argv;
      expect(argv.slice(argv.indexOf("--ipalloc-range"), argv.indexOf("--ipalloc-range") + 2)).toEqual([
        "--ipalloc-range",
        "172.16.16.0/24",
      ]);
    }
    expect(registered.filter((r) => r.type.endsWith(":ConsensusGate"))).toHaveLength(1);
    expect(registered.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
  });

  it("exports each host's quarter of the range", async () => {
    const hosts = await valueOf(program.weaveHosts);
    expect(
      Object.values(hosts)
        .map((h) => h.shares.map((s) => s.cidr)[0])
        .sort(),
    ).toEqual(["172.16.16.0/26", "172.16.16.128/26", "172.16.16.192/26", "172.16.16.64/26"]);
  });

  it("runs web1 on docker1, web2 on docker2 and a second web1 on docker3", async () => {
    const declared = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/weave-lab:Container");
    expect(declared.map((r) => String(r.inputs.key)).sort()).toEqual([
      "docker1/web1",
      "docker2/web2",
      "docker3/web1",
    ]);
    const out = await valueOf(program.weaveContainers);
    expect(Object.keys(out)).toEqual(["docker1/web1", "docker2/web2", "docker3/web1"]);
    expect(out["docker3/web1"].fqdn).toBe("web1.weave.local");
    for (const c of Object.values(out)) expect(c.ip).toMatch(/^172\.16\.16\./);
  });

  it("quotes, in its commented mistake, what the planner really says about the wrong-range docker4", () => {
    let message = "";
    try {
      planLab({
        network: { allocRange: "172.16.16.0/24" },
        hosts: [1, 2, 3, 4].map((i) => ({
          name: `docker${i}`,
          address: `10.10.10.10${i}`,
          ssh: { hostKey: hostKeys[`docker${i}`] },
          ...(i === 4 ? { extraLaunchArgs: ["--ipalloc-range", "172.64.65.0/24"] } : {}),
        })),
      });
    } catch (e) {
      message = (e as Error).message;
    }
    const line = message
      .split("\n")
      .find((l) => l.includes("hosts[3].extraLaunchArgs[0]"))!
      .trim();
    expect(fs.readFileSync(path.join(__dirname, "index.ts"), "utf8")).toContain(`//   ${line}\n`);
  });
});
