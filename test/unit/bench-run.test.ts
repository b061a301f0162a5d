import { spawnSync } from "child_process";
import * as path from "path";
import { allOk, listBenches, main, median, renderTable, type BenchModule } from "../../bench/run";

const BENCH_DIR = path.resolve(__dirname, "..", "..", "bench");

/** Runs the runner's main with a loader that records which benches it would have run. */
async function runMain(argv: string[]) {
  let out = "";
  let err = "";
  const loaded: string[] = [];
  const load = (file: string): BenchModule => {
    loaded.push(path.basename(file));
    return { default: async () => [{ name: "x", value: 1, unit: "ms", target: 2 }] };
  };
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }, BENCH_DIR, load);
  return { code, out, err, loaded };
}

describe("bench runner", () => {
  test("median of odd and even counts", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  test("finds the bench modules by file name", () => {
    expect(listBenches(path.resolve(__dirname, "..", "..", "bench"))).toEqual(
      expect.arrayContaining(["plan"]),
    );
  });

  test("table shows value/target ratios and flags misses and failures", () => {
    const rows = [
      { bench: "plan", result: { name: "fast", value: 40, unit: "ms", target: 100 } },
      { bench: "plan", result: { name: "slow", value: 150, unit: "ms", target: 100, note: "n" } },
      { bench: "lab", error: "ssh failed" },
    ];
    expect(renderTable(rows)).toBe(
      [
        "BENCH  NAME  VALUE  UNIT  TARGET  RATIO  STATUS  NOTE",
        "plan   fast  40.00  ms    100     0.400  ok",
        "plan   slow  150    ms    100     1.500  MISSED  n",
        "lab    -     -      -     -       -      FAILED  ssh failed",
        "",
      ].join("\n"),
    );
    expect(allOk(rows.slice(0, 1))).toBe(true);
    expect(allOk(rows.slice(0, 2))).toBe(false);
    expect(allOk(rows.slice(2))).toBe(false);
  });

  test("--help prints the usage with every bench and runs none", async () => {
    const r = await runMain(["--help"]);
    expect(r.code).toBe(0);
    expect(r.loaded).toEqual([]);
    expect(r.out).toContain("Usage: npm run bench");
    for (const b of listBenches(BENCH_DIR)) expect(r.out).toMatch(new RegExp(`^  ${b} +\\S`, "m"));
    // -h too, and wherever it stands among bench names:
    expect((await runMain(["lab", "-h"])).loaded).toEqual([]);
  });

  test("an unknown option is refused (exit 2) instead of being ignored, and nothing runs", async () => {
    const r = await runMain(["--hepl"]);
    expect(r.code).toBe(2);
    expect(r.loaded).toEqual([]);
    expect(r.err).toContain("bench: unknown option --hepl");
  });

  test("runs only the benches named", async () => {
    const r = await runMain(["plan", "--json"]);
    expect(r.code).toBe(0);
    expect(r.loaded).toEqual(["plan.bench.ts"]);
    expect(JSON.parse(r.out)).toEqual([
      { bench: "plan", result: { name: "x", value: 1, unit: "ms", target: 2 } },
    ]);
  });

  test("`npm run bench -- --help` prints the usage through the package script", () => {
    const r = spawnSync("npm", ["run", "--silent", "bench", "--", "--help"], {
      cwd: path.resolve(__dirname, "..", ".."),
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: npm run bench");
    expect(r.stderr).not.toContain("bench: running");
  }, 60_000);
});
