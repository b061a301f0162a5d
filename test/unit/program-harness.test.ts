/**
 * The program harness on a tiny program (no hosts): creates in dependency order, a second up is
 * all "same", updates and replaces per the provider's diff, refresh drops what is gone, removed
 * resources and destroy delete dependants first, a provider failure names the resource.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Item } from "../engine/fake-program";
import { ProgramHarness, ProgramRunError } from "../engine/program-harness";

jest.setTimeout(120_000);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-fake-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const harness = (items: Item[]): ProgramHarness =>
  new ProgramHarness({
    programPath: path.join(__dirname, "..", "engine", "fake-program.ts"),
    config: { "fake:dir": dir, "fake:items": JSON.stringify(items) },
    timeoutMs: 60_000,
  });
const configure = (h: ProgramHarness, items: Item[]): void =>
  h.configure({ "fake:items": JSON.stringify(items) });
function log(): Array<{ op: string; name: string; at: number; unknown?: boolean }> {
  const f = path.join(dir, "log");
  return fs.existsSync(f)
    ? fs
        .readFileSync(f, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { op: string; name: string; at: number; unknown?: boolean })
    : [];
}
/** What changed things (check and diff, which every preview and up call, left out). */
const ops = (): string[] =>
  log()
    .filter((e) => e.op !== "check" && e.op !== "diff")
    .map((e) => `${e.op} ${e.name}`);

test("a program's lifecycle: ordered creates, a quiet second up, update and replace by the provider's diff, refresh, removal and destroy dependants first", async () => {
  const items: Item[] = [
    { name: "a", value: "x" },
    { name: "b", value: "yy", dependsOn: ["a"] },
    { name: "c", value: "zzz", dependsOn: ["a"] },
  ];
  const h = harness(items);
  const first = await h.up();
  expect(first.exports.lengths).toEqual({ a: 1, b: 2, c: 3 });
  expect(ops()[0]).toBe("create a");
  expect(ops().slice(1).sort()).toEqual(["create b", "create c"]);
  const [a, b, c] = ["a", "b", "c"].map((n) => log().find((e) => e.op === "create" && e.name === n)!.at);
  // Ordering, not speed: b and c start only after a's create ended (the fake logs a create's start
  // and then takes 150 ms, so a ended at a + 150; 10 ms spare for timer rounding). Whether b and
  // c overlap is not asserted: the log has no end times to compare, and start times alone would
  // be a wall-clock bound that a loaded machine can break.
  for (const start of [b, c]) expect(start).toBeGreaterThanOrEqual(a + 140);
  expect(h.resource("b")?.deps).toEqual([h.resource("a")?.urn]);

  const second = await h.up();
  expect(second.steps.map((s) => s.kind)).toEqual(["same", "same", "same"]);
  expect(ops()).toHaveLength(3);

  configure(h, [items[0], { ...items[1], value: "yyyy" }, { ...items[2], replaceKey: "v2" }]);
  const third = await h.up();
  expect(
    third.steps
      .filter((s) => s.kind !== "same")
      .map((s) => `${s.name}:${s.kind}:${(s.keys ?? []).join(",")}`)
      .sort(),
  ).toEqual(["b:update:value", "c:replace:replaceKey"]);
  expect(ops().slice(3).sort()).toEqual(["create c", "delete c", "update b"]);
  expect(third.exports.lengths).toEqual({ a: 1, b: 4, c: 3 });

  fs.rmSync(path.join(dir, "c"));
  const refreshed = await h.refresh();
  expect(refreshed.steps.filter((s) => s.kind === "gone").map((s) => s.name)).toEqual(["c"]);
  expect(h.resource("c")).toBeUndefined();

  configure(h, [items[0], { ...items[1], value: "yyyy" }]);
  const fourth = await h.up();
  expect(fourth.steps.filter((s) => s.kind !== "same")).toEqual([]);
  configure(h, [items[0]]);
  const fifth = await h.up();
  expect(fifth.steps.filter((s) => s.kind === "delete").map((s) => s.name)).toEqual(["b"]);

  configure(h, items);
  await h.up();
  const before = log().length;
  const down = await h.destroy();
  expect(h.state).toEqual([]);
  const deletes = log().slice(before);
  expect(deletes.at(-1)).toMatchObject({ op: "delete", name: "a" });
  const aDel = deletes.find((e) => e.name === "a")!.at;
  // Ordering again: b's and c's deletes (100 ms each) ended before a's began.
  for (const n of ["b", "c"]) expect(deletes.find((e) => e.name === n)!.at + 90).toBeLessThanOrEqual(aDel);
  expect(down.steps.map((s) => s.kind)).toEqual(["delete", "delete", "delete"]);
  expect(fs.readdirSync(dir).sort()).toEqual(["log"]);
});

test("a provider failure fails the run naming the resource; dependants are not created and the state keeps what was made", async () => {
  const h = harness([
    { name: "ok", value: "1" },
    { name: "bad", value: "2", fail: true },
    { name: "after", value: "3", dependsOn: ["bad"] },
  ]);
  const err = await h.up().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProgramRunError);
  expect((err as ProgramRunError).message).toMatch(
    /urn:pulumi:e2e::weave-lab::pulumi-nodejs:dynamic\/fake:Item::bad: refusing to create bad/,
  );
  expect(ops()).not.toContain("create after");
  expect(h.state.map((e) => e.name)).toEqual(["ok"]);
  await h.destroy();
  expect(h.state).toEqual([]);
});

test("every up previews first: check and diff get Pulumi's unknown placeholder for outputs not known yet, and nothing changes", async () => {
  const items: Item[] = [
    { name: "a", value: "x" },
    { name: "b", value: "yy", lengthOf: "a" },
  ];
  const h = harness(items);
  const preview = await h.preview();
  expect(ops()).toEqual([]);
  expect(h.state).toEqual([]);
  expect(preview.steps.map((s) => `${s.kind} ${s.name}`)).toEqual(["create a", "create b"]);
  // b's input comes from a's output, which does not exist yet.
  expect(log().filter((e) => e.op === "check")).toEqual([
    expect.objectContaining({ name: "a", unknown: false }),
    expect.objectContaining({ name: "b", unknown: true }),
  ]);
  expect(preview.exports.lengths).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9");

  const first = await h.up();
  expect(first.preview?.map((s) => s.kind)).toEqual(["create", "create"]);
  expect(first.exports.lengths).toEqual({ a: 1, b: 2 });
  expect(ops()).toEqual(["create a", "create b"]);

  // a replaced: in the preview b's basis is unknown again and b's diff is given the placeholder.
  fs.writeFileSync(path.join(dir, "log"), "");
  configure(h, [{ name: "a", value: "xxx", replaceKey: "2" }, items[1]]);
  const planned = await h.preview();
  expect(planned.steps.map((s) => `${s.kind} ${s.name}`)).toEqual(["replace a", "update b"]);
  expect(log().find((e) => e.op === "diff" && e.name === "b")?.unknown).toBe(true);
  expect(ops()).toEqual([]);
  const applied = await h.up();
  expect(applied.exports.lengths).toEqual({ a: 3, b: 2 });
  await h.destroy();
});
