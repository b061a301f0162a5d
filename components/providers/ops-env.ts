/**
 * What provider logic needs from the outside world: a way to reach a host and a place to log.
 * Providers pass the real ones (the pooled SSH transport, `pulumi.log`); tests pass their own.
 *
 * Serialisation: Pulumi serialises a dynamic provider's closure (local modules by value,
 * node_modules by `require`) and runs the text in a fresh Node process. The provider logic is
 * plain functions and survives that; the SSH transport does not have to: it holds sockets, timers
 * and ssh2 state, and its pool must be one per process. So the transport is never captured. The
 * closure captures only the transport's module path (a string); in a process where the transport
 * is already loaded it is found on `globalThis`, in a fresh provider process it is `require`d
 * from that path (the compiled package; from TypeScript sources through ts-node when available,
 * else the build output under `bin/`).
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as remote from "../remote";
import type { ConnectParams, HostConnection } from "../remote/types";

export interface OpsEnv {
  /** A (shared) connection to a host; connect errors surface from its first operation. */
  connect(params: ConnectParams): HostConnection;
  /** Progress for the person running `pulumi up`. Never pass secrets. */
  log(message: string): void;
  /** Sleep (tests may shorten it). */
  sleep(ms: number): Promise<void>;
}

/** The part of `components/remote` providers use. */
export interface Transport {
  getConnection(params: ConnectParams): HostConnection;
}

/** Global slot (a string key: a module-level Symbol would not survive serialisation). */
const TRANSPORT_SLOT = "__weaveLabRemoteTransport";

/** Where the transport module can be loaded from, most direct first. Plain strings: serialisable. */
const TRANSPORT_CANDIDATES: string[] = (() => {
  const here = __filename;
  const dir = path.dirname(here);
  if (here.endsWith(".js")) return [path.join(dir, "..", "remote", "index.js")];
  // Running from TypeScript sources (ts-node, jest): `<repo>/components/providers/ops-env.ts`.
  // The build output loads in milliseconds, ts-node in seconds: use the build when it is fresh.
  const repo = path.resolve(dir, "..", "..");
  const src = path.join(dir, "..", "remote");
  const built = path.join(repo, "bin", "components", "remote");
  const ts = path.join(src, "index.ts");
  const js = path.join(built, "index.js");
  return buildIsFresh(src, built) ? [js, ts] : [ts, js];
})();

/** True when every transport source has a compiled file at least as new (so `bin/` is not stale). */
function buildIsFresh(srcDir: string, builtDir: string): boolean {
  try {
    return fs
      .readdirSync(srcDir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .every(
        (f) =>
          fs.statSync(path.join(builtDir, f.replace(/\.ts$/, ".js"))).mtimeMs >=
          fs.statSync(path.join(srcDir, f)).mtimeMs,
      );
  } catch {
    return false;
  }
}

// In the program's own process, publish the transport that is already loaded.
// (A top-level statement: the serialiser captures only what functions reference, so `remote` stays out.)
(globalThis as Record<string, unknown>)[TRANSPORT_SLOT] ??= remote satisfies Transport;

/** The SSH transport of this process (loaded on first use in a fresh provider process). */
export function loadTransport(): Transport {
  const g = globalThis as Record<string, unknown>;
  const slot = "__weaveLabRemoteTransport";
  const have = g[slot] as Transport | undefined;
  if (have) return have;
  const errors: string[] = [];
  for (const file of TRANSPORT_CANDIDATES) {
    try {
      if (file.endsWith(".ts")) {
        // A fresh process cannot read TypeScript by itself.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only in a fresh provider process
        const tsNode = require("ts-node") as { register(o: object): void };
        if (!g.__weaveLabTsNode) {
          tsNode.register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
          g.__weaveLabTsNode = true;
        }
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time
      const t = require(file) as Transport;
      g[slot] = t;
      return t;
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(
    `weave-lab: cannot load the SSH transport in the provider process:\n  ${errors.join("\n  ")}`,
  );
}

/** The environment providers use when Pulumi runs them. */
export function defaultOpsEnv(): OpsEnv {
  return {
    connect: (params) => loadTransport().getConnection(params),
    log: (message) => pulumi.log.info(message),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** True for the transport's connection failures (checked by name: classes differ across module copies). */
export function isConnectError(e: unknown): e is Error & { kind: string; hostName: string } {
  const n = (e as Error | undefined)?.name;
  return (
    (n === "RemoteConnectError" || n === "HostKeyMismatchError") &&
    typeof (e as { kind?: unknown }).kind === "string"
  );
}

/** True for any error the transport raised (it names the host and the command). */
export function isRemoteError(e: unknown): e is Error & { hostName: string } {
  return typeof (e as { hostName?: unknown } | undefined)?.hostName === "string" && e instanceof Error;
}
