/**
 * The engine-like harness itself (state between runs, step order, replace semantics, refresh,
 * failures stopping dependants only) with an in-memory provider, and the real Router and
 * ConsensusGate providers surviving `serializeFunction` and running in a fresh Node process.
 */
import type * as pulumi from "@pulumi/pulumi";
import { gateProvider } from "../../components/providers/gate";
import { routerInputs } from "../../components/providers/inputs";
import { routerProvider } from "../../components/providers/router";
import { planLab } from "../../components/plan";
import { Engine, EngineError } from "../engine/engine";
import { runSerialized, serializeProvider } from "../engine/serialize";

jest.setTimeout(120_000);

/** A provider over a Map: `size` replaces (delete before replace), `label` updates in place. */
function memoryProvider(
  world: Map<string, Record<string, unknown>>,
  calls: string[],
): pulumi.dynamic.ResourceProvider {
  let next = 0;
  return {
    async check(_o, news) {
      return {
        inputs: news,
        failures: news.size === "bad" ? [{ property: "size", reason: "bad size" }] : [],
      };
    },
    async diff(_id, olds, news) {
      const replaces = olds.size !== news.size ? ["size"] : [];
      return {
        changes: replaces.length > 0 || olds.label !== news.label || olds.dep !== (news.dep ?? null),
        replaces,
        deleteBeforeReplace: true,
      };
    },
    async create(inputs) {
      if (inputs.fail) throw new Error(`cannot create ${inputs.label}`);
      const id = `r${next++}`;
      calls.push(`create ${id}`);
      world.set(id, { ...inputs });
      return { id, outs: { ...inputs, dep: inputs.dep ?? null } };
    },
    async read(id, props) {
      const w = world.get(id);
      return w ? { id, props: { ...props, ...w } } : { id: "", props: {} };
    },
    async update(id, _o, news) {
      calls.push(`update ${id}`);
      world.set(id, { ...news });
      return { outs: { ...news } };
    },
    async delete(id) {
      calls.push(`delete ${id}`);
      world.delete(id);
    },
  };
}

describe("engine harness", () => {
  test("create → same → update → replace (delete first) → refresh drift and disappearance → destroy in reverse dependency order", async () => {
    const world = new Map<string, Record<string, unknown>>();
    const calls: string[] = [];
    const p = memoryProvider(world, calls);
    const e = new Engine();
    const decl = (label: string, size: number) => [
      { name: "a", provider: p, inputs: { label, size } },
      {
        name: "b",
        provider: p,
        dependsOn: ["a"],
        inputs: (o: (n: string) => Record<string, unknown>) => ({ label: "b", size: 1, dep: o("a").label }),
      },
    ];
    expect((await e.up(decl("x", 1))).map((s) => `${s.name}:${s.kind}`)).toEqual(["a:create", "b:create"]);
    expect(e.outputs("b").dep).toBe("x");
    expect((await e.up(decl("x", 1))).map((s) => s.kind)).toEqual(["same", "same"]);
    const upd = await e.up(decl("y", 1));
    expect(upd.map((s) => `${s.name}:${s.kind}`)).toEqual(["a:update", "b:update"]);
    expect(upd[0].keys).toEqual(["label"]);
    calls.length = 0;
    const rep = await e.up(decl("y", 2));
    expect(rep[0]).toMatchObject({ name: "a", kind: "replace", keys: ["size"] });
    expect(calls.slice(0, 2)).toEqual(["delete r0", "create r2"]);
    world.set(e.state.get("a")!.id, { label: "drifted", size: 2 });
    world.delete(e.state.get("b")!.id);
    const refreshed = await e.refresh();
    expect(refreshed.find((s) => s.name === "a")).toMatchObject({ kind: "refresh", keys: ["label"] });
    expect(refreshed.find((s) => s.name === "b")?.kind).toBe("gone");
    expect(e.state.has("b")).toBe(false);
    calls.length = 0;
    await e.destroy();
    expect(calls).toEqual([`delete ${"r2"}`]);
    expect(e.state.size).toBe(0);
  });

  test("a failed resource stops its dependants, not its siblings; check failures name the property", async () => {
    const world = new Map<string, Record<string, unknown>>();
    const p = memoryProvider(world, []);
    const e = new Engine();
    const err = (await e
      .up([
        { name: "ok", provider: p, inputs: { label: "ok", size: 1 } },
        { name: "broken", provider: p, inputs: { label: "broken", size: 1, fail: true } },
        { name: "child", provider: p, dependsOn: ["broken"], inputs: { label: "child", size: 1 } },
        { name: "checked", provider: p, inputs: { label: "c", size: "bad" } },
      ])
      .catch((x: unknown) => x)) as EngineError;
    expect(err).toBeInstanceOf(EngineError);
    expect(err.failures.map((f) => `${f.name}: ${f.error.message}`).sort()).toEqual([
      "broken: cannot create broken",
      "checked: size: bad size",
    ]);
    expect([...e.state.keys()]).toEqual(["ok"]);
  });
});

describe("providers in a fresh Node process (as Pulumi's dynamic-provider plugin runs them)", () => {
  const plan = planLab({
    name: "ser",
    network: { allocRange: "172.16.16.0/24" },
    hosts: [
      { name: "h1", address: "10.1.0.1", ssh: { insecureIgnoreHostKey: true } },
      { name: "h2", address: "10.1.0.2", ssh: { insecureIgnoreHostKey: true } },
    ],
  });
  const conns = Object.fromEntries(
    plan.hosts.map((h) => [
      h.name,
      {
        hostName: h.name,
        host: h.address,
        port: 22,
        user: "root",
        insecureIgnoreHostKey: true,
        sudo: false,
        connectTimeoutSeconds: 1,
        privateKey: "not-a-key",
      },
    ]),
  );

  test("the Router provider serialises without capturing the SSH transport and answers check/diff from the serialised text", async () => {
    const text = await serializeProvider(routerProvider);
    // The provider logic and the transport (ssh2 client, pool) are loaded in the provider
    // process, never serialised: the text is a small shim naming the module to load.
    expect(text).not.toMatch(/class SshConnection|PooledConnection|diffRouter|createRouter/);
    expect(text).toContain("components/providers/router-provider");
    expect(text.length).toBeLessThan(12_000);
    const olds = { ...routerInputs(plan, "h1", conns, undefined), status: "running" };
    const news = { ...routerInputs(plan, "h1", conns, undefined), allocRange: "172.16.17.0/24" };
    const diff = await runSerialized<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>(
      text,
      "diff",
      ["id", olds, news],
    );
    expect(diff.result).toEqual({ changes: true, replaces: ["allocRange"], deleteBeforeReplace: true });
    const check = await runSerialized<{ failures: Array<{ property: string }> }>(text, "check", [
      {},
      { host: "h1" },
    ]);
    expect(check.result.failures.map((f) => f.property)).toEqual([
      "peerName",
      "allocRange",
      "connection",
      "launch",
      "weave",
      "timeouts",
    ]);
  });

  test("the serialised Router reaches the transport in the fresh process: a delete on an unreachable host fails naming it", async () => {
    const text = await serializeProvider(routerProvider);
    const props = {
      ...routerInputs(plan, "h1", conns, undefined),
      connection: { ...conns.h1, host: "127.0.0.1", port: 1 },
    };
    const err = await runSerialized(text, "delete", ["id", props]).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^h1: cannot reach the host to reset its router \(host h1/);
  });

  test("the ConsensusGate provider serialises and validates its inputs in the fresh process", async () => {
    const text = await serializeProvider(gateProvider);
    const r = await runSerialized<{ failures: Array<{ property: string; reason: string }> }>(text, "check", [
      {},
      { hosts: [], timeoutSeconds: -1 },
    ]);
    expect(r.result.failures).toEqual([
      { property: "hosts", reason: "at least one host is required" },
      { property: "timeoutSeconds", reason: "must be a positive number of seconds, got -1" },
    ]);
  });
});
