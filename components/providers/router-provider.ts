/**
 * The Router's provider as the engine runs it: check (the placeholder of a value known only
 * after apply is never a failure), diff (`router-diff.ts`; its reasons go to the engine's log),
 * and the actions of `router-ops.ts`. Loaded by the shim in `router.ts` (see `ops-env.ts`): this
 * module is never serialised, so it may use anything.
 */
import type * as pulumi from "@pulumi/pulumi";
import { defaultOpsEnv } from "./ops-env";
import { diffRouter } from "./router-diff";
import { createRouter, deleteRouter, readRouter, updateRouter } from "./router-ops";
import type { RouterInputs, RouterOutputs } from "./types";
import { isRecord, isUnknown } from "./unknowns";

/** Check failures of a router's inputs. */
export function checkRouterInputs(news: Partial<RouterInputs>): pulumi.dynamic.CheckFailure[] {
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

/** The Router provider (what `routerProvider` in `router.ts` calls). */
export const routerProviderImpl: pulumi.dynamic.ResourceProvider = {
  async check(_olds: unknown, news: RouterInputs) {
    return { inputs: news, failures: checkRouterInputs(news) };
  },
  async diff(_id: string, olds: RouterOutputs, news: RouterInputs) {
    const d = diffRouter(olds, news);
    // The SDK's dynamic diff carries no per-field detail: the fields that replace are in
    // `replaces` (the preview lists them), and why is said in the engine's log.
    if (d.changes) {
      const env = defaultOpsEnv();
      const what =
        d.replaces.length > 0 ? `replace (${d.replaces.join(", ")})` : `update (${d.updates.join(", ")})`;
      env.log(`router ${String(news.host)}: ${what}: ${d.reasons.join("; ") || "settings changed"}`);
    }
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
