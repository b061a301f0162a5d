/**
 * `WeaveNetwork` with host addresses from other resources, in a deployment (not a preview): the
 * plan is made again once the addresses are known and fully checked; a bad one fails naming the
 * field and the value, and no router gets it.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { WeaveNetwork } from "../../components/network";
import { ROUTER_TYPE } from "../../components/providers/router";
import { FakeMachine, machineMocks } from "./fake-machine";

jest.setTimeout(60_000);

const seen: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
beforeAll(() => machineMocks((type, name, inputs) => seen.push({ type, name, inputs })));

/** The Output's value, or its failure (Output's own promise, which `apply` does not expose). */
const settled = <T>(o: pulumi.Output<T>): Promise<T> => (o as unknown as { promise(): Promise<T> }).promise();

const network = (name: string, ips: string[]): WeaveNetwork =>
  new WeaveNetwork(name, {
    name,
    network: { allocRange: "172.16.19.0/24" },
    hosts: ips.map((ip, i) => ({
      name: `m${i + 1}`,
      address: new FakeMachine(`${name}-machine-${i + 1}`, ip).ip,
      ssh: { insecureIgnoreHostKey: true },
    })),
  });

test("once the machines exist, the plan is made with their addresses: routers, peers and launches name them", async () => {
  const ips = ["192.0.2.11", "192.0.2.12", "192.0.2.13"];
  const net = network("good", ips);
  const plan = await settled(net.resolvedPlan);
  expect(plan.hosts.map((h) => [h.name, h.address, h.ssh.host, h.atDeploy])).toEqual([
    ["m1", ips[0], ips[0], ["address"]],
    ["m2", ips[1], ips[1], ["address"]],
    ["m3", ips[2], ips[2], ["address"]],
  ]);
  // What does not depend on addresses is the same as planned before they were known.
  expect(plan.hosts.map((h) => [h.peerName, h.predictedShare])).toEqual(
    net.plan.hosts.map((h) => [h.peerName, h.predictedShare]),
  );
  const hosts = await settled(net.hosts);
  expect(Object.values(hosts).map((h) => h.address)).toEqual(ips);
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 20));
  const r2 = seen.find((s) => s.type === ROUTER_TYPE && s.name === "good-m2")!;
  expect(r2.inputs.address).toBe(ips[1]);
  expect((r2.inputs.launch as { argv: string[] }).argv.slice(-2)).toEqual([ips[0], ips[2]]);
  expect((r2.inputs.peers as { address: string }[]).map((p) => p.address)).toEqual([ips[0], ips[2]]);
});

test("a duplicate address learned at deploy time fails the network once, naming the field, the value and the other host; no router is declared", () => {
  // In a process of its own, as a Pulumi program runs: what fails there is unhandled by design.
  const run = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join(__dirname, "deploy-time-failure.ts")],
    { encoding: "utf8", timeout: 60_000, cwd: path.resolve(__dirname, "../..") },
  );
  const out = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as {
    failures: string[];
    routers: string[];
  };
  expect(out.failures).toEqual([
    expect.stringContaining('hosts[1].address: "192.0.2.21" is already the address of hosts[0] (m1)'),
  ]);
  expect(out.routers).toEqual([]);
});
