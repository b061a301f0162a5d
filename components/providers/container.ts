/**
 * `weave-lab:Container`: one container on the Weave network, as a Pulumi dynamic resource. The
 * provider object is thin: decisions and actions are in `container-ops.ts`. Like the Router it
 * must survive `pulumi.runtime.serializeFunction` and run in a fresh provider process, so it
 * captures only plain functions (the transport is loaded in that process, see `ops-env.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  createContainer,
  deleteContainer,
  diffContainer,
  readContainer,
  updateContainer,
} from "./container-ops";
import type { ContainerInputs, ContainerOutputs } from "./container-types";
import { defaultOpsEnv } from "./ops-env";

/** Type token of the dynamic resource (`pulumi-nodejs:dynamic/` + ours; users' state: never change it). */
export const CONTAINER_RESOURCE_TYPE = "pulumi-nodejs:dynamic/weave-lab:Container";

/** Fields of the state that hold secrets (SSH keys inside the connection; env values may be secret to users). */
export const CONTAINER_SECRET_OUTPUTS = ["connection"];

function checkInputs(news: Partial<ContainerInputs>): pulumi.dynamic.CheckFailure[] {
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
  if (t && !(t.attachMs > 0 && t.commandMs > 0)) {
    failures.push({
      property: "timeouts",
      reason: `attachMs and commandMs must be positive numbers of ms, got ${JSON.stringify(t)}`,
    });
  }
  return failures;
}

/** The provider object (exported for the engine-like harness and serialisation tests). */
export const containerProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: unknown, news: ContainerInputs) {
    return { inputs: news, failures: checkInputs(news) };
  },
  async diff(_id: string, olds: ContainerOutputs, news: ContainerInputs) {
    return diffContainer(olds, news);
  },
  async create(inputs: ContainerInputs) {
    const outs = await createContainer(defaultOpsEnv(), inputs);
    return { id: `${inputs.lab}/${inputs.key}`, outs };
  },
  async read(id: string, props: ContainerOutputs) {
    const outs = await readContainer(defaultOpsEnv(), props);
    // An empty id tells the engine the container is gone (refresh drops it; the next up recreates it).
    return outs ? { id, props: outs } : { id: "", props: {} };
  },
  async update(_id: string, olds: ContainerOutputs, news: ContainerInputs) {
    return { outs: await updateContainer(defaultOpsEnv(), olds, news) };
  },
  async delete(_id: string, props: ContainerOutputs) {
    await deleteContainer(defaultOpsEnv(), props);
  },
};

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
