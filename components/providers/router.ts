/**
 * `Router`: one Weave router on one host, as a Pulumi dynamic resource (type token
 * `pulumi-nodejs:dynamic/weave-lab:Router`). What Pulumi serialises into each router's state is
 * `routerProvider`, a small shim that loads `router-provider.ts` from the weave-lab package at
 * run time (`ops-env.ts` says how): the state stays small and works from any checkout. Every
 * decision is in `router-diff.ts`, every action in `router-ops.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { providerShim, publishModule } from "./ops-env";
import * as impl from "./router-provider";
import type { RouterInputs, RouterOutputs } from "./types";
import type { DeepInput } from "./unknowns";

// This process has the implementation already: the shim uses it instead of loading it again.
publishModule("router", impl);

/**
 * Pulumi type token of a router. Dynamic resources always live under `pulumi-nodejs:dynamic`; the
 * module/type part (`weave-lab:Router`) is ours and part of users' state: never change it (alias if it moves).
 */
export const ROUTER_TYPE = "pulumi-nodejs:dynamic/weave-lab:Router";

/**
 * Input fields holding secrets (SSH keys and passphrases inside the connection and the peers'
 * credentials, the Weave password); `peers` holds none.
 */
export const ROUTER_SECRET_OUTPUTS = ["connection", "peerCredentials", "password"];

/** The provider Pulumi serialises (exported for the engine-like test harness and serialisation tests). */
export const routerProvider: pulumi.dynamic.ResourceProvider = providerShim("router", "routerProviderImpl");

/** Router inputs as Pulumi Inputs (secrets may be Outputs). */
export type RouterArgs = { [K in keyof RouterInputs]: DeepInput<RouterInputs[K]> };

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
