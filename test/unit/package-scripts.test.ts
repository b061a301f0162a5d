/**
 * The package scripts the README tells people to run behave as documented: `npm run test:unit --
 * <path>` runs the named suite only (jest's `--selectProjects` takes every following word as a
 * project name unless an option ends its list).
 */
import { spawnSync } from "child_process";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");

function npmRun(script: string, args: string[]) {
  return spawnSync("npm", ["run", "--silent", script, "--", ...args], { cwd: REPO, encoding: "utf8" });
}

const listed = (stdout: string): string[] =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith("/"))
    .map((l) => path.relative(REPO, l))
    .sort();

describe("package scripts", () => {
  test("`npm run test:unit -- <path>` selects only the named suite", () => {
    const r = npmRun("test:unit", ["test/unit/bench-run.test.ts", "--listTests"]);
    expect(r.status).toBe(0);
    expect(listed(r.stdout)).toEqual(["test/unit/bench-run.test.ts"]);
  }, 60_000);

  test("`npm run test:unit -- <folder> <file>` selects what the paths match, unit suites only", () => {
    const r = npmRun("test:unit", ["components/cli", "test/unit/bench-run.test.ts", "--listTests"]);
    expect(r.status).toBe(0);
    expect(listed(r.stdout)).toEqual(["components/cli/cli.test.ts", "test/unit/bench-run.test.ts"]);
  }, 60_000);

  test("without a path it lists every unit suite and no integration suite", () => {
    const r = npmRun("test:unit", ["--listTests"]);
    const all = listed(r.stdout);
    expect(all).toContain("test/unit/bench-run.test.ts");
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((f) => f.startsWith("test/integration/"))).toEqual([]);
  }, 60_000);
});
