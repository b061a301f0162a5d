/**
 * The dynamic-provider shape of every weave-lab resource (router, gate, container, DNS record,
 * data-plane check), whose work is a set of `*-ops.ts` functions over `OpsEnv`: check, a diff
 * whose in-place changes (and why, where the diff says) are said in the engine's log (the SDK's
 * dynamic diff has no field for them), an id of `<lab>/<name>`, and a read that answers an empty
 * id when the thing is gone (refresh drops it; the next up recreates it).
 */
import type * as pulumi from "@pulumi/pulumi";
import { defaultOpsEnv, type OpsEnv } from "./ops-env";

/** A diff as the ops modules compute it. */
export interface OpsDiff {
  changes: boolean;
  /** Fields whose change replaces the resource (the preview shows them). */
  replaces: string[];
  /** Fields that change in place (said in the engine's log). */
  updates: string[];
  deleteBeforeReplace: boolean;
  /** Why, one sentence per change, when the diff can say (the router's does). */
  reasons?: string[];
}

/** The diff of a resource that is never replaced: `updates` change in place (none: no change). */
export function inPlaceDiff(updates: string[]): OpsDiff {
  return { changes: updates.length > 0, replaces: [], updates, deleteBeforeReplace: false };
}

/** What one resource kind does; `what` names it in the log (`router`, `container`, `DNS record`). */
export interface OpsResource<I extends { lab: string; key?: string }, O> {
  what: string;
  /** Its name in the lab: the id is `<lab>/<name>` and the log names it so. Defaults to `key`. */
  name?: (inputs: I) => string;
  check: (news: Partial<I>) => pulumi.dynamic.CheckFailure[];
  diff: (olds: O, news: I) => OpsDiff;
  create: (env: OpsEnv, inputs: I) => Promise<O>;
  read: (env: OpsEnv, props: O) => Promise<O | undefined>;
  update: (env: OpsEnv, olds: O, news: I) => Promise<O>;
  delete: (env: OpsEnv, props: O) => Promise<void>;
}

/** The provider object of one resource kind. */
export function opsProvider<I extends { lab: string; key?: string }, O>(
  r: OpsResource<I, O>,
): pulumi.dynamic.ResourceProvider {
  const name = r.name ?? ((i: I) => String(i.key));
  return {
    async check(_olds: unknown, news: I) {
      return { inputs: news, failures: r.check(news) };
    },
    async diff(_id: string, olds: O, news: I) {
      const d = r.diff(olds, news);
      if (d.changes)
        defaultOpsEnv().log(
          `${r.what} ${name(news)}: ` +
            (d.replaces.length > 0
              ? `replace (${d.replaces.join(", ")})`
              : `update (${d.updates.join(", ")})`) +
            (d.reasons ? `: ${d.reasons.join("; ") || "settings changed"}` : ""),
        );
      return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
    },
    async create(inputs: I) {
      return { id: `${inputs.lab}/${name(inputs)}`, outs: await r.create(defaultOpsEnv(), inputs) };
    },
    async read(id: string, props: O) {
      const outs = await r.read(defaultOpsEnv(), props);
      return outs ? { id, props: outs } : { id: "", props: {} };
    },
    async update(_id: string, olds: O, news: I) {
      return { outs: await r.update(defaultOpsEnv(), olds, news) };
    },
    async delete(_id: string, props: O) {
      await r.delete(defaultOpsEnv(), props);
    },
  };
}
