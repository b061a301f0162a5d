/**
 * What provider logic needs from the outside world: a way to reach a host and a place to log.
 * Providers pass the real ones (the pooled SSH transport, `pulumi.log`); tests pass their own.
 *
 * Serialisation: Pulumi stores each dynamic resource's provider as text in its state (refresh
 * and destroy run that text, maybe from another checkout, machine or CI). Our providers'
 * serialised text is a small shim: each method loads the real provider module by its path
 * inside the weave-lab package and calls it. Nothing absolute is captured: the package is found
 * at run time, from the provider process's working directory (the Pulumi project): the project
 * itself when it is a weave-lab checkout, else `weave-lab` installed among its dependencies. The
 * compiled package (`bin/`) is used when it is present and not older than the sources; a
 * checkout without a fresh build loads the TypeScript sources through ts-node.
 *
 * In a process that already has the modules (the program itself, tests), they are published on
 * `globalThis` and used from there. The SSH transport is loaded the same way, and never
 * captured: it holds sockets and timers, and its pool must be one per process.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as remote from "../remote";
import type { ConnectParams, HostConnection, HttpResponse } from "../remote/types";

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
  setLogger(fn: remote.RemoteLogger | undefined): remote.RemoteLogger | undefined;
  getLogger(): remote.RemoteLogger | undefined;
}

/**
 * Where a fresh provider process finds the modules it loads, relative to the package root (no
 * extension). Not exported itself: TypeScript spells a use of an exported const inside a
 * function as `exports.X`, which the serialiser does not capture.
 */
const MODULE_PATHS = {
  transport: "components/remote/index",
  router: "components/providers/router-provider",
  gate: "components/providers/gate-provider",
  container: "components/providers/container",
  dnsRecord: "components/providers/dns-record",
  dataplane: "components/providers/dataplane",
} as const;

/** {@link MODULE_PATHS}, for readers outside this module. */
export const PACKAGE_MODULES: typeof MODULE_PATHS = MODULE_PATHS;

/** The `globalThis` key of a module's slot (the transport's is the name other tools already read). */
function slotKey(slot: keyof typeof MODULE_PATHS): string {
  return slot === "transport" ? "__weaveLabRemoteTransport" : `__weaveLab:${slot}`;
}

/** Publish an already loaded module under its slot (strings: a Symbol would not survive serialisation). */
export function publishModule(slot: keyof typeof PACKAGE_MODULES, mod: unknown): void {
  const g = globalThis as Record<string, unknown>;
  g[slotKey(slot)] ??= mod;
}

// In the program's own process, publish the transport that is already loaded.
// (A top-level statement: the serialiser captures only what functions reference, so `remote` stays out.)
publishModule("transport", remote satisfies Transport);

/**
 * The weave-lab package root as seen from this process: the working directory or a parent
 * of it whose package.json is weave-lab's (a checkout used as the Pulumi project), else
 * `weave-lab` resolved from the working directory (an installed dependency).
 */
export function findPackageRoot(cwd: string = process.cwd()): string {
  const isOurs = (dir: string): boolean => {
    try {
      return (
        (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown }).name ===
        "weave-lab"
      );
    } catch {
      return false;
    }
  };
  for (let d = path.resolve(cwd); ; d = path.dirname(d)) {
    if (isOurs(d)) return d;
    if (path.dirname(d) === d) break;
  }
  try {
    return path.dirname(require.resolve("weave-lab/package.json", { paths: [cwd] }));
  } catch {
    throw new Error(
      `weave-lab: cannot find the weave-lab package from ${cwd}: run Pulumi from a project that depends on weave-lab (or from a weave-lab checkout)`,
    );
  }
}

/**
 * The file to load for module `rel` of the package at `root`: the compiled one when there are no
 * sources (an installed package) or the build is at least as new as every source, else the
 * TypeScript source (a checkout being edited).
 */
export function moduleFile(root: string, rel: string): string {
  const ts = path.join(root, `${rel}.ts`);
  const js = path.join(root, "bin", `${rel}.js`);
  if (!fs.existsSync(ts)) return js;
  if (!fs.existsSync(js)) return ts;
  const newest = (dir: string, ext: string): number => {
    let t = 0;
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (e.name.endsWith(ext) && !e.name.endsWith(`.test${ext}`))
          t = Math.max(t, fs.statSync(f).mtimeMs);
      }
    };
    walk(dir);
    return t;
  };
  try {
    const src = newest(path.join(root, "components"), ".ts");
    const built = fs.statSync(js).mtimeMs;
    return built >= src ? js : ts;
  } catch {
    return ts;
  }
}

/**
 * Module `slot` of weave-lab: the copy this process already has, else loaded from the package
 * found at run time (see {@link findPackageRoot}). What a serialised provider calls first.
 */
export function loadPackageModule<T>(slot: keyof typeof PACKAGE_MODULES): T {
  const g = globalThis as Record<string, unknown>;
  const key = slotKey(slot);
  if (g[key]) return g[key] as T;
  const rel = MODULE_PATHS[slot];
  let file = "";
  try {
    file = moduleFile(findPackageRoot(), rel);
    if (file.endsWith(".ts") && !g.__weaveLabTsNode) {
      // A fresh process cannot read TypeScript by itself.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only in a fresh provider process
      const tsNode = require("ts-node") as { register(o: object): void };
      tsNode.register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
      g.__weaveLabTsNode = true;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time
    const m = require(file) as T;
    g[key] ??= m;
    return g[key] as T;
  } catch (e) {
    throw new Error(
      `weave-lab: cannot load ${slot === "transport" ? "the SSH transport" : `the ${slot} provider`} in the provider process (${file || rel}): ${(e as Error).message.split("\n")[0]}`,
    );
  }
}

/**
 * A dynamic provider whose methods load the real one (export `exportName` of module `slot`) and
 * call it. Its serialised text is this shim and the loader: a few KB, no path of this machine.
 */
export function providerShim(
  slot: Exclude<keyof typeof PACKAGE_MODULES, "transport">,
  exportName: string,
): pulumi.dynamic.ResourceProvider {
  const target = (): Required<pulumi.dynamic.ResourceProvider> =>
    loadPackageModule<Record<string, Required<pulumi.dynamic.ResourceProvider>>>(slot)[exportName];
  return {
    check: (olds, news) => target().check(olds, news),
    diff: (id, olds, news) => target().diff(id, olds, news),
    create: (inputs) => target().create(inputs),
    read: (id, props) => target().read(id, props),
    update: (id, olds, news) => target().update(id, olds, news),
    delete: (id, props) => target().delete(id, props),
  };
}

/**
 * The serialisable provider of an implementation this process already has: publishes `impl`
 * under `slot` (as `{ [exportName]: impl }`, the shape the module exports) and returns
 * {@link providerShim}. The shim's closures hold only the slot and the name, never `impl`.
 */
export function shimOf(
  slot: Exclude<keyof typeof PACKAGE_MODULES, "transport" | "router" | "gate">,
  exportName: string,
  impl: pulumi.dynamic.ResourceProvider,
): pulumi.dynamic.ResourceProvider {
  publishModule(slot, { [exportName]: impl });
  return providerShim(slot, exportName);
}

/** The SSH transport of this process (loaded on first use in a fresh provider process). */
export function loadTransport(): Transport {
  return loadPackageModule<Transport>("transport");
}

/**
 * The engine's address when this process is Pulumi's dynamic-provider plugin, which is given it
 * as its first argument but does not hand it to `pulumi.log` (which then prints to the plugin's
 * stdout, where nobody sees it).
 */
export function engineAddressOf(argv: readonly string[], mainFile: string | undefined): string | undefined {
  if (!mainFile || !/[\\/]cmd[\\/]dynamic-provider[\\/]index\.js$/.test(mainFile)) return undefined;
  const a = argv[2];
  return a !== undefined && /^[\w.:\-[\]]+:\d+$/.test(a) ? a : undefined;
}

/** Connect `pulumi.log` to the engine in a dynamic-provider process; true when logs reach the engine. */
export function attachEngineLog(): boolean {
  if (pulumi.runtime.getEngine()) return true;
  const addr = engineAddressOf(process.argv, require.main?.filename);
  if (!addr) return false;
  pulumi.runtime.resetOptions(
    pulumi.runtime.getProject(),
    pulumi.runtime.getStack(),
    -1,
    addr,
    "",
    pulumi.runtime.isDryRun(),
    "",
  );
  return pulumi.runtime.getEngine() !== undefined;
}

/** Where a transport event goes: its level as Pulumi's (an error is a warning: the operation reports its own failure). */
export function pulumiLevelOf(e: remote.RemoteLogEvent): "debug" | "info" | "warn" {
  return e.level === "error" ? "warn" : e.level;
}

/**
 * Route the transport's events (connects, reconnects, slow commands) to `pulumi.log` when it
 * reaches the engine, unless someone (a test) routed them elsewhere already.
 */
function routeTransportLog(t: Transport): void {
  if (t.getLogger()) return;
  t.setLogger((e) => {
    const msg = `${e.hostName}: ${e.message}${e.durationMs !== undefined ? ` (${e.durationMs} ms)` : ""}`;
    void pulumi.log[pulumiLevelOf(e)](msg);
  });
}

/** The environment providers use when Pulumi runs them. */
export function defaultOpsEnv(): OpsEnv {
  const attached = attachEngineLog();
  return {
    connect: (params) => {
      const t = loadTransport();
      if (attached) routeTransportLog(t);
      return t.getConnection(params);
    },
    log: (message) => {
      // Without an engine (tests, tools), stay quiet rather than print into someone's stdout.
      if (attached) void pulumi.log.info(message);
    },
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

/**
 * A GET on the router's API; undefined when the router does not answer (nothing listens, a broken
 * answer, the deadline). A failure of the SSH session itself is thrown: that is not "router
 * absent", and the caller should see it.
 */
export async function routerGet(
  conn: HostConnection,
  path: string,
  opts: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResponse | undefined> {
  try {
    return await conn.http("GET", path, opts);
  } catch (e) {
    if (isConnectError(e)) throw e;
    return undefined;
  }
}

/** True for any error the transport raised (it names the host and the command). */
export function isRemoteError(e: unknown): e is Error & { hostName: string } {
  return typeof (e as { hostName?: unknown } | undefined)?.hostName === "string" && e instanceof Error;
}
