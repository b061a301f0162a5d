/**
 * Failures on a host as the providers raise them, and what a failed command said, fit for an
 * error or a log.
 */
import { classifyOutput } from "../weave/errors";

/** A failure on one host: the message starts with the host's name. */
export type HostError<N extends string> = Error & { name: N; host: string };

/**
 * A factory, not a class: this code runs inside a serialised dynamic provider, and Pulumi's
 * function serialiser rewrites `class … extends Error` so that the message is lost.
 */
export function hostError<N extends string>(name: N, host: string, message: string): HostError<N> {
  const e = new Error(`${host}: ${message}`) as HostError<N>;
  e.name = name;
  e.host = host;
  return e;
}

/** Whether `e` is a failure made by {@link hostError} with this name. */
export function isHostError<N extends string>(e: unknown, name: N): e is HostError<N> {
  return e instanceof Error && e.name === name;
}

/**
 * A failed `weave` command's error with the error classifier's advice appended when it
 * recognises what Weave said (the transport's errors carry the end of stderr as `stderrTail`).
 * Anything else is returned as it is.
 */
export function withWeaveAdvice(e: unknown): unknown {
  const said = (e as { stderrTail?: unknown } | undefined)?.stderrTail;
  if (!(e instanceof Error) || typeof said !== "string") return e;
  const known = classifyOutput(said)[0];
  if (known) e.message = `${e.message}\n${known.advice}`;
  return e;
}

/** How many trailing lines of a command's output an error or log line carries. */
export const OUTPUT_TAIL_LINES = 20;

/**
 * What a command allowed to fail said, fit for an error or a log: its stderr (else stdout), the
 * last lines only, every known secret value replaced by `<secret>` (the transport masks the errors
 * it raises; results handed back with `allowFailure` are raw).
 */
export function saidBy(
  r: { stdout: string; stderr: string; code: number },
  secrets: readonly string[] = [],
): string {
  let text = (r.stderr.trim() ? r.stderr : r.stdout).replace(/\s+$/, "");
  const sorted = [...new Set(secrets.filter((x) => x.length > 0))].sort((a, b) => b.length - a.length);
  for (const x of sorted) text = text.split(x).join("<secret>");
  const lines = text.split("\n");
  const kept = lines.slice(-OUTPUT_TAIL_LINES);
  const dropped = lines.length - kept.length;
  const body = (dropped > 0 ? `[… ${dropped} earlier line(s)]\n` : "") + kept.join("\n");
  return body.trim() ? body : `(no output, exit ${r.code})`;
}
