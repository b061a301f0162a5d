/**
 * LocalLab's resource options, seen through a transformation under the mock runtime (the mock
 * monitor does not apply engine-side options such as additionalSecretOutputs, so the tests read
 * the options the component passes).
 */
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
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LocalLab } = require("../local-lab") as typeof import("../local-lab");
    lab = new LocalLab(
      "local",
      { stack: "opts", hosts: 2 },
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
});
