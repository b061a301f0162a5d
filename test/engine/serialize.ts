/**
 * Serialise a dynamic provider exactly as `pulumi.dynamic.Resource` does, and run the text in a
 * fresh Node process exactly as Pulumi's dynamic-provider plugin does (`require-from-string`,
 * then `.handler()`), so a test proves the provider survives the trip: everything it captures
 * is serialisable, node_modules are `require`d by name, and it keeps no state it cannot rebuild.
 */
import * as pulumi from "@pulumi/pulumi";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The repository root: the fresh process resolves `require("ssh2")` etc. from here, like a Pulumi project. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** `pulumi.runtime.serializeFunction` of a closure returning the provider (what the SDK stores in `__provider`). */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
  if (serialized.exportName !== "handler") {
    throw new Error(`serializeProvider: unexpected export name ${serialized.exportName}`);
  }
  return serialized.text;
}

/** Methods a dynamic provider may implement. */
export type ProviderMethod = "check" | "diff" | "create" | "read" | "update" | "delete";

export interface RunSerializedOptions {
  /** Extra environment for the child (merged over this process's). */
  env?: Record<string, string>;
  /** Kill the child after this long. Defaults to 180 000 ms. */
  timeoutMs?: number;
  /** The child's working directory (the Pulumi project it runs for). Defaults to the repository root. */
  cwd?: string;
}

/** What a serialised call returned, plus what the child printed (for assertions about logs). */
export interface SerializedCallResult<T> {
  result: T;
  stderr: string;
  durationMs: number;
}

const RESULT_MARK = "\u0000weave-lab-engine-result:";

/**
 * The child's program: load the text like the plugin does, call one method, print the outcome
 * after a marker (stdout may carry the provider's own logs).
 */
const RUNNER = `
const fs = require("fs");
const requireFromString = require("require-from-string");
const [textFile, argsFile, method] = process.argv.slice(1);
const text = fs.readFileSync(textFile, "utf8");
const args = JSON.parse(fs.readFileSync(argsFile, "utf8"));
const emit = (o) => process.stdout.write(${JSON.stringify(RESULT_MARK)} + JSON.stringify(o) + "\\n", () => process.exit(0));
(async () => {
  const provider = requireFromString(text).handler();
  if (typeof provider[method] !== "function") return emit({ missing: true });
  const result = await provider[method](...args);
  emit({ ok: true, result: result === undefined ? null : result });
})().catch((e) => emit({ ok: false, message: String((e && e.message) || e) }));
`;

/**
 * Run `provider[method](...args)` from serialised text in a fresh `node` (no ts-node, no jest):
 * resolves with the method's result, rejects with the provider's error message.
 */
export async function runSerialized<T = unknown>(
  text: string,
  method: ProviderMethod,
  args: unknown[],
  opts: RunSerializedOptions = {},
): Promise<SerializedCallResult<T>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-engine-"));
  const textFile = path.join(dir, "provider.js");
  const argsFile = path.join(dir, "args.json");
  // Args may carry test secrets (keys): keep them out of argv and readable only by us.
  fs.writeFileSync(textFile, text, { mode: 0o600 });
  fs.writeFileSync(argsFile, JSON.stringify(args), { mode: 0o600 });
  const started = Date.now();
  try {
    const out = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, ["-e", RUNNER, textFile, argsFile, method], {
          cwd: opts.cwd ?? REPO_ROOT,
          env: { ...process.env, ...opts.env, NODE_OPTIONS: "" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 180_000);
        child.on("error", reject);
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ stdout, stderr, code });
        });
      },
    );
    const at = out.stdout.lastIndexOf(RESULT_MARK);
    if (at < 0) {
      throw new Error(
        `serialised provider ${method} produced no result (exit ${out.code}): ${out.stderr.slice(-2000)}`,
      );
    }
    const parsed = JSON.parse(out.stdout.slice(at + RESULT_MARK.length)) as {
      ok?: boolean;
      missing?: boolean;
      result?: T;
      message?: string;
    };
    if (parsed.missing) throw new Error(`serialised provider has no ${method} method`);
    if (!parsed.ok) throw new Error(parsed.message ?? "unknown error");
    return { result: parsed.result as T, stderr: out.stderr, durationMs: Date.now() - started };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A provider whose every method runs the serialised text in its own fresh process: give it to
 * the {@link Engine} to drive a whole lifecycle the way the plugin would (one process per call is
 * stricter than the plugin, which reuses one process per run: nothing may rely on memory).
 */
export function serializedProvider(
  text: string,
  opts: RunSerializedOptions = {},
): pulumi.dynamic.ResourceProvider {
  const call = async <T>(method: ProviderMethod, args: unknown[]): Promise<T> =>
    (await runSerialized<T>(text, method, args, opts)).result;
  return {
    check: (olds, news) => call("check", [olds, news]),
    diff: (id, olds, news) => call("diff", [id, olds, news]),
    create: (inputs) => call("create", [inputs]),
    read: (id, props) => call("read", [id, props]),
    update: (id, olds, news) => call("update", [id, olds, news]),
    delete: async (id, props) => {
      await call("delete", [id, props]);
    },
  };
}
