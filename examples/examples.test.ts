/**
 * Every example can be copied out of this repository: it imports the package by its name, says
 * how to install it, and its README walks from zero to destroy. Files its README tells people to
 * create (keys, state, installs) are git-ignored.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const EXAMPLES = __dirname;
const REPO = path.resolve(EXAMPLES, "..");
const programs = fs
  .readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.existsSync(path.join(EXAMPLES, e.name, "Pulumi.yaml")))
  .map((e) => e.name)
  .sort();

const read = (ex: string, f: string): string => fs.readFileSync(path.join(EXAMPLES, ex, f), "utf8");

describe("examples", () => {
  test("there are the four documented Pulumi programs", () => {
    expect(programs).toEqual(["cookbook", "hosts-from-resources", "isolation", "local"]);
  });

  describe.each(programs)("%s", (ex) => {
    test("imports the package by its name only (no path into this repository)", () => {
      const imports = [...read(ex, "index.ts").matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
      expect(imports).toContain("weave-lab");
      expect(imports.filter((i) => i !== "weave-lab" && !i.startsWith("@pulumi/"))).toEqual([]);
    });

    test("depends on weave-lab, inside the repository through a link to it", () => {
      const pkg = JSON.parse(read(ex, "package.json")) as { dependencies: Record<string, string> };
      expect(pkg.dependencies["weave-lab"]).toBe("file:../..");
      const target = path.resolve(EXAMPLES, ex, "../..");
      expect(
        (JSON.parse(fs.readFileSync(path.join(target, "package.json"), "utf8")) as { name: string }).name,
      ).toBe("weave-lab");
    });

    test("README gives the commands from zero: install, backend, stack, config, up, destroy", () => {
      const readme = read(ex, "README.md");
      const headings = [...readme.matchAll(/^## \d\. (\w+)/gm)].map((m) => m[1]);
      expect(headings).toEqual(["Install", "Backend", "Stack", "Config", "Up", "Destroy"]);
      for (const cmd of [
        "npm ci",
        "npm run build",
        `cd examples/${ex}`,
        "npm install",
        "export PULUMI_BACKEND_URL=",
        "export PULUMI_CONFIG_PASSPHRASE=",
        "pulumi stack init dev",
        "pulumi up",
        "pulumi destroy",
      ])
        expect([ex, cmd, readme.includes(cmd)]).toEqual([ex, cmd, true]);
      // Every config key the program requires is set in the README.
      for (const m of read(ex, "index.ts").matchAll(
        /config\.require(?:Secret|Object)?(?:<[^>]*>)?\("(\w+)"\)/g,
      ))
        expect(readme).toMatch(new RegExp(`pulumi config set[^\\n]*\\b${m[1]}\\b`));
    });

    test("files the README has people create in the example folder are git-ignored", () => {
      const readme = read(ex, "README.md");
      const created = [
        "node_modules/x",
        "package-lock.json",
        ".pulumi-state/x",
        ...[...readme.matchAll(/> (\w[\w.-]*)\)?$/gm)].map((m) => m[1]),
      ];
      if (ex === "local" || ex === "hosts-from-resources")
        expect(created).toEqual(expect.arrayContaining(["id_ed25519", "known_hosts"]));
      for (const f of created) {
        const rel = path.join("examples", ex, f);
        const r = spawnSync("git", ["check-ignore", "-q", "--no-index", rel], { cwd: REPO });
        expect([rel, r.status]).toEqual([rel, 0]);
      }
    });
  });
});
