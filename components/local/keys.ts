/**
 * SSH key pairs generated per stack inside a small dynamic resource, so the private half lives
 * only in (encrypted) state and is created once, not on every `pulumi up`. Used for the client key
 * of a local lab and for each local host's host key, which the WeaveNetwork then pins.
 */
import * as pulumi from "@pulumi/pulumi";

/** An OpenSSH key pair as text. */
export interface KeyPairText {
  /** OpenSSH private key (OpenSSH's own PEM format), accepted by sshd and ssh2. */
  privateKey: string;
  /** Public key line `ssh-ed25519 AAAA… <comment>`. */
  publicKey: string;
  /** `SHA256:…` fingerprint of the public key, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

/**
 * Generates an ed25519 key pair. Requires ssh2 inside the function so the dynamic provider's
 * serialised closure loads it from node_modules instead of capturing it.
 */
export function generateKeyPair(comment: string): KeyPairText {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ssh2 = require("ssh2") as typeof import("ssh2");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("crypto") as typeof import("crypto");
  const pair = ssh2.utils.generateKeyPairSync("ed25519", { comment });
  const blob = Buffer.from(pair.public.split(" ")[1], "base64");
  const fingerprint =
    "SHA256:" + crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
  return { privateKey: pair.private, publicKey: pair.public.trim(), fingerprint };
}

/** Inputs of a key pair resource. */
export interface SshKeyPairInputs {
  /** Comment in the public key (e.g. `weave-lab-dev docker1 host key`). */
  comment: string;
  /** Change this value to rotate the key (any string). Defaults to `"1"`. */
  rotation?: string;
}

type Outs = SshKeyPairInputs & KeyPairText;

/** The provider: create generates, diff replaces on a changed comment or rotation, nothing else changes it. */
export const sshKeyPairProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: SshKeyPairInputs): Promise<pulumi.dynamic.CreateResult> {
    const pair = generateKeyPair(inputs.comment);
    return { id: pair.fingerprint, outs: { ...inputs, ...pair } satisfies Outs };
  },
  async diff(_id: string, olds: Outs, news: SshKeyPairInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = (["comment", "rotation"] as const).filter((k) => (olds[k] ?? "") !== (news[k] ?? ""));
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async read(id: string, props: Outs): Promise<pulumi.dynamic.ReadResult> {
    return { id, props };
  },
  async delete(): Promise<void> {
    // Nothing outside the state holds the key.
  },
};

/** One ed25519 key pair; `privateKey` is a secret in state and outputs. */
export class SshKeyPair extends pulumi.dynamic.Resource {
  declare readonly privateKey: pulumi.Output<string>;
  declare readonly publicKey: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(
    name: string,
    args: { comment: pulumi.Input<string>; rotation?: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      sshKeyPairProvider,
      name,
      { ...args, privateKey: undefined, publicKey: undefined, fingerprint: undefined },
      { ...opts, additionalSecretOutputs: ["privateKey"] },
      "weave-lab",
      "SshKeyPair",
    );
  }
}
