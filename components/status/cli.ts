/**
 * `weave-lab status <spec> [--json] [--verify]`: the live lab against its spec. Reads every
 * host's router over SSH (the API through a port forward, not the CLI), the lab's containers and
 * names, and prints per host the router, peers, connections, owned against predicted ranges,
 * containers and DNS entries, then what drifted. `--verify` also runs the data-plane probes of
 * `up` (every container pings every other; every declared name resolved from every host).
 *
 * Exit codes: 0 healthy and as specified; 1 drift, unhealthy, or a data-plane failure; 2 a host
 * unreachable, or bad input (usage, unreadable or invalid spec, unreadable key file).
 *
 * Keys: the spec's own `ssh.privateKey` when it has one; else the file named by
 * `$WEAVE_LAB_SSH_KEY_FILE` (passphrase in `$WEAVE_LAB_SSH_PASSPHRASE`); else the SSH agent.
 */
import * as fs from "fs";
import { parseSpecText, sanitize, type CliJsonError } from "../cli/text";
import { planLab, SpecError } from "../plan";
import type { LabPlan, SpecIssue } from "../model/plan";
import * as remote from "../remote";
import type { ConnectParams } from "../remote/types";
import type { LabSpec } from "../spec";
import type { OpsEnv } from "../providers/ops-env";
import { compareLab, type HostLive, type LabStatus } from "./compare";
import type { DataPlaneMatrix } from "../providers/dataplane-matrix";
import { KEY_FILE_ENV, observeLab, PASSPHRASE_ENV, statusConnections, verifyLab } from "./observe";
import { renderStatus } from "./render";

export const STATUS_USAGE = `Usage: weave-lab status <spec.yaml|spec.json|-> [--json] [--verify]

  status    Read every host's router over SSH and show the live lab against its spec: router
            state, peers, connections, owned ranges against predicted ones, containers with
            their addresses, DNS entries, and where the lab drifted from the spec. '-' reads
            the spec from stdin (YAML or JSON).
  --json    Print the status (and the data-plane matrix) as JSON.
  --verify  Also prove the data plane: every container pings every other container's Weave
            address and every declared name is resolved from every host.

SSH keys: the spec's ssh.privateKey, else the file in $${KEY_FILE_ENV} (passphrase in
$${PASSPHRASE_ENV}), else the SSH agent ($SSH_AUTH_SOCK).

Exit status: 0 healthy and as specified, 1 drift or unhealthy (or --verify failed),
2 a host unreachable or bad input.
`;

/** What status needs from the outside; tests pass their own. */
export interface StatusIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => string;
  /** Reads all of stdin (for the spec `-`). */
  readStdin?: () => string;
  env: Record<string, string | undefined>;
  /** Reads the hosts. */
  observe: (plan: LabPlan, connections: Record<string, ConnectParams>) => Promise<HostLive[]>;
  /** Runs the data-plane probes. */
  verify: (
    plan: LabPlan,
    status: LabStatus,
    connections: Record<string, ConnectParams>,
  ) => Promise<DataPlaneMatrix>;
  /** Ends the SSH sessions. */
  done: () => Promise<void>;
}

function transportEnv(stderr: (t: string) => void): OpsEnv {
  return {
    connect: (p) => remote.getConnection(p),
    log: (m) => stderr(`${m}\n`),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** The real hosts over SSH. */
export function defaultStatusIo(): StatusIo {
  const stderr = (t: string): void => void process.stderr.write(t);
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr,
    readFile: (p) => fs.readFileSync(p, "utf8"),
    readStdin: () => fs.readFileSync(0, "utf8"),
    env: process.env,
    observe: (plan, conns) => observeLab(transportEnv(stderr), plan, conns),
    verify: (plan, status, conns) => verifyLab(transportEnv(stderr), plan, status, conns),
    done: () => remote.closeAll(),
  };
}

/** Runs `weave-lab status` with `args` (after the word `status`); returns the exit code. */
export async function runStatus(args: readonly string[], io: StatusIo = defaultStatusIo()): Promise<number> {
  const json = args.includes("--json");
  // Failures follow the CLI's convention: text on stderr, or with --json one document on stdout.
  const fail = (exitCode: number, error: string, issues: SpecIssue[] = [], withUsage = false): number => {
    if (json) {
      const doc: CliJsonError = { ok: false, exitCode, error, issues };
      io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      const lines = issues.map((i) => `${i.path}: ${i.message}\n`).join("");
      io.stderr(sanitize(`${error}\n${lines}`) + (withUsage ? `\n${STATUS_USAGE}` : ""));
    }
    return exitCode;
  };
  const usage = (why: string): number => fail(2, `weave-lab status: ${why}`, [], true);
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(STATUS_USAGE);
    return 0;
  }
  const known = ["--json", "--verify"];
  const unknown = args.filter((a) => a.startsWith("-") && a !== "-" && !known.includes(a));
  if (unknown.length > 0) return usage(`unknown option ${unknown.map((u) => `'${u}'`).join(", ")}`);
  const files = args.filter((a) => !a.startsWith("-") || a === "-");
  if (files.length !== 1)
    return usage(
      files.length === 0
        ? "status needs a spec file ('-' for stdin)"
        : `status takes one spec file, got ${files.length}`,
    );
  const file = files[0] === "-" ? "<stdin>" : files[0];
  const read = (): string => {
    if (files[0] !== "-") return io.readFile(file);
    if (!io.readStdin) throw new Error("reading the spec from stdin is not available here");
    return io.readStdin();
  };

  let spec: LabSpec;
  let plan: LabPlan;
  try {
    spec = parseSpecText(read(), file) as LabSpec;
    plan = planLab(spec);
  } catch (e) {
    if (e instanceof SpecError) {
      const n = e.issues.length;
      return fail(2, `${file}: ${n} problem${n === 1 ? "" : "s"}:`, e.issues);
    }
    return fail(2, `weave-lab status: cannot use ${file}: ${(e as Error).message}`);
  }
  let connections: Record<string, ConnectParams>;
  try {
    connections = statusConnections(plan, spec, io.env, io.readFile);
  } catch (e) {
    return fail(2, `weave-lab status: ${(e as Error).message}`);
  }
  try {
    const status = compareLab(plan, await io.observe(plan, connections));
    const matrix =
      args.includes("--verify") && status.exitCode !== 2
        ? await io.verify(plan, status, connections)
        : undefined;
    io.stdout(
      json
        ? `${JSON.stringify({ ...status, ...(matrix ? { dataPlane: matrix } : {}) }, null, 2)}\n`
        : sanitize(renderStatus(status, matrix)),
    );
    if (status.exitCode !== 0) return status.exitCode;
    return matrix && !matrix.ok ? 1 : 0;
  } catch (e) {
    return fail(2, `weave-lab status: ${(e as Error).message}`);
  } finally {
    await io.done();
  }
}
