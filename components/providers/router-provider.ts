/**
 * The Router's provider as the engine runs it: check (the placeholder of a value known only
 * after apply is never a failure), diff (`router-diff.ts`; its reasons go to the engine's log),
 * and the actions of `router-ops.ts`. Loaded by the shim in `router.ts` (see `ops-env.ts`): this
 * module is never serialised, so it may use anything.
 */
import type * as pulumi from "@pulumi/pulumi";
import { opsProvider } from "./ops-provider";
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

/**
 * The Router provider (what `routerProvider` in `router.ts` calls). The SDK's dynamic diff carries
 * no per-field detail: the fields that replace are in `replaces` (the preview lists them), and
 * why is said in the engine's log.
 */
export const routerProviderImpl: pulumi.dynamic.ResourceProvider = opsProvider<RouterInputs, RouterOutputs>({
  what: "router",
  name: (i) => String(i.host),
  check: checkRouterInputs,
  diff: (olds, news) => ({ ...diffRouter(olds, news), deleteBeforeReplace: true }),
  create: createRouter,
  read: readRouter,
  update: updateRouter,
  delete: deleteRouter,
});
