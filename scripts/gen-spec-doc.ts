/**
 * Generates the README's generated sections from the code, so docs cannot drift:
 * - the spec reference, from the TSDoc of the interfaces in `components/spec.ts`;
 * - the Docker Engine / Weave compatibility table, from `components/weave/compat.ts`.
 *
 *   npx ts-node --transpile-only scripts/gen-spec-doc.ts          # rewrite README.md
 *   npx ts-node --transpile-only scripts/gen-spec-doc.ts --check  # exit 1 if README.md is stale
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import * as YAML from "yaml";
import { planLab } from "../components/plan";
import type { LabSpec } from "../components/spec";
import { renderRangeSvg, viewFromPlan, RangeView } from "../components/view";
import { intToIpv4, ipv4ToInt, parseCidr } from "../components/view/model";
import { renderCompatTable } from "../components/weave/compat";

const ROOT = path.resolve(__dirname, "..");
export const SPEC_FILE = path.join(ROOT, "components", "spec.ts");
export const README = path.join(ROOT, "README.md");
export const TEXTBOOK_SPEC = path.join(ROOT, "examples", "specs", "textbook.yaml");
export const TEXTBOOK_SVG = path.join(ROOT, "docs", "range-textbook.svg");

/** Interfaces in reading order, with the path under which their fields appear in a spec. */
export const SECTIONS: { iface: string; prefix: string; title: string }[] = [
  { iface: "LabSpec", prefix: "", title: "Lab" },
  { iface: "NetworkSpec", prefix: "network.", title: "network" },
  { iface: "DnsSettings", prefix: "network.dns.", title: "network.dns" },
  { iface: "WeaveSettings", prefix: "network.weave.", title: "network.weave" },
  { iface: "HostSpec", prefix: "hosts[].", title: "hosts[]" },
  { iface: "SshSettings", prefix: "hosts[].ssh.", title: "hosts[].ssh" },
  { iface: "JumpHostSpec", prefix: "hosts[].ssh.jumpHost.", title: "hosts[].ssh.jumpHost" },
  { iface: "ContainerSpec", prefix: "containers[].", title: "containers[]" },
  { iface: "DnsRecordSpec", prefix: "dnsRecords[].", title: "dnsRecords[]" },
];

/** One documented field. */
export interface FieldDoc {
  path: string;
  type: string;
  optional: boolean;
  /** The doc text without its "Defaults to …" sentence, on one line. */
  description: string;
  /** The default as the doc states it, or `required`. */
  default: string;
}

function docOf(node: ts.Node, sf: ts.SourceFile): string {
  const ranges = ts.getLeadingCommentRanges(sf.text, node.getFullStart()) ?? [];
  const block = ranges.map((r) => sf.text.slice(r.pos, r.end)).find((t) => t.startsWith("/**"));
  if (!block) return "";
  return block
    .replace(/^\/\*\*|\*\/$/g, "")
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, ""))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Reads the fields of every interface in `SECTIONS` from the spec's source. */
export function readSpecFields(
  file = SPEC_FILE,
): { section: (typeof SECTIONS)[number]; intro: string; fields: FieldDoc[] }[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const ifaces = new Map<string, ts.InterfaceDeclaration>();
  sf.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n)) ifaces.set(n.name.text, n);
  });
  return SECTIONS.map((section) => {
    const decl = ifaces.get(section.iface);
    if (!decl) throw new Error(`gen-spec-doc: interface ${section.iface} not found in ${file}`);
    const fields = decl.members.filter(ts.isPropertySignature).map((m): FieldDoc => {
      const doc = docOf(m, sf);
      const def = /Defaults to (.*?)\.(\s|$)/.exec(doc);
      const req = /\bRequired( unless [^.]*)?\./.exec(doc);
      const type = (m.type?.getText(sf) ?? "unknown")
        .replace(/\s+/g, " ")
        .replace(/<S>/g, "")
        .replace(/\bS\b/g, "string (secret)");
      return {
        path: section.prefix + (m.name as ts.Identifier).text,
        type,
        optional: m.questionToken !== undefined,
        description: doc.replace(/\s*Defaults to .*?\.(\s|$)/, " ").trim(),
        default: def ? def[1] : req ? `required${req[1] ?? ""}` : m.questionToken ? "" : "required",
      };
    });
    return { section, intro: docOf(decl, sf), fields };
  });
}

const cell = (s: string): string => s.replace(/\|/g, "\\|");

/** The Markdown of the spec reference. */
export function renderSpecReference(file = SPEC_FILE): string {
  const out: string[] = [
    "Generated from the TSDoc in `components/spec.ts` by `scripts/gen-spec-doc.ts`; a test fails when this section is stale.",
    "In stack config every path is under `weave-lab:` (e.g. `pulumi config set --path weave-lab:network.allocRange 172.16.16.0/24`); in a spec file for `weave-lab plan` the same paths are YAML keys.",
    "",
  ];
  for (const { section, intro, fields } of readSpecFields(file)) {
    out.push(
      `#### \`${section.title}\``,
      "",
      intro,
      "",
      "| field | type | default | meaning |",
      "|---|---|---|---|",
    );
    for (const f of fields) {
      out.push(
        `| \`${f.path}\` | \`${cell(f.type)}\` | ${cell(f.default || "—")} | ${cell(f.description)} |`,
      );
    }
    out.push("");
  }
  return out.join("\n").trimEnd();
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`gen-spec-doc: README has no ${start} … ${end} markers`);
  return `${doc.slice(0, a + start.length)}\n${body}\n${doc.slice(b)}`;
}

/** README with every generated section brought up to date. */
export function regenerate(readme: string): string {
  return replaceSection(
    replaceSection(readme, "spec-reference", renderSpecReference()),
    "compat-table",
    renderCompatTable(),
  );
}

/**
 * The README's picture: the textbook spec's planned split, with each container at the first
 * address Weave hands out in its host's share (the lowest free one; the range's network address
 * is never used). In seed mode the verified picture after `pulumi up` is the same.
 */
export function textbookView(): RangeView {
  const spec = YAML.parse(fs.readFileSync(TEXTBOOK_SPEC, "utf8")) as LabSpec;
  const plan = planLab(spec);
  const view = viewFromPlan(
    plan,
    `${plan.name}: ${plan.network.allocRange} split among ${plan.hosts.length} hosts (seed mode)`,
  );
  const range = parseCidr(plan.network.allocRange);
  const next = new Map<string, number>();
  view.containers = plan.containers.map((c) => {
    const share = plan.hosts.find((h) => h.name === c.host)?.predictedShare?.[0];
    const first = share ? ipv4ToInt(share.start) : range.first;
    const ip = next.get(c.host) ?? Math.max(first, range.first + 1);
    next.set(c.host, ip + 1);
    return { name: c.name, host: c.host, ip: intToIpv4(ip) };
  });
  return view;
}

if (require.main === module) {
  const current = fs.readFileSync(README, "utf8");
  const next = regenerate(current);
  const svg = renderRangeSvg(textbookView());
  const svgCurrent = fs.existsSync(TEXTBOOK_SVG) ? fs.readFileSync(TEXTBOOK_SVG, "utf8") : "";
  if (process.argv.includes("--check")) {
    if (next !== current || svg !== svgCurrent) {
      console.error("README.md is stale: run `npx ts-node --transpile-only scripts/gen-spec-doc.ts`");
      process.exit(1);
    }
    console.log("README.md generated sections are up to date");
  } else {
    if (svg !== svgCurrent) {
      fs.mkdirSync(path.dirname(TEXTBOOK_SVG), { recursive: true });
      fs.writeFileSync(TEXTBOOK_SVG, svg);
      console.log(`${path.relative(ROOT, TEXTBOOK_SVG)} updated`);
    }
    if (next !== current) fs.writeFileSync(README, next);
    console.log(next !== current ? "README.md updated" : "README.md already up to date");
  }
}
