/**
 * The DataPlaneCheck provider runs the way Pulumi runs it: serialised, in a fresh process. A lab
 * without containers passes with an empty matrix (no host is asked); a container whose host has
 * no SSH settings fails with a message that survives serialisation.
 */
import { runSerialized, serializeProvider } from "../engine/serialize";
import { dataPlaneProvider } from "../../components/providers/dataplane";
import type { DataPlaneInputs, DataPlaneOutputs } from "../../components/providers/dataplane-ops";

/** Two containers on a host the check has no SSH settings for. */
const lonelyContainers = (): DataPlaneInputs["containers"] => [
  {
    key: "docker9/a",
    name: "a",
    host: "docker9",
    containerId: "a",
    cidr: "10.0.0.1/24",
    names: [],
    usesWeaveDns: false,
  },
  {
    key: "docker9/b",
    name: "b",
    host: "docker9",
    containerId: "b",
    cidr: "10.0.0.2/24",
    names: [],
    usesWeaveDns: false,
  },
];

const base: DataPlaneInputs = {
  lab: "ser",
  containers: [],
  records: [],
  connections: {},
  settleMs: 1_000,
  commandMs: 1_000,
};

it("the serialised provider creates an empty matrix, re-asks on refresh, and names a host it cannot reach", async () => {
  const text = await serializeProvider(dataPlaneProvider);
  const empty = (await runSerialized<{ id: string; outs: DataPlaneOutputs }>(text, "create", [base])).result;
  expect(empty.id).toBe("ser/dataplane");
  expect(empty.outs.ok).toBe(true);
  expect(empty.outs.matrix.summary).toBe("0/0 container pairs as expected, 0/0 name lookups as declared");
  const lonely: DataPlaneInputs = { ...base, containers: lonelyContainers() };
  // Refresh asks again: a stale failed verdict is replaced by what the hosts say now; a host that
  // cannot be asked leaves the last verdict as it was.
  const stale = { ...empty.outs, ok: false, summary: "stale" };
  const reread = (
    await runSerialized<{ id: string; props: DataPlaneOutputs }>(text, "read", ["ser/dataplane", stale])
  ).result;
  expect(reread.props.ok).toBe(true);
  expect(reread.props.summary).toBe("0/0 container pairs as expected, 0/0 name lookups as declared");
  const kept = (
    await runSerialized<{ id: string; props: DataPlaneOutputs }>(text, "read", [
      "ser/dataplane",
      { ...stale, containers: lonelyContainers() },
    ])
  ).result;
  expect(kept.props.summary).toBe("stale");
  await expect(runSerialized(text, "create", [lonely])).rejects.toThrow(
    "data plane: no SSH settings for host docker9",
  );
}, 120_000);
