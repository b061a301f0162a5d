/**
 * `DataPlaneCheck`: after the containers are up, proves that they reach each other over Weave
 * and resolve every declared name from every host (`dataplane-ops.ts` does the work). When the
 * routers agree but the containers cannot talk, `up` fails here with the pairs named.
 */
import * as pulumi from "@pulumi/pulumi";
import { probeDataPlane, runDataPlane, type DataPlaneInputs, type DataPlaneOutputs } from "./dataplane-ops";
import { same } from "./diff-values";
import { shimOf } from "./ops-env";
import { inPlaceDiff, opsProvider } from "./ops-provider";
import type { DataPlaneMatrix } from "./dataplane-matrix";

/** Fields of the check's state that hold secrets. */
export const DATAPLANE_SECRET_OUTPUTS = ["connections"];

/** What the verdict depends on: the containers (ids, addresses, names) and the records. */
function facts(i: Partial<DataPlaneInputs>): unknown {
  return { containers: i.containers, records: i.records };
}

/** Check failures of the check's inputs. */
function checkDataPlaneInputs(news: Partial<DataPlaneInputs>): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const k of ["settleMs", "commandMs"] as const) {
    const v = news[k];
    if (!(typeof v === "number" && v > 0))
      failures.push({ property: k, reason: `must be a positive number of ms, got ${JSON.stringify(v)}` });
  }
  return failures;
}

/** Fields whose change runs the check again; a replaced container has a new id. */
function diffDataPlane(olds: DataPlaneOutputs, news: DataPlaneInputs): string[] {
  const changed: string[] = [];
  if (!same(olds.containers, news.containers)) changed.push("containers");
  if (!same(olds.records, news.records)) changed.push("records");
  if (olds.ok !== true) changed.push("ok");
  if (!same(olds.connections, news.connections)) changed.push("connections");
  if (olds.settleMs !== news.settleMs) changed.push("settleMs");
  if (olds.commandMs !== news.commandMs) changed.push("commandMs");
  return changed;
}

export const dataPlaneProviderImpl: pulumi.dynamic.ResourceProvider = opsProvider<
  DataPlaneInputs,
  DataPlaneOutputs
>({
  what: "data-plane check",
  name: () => "dataplane",
  check: checkDataPlaneInputs,
  diff: (olds, news) => inPlaceDiff(diffDataPlane(olds, news)),
  create: runDataPlane,
  update: async (env, olds, news) =>
    same(facts(olds), facts(news)) && olds.ok ? { ...olds, ...news } : runDataPlane(env, news),
  // Refresh asks once more (no settling): a data plane broken since, e.g. a container detached
  // out of band, records ok=false, and the next `up` checks again and fails naming the pairs.
  // Hosts that cannot be asked keep the last verdict.
  read: async (env, props) => {
    try {
      const matrix = await probeDataPlane(env, { ...props, settleMs: 0 });
      return { ...props, ok: matrix.ok, summary: matrix.summary, matrix };
    } catch {
      return props;
    }
  },
  // Nothing on the hosts belongs to the check.
  delete: async () => undefined,
});

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
