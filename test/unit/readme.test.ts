/**
 * The README's generated parts (spec reference, compatibility table, range picture) must match
 * the code, and its hand-written promises (the two commands) must match package.json.
 */
import * as fs from "fs";
import * as path from "path";
import {
  README,
  readSpecFields,
  regenerate,
  renderSpecReference,
  SECTIONS,
  TEXTBOOK_SVG,
  textbookView,
} from "../../scripts/gen-spec-doc";
import { renderRangeSvg } from "../../components/view";
import { renderCompatTable } from "../../components/weave/compat";

const readme = fs.readFileSync(README, "utf8");

describe("README", () => {
  it("has an up-to-date spec reference and compatibility table (run scripts/gen-spec-doc.ts if this fails)", () => {
    expect(regenerate(readme)).toBe(readme);
    expect(readme).toContain(renderCompatTable());
    expect(readme).toContain(renderSpecReference());
  });

  it("shows the range picture the renderer draws for the textbook spec", () => {
    expect(fs.readFileSync(TEXTBOOK_SVG, "utf8")).toBe(renderRangeSvg(textbookView()));
    expect(readme).toContain("](docs/range-textbook.svg)");
  });

  it("documents every spec field with its default, or says it is required", () => {
    const objects = new Set(SECTIONS.map((s) => s.iface));
    for (const { fields } of readSpecFields()) {
      for (const f of fields) {
        expect(f.description.length).toBeGreaterThan(0);
        if (!objects.has(f.type)) expect([f.path, f.default]).not.toEqual([f.path, ""]);
      }
    }
    // A known entry, rendered in full:
    expect(readme).toContain(
      "| `network.allocRange` | `string` | `\"10.32.0.0/12\"` (Weave's own default) | The IPv4 range Weave's IPAM allocates from (`--ipalloc-range`).",
    );
  });

  it("keeps the two-commands table first, with commands that exist", () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const firstSection = readme.split("\n## ")[1];
    expect(firstSection.startsWith("Two commands")).toBe(true);
    expect(firstSection).toContain("| `npm run lab` |");
    expect(firstSection).toContain("| `npm test` |");
    expect(pkg.scripts.lab).toBe("bash scripts/lab.sh");
    expect(pkg.scripts.test).toBe("bash test/run-all.sh");
  });

  it("keeps the 'Testing against real hosts' section", () => {
    expect(readme).toContain("## Testing against real hosts");
    expect(readme).toContain("WEAVE_LAB_HOSTS");
  });

  it("quotes the planner's real message for the textbook's wrong-range docker4", () => {
    // The troubleshooting text and the cookbook example cite this message; keep them true.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { planLab } = require("../../components/plan") as typeof import("../../components/plan");
    let message = "";
    try {
      planLab({
        network: { allocRange: "172.16.16.0/24" },
        hosts: [1, 2, 3, 4].map((i) => ({
          name: `docker${i}`,
          address: `10.10.10.10${i}`,
          ssh: { insecureIgnoreHostKey: true },
          ...(i === 4 ? { extraLaunchArgs: ["--ipalloc-range", "172.64.65.0/24"] } : {}),
        })),
      });
    } catch (e) {
      message = (e as Error).message;
    }
    const quoted =
      "hosts[3].extraLaunchArgs[0]: docker4 would launch with range\n172.64.65.0/24 while the network uses 172.16.16.0/24: its connections would be dropped with\n'Incompatible IP allocation ranges'";
    expect(message).toContain(quoted.replace(/\n/g, " "));
    expect(readme).toContain(quoted);
  });
});
