/**
 * `weave-lab:Container`: one container on the Weave network, as a Pulumi dynamic resource. The
 * provider object is thin: decisions and actions are in `container-ops.ts`. Like the Router it
 * must survive `pulumi.runtime.serializeFunction` and run in a fresh provider process, so it
 * captures only plain functions (the transport is loaded in that process, see `ops-env.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import { createContainer, deleteContainer, readContainer, updateContainer } from "./container-ops";
import { diffContainer } from "./container-diff";
import type { ContainerInputs, ContainerOutputs } from "./container-types";
import { shimOf } from "./ops-env";
import { opsProvider } from "./ops-provider";
import { containsUnknown, isRecord, isUnknown } from "./unknowns";

/** Type token of the dynamic resource (`pulumi-nodejs:dynamic/` + ours; users' state: never change it). */
export const CONTAINER_RESOURCE_TYPE = "pulumi-nodejs:dynamic/weave-lab:Container";

/** Fields of the state that hold secrets (SSH keys inside the connection; the secret env). */
export const CONTAINER_SECRET_OUTPUTS = ["connection", "secretEnv"];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names a secret may not take: they would steer the `docker` client that passes it on. */
const RESERVED_SECRET_NAME = /^(PATH|HOME|IFS|ENV|BASH_ENV|LD_[A-Za-z0-9_]*|DOCKER_[A-Za-z0-9_]*|__wl_.*)$/;

/**
 * The provider's own checks (the plan checked the spec; this guards a resource built directly).
 * Pulumi's unknown placeholder (a preview's "known after apply") is skipped wherever it is.
 * Secret values are never quoted.
 */
export function checkContainerInputs(news: Partial<ContainerInputs>): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const k of [
    "lab",
    "key",
    "name",
    "host",
    "image",
    "connection",
    "addressing",
    "weave",
    "timeouts",
  ] as const) {
    if (news[k] === undefined || news[k] === null || news[k] === "")
      failures.push({ property: k, reason: `${k} is required` });
  }
  const t = news.timeouts;
  if (t && !containsUnknown(t) && !(t.attachMs > 0 && t.commandMs > 0)) {
    failures.push({
      property: "timeouts",
      reason: `attachMs and commandMs must be positive numbers of ms, got ${JSON.stringify(t)}`,
    });
  }
  if (typeof news.image === "string" && news.image.startsWith("-")) {
    failures.push({
      property: "image",
      reason: `${JSON.stringify(news.image)} starts with "-": docker run would read it as an option; allowed: an image reference, e.g. "nginx:1.27"`,
    });
  }
  const secret = news.secretEnv;
  if (secret !== undefined && !isUnknown(secret)) {
    if (!isRecord(secret)) {
      failures.push({ property: "secretEnv", reason: "secretEnv must be a mapping of names to values" });
    } else {
      const plain = isRecord(news.env) ? news.env : {};
      for (const [k, v] of Object.entries(secret)) {
        if (!ENV_NAME.test(k) || RESERVED_SECRET_NAME.test(k))
          failures.push({
            property: "secretEnv",
            reason: `${JSON.stringify(k)} is not allowed as a secret variable name; allowed: [A-Za-z_][A-Za-z0-9_]*, except PATH, HOME, IFS, ENV, BASH_ENV, LD_*, DOCKER_* and __wl_* (they steer the docker client that passes the value on)`,
          });
        else if (k in plain)
          failures.push({ property: "secretEnv", reason: `${k} is in both env and secretEnv; give it once` });
        else if (!isUnknown(v) && (typeof v !== "string" || /[\n\r\0]/.test(v)))
          failures.push({
            property: "secretEnv",
            reason: `the value of ${k} (not shown) must be a single-line string: it travels as one line of the SSH channel's stdin`,
          });
      }
    }
  }
  return failures;
}

/** The provider's implementation: loaded by the shim below in a provider process, never serialised. */
export const containerProviderImpl: pulumi.dynamic.ResourceProvider = opsProvider({
  what: "container",
  check: checkContainerInputs,
  diff: diffContainer,
  create: createContainer,
  read: readContainer,
  update: updateContainer,
  delete: deleteContainer,
});

/**
 * The provider Pulumi serialises into each container's state: a small shim that loads
 * {@link containerProviderImpl} from the weave-lab package at run time (see `ops-env.ts`).
 * Exported for the engine-like harness and serialisation tests.
 */
export const containerProvider: pulumi.dynamic.ResourceProvider = shimOf(
  "container",
  "containerProviderImpl",
  containerProviderImpl,
);

/** Container inputs as Pulumi Inputs (the connection is a secret Output). */
export type ContainerArgs = { [K in keyof ContainerInputs]: pulumi.Input<ContainerInputs[K]> };

/** The dynamic resource behind `WeaveContainer` (construct `WeaveContainer`, not this). */
export class ContainerResource extends pulumi.dynamic.Resource {
  declare readonly containerId: pulumi.Output<string>;
  declare readonly ip: pulumi.Output<string>;
  declare readonly cidr: pulumi.Output<string>;
  declare readonly mac: pulumi.Output<string>;
  declare readonly fqdn: pulumi.Output<string | undefined>;
  declare readonly host: pulumi.Output<string>;
  declare readonly status: pulumi.Output<ContainerOutputs["status"]>;
  declare readonly statusDetail: pulumi.Output<string>;

  constructor(name: string, args: ContainerArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = {
      ...args,
      containerId: undefined,
      ip: undefined,
      cidr: undefined,
      mac: undefined,
      status: undefined,
      statusDetail: undefined,
    };
    super(
      containerProvider,
      name,
      props,
      {
        ...opts,
        additionalSecretOutputs: [...CONTAINER_SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])],
      },
      "weave-lab",
      "Container",
    );
  }
}
