/**
 * The ssh2 implementation of `HostConnection`: the project's only I/O towards hosts.
 *
 * One `SshConnection` is one authenticated SSH session (optionally through a jump host); every
 * exec, HTTP request and upload is a channel on it. Secrets (private key, passphrase, secret
 * env values) are never placed in a message, log event or command line.
 */
import * as http from "http";
import * as net from "net";
import type { Duplex } from "stream";
import { Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";
import { backoffDelay } from "./backoff";
import { buildRemoteCommand, type BuiltCommand } from "./command";
import {
  HostKeyMismatchError,
  RemoteCommandError,
  RemoteConnectError,
  RemoteError,
  RemoteTimeoutError,
  formatMs,
  tailLines,
} from "./errors";
import {
  type ExpectedHostKey,
  fingerprintOf,
  hostKeyAlgorithmsFor,
  hostKeyMatches,
  parseHostKey,
} from "./hostkey";
import { log } from "./log";
import { redact } from "./quote";
import type { ConnectParams, ExecOptions, ExecResult, HostConnection, HttpResponse } from "./types";

/** Where the Weave router's HTTP API listens on every host. */
export const ROUTER_API = { host: "127.0.0.1", port: 6784 } as const;

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
/** How often to retry opening a channel the server refused while the connection is fine. */
const CHANNEL_OPEN_RETRIES = 10;

/** Longest single handshake attempt; a longer budget is spent on more attempts instead. */
const MAX_ATTEMPT_MS = 15_000;
/** Shortest attempt worth starting: a TCP connect plus an SSH handshake on a LAN. */
const MIN_ATTEMPT_MS = 200;
/** How long a live session may take to run `true` before it counts as dead. */
const PROBE_TIMEOUT_MS = 5_000;
/** After SIGTERM at a deadline, how long a command gets before SIGKILL. */
const KILL_GRACE_MS = 1_000;

/** Transport options that are not part of the host's parameters (tests, benchmarks). */
export interface ConnectOptions {
  /**
   * Where `http()` connects, as seen from the host. Defaults to `ROUTER_API` (127.0.0.1:6784);
   * tests on a shared loopback use another port.
   */
  routerApi?: { host: string; port: number };
}

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
    if (!path.startsWith("/")) {
      throw new RemoteError(
        `host ${this.hostName}: HTTP path ${JSON.stringify(path)} must start with /`,
        this.hostName,
      );
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    const what = `HTTP ${method} ${path} on ${this.routerApi.host}:${this.routerApi.port}`;
    const started = Date.now();
    this.hold();
    try {
      return await withDeadline(
        timeoutMs,
        () => new RemoteTimeoutError(this.hostName, what, timeoutMs, "the router API to answer"),
        async (onCancel) => {
          const stream = await this.forwardOut(this.routerApi.host, this.routerApi.port);
          onCancel(() => stream.destroy());
          return await new Promise<HttpResponse>((resolve, reject) => {
            const body = opts.body === undefined ? undefined : Buffer.from(opts.body, "utf8");
            const headers: Record<string, string> = { ...(opts.headers ?? {}), Connection: "close" };
            if (body !== undefined) {
              headers["Content-Length"] = String(body.length);
            }
            const req = http.request(
              {
                method,
                path,
                host: this.routerApi.host,
                port: this.routerApi.port,
                headers,
                createConnection: () => asSocket(stream),
              },
              (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () =>
                  resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
                );
                res.on("error", reject);
              },
            );
            req.on("error", (err: Error) =>
              reject(new RemoteError(`host ${this.hostName}: ${what} failed: ${err.message}`, this.hostName)),
            );
            req.end(body);
          });
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

  private forwardOut(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(this.lost(`before forwarding to ${host}:${port}`));
        return;
      }
      try {
        this.client.forwardOut("127.0.0.1", 0, host, port, (err, stream) => {
          if (err) {
            reject(
              new RemoteError(
                `host ${this.hostName}: cannot reach ${host}:${port} through SSH forwarding: ${err.message}` +
                  (/prohibited/i.test(err.message)
                    ? " (the host's sshd forbids forwarding: set AllowTcpForwarding yes)"
                    : /connect failed|refused/i.test(err.message)
                      ? " (nothing listens there: is the router running?)"
                      : ""),
                this.hostName,
              ),
            );
          } else {
            resolve(stream);
          }
        });
      } catch (err) {
        reject(this.lost(`before forwarding to ${host}:${port}`, err as Error));
      }
    });
  }

  private run(
    built: BuiltCommand,
    stdin: string | Buffer | undefined,
    opts: ExecOptions,
    isProbe = false,
  ): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    const started = Date.now();
    const hostName = this.hostName;
    const mask = (s: string): string => redact(s, built.secrets);
    log({ level: "debug", hostName, message: `exec ${built.rendered}` });
    this.hold();
    return new Promise<ExecResult>((resolve, reject) => {
      let settled = false;
      let slot = false;
      let retryOpen: (e: Error) => void = () => undefined;
      let channel: ClientChannel | undefined;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const stderrSoFar = (): string => mask(Buffer.concat(err).toString("utf8"));
      const finish = (e: Error | undefined, r?: ExecResult): void => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(timer);
        this.release();
        if (slot) {
          // A timed-out command's channel is still open until the host ends it; counting it
          // free now errs towards progress, and a refusal is retried above.
          this.releaseSession();
        }
        const durationMs = Date.now() - started;
        log({
          level: e ? "warn" : "debug",
          hostName,
          message: e ? e.message : `done (${r?.code}) ${built.rendered}`,
          durationMs,
        });
        if (e) {
          reject(e);
        } else if (r) {
          resolve(r);
        }
      };
      const timer = setTimeout(() => {
        finish(
          new RemoteTimeoutError(hostName, built.rendered, timeoutMs, opts.what, tailLines(stderrSoFar())),
        );
        const ch = channel;
        if (ch) {
          // Closing the channel alone leaves the command running. sshd honours `signal` only on
          // non-root sessions; the host-side `timeout` in the command line covers the rest.
          sendSignal(ch, "TERM");
          setTimeout(() => {
            sendSignal(ch, "KILL");
            safely(() => ch.close());
          }, KILL_GRACE_MS).unref();
        }
        if (!isProbe) {
          this.probe();
        }
      }, timeoutMs);

      const onExecOpen = (e: Error | undefined, ch: ClientChannel): void => {
        if (e) {
          retryOpen(e);
          return;
        }
        if (settled) {
          // The deadline passed while the channel was opening: the caller has its error; end
          // stdin and close our side (the host-side limit ends the command).
          safely(() => ch.end());
          safely(() => ch.close());
          return;
        }
        channel = ch;
        let exitCode: number | undefined;
        let exitSignal: string | undefined;
        ch.on("data", (c: Buffer) => out.push(c));
        ch.stderr.on("data", (c: Buffer) => err.push(c));
        ch.on("exit", (code: number | null, signal?: string) => {
          if (typeof code === "number") {
            exitCode = code;
          }
          if (signal) {
            exitSignal = signal;
          }
        });
        ch.on("close", () => {
          if (settled) {
            return;
          }
          const stdout = Buffer.concat(out).toString("utf8");
          const stderr = Buffer.concat(err).toString("utf8");
          if (exitCode === undefined && exitSignal === undefined) {
            finish(
              this.lost(`while \`${built.rendered}\` was running (no exit status received)`, undefined, true),
            );
            return;
          }
          const code = exitCode ?? 128 + signalNumber(exitSignal);
          const result: ExecResult = { code, stdout, stderr, durationMs: Date.now() - started };
          if (code !== 0 && !opts.allowFailure) {
            finish(
              new RemoteCommandError(hostName, built.rendered, code, tailLines(mask(stderr)), exitSignal),
            );
          } else {
            finish(undefined, result);
          }
        });
        ch.on("error", (e2: Error) => finish(this.lost(`while \`${built.rendered}\` was running`, e2, true)));
        const input: Buffer[] = [Buffer.from(built.stdinPrefix, "utf8")];
        if (stdin !== undefined) {
          input.push(typeof stdin === "string" ? Buffer.from(stdin, "utf8") : stdin);
        }
        const data = Buffer.concat(input);
        // Always end stdin: a command that reads it must see EOF rather than wait for the deadline.
        if (data.length > 0) {
          ch.end(data);
        } else {
          ch.end();
        }
      };
      let openAttempts = 0;
      const open = (): void => {
        if (settled) {
          return;
        }
        if (this.closed) {
          finish(this.lost(`before \`${built.rendered}\` started`));
          return;
        }
        try {
          this.client.exec(built.command, onExecOpen);
        } catch (e) {
          finish(this.lost(`before \`${built.rendered}\` started`, e as Error));
        }
      };
      retryOpen = (e: Error): void => {
        // A refusal on a live connection is the server's session limit (another client of the
        // same sshd user, or a lower MaxSessions): wait and ask again within the deadline.
        if (!this.closed && openAttempts++ < CHANNEL_OPEN_RETRIES) {
          setTimeout(open, 100 * openAttempts);
        } else {
          finish(
            this.closed
              ? this.lost(`before \`${built.rendered}\` started`, e)
              : new RemoteError(
                  `host ${hostName}: the server refused to start \`${built.rendered}\`: ${e.message}`,
                  hostName,
                ),
          );
        }
      };
      void this.acquireSession().then(() => {
        if (settled) {
          // The deadline passed while queued: hand the slot on.
          this.releaseSession();
          return;
        }
        slot = true;
        open();
      });
    });
  }
}

/**
 * Open an SSH session to a host, verifying its key, retrying while it is unreachable (a fresh
 * host's sshd may not be up yet) for at most `connectTimeoutSeconds`. Authentication failures,
 * host-key mismatches and bad parameters fail at once.
 */
export async function connect(params: ConnectParams, options: ConnectOptions = {}): Promise<SshConnection> {
  const plan = planConnection(params);
  if (params.insecureIgnoreHostKey) {
    log({
      level: "warn",
      hostName: params.hostName,
      message: `INSECURE: host key of ${plan.target.label} is not verified (insecureIgnoreHostKey); a man in the middle could read secrets sent to it`,
    });
  }
  const budgetMs = Math.max(1, params.connectTimeoutSeconds) * 1000;
  const started = Date.now();
  let attempts = 0;
  let lastError: Error | undefined;
  // Every attempt and every pause fits in the budget: the last attempt gets only what is left.
  for (let remaining = budgetMs; remaining >= MIN_ATTEMPT_MS; remaining = budgetMs - (Date.now() - started)) {
    attempts++;
    try {
      const { client, jump, socket } = await attemptConnection(
        params,
        plan,
        Math.min(MAX_ATTEMPT_MS, remaining),
      );
      log({
        level: "info",
        hostName: params.hostName,
        message: `connected to ${plan.target.label}${attempts > 1 ? ` after ${attempts} attempts` : ""}`,
        durationMs: Date.now() - started,
      });
      return new SshConnection(params, client, jump, socket, options.routerApi ?? ROUTER_API);
    } catch (e) {
      if (e instanceof RemoteConnectError && e.kind !== "unreachable") {
        throw e;
      }
      lastError = e as Error;
    }
    const left = budgetMs - (Date.now() - started);
    const delay = backoffDelay(attempts - 1, left - MIN_ATTEMPT_MS);
    if (delay <= 0) {
      break;
    }
    log({
      level: "debug",
      hostName: params.hostName,
      message: `not reachable yet (${lastError.message}); retrying in ${formatMs(delay)}`,
    });
    await sleep(delay);
  }
  throw new RemoteConnectError(
    `host ${params.hostName}: could not connect to ${plan.target.label} within ${formatMs(budgetMs)} (${attempts} attempt(s)); last error: ${lastError?.message ?? "none"}`,
    params.hostName,
    "unreachable",
  );
}

interface Hop {
  label: string;
  host: string;
  port: number;
  user: string;
  privateKey?: string;
  passphrase?: string;
  agent?: string;
  expected?: ExpectedHostKey;
}

interface ConnectionPlan {
  target: Hop;
  jump?: Hop;
}

/**
 * Check the parameters before any traffic: every problem at once, as `field: message`.
 * Exported for tests.
 */
export function planConnection(p: ConnectParams): ConnectionPlan {
  const problems: string[] = [];
  const agent = p.privateKey ? undefined : (p.agent ?? process.env.SSH_AUTH_SOCK);
  const label = (user: string, host: string, port: number): string => `${user}@${host}:${port}`;
  const checkEndpoint = (prefix: string, host: string, port: number, user: string): void => {
    if (!host) {
      problems.push(`${prefix}host: is empty; give an address or name`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`${prefix}port: ${String(port)} is not a port (1–65535)`);
    }
    if (!user) {
      problems.push(`${prefix}user: is empty; give a login user`);
    }
  };
  checkEndpoint("", p.host, p.port, p.user);
  if (!p.privateKey && !agent) {
    problems.push(
      "privateKey: none given and no SSH agent (agent / $SSH_AUTH_SOCK); give a private key or an agent socket",
    );
  }
  const expectedOf = (field: string, value: string | undefined, who: string): ExpectedHostKey | undefined => {
    if (value === undefined || value.trim() === "") {
      if (!p.insecureIgnoreHostKey) {
        problems.push(
          `${field}: not given for ${who}; give its public key line or SHA256 fingerprint (\`ssh-keyscan\` shows it), or set insecureIgnoreHostKey (insecure)`,
        );
      }
      return undefined;
    }
    try {
      return parseHostKey(value, field);
    } catch (e) {
      problems.push((e as Error).message);
      return undefined;
    }
  };
  const target: Hop = {
    label: label(p.user, p.host, p.port),
    host: p.host,
    port: p.port,
    user: p.user,
    privateKey: p.privateKey,
    passphrase: p.passphrase,
    agent,
    expected: expectedOf("hostKey", p.hostKey, `host ${p.hostName}`),
  };
  let jump: Hop | undefined;
  if (p.jumpHost) {
    const j = p.jumpHost;
    checkEndpoint("jumpHost.", j.host, j.port, j.user);
    jump = {
      label: `jump host ${label(j.user, j.host, j.port)}`,
      host: j.host,
      port: j.port,
      user: j.user,
      // The bastion uses the host's credentials unless it has its own key.
      privateKey: j.privateKey ?? p.privateKey,
      passphrase: j.privateKey ? undefined : p.passphrase,
      agent: j.privateKey ? undefined : agent,
      expected: expectedOf("jumpHost.hostKey", j.hostKey, `jump host ${j.host}`),
    };
  }
  if (problems.length > 0) {
    throw new RemoteConnectError(
      `host ${p.hostName}: invalid SSH settings:\n  ${problems.join("\n  ")}`,
      p.hostName,
      "config",
    );
  }
  return { target, jump };
}

async function attemptConnection(
  params: ConnectParams,
  plan: ConnectionPlan,
  attemptMs: number,
): Promise<{ client: Client; jump?: Client; socket: net.Socket }> {
  const first = plan.jump ?? plan.target;
  const socket = await tcpConnect(params.hostName, first, attemptMs);
  let jump: Client | undefined;
  try {
    if (plan.jump) {
      jump = await handshake(params, plan.jump, socket, attemptMs);
      const j = jump;
      const stream = await new Promise<ClientChannel>((resolve, reject) => {
        j.forwardOut("127.0.0.1", 0, plan.target.host, plan.target.port, (err, s) => {
          if (err) {
            reject(
              new RemoteConnectError(
                `host ${params.hostName}: ${plan.jump?.label} cannot reach ${plan.target.host}:${plan.target.port}: ${err.message}`,
                params.hostName,
                "unreachable",
              ),
            );
          } else {
            resolve(s);
          }
        });
      });
      const client = await handshake(params, plan.target, stream, attemptMs);
      return { client, jump, socket };
    }
    const client = await handshake(params, plan.target, socket, attemptMs);
    return { client, socket };
  } catch (e) {
    jump?.end();
    socket.destroy();
    throw e;
  }
}

function tcpConnect(hostName: string, hop: Hop, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: hop.host, port: hop.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new RemoteConnectError(
          `host ${hostName}: TCP connect to ${hop.host}:${hop.port} timed out after ${formatMs(timeoutMs)}`,
          hostName,
          "unreachable",
        ),
      );
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      // Notice a silently dead peer eventually, without a JS timer that would hold the process.
      sock.setKeepAlive(true, 15_000);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(
        new RemoteConnectError(
          `host ${hostName}: cannot reach ${hop.host}:${hop.port}: ${err.message}`,
          hostName,
          "unreachable",
        ),
      );
    });
  });
}

function handshake(params: ConnectParams, hop: Hop, sock: Duplex, timeoutMs: number): Promise<Client> {
  const hostName = params.hostName;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented: Buffer | undefined;
    let mismatch = false;
    let done = false;
    const settle = (e?: Error): void => {
      if (done) {
        return;
      }
      done = true;
      if (e) {
        client.removeAllListeners("ready");
        client.on("error", () => undefined);
        client.end();
        reject(e);
      } else {
        client.removeAllListeners("error");
        // Until its owner listens (a jump host waits for the inner handshake), an error must not
        // become an uncaught 'error' event; the owner learns of it from 'close'.
        client.on("error", () => undefined);
        resolve(client);
      }
    };
    client.once("ready", () => settle());
    client.on("error", (err: Error & { level?: string }) => {
      if (mismatch && presented && hop.expected) {
        settle(
          new HostKeyMismatchError(
            hostName,
            `${hop.label}`,
            hop.expected.fingerprint,
            fingerprintOf(presented),
          ),
        );
      } else if (err.level === "client-authentication") {
        const how = hop.privateKey ? "the private key" : `the SSH agent at ${hop.agent ?? "(none)"}`;
        settle(
          new RemoteConnectError(
            `host ${hostName}: authentication as ${hop.user} on ${hop.label} failed using ${how}`,
            hostName,
            "auth",
          ),
        );
      } else {
        settle(
          new RemoteConnectError(
            `host ${hostName}: SSH handshake with ${hop.label} failed: ${err.message}`,
            hostName,
            "unreachable",
          ),
        );
      }
    });
    client.on("close", () =>
      settle(
        new RemoteConnectError(
          `host ${hostName}: ${hop.label} closed the connection during the handshake`,
          hostName,
          "unreachable",
        ),
      ),
    );
    const algorithms = hop.expected ? hostKeyAlgorithmsFor(hop.expected) : undefined;
    const config: ConnectConfig = {
      sock: sock as ConnectConfig["sock"],
      username: hop.user,
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer): boolean => {
        presented = key;
        if (!hop.expected) {
          return params.insecureIgnoreHostKey;
        }
        mismatch = !hostKeyMatches(hop.expected, key);
        return !mismatch;
      },
      ...(algorithms ? { algorithms: { serverHostKey: algorithms as ServerHostKeyAlgorithm[] } } : {}),
      ...(hop.privateKey ? { privateKey: hop.privateKey, passphrase: hop.passphrase } : { agent: hop.agent }),
    };
    try {
      client.connect(config);
    } catch (e) {
      // ssh2 throws synchronously for an unreadable key; its message names no key material.
      settle(
        new RemoteConnectError(
          `host ${hostName}: cannot use the private key for ${hop.label}: ${(e as Error).message}`,
          hostName,
          "config",
        ),
      );
    }
  });
}

/**
 * Run `body` with a deadline. `onCancel` registers clean-up for when the deadline wins.
 */
async function withDeadline<T>(
  ms: number,
  timeoutError: () => Error,
  body: (onCancel: (fn: () => void) => void) => Promise<T>,
): Promise<T> {
  const cancels: Array<() => void> = [];
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cancelled = true;
      cancels.splice(0).forEach((c) => safely(c));
      reject(timeoutError());
    }, ms);
  });
  // Clean-up registered after the deadline (a forward that opened late) runs at once.
  const onCancel = (fn: () => void): void => (cancelled ? safely(fn) : void cancels.push(fn));
  try {
    return await Promise.race([body(onCancel), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Node's HTTP client wants a socket; an SSH channel is a Duplex that lacks the socket knobs. */
function asSocket(stream: Duplex): net.Socket {
  const s = stream as Duplex &
    Partial<Pick<net.Socket, "setTimeout" | "setNoDelay" | "setKeepAlive" | "ref" | "unref">>;
  s.setTimeout ??= (() => s) as unknown as net.Socket["setTimeout"];
  s.setNoDelay ??= (() => s) as unknown as net.Socket["setNoDelay"];
  s.setKeepAlive ??= (() => s) as unknown as net.Socket["setKeepAlive"];
  s.ref ??= (() => s) as unknown as net.Socket["ref"];
  s.unref ??= (() => s) as unknown as net.Socket["unref"];
  return s as unknown as net.Socket;
}

/**
 * Ask sshd to signal the command. ssh2's `Channel.signal` stays silent once our side has sent
 * EOF (which we always do, so commands reading stdin finish), although the channel is still open
 * and the request valid; so send it through the protocol object when it is there.
 */
function sendSignal(ch: ClientChannel, sig: "TERM" | "KILL"): void {
  const inner = ch as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, sig: string) => void } };
  };
  const proto = inner._client?._protocol;
  if (
    proto?.signal &&
    typeof inner.outgoing?.id === "number" &&
    (inner.outgoing.state === "open" || inner.outgoing.state === "eof")
  ) {
    const id = inner.outgoing.id;
    safely(() => proto.signal?.(id, sig));
  } else {
    safely(() => ch.signal(sig));
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The channel or connection is already gone, which is what we wanted.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ABRT: 6,
  KILL: 9,
  SEGV: 11,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
};

function signalNumber(sig: string | undefined): number {
  return (sig && SIGNALS[sig.replace(/^SIG/, "")]) || 0;
}
