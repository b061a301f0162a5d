/**
 * How an argv plus options becomes the one command string an SSH `exec` request carries, and
 * the bytes sent first on its stdin. Pure: tested by running the result with a local `sh`.
 */
import { quoteArgv, renderForLog } from "./quote";

/** Exit code of the wrapper when the secret environment did not arrive on stdin. */
export const SECRET_ENV_MISSING_EXIT = 125;

/**
 * The constant wrapper that moves secret environment from stdin into the environment, then
 * `exec`s the real argv. Its arguments: the number of secrets, their names, then the argv.
 * `read` on a pipe consumes exactly one line, so any further stdin reaches the command intact.
 * Variables are prefixed `__wl_` so they cannot collide with the secrets' names.
 */
export const SECRET_ENV_WRAPPER =
  '__wl_n=$1; shift; __wl_i=0; while [ "$__wl_i" -lt "$__wl_n" ]; do ' +
  'IFS= read -r __wl_v || { echo "weave-lab: secret environment did not arrive on stdin" >&2; exit ' +
  String(SECRET_ENV_MISSING_EXIT) +
  "; }; " +
  'export "$1=$__wl_v"; shift; __wl_i=$((__wl_i + 1)); done; unset __wl_n __wl_i __wl_v; exec "$@"';

/**
 * Runs the rest of its arguments under coreutils/busybox `timeout` (TERM at `$0`, KILL 2 s later,
 * to the whole process group), or without a host-side limit on a host that lacks `timeout`, so a
 * minimal host still works (the local deadline still reports; the command may then linger).
 */
export const DEADLINE_WRAPPER =
  'if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 "$0" "$@"; else exec "$@"; fi';

export interface CommandParts {
  env?: Record<string, string>;
  secretEnv?: Record<string, string>;
  /** Prefix with `sudo -n` (never prompts: a password prompt would hang until the deadline). */
  sudo?: boolean;
  /**
   * Have the host itself end the command after this many seconds (`timeout`, TERM then KILL
   * 2 s later, the whole process group; see `DEADLINE_WRAPPER`). sshd does not signal a command when its channel
   * closes, and refuses SSH `signal` requests on root sessions, so this is what makes a deadline
   * stop the remote work, even if this process dies. Unset: no remote limit.
   */
  remoteDeadlineSeconds?: number;
}

export interface BuiltCommand {
  /** The string for the SSH exec request. Contains no secret value. */
  command: string;
  /** Bytes to write to stdin before any caller data: one line per secret value. */
  stdinPrefix: string;
  /** The command for logs and errors: secret env by name only. */
  rendered: string;
  /** The secret values, for masking anything echoed back (stderr in errors). */
  secrets: string[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Build the remote command. Layout:
 * `[sudo -n] [sh -c DEADLINE_WRAPPER Ns] [env K=V …] [sh -c SECRET_ENV_WRAPPER sh N NAME…] argv…`.
 *
 * @throws one error listing every problem (`argv`, `env.<K>`, `secretEnv.<K>`); secret values
 *   are never included in it.
 */
export function buildRemoteCommand(argv: readonly string[], parts: CommandParts = {}): BuiltCommand {
  const problems: string[] = [];
  const env = parts.env ?? {};
  const secretEnv = parts.secretEnv ?? {};
  if (argv.length === 0) {
    problems.push("argv: is empty; give at least the program to run");
  }
  argv.forEach((a, i) => {
    if (a.includes("\0")) {
      problems.push(`argv[${i}]: contains a NUL character, which no command argument can carry`);
    }
  });
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_NAME.test(k)) {
      problems.push(
        `env.${k}: ${JSON.stringify(k)} is not a valid variable name (letters, digits, _; not starting with a digit)`,
      );
    }
    if (v.includes("\0")) {
      problems.push(`env.${k}: value contains a NUL character, which the environment cannot carry`);
    }
  }
  for (const [k, v] of Object.entries(secretEnv)) {
    if (!ENV_NAME.test(k) || k.startsWith("__wl_")) {
      problems.push(
        `secretEnv.${k}: ${JSON.stringify(k)} is not a valid variable name (letters, digits, _; not starting with a digit or __wl_)`,
      );
    }
    if (k in env) {
      problems.push(`secretEnv.${k}: is also given in env; give it once`);
    }
    if (/[\n\0]/.test(v)) {
      // The value goes over stdin one line per secret, so it cannot contain a line break.
      problems.push(
        `secretEnv.${k}: value contains a line break or NUL character (value not shown); use a single-line secret`,
      );
    }
  }
  const secretNames = Object.keys(secretEnv);
  const envNames = Object.keys(env);
  if (
    envNames.length > 0 &&
    secretNames.length === 0 &&
    argv.length > 0 &&
    (argv[0].includes("=") || argv[0].startsWith("-"))
  ) {
    // `env` would take it for an assignment or an option.
    problems.push(
      `argv[0]: ${JSON.stringify(argv[0])} cannot follow \`env\` (it starts with - or contains =); give a program name or path`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`invalid remote command:\n  ${problems.join("\n  ")}`);
  }

  const words: string[] = [];
  if (parts.sudo) {
    words.push("sudo", "-n");
  }
  if (parts.remoteDeadlineSeconds !== undefined) {
    words.push("sh", "-c", DEADLINE_WRAPPER, `${Math.max(1, Math.ceil(parts.remoteDeadlineSeconds))}s`);
  }
  if (envNames.length > 0) {
    words.push("env", ...envNames.map((k) => `${k}=${env[k]}`));
  }
  if (secretNames.length > 0) {
    words.push("sh", "-c", SECRET_ENV_WRAPPER, "sh", String(secretNames.length), ...secretNames);
  }
  words.push(...argv);
  const secrets = secretNames.map((k) => secretEnv[k]);
  return {
    command: quoteArgv(words),
    stdinPrefix: secretNames.map((k) => secretEnv[k] + "\n").join(""),
    rendered: renderForLog(argv, { env, secretEnvNames: secretNames, sudo: parts.sudo, secrets }),
    secrets,
  };
}
