/**
 * The one door to hosts. Providers see only these interfaces; `connection.ts` implements them with
 * ssh2, and tests may implement them in memory.
 */

/** What a remote command returned. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ExecOptions {
  /** Non-secret environment, set with `env K=V` in front of the argv. */
  env?: Record<string, string>;
  /**
   * Secret environment (e.g. `WEAVE_PASSWORD`). Sent over the channel's stdin and exported by a
   * constant wrapper script, so values never appear in argv, logs or errors.
   */
  secretEnv?: Record<string, string>;
  /** Data for the command's stdin (after any secret env). */
  stdin?: string;
  /** Deadline; the command is killed (channel closed) after it. Defaults to 60 000 ms. */
  timeoutMs?: number;
  /** What the caller is waiting for, used in the timeout error ("router to answer /status"). */
  what?: string;
  /** Resolve with a non-zero `code` instead of rejecting. Defaults to `false`. */
  allowFailure?: boolean;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** One authenticated connection to one host, reused for every operation on it. */
export interface HostConnection {
  /** The lab's name for the host (used in every error). */
  readonly hostName: string;
  /** Run an argv (each element shell-quoted by the transport) and wait for it. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * An HTTP request to the router's API at 127.0.0.1:6784 on the host, through an SSH port
   * forward (no helper container, milliseconds instead of a second).
   */
  http(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    opts?: { headers?: Record<string, string>; body?: string; timeoutMs?: number },
  ): Promise<HttpResponse>;
  /**
   * A GET on the host's Docker Engine API: its socket `/var/run/docker.sock`, reached through an
   * SSH stream-local forward as the login user (milliseconds, where a `docker` CLI call starts a
   * process). Optional: transports without it, and hosts where it fails (forwarding forbidden,
   * no such socket, no permission), leave callers to the `docker` CLI.
   */
  dockerGet?(path: string, opts?: { timeoutMs?: number }): Promise<HttpResponse>;
  /** Write a file on the host (mode e.g. 0o755). */
  upload(path: string, content: string | Buffer, mode?: number): Promise<void>;
  close(): Promise<void>;
}

/** Resolved connection parameters for one host (secrets as plain strings: never log this). */
export interface ConnectParams {
  hostName: string;
  host: string;
  port: number;
  user: string;
  privateKey?: string;
  passphrase?: string;
  agent?: string;
  hostKey?: string;
  insecureIgnoreHostKey: boolean;
  sudo: boolean;
  jumpHost?: {
    host: string;
    port: number;
    user: string;
    privateKey?: string;
    hostKey?: string;
  };
  connectTimeoutSeconds: number;
}
