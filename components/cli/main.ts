#!/usr/bin/env node
/**
 * `weave-lab` command line. Today one command:
 *
 *   weave-lab plan <spec.yaml|spec.json|-> [--json]
 *
 * prints the plan (hosts with predicted shares, containers, warnings, launch commands) or, with
 * `--json`, the LabPlan itself. Exit codes: 0 planned, 1 the spec is invalid (every problem on
 * stderr, one `path: message` per line), 2 usage error (bad arguments, unreadable file). With
 * `--json` a failure is a JSON document on stdout instead (same exit code), so scripts read one
 * stream. Text from the input (file names, parser messages) is shown with control characters
 * escaped: a binary file cannot drive the terminal.
 */
import * as fs from "fs";
import * as path from "path";
import { planLab, SpecError } from "../plan";
import type { SpecIssue } from "../model/plan";
import { renderPlan } from "./render";
import { parseSpecText, sanitize, type CliJsonError } from "./text";

export const USAGE = `Usage: weave-lab plan <spec.yaml|spec.json|-> [--json]
       weave-lab status <spec.yaml|spec.json|-> [--json] [--verify]
       weave-lab --help | --version

  plan       Validate a lab spec and show what weave-lab would do: each host's peer name and
             predicted share of the range, container addressing and DNS names, warnings, and the
             exact 'weave launch' per host (secrets shown as <secret>). '-' reads the spec from
             stdin (YAML or JSON).
  status     Compare the live lab with its spec over SSH; see 'weave-lab status --help'.
  --json     Print the plan as JSON instead of tables; failures too, on stdout, as
             {"ok": false, "exitCode": N, "error": "...", "issues": [{"path", "message"}]}.
  --help     Print this text (also 'weave-lab plan --help').
  --version  Print weave-lab's version.

Exit status: 0 planned, 1 invalid spec (one 'path: message' per problem), 2 usage error.
`;

/** Where the CLI writes and reads; injectable so tests need no processes or files. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => string;
  /** The whole of standard input (for `plan -`). */
  readStdin?: () => string;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: (p) => fs.readFileSync(p, "utf8"),
  readStdin: () => fs.readFileSync(0, "utf8"),
};

/** weave-lab's version, from the package.json next to the sources (or the build). */
export function packageVersion(): string {
  for (const dir of [path.resolve(__dirname, "..", ".."), path.resolve(__dirname, "..", "..", "..")]) {
    const file = path.join(dir, "package.json");
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "weave-lab" && pkg.version) return pkg.version;
  }
  return "unknown";
}

/** JSON text with DEL and C1 controls escaped too (JSON.stringify escapes only C0). */
function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Run the CLI with `args` (without `node` and the script); returns the exit code. */
export function runCli(args: readonly string[], io: CliIo = defaultIo): number {
  const json = args.includes("--json");
  const fail = (exitCode: number, error: string, issues: SpecIssue[] = [], withUsage = false): number => {
    if (json) {
      const doc: CliJsonError = { ok: false, exitCode, error, issues };
      io.stdout(`${safeJson(doc)}\n`);
    } else {
      const lines = issues.map((i) => `${i.path}: ${i.message}\n`).join("");
      io.stderr(sanitize(`${error}\n${lines}`) + (withUsage ? `\n${USAGE}` : ""));
    }
    return exitCode;
  };
  const usage = (why: string): number => fail(2, `weave-lab: ${why}`, [], true);
  const wantsHelp = args.includes("--help") || args.includes("-h");

  if (args.length === 0) return usage("missing command");
  if (args[0] === "--version" || args[0] === "-V" || args[0] === "version") {
    io.stdout(`weave-lab ${packageVersion()}\n`);
    return 0;
  }
  if (args[0] === "help" || (wantsHelp && (args[0].startsWith("-") || args[0] === "plan"))) {
    io.stdout(USAGE);
    return 0;
  }
  if (args[0] === "status") return startStatus(args.slice(1), io);
  if (args[0] !== "plan") return usage(`unknown command '${args[0]}'`);
  const rest = args.slice(1);
  const unknown = rest.filter((a) => a.startsWith("-") && a !== "--json" && a !== "-");
  if (unknown.length > 0) return usage(`unknown option ${unknown.map((u) => `'${u}'`).join(", ")}`);
  const files = rest.filter((a) => !a.startsWith("-") || a === "-");
  if (files.length !== 1)
    return usage(
      files.length === 0
        ? "plan needs a spec file ('-' for stdin)"
        : `plan takes one spec file, got ${files.length}`,
    );
  const file = files[0];
  const label = file === "-" ? "<stdin>" : file;

  let text: string;
  try {
    if (file === "-") {
      if (!io.readStdin) return usage("reading the spec from stdin is not available here");
      text = io.readStdin();
    } else {
      text = io.readFile(file);
    }
  } catch (e) {
    return usage(`cannot read ${label}: ${(e as Error).message}`);
  }
  if (text.includes("\u0000")) {
    return fail(1, `${label}: not a spec: the input contains NUL bytes (a binary file?)`);
  }
  let spec: unknown;
  try {
    spec = parseSpecText(text, file);
  } catch (e) {
    return fail(
      1,
      `${label}: not valid ${file.endsWith(".json") ? "JSON" : "YAML"}:\n${(e as Error).message}`,
    );
  }
  try {
    const plan = planLab(spec as Parameters<typeof planLab>[0]);
    io.stdout(json ? `${safeJson(plan)}\n` : sanitize(renderPlan(plan)));
    return 0;
  } catch (e) {
    if (e instanceof SpecError) {
      const n = e.issues.length;
      return fail(1, `${label}: ${n} problem${n === 1 ? "" : "s"}:`, e.issues);
    }
    throw e;
  }
}

/**
 * `weave-lab status` asks hosts over SSH, so it ends after `runCli` returns: its exit code is
 * set on the process when it does (callers assign `runCli`'s 0 first, synchronously).
 */
function startStatus(args: readonly string[], io: CliIo): number {
  void import("../status/cli")
    .then((m) =>
      m.runStatus(args, {
        ...m.defaultStatusIo(),
        stdout: io.stdout,
        stderr: io.stderr,
        readFile: io.readFile,
        ...(io.readStdin ? { readStdin: io.readStdin } : {}),
      }),
    )
    .then(
      (code) => (process.exitCode = code),
      (e: unknown) => {
        io.stderr(sanitize(`weave-lab status: ${(e as Error).message ?? String(e)}\n`));
        process.exitCode = 2;
      },
    );
  return 0;
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2));
}
