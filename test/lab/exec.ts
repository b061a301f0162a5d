/**
 * Local process helpers for the lab. The lab only ever runs argv vectors (no shell), so host
 * names and paths can never be interpreted as shell syntax.
 */
import { spawn } from "child_process";

/** What a local command returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Data written to stdin, then stdin is closed. Defaults to nothing (stdin closed at once). */
  input?: string;
  /** Kill the command (SIGKILL) after this many ms and resolve with code 124. Defaults to 30 000. */
  timeoutMs?: number;
  /** Environment. Defaults to this process's environment. */
  env?: NodeJS.ProcessEnv;
}

/** Run an argv and collect its output; never rejects for a non-zero exit (see `code`). */
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    // A child that exits before reading its stdin makes the write fail with EPIPE; its exit code
    // is the interesting fact, so the write error is ignored.
    child.stdin.on("error", () => undefined);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout: "", stderr: `${file}: ${e.message}`, durationMs: Date.now() - started });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      let stderr = Buffer.concat(err).toString("utf8");
      if (timedOut)
        stderr += `${stderr && !stderr.endsWith("\n") ? "\n" : ""}timed out after ${timeoutMs} ms`;
      resolve({
        code: timedOut ? 124 : (code ?? (signal ? 128 : 1)),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr,
        durationMs: Date.now() - started,
      });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Run an argv and reject, naming the command and what it printed, unless it exits 0. */
export async function mustRun(
  file: string,
  args: string[],
  opts: RunOptions & { what?: string } = {},
): Promise<RunResult> {
  const r = await run(file, args, opts);
  if (r.code !== 0) {
    const cmd = [file, ...args].join(" ");
    const said = (r.stderr.trim() || r.stdout.trim() || "(no output)").slice(0, 2000);
    throw new Error(`${opts.what ? opts.what + ": " : ""}\`${cmd}\` exited ${r.code}: ${said}`);
  }
  return r;
}

/** Map with at most `limit` promises in flight (process spawns on a 2-CPU runner do not scale past a few). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const errors: unknown[] = [];
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (e) {
        errors.push(e);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1)
    throw new Error(errors.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"));
  return results;
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
