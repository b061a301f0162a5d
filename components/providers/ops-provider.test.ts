import * as opsEnv from "./ops-env";
import { opsProvider, type OpsDiff, type OpsResource } from "./ops-provider";

type Props = { lab: string; key?: string; host?: string; gone?: boolean };

/** A resource kind whose diff answers `d` and whose things are gone when `gone` is set. */
function kind(what: string, d: OpsDiff, name?: (i: Props) => string): OpsResource<Props, Props> {
  return {
    what,
    ...(name ? { name } : {}),
    check: () => [],
    diff: () => d,
    create: async (_env, i) => i,
    read: async (_env, p) => (p.gone ? undefined : p),
    update: async (_env, _olds, news) => news,
    delete: async () => undefined,
  };
}

describe("opsProvider", () => {
  const logs: string[] = [];
  beforeEach(() => {
    logs.length = 0;
    jest.spyOn(opsEnv, "defaultOpsEnv").mockReturnValue({
      connect: () => {
        throw new Error("no host in this test");
      },
      log: (m) => logs.push(m),
      sleep: async () => undefined,
    });
  });
  afterEach(() => jest.restoreAllMocks());

  test("diff says in the log what changes, and why where the diff can say", async () => {
    const replace = { changes: true, replaces: ["image"], updates: [], deleteBeforeReplace: true };
    const update = { changes: true, replaces: [], updates: ["connection"], deleteBeforeReplace: true };
    const host = (i: Props): string => String(i.host);
    const c = opsProvider(kind("container", replace));
    const r = opsProvider(kind("router", { ...update, reasons: ["SSH connection settings changed"] }, host));
    const quiet = opsProvider(kind("router", { ...update, reasons: [] }, host));
    const none = opsProvider(kind("router", { ...update, changes: false }, host));
    expect(await c.diff!("t/docker1/web1", {}, { lab: "t", key: "docker1/web1" })).toEqual({
      changes: true,
      replaces: ["image"],
      deleteBeforeReplace: true,
    });
    await r.diff!("t/docker1", {}, { lab: "t", host: "docker1" });
    await quiet.diff!("t/docker2", {}, { lab: "t", host: "docker2" });
    await none.diff!("t/docker3", {}, { lab: "t", host: "docker3" });
    expect(logs).toEqual([
      "container docker1/web1: replace (image)",
      "router docker1: update (connection): SSH connection settings changed",
      "router docker2: update (connection): settings changed",
    ]);
  });

  test("ids are <lab>/<name> (the key unless the kind names it); a thing that is gone reads as an empty id", async () => {
    const d = { changes: false, replaces: [], updates: [], deleteBeforeReplace: false };
    const keyed = opsProvider(kind("container", d));
    const named = opsProvider(kind("router", d, (i) => String(i.host)));
    expect((await keyed.create!({ lab: "t", key: "docker1/web1" })).id).toBe("t/docker1/web1");
    expect((await named.create!({ lab: "t", host: "docker1" })).id).toBe("t/docker1");
    expect(await named.read!("t/docker1", { lab: "t", host: "docker1", gone: true })).toEqual({
      id: "",
      props: {},
    });
    expect(await named.read!("t/docker1", { lab: "t", host: "docker1" })).toEqual({
      id: "t/docker1",
      props: { lab: "t", host: "docker1" },
    });
  });
});
