/**
 * The child side of `program-harness.ts`: one process per `up`/`refresh`/`destroy`, like one
 * `pulumi up` runs one language host. Run as
 * `node -r ts-node/register/transpile-only test/engine/program-runner.ts <job.json>`.
 *
 * `up` runs the lab program (`index.ts`) under Pulumi's mock runtime. The mock monitor's
 * `newResource` does what the engine + dynamic-provider plugin do for a dynamic resource: it
 * takes the serialised provider from the `__provider` input, loads it with
 * `require-from-string(...).handler()` (cached per text, as the plugin does), and calls the
 * provider's real `check` → `create`, or `diff` → `update` / replace against the state of the
 * previous run. Registration order is the SDK's: a resource is registered once the resources it
 * depends on (inputs and `dependsOn`) have been created, so creates happen in dependency order.
 * Then resources of the previous state that the program no longer declares are deleted in
 * reverse dependency order. `destroy` deletes everything in reverse dependency order; `refresh`
 * calls `read` on everything.
 *
 * `@pulumi/docker` resources (a LocalLab) are performed through the Docker CLI (`docker.ts`),
 * with the same check → create / diff → same | replace → delete steps.
 *
 * `preview` runs the program with `isDryRun()` true, as `pulumi preview` (and the preview of
 * `pulumi up`) does: it calls `check`, and `diff` against the previous state, and never
 * `create`/`update`/`delete`. What a resource would output is unknown until it exists: a planned
 * create answers its checked inputs with every other output and its id unknown, a replace the
 * same, an update its inputs with its id; so later resources see Pulumi's unknown placeholder
 * where the engine would give it (container ids, generated keys, …), in their `check` and `diff`.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { dockerProviderFor, UNKNOWN } from "./docker";

/** One resource as the harness keeps it between runs (like a checkpoint entry). */
export interface StateEntry {
  urn: string;
  type: string;
  name: string;
  id: string;
  /** Checked inputs (plain values: secrets unwrapped), including `__provider`. */
  inputs: Record<string, unknown>;
  /** Provider outputs, including `__provider` (as the plugin returns them). */
  outputs: Record<string, unknown>;
  /** URNs of custom resources this one depends on. */
  deps: string[];
  /** `retainOnDelete`: deleting it only drops it from the state. */
  retainOnDelete?: boolean;
}

export type StepKind = "create" | "update" | "replace" | "same" | "delete" | "refresh" | "gone";

export interface RunnerStep {
  urn: string;
  name: string;
  type: string;
  kind: StepKind;
  keys?: string[];
  startedMs: number;
  durationMs: number;
}

export interface RunnerJob {
  mode: "up" | "preview" | "destroy" | "refresh";
  programPath: string;
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  state: StateEntry[];
  /** Give up after this long (ms). */
  timeoutMs: number;
}

export interface RunnerResult {
  state: StateEntry[];
  steps: RunnerStep[];
  /** The program's exports, resolved (Outputs unwrapped). */
  exports: Record<string, unknown>;
  failures: Array<{ urn: string; message: string }>;
}

const PROVIDER_KEY = "__provider";
const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * The mock monitor hands secret inputs over wrapped in Pulumi's sentinel and unknowns as the SDK's
 * `unknown` object; providers get plain values and the placeholder string, as the plugin gives them.
 */
function unwrapSecrets(v: unknown): unknown {
  if (isUnknownValue(v)) return UNKNOWN;
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_KEY] === SECRET_SIG) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const isUnknownValue = (require("@pulumi/pulumi/output") as { isUnknown(v: unknown): boolean }).isUnknown;

const providers = new Map<string, dynamic.ResourceProvider>();
/** The provider of a state entry or registration: Docker CLI for `docker:` types, else the serialised one. */
function providerFor(type: string, text: unknown, urn: string): dynamic.ResourceProvider {
  return dockerProviderFor(type) ?? providerOf(text, urn);
}
function providerOf(text: unknown, urn: string): dynamic.ResourceProvider {
  if (typeof text !== "string" || text === "")
    throw new Error(`${urn}: no serialised provider (__provider) in its inputs`);
  let p = providers.get(text);
  if (!p) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const requireFromString = require("require-from-string") as (code: string) => {
      handler(): dynamic.ResourceProvider;
    };
    p = requireFromString(text).handler();
    providers.set(text, p);
  }
  return p;
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => k !== PROVIDER_KEY && JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

const t0 = Date.now();

/** Deletes `entries` in reverse dependency order (independent ones concurrently). */
async function deleteInOrder(
  entries: StateEntry[],
  steps: RunnerStep[],
  failures: RunnerResult["failures"],
  preview = false,
): Promise<Set<string>> {
  const deleted = new Set<string>();
  const urns = new Set(entries.map((e) => e.urn));
  const done = new Map<string, Promise<boolean>>();
  const visit = (e: StateEntry): Promise<boolean> => {
    let p = done.get(e.urn);
    if (!p) {
      p = (async () => {
        const dependants = entries.filter((o) => o.deps.includes(e.urn) && urns.has(o.urn));
        const ok = await Promise.all(dependants.map(visit));
        if (ok.some((x) => !x)) return false;
        const started = Date.now();
        try {
          const provider = providerFor(e.type, e.outputs[PROVIDER_KEY] ?? e.inputs[PROVIDER_KEY], e.urn);
          if (!preview && !e.retainOnDelete && provider.delete) await provider.delete(e.id, e.outputs);
          deleted.add(e.urn);
          steps.push({
            urn: e.urn,
            name: e.name,
            type: e.type,
            kind: "delete",
            ...(e.retainOnDelete ? { keys: ["retainOnDelete"] } : {}),
            startedMs: started - t0,
            durationMs: Date.now() - started,
          });
          return true;
        } catch (err) {
          failures.push({ urn: e.urn, message: (err as Error).message });
          return false;
        }
      })();
      done.set(e.urn, p);
    }
    return p;
  };
  await Promise.all(entries.map(visit));
  return deleted;
}

async function refreshAll(
  state: StateEntry[],
  steps: RunnerStep[],
  failures: RunnerResult["failures"],
): Promise<StateEntry[]> {
  const kept: StateEntry[] = [];
  await Promise.all(
    state.map(async (e) => {
      const started = Date.now();
      try {
        const provider = providerFor(e.type, e.outputs[PROVIDER_KEY] ?? e.inputs[PROVIDER_KEY], e.urn);
        if (!provider.read) {
          kept.push(e);
          return;
        }
        const r = await provider.read(e.id, e.outputs);
        if (!r.id) {
          steps.push({
            urn: e.urn,
            name: e.name,
            type: e.type,
            kind: "gone",
            startedMs: started - t0,
            durationMs: Date.now() - started,
          });
          return;
        }
        const props = {
          ...(r.props ?? {}),
          [PROVIDER_KEY]: e.outputs[PROVIDER_KEY] ?? e.inputs[PROVIDER_KEY],
        };
        steps.push({
          urn: e.urn,
          name: e.name,
          type: e.type,
          kind: "refresh",
          keys: changedKeys(e.outputs, props),
          startedMs: started - t0,
          durationMs: Date.now() - started,
        });
        kept.push({ ...e, id: r.id, outputs: props });
      } catch (err) {
        failures.push({ urn: e.urn, message: (err as Error).message });
        kept.push(e);
      }
    }),
  );
  // Keep the state's order (dependency order of creation).
  return state
    .filter((e) => kept.some((k) => k.urn === e.urn))
    .map((e) => kept.find((k) => k.urn === e.urn) as StateEntry);
}

async function resolveExports(
  mod: Record<string, unknown>,
  preview: boolean,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await Promise.all(
    Object.entries(mod).map(async ([k, v]) => {
      if (!pulumi.Output.isInstance(v)) out[k] = v;
      else if (preview) {
        // An apply never runs on an unknown value: ask whether it is known first (the SDK's own fields).
        const o = v as unknown as {
          isKnown: Promise<boolean>;
          promise(withUnknowns?: boolean): Promise<unknown>;
        };
        out[k] = (await o.isKnown) ? unwrapSecrets(await o.promise(true)) : UNKNOWN;
      } else out[k] = await new Promise((resolve) => (v as pulumi.Output<unknown>).apply(resolve));
    }),
  );
  return out;
}

async function up(
  job: RunnerJob,
  steps: RunnerStep[],
  failures: RunnerResult["failures"],
): Promise<{ state: StateEntry[]; exports: Record<string, unknown> }> {
  const old = new Map(job.state.map((e) => [e.urn, e]));
  const next = new Map<string, StateEntry>();
  const order: string[] = [];
  const pendingDeps = new Map<string, { parent: string; deps: string[]; retainOnDelete?: boolean }>();
  const preview = job.mode === "preview";
  let inflight = 0;
  let lastActivity = Date.now();
  const project = job.project;
  const stack = job.stack;
  const urnOf = (parent: string, type: string, name: string): string => {
    let t = type;
    if (parent) t = `${parent.split("::")[2].split("$").pop()}$${type}`;
    return `urn:pulumi:${stack}::${project}::${t}::${name}`;
  };

  const mocks: pulumi.runtime.Mocks = {
    async newResource(args: pulumi.runtime.MockResourceArgs) {
      if (!args.custom) return { id: undefined, state: {} };
      inflight++;
      lastActivity = Date.now();
      const meta = pendingDeps.get(`${args.type}::${args.name}`) ?? { parent: "", deps: [] };
      const urn = urnOf(meta.parent, args.type, args.name);
      const started = Date.now();
      try {
        const docker = dockerProviderFor(args.type);
        if (!docker && !args.type.startsWith("pulumi-nodejs:dynamic")) {
          throw new Error(
            `${urn}: the program harness performs dynamic and @pulumi/docker resources only (got ${args.type})`,
          );
        }
        let news = unwrapSecrets(args.inputs) as Record<string, unknown>;
        const text = news[PROVIDER_KEY];
        const provider = docker ?? providerOf(text, urn);
        const prev = old.get(urn);
        if (provider.check) {
          const c = await provider.check(prev?.inputs ?? {}, news);
          if (c.failures && c.failures.length > 0)
            throw new Error(
              `${urn}: check failed: ${c.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
            );
          news = { ...(c.inputs ?? news), ...(text !== undefined ? { [PROVIDER_KEY]: text } : {}) };
        }
        const record = (
          id: string,
          outs: Record<string, unknown> | undefined,
          kind: StepKind,
          keys?: string[],
        ): { id: string; state: Record<string, unknown> } => {
          const outputs = { ...(outs ?? {}), ...(text !== undefined ? { [PROVIDER_KEY]: text } : {}) };
          next.set(urn, {
            urn,
            type: args.type,
            name: args.name,
            id,
            inputs: news,
            outputs,
            deps: meta.deps,
            ...(meta.retainOnDelete ? { retainOnDelete: true } : {}),
          });
          order.push(urn);
          steps.push({
            urn,
            name: args.name,
            type: args.type,
            kind,
            ...(keys ? { keys } : {}),
            startedMs: started - t0,
            durationMs: Date.now() - started,
          });
          return { id, state: outputs };
        };
        // A preview's planned outputs: the checked inputs, everything else unknown (absent keys
        // resolve as unknown under isDryRun); an empty id is an unknown id.
        const planned = (): Record<string, unknown> => {
          const { [PROVIDER_KEY]: _p, ...rest } = news;
          return rest;
        };
        if (!prev) {
          if (preview) return record("", planned(), "create");
          const r = await provider.create(news);
          return record(r.id, r.outs, "create");
        }
        const d = provider.diff ? await provider.diff(prev.id, prev.outputs, news) : { changes: true };
        const replaces = d.replaces ?? [];
        if (d.changes === false || (d.changes === undefined && replaces.length === 0))
          return record(prev.id, prev.outputs, "same");
        if (preview) {
          const kind = replaces.length > 0 ? "replace" : "update";
          const keys = replaces.length > 0 ? replaces : changedKeys(prev.inputs, news);
          return record(kind === "replace" ? "" : prev.id, planned(), kind, keys);
        }
        if (replaces.length > 0) {
          if (d.deleteBeforeReplace) {
            if (provider.delete) await provider.delete(prev.id, prev.outputs);
            const r = await provider.create(news);
            return record(r.id, r.outs, "replace", replaces);
          }
          const r = await provider.create(news);
          if (provider.delete) await provider.delete(prev.id, prev.outputs);
          return record(r.id, r.outs, "replace", replaces);
        }
        if (!provider.update) throw new Error(`${urn}: changes but the provider has no update`);
        const r = await provider.update(prev.id, prev.outputs, news);
        return record(prev.id, r.outs ?? prev.outputs, "update", changedKeys(prev.inputs, news));
      } catch (e) {
        failures.push({ urn, message: (e as Error).message });
        // A failed create leaves the old state (if any) in place, as the engine does.
        const prev = old.get(urn);
        if (prev) next.set(urn, prev);
        throw e;
      } finally {
        inflight--;
        lastActivity = Date.now();
      }
    },
    call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
  };

  await pulumi.runtime.setMocks(mocks, project, stack, preview);
  pulumi.runtime.setAllConfig(job.config, job.secretKeys);
  // The mock monitor does not pass dependencies to newResource: read them off the request.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): Record<string, unknown> };
  const monitor = settings.getMonitor() as { registerResource(req: RegisterRequest, cb: unknown): unknown };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
    pendingDeps.set(`${req.getType()}::${req.getName()}`, {
      parent: req.getParent(),
      deps: req.getDependenciesList(),
      retainOnDelete: req.getRetainondelete() === true,
    });
    return original(req, cb);
  };

  // Errors of registration reach the program as rejected Outputs; they are in `failures` already.
  process.on("unhandledRejection", () => undefined);
  let exportsDone = false;
  let exportsValue: Record<string, unknown> = {};
  let programError: string | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(job.programPath) as Record<string, unknown>;
    void resolveExports(mod, preview).then((v) => {
      exportsValue = v;
      exportsDone = true;
    });
  } catch (e) {
    programError = (e as Error).message;
    failures.push({ urn: "program", message: programError });
  }
  const deadline = Date.now() + job.timeoutMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const quiet = inflight === 0 && Date.now() - lastActivity > 500;
    if (quiet && (exportsDone || failures.length > 0 || programError)) break;
    if (Date.now() > deadline) {
      failures.push({
        urn: "program",
        message: `the program did not settle within ${job.timeoutMs} ms (${inflight} resource(s) in flight)`,
      });
      break;
    }
  }
  let state = [...job.state.filter((e) => !next.has(e.urn)), ...order.map((u) => next.get(u) as StateEntry)];
  if (failures.length === 0) {
    // Resources the program no longer declares.
    const removed = job.state.filter((e) => !next.has(e.urn));
    const deleted = await deleteInOrder(removed, steps, failures, preview);
    state = state.filter((e) => !deleted.has(e.urn));
  }
  // A preview changes nothing: the stack keeps its state.
  return { state: preview ? job.state : state, exports: exportsValue };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getRetainondelete(): boolean | undefined;
}

async function main(): Promise<void> {
  const jobFile = process.argv[2];
  const job = JSON.parse(fs.readFileSync(jobFile, "utf8")) as RunnerJob;
  const steps: RunnerStep[] = [];
  const failures: RunnerResult["failures"] = [];
  let result: RunnerResult;
  if (job.mode === "up" || job.mode === "preview") {
    const r = await up(job, steps, failures);
    result = { state: r.state, steps, exports: r.exports, failures };
  } else if (job.mode === "destroy") {
    const deleted = await deleteInOrder(job.state, steps, failures);
    result = { state: job.state.filter((e) => !deleted.has(e.urn)), steps, exports: {}, failures };
  } else {
    result = { state: await refreshAll(job.state, steps, failures), steps, exports: {}, failures };
  }
  fs.writeFileSync(`${jobFile}.result`, JSON.stringify(result), { mode: 0o600 });
  // The SSH pool of this process (shared by every provider, see ops-env.ts).
  const transport = (globalThis as Record<string, unknown>).__weaveLabRemoteTransport as
    { closeAll?: () => Promise<void> } | undefined;
  await transport?.closeAll?.();
  process.exit(0);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`program-runner: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
