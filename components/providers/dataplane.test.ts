import { dataPlaneProviderImpl as p } from "./dataplane";
import type { DataPlaneInputs, DataPlaneOutputs } from "./dataplane-ops";

const inputs: DataPlaneInputs = {
  lab: "t",
  containers: [
    {
      key: "docker1/a",
      name: "a",
      host: "docker1",
      containerId: "a1",
      cidr: "10.0.0.1/24",
      names: ["a.weave.local"],
      usesWeaveDns: true,
    },
  ],
  records: [],
  connections: {},
  settleMs: 1_000,
  commandMs: 1_000,
};
const passed: DataPlaneOutputs = {
  ...inputs,
  ok: true,
  summary: "passed",
  matrix: { ok: true, summary: "passed", pairs: [], lookups: [] } as unknown as DataPlaneOutputs["matrix"],
};

describe("DataPlaneCheck provider", () => {
  test("check names each bad deadline and what is allowed", async () => {
    expect((await p.check!({}, { ...inputs, settleMs: 0, commandMs: -1 })).failures).toEqual([
      { property: "settleMs", reason: "must be a positive number of ms, got 0" },
      { property: "commandMs", reason: "must be a positive number of ms, got -1" },
    ]);
    expect((await p.check!({}, inputs)).failures).toEqual([]);
  });

  test("it checks again when a container, a record, the hosts or the deadlines changed, or it did not pass; never replaced", async () => {
    expect(await p.diff!("t/dataplane", passed, inputs)).toMatchObject({ changes: false, replaces: [] });
    const again: Array<Partial<DataPlaneInputs>> = [
      { containers: [{ ...inputs.containers[0], containerId: "a2" }] },
      { records: [{ fqdn: "db.weave.local", ips: ["10.0.0.9"] }] as unknown as DataPlaneInputs["records"] },
      { connections: { docker1: { hostName: "docker1", host: "10.0.0.1" } as never } },
      { settleMs: 2_000 },
      { commandMs: 2_000 },
    ];
    for (const change of again)
      expect(await p.diff!("t/dataplane", passed, { ...inputs, ...change })).toMatchObject({
        changes: true,
        replaces: [],
      });
    expect(await p.diff!("t/dataplane", { ...passed, ok: false }, inputs)).toMatchObject({ changes: true });
  });

  test("an update that changes only the deadlines keeps the passed verdict without asking any host", async () => {
    // No connection for docker1: asking would fail.
    const r = await p.update!("t/dataplane", passed, { ...inputs, settleMs: 5_000 });
    expect(r.outs).toMatchObject({ ok: true, summary: "passed", settleMs: 5_000 });
  });
});
