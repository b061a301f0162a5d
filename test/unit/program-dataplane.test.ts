/**
 * The lab program declares one data-plane check after its containers and records, fed with the
 * containers' live ids and addresses, their declared names, the records, and (secret) SSH
 * settings of the hosts that run containers.
 */
import type { ConfigSource } from "../../components/config";
import { mockRuntime, settle, valueOf } from "../../examples/mock-runtime";
import { fakePrivateKey } from "../fake-key";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const registered = mockRuntime("weave-lab", {}, [], "dev");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { labProgram } = require("../../components/program") as typeof import("../../components/program");

jest.setTimeout(120_000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-dataplane-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function config(values: Record<string, unknown>, secrets: string[]): ConfigSource {
  return {
    get: (k) =>
      values[k] === undefined
        ? undefined
        : typeof values[k] === "string"
          ? (values[k] as string)
          : JSON.stringify(values[k]),
    isSecret: (k) => secrets.includes(k),
  };
}

test("one DataPlaneCheck after the containers and records, with their addresses, names and the hosts' connections", async () => {
  const key = fakePrivateKey();
  const out = labProgram(
    config(
      {
        "weave-lab:outputDir": tmp,
        "weave-lab:name": "dp",
        "weave-lab:network": { allocRange: "172.16.16.0/24" },
        "weave-lab:hosts": [1, 2, 3].map((i) => ({
          name: `docker${i}`,
          address: `10.10.10.10${i}`,
          ssh: { hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost${i}` },
        })),
        "weave-lab:containers": [
          { name: "web1", host: "docker1", image: "busybox" },
          { name: "web2", host: "docker2", image: "busybox", dnsNames: ["www"] },
        ],
        "weave-lab:dnsRecords": [{ name: "gw", ips: ["10.10.10.1"] }],
        "weave-lab:sshPrivateKey": key,
      },
      ["weave-lab:sshPrivateKey"],
    ),
  );
  await valueOf(out.containers);
  await settle();
  const checks = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/weave-lab:DataPlaneCheck");
  expect(checks.map((c) => c.name)).toEqual(["dataplane"]);
  const inputs = checks[0].inputs as {
    lab: string;
    containers: Array<{
      key: string;
      containerId: string;
      cidr: string;
      names: string[];
      usesWeaveDns: boolean;
    }>;
    records: unknown;
    connections: Record<string, { host: string; privateKey?: string }>;
  };
  expect(inputs.lab).toBe("dp");
  expect(inputs.containers.map((c) => [c.key, c.names, c.usesWeaveDns])).toEqual([
    ["docker1/web1", ["web1.weave.local"], true],
    ["docker2/web2", ["web2.weave.local", "www.weave.local"], true],
  ]);
  // The live values from the containers (the mock gives each an id and an address).
  for (const c of inputs.containers) {
    expect(c.containerId).toMatch(/-0123456789abcdef$/);
    expect(c.cidr).toMatch(/^172\.16\.16\.\d+\/24$/);
  }
  expect(inputs.records).toEqual([{ fqdn: "gw.weave.local", ips: ["10.10.10.1"] }]);
  // Only hosts that run containers are reached; the key travels as the hosts' own setting.
  expect(Object.keys(inputs.connections).sort()).toEqual(["docker1", "docker2"]);
  expect(inputs.connections.docker1.host).toBe("10.10.10.101");
  expect(inputs.connections.docker1.privateKey).toBe(key);
});
