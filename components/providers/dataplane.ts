/**
 * `DataPlaneCheck`: after the containers are up, proves that they reach each other over Weave
 * and resolve every declared name from every host (`dataplane-ops.ts` does the work). When the
 * routers agree but the containers cannot talk, `up` fails here with the pairs named.
 */
import * as pulumi from "@pulumi/pulumi";
import { probeDataPlane, runDataPlane, type DataPlaneInputs, type DataPlaneOutputs } from "./dataplane-ops";
import { same } from "./diff-values";
import { defaultOpsEnv, shimOf } from "./ops-env";
import type { DataPlaneMatrix } from "./dataplane-matrix";

/** Fields of the check's state that hold secrets. */
export const DATAPLANE_SECRET_OUTPUTS = ["connections"];

/** What the verdict depends on: the containers (ids, addresses, names) and the records. */
function facts(i: Partial<DataPlaneInputs>): unknown {
  return { containers: i.containers, records: i.records };
}

export const dataPlaneProviderImpl: pulumi.dynamic.ResourceProvider = {
  async check(_olds: unknown, news: DataPlaneInputs) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    for (const k of ["settleMs", "commandMs"] as const) {
      if (!(typeof news[k] === "number" && news[k] > 0))
        failures.push({
          property: k,
          reason: `must be a positive number of ms, got ${JSON.stringify(news[k])}`,
        });
    }
    return { inputs: news, failures };
  },
  async diff(_id: string, olds: DataPlaneOutputs, news: DataPlaneInputs) {
    // Check again when any container or record changed (a replaced container has a new id).
    const changes =
      !same(facts(olds), facts(news)) ||
      olds.ok !== true ||
      !same(olds.connections, news.connections) ||
      olds.settleMs !== news.settleMs ||
      olds.commandMs !== news.commandMs;
    return { changes, replaces: [] };
  },
  async create(inputs: DataPlaneInputs) {
    return { id: `${inputs.lab}/dataplane`, outs: await runDataPlane(defaultOpsEnv(), inputs) };
  },
  async update(_id: string, olds: DataPlaneOutputs, news: DataPlaneInputs) {
    if (same(facts(olds), facts(news)) && olds.ok) return { outs: { ...olds, ...news } };
    return { outs: await runDataPlane(defaultOpsEnv(), news) };
  },
  async read(id: string, props: DataPlaneOutputs) {
    // Refresh asks once more (no settling): a data plane broken since, e.g. a container detached
    // out of band, records ok=false, and the next `up` checks again and fails naming the pairs.
    // Hosts that cannot be asked keep the last verdict.
    try {
      const matrix = await probeDataPlane(defaultOpsEnv(), { ...props, settleMs: 0 });
      return { id, props: { ...props, ok: matrix.ok, summary: matrix.summary, matrix } };
    } catch {
      return { id, props };
    }
  },
  async delete() {
    // Nothing on the hosts belongs to the check.
  },
};

/** What Pulumi serialises into the check's state: a small shim that loads the implementation at run time (`ops-env.ts`). */
export const dataPlaneProvider: pulumi.dynamic.ResourceProvider = shimOf(
  "dataplane",
  "dataPlaneProviderImpl",
  dataPlaneProviderImpl,
);

export type DataPlaneArgs = { [K in keyof DataPlaneInputs]: pulumi.Input<DataPlaneInputs[K]> };

/** Passes when every container reaches the others it should and every name resolves as declared. */
export class DataPlaneCheck extends pulumi.dynamic.Resource {
  declare readonly ok: pulumi.Output<boolean>;
  declare readonly summary: pulumi.Output<string>;
  declare readonly matrix: pulumi.Output<DataPlaneMatrix>;

  constructor(name: string, args: DataPlaneArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dataPlaneProvider,
      name,
      { ...args, ok: undefined, summary: undefined, matrix: undefined },
      {
        ...opts,
        additionalSecretOutputs: [...DATAPLANE_SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])],
      },
      "weave-lab",
      "DataPlaneCheck",
    );
  }
}
