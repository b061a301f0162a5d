/**
 * Connection reuse within a run: one SSH session per host, shared by every provider in the
 * process. Pulumi serialises providers separately, so module-level state would be duplicated if
 * this module were loaded twice; the pool lives on `globalThis` under a registered symbol.
 */
import type { SshConnection } from "./connection";
import { connect, type ConnectOptions } from "./dial";
import { RemoteConnectError } from "./errors";
import { log } from "./log";
import type { ConnectParams, ExecOptions, ExecResult, HostConnection, HttpResponse } from "./types";

const POOL_KEY = Symbol.for("weave-lab.remote.pool");

interface Entry {
  key: string;
  params: ConnectParams;
  options: ConnectOptions;
  conn?: Promise<SshConnection>;
  handle: PooledConnection;
}

interface PoolState {
  entries: Map<string, Entry>;
  opened: Record<string, number>;
  exitHookInstalled: boolean;
}

function state(): PoolState {
  const g = globalThis as { [POOL_KEY]?: PoolState };
  g[POOL_KEY] ??= { entries: new Map(), opened: {}, exitHookInstalled: false };
  return g[POOL_KEY];
}

/**
 * The pool key: one session per (host, port, user, jump host). The host name is not part of it
 * (two names for one endpoint share a session), and neither are credentials: within one run a
 * given endpoint is reached one way.
 */
export function poolKey(p: ConnectParams): string {
  const j = p.jumpHost ? ` via ${p.jumpHost.user}@${p.jumpHost.host}:${p.jumpHost.port}` : "";
  return `${p.user}@${p.host}:${p.port}${j}${p.sudo ? " (sudo)" : ""}`;
}

/**
 * A pooled session handle. Every operation runs on the pool's current session for the host; a
 * session found dropped is reopened once on the next use, and an operation that failed because
 * the session was lost before its command started is retried once on a fresh session.
 * `close()` only releases the handle: sessions end with `closeAll()` or when the process exits.
 */
class PooledConnection implements HostConnection {
  constructor(private readonly entry: Entry) {}

  get hostName(): string {
    return this.entry.params.hostName;
  }

  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    return this.withSession((c) => c.exec(argv, opts));
  }

  http(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    opts?: { headers?: Record<string, string>; body?: string; timeoutMs?: number },
  ): Promise<HttpResponse> {
    return this.withSession((c) => c.http(method, path, opts));
  }

  dockerGet(path: string, opts?: { timeoutMs?: number }): Promise<HttpResponse> {
    return this.withSession((c) => c.dockerGet(path, opts));
  }

  upload(path: string, content: string | Buffer, mode?: number): Promise<void> {
    return this.withSession((c) => c.upload(path, content, mode));
  }

  async close(): Promise<void> {
    // Shared: other providers in this process keep using the session.
  }

  private async withSession<T>(op: (c: SshConnection) => Promise<T>): Promise<T> {
    const first = await session(this.entry);
    try {
      return await op(first);
    } catch (e) {
      // Only "lost before it started" is safe to repeat: the command never ran.
      if (e instanceof RemoteConnectError && e.kind === "lost" && e.commandStarted === false) {
        log({ level: "info", hostName: this.hostName, message: "SSH session was lost; reconnecting once" });
        return op(await session(this.entry));
      }
      throw e;
    }
  }
}

async function session(entry: Entry): Promise<SshConnection> {
  // Callers that find the session dropped at the same moment must open one new session, not one
  // each: whoever resumes second sees the promise replaced and waits for the new one.
  for (;;) {
    const current = entry.conn;
    if (!current) {
      break;
    }
    let c: SshConnection | undefined;
    try {
      c = await current;
    } catch {
      // A failed earlier attempt: try afresh below.
    }
    if (entry.conn !== current) {
      continue;
    }
    if (c?.isOpen) {
      return c;
    }
    break;
  }
  const st = state();
  // A handle used after closeAll() re-enters the pool, so the next closeAll() ends it too.
  if (st.entries.get(entry.key) !== entry) {
    st.entries.set(entry.key, entry);
  }
  const name = entry.params.hostName;
  entry.conn = connect(entry.params, entry.options).then((c) => {
    st.opened[name] = (st.opened[name] ?? 0) + 1;
    return c;
  });
  // A connect failure is reported to this caller, and the next use tries again.
  entry.conn.catch(() => undefined);
  return entry.conn;
}

/**
 * The shared connection for a host, opened lazily on first use (so this never fails: connect
 * errors surface from the first operation). The same handle is returned for the same endpoint.
 */
export function getConnection(params: ConnectParams, options: ConnectOptions = {}): HostConnection {
  const st = state();
  installExitHook(st);
  const key = poolKey(params);
  let entry = st.entries.get(key);
  if (entry) {
    // A later caller may hold fresher settings (a re-pinned host key): they serve the next
    // (re)connect; the live session stays as it is.
    entry.params = params;
    entry.options = options;
  } else {
    const e: Entry = { key, params, options } as Entry;
    e.handle = new PooledConnection(e);
    st.entries.set(key, e);
    entry = e;
  }
  return entry.handle;
}

/**
 * Like `getConnection`, but opens the session now so that connect errors (unreachable host, bad
 * key, host-key mismatch) surface here.
 */
export async function openConnection(
  params: ConnectParams,
  options: ConnectOptions = {},
): Promise<HostConnection> {
  const handle = getConnection(params, options);
  const entry = state().entries.get(poolKey(params));
  if (entry) {
    await session(entry);
  }
  return handle;
}

/** Close every pooled session and forget them. */
export async function closeAll(): Promise<void> {
  const st = state();
  const entries = [...st.entries.values()];
  st.entries.clear();
  await Promise.all(
    entries.map(async (e) => {
      try {
        await (await e.conn)?.close();
      } catch {
        // Never opened, or already gone.
      }
    }),
  );
}

/** Counters for benchmarks and tests: sessions opened per host name since the last reset. */
export function stats(): { opened: Record<string, number> } {
  return { opened: { ...state().opened } };
}

/** Zero the counters (a benchmark measures one run). */
export function resetStats(): void {
  state().opened = {};
}

function installExitHook(st: PoolState): void {
  if (st.exitHookInstalled) {
    return;
  }
  st.exitHookInstalled = true;
  // Sessions are unref'd while idle, so they never keep the process alive; when the loop runs
  // dry, say goodbye to the servers properly instead of dropping the TCP connections.
  process.on("beforeExit", () => {
    if (state().entries.size > 0) {
      void closeAll();
    }
  });
}
