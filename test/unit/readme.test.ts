/**
 * The README and docs/: generated parts (spec reference, compatibility table, range picture) must
 * match the code, and hand-written promises (the two commands, config keys, quoted messages, what
 * the picture shows) must match what the code does.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import {
  README,
  readSpecFields,
  regenerate,
  renderSpecDoc,
  SECTIONS,
  SPEC_DOC,
  TEXTBOOK_SPEC,
  TEXTBOOK_SVG,
  textbookView,
} from "../../scripts/gen-spec-doc";
import * as YAML from "yaml";
import { readLabConfig, TIMEOUT_KEYS, type ConfigSource } from "../../components/config";
import { planLab } from "../../components/plan";
import { peerNameValue } from "../../components/model/peer-names";
import { renderRangeSvg } from "../../components/view";
import { renderCompatTable } from "../../components/weave/compat";

const ROOT = path.resolve(__dirname, "..", "..");
const readme = fs.readFileSync(README, "utf8");
const docsDir = path.join(ROOT, "docs");
const docs = fs
  .readdirSync(docsDir)
  .filter((f) => f.endsWith(".md"))
  .map((f) => ({ file: `docs/${f}`, text: fs.readFileSync(path.join(docsDir, f), "utf8") }));
const allDocs = [{ file: "README.md", text: readme }, ...docs];
const troubleshooting = fs.readFileSync(path.join(docsDir, "troubleshooting.md"), "utf8");

describe("README and docs", () => {
  it("have an up-to-date spec reference and compatibility table (run scripts/gen-spec-doc.ts if this fails)", () => {
    expect(regenerate(readme)).toBe(readme);
    expect(readme).toContain(renderCompatTable());
    expect(fs.readFileSync(SPEC_DOC, "utf8")).toBe(renderSpecDoc());
    expect(readme).toContain("](docs/spec-reference.md)");
  });

  it("link only to files that exist", () => {
    for (const { file, text } of allDocs) {
      const dir = path.dirname(path.join(ROOT, file));
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1])) continue;
        expect([file, m[1], fs.existsSync(path.resolve(dir, m[1]))]).toEqual([file, m[1], true]);
      }
    }
  });

  it("name no machine paths and no shared folder beside the clone except the image archive and the capability shim", () => {
    for (const { file, text } of allDocs) {
      expect([file, text.match(/\/work\/|\/tmp\//g)]).toEqual([file, null]);
      const shared = [...text.matchAll(/\.\.\/shared\/[^\s`)]*/g)].map((m) => m[0]);
      // Test set-up only: the images archive, and the capability shim for machines that need it.
      const allowed = ["../shared/weave-images/", "../shared/tools/runc-capfilter/"];
      expect([file, shared.filter((s) => !allowed.some((a) => s.startsWith(a)))]).toEqual([file, []]);
    }
  });

  it("show the range picture the renderer draws for the textbook spec, and say it is a plan", () => {
    expect(fs.readFileSync(TEXTBOOK_SVG, "utf8")).toBe(renderRangeSvg(textbookView()));
    expect(readme).toContain("](docs/range-textbook.svg)");
    expect(readme).toMatch(/is \*\*not from a run\*\*: it is the textbook spec's plan/);
    expect(textbookView().title).toContain("as planned");
  });

  it("explain the bar's order truthfully: by peer name, which is not host order here", () => {
    const plan = planLab(YAML.parse(fs.readFileSync(TEXTBOOK_SPEC, "utf8")));
    const start = (h: (typeof plan.hosts)[number]) => h.predictedShare![0].start;
    const byAddress = [...plan.hosts]
      .sort((a, b) => ipValue(start(a)) - ipValue(start(b)))
      .map((h) => h.name);
    const byPeerName = [...plan.hosts]
      .sort((a, b) => peerNameValue(a.peerName) - peerNameValue(b.peerName))
      .map((h) => h.name);
    const byHost = plan.hosts.map((h) => h.name).sort();
    expect(byAddress).toEqual(byPeerName);
    expect(byAddress).not.toEqual(byHost);
    // The README's example pair must be what the plan gives those hosts.
    const m = /here (\w+) has\s+`([\d./]+)` and (\w+) `([\d./]+)`/.exec(readme);
    expect(m).not.toBeNull();
    const shareOf = (name: string) => plan.hosts.find((h) => h.name === name)!.predictedShare![0].cidr;
    expect([shareOf(m![1]), shareOf(m![3])]).toEqual([m![2], m![4]]);
  });

  it("document every spec field with its default, or say it is required", () => {
    const objects = new Set(SECTIONS.map((s) => s.iface));
    for (const { fields } of readSpecFields()) {
      for (const f of fields) {
        expect(f.description.length).toBeGreaterThan(0);
        if (!objects.has(f.type)) expect([f.path, f.default]).not.toEqual([f.path, ""]);
      }
    }
    // A known entry, rendered in full:
    expect(fs.readFileSync(SPEC_DOC, "utf8")).toContain(
      "| `network.allocRange` | `string` | `\"10.32.0.0/12\"` (Weave's own default) | The IPv4 range Weave's IPAM allocates from (`--ipalloc-range`).",
    );
  });

  it("keep the two-commands table first, with commands that exist, and say what npm test costs", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const firstSection = readme.split("\n## ")[1];
    expect(firstSection.startsWith("Two commands")).toBe(true);
    expect(firstSection).toContain("| `npm run lab` |");
    expect(firstSection).toContain("| `npm test` |");
    expect(firstSection).toMatch(/about \d+–\d+ minutes/);
    for (const pkgName of ["openssh-server", "socat", "docker.io", "debootstrap", "zstd"])
      expect(firstSection).toContain(`\`${pkgName}\``);
    expect(firstSection).toContain("gc_thresh");
    expect(pkg.scripts.lab).toBe("bash scripts/lab.sh");
    expect(pkg.scripts.test).toBe("bash test/run-all.sh");
  });

  it("keep the 'Testing against real hosts' section", () => {
    expect(readme).toContain("## Testing against real hosts");
    expect(readme).toContain("WEAVE_LAB_HOSTS");
  });

  it("run every documented config command through the lab script, which sets the backend and stack", () => {
    for (const { file, text } of allDocs) {
      const bare = text.split("\n").filter((l) => /^\s*pulumi config set/.test(l));
      expect([file, bare]).toEqual([file, []]);
    }
    expect(readme).toContain("npm run lab -- config set --path 'weave-lab:hosts[0].name' docker1");
  });

  it("mention only stack config keys the program reads, with sub-paths that exist", () => {
    // The keys the program reads: every key readLabConfig asks its source for.
    const read = new Set<string>();
    const spy: ConfigSource = {
      get: (k) => {
        read.add(k.replace(/^weave-lab:/, ""));
        return undefined;
      },
      isSecret: () => false,
    };
    readLabConfig(spy, (v) => v);
    const specPaths = new Set(readSpecFields().flatMap((s) => s.fields.map((f) => f.path)));
    const localKeys = interfaceMembers(path.join(ROOT, "components", "config.ts"), "LocalLabSettings");
    const mentioned = new Set<string>();
    for (const { text } of allDocs)
      for (const m of text.matchAll(/weave-lab:(?!index:)([A-Za-z][\w.[\]]*)/g)) mentioned.add(m[1]);
    expect(mentioned.size).toBeGreaterThan(10);
    for (const key of mentioned) {
      const [top, ...rest] = key
        .replace(/\[\d*\]/g, "[]")
        .replace(/\.$/, "")
        .split(".");
      const head = top.replace(/\[\]$/, "");
      expect([key, read.has(head)]).toEqual([key, true]);
      if (rest.length === 0) continue;
      const sub = rest.join(".");
      if (head === "local") expect([key, localKeys.includes(sub)]).toEqual([key, true]);
      else if (head === "timeouts")
        expect([key, (TIMEOUT_KEYS as readonly string[]).includes(sub)]).toEqual([key, true]);
      else if (head === "sshPrivateKeys")
        continue; // host names
      else expect([key, specPaths.has(`${top}.${sub}`)]).toEqual([key, true]);
    }
    // The settings the troubleshooting guide tells people to change are among them.
    for (const k of [
      "forgetUnreachableOnDestroy",
      "network.resetForeignRouters",
      "local.startTimeoutSeconds",
    ])
      expect(troubleshooting).toContain(`weave-lab:${k}`);
  });

  it("quote the planner's real message for the textbook's wrong-range docker4", () => {
    // The troubleshooting text and the cookbook example cite this message; keep them true.
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
    expect(troubleshooting).toContain(quoted);
  });
});

function ipValue(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

/** Property names of an interface in a source file. */
function interfaceMembers(file: string, name: string): string[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  let out: string[] = [];
  sf.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n) && n.name.text === name)
      out = n.members.filter(ts.isPropertySignature).map((m) => (m.name as ts.Identifier).text);
  });
  return out;
}
