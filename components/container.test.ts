/**
 * WeaveContainer / WeaveDnsRecord under Pulumi's mock runtime (what they declare, with which
 * inputs, what is secret, what they wait for), and their providers after serialisation in a
 * fresh Node process (as Pulumi's dynamic-provider plugin runs them).
 */
import * as pulumi from "@pulumi/pulumi";
import { runSerialized, serializeProvider } from "../test/engine/serialize";
import type { ContainerInputs, ContainerOutputs } from "./providers/container-types";
import { fakePrivateKey } from "../test/fake-key";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
jest.setTimeout(120_000);
let registered: Registered[] = [];
const SECRET_KEY = "4dabf18193072939515e22adb298388d";

pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type.endsWith(":Container"))
        Object.assign(state, {
          containerId: "c".repeat(64),
          ip: "172.16.16.3",
          cidr: "172.16.16.3/24",
          mac: "6a:00:00:00:00:01",
          status: "running",
        });
      if (args.type.endsWith(":ConsensusGate")) Object.assign(state, { healthy: true, results: {} });
      return { id: `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
  },
  "weave-lab",
  "dev",
  false,
);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WeaveNetwork } = require("./network") as typeof import("./network");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WeaveContainer } = require("./container") as typeof import("./container");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WeaveDnsRecord } = require("./dns-record") as typeof import("./dns-record");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { containerProvider } = require("./providers/container") as typeof import("./providers/container");

const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 200));

function network(): InstanceType<typeof WeaveNetwork> {
  return new WeaveNetwork("lab", {
    name: "t",
    network: { allocRange: "172.16.16.0/24" },
    hosts: ["docker1", "docker2"].map((name, i) => ({
      name,
      address: `10.10.10.10${i + 1}`,
      ssh: {
        privateKey: pulumi.secret(fakePrivateKey("secret-key")),
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost",
      },
    })),
    dnsRecords: [{ name: "gw", ips: ["10.10.10.1"], host: "docker2" }],
  });
}

beforeEach(() => {
  registered = [];
});

describe("WeaveContainer under the mock runtime", () => {
  test("declares the component and its dynamic container with plain argv inputs, the SSH connection secret, after its host's router", async () => {
    const net = network();
    const c = new WeaveContainer("docker1-web1", {
      network: net,
      container: { name: "web1", host: "docker1", image: "lab/web:1", env: { A: "$(x)" }, dnsNames: ["www"] },
    });
    expect(await valueOf(c.ip)).toBe("172.16.16.3");
    expect(await valueOf(c.fqdn)).toBe("web1.weave.local");
    await settle();
    const comp = registered.find((r) => r.type === "weave-lab:index:Container");
    expect(comp?.name).toBe("docker1-web1");
    const res = registered.find((r) => r.type === "pulumi-nodejs:dynamic/weave-lab:Container");
    expect(res?.inputs).toMatchObject({
      key: "docker1/web1",
      image: "lab/web:1",
      env: { A: "$(x)" },
      addressing: { kind: "dynamic", subnet: "172.16.16.0/24" },
      fqdn: "web1.weave.local",
      extraFqdns: ["www.weave.local"],
      timeouts: { attachMs: 120000, commandMs: 60000 },
    });
    expect((res?.inputs.connection as Record<string, unknown>)[SECRET_KEY]).toBeDefined();
    expect(JSON.stringify(res?.inputs.image)).not.toContain(SECRET_KEY);
    // Seed mode, an address from docker1's own share: registered once docker1's router was (the
    // SDK waits for dependsOn before registering).
    const order = registered.map((r) => `${r.type}/${r.name}`);
    expect(order.indexOf("pulumi-nodejs:dynamic/weave-lab:Router/lab-docker1")).toBeLessThan(
      order.indexOf("pulumi-nodejs:dynamic/weave-lab:Container/docker1-web1"),
    );
  });

  test("a static address another host owns waits for the consensus gate (the claim needs that peer)", async () => {
    const net = network();
    const theirs = net.plan.hosts.find((h) => h.name === "docker2")!.predictedShare![0];
    const ip = theirs.start.replace(/\d+$/, (n) => String(Number(n) + 5));
    new WeaveContainer("docker1-claim", {
      network: net,
      container: { name: "claim", host: "docker1", image: "lab/web:1", address: `${ip}/24` },
    });
    await settle();
    const order = registered.map((r) => `${r.type}/${r.name}`);
    expect(order).toContain("pulumi-nodejs:dynamic/weave-lab:Container/docker1-claim");
    expect(order.indexOf("pulumi-nodejs:dynamic/weave-lab:ConsensusGate/lab-consensus")).toBeLessThan(
      order.indexOf("pulumi-nodejs:dynamic/weave-lab:Container/docker1-claim"),
    );
  });

  test("secretEnv reaches the dynamic container as a Pulumi secret only, never as plain input", async () => {
    const net = network();
    const value = "db-pa55-" + "x".repeat(8);
    const c = new WeaveContainer("docker2-db", {
      network: net,
      container: { name: "db", host: "docker2", image: "lab/web:1", env: { PLAIN: "1" } },
      secretEnv: { DB_PASSWORD: pulumi.secret(value) },
    });
    await valueOf(c.ip);
    await settle();
    const res = registered.find(
      (r) => r.type === "pulumi-nodejs:dynamic/weave-lab:Container" && r.name === "docker2-db",
    );
    const secretEnv = res?.inputs.secretEnv as Record<string, unknown>;
    expect(secretEnv[SECRET_KEY]).toBeDefined();
    const { secretEnv: _s, connection: _c, ...plain } = res!.inputs;
    expect(JSON.stringify(plain)).not.toContain(value);
    expect(plain.env).toEqual({ PLAIN: "1" });
  });

  test("a bad container spec fails at construction listing every problem", () => {
    const net = network();
    expect(
      () =>
        new WeaveContainer("bad", {
          network: net,
          container: { name: "Bad_Name", host: "docker7", image: "lab/web:1", subnet: "10.0.0.0/8" },
        }),
    ).toThrow(
      /containers\[0\]\.name[\s\S]*containers\[0\]\.host[\s\S]*docker7[\s\S]*containers\[0\]\.subnet/,
    );
  });

  test("WeaveDnsRecord registers a planned record on its host after that host's router, and refuses a host outside the network", async () => {
    const net = network();
    const rec = new WeaveDnsRecord("gw", { network: net, record: net.plan.dnsRecords[0] });
    expect(await valueOf(rec.fqdn)).toBe("gw.weave.local");
    await settle();
    expect(
      registered.find((r) => r.type === "pulumi-nodejs:dynamic/weave-lab:DnsRecord")?.inputs,
    ).toMatchObject({ host: "docker2", fqdn: "gw.weave.local", ips: ["10.10.10.1"] });
    expect(
      () => new WeaveDnsRecord("x", { network: net, record: { ...net.plan.dnsRecords[0], host: "nowhere" } }),
    ).toThrow(/record\.host: "nowhere" is not a host of the network; hosts are docker1, docker2/);
  });
});

describe("the Container provider after serialisation", () => {
  test("check and diff run from serialised text in a fresh Node process", async () => {
    const text = await serializeProvider(containerProvider);
    const inputs = {
      lab: "t",
      networkFingerprint: "f1",
      key: "docker1/web1",
      name: "web1",
      host: "docker1",
      image: "lab/web:1",
      command: [],
      env: {},
      ports: [],
      publishAll: false,
      restart: "no",
      hostname: "web1",
      addressing: { kind: "dynamic", subnet: "172.16.16.0/24" },
      extraFqdns: [],
      weave: { scriptPath: "weave" },
      timeouts: { attachMs: 1000, commandMs: 1000 },
      connection: {
        hostName: "docker1",
        host: "127.0.0.1",
        port: 1,
        user: "root",
        insecureIgnoreHostKey: true,
        sudo: false,
        connectTimeoutSeconds: 1,
      },
    } as ContainerInputs;
    const checked = await runSerialized<{ failures: unknown[] }>(text, "check", [
      {},
      { ...inputs, image: "" },
    ]);
    expect(checked.result.failures).toEqual([{ property: "image", reason: "image is required" }]);
    const olds: ContainerOutputs = {
      ...inputs,
      containerId: "c",
      ip: "1.2.3.4",
      cidr: "1.2.3.4/24",
      mac: "m",
      status: "running",
      statusDetail: "",
    };
    const diff = await runSerialized<{ replaces: string[] }>(text, "diff", [
      "id",
      olds,
      { ...inputs, image: "lab/web:2" },
    ]);
    expect(diff.result.replaces).toEqual(["image"]);
  }, 120_000);
});
