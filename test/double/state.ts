/**
 * Per-host state of the Weave/Docker double, shared by the `docker` and `weave` CLI doubles and
 * readable by the router double. Everything lives under `$WEAVE_DOUBLE_HOME` (one directory per
 * lab host; several hosts share one filesystem, so nothing may live at a fixed host path):
 *
 * | path | what |
 * |---|---|
 * | `config.json` | knobs written by the lab, re-read on every call ({@link DoubleConfig}) |
 * | `docker/containers/<64-hex id>.json` | one docker-inspect-like record per container ({@link ContainerRecord}) |
 * | `docker/lock` | mutual exclusion between concurrent ssh sessions (a directory: mkdir is atomic) |
 * | `bridge.json` | the `weave` bridge: present from a successful launch until `weave reset` ({@link BridgeRecord}) |
 * | `weave.log` | the router's log (`docker logs weave` prints it on stderr) — written by the router |
 * | `weavedb.json` | the router's persisted IPAM data — written by the router, deleted by `weave reset` |
 *
 * Contract with the router double: a container is alive when its file exists with
 * `State.Status === "running"` ({@link isAlive}); names and ids resolve with {@link findContainer}.
 * Files are replaced by atomic rename, so readers never need the lock.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Knobs of the double, from `$WEAVE_DOUBLE_HOME/config.json` (missing file or keys → defaults). */
export interface DoubleConfig {
  /** Extra latency of every real `weave` call (the weaveexec helper container). Defaults to 650. */
  cliDelayMs: number;
  /** `docker version` Server.Version. Defaults to `"20.10.24+dfsg1"`. */
  dockerServerVersion: string;
  /** Server.APIVersion. Defaults to `"1.41"`. */
  dockerApiVersion: string;
  /** Server.MinAPIVersion; above the API Weave speaks, docker-touching weave calls fail (G1). Defaults to `"1.12"`. */
  dockerMinApiVersion: string;
  /** `"weaveworks"` (2.8.1, Docker API 1.18) or `"rajch"` (2.9.x, API 1.24). Defaults to `"weaveworks"`. */
  weaveDistribution: "weaveworks" | "rajch";
  /** Version the router and `weave version` report. Defaults to `"2.8.1"`. */
  weaveVersion: string;
  /**
   * Multiplier for emulated network waits (ping intervals and timeouts) so tests need not wait
   * ten real seconds for a lost ping. Not part of the lab's schema; defaults to 1.
   */
  timeScale: number;
  /**
   * The peer name this host's machine-id would give (the router's default when neither `--name`
   * nor an existing `weave` bridge decides). Lets a replay give hosts the captured lab's names,
   * whose sort order decides IPAM splits. Not part of the lab's schema; unset by default.
   */
  peerName?: string;
  /**
   * The host has an empty `/etc/machine-id` and no hardware UUID (a Docker-in-Docker host): a
   * router launched without `--name` dies with `FATA: All system IDs are blank`, as Weave 2.8.1
   * does there. Not part of the lab's schema; unset by default.
   */
  systemIdsBlank?: boolean;
  /**
   * The kernel has openvswitch, so a launch makes a `bridged_fastdp` bridge. Unset (the capture's
   * sleeve-only kernels): the bridge is a plain `bridge`, and relaunching after `weave stop` without
   * `WEAVE_NO_FASTDP=1` dies on the type mismatch (fixture 09).
   */
  kernelFastdp?: boolean;
  /**
   * Weave asks peers for space in weighted-random order (`ring.ChoosePeersToAskForSpace`), so a
   * capture shows one draw of that choice. Listing nicknames or peer names here makes this host
   * ask those peers first, in order, when they can give space — so a replay can compare the rest
   * of a capture byte for byte. Unset (the default): weighted random, as Weave does.
   */
  donorPreference?: string[];
}

export const DEFAULT_CONFIG: DoubleConfig = {
  cliDelayMs: 650,
  dockerServerVersion: "20.10.24+dfsg1",
  dockerApiVersion: "1.41",
  dockerMinApiVersion: "1.12",
  weaveDistribution: "weaveworks",
  weaveVersion: "2.8.1",
  timeScale: 1,
};

/** The weave interface (`ethwe`) of a container, as `weave attach` or the proxy made it. */
export interface WeaveInterface {
  /** MAC of `ethwe` inside the container. */
  Mac: string;
  /** Addresses with prefix length, in attach order (`172.16.16.1/24`). */
  Cidrs: string[];
}

/** A docker-inspect-like container record (the subset the doubles and the product read). */
export interface ContainerRecord {
  Id: string;
  /** With Docker's leading slash: `/web1`. */
  Name: string;
  /** RFC 3339 with nanoseconds, like Docker. */
  Created: string;
  Path: string;
  Args: string[];
  State: {
    /** `restarting`: Docker is between two runs of a container with a restart policy (Running stays true). */
    Status: "created" | "running" | "restarting" | "exited";
    Running: boolean;
    /** True while Docker restarts it (absent in records written before restarts were emulated = false). */
    Restarting?: boolean;
    /** Host pid: the router's for the `weave` container, 0 for others (they run nothing). */
    Pid: number;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
  };
  Image: string;
  Config: {
    Hostname: string;
    Domainname: string;
    Env: string[];
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    Image: string;
    Labels: Record<string, string>;
  };
  HostConfig: {
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
    PublishAllPorts: boolean;
    NetworkMode: string;
    Dns: string[];
    DnsSearch: string[];
    AutoRemove: boolean;
  };
  /** Host port mappings shown by `docker ps` (`0.0.0.0:32768->80/tcp`). */
  NetworkSettings: {
    Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
    /** docker0 address (`172.17.0.2`), empty when not on the default bridge or not running. */
    IPAddress: string;
    MacAddress: string;
  };
  /** The double's record of the Weave interface; absent when not attached. */
  Weave?: WeaveInterface;
  /** What a container's command printed before it exited (`docker logs`); absent while none ran. */
  Logs?: { stdout: string; stderr: string };
  /** Sequence number for Docker's list order (newest first). */
  Seq: number;
  /** How often Docker restarted it under its restart policy (`{{.RestartCount}}`); absent = 0. */
  RestartCount?: number;
  /**
   * Pid of the double's restart monitor (`cli/restart-monitor.ts`), which plays dockerd's restart
   * manager for a container backed by a process with the restart policy `always`. Not shown.
   */
  Monitor?: number;
  /** Docker's HasBeenManuallyStopped: `docker stop`/`kill`/`rm -f` ended it, so it is not restarted. Not shown. */
  ManuallyStopped?: boolean;
}

/** The `weave` bridge marker: exists while the host has a bridge (launch … reset). */
export interface BridgeRecord {
  /** MAC of the bridge = the router's peer name. */
  Mac: string;
  /** Addresses added by `weave expose`. */
  Cidrs: string[];
  /** `bridge` (sleeve) or `bridged_fastdp`; absent in records written before types were kept = `bridge`. */
  Type?: string;
}

/** `$WEAVE_DOUBLE_HOME`, or an error saying the double runs only inside a lab host. */
export function doubleHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.WEAVE_DOUBLE_HOME;
  if (!home) throw new Error("WEAVE_DOUBLE_HOME is not set: the Weave double runs only on a lab host");
  return home;
}

/** The config, re-read every call so tests can change it between commands. */
export function readConfig(home: string): DoubleConfig {
  let raw: Partial<DoubleConfig> = {};
  try {
    raw = JSON.parse(fs.readFileSync(path.join(home, "config.json"), "utf8")) as Partial<DoubleConfig>;
  } catch {
    // Missing or unreadable config means "all defaults", as the lab contract says.
  }
  return { ...DEFAULT_CONFIG, ...raw };
}

export function containersDir(home: string): string {
  return path.join(home, "docker", "containers");
}

function containerFile(home: string, id: string): string {
  return path.join(containersDir(home), `${id}.json`);
}

/** Write a file so that concurrent readers see either the old or the new content, never half. */
export function writeAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** Every container record, newest first (Docker's list order). */
export function listContainers(home: string): ContainerRecord[] {
  let files: string[] = [];
  try {
    files = fs.readdirSync(containersDir(home)).filter((f) => /^[0-9a-f]{64}\.json$/.test(f));
  } catch {
    return [];
  }
  const out: ContainerRecord[] = [];
  for (const f of files) {
    let c: ContainerRecord;
    try {
      c = JSON.parse(fs.readFileSync(path.join(containersDir(home), f), "utf8")) as ContainerRecord;
    } catch {
      continue; // Removed between readdir and read: not there any more.
    }
    out.push(followProcess(home, c));
  }
  return out.sort((a, b) => b.Seq - a.Seq);
}

/** A container's state once its process ended with `code`. */
export function exitedState(s: ContainerRecord["State"], code: number): ContainerRecord["State"] {
  return {
    ...s,
    Status: "exited",
    Running: false,
    Restarting: false,
    Pid: 0,
    ExitCode: code,
    FinishedAt: dockerTime(),
  };
}

/**
 * A container backed by a process (the `weave` container: the router) is running only while the
 * process lives; a killed router turns the container `exited`, as Docker would see it. One whose
 * restart monitor lives is left to the monitor (it turns it `restarting` and starts it again, as
 * dockerd does; until it notices, the record still says running, as Docker's does for a moment),
 * and one being stopped to its stopper.
 */
function followProcess(home: string, c: ContainerRecord): ContainerRecord {
  if (c.Monitor && pidAlive(c.Monitor)) return c;
  // Being stopped (`docker stop`, `weave stop`): the stopper records how it ended.
  if (c.ManuallyStopped) return c;
  if (c.State.Running && c.State.Pid > 0 && !pidAlive(c.State.Pid)) {
    // The lab ends a router with SIGKILL (real Weave then shows 137 for a `--no-restart` one).
    c.State = exitedState(c.State, 137);
    try {
      saveContainer(home, c);
    } catch {
      // Read-only observers may not be able to write; the answer is still right.
    }
  }
  return c;
}

/**
 * Resolve a container reference like Docker does: exact full id, exact name (with or without the
 * leading slash), then a unique id prefix. Undefined when nothing (or more than one prefix) matches.
 */
export function findContainer(home: string, ref: string): ContainerRecord | undefined {
  const all = listContainers(home);
  const byId = all.find((c) => c.Id === ref);
  if (byId) return byId;
  const name = ref.startsWith("/") ? ref : `/${ref}`;
  const byName = all.find((c) => c.Name === name);
  if (byName) return byName;
  if (/^[0-9a-f]+$/.test(ref)) {
    const hits = all.filter((c) => c.Id.startsWith(ref));
    if (hits.length === 1) return hits[0];
  }
  return undefined;
}

/** A container is alive for check-alive purposes when it exists and runs. */
export function isAlive(home: string, id: string): boolean {
  try {
    const c = JSON.parse(fs.readFileSync(containerFile(home, id), "utf8")) as ContainerRecord;
    return followProcess(home, c).State.Status === "running";
  } catch {
    return false;
  }
}

/** The record of container `id` (a full id) as stored, without following its process; undefined when gone. */
export function readContainer(home: string, id: string): ContainerRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(containerFile(home, id), "utf8")) as ContainerRecord;
  } catch {
    return undefined;
  }
}

/** A container id (64 hex) whose record is gone: `docker rm` removed it (Docker's `destroy`). */
export function isDestroyed(home: string, id: string): boolean {
  return /^[0-9a-f]{64}$/.test(id) && !fs.existsSync(containerFile(home, id));
}

export function saveContainer(home: string, c: ContainerRecord): void {
  writeAtomic(containerFile(home, c.Id), JSON.stringify(c, null, 2) + "\n");
}

export function deleteContainer(home: string, id: string): void {
  fs.rmSync(containerFile(home, id), { force: true });
}

/** A fresh 64-hex container id. */
export function newContainerId(): string {
  return crypto.randomBytes(32).toString("hex");
}

/** A locally administered unicast MAC, as the kernel gives a fresh veth. */
export function randomMac(): string {
  const b = crypto.randomBytes(6);
  b[0] = (b[0] & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** Next list-order number (monotonic per host). */
export function nextSeq(home: string): number {
  return listContainers(home).reduce((m, c) => Math.max(m, c.Seq), 0) + 1;
}

/** Docker's timestamp form: RFC 3339 with nanoseconds. */
export function dockerTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

export function bridgeFile(home: string): string {
  return path.join(home, "bridge.json");
}

export function readBridge(home: string): BridgeRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(bridgeFile(home), "utf8")) as BridgeRecord;
  } catch {
    return undefined;
  }
}

export function writeBridge(home: string, b: BridgeRecord): void {
  writeAtomic(bridgeFile(home), JSON.stringify(b, null, 2) + "\n");
}

export function removeBridge(home: string): void {
  fs.rmSync(bridgeFile(home), { force: true });
}

/**
 * True when a process with this pid runs. Signal 0 probes without touching it; a zombie (killed,
 * not yet reaped by whoever inherited it) still answers the probe, so /proc decides that case.
 */
export function pidAlive(pid: number): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name (which may itself contain spaces).
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return true;
  }
}

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
/** Synchronous sleep: the CLIs are short-lived and sequential, so blocking is what we want. */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleepBuf, 0, 0, ms);
}

/**
 * Run `fn` holding the host's docker lock. The lock is a directory holding the owner's pid; a
 * lock whose owner died (a killed ssh session) is broken after a check, so it never wedges a lab.
 */
export function withLock<T>(home: string, fn: () => T): T {
  const dir = path.join(home, "docker", "lock");
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(path.join(dir, "pid"), "utf8"));
      } catch {
        // Owner between mkdir and writing its pid: give it a moment.
      }
      if (owner && !pidAlive(owner)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`docker double: lock ${dir} held by pid ${owner} for 30 s`);
      sleepSync(5);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Ends a process the way `docker stop` ends a container's: `signal`, up to 10 s for it to go,
 * then SIGKILL. Nothing to do when it is not running.
 */
export async function stopProcess(pid: number, signal: NodeJS.Signals): Promise<void> {
  if (!(pid > 0 && pidAlive(pid))) return;
  const send = (s: NodeJS.Signals): void => {
    try {
      process.kill(pid, s);
    } catch {
      // Already gone.
    }
  };
  send(signal);
  for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (pidAlive(pid)) send("SIGKILL");
}
