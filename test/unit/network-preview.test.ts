/**
 * `WeaveNetwork` in a preview whose host keys and SSH keys are not known yet (a local lab: its
 * hosts are containers not created yet). It still plans what it can: every router's launch,
 * peers (names and addresses) and range, and the gate's hosts, are known; only what depends on
 * the unknown keys is unknown, and nothing fails.
 */
import * as pulumi from "@pulumi/pulumi";
import { WeaveNetwork } from "../../components/network";
import { GATE_TYPE } from "../../components/providers/gate";
import { ROUTER_TYPE } from "../../components/providers/router";
import { UNKNOWN } from "../../components/providers/unknowns";
import { FakeMachine } from "./fake-machine";

jest.setTimeout(60_000);

interface Seen {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const seen: Seen[] = [];

beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        seen.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        // A preview: a new resource's outputs are not known (only its inputs echo back).
        return { id: undefined, state: {} };
      },
      call: (args) => args.inputs,
    },
    "weave-lab-test",
    "dev",
    true,
  ),
);

/** A stand-in for a local lab host container: its key outputs are unknown in a preview. */
class FakeHost extends pulumi.CustomResource {
  declare readonly hostKey: pulumi.Output<string>;
  declare readonly privateKey: pulumi.Output<string>;
  constructor(name: string) {
    super("test:index:Host", name, { hostKey: undefined, privateKey: undefined });
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 20));
};

test("a preview with unknown host keys still plans every router's launch, peers and range, and the gate's hosts", async () => {
  const hosts = ["h1", "h2", "h3"].map((name, i) => {
    const fake = new FakeHost(`host-${name}`);
    return {
      name,
      address: `10.10.10.${101 + i}`,
      ssh: { host: "127.0.0.1", port: 2201 + i, privateKey: fake.privateKey, hostKey: fake.hostKey },
    };
  });
  const net = new WeaveNetwork("lab", { name: "local", network: { allocRange: "172.16.16.0/24" }, hosts });
  expect(Object.keys(net.routers)).toEqual(["h1", "h2", "h3"]);
  await settle();
  const r = seen.find((s) => s.type === ROUTER_TYPE && s.name === "lab-h2");
  expect(r).toBeDefined();
  const inputs = r!.inputs;
  expect((inputs.launch as { argv: string[] }).argv.slice(-2)).toEqual(["10.10.10.101", "10.10.10.103"]);
  expect(inputs.allocRange).toBe("172.16.16.0/24");
  const peers = inputs.peers as Array<Record<string, unknown>>;
  expect(Array.isArray(peers)).toBe(true);
  expect(peers.map((p) => [p.host, p.address])).toEqual([
    ["h1", "10.10.10.101"],
    ["h3", "10.10.10.103"],
  ]);
  expect(peers.every((p) => typeof p.peerName === "string" && p.peerName !== UNKNOWN)).toBe(true);
  const gate = seen.find((s) => s.type === GATE_TYPE);
  expect(gate).toBeDefined();
  expect(gate!.inputs.timeoutSeconds).toBe(120);
  expect(gate!.inputs.allocRange).toBe("172.16.16.0/24");
});

/** Pulumi's unknown, as the mock monitor hands it over (an `Unknown` object) or serialised. */
const unknown = (v: unknown): boolean =>
  v === UNKNOWN ||
  (typeof v === "object" && v !== null && (v as { __pulumiUnknown?: boolean }).__pulumiUnknown === true);

test("a preview with hosts whose addresses come from other resources plans peer names, seeds and the split; addresses, launches and connections wait", async () => {
  const hosts = ["v1", "v2", "v3"].map((name) => ({
    name,
    address: new FakeMachine(`machine-${name}`).ip,
    ssh: { insecureIgnoreHostKey: true },
  }));
  const net = new WeaveNetwork("vms", { name: "vms", network: { allocRange: "172.16.17.0/24" }, hosts });
  expect(net.plan.hosts.map((h) => [h.address, h.atDeploy])).toEqual([
    ["<address of v1>", ["address"]],
    ["<address of v2>", ["address"]],
    ["<address of v3>", ["address"]],
  ]);
  await settle();
  const routers = seen.filter((s) => s.type === ROUTER_TYPE && s.name.startsWith("vms-"));
  expect(routers.map((r) => r.name)).toEqual(["vms-v1", "vms-v2", "vms-v3"]);
  const planned = new Map(net.plan.hosts.map((h) => [h.name, h]));
  for (const r of routers) {
    const i = r.inputs;
    const h = planned.get(String(i.host))!;
    // Known: the router's identity and the ring it will join.
    expect([i.peerName, i.nickname, i.seedNames, i.predictedShare, i.allocRange]).toEqual([
      h.peerName,
      h.name,
      net.plan.hosts.map((x) => x.peerName).sort(),
      h.predictedShare,
      "172.16.17.0/24",
    ]);
    expect(h.predictedShare!.length).toBeGreaterThan(0);
    // Waiting on the machines: where the host is, and what names it (launch peers, SSH).
    expect([i.address, i.launch, i.connection].map(unknown)).toEqual([true, true, true]);
    const peers = i.peers as Array<Record<string, unknown>>;
    expect(peers.map((p) => [p.host, p.peerName, unknown(p.address)])).toEqual(
      net.plan.hosts.filter((x) => x.name !== h.name).map((x) => [x.name, x.peerName, true]),
    );
  }
  const gate = seen.find((s) => s.type === GATE_TYPE && s.name === "vms-consensus");
  const gateHosts = gate!.inputs.hosts as Array<Record<string, unknown>>;
  expect(gateHosts.map((g) => [g.host, g.peerName, unknown(g.address)])).toEqual(
    net.plan.hosts.map((h) => [h.name, h.peerName, true]),
  );
});
