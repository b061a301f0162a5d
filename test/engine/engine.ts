/**
 * A small stand-in for the Pulumi engine, for dynamic providers: it keeps state between runs and
 * calls `check → diff → create | update | replace → read → delete` with the same arguments the
 * engine passes (`olds` are the previous outputs, as the dynamic-provider plugin gives them).
 *
 * Resources form a DAG (`dependsOn`); `up` walks it like the engine: creates/updates/replaces in
 * dependency order (independent resources concurrently), then deletes resources no longer
 * declared in reverse dependency order. Every step is recorded so tests can assert what ran.
 */
import type * as pulumi from "@pulumi/pulumi";

/** One resource a program declares. */
export interface DesiredResource {
  /** Unique name (stands in for the URN). */
  name: string;
  provider: pulumi.dynamic.ResourceProvider;
  /**
   * Inputs, or a function computing them from the outputs of resources this one depends on
   * (like Outputs in a program: resolved when the dependencies are done).
   */
  inputs:
    | Record<string, unknown>
    | ((outputsOf: (name: string) => Record<string, unknown>) => Record<string, unknown>);
  /** Names of resources this one depends on (the engine orders steps by them). */
  dependsOn?: string[];
}

/** What the engine holds for one resource between runs. */
export interface ResourceState {
  name: string;
  id: string;
  provider: pulumi.dynamic.ResourceProvider;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  dependsOn: string[];
}

export type StepKind = "create" | "update" | "replace" | "same" | "delete" | "refresh" | "gone";

export interface Step {
  name: string;
  kind: StepKind;
  /** For update/replace: the keys the diff reported (replaces first). */
  keys?: string[];
  durationMs: number;
}

/** Raised by `up`: the first failure with the steps that ran before it. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly steps: Step[],
    readonly failures: Array<{ name: string; error: Error }>,
  ) {
    super(message);
  }
}

export class Engine {
  /** State after the last run, by resource name. */
  readonly state = new Map<string, ResourceState>();

  /** Outputs of one resource (throws if it does not exist). */
  outputs<T = Record<string, unknown>>(name: string): T {
    const s = this.state.get(name);
    if (!s) throw new Error(`engine: no resource ${name} in state`);
    return s.outputs as T;
  }

  /**
   * Converge to `desired`. Like the engine, a failed resource stops its dependants but not its
   * independent siblings; the run then fails listing every failure.
   */
  async up(desired: DesiredResource[]): Promise<Step[]> {
    const steps: Step[] = [];
    const failures: Array<{ name: string; error: Error }> = [];
    const byName = new Map(desired.map((d) => [d.name, d]));
    const done = new Map<string, Promise<boolean>>();
    const visit = (d: DesiredResource): Promise<boolean> => {
      let p = done.get(d.name);
      if (!p) {
        p = (async () => {
          const deps = await Promise.all(
            (d.dependsOn ?? []).map((n) => {
              const dep = byName.get(n);
              if (!dep) throw new Error(`engine: ${d.name} depends on undeclared ${n}`);
              return visit(dep);
            }),
          );
          if (deps.some((ok) => !ok)) return false;
          try {
            steps.push(await this.step(d));
            return true;
          } catch (e) {
            failures.push({ name: d.name, error: e as Error });
            return false;
          }
        })();
        done.set(d.name, p);
      }
      return p;
    };
    await Promise.all(desired.map(visit));
    if (failures.length === 0) {
      const removed = [...this.state.values()].filter((s) => !byName.has(s.name));
      await this.deleteInOrder(removed, steps, failures);
    }
    if (failures.length > 0) {
      const msg = failures.map((f) => `${f.name}: ${f.error.message}`).join("\n");
      throw new EngineError(`up failed:\n${msg}`, steps, failures);
    }
    return steps;
  }

  /** `pulumi refresh`: `read` every resource; an empty id drops it from state. */
  async refresh(): Promise<Step[]> {
    const steps: Step[] = [];
    await Promise.all(
      [...this.state.values()].map(async (s) => {
        const started = Date.now();
        if (!s.provider.read) {
          steps.push({ name: s.name, kind: "refresh", durationMs: 0 });
          return;
        }
        const r = await s.provider.read(s.id, s.outputs);
        if (!r.id) {
          this.state.delete(s.name);
          steps.push({ name: s.name, kind: "gone", durationMs: Date.now() - started });
          return;
        }
        const changed = changedKeys(s.outputs, r.props ?? {});
        s.outputs = (r.props ?? {}) as Record<string, unknown>;
        s.id = r.id;
        steps.push({ name: s.name, kind: "refresh", keys: changed, durationMs: Date.now() - started });
      }),
    );
    return steps;
  }

  /** `pulumi destroy`: delete everything in reverse dependency order. */
  async destroy(): Promise<Step[]> {
    const steps: Step[] = [];
    const failures: Array<{ name: string; error: Error }> = [];
    await this.deleteInOrder([...this.state.values()], steps, failures);
    if (failures.length > 0) {
      throw new EngineError(
        `destroy failed:\n${failures.map((f) => `${f.name}: ${f.error.message}`).join("\n")}`,
        steps,
        failures,
      );
    }
    return steps;
  }

  private async step(d: DesiredResource): Promise<Step> {
    const started = Date.now();
    const old = this.state.get(d.name);
    const p = d.provider;
    let news = typeof d.inputs === "function" ? d.inputs((n) => this.outputs(n)) : d.inputs;
    if (p.check) {
      const c = await p.check(old?.inputs ?? {}, news);
      if (c.failures && c.failures.length > 0) {
        throw new Error(c.failures.map((f) => `${f.property}: ${f.reason}`).join("\n"));
      }
      news = (c.inputs ?? news) as Record<string, unknown>;
    }
    const record = (id: string, outs: Record<string, unknown> | undefined): void => {
      this.state.set(d.name, {
        name: d.name,
        id,
        provider: p,
        inputs: news,
        outputs: outs ?? {},
        dependsOn: d.dependsOn ?? [],
      });
    };
    if (!old) {
      const r = await p.create(news);
      record(r.id, r.outs);
      return { name: d.name, kind: "create", durationMs: Date.now() - started };
    }
    const diff = p.diff ? await p.diff(old.id, old.outputs, news) : { changes: true };
    const replaces = diff.replaces ?? [];
    if (diff.changes === false || (diff.changes === undefined && replaces.length === 0)) {
      // The engine keeps the outputs and records the new inputs.
      record(old.id, old.outputs);
      return { name: d.name, kind: "same", durationMs: Date.now() - started };
    }
    if (replaces.length > 0) {
      if (diff.deleteBeforeReplace) {
        if (p.delete) await p.delete(old.id, old.outputs);
        this.state.delete(d.name);
        const r = await p.create(news);
        record(r.id, r.outs);
      } else {
        const r = await p.create(news);
        if (p.delete) await p.delete(old.id, old.outputs);
        record(r.id, r.outs);
      }
      return { name: d.name, kind: "replace", keys: replaces, durationMs: Date.now() - started };
    }
    if (!p.update) throw new Error(`engine: ${d.name} has changes but its provider has no update`);
    const r = await p.update(old.id, old.outputs, news);
    record(old.id, r.outs ?? old.outputs);
    return {
      name: d.name,
      kind: "update",
      keys: changedKeys(old.inputs, news),
      durationMs: Date.now() - started,
    };
  }

  private async deleteInOrder(
    toDelete: ResourceState[],
    steps: Step[],
    failures: Array<{ name: string; error: Error }>,
  ): Promise<void> {
    const names = new Set(toDelete.map((s) => s.name));
    const done = new Map<string, Promise<boolean>>();
    // A resource is deleted after every resource (being deleted) that depends on it.
    const visit = (s: ResourceState): Promise<boolean> => {
      let p = done.get(s.name);
      if (!p) {
        p = (async () => {
          const dependants = toDelete.filter((o) => o.dependsOn.includes(s.name) && names.has(o.name));
          const ok = await Promise.all(dependants.map(visit));
          if (ok.some((x) => !x)) return false;
          const started = Date.now();
          try {
            if (s.provider.delete) await s.provider.delete(s.id, s.outputs);
            this.state.delete(s.name);
            steps.push({ name: s.name, kind: "delete", durationMs: Date.now() - started });
            return true;
          } catch (e) {
            failures.push({ name: s.name, error: e as Error });
            return false;
          }
        })();
        done.set(s.name, p);
      }
      return p;
    };
    await Promise.all(toDelete.map(visit));
  }
}

/** Top-level keys whose JSON differs (what a refresh or update changed). */
export function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}
