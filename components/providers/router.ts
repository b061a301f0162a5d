/**
 * `weave-lab:index:Router`: one Weave router on one host, as a Pulumi dynamic resource. The
 * provider object is thin: every decision is in `router-diff.ts` and every action in
 * `router-ops.ts`. It must survive `pulumi.runtime.serializeFunction` and run in a fresh Node
 * process (Pulumi's dynamic-provider plugin): it captures only plain functions.
 */
import * as pulumi from "@pulumi/pulumi";
import { defaultOpsEnv } from "./ops-env";
import { diffRouter } from "./router-diff";
import { createRouter, deleteRouter, readRouter, updateRouter } from "./router-ops";
import type { RouterInputs, RouterOutputs } from "./types";
import { isRecord, isUnknown } from "./unknowns";

/**
 * Pulumi type token of a router. Dynamic resources always live under `pulumi-nodejs:dynamic`; the
 * module/type part (`weave-lab:Router`) is ours and part of users' state: never change it (alias if it moves).
 */
export const ROUTER_TYPE = "pulumi-nodejs:dynamic/weave-lab:Router";

/** Input fields holding secrets (SSH keys and passphrases inside the connection, the Weave password); `peers` holds none. */
export const ROUTER_SECRET_OUTPUTS = ["connection", "password"];

function checkInputs(news: Partial<RouterInputs>): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const k of ["host", "peerName", "allocRange", "connection", "launch", "weave", "timeouts"] as const) {
    if (news[k] === undefined || news[k] === null) failures.push({ property: k, reason: `${k} is required` });
  }
  // In a preview any of these may be Pulumi's unknown placeholder: known after apply, not wrong.
  const launch: unknown = news.launch;
  if (launch !== undefined && launch !== null && !isUnknown(launch)) {
    const argv = isRecord(launch) ? launch.argv : undefined;
    const ok = isUnknown(argv) || (Array.isArray(argv) && (argv[1] === "launch" || isUnknown(argv[1])));
    if (!ok) {
      failures.push({
        property: "launch",
        reason: `launch.argv must be a \`weave launch\` command, got ${JSON.stringify(argv)}`,
      });
    }
  }
  return failures;
}

/** The provider object (exported for the engine-like test harness and serialisation tests). */
export const routerProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: unknown, news: RouterInputs) {
    return { inputs: news, failures: checkInputs(news) };
  },
  async diff(_id: string, olds: RouterOutputs, news: RouterInputs) {
    const d = diffRouter(olds, news);
    return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: true };
  },
  async create(inputs: RouterInputs) {
    const outs = await createRouter(defaultOpsEnv(), inputs);
    return { id: `${inputs.lab}/${inputs.host}`, outs };
  },
  async read(id: string, props: RouterOutputs) {
    const outs = await readRouter(defaultOpsEnv(), props);
    // An empty id tells the engine the resource is gone (refresh drops it).
    return outs ? { id, props: outs } : { id: "", props: {} };
  },
  async update(_id: string, olds: RouterOutputs, news: RouterInputs) {
    return { outs: await updateRouter(defaultOpsEnv(), olds, news) };
  },
  async delete(_id: string, props: RouterOutputs) {
    await deleteRouter(defaultOpsEnv(), props);
  },
};

/** Router inputs as Pulumi Inputs (secrets may be Outputs). */
export type RouterArgs = { [K in keyof RouterInputs]: pulumi.Input<RouterInputs[K]> };

/** One Weave router. Created by `WeaveNetwork`; not meant to be constructed directly. */
export class Router extends pulumi.dynamic.Resource {
  declare readonly host: pulumi.Output<string>;
  declare readonly peerName: pulumi.Output<string>;
  declare readonly nickname: pulumi.Output<string>;
  declare readonly address: pulumi.Output<string>;
  declare readonly containerId: pulumi.Output<string>;
  declare readonly status: pulumi.Output<RouterOutputs["status"]>;
  declare readonly statusDetail: pulumi.Output<string>;
  declare readonly adopted: pulumi.Output<boolean>;
  declare readonly rejoined: pulumi.Output<boolean>;
  declare readonly predictedShare: pulumi.Output<RouterOutputs["predictedShare"]>;

  constructor(name: string, args: RouterArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = {
      ...args,
      containerId: undefined,
      status: undefined,
      statusDetail: undefined,
      adopted: undefined,
      rejoined: undefined,
      observedPeerName: undefined,
      observedRange: undefined,
    };
    super(
      routerProvider,
      name,
      props,
      {
        ...opts,
        additionalSecretOutputs: [...ROUTER_SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])],
      },
      "weave-lab",
      "Router",
    );
  }
}
