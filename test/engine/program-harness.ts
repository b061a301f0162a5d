/**
 * Runs the lab program itself (`index.ts`) with stack config, so the wiring of the real program
 * (config → WeaveNetwork → gate → WeaveContainers → DNS records → outputs) is exercised against
 * hosts, not only single resources.
 *
 * How: every `up`, `refresh` and `destroy` runs in a fresh Node process (`program-runner.ts`,
 * TypeScript through ts-node), as `pulumi up` runs a fresh language host. In that process the
 * program runs under the SDK's mock runtime (`pulumi.runtime.setMocks`, config through
 * `pulumi.runtime.setAllConfig` with the secret keys marked). The mock's `newResource` performs
 * each dynamic resource's **real** provider methods, unwrapping the serialised provider from the
 * `__provider` input with `require-from-string(...).handler()` exactly as Pulumi's
 * dynamic-provider plugin does (one cached instance per provider text, all in one process, so
 * providers share one SSH pool as they do under the plugin): `check` then `create`, or `diff`
 * then `same` / `update` / replace (delete-before-replace when asked) against the previous run's
 * state. The SDK registers a resource only after the resources it depends on (by input or
 * `dependsOn`) were created, so creates follow dependency order with independent resources in
 * parallel. Dependencies are read off each RegisterResource request and kept in the state, so
 * `destroy()` (and resources dropped from the program) delete in reverse dependency order.
 *
 * Every `up` runs a preview first, as `pulumi up` does (`program-runner.ts`, mode `preview`):
 * the program under `isDryRun()`, `check` and `diff` called with Pulumi's unknown placeholder
 * wherever the engine would have one (outputs of resources not created yet), nothing created. A
 * preview that fails fails the `up` before anything changes. `@pulumi/docker` resources (a
 * LocalLab with no `weave-lab:hosts`) are performed through the Docker CLI (`docker.ts`);
 * `retainOnDelete` is honoured (the resource leaves the state, the object stays).
 *
 * What the real engine does that this does not: no saved plan (`--plan`), no
 * `--parallel` limit (every ready resource starts at once), no checkpoint written while a step
 * runs (a crash mid-run loses that run's steps; state is kept in memory between runs here), no
 * per-property diff display or `ignoreChanges`/`protect`/aliases, no secrets
 * encryption of state (the state here holds plain values in memory and a 0600 temp file), no
 * separate plugin process (providers run in the program's process), no cancellation, and
 * `refresh` here only calls `read` (it does not reconcile inputs); other non-dynamic resources
 * than `@pulumi/docker`'s are refused.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { LabSpec } from "../../components/spec";
import type { TestLab } from "../lab";
import type { RunnerJob, RunnerResult, RunnerStep, StateEntry } from "./program-runner";
import { DOUBLE_WEAVE } from "./network";
import { REPO_ROOT } from "./serialize";

export type { RunnerStep, StateEntry } from "./program-runner";

export interface ProgramHarnessOptions {
  /** Stack config (`weave-lab:hosts` etc.), values as `pulumi config` stores them (JSON text for objects). */
  config: Record<string, string>;
  /** Keys set with `--secret`. Defaults to none. */
  secretKeys?: string[];
  /** The program. Defaults to the repository's `index.ts`. */
  programPath?: string;
  /** Defaults to `"weave-lab"`. */
  project?: string;
  /** Defaults to `"e2e"`. */
  stack?: string;
  /** Extra environment of the program process. */
  env?: Record<string, string>;
  /** Deadline of one run. Defaults to 300 000 ms. */
  timeoutMs?: number;
}

/** What one run did. */
export interface ProgramRun {
  steps: RunnerStep[];
  /** `up` only: the steps its preview planned (kinds create/same/update/replace/delete). */
  preview?: RunnerStep[];
  /** `up` only: the exports as the preview saw them (unknown ones are Pulumi's placeholder). */
  previewExports?: Record<string, unknown>;
  /** The program's exports (stack outputs), resolved. */
  exports: Record<string, unknown>;
  /** What the providers logged (pulumi.log goes to the console under mocks). */
  log: string;
  durationMs: number;
}

/** A run that failed: every failure names the resource. */
export class ProgramRunError extends Error {
  constructor(
    message: string,
    readonly run: ProgramRun,
    readonly failures: Array<{ urn: string; message: string }>,
  ) {
    super(message);
    this.name = "ProgramRunError";
  }
}

const RUNNER = path.join(__dirname, "program-runner.ts");

/** The stack between runs: what a checkpoint would hold. */
export class ProgramHarness {
  state: StateEntry[] = [];
  private readonly opts: Required<Omit<ProgramHarnessOptions, "env">> & { env: Record<string, string> };

  constructor(opts: ProgramHarnessOptions) {
    this.opts = {
      config: { ...opts.config },
      secretKeys: opts.secretKeys ?? [],
      programPath: opts.programPath ?? path.join(REPO_ROOT, "index.ts"),
      project: opts.project ?? "weave-lab",
      stack: opts.stack ?? "e2e",
      env: opts.env ?? {},
      timeoutMs: opts.timeoutMs ?? 300_000,
    };
  }

  /** `pulumi up`: preview, then run the program, converge, delete what it no longer declares. */
  async up(): Promise<ProgramRun> {
    const preview = await this.run("preview");
    const run = await this.run("up");
    return { ...run, preview: preview.steps, previewExports: preview.exports };
  }

  /** `pulumi preview`: check and diff everything with unknowns where the engine has them; change nothing. */
  preview(): Promise<ProgramRun> {
    return this.run("preview");
  }

  /** `pulumi refresh`: `read` every resource; gone ones leave the state. */
  refresh(): Promise<ProgramRun> {
    return this.run("refresh");
  }

  /** `pulumi destroy`: delete everything in reverse dependency order. */
  destroy(): Promise<ProgramRun> {
    return this.run("destroy");
  }

  /** Change stack config for the next runs (`pulumi config set`); `undefined` removes a key. */
  configure(patch: Record<string, string | undefined>): void {
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete this.opts.config[k];
      else this.opts.config[k] = v;
    }
  }

  /** The state entry of the resource named `name` (of `type` when given). */
  resource(name: string, type?: string): StateEntry | undefined {
    return this.state.find((e) => e.name === name && (type === undefined || e.type === type));
  }

  private async run(mode: RunnerJob["mode"]): Promise<ProgramRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-program-"));
    const jobFile = path.join(dir, "job.json");
    const job: RunnerJob = {
      mode,
      programPath: this.opts.programPath,
      project: this.opts.project,
      stack: this.opts.stack,
      config: this.opts.config,
      secretKeys: this.opts.secretKeys,
      state: this.state,
      timeoutMs: this.opts.timeoutMs,
    };
    // Config holds the test key: keep it out of argv and readable only by us.
    fs.writeFileSync(jobFile, JSON.stringify(job), { mode: 0o600 });
    const started = Date.now();
    try {
      const out = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
        (resolve, reject) => {
          const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", RUNNER, jobFile], {
            cwd: REPO_ROOT,
            env: {
              ...process.env,
              ...this.opts.env,
              NODE_OPTIONS: "",
              CHECKPOINT_DISABLE: "1",
              TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json"),
            },
            stdio: ["ignore", "pipe", "pipe"],
          });
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
          child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          const timer = setTimeout(() => child.kill("SIGKILL"), this.opts.timeoutMs + 60_000);
          child.on("error", reject);
          child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ stdout, stderr, code });
          });
        },
      );
      const log = out.stdout + out.stderr;
      const resultFile = `${jobFile}.result`;
      if (!fs.existsSync(resultFile)) {
        throw new Error(`program ${mode} produced no result (exit ${out.code}):\n${log.slice(-3000)}`);
      }
      const result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as RunnerResult;
      if (mode !== "preview") this.state = result.state;
      const run: ProgramRun = {
        steps: result.steps,
        exports: result.exports,
        log,
        durationMs: Date.now() - started,
      };
      if (result.failures.length > 0) {
        throw new ProgramRunError(
          `program ${mode} failed:\n${result.failures.map((f) => `${f.urn}: ${f.message}`).join("\n")}`,
          run,
          result.failures,
        );
      }
      return run;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * Stack config for the lab program pointing at a test lab's hosts: hosts with pinned host keys
 * (plain config), the test client key as the secret `weave-lab:sshPrivateKey`, and the network,
 * containers and records of `spec`. The double's weave script is used unless the lab is real.
 */
export function stackConfigForLab(
  lab: TestLab,
  spec: Omit<LabSpec, "hosts"> & { hosts?: string[] },
  outputDir: string,
): { config: Record<string, string>; secretKeys: string[] } {
  const names = spec.hosts ?? lab.hosts.map((h) => h.name);
  const hosts = names.map((n) => {
    const h = lab.hosts.find((x) => x.name === n);
    if (!h) throw new Error(`no lab host ${n}`);
    return {
      name: h.name,
      address: h.address,
      ssh: { host: h.sshHost, port: h.sshPort, user: h.user, hostKey: h.hostKey, connectTimeoutSeconds: 10 },
    };
  });
  const keys = new Set(lab.hosts.map((h) => h.privateKey));
  if (keys.size !== 1)
    throw new Error(
      "stackConfigForLab: the lab's hosts use different client keys; use weave-lab:sshPrivateKeys",
    );
  const network = {
    weave: { scriptPath: lab.real ? "/usr/local/bin/weave" : DOUBLE_WEAVE },
    ...spec.network,
  };
  const config: Record<string, string> = {
    "weave-lab:hosts": JSON.stringify(hosts),
    "weave-lab:network": JSON.stringify(network),
    "weave-lab:sshPrivateKey": [...keys][0],
    "weave-lab:outputDir": JSON.stringify(outputDir),
  };
  if (spec.name !== undefined) config["weave-lab:name"] = spec.name;
  if (spec.containers) config["weave-lab:containers"] = JSON.stringify(spec.containers);
  if (spec.dnsRecords) config["weave-lab:dnsRecords"] = JSON.stringify(spec.dnsRecords);
  return { config, secretKeys: ["weave-lab:sshPrivateKey"] };
}
