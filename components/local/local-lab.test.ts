/**
 * LocalLab's resource options, seen through a transformation under the mock runtime (the mock
 * monitor does not apply engine-side options such as additionalSecretOutputs, so the tests read
 * the options the component passes).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { mockRuntime, settle } from "../../examples/mock-runtime";

mockRuntime("weave-lab", {});
jest.setTimeout(120_000);

interface Seen {
  type: string;
  name: string;
  props: Record<string, unknown>;
  opts: pulumi.CustomResourceOptions;
}

describe("LocalLab resource options", () => {
  const seen: Seen[] = [];
  let lab: import("../local-lab").LocalLab;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-local-"));
  const archive = path.join(tmp, "weave-2.8.1-images.tar.zst");
  fs.writeFileSync(archive, "not really zstd");
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LocalLab } = require("../local-lab") as typeof import("../local-lab");
    lab = new LocalLab(
      "local",
      { stack: "opts", hosts: 2, weaveImagesArchive: archive, baseImage: "local/bookworm:1" },
      {
        transformations: [
          (a) => {
            seen.push({
              type: a.type,
              name: a.name,
              props: a.props,
              opts: a.opts as pulumi.CustomResourceOptions,
            });
            return undefined;
          },
        ],
      },
    );
    await settle();
  });
  const of = (t: string): Seen[] => seen.filter((s) => s.type === t);

  it("keeps every generated private key secret in state and outputs", async () => {
    const keys = of("pulumi-nodejs:dynamic/weave-lab:SshKeyPair");
    expect(keys.map((k) => k.name)).toEqual([
      "local-client-key",
      "local-docker1-host-key",
      "local-docker2-host-key",
    ]);
    for (const k of keys) expect(k.opts.additionalSecretOutputs).toEqual(["privateKey"]);
    expect(await pulumi.isSecret(lab.sshPrivateKey)).toBe(true);
    for (const h of lab.hosts) expect(await pulumi.isSecret(pulumi.output(h.ssh!.privateKey!))).toBe(true);
  });

  it("injects each host key into its container as a secret upload and replaces the host when a key changes", async () => {
    const hosts = of("docker:index/container:Container");
    expect(hosts).toHaveLength(2);
    for (const h of hosts) {
      const uploads = h.props.uploads as { file: string; content: pulumi.Output<string> }[];
      expect(uploads[0].file).toBe("/etc/ssh/ssh_host_ed25519_key");
      expect(await pulumi.isSecret(uploads[0].content)).toBe(true);
      expect(h.opts.replaceOnChanges).toEqual(["uploads"]);
    }
  });

  it("puts every Docker resource on the one explicit Docker provider", () => {
    const provider = of("pulumi:providers:docker");
    expect(provider).toHaveLength(1);
    const dockerResources = seen.filter((s) => s.type.startsWith("docker:"));
    expect(dockerResources.length).toBe(5);
    for (const r of dockerResources) expect(r.opts.provider).toBe(lab.provider);
  });

  it("keeps the shared Weave image cache volume on destroy", () => {
    const [cache] = of("docker:index/volume:Volume");
    expect(cache.props.name).toBe("weave-lab-image-cache-weaveworks-2.8.1");
    expect(cache.opts.retainOnDelete).toBe(true);
  });

  it("mounts the offline image archive read-only into every host where the entrypoint loads it", () => {
    for (const h of of("docker:index/container:Container")) {
      expect(h.props.volumes).toContainEqual({
        hostPath: archive,
        containerPath: "/var/lib/weave-lab/images/weave-2.8.1-images.tar.zst",
        readOnly: true,
      });
    }
  });

  it("gives every host its own stable machine-id (32 hex digits), the same on every run", async () => {
    const ids = of("docker:index/container:Container").map((h) =>
      (h.props.envs as string[]).find((e) => e.startsWith("WEAVE_LAB_MACHINE_ID=")),
    );
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^WEAVE_LAB_MACHINE_ID=[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(2);
    const { machineIdFor } = await import("../local-lab");
    expect(ids[0]).toBe(`WEAVE_LAB_MACHINE_ID=${machineIdFor("opts", "docker1")}`);
    expect(machineIdFor("opts", "docker1")).toBe(machineIdFor("opts", "docker1"));
    expect(machineIdFor("other", "docker1")).not.toBe(machineIdFor("opts", "docker1"));
  });

  it("builds the host image on the configured base image with the Weave release as build args", () => {
    const [image] = of("docker:index/image:Image");
    expect((image.props.build as { args: Record<string, string> }).args).toEqual({
      BASE_IMAGE: "local/bookworm:1",
      WEAVE_DISTRIBUTION: "weaveworks",
      WEAVE_VERSION: "2.8.1",
    });
  });
});
