/**
 * The transport's errors. Every message names the host; command errors name the command as
 * `renderForLog` shows it (secret env by name only). Builders are pure so their wording and the
 * absence of secrets are unit-tested.
 */

/** How many trailing stderr lines an error carries: enough for a diagnosis, short enough to read. */
export const STDERR_TAIL_LINES = 20;

/** The last `n` non-empty-at-end lines of a command's output. */
export function tailLines(text: string, n = STDERR_TAIL_LINES): string {
  const lines = text.replace(/\s+$/, "").split("\n");
  if (lines.length === 1 && lines[0] === "") {
    return "";
  }
  const kept = lines.slice(-n);
  const dropped = lines.length - kept.length;
  return (dropped > 0 ? `[… ${dropped} earlier line(s)]\n` : "") + kept.join("\n");
}

/** Base class: something went wrong talking to one host. */
export class RemoteError extends Error {
  constructor(
    message: string,
    /** The lab's name for the host. */
    readonly hostName: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Why a connection could not be made; `auth`, `host-key` and `config` are never retried. */
export type ConnectFailureKind = "config" | "host-key" | "auth" | "unreachable" | "lost";

/** The connection could not be established (or was lost). */
export class RemoteConnectError extends RemoteError {
  constructor(
    message: string,
    hostName: string,
    readonly kind: ConnectFailureKind,
    /**
     * For `lost`: whether the command had started when the connection went. `false` means it
     * never ran, so it is safe to run again on a new connection.
     */
    readonly commandStarted?: boolean,
  ) {
    super(message, hostName);
  }
}

/** The host presented a different key than the one expected. Never retried. */
export class HostKeyMismatchError extends RemoteConnectError {
  constructor(
    hostName: string,
    readonly address: string,
    readonly expected: string,
    readonly presented: string,
  ) {
    super(
      `host ${hostName} (${address}): host key mismatch, refusing to connect: expected ${expected}, ` +
        `server presented ${presented}. If the host was rebuilt, update its hostKey ` +
        `(\`ssh-keyscan -p <port> ${address.replace(/:\d+$/, "")} | ssh-keygen -lf -\` shows the fingerprint); ` +
        `otherwise someone may be intercepting the connection.`,
      hostName,
      "host-key",
    );
  }
}

/** A remote command exited non-zero. */
export class RemoteCommandError extends RemoteError {
  constructor(
    hostName: string,
    /** The command as rendered for logs (no secret values). */
    readonly command: string,
    readonly exitCode: number,
    /** The last lines of stderr (secrets masked). */
    readonly stderrTail: string,
    /** The signal that ended the command, when the server reported one. */
    readonly signal?: string,
  ) {
    super(
      `host ${hostName}: \`${command}\` ${signal ? `was killed by signal ${signal}` : `exited with code ${exitCode}`}` +
        (stderrTail ? `; stderr:\n${indent(stderrTail)}` : "; stderr was empty"),
      hostName,
    );
  }
}

/** A remote command or request did not finish before its deadline. */
export class RemoteTimeoutError extends RemoteError {
  constructor(
    hostName: string,
    /** The command (or `HTTP GET /path`) as rendered for logs. */
    readonly command: string,
    readonly timeoutMs: number,
    /** What the caller was waiting for. */
    readonly what: string | undefined,
    /** The last lines of stderr received before the deadline. */
    readonly stderrTail = "",
  ) {
    super(
      `host ${hostName}: gave up after ${formatMs(timeoutMs)} waiting for ${what ?? "the command to finish"}: \`${command}\`` +
        (stderrTail ? `; stderr so far:\n${indent(stderrTail)}` : ""),
      hostName,
    );
  }
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => "    " + l)
    .join("\n");
}

/** `1500` → `1.5 s`, `60000` → `60 s`, `250` → `250 ms`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
