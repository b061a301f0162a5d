/**
 * The one quoting function of the project. Every remote command is an argv; the transport turns
 * it into the single string SSH carries by POSIX single-quoting each element, so no element is
 * ever interpreted by the remote shell.
 */

/** Characters that never need quoting in a POSIX shell word; keeps logs readable. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quote one string for a POSIX shell so that it reaches the command as exactly one argument with
 * exactly these bytes. Empty strings become `''`; a single quote is written as `'\''`.
 */
export function shellQuote(s: string): string {
  if (s.length > 0 && SAFE_WORD.test(s)) {
    return s;
  }
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

/**
 * Quote every element of an argv and join them with spaces.
 *
 * @throws if an element contains a NUL character, which no POSIX argument can carry.
 */
export function quoteArgv(argv: readonly string[]): string {
  return argv
    .map((a, i) => {
      if (a.includes("\0")) {
        throw new Error(`argv[${i}]: contains a NUL character, which no command argument can carry`);
      }
      return shellQuote(a);
    })
    .join(" ");
}

/** What `renderForLog` may show besides the argv. */
export interface RenderOptions {
  /** Non-secret environment; shown as `K=V`. */
  env?: Record<string, string>;
  /** Names of the secret environment variables; shown as `K=<secret>`, values never. */
  secretEnvNames?: readonly string[];
  /**
   * Secret values that must not appear even if a caller put one into argv or env by mistake;
   * each occurrence is replaced by `<secret>`.
   */
  secrets?: readonly string[];
  /** Show the `sudo -n` prefix. Defaults to `false`. */
  sudo?: boolean;
}

/**
 * A one-line, shell-readable rendering of a command for logs and error messages. Secret
 * environment appears by name only, and any known secret value is masked wherever it occurs.
 */
export function renderForLog(argv: readonly string[], opts: RenderOptions = {}): string {
  const secrets = opts.secrets ?? [];
  // Mask before quoting: quoting changes how a secret containing `'` is spelled.
  const show = (s: string): string => shellQuote(redact(s.replace(/\0/g, "\\0"), secrets));
  const parts: string[] = [];
  if (opts.sudo) {
    parts.push("sudo -n");
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    parts.push(`${k}=${show(v)}`);
  }
  for (const k of opts.secretEnvNames ?? []) {
    parts.push(`${k}=<secret>`);
  }
  parts.push(...argv.map(show));
  return parts.join(" ");
}

/**
 * Replace every occurrence of each secret in `text` with `<secret>`. Secrets of any length are
 * masked: a short password is still a password.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first so a secret that contains another is masked whole.
  const sorted = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  for (const s of sorted) {
    out = out.split(s).join("<secret>");
  }
  return out;
}
