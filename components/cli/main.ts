#!/usr/bin/env node
/**
 * `weave-lab` command line. Today one command:
 *
 *   weave-lab plan <spec.yaml|spec.json> [--json]
 *
 * prints the plan (hosts with predicted shares, containers, warnings, launch commands) or, with
 * `--json`, the LabPlan itself. Exit codes: 0 planned, 1 the spec is invalid (every problem on
 * stderr, one `path: message` per line), 2 usage error (bad arguments, unreadable file).
 */
import * as fs from "fs";
import * as YAML from "yaml";
import { planLab, SpecError } from "../plan";
import { renderPlan } from "./render";

export const USAGE = `Usage: weave-lab plan <spec.yaml|spec.json> [--json]

  plan    Validate a lab spec and show what weave-lab would do: each host's peer name and
          predicted share of the range, container addressing and DNS names, warnings, and the
          exact 'weave launch' per host (secrets shown as <secret>).
  --json  Print the plan as JSON instead of tables.

Exit status: 0 planned, 1 invalid spec (one 'path: message' per problem), 2 usage error.
`;

/** Where the CLI writes and reads; injectable so tests need no processes or files. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => string;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: (p) => fs.readFileSync(p, "utf8"),
};

/** Parse a spec file's text: JSON if it looks like JSON, YAML otherwise (YAML 1.2 core schema). */
export function parseSpecText(text: string, path: string): unknown {
  if (path.endsWith(".json")) return JSON.parse(text);
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join("\n"));
  return doc.toJS();
}

/** Run the CLI with `args` (without `node` and the script); returns the exit code. */
export function runCli(args: readonly string[], io: CliIo = defaultIo): number {
  const usage = (why: string): number => {
    io.stderr(`weave-lab: ${why}\n\n${USAGE}`);
    return 2;
  };
  if (args.length === 0) return usage("missing command");
  if (args[0] === "help" || args[0] === "--help" || args[0] === "-h") {
    io.stdout(USAGE);
    return 0;
  }
  if (args[0] !== "plan") return usage(`unknown command '${args[0]}'`);
  const rest = args.slice(1);
  const json = rest.includes("--json");
  const unknown = rest.filter((a) => a.startsWith("-") && a !== "--json");
  if (unknown.length > 0) return usage(`unknown option ${unknown.map((u) => `'${u}'`).join(", ")}`);
  const files = rest.filter((a) => !a.startsWith("-"));
  if (files.length !== 1)
    return usage(
      files.length === 0 ? "plan needs a spec file" : `plan takes one spec file, got ${files.length}`,
    );
  const file = files[0];

  let text: string;
  try {
    text = io.readFile(file);
  } catch (e) {
    return usage(`cannot read ${file}: ${(e as Error).message}`);
  }
  let spec: unknown;
  try {
    spec = parseSpecText(text, file);
  } catch (e) {
    io.stderr(`${file}: not valid ${file.endsWith(".json") ? "JSON" : "YAML"}:\n${(e as Error).message}\n`);
    return 1;
  }
  try {
    const plan = planLab(spec as Parameters<typeof planLab>[0]);
    io.stdout(json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
    return 0;
  } catch (e) {
    if (e instanceof SpecError) {
      io.stderr(`${file}: ${e.issues.length} problem${e.issues.length === 1 ? "" : "s"}:\n`);
      for (const i of e.issues) io.stderr(`${i.path}: ${i.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2));
}
