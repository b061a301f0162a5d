/**
 * The provider process's environment: which compiled or source module a fresh process loads,
 * how the engine's address is found in Pulumi's dynamic-provider plugin (so `pulumi.log` reaches
 * the engine instead of the plugin's stdout), and how transport events map to Pulumi's levels.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineAddressOf, findPackageRoot, moduleFile, pulumiLevelOf } from "./ops-env";

const PLUGIN = "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js";

test("the engine address is the plugin's first argument, and only in the plugin", () => {
  expect(engineAddressOf(["node", PLUGIN, "127.0.0.1:45231"], PLUGIN)).toBe("127.0.0.1:45231");
  expect(engineAddressOf(["node", PLUGIN, "[::1]:45231"], PLUGIN)).toBe("[::1]:45231");
  expect(engineAddressOf(["node", "/p/index.js", "127.0.0.1:45231"], "/p/index.js")).toBeUndefined();
  expect(engineAddressOf(["node", PLUGIN], PLUGIN)).toBeUndefined();
  expect(engineAddressOf(["node", PLUGIN, "--flag"], PLUGIN)).toBeUndefined();
  expect(engineAddressOf(["node", "-e"], undefined)).toBeUndefined();
});

test("transport events keep their level, except errors, which are warnings (the operation reports its own failure)", () => {
  const ev = (level: "debug" | "info" | "warn" | "error") => ({ level, hostName: "h1", message: "m" });
  expect((["debug", "info", "warn", "error"] as const).map((l) => pulumiLevelOf(ev(l)))).toEqual([
    "debug",
    "info",
    "warn",
    "warn",
  ]);
});

describe("which file a fresh provider process loads", () => {
  let root = "";
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-modfile-"));
    fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "weave-lab" }));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, mtimeS: number): void => {
    const f = path.join(root, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, "");
    fs.utimesSync(f, mtimeS, mtimeS);
  };

  test("an installed package (no sources) loads the build; a checkout without a build loads the sources", () => {
    write("bin/components/providers/router-provider.js", 1000);
    expect(moduleFile(root, "components/providers/router-provider")).toBe(
      path.join(root, "bin/components/providers/router-provider.js"),
    );
    fs.rmSync(path.join(root, "bin"), { recursive: true });
    write("components/providers/router-provider.ts", 1000);
    expect(moduleFile(root, "components/providers/router-provider")).toBe(
      path.join(root, "components/providers/router-provider.ts"),
    );
  });

  test("a checkout loads the build only when it is at least as new as every source (tests excluded)", () => {
    write("components/providers/router-provider.ts", 1000);
    write("bin/components/providers/router-provider.js", 2000);
    write("components/weave/report.ts", 1500);
    write("components/weave/report.test.ts", 9000);
    const rel = "components/providers/router-provider";
    expect(moduleFile(root, rel)).toBe(path.join(root, "bin", `${rel}.js`));
    write("components/weave/report.ts", 3000);
    expect(moduleFile(root, rel)).toBe(path.join(root, `${rel}.ts`));
  });

  test("a project that depends on weave-lab finds the installed package", () => {
    const project = path.join(root, "project");
    const installed = path.join(project, "node_modules", "weave-lab");
    fs.mkdirSync(installed, { recursive: true });
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "my-lab" }));
    fs.writeFileSync(path.join(installed, "package.json"), JSON.stringify({ name: "weave-lab" }));
    // The project is below the temporary weave-lab root here, so move it out of the way first.
    fs.rmSync(path.join(root, "package.json"));
    expect(fs.realpathSync(findPackageRoot(project))).toBe(fs.realpathSync(installed));
  });

  test("the package root is found from the project directory or below it", () => {
    fs.mkdirSync(path.join(root, "examples", "local"), { recursive: true });
    expect(findPackageRoot(path.join(root, "examples", "local"))).toBe(root);
  });
});
