/**
 * One command on an SSH session, from asking for a channel to its exit status: the steps behind
 * `SshConnection.exec`, `upload` and the liveness probe. Stderr quoted in an error or log has the
 * command's secret values masked.
 */
import type { ClientCallback, ClientChannel } from "ssh2";
import type { BuiltCommand } from "./command";
import {
  RemoteCommandError,
  type RemoteConnectError,
  RemoteError,
  RemoteTimeoutError,
  tailLines,
} from "./errors";
import { log } from "./log";
import { redact } from "./quote";
import type { ExecOptions, ExecResult } from "./types";

/** How often to retry opening a channel the server refused while the connection is fine. */
const CHANNEL_OPEN_RETRIES = 10;
/** After SIGTERM at a deadline, how long a command gets before SIGKILL. */
const KILL_GRACE_MS = 1_000;

/** What a run needs of the connection it runs on (`SshConnection` hands it these). */
export interface ExecSession {
  readonly hostName: string;
  /** Whether the connection is gone. */
  isClosed(): boolean;
  /** Ask the server for an exec channel (ssh2's `Client.exec`); throws when the connection is gone. */
  openChannel(command: string, callback: ClientCallback): void;
  /** Wait for a free session slot; `releaseSession` hands it on. */
  acquireSession(): Promise<void>;
  releaseSession(): void;
  /** Keep the process alive while the run is in flight; `release` lets go. */
  hold(): void;
  release(): void;
  /** The error for a connection that went away `doing` something. */
  lost(doing: string, err?: Error, started?: boolean): RemoteConnectError;
  /** Check, after a deadline, that the session still answers. */
  probe(): void;
}

/** `ExecOptions` with the deadline decided. */
export type RunOptions = ExecOptions & { timeoutMs: number };

/**
 * One command's run: queue for a session slot, open the channel (retrying a refusal), feed stdin,
 * collect output, and settle exactly once on exit, failure or the local deadline.
 */
export class ExecRun {
  private readonly started = Date.now();
  private settled = false;
  /** Whether this run holds a session slot. */
  private slot = false;
  private openAttempts = 0;
  private channel: ClientChannel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private resolve: (r: ExecResult) => void = () => undefined;
  private reject: (e: Error) => void = () => undefined;

  constructor(
    private readonly session: ExecSession,
    private readonly built: BuiltCommand,
    private readonly stdin: string | Buffer | undefined,
    private readonly opts: RunOptions,
    /** The liveness probe itself: its deadline does not start another probe. */
    private readonly isProbe = false,
  ) {}

  /** Start the run; the promise settles with the result or the error. */
  start(): Promise<ExecResult> {
    log({ level: "debug", hostName: this.session.hostName, message: `exec ${this.built.rendered}` });
    this.session.hold();
    return new Promise<ExecResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.timer = setTimeout(() => this.onDeadline(), this.opts.timeoutMs);
      void this.session.acquireSession().then(() => this.onSlot());
    });
  }

  /** A session slot is ours: open the channel, unless the deadline passed while queued. */
  private onSlot(): void {
    if (this.settled) {
      // The deadline passed while queued: hand the slot on.
      this.session.releaseSession();
      return;
    }
    this.slot = true;
    this.open();
  }

  private open(): void {
    if (this.settled) {
      return;
    }
    if (this.session.isClosed()) {
      this.finish(this.session.lost(`before \`${this.built.rendered}\` started`));
      return;
    }
    try {
      this.session.openChannel(this.built.command, (e, ch) => this.onChannel(e, ch));
    } catch (e) {
      this.finish(this.session.lost(`before \`${this.built.rendered}\` started`, e as Error));
    }
  }

  private retryOpen(e: Error): void {
    // A refusal on a live connection is the server's session limit (another client of the
    // same sshd user, or a lower MaxSessions): wait and ask again within the deadline.
    const closed = this.session.isClosed();
    if (!closed && this.openAttempts++ < CHANNEL_OPEN_RETRIES) {
      setTimeout(() => this.open(), 100 * this.openAttempts);
    } else {
      const hostName = this.session.hostName;
      this.finish(
        closed
          ? this.session.lost(`before \`${this.built.rendered}\` started`, e)
          : new RemoteError(
              `host ${hostName}: the server refused to start \`${this.built.rendered}\`: ${e.message}`,
              hostName,
            ),
      );
    }
  }

  /** The server answered the channel request: wire the channel up, or retry a refusal. */
  private onChannel(e: Error | undefined, ch: ClientChannel): void {
    if (e) {
      this.retryOpen(e);
      return;
    }
    if (this.settled) {
      // The deadline passed while the channel was opening: the caller has its error; end
      // stdin and close our side (the host-side limit ends the command).
      safely(() => ch.end());
      safely(() => ch.close());
      return;
    }
    this.channel = ch;
    this.collectOutput(ch);
    this.feedStdin(ch);
  }

  /** Gather stdout, stderr and the exit status; settle when the channel closes. */
  private collectOutput(ch: ClientChannel): void {
    let exitCode: number | undefined;
    let exitSignal: string | undefined;
    ch.on("data", (c: Buffer) => this.out.push(c));
    ch.stderr.on("data", (c: Buffer) => this.err.push(c));
    ch.on("exit", (code: number | null, signal?: string) => {
      if (typeof code === "number") {
        exitCode = code;
      }
      if (signal) {
        exitSignal = signal;
      }
    });
    ch.on("close", () => this.onClose(exitCode, exitSignal));
    ch.on("error", (e: Error) =>
      this.finish(this.session.lost(`while \`${this.built.rendered}\` was running`, e, true)),
    );
  }

  /** The channel closed: the result, a failed command (unless allowed), or a lost connection. */
  private onClose(exitCode: number | undefined, exitSignal: string | undefined): void {
    if (this.settled) {
      return;
    }
    const stdout = Buffer.concat(this.out).toString("utf8");
    const stderr = Buffer.concat(this.err).toString("utf8");
    if (exitCode === undefined && exitSignal === undefined) {
      this.finish(
        this.session.lost(
          `while \`${this.built.rendered}\` was running (no exit status received)`,
          undefined,
          true,
        ),
      );
      return;
    }
    const code = exitCode ?? 128 + signalNumber(exitSignal);
    const result: ExecResult = { code, stdout, stderr, durationMs: Date.now() - this.started };
    if (code !== 0 && !this.opts.allowFailure) {
      this.finish(
        new RemoteCommandError(
          this.session.hostName,
          this.built.rendered,
          code,
          tailLines(this.mask(stderr)),
          exitSignal,
        ),
      );
    } else {
      this.finish(undefined, result);
    }
  }

  /** Send the stdin prefix (secret env values) and the caller's stdin. */
  private feedStdin(ch: ClientChannel): void {
    const input: Buffer[] = [Buffer.from(this.built.stdinPrefix, "utf8")];
    if (this.stdin !== undefined) {
      input.push(typeof this.stdin === "string" ? Buffer.from(this.stdin, "utf8") : this.stdin);
    }
    const data = Buffer.concat(input);
    // Always end stdin: a command that reads it must see EOF rather than wait for the deadline.
    if (data.length > 0) {
      ch.end(data);
    } else {
      ch.end();
    }
  }

  /** The local deadline: fail with the stderr so far, stop the command, check the session. */
  private onDeadline(): void {
    const { hostName } = this.session;
    const stderrSoFar = this.mask(Buffer.concat(this.err).toString("utf8"));
    this.finish(
      new RemoteTimeoutError(
        hostName,
        this.built.rendered,
        this.opts.timeoutMs,
        this.opts.what,
        tailLines(stderrSoFar),
      ),
    );
    const ch = this.channel;
    if (ch) {
      // Closing the channel alone leaves the command running. sshd honours `signal` only on
      // non-root sessions; the host-side `timeout` in the command line covers the rest.
      sendSignal(ch, "TERM");
      setTimeout(() => {
        sendSignal(ch, "KILL");
        safely(() => ch.close());
      }, KILL_GRACE_MS).unref();
    }
    if (!this.isProbe) {
      this.session.probe();
    }
  }

  /** Settle once: free the slot and the hold, log the outcome, resolve or reject. */
  private finish(e: Error | undefined, r?: ExecResult): void {
    if (this.settled) {
      return;
    }
    this.settled = true;
    clearTimeout(this.timer);
    this.session.release();
    if (this.slot) {
      // A timed-out command's channel is still open until the host ends it; counting it
      // free now errs towards progress, and a refusal is retried above.
      this.session.releaseSession();
    }
    const durationMs = Date.now() - this.started;
    log({
      level: e ? "warn" : "debug",
      hostName: this.session.hostName,
      message: e ? e.message : `done (${r?.code}) ${this.built.rendered}`,
      durationMs,
    });
    if (e) {
      this.reject(e);
    } else if (r) {
      this.resolve(r);
    }
  }

  private mask(s: string): string {
    return redact(s, this.built.secrets);
  }
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

/** Run `fn`, ignoring a throw: for clean-up of a channel or connection that may be gone. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The channel or connection is already gone, which is what we wanted.
  }
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
