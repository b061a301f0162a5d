/**
 * The lab program under Pulumi's mock runtime: which resources it declares, with which inputs,
 * for a local lab (no hosts configured) and for configured hosts, and what it exports.
 * The mocks answer as the real providers would on success: key pairs get keys, routers report
 * running, the consensus gate reports the predicted shares.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { ConfigSource } from "../../components/config";
import { mockRuntime, Registered } from "../../examples/mock-runtime";
import { fakePrivateKey } from "../fake-key";

// Answers as the providers would on success (keys generated, routers running, the gate reporting
// the planned shares, containers attached); see examples/mock-runtime.ts.
const registered = mockRuntime("weave-lab", {}, [], "dev");

type ProgramModule = typeof import("../../components/program");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const program = require("../../components/program") as ProgramModule;
const { labProgram, runtimeConfigSource } = program;

const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));
/** Lets every pending registration reach the mock monitor. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
};

function config(values: Record<string, unknown>, secrets: string[] = []): ConfigSource {
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
const ofType = (t: string): Registered[] => registered.filter((r) => r.type === t);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-program-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const archive = path.join(tmp, "rajch-images.tar");
fs.writeFileSync(archive, "not really an archive");
beforeEach(() => {
  registered.length = 0;
});
// Registering dynamic resources serialises their providers: slow under the mock runtime.
jest.setTimeout(120_000);

describe("the program with no hosts configured (local lab)", () => {
  it("declares one Docker provider, the lab network, the host image and privileged hosts with SSH on 127.0.0.1", async () => {
    const out = labProgram(config({ "weave-lab:outputDir": tmp }));
    await valueOf(out.hosts);
    await settle();

    const providers = ofType("pulumi:providers:docker");
    expect(providers.map((p) => p.name)).toEqual(["local-docker"]);
    const dockerResources = registered.filter((r) => r.type.startsWith("docker:"));
    expect(dockerResources.length).toBe(1 + 1 + 1 + 3); // network, image, cache volume, 3 hosts
    for (const r of dockerResources) expect(r.provider).toMatch(/::local-docker::local-docker-id$/);

    const [net] = ofType("docker:index/network:Network");
    expect(net.inputs).toMatchObject({
      name: "weave-lab-dev",
      driver: "bridge",
      ipamConfigs: [{ subnet: "10.10.10.0/24", gateway: "10.10.10.1" }],
    });

    const [image] = ofType("docker:index/image:Image");
    expect(image.inputs).toMatchObject({
      skipPush: true,
      build: {
        args: {
          BASE_IMAGE: "debian:bookworm-slim",
          WEAVE_DISTRIBUTION: "weaveworks",
          WEAVE_VERSION: "2.8.1",
        },
      },
    });
    expect(String(image.inputs.imageName)).toMatch(/^weave-lab-host:weaveworks-2\.8\.1-[0-9a-f]{16}$/);
    expect(path.basename(String((image.inputs.build as { context: string }).context))).toBe("host");

    const hosts = ofType("docker:index/container:Container");
    expect(hosts.map((h) => [h.name, h.inputs.name, h.inputs.hostname])).toEqual([
      ["docker1", "weave-lab-dev-docker1", "docker1"],
      ["docker2", "weave-lab-dev-docker2", "docker2"],
      ["docker3", "weave-lab-dev-docker3", "docker3"],
    ]);
    hosts.forEach((h, i) => {
      expect(h.inputs.privileged).toBe(true);
      expect(h.inputs.ports).toEqual([
        { internal: 22, external: 2201 + i, ip: "127.0.0.1", protocol: "tcp" },
      ]);
      expect(h.inputs.networksAdvanced).toEqual([
        { name: "weave-lab-dev", ipv4Address: `10.10.10.${101 + i}`, aliases: [`docker${i + 1}`] },
      ]);
      const uploads = h.inputs.uploads as { file: string; content: string }[];
      expect(uploads.map((u) => u.file)).toEqual([
        "/etc/ssh/ssh_host_ed25519_key",
        "/etc/ssh/ssh_host_ed25519_key.pub",
        "/root/.ssh/authorized_keys",
      ]);
      // Each host gets its own host key; every host authorises the one client key.
      expect(uploads[0].content).toContain(`local-docker${i + 1}-host-key`);
      expect(uploads[2].content).toContain("local-client-key");
      expect(h.inputs.wait).toBe(true);
    });
  });

  it("generates the client key and one host key per host, keeping private keys secret", async () => {
    const out = labProgram(config({ "weave-lab:outputDir": tmp }));
    await valueOf(out.hosts);
    await settle();
    const keys = registered.filter((r) => r.name.endsWith("-key"));
    expect(keys.map((k) => k.name)).toEqual([
      "local-client-key",
      "local-docker1-host-key",
      "local-docker2-host-key",
      "local-docker3-host-key",
    ]);
    expect(keys.map((k) => k.inputs.comment)).toEqual([
      "weave-lab dev client",
      "weave-lab dev docker1 host key",
      "weave-lab dev docker2 host key",
      "weave-lab dev docker3 host key",
    ]);
    expect(await pulumi.isSecret(out.sshPrivateKey!)).toBe(true);
    expect(await valueOf(out.knownHosts!)).toBe(
      [1, 2, 3]
        .map((i) => `[127.0.0.1]:${2200 + i} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlocal-docker${i}-host-key`)
        .join("\n") + "\n",
    );
  });

  it("then builds the Weave network on those hosts, reaching each through its published port with its pinned key", async () => {
    const out = labProgram(config({ "weave-lab:outputDir": tmp }));
    const hosts = await valueOf(out.hosts);
    await settle();
    const routers = registered.filter((r) => r.type.endsWith(":Router"));
    expect(routers.map((r) => r.name)).toEqual(["lab-docker1", "lab-docker2", "lab-docker3"]);
    routers.forEach((r, i) => {
      const c = r.inputs.connection as {
        host: string;
        port: number;
        user: string;
        hostKey: string;
        insecureIgnoreHostKey: boolean;
      };
      expect(c).toMatchObject({
        host: "127.0.0.1",
        port: 2201 + i,
        user: "root",
        insecureIgnoreHostKey: false,
      });
      expect(c.hostKey).toContain(`local-docker${i + 1}-host-key`);
    });
    expect(out.mode).toBe("local");
    expect(out.allocRange).toBe("172.16.16.0/24");
    expect(Object.keys(hosts)).toEqual(["docker1", "docker2", "docker3"]);
    expect(hosts.docker1.address).toBe("10.10.10.101");
    expect(hosts.docker1.ssh).toBe(
      "ssh -i .lab-state/dev/id_ed25519 -o UserKnownHostsFile=.lab-state/dev/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -p 2201 root@127.0.0.1",
    );
    // Three seeds on a /24: one /25 and two /26 (recursive halving), summing to the whole range.
    const sizes = Object.values(hosts).map((h) => Number(h.share.split(" ")[0]));
    expect(sizes.sort((a, b) => a - b)).toEqual([64, 64, 128]);
  });

  it("runs the textbook web1/web2 pair (lab/web:1) on the first two hosts and exports their addresses", async () => {
    const out = labProgram(config({ "weave-lab:outputDir": tmp }));
    const containers = await valueOf(out.containers);
    await settle();
    const declared = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/weave-lab:Container");
    expect(
      declared.map((r) => [r.inputs.key, r.inputs.image, (r.inputs.connection as { port: number }).port]),
    ).toEqual([
      ["docker1/web1", "lab/web:1", 2201],
      ["docker2/web2", "lab/web:1", 2202],
    ]);
    expect(Object.keys(containers)).toEqual(["docker1/web1", "docker2/web2"]);
    expect(containers["docker1/web1"]).toMatchObject({
      name: "web1",
      host: "docker1",
      fqdn: "web1.weave.local",
    });
    expect(containers["docker1/web1"].ip).toMatch(/^172\.16\.16\.\d+$/);
    const table = await valueOf(out.rangeTable);
    expect(table).toMatch(
      new RegExp(`web1\\s+docker1\\s+${containers["docker1/web1"].ip.replace(/\./g, "\\.")}`),
    );
  });

  it("honours weave-lab:local (two hosts, other ports, base image, offline images) and rajch", async () => {
    const out = labProgram(
      config({
        "weave-lab:outputDir": tmp,
        "weave-lab:local": {
          hosts: 2,
          sshPortBase: 2301,
          baseImage: "local/bookworm:1",
          weaveImagesArchive: archive,
        },
        "weave-lab:network": { weave: { distribution: "rajch" } },
      }),
    );
    await valueOf(out.hosts);
    await settle();
    const hosts = ofType("docker:index/container:Container");
    expect(hosts.map((h) => (h.inputs.ports as { external: number }[])[0].external)).toEqual([2301, 2302]);
    expect(ofType("docker:index/image:Image")[0].inputs).toMatchObject({
      build: {
        args: { BASE_IMAGE: "local/bookworm:1", WEAVE_DISTRIBUTION: "rajch", WEAVE_VERSION: "2.9.0" },
      },
    });
    for (const h of hosts) {
      expect(h.inputs.volumes).toContainEqual({
        hostPath: archive,
        containerPath: "/var/lib/weave-lab/images/rajch-images.tar",
        readOnly: true,
      });
    }
  });
});

describe("the program with hosts configured", () => {
  const textbook = {
    "weave-lab:outputDir": tmp,
    "weave-lab:name": "textbook",
    "weave-lab:network": { allocRange: "172.16.16.0/24" },
    "weave-lab:hosts": [1, 2, 3, 4].map((i) => ({
      name: `docker${i}`,
      address: `10.10.10.10${i}`,
      ssh: { hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost${i}` },
    })),
    "weave-lab:sshPrivateKey": fakePrivateKey(),
  };

  it("declares no Docker resources and one router per host with the configured key kept secret", async () => {
    const out = labProgram(config(textbook, ["weave-lab:sshPrivateKey"]));
    const hosts = await valueOf(out.hosts);
    await settle();
    expect(
      registered.filter((r) => r.type.startsWith("docker:") || r.type === "pulumi:providers:docker"),
    ).toEqual([]);
    expect(registered.filter((r) => r.type === "weave-lab:index:LocalLab")).toEqual([]);
    const routers = registered.filter((r) => r.type.endsWith(":Router"));
    expect(routers.map((r) => (r.inputs.connection as { host: string }).host)).toEqual([
      "10.10.10.101",
      "10.10.10.102",
      "10.10.10.103",
      "10.10.10.104",
    ]);
    expect(out.mode).toBe("remote");
    expect(out.sshCommands).toBeUndefined();
    expect(Object.values(hosts).map((h) => h.share)).toEqual([
      "64 (25.0%)",
      "64 (25.0%)",
      "64 (25.0%)",
      "64 (25.0%)",
    ]);
  });

  it("passes weave-lab:forgetUnreachableOnDestroy and weave-lab:timeouts on to every router", async () => {
    const plain = labProgram(config(textbook, ["weave-lab:sshPrivateKey"]));
    await valueOf(plain.hosts);
    await settle();
    const before = registered.filter((r) => r.type.endsWith(":Router"));
    expect(before.map((r) => r.inputs.forgetUnreachableOnDestroy)).toEqual([false, false, false, false]);
    registered.length = 0;
    const out = labProgram(
      config(
        {
          ...textbook,
          "weave-lab:forgetUnreachableOnDestroy": "true",
          "weave-lab:timeouts": { launchMs: 900000, resetMs: 5000 },
        },
        ["weave-lab:sshPrivateKey"],
      ),
    );
    await valueOf(out.hosts);
    await settle();
    const routers = registered.filter((r) => r.type.endsWith(":Router"));
    expect(routers).toHaveLength(4);
    for (const r of routers) {
      expect(r.inputs.forgetUnreachableOnDestroy).toBe(true);
      expect(r.inputs.timeouts).toMatchObject({ launchMs: 900000, resetMs: 5000 });
    }
  });

  it("exports the split as a table and writes the SVG picture next to the stack", async () => {
    const out = labProgram(config(textbook, ["weave-lab:sshPrivateKey"]));
    const table = await valueOf(out.rangeTable);
    await valueOf(out.rangeSvg);
    await settle();
    expect(table).toContain("Range 172.16.16.0/24: 256 addresses");
    expect(table.split("\n").filter((l) => /^docker\d\s.*\/26\s.*25\.0%$/.test(l))).toHaveLength(4);
    expect(out.rangeSvgFile).toBe(path.join(tmp, "weave-lab-dev.svg"));
    const svg = fs.readFileSync(out.rangeSvgFile, "utf8");
    expect(svg).toContain("<svg");
    expect(svg).toContain("172.16.16.192/26");
    expect(out.predictedRangeTable).toContain("172.16.16.0/26");
  });

  it("fails before declaring anything when the config is bad, listing every problem", async () => {
    const bad = {
      ...textbook,
      "weave-lab:network": { allocRange: "172.16.16.1/24" },
      "weave-lab:hosts": [
        { name: "docker1", address: "10.10.10.101" },
        { name: "docker1", address: "10.10.10.300" },
      ],
    };
    let message = "";
    try {
      labProgram(config(bad, ["weave-lab:sshPrivateKey"]));
    } catch (e) {
      message = (e as Error).message;
    }
    await settle();
    expect(message).toMatch(/network\.allocRange: .*172\.16\.16\.1\/24/);
    expect(message).toMatch(/hosts\[1\]\.address: .*10\.10\.10\.300/);
    expect(message).toMatch(/hosts\[1\]\.name: .*docker1/);
    expect(message).toMatch(/hosts\[0\]\.ssh\.hostKey/);
    expect(registered).toEqual([]);
  });
});

describe("runtimeConfigSource", () => {
  it("reads the stack's config and which keys were set with --secret from the Pulumi runtime", () => {
    pulumi.runtime.setAllConfig(
      { "weave-lab:hosts": '[{"name":"a","address":"192.0.2.1"}]', "weave-lab:password": "pw" },
      ["weave-lab:password"],
    );
    const src = runtimeConfigSource(tmp);
    expect(src.get("weave-lab:hosts")).toBe('[{"name":"a","address":"192.0.2.1"}]');
    expect(src.get("weave-lab:missing")).toBeUndefined();
    expect(src.isSecret("weave-lab:password")).toBe(true);
    expect(src.isSecret("weave-lab:hosts")).toBe(false);
    fs.writeFileSync(path.join(tmp, "spec.yaml"), "name: from-yaml\nhosts: []\n");
    expect(src.parseYaml!(src.readFile!("spec.yaml"))).toEqual({ name: "from-yaml", hosts: [] });
    pulumi.runtime.setAllConfig({}, []);
  });
});
