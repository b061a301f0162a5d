/**
 * `ConsensusGate` (type token `pulumi-nodejs:dynamic/weave-lab:ConsensusGate`): passes once every
 * router agrees on one ring (`gate-ops.ts` does the work). Containers depend on it, so nothing
 * allocates an address before IPAM is ready everywhere. What Pulumi serialises is the small shim
 * `gateProvider`, which loads `gate-provider.ts` at run time (see `ops-env.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as impl from "./gate-provider";
import { providerShim, publishModule } from "./ops-env";
import type { GateHostResult, GateInputs } from "./types";
import type { DeepInput } from "./unknowns";

// This process has the implementation already: the shim uses it instead of loading it again.
publishModule("gate", impl);

export { checkGateInputs, diffGate } from "./gate-provider";

/** Pulumi type token of the gate (`pulumi-nodejs:dynamic/` + our part, which is users' state: never change it). */
export const GATE_TYPE = "pulumi-nodejs:dynamic/weave-lab:ConsensusGate";

/** Fields of the gate's state that hold secrets. */
export const GATE_SECRET_OUTPUTS = ["hosts"];

/** The provider Pulumi serialises (exported for the engine-like test harness and serialisation tests). */
export const gateProvider: pulumi.dynamic.ResourceProvider = providerShim("gate", "gateProviderImpl");

export type GateArgs = { [K in keyof GateInputs]: DeepInput<GateInputs[K]> };

/** Passes when every host agrees on one ring. Created by `WeaveNetwork`. */
export class ConsensusGate extends pulumi.dynamic.Resource {
  declare readonly healthy: pulumi.Output<boolean>;
  declare readonly summary: pulumi.Output<string>;
  declare readonly results: pulumi.Output<Record<string, GateHostResult>>;
  declare readonly convergedMs: pulumi.Output<number>;

  constructor(name: string, args: GateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      gateProvider,
      name,
      {
        ...args,
        healthy: undefined,
        summary: undefined,
        results: undefined,
        ringSeed: undefined,
        convergedMs: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...GATE_SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])],
      },
      "weave-lab",
      "ConsensusGate",
    );
  }
}
