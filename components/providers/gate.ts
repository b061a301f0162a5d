/**
 * `ConsensusGate`: passes once every router agrees on one ring (`gate-ops.ts` does the work).
 * Containers depend on it, so nothing allocates an address before IPAM is ready everywhere.
 */
import * as pulumi from "@pulumi/pulumi";
import { runGate, updateGate } from "./gate-ops";
import { defaultOpsEnv } from "./ops-env";
import type { GateHostResult, GateInputs, GateOutputs } from "./types";

/** Pulumi type token of the gate (`pulumi-nodejs:dynamic/` + our part, which is users' state: never change it). */
export const GATE_TYPE = "pulumi-nodejs:dynamic/weave-lab:ConsensusGate";

/** Fields of the gate's state that hold secrets. */
export const GATE_SECRET_OUTPUTS = ["hosts"];

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Everything the gate's verdict depends on; connection-only changes do not re-run it. */
function verdictFacts(i: Partial<GateInputs>): unknown {
  return {
    allocRange: i.allocRange,
    bootstrap: i.bootstrap,
    encrypted: i.encrypted,
    seedNames: i.seedNames,
    hosts: (i.hosts ?? []).map((h) => [h.host, h.address, h.peerName, h.nickname, h.predictedShare ?? null]),
    routerIds: i.routerIds,
  };
}

export const gateProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: unknown, news: GateInputs) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (!Array.isArray(news.hosts) || news.hosts.length === 0)
      failures.push({ property: "hosts", reason: "at least one host is required" });
    if (!(typeof news.timeoutSeconds === "number" && news.timeoutSeconds > 0)) {
      failures.push({
        property: "timeoutSeconds",
        reason: `must be a positive number of seconds, got ${JSON.stringify(news.timeoutSeconds)}`,
      });
    }
    return { inputs: news, failures };
  },
  async diff(_id: string, olds: GateOutputs, news: GateInputs) {
    // Re-verify when the ring's facts or any router changed, or when it was not healthy.
    const changes =
      !same(verdictFacts(olds), verdictFacts(news)) ||
      olds.healthy !== true ||
      !same(olds.hosts, news.hosts) ||
      olds.timeoutSeconds !== news.timeoutSeconds;
    return { changes, replaces: [] };
  },
  async create(inputs: GateInputs) {
    return { id: `${inputs.lab}/consensus`, outs: await runGate(defaultOpsEnv(), inputs) };
  },
  async update(_id: string, olds: GateOutputs, news: GateInputs) {
    if (same(verdictFacts(olds), verdictFacts(news)) && olds.healthy) {
      // Only connection settings or the timeout changed: nothing to verify again.
      return { outs: { ...olds, ...news } };
    }
    return { outs: await updateGate(defaultOpsEnv(), olds, news) };
  },
  async read(id: string, props: GateOutputs) {
    // The gate is a check, not a thing on a host: refresh keeps the last verdict.
    return { id, props };
  },
  async delete() {
    // Nothing on the hosts belongs to the gate.
  },
};

export type GateArgs = { [K in keyof GateInputs]: pulumi.Input<GateInputs[K]> };

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
