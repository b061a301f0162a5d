/**
 * The ssh2 implementation of `HostConnection`: one open SSH session and the commands it offers.
 *
 * One `SshConnection` is one authenticated SSH session (optionally through a jump host), opened
 * by `connect()` in `dial.ts`; every exec, HTTP request and upload is a channel on it (an exec's
 * steps are in `exec-run.ts`). Secrets (private key, passphrase, secret env values) are never
 * placed in a message, log event or command line.
 */
import type * as net from "net";
import type { Client, ClientChannel } from "ssh2";
import { buildRemoteCommand, type BuiltCommand } from "./command";
import { RemoteConnectError, RemoteError, RemoteTimeoutError } from "./errors";
import { type ExecSession, ExecRun } from "./exec-run";
import { type ChannelRequest, requestOverChannel, withDeadline } from "./http-channel";
import { log } from "./log";
import type { ConnectParams, ExecOptions, ExecResult, HostConnection, HttpResponse } from "./types";

/** Where the Weave router's HTTP API listens on every host. */
export const ROUTER_API = { host: "127.0.0.1", port: 6784 } as const;
/** The Docker Engine's API socket on a host (Docker's default). */
export const DOCKER_SOCKET = "/var/run/docker.sock";

/** Default deadline of `exec`, in ms. */
export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
/** Default deadline of one `http` request, in ms: the API answers in milliseconds when it is up. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
/**
 * The host-side limit for a command with local deadline `timeoutMs`: one second later, so the
 * local deadline reports first (with its clear message) and the host then ends the work.
 */
function remoteDeadline(timeoutMs: number | undefined): number {
  return Math.ceil((timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS) / 1000) + 1;
}

/** Concurrent session channels per connection: below OpenSSH's default `MaxSessions 10`. */
const MAX_SESSIONS = 8;
/** How long a live session may take to run `true` before it counts as dead. */
const PROBE_TIMEOUT_MS = 5_000;

/** An open SSH session to one host. */
export class SshConnection implements HostConnection {
  readonly hostName: string;
  private busy = 0;
  private closed = false;
  /** Session channels open now, and callers waiting for one (sshd's MaxSessions defaults to 10). */
  private sessions = 0;
  private sessionWaiters: Array<() => void> = [];
  private closeWaiters: Array<() => void> = [];
  private probing = false;

  /** @internal built by `connect` */
  constructor(
    private readonly params: ConnectParams,
    private readonly client: Client,
    private readonly jump: Client | undefined,
    /** The TCP socket of the first hop: the only thing that can keep the process alive. */
    private readonly socket: net.Socket,
    private readonly routerApi: { host: string; port: number },
  ) {
    this.hostName = params.hostName;
    const onGone = (): void => this.markClosed();
    client.on("close", onGone);
    client.on("end", onGone);
    // After `ready`, errors arrive as events; they end the session, and the caller learns of it
    // from the operation that was in flight (or from `isOpen` on next use).
    client.on("error", (err: Error) => {
      log({ level: "warn", hostName: this.hostName, message: `SSH connection error: ${err.message}` });
      onGone();
    });
    if (jump) {
      jump.on("close", onGone);
      jump.on("error", onGone);
    }
    this.socket.unref();
  }

  /** Whether the session is still usable. A dropped connection turns this false. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Run `argv` on the host; see `HostConnection.exec`. */
  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    let built: BuiltCommand;
    try {
      built = buildRemoteCommand(argv, {
        env: opts.env,
        secretEnv: opts.secretEnv,
        sudo: this.params.sudo,
        remoteDeadlineSeconds: remoteDeadline(opts.timeoutMs),
      });
    } catch (e) {
      // The builder's message names fields only, never secret values.
      throw new RemoteError(`host ${this.hostName}: ${(e as Error).message}`, this.hostName);
    }
    return this.run(built, opts.stdin, opts);
  }

  /** An HTTP request to the router API through a port forward; see `HostConnection.http`. */
  async http(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    opts: { headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
  ): Promise<HttpResponse> {
    const { host, port } = this.routerApi;
    return this.request(
      `HTTP ${method} ${path} on ${host}:${port}`,
      "the router API to answer",
      () => this.forwardOut(host, port),
      { method, path, host, port, headers: opts.headers, body: opts.body },
      opts.timeoutMs,
    );
  }

  /** A GET on the Docker Engine API through a stream-local forward; see `HostConnection.dockerGet`. */
  async dockerGet(path: string, opts: { timeoutMs?: number } = {}): Promise<HttpResponse> {
    return this.request(
      `Docker API GET ${path} on ${DOCKER_SOCKET}`,
      "the Docker Engine API to answer",
      () => this.forwardOutSocket(DOCKER_SOCKET),
      { method: "GET", path, host: "docker", port: 80 },
      opts.timeoutMs,
    );
  }

  /** One HTTP request over a channel `open` gives, with a deadline, logged as `what`. */
  private async request(
    what: string,
    awaited: string,
    open: () => Promise<ClientChannel>,
    req: ChannelRequest,
    timeoutMs = DEFAULT_HTTP_TIMEOUT_MS,
  ): Promise<HttpResponse> {
    if (!req.path.startsWith("/")) {
      throw new RemoteError(
        `host ${this.hostName}: HTTP path ${JSON.stringify(req.path)} must start with /`,
        this.hostName,
      );
    }
    const started = Date.now();
    this.hold();
    try {
      return await withDeadline(
        timeoutMs,
        () => new RemoteTimeoutError(this.hostName, what, timeoutMs, awaited),
        async (onCancel) => {
          const stream = await open();
          onCancel(() => stream.destroy());
          return await requestOverChannel(
            stream,
            req,
            (err) => new RemoteError(`host ${this.hostName}: ${what} failed: ${err.message}`, this.hostName),
          );
        },
      );
    } catch (e) {
      if (e instanceof RemoteTimeoutError) {
        this.probe();
      }
      throw e;
    } finally {
      this.release();
      log({ level: "debug", hostName: this.hostName, message: what, durationMs: Date.now() - started });
    }
  }

  /**
   * Write `content` to `path` on the host atomically: a temporary file beside it is written,
   * given `mode`, then renamed over `path`, so readers never see a partial file.
   * `mode` defaults to `0o644`.
   */
  async upload(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
    if (!path.startsWith("/")) {
      throw new RemoteError(
        `host ${this.hostName}: upload path ${JSON.stringify(path)} must be absolute`,
        this.hostName,
      );
    }
    const script =
      'umask 077; t="$1.weave-lab-tmp.$$"; trap \'rm -f "$t"\' EXIT; ' +
      'cat > "$t" && chmod "$2" "$t" && mv -f "$t" "$1" && trap - EXIT';
    const argv = ["sh", "-c", script, "sh", path, (mode & 0o7777).toString(8)];
    const built = buildRemoteCommand(argv, {
      sudo: this.params.sudo,
      remoteDeadlineSeconds: remoteDeadline(undefined),
    });
    // The content may be secret (a config file); the log says only where it went.
    const shown: BuiltCommand = {
      ...built,
      rendered: `upload ${path} (${Buffer.byteLength(content)} bytes, mode ${(mode & 0o7777).toString(8)})`,
    };
    await this.run(shown, content, { what: `upload of ${path}` });
  }

  /** End the session (and the jump host's). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    // Keep the process alive until the goodbye is through: a caller awaiting close() must not
    // see the process exit under it.
    this.socket.ref();
    await new Promise<void>((resolve) => {
      this.closeWaiters.push(resolve);
      // A peer that never answers our disconnect must not hold the caller.
      const fallback = setTimeout(() => {
        this.socket.destroy();
        this.markClosed();
      }, 2_000);
      this.closeWaiters.push(() => clearTimeout(fallback));
      this.client.end();
      this.jump?.end();
    });
  }

  private markClosed(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.socket.unref();
    for (const w of this.closeWaiters.splice(0)) {
      w();
    }
  }

  /**
   * After a deadline, check the session itself answers. A link that died silently (no RST) keeps
   * TCP retransmitting for many minutes and every later operation would wait out its own
   * deadline; a session that cannot run `true` within `PROBE_TIMEOUT_MS` is dropped so the pool
   * reconnects on next use.
   */
  private probe(): void {
    if (this.probing || this.closed) {
      return;
    }
    this.probing = true;
    const built = buildRemoteCommand(["true"]);
    this.run(built, undefined, { timeoutMs: PROBE_TIMEOUT_MS, what: "the SSH session to answer" }, true).then(
      () => {
        this.probing = false;
      },
      (e: Error) => {
        this.probing = false;
        if (this.closed) {
          return;
        }
        log({
          level: "warn",
          hostName: this.hostName,
          message: `SSH session unresponsive after a deadline (${e.message}); dropping it, the next operation reconnects`,
        });
        this.socket.destroy();
        this.markClosed();
      },
    );
  }

  /** Keep the process alive while an operation is in flight, and only then. */
  private hold(): void {
    if (this.busy++ === 0) {
      this.socket.ref();
    }
  }

  private release(): void {
    if (--this.busy === 0) {
      this.socket.unref();
    }
  }

  /**
   * Wait for a free session slot. OpenSSH refuses an 11th concurrent session on one connection
   * (`MaxSessions 10`), so parallel callers queue here instead of failing.
   */
  private acquireSession(): Promise<void> {
    if (this.sessions < MAX_SESSIONS) {
      this.sessions++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.sessionWaiters.push(resolve));
  }

  private releaseSession(): void {
    const next = this.sessionWaiters.shift();
    if (next) {
      next();
    } else {
      this.sessions--;
    }
  }

  private lost(doing: string, err?: Error, started = false): RemoteConnectError {
    return new RemoteConnectError(
      `host ${this.hostName}: connection lost ${doing}${err ? `: ${err.message}` : ""}`,
      this.hostName,
      "lost",
      started,
    );
  }

  /** A channel to `host:port` as the host sees it (a `direct-tcpip` forward). */
  private forwardOut(host: string, port: number): Promise<ClientChannel> {
    return this.openChannel(
      `${host}:${port}`,
      "SSH forwarding",
      (cb) => this.client.forwardOut("127.0.0.1", 0, host, port, cb),
      (message) =>
        /prohibited/i.test(message)
          ? " (the host's sshd forbids forwarding: set AllowTcpForwarding yes)"
          : /connect failed|refused/i.test(message)
            ? " (nothing listens there: is the router running?)"
            : "",
    );
  }

  /** A channel to a unix socket on the host (OpenSSH's stream-local forward). */
  private forwardOutSocket(socketPath: string): Promise<ClientChannel> {
    return this.openChannel(socketPath, "SSH stream-local forwarding", (cb) =>
      this.client.openssh_forwardOutStreamLocal(socketPath, cb),
    );
  }

  /**
   * Open a forwarded channel to `target` with `start`; a refusal names the host, the target, the
   * kind of forwarding and what the server said (plus `advice` on it), a dropped session is `lost`.
   */
  private openChannel(
    target: string,
    kind: string,
    start: (cb: (err: Error | undefined, stream: ClientChannel) => void) => void,
    advice: (message: string) => string = () => "",
  ): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(this.lost(`before forwarding to ${target}`));
        return;
      }
      try {
        start((err, stream) => {
          if (err) {
            reject(
              new RemoteError(
                `host ${this.hostName}: cannot reach ${target} through ${kind}: ${err.message}${advice(err.message)}`,
                this.hostName,
              ),
            );
          } else {
            resolve(stream);
          }
        });
      } catch (err) {
        reject(this.lost(`before forwarding to ${target}`, err as Error));
      }
    });
  }

  /** Run a built command on a channel of this session, with the `exec` deadline by default. */
  private run(
    built: BuiltCommand,
    stdin: string | Buffer | undefined,
    opts: ExecOptions,
    isProbe = false,
  ): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    return new ExecRun(this.execSession(), built, stdin, { ...opts, timeoutMs }, isProbe).start();
  }

  /** This connection as a command run sees it. */
  private execSession(): ExecSession {
    return {
      hostName: this.hostName,
      isClosed: () => this.closed,
      openChannel: (command, callback) => this.client.exec(command, callback),
      acquireSession: () => this.acquireSession(),
      releaseSession: () => this.releaseSession(),
      hold: () => this.hold(),
      release: () => this.release(),
      lost: (doing, err, started) => this.lost(doing, err, started),
      probe: () => this.probe(),
    };
  }
}
