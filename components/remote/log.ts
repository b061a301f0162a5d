/**
 * The transport's structured logging hook. Silent by default; providers route it to
 * `pulumi.log`. Messages never contain secrets (commands are rendered by `renderForLog`).
 */

export type RemoteLogLevel = "debug" | "info" | "warn" | "error";

/** One log event from the transport. */
export interface RemoteLogEvent {
  level: RemoteLogLevel;
  /** The lab's name for the host the event is about. */
  hostName: string;
  message: string;
  /** How long the operation took, when the event ends one. */
  durationMs?: number;
}

export type RemoteLogger = (event: RemoteLogEvent) => void;

const LOGGER_KEY = Symbol.for("weave-lab.remote.logger");
type LoggerHolder = { [LOGGER_KEY]?: RemoteLogger };

/**
 * Route transport log events to `fn` (or silence them with `undefined`). Process-wide, like the
 * connection pool, so every provider in the process shares it. Returns the previous logger.
 */
export function setLogger(fn: RemoteLogger | undefined): RemoteLogger | undefined {
  const g = globalThis as LoggerHolder;
  const prev = g[LOGGER_KEY];
  g[LOGGER_KEY] = fn;
  return prev;
}

/** The logger events go to now (undefined: silent). */
export function getLogger(): RemoteLogger | undefined {
  return (globalThis as LoggerHolder)[LOGGER_KEY];
}

/** Emit an event; a throwing logger must not break the operation it reports on. */
export function log(event: RemoteLogEvent): void {
  const fn = (globalThis as LoggerHolder)[LOGGER_KEY];
  if (!fn) {
    return;
  }
  try {
    fn(event);
  } catch {
    // Logging is best-effort by design.
  }
}
