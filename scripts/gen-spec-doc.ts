/**
 * Generates the docs that are derived from code, so they cannot drift:
 * - `docs/spec-reference.md`, from the TSDoc of the interfaces in `components/spec.ts`;
 * - the README's Docker Engine / Weave compatibility table, from `components/weave/compat.ts`;
 * - `docs/range-textbook.svg`, the renderer's picture of the textbook spec's planned split.
 *
 *   npx ts-node --transpile-only scripts/gen-spec-doc.ts          # rewrite what is stale
 *   npx ts-node --transpile-only scripts/gen-spec-doc.ts --check  # exit 1 if anything is stale
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
export const SPEC_DOC = path.join(ROOT, "docs", "spec-reference.md");
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
        .replace(/<S(, A)?>/g, "")
        .replace(/\bS\b/g, "string (secret)")
        .replace(/\bA\b/g, "string (deploy-time Input)");
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
    "Generated from the TSDoc in `components/spec.ts` by `scripts/gen-spec-doc.ts`; a test fails when this file is stale.",
    "In stack config every path is under `weave-lab:` (e.g. `npm run lab -- config set --path weave-lab:network.allocRange 172.16.16.0/24`); in a spec file for `weave-lab plan` the same paths are YAML keys.",
    "",
  ];
  for (const { section, intro, fields } of readSpecFields(file)) {
    out.push(
      `## \`${section.title}\``,
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

/** README with every generated section (the compatibility table) brought up to date. */
export function regenerate(readme: string): string {
  return replaceSection(readme, "compat-table", renderCompatTable());
}

/** The whole of `docs/spec-reference.md`. */
export function renderSpecDoc(): string {
  return [
    "# Spec reference",
    "",
    "<!-- generated by scripts/gen-spec-doc.ts: edit the TSDoc in components/spec.ts, not this file -->",
    "",
    renderSpecReference(),
    "",
    "Stack config keys that are not part of the spec (secrets, the local lab, destroy behaviour,",
    "deadlines) are listed in the README's [Labs on your own hosts](../README.md#labs-on-your-own-hosts).",
    "",
  ].join("\n");
}

/**
 * The README's picture: the textbook spec's *planned* split (the shares the consensus gate later
 * requires of the running routers), drawn without any lab. The container ticks are illustrative:
 * each container is put at the next address of its host's share, the lowest one Weave would
 * hand out on a fresh ring (the range's network address is never used); a real run may differ.
 * The title says it is a plan.
 */
export function textbookView(): RangeView {
  const spec = YAML.parse(fs.readFileSync(TEXTBOOK_SPEC, "utf8")) as LabSpec;
  const plan = planLab(spec);
  const view = viewFromPlan(
    plan,
    `${plan.name}, as planned: ${plan.network.allocRange} split among ${plan.hosts.length} hosts (seed mode)`,
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
  const files: { file: string; current: string; next: string }[] = [
    { file: README, next: regenerate(fs.readFileSync(README, "utf8")) },
    { file: SPEC_DOC, next: renderSpecDoc() },
    { file: TEXTBOOK_SVG, next: renderRangeSvg(textbookView()) },
  ].map((f) => ({ ...f, current: fs.existsSync(f.file) ? fs.readFileSync(f.file, "utf8") : "" }));
  const stale = files.filter((f) => f.next !== f.current);
  if (process.argv.includes("--check")) {
    if (stale.length > 0) {
      const names = stale.map((f) => path.relative(ROOT, f.file)).join(", ");
      console.error(`${names} stale: run \`npx ts-node --transpile-only scripts/gen-spec-doc.ts\``);
      process.exit(1);
    }
    console.log("generated docs are up to date");
  } else {
    for (const f of stale) {
      fs.mkdirSync(path.dirname(f.file), { recursive: true });
      fs.writeFileSync(f.file, f.next);
      console.log(`${path.relative(ROOT, f.file)} updated`);
    }
    if (stale.length === 0) console.log("generated docs already up to date");
  }
}
