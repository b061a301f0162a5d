/**
 * What provider logic needs from the outside world: a way to reach a host and a place to log.
 * Providers pass the real ones (the pooled SSH transport, `pulumi.log`); tests pass their own.
 *
 * Serialisation note: providers are serialised by Pulumi's closure serialiser and run in a fresh
 * process, so this module keeps no state; the connection pool lives on `globalThis` (see
 * `components/remote/pool.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import { getConnection } from "../remote";
import type { ConnectParams, HostConnection } from "../remote/types";

export interface OpsEnv {
  /** A (shared) connection to a host; connect errors surface from its first operation. */
  connect(params: ConnectParams): HostConnection;
  /** Progress for the person running `pulumi up`. Never pass secrets. */
  log(message: string): void;
  /** Sleep (tests may shorten it). */
  sleep(ms: number): Promise<void>;
}

/** The environment providers use when Pulumi runs them. */
export function defaultOpsEnv(): OpsEnv {
  return {
    connect: (params) => getConnection(params),
    log: (message) => pulumi.log.info(message),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}
