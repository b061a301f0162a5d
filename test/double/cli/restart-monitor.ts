/**
 * Docker's restart manager for the double's `weave` container. Weave runs its router with the
 * restart policy `always`; real Weave 2.8.1 on a Docker 20.10 host shows, after `weaver` is
 * SIGKILLed:
 *
 * - for a moment `docker inspect` still says `running` with the old pid (dockerd has not seen
 *   the exit yet), and `weave status` fails with curl's connection error;
 * - then `restarting` (Running true, Restarting true, Pid 0, the exit code: 137), RestartCount
 *   already one higher, while dockerd waits before starting it again: 100 ms, doubled after each
 *   run shorter than 10 s;
 * - then `running` again (exit code 0) with a new pid, the same arguments and env, the same
 *   weavedb (`weave status` answers again within 0.1 s), the log appended to.
 *
 * A restarted weaver meets the `weave` bridge its first run made: on a kernel without
 * openvswitch that is a plain `bridge`, and unless it runs with `--no-fastdp` it dies at once on
 * "Existing bridge type "bridge" is different than requested "bridged_fastdp"" (exit 1), so
 * Docker restarts it again and again (`weave status`: "weave container is restarting.").
 * A container stopped with `docker stop`/`kill`/`rm -f`, `weave stop` or killed by `weave launch`
 * (Docker's HasBeenManuallyStopped, {@link ContainerRecord.ManuallyStopped}) is not restarted.
 *
 * One monitor process per router container, started detached by `weave launch`
 * (`restart-monitor-main.ts`); it ends when the container is stopped by hand or removed.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  ContainerRecord,
  dockerTime,
  readContainer,
  pidAlive,
  readBridge,
  saveContainer,
  withLock,
} from "../state";
import { sleep } from "./io";

/** Path of the compiled router double, beside this directory in `bin/test/double/`. */
export function routerMain(): string {
  return path.resolve(__dirname, "..", "router", "main.js");
}

/** Start the router double with `args` and `env`, its stdout/stderr appended to the container's log. */
export function spawnRouter(
  home: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  detached: boolean,
): ChildProcess {
  const logFd = fs.openSync(path.join(home, "weave.log"), "a");
  try {
    return spawn(process.execPath, [routerMain(), ...args], {
      detached,
      stdio: ["ignore", logFd, logFd],
      env,
    });
  } finally {
    fs.closeSync(logFd);
  }
}

/**
 * Weaver's bridge-type check at start (`FATA: Existing bridge type …`): the type the router would
 * refuse, or undefined when it may start. Only a plain `bridge` meeting a fastdp request refuses;
 * a `bridged_fastdp` bridge exists only on kernels with openvswitch, where weaver accepts it.
 */
export function bridgeTypeRefusal(
  home: string,
  args: string[],
): { existing: string; requested: string } | undefined {
  const existing = readBridge(home);
  if (!existing || args.includes("--no-fastdp")) return undefined;
  const type = existing.Type ?? "bridge";
  return type === "bridge" ? { existing: type, requested: "bridged_fastdp" } : undefined;
}

/** Weaver's log timestamp (`2026/01/02 15:04:05.000000`). */
export function weaveLogTime(d: Date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000`;
}

/** The log lines of a weaver that dies on the bridge-type check. */
export function bridgeTypeFatal(version: string, r: { existing: string; requested: string }): string {
  return (
    `INFO: ${weaveLogTime()} weave  ${version}\n` +
    `FATA: ${weaveLogTime()} Existing bridge type "${r.existing}" is different than requested "${r.requested}". Please do 'weave reset' and try again\n`
  );
}

/** Start a detached monitor for container `id`; returns its pid (0 when it could not start). */
export function startMonitor(home: string, id: string, routerEnv: NodeJS.ProcessEnv): number {
  const child = spawn(process.execPath, [path.join(__dirname, "restart-monitor-main.js"), id], {
    detached: true,
    stdio: "ignore",
    env: { ...routerEnv, WEAVE_DOUBLE_HOME: home },
  });
  child.unref();
  return child.pid ?? 0;
}

/** The record of container `id` while Docker would still restart it, else undefined. */
function restartable(home: string, id: string): ContainerRecord | undefined {
  const c = readContainer(home, id);
  if (!c || c.ManuallyStopped || c.HostConfig.RestartPolicy.Name !== "always") return undefined;
  return c;
}

const POLL_MS = 100;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A run at least this long resets the back-off (Docker's restart manager). */
const RESET_AFTER_MS = 10_000;

/**
 * Watch container `id`'s router and restart it while the policy says so. `routerEnv` is the env
 * the router was started with (the monitor runs with it). Returns when the container is stopped
 * by hand, removed or replaced.
 */
export async function monitor(home: string, id: string, routerEnv: NodeJS.ProcessEnv): Promise<void> {
  const first = restartable(home, id);
  if (!first) return;
  let pid = first.State.Pid;
  let child: ChildProcess | undefined;
  let childExit: number | undefined;
  let startedAt = Date.parse(first.State.StartedAt) || Date.now();
  let delay = FIRST_DELAY_MS;
  let lastExit = 137;
  for (;;) {
    // Wait for the process to end (our own child tells its code; the first run is launch's child,
    // which only SIGKILL ends while the policy applies: 137).
    for (;;) {
      const ended = child ? childExit !== undefined : !pidAlive(pid);
      if (ended) break;
      await sleep(POLL_MS);
      const cur = restartable(home, id);
      if (!cur || cur.State.Pid !== pid) return;
    }
    if (child) lastExit = childExit ?? 1;
    if (Date.now() - startedAt >= RESET_AFTER_MS) delay = FIRST_DELAY_MS;
    const diedPid = pid;
    const exitCode = lastExit;
    const waiting = withLock(home, () => {
      const c = restartable(home, id);
      if (!c || c.State.Pid !== diedPid) return false;
      c.State = {
        ...c.State,
        Status: "restarting",
        Running: true,
        Restarting: true,
        Pid: 0,
        ExitCode: exitCode,
        FinishedAt: dockerTime(),
      };
      // Docker counts the restart when it decides on it, before the wait.
      c.RestartCount = (c.RestartCount ?? 0) + 1;
      saveContainer(home, c);
      return true;
    });
    if (!waiting) return;
    await sleep(delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
    const next = withLock(home, (): { pid: number; child?: ChildProcess } | undefined => {
      const c = restartable(home, id);
      if (!c || c.State.Status !== "restarting") return undefined;
      const now = dockerTime();
      const refusal = bridgeTypeRefusal(home, c.Args);
      if (refusal) {
        const version = c.Config.Image.replace(/^.*:/, "");
        fs.appendFileSync(path.join(home, "weave.log"), bridgeTypeFatal(version, refusal));
        c.State = { ...c.State, StartedAt: now, FinishedAt: now, ExitCode: 1 };
        saveContainer(home, c);
        return { pid: 0 };
      }
      const p = spawnRouter(home, c.Args, routerEnv, false);
      c.State = {
        ...c.State,
        Status: "running",
        Running: true,
        Restarting: false,
        Pid: p.pid ?? 0,
        ExitCode: 0,
        StartedAt: now,
      };
      saveContainer(home, c);
      return { pid: p.pid ?? 0, child: p };
    });
    if (!next) return;
    startedAt = Date.now();
    pid = next.pid;
    child = next.child;
    childExit = undefined;
    if (child) {
      const mine = child;
      mine.on("exit", (code, signal) => {
        if (child === mine) childExit = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
      });
    } else {
      // Died at once on the bridge type: `pidAlive(0)` is false, so the loop goes round.
      lastExit = 1;
    }
  }
}
