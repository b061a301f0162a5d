/**
 * `WeaveNetwork` under Pulumi's mock runtime: the resources it declares for a four-host spec,
 * with their inputs; secrets arrive as secrets; a bad spec throws at construction listing every
 * problem and declares nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { WeaveNetwork, NETWORK_TYPE } from "../../components/network";
import { ROUTER_TYPE } from "../../components/providers/router";
import { GATE_TYPE } from "../../components/providers/gate";
import { fakePrivateKey } from "../fake-key";

jest.setTimeout(60_000);

const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

interface Seen {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  parent?: string;
}
const seen: Seen[] = [];

const isSecret = (v: unknown): boolean =>
  !!v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_KEY] === SECRET_SIG;
const unwrap = (v: unknown): unknown => {
  if (isSecret(v)) return unwrap((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map(unwrap);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  return v;
};
/** Paths of every string in `v` equal to `needle` (to prove a secret appears nowhere else). */
const pathsOf = (v: unknown, needle: string, at = ""): string[] => {
  if (typeof v === "string") return v.includes(needle) ? [at] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => pathsOf(x, needle, `${at}[${i}]`));
  if (v && typeof v === "object")
    return Object.entries(v).flatMap(([k, x]) => pathsOf(x, needle, `${at}.${k}`));
  return [];
};

beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        seen.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        const state: Record<string, unknown> = { ...(unwrap(args.inputs) as Record<string, unknown>) };
        if (args.type === ROUTER_TYPE) {
          state.status = "running";
          state.containerId = `${args.name}-cid`;
          // docker3's router found its peers' ring and joined it.
          state.rejoined = args.name === "lab-docker3";
        }
        if (args.type === GATE_TYPE) {
          const hosts = state.hosts as Array<{
            host: string;
            peerName: string;
            nickname: string;
            address: string;
            predictedShare?: unknown[];
          }>;
          state.healthy = true;
          state.results = Object.fromEntries(
            hosts.map((h) => [h.host, { ...h, shares: h.predictedShare ?? [], size: 64 }]),
          );
        }
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "weave-lab-test",
    "dev",
    false,
  ),
);

const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 20));
};

const KEY = fakePrivateKey("TEST-PRIVATE-KEY-MATERIAL");
const PASSWORD = "correct-horse-battery-staple-password";
const hosts = ["docker1", "docker2", "docker3", "docker4"].map((name, i) => ({
  name,
  address: `10.10.10.${101 + i}`,
  ssh: { privateKey: pulumi.secret(KEY), hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${name}` },
}));

describe("WeaveNetwork (mock runtime)", () => {
  let net: WeaveNetwork;
  beforeAll(async () => {
    net = new WeaveNetwork("lab", {
      name: "textbook",
      network: { allocRange: "172.16.16.0/24", password: pulumi.secret(PASSWORD) },
      hosts,
    });
    await valueOf(net.healthy);
    await settle();
  });

  test("declares the component, one router per host and a consensus gate, all under the component", () => {
    const mine = seen.filter((s) => s.name === "lab" || s.name.startsWith("lab-"));
    expect(mine.map((s) => `${s.type} ${s.name}`).sort()).toEqual(
      [
        `${NETWORK_TYPE} lab`,
        `${ROUTER_TYPE} lab-docker1`,
        `${ROUTER_TYPE} lab-docker2`,
        `${ROUTER_TYPE} lab-docker3`,
        `${ROUTER_TYPE} lab-docker4`,
        `${GATE_TYPE} lab-consensus`,
      ].sort(),
    );
    expect(Object.keys(net.routers)).toEqual(["docker1", "docker2", "docker3", "docker4"]);
  });

  test("children are parented to the component (their URNs nest under weave-lab:index:Network)", async () => {
    const urns = await Promise.all([...Object.values(net.routers), net.gate].map((r) => valueOf(r.urn)));
    for (const u of urns) expect(u).toContain(`${NETWORK_TYPE}$pulumi-nodejs:dynamic/weave-lab:`);
  });

  test("each router gets its planned launch, peers, range and seed list; the password is only in secretEnv", () => {
    const r = seen.find((s) => s.name === "lab-docker2")!;
    const inputs = unwrap(r.inputs) as Record<string, unknown>;
    expect(inputs).toMatchObject({
      lab: "textbook",
      host: "docker2",
      address: "10.10.10.102",
      nickname: "docker2",
      allocRange: "172.16.16.0/24",
      defaultSubnet: "172.16.16.0/24",
      bootstrap: "seed",
      encrypted: true,
      resetForeignRouters: false,
      forgetUnreachableOnDestroy: false,
    });
    const launch = inputs.launch as { argv: string[]; secretEnv: string[] };
    expect(launch.argv.slice(0, 2)).toEqual(["/usr/local/bin/weave", "launch"]);
    expect(launch.argv.slice(-3)).toEqual(["10.10.10.101", "10.10.10.103", "10.10.10.104"]);
    expect(launch.secretEnv).toEqual(["WEAVE_PASSWORD"]);
    expect(launch.argv.join(" ")).not.toContain(PASSWORD);
    const seeds = inputs.seedNames as string[];
    expect(seeds).toHaveLength(4);
    expect(launch.argv).toContain(`seed=${seeds.join(",")}`);
    expect((inputs.peers as Array<{ host: string }>).map((p) => p.host)).toEqual([
      "docker1",
      "docker3",
      "docker4",
    ]);
    expect((inputs.predictedShare as Array<{ size: number }>).map((s) => s.size)).toEqual([64]);
  });

  test("SSH keys and the Weave password reach the providers only inside secret inputs; peers carry no key, their credentials are a secret field of their own", () => {
    for (const s of seen.filter((x) => x.type === ROUTER_TYPE && x.name.startsWith("lab-"))) {
      expect(isSecret(s.inputs.connection)).toBe(true);
      expect(isSecret(s.inputs.password)).toBe(true);
      expect(isSecret(s.inputs.peerCredentials)).toBe(true);
      expect((unwrap(s.inputs.connection) as { privateKey: string }).privateKey).toBe(KEY);
      expect(unwrap(s.inputs.password)).toBe(PASSWORD);
      const creds = unwrap(s.inputs.peerCredentials) as Record<string, { privateKey: string }>;
      const others = (unwrap(s.inputs.peers) as Array<{ host: string }>).map((p) => p.host);
      expect(Object.keys(creds).sort()).toEqual([...others].sort());
      expect(Object.values(creds).map((c) => c.privateKey)).toEqual(others.map(() => KEY));
      // Outside the secret fields, neither the key nor the password appears (peers included).
      const plain = Object.fromEntries(
        Object.entries(s.inputs).filter(([k]) => !["connection", "peerCredentials", "password"].includes(k)),
      );
      expect(pathsOf(unwrap(plain), "TEST-PRIVATE-KEY-MATERIAL")).toEqual([]);
      expect(pathsOf(unwrap(plain), PASSWORD)).toEqual([]);
      const peers = unwrap(s.inputs.peers) as Array<{ host: string; ssh: Record<string, unknown> }>;
      expect(peers).toHaveLength(3);
      for (const p of peers) {
        expect(Object.keys(p).sort()).toEqual(["address", "host", "peerName", "ssh"]);
        expect(p.ssh.hostKey).toBe(`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${p.host}`);
        expect(p.ssh).not.toHaveProperty("privateKey");
      }
    }
    const gate = seen.find((s) => s.name === "lab-consensus")!;
    // Pulumi marks the whole field secret when a nested value is.
    expect(isSecret(gate.inputs.hosts)).toBe(true);
    const gateHosts = unwrap(gate.inputs.hosts) as Array<Record<string, unknown>>;
    expect(gateHosts.map((h) => (h.connection as { privateKey: string }).privateKey)).toEqual([
      KEY,
      KEY,
      KEY,
      KEY,
    ]);
    const outsideConnections = {
      ...gate.inputs,
      hosts: gateHosts.map((h) => ({ ...h, connection: undefined })),
    };
    expect(pathsOf(unwrap(outsideConnections), "TEST-PRIVATE-KEY-MATERIAL")).toEqual([]);
    expect(pathsOf(net.plan, PASSWORD)).toEqual([]);
    expect(pathsOf(net.plan, "TEST-PRIVATE-KEY-MATERIAL")).toEqual([]);
  });

  test("the gate waits for every router's container id, knows which routers rejoined, and carries the consensus timeout", () => {
    const gate = unwrap(seen.find((s) => s.name === "lab-consensus")!.inputs) as Record<string, unknown>;
    expect(gate.routerIds).toEqual({
      docker1: "lab-docker1-cid",
      docker2: "lab-docker2-cid",
      docker3: "lab-docker3-cid",
      docker4: "lab-docker4-cid",
    });
    expect(gate.rejoinedHosts).toEqual(["docker3"]);
    expect(gate.timeoutSeconds).toBe(120);
    expect((gate.hosts as Array<{ host: string }>).map((h) => h.host)).toEqual([
      "docker1",
      "docker2",
      "docker3",
      "docker4",
    ]);
  });

  test("per-host outputs combine the plan (peer name, prediction) with the gate's verified shares and router status", async () => {
    const out = await valueOf(net.hosts);
    expect(Object.keys(out)).toEqual(["docker1", "docker2", "docker3", "docker4"]);
    for (const h of net.plan.hosts) {
      expect(out[h.name]).toEqual({
        peerName: h.peerName,
        nickname: h.name,
        address: h.address,
        shares: h.predictedShare,
        predictedShares: h.predictedShare,
        status: "running",
      });
    }
    expect(await valueOf(net.healthy)).toBe(true);
    const conn = await valueOf(net.connectionFor("docker3"));
    expect(conn).toMatchObject({
      hostName: "docker3",
      host: "10.10.10.103",
      port: 22,
      user: "root",
      privateKey: KEY,
    });
    expect(() => net.connectionFor("nope")).toThrow(
      /no host named "nope"; hosts are docker1, docker2, docker3, docker4/,
    );
  });

  test("a bad spec fails at construction with every problem, naming fields and values, and declares no router", () => {
    const before = seen.length;
    let err: unknown;
    try {
      new WeaveNetwork("bad", {
        network: { allocRange: "172.16.16.1/24", consensusTimeoutSeconds: 0 },
        hosts: [
          { name: "docker1", address: "10.10.10.101", ssh: { hostKey: "ssh-ed25519 AAAA" } },
          { name: "docker1", address: "10.10.10.300" },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain("network.allocRange");
    expect(msg).toContain("172.16.16.1/24");
    expect(msg).toContain("network.consensusTimeoutSeconds");
    expect(msg).toContain("hosts[1].name");
    expect(msg).toContain("hosts[1].address");
    expect(msg).toContain("hosts[1].ssh.hostKey");
    expect(msg.split("\n").filter((l) => /^\s*(network|hosts)[\w.\[\]]*: /.test(l))).toHaveLength(5);
    expect(pulumi.ResourceError.isInstance(err)).toBe(true);
    expect(seen.slice(before).filter((s) => s.type === ROUTER_TYPE || s.type === GATE_TYPE)).toEqual([]);
  });
});
