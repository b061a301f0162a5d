/**
 * The SSH transport: the only way weave-lab reaches hosts. Providers call `getConnection` and use
 * the `HostConnection` contract; everything else here is for tests, benchmarks and diagnostics.
 */
export * from "./types";
export { shellQuote, quoteArgv, renderForLog, redact, type RenderOptions } from "./quote";
export { fingerprintOf, parseHostKey, hostKeyMatches, type ExpectedHostKey } from "./hostkey";
export { backoffDelay, backoffSchedule, type BackoffOptions } from "./backoff";
export {
  buildRemoteCommand,
  SECRET_ENV_WRAPPER,
  DEADLINE_WRAPPER,
  SECRET_ENV_MISSING_EXIT,
  type BuiltCommand,
  type CommandParts,
} from "./command";
export {
  RemoteError,
  RemoteConnectError,
  HostKeyMismatchError,
  RemoteCommandError,
  RemoteTimeoutError,
  STDERR_TAIL_LINES,
  type ConnectFailureKind,
} from "./errors";
export { getLogger, setLogger, type RemoteLogger, type RemoteLogEvent, type RemoteLogLevel } from "./log";
export { SshConnection, ROUTER_API, DEFAULT_EXEC_TIMEOUT_MS, DEFAULT_HTTP_TIMEOUT_MS } from "./connection";
export { connect, type ConnectOptions } from "./dial";
export { planConnection } from "./dial-plan";
export { getConnection, openConnection, closeAll, stats, resetStats, poolKey } from "./pool";
