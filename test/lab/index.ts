/**
 * The namespace test lab: N "hosts", each a network namespace with its own address on a bridge,
 * running OpenSSH's sshd with a generated host key, reachable from the test process over real
 * SSH. Integration tests call {@link getLab}; `WEAVE_LAB_HOSTS` swaps in real machines.
 *
 *   root namespace: bridge wlb<id> 10.10.10.1/24, test process, delay-proxy daemon
 *     └─ veth wlv<id>n<i> ── eth0 in namespace wl-<id>-<host> (10.10.10.100+i)
 *          socat address:22 ─▶ daemon (unix socket) ─▶ sshd address:2022
 *
 * Two labs at once: each has its own id, bridge and /24. The default /24 is 10.10.10.0; when a
 * live lab holds it, the next free one (10.10.11.0, …) is used. An explicit `firstAddress` is
 * never moved: if its /24 is held, `createLab` fails naming the holder.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import { promises as fsp } from "fs";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { mapLimit, mustRun, run, RunResult } from "./exec";
import { DoubleConfig, writeDoubleConfig } from "./double-config";
import {
  candidateNets,
  HostLayout,
  LabLayout,
  LabOptions,
  layoutLab,
  labIdOfResource,
  newLabId,
  validateLabOptions,
} from "./layout";
import {
  claimSubnet,
  cleanupStaleLabsSync,
  labDir,
  LAB_ROOT,
  pidsInNetns,
  cmdline,
  processStart,
  teardownLab,
  labIsLive,
  logEvent,
  writeRecord,
  LabRecord,
} from "./state";
import {
  generateKeyPair,
  publicKeyLine,
  spawnSshd,
  sshdConfig,
  stopProcess,
  waitForBanner,
  withHostname,
} from "./sshd";
import { labFromEnv as realLabFromEnv } from "./real";
import { createDindLab, dindSettings } from "./dind";

export type { LabOptions } from "./layout";
export type { DoubleConfig } from "./double-config";
export { DEFAULT_DOUBLE_CONFIG, readDoubleConfig, writeDoubleConfig } from "./double-config";
export { startSshd, generateKeyPair } from "./sshd";
export type { SshdOptions, SshdHandle, KeyPair } from "./sshd";
export { leftoversOf, LAB_ROOT } from "./state";
export type { Leftovers } from "./state";

/**
 * The repository root: the nearest directory above this file with a `package.json` (the same
 * whether this runs from `test/lab/` under ts-jest/ts-node or compiled under `bin/test/lab/`).
 */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  for (let d = from; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "package.json"))) return d;
    if (path.dirname(d) === d) return path.resolve(__dirname, "..", "..");
  }
}
/** Directory of the double's `weave` and `docker` executables, first on every lab session's PATH. */
export const DOUBLE_PATH_DIR = path.join(REPO_ROOT, "test", "double", "path");
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/**
 * How long a host's sshd and proxy may take to answer. Generous: on a loaded 2-CPU runner every
 * sshd connection (a fork and re-exec of sshd) can take seconds.
 */
const READY_TIMEOUT_MS = 30_000;
/** Port sshd listens on inside a host; port 22 is the delay proxy in front of it. */
export const INNER_SSH_PORT = 2022;

/** One host of a lab. */
export interface LabHost {
  /** Host name (`host1`, …). */
  name: string;
  /** The host's address (where its router and peers reach it). */
  address: string;
  /** Address to SSH to. */
  sshHost: string;
  sshPort: number;
  user: string;
  /** OpenSSH private key text of the test client key (authorised for `user`). */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` the server presents (updated by `faults.replaceHostKey`). */
  hostKey: string;
  /** Network namespace (namespace labs only). */
  netns?: string;
  /** The host's `WEAVE_DOUBLE_HOME` (namespace labs only). */
  home?: string;
}

/** What a command returned. */
export interface LabExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Faults a test can inject; each is reversible. All throw "not available on real hosts" for real labs. */
export interface Faults {
  /** Take the host's link down (both ends lose carrier): nothing reaches it, it reaches nothing. */
  cutLink(host: string): Promise<void>;
  restoreLink(host: string): Promise<void>;
  /** Stop sshd and its port-22 listener: new connections are refused; established sessions survive. */
  stopSshd(host: string): Promise<void>;
  startSshd(host: string): Promise<void>;
  /**
   * SIGKILL every router process in the host's namespace (the double's `…/router/main.js`, or a
   * real `weaver`; see {@link isRouterCommand}). Throws naming the host if none runs.
   */
  killRouter(host: string): Promise<void>;
  /** Give the host a new ed25519 host key and restart sshd; returns the new `ssh-ed25519 …` line. */
  replaceHostKey(host: string): Promise<string>;
  /** Add `ms` to every SSH round trip to the host (half each way); 0 turns it off. Applies to new chunks at once. */
  setLatency(host: string, ms: number): Promise<void>;
}

/** A running lab. */
export interface TestLab {
  id: string;
  hosts: LabHost[];
  /**
   * True where the hosts run real Weave (DinD hosts and `WEAVE_LAB_HOSTS` machines): tests call
   * `weave`, not the double, and must not rely on the double's knobs.
   */
  real: boolean;
  /**
   * `namespace`: namespaces with the Weave double (every fault); `dind`: Docker-in-Docker hosts
   * with real Weave (every fault but latency); `real`: `WEAVE_LAB_HOSTS` machines (no faults).
   */
  kind: "namespace" | "dind" | "real";
  /**
   * Run a shell command on a host with the OpenSSH client (pinned host key, `StrictHostKeyChecking=yes`,
   * `BatchMode=yes`). A test-only convenience; `command` is a shell string. Never rejects: ssh failures
   * are `code` 255 (ssh gives up connecting after 5 s: `ConnectTimeout=5`), a timeout (`timeoutMs`,
   * default 30 000) is code 124 with "timed out" in stderr.
   */
  ssh(
    host: string,
    command: string,
    opts?: { timeoutMs?: number; stdin?: string },
  ): Promise<LabExecResult & { durationMs: number }>;
  /** Run an argv directly inside the host's namespace (no ssh) with the same env as SSH sessions. */
  nsExec(host: string, argv: string[]): Promise<LabExecResult>;
  faults: Faults;
  /** `ssh` client arguments reaching `host` (before the remote command), for tests that spawn ssh themselves. */
  sshArgs(host: string, knownHostsFile?: string): string[];
  /** The known_hosts file pinning every host's current key. */
  knownHostsFile: string;
  /** Remove everything the lab created. Idempotent. */
  destroy(): Promise<void>;
}

interface HostRuntime {
  layout: HostLayout;
  host: LabHost;
  dir: string;
  sshd?: ChildProcess;
  socat?: ChildProcess;
  env: Record<string, string>;
}

const liveLabs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that forgets destroy(), or a jest run that is torn down, still leaves nothing behind.
  process.once("exit", () => {
    for (const id of liveLabs) {
      try {
        teardownLab(id);
      } catch {
        // cleanupStaleLabs at the next start will finish the job
      }
    }
  });
}

/** Remove leftovers of interrupted runs (labs whose creating process is gone). Returns the ids removed. */
export async function cleanupStaleLabs(): Promise<string[]> {
  return cleanupStaleLabsSync();
}

/** Real hosts from `WEAVE_LAB_HOSTS`, or undefined when it is not set. */
export async function labFromEnv(): Promise<TestLab | undefined> {
  return realLabFromEnv();
}

/**
 * What integration tests call: the real hosts of `WEAVE_LAB_HOSTS` if set; a lab of
 * Docker-in-Docker hosts running real Weave with `WEAVE_LAB_KIND=dind`; else a namespace lab
 * with the Weave double. Host names are the test's own on every kind but `WEAVE_LAB_HOSTS`.
 */
export async function getLab(opts: LabOptions = {}): Promise<TestLab> {
  const dind = dindSettings();
  if (dind) return createDindLab(validateLabOptions(opts).names, dind);
  const names = validateLabOptions(opts).names;
  const real = await realLabFromEnv(process.env, names);
  if (!real) return createLab(opts);
  await resetRealHosts(real);
  return real;
}

/**
 * Leave real hosts as a test expects to find them: no Weave router (a failed run of an earlier
 * test may have left one, and every later test would then meet "a running Weave router that is
 * not this lab's") and none of the containers weave-lab made.
 */
export async function resetRealHosts(lab: TestLab): Promise<void> {
  await Promise.all(
    lab.hosts.map(async (h) => {
      const r = await lab.ssh(
        h.name,
        'ids=$(docker ps -aq --filter label=weave-lab.lab); [ -z "$ids" ] || docker rm -f $ids >/dev/null; weave reset --force >/dev/null 2>&1; true',
        { timeoutMs: 120_000 },
      );
      if (r.code !== 0)
        throw new Error(`${h.name}: could not reset the host before the test: ${r.stderr.trim()}`);
    }),
  );
}

/** Kernel neighbour-table limits the lab needs (`net.ipv4/6.neigh.default.gc_thresh1..3`). */
export const NEIGH_THRESHOLDS = { gc_thresh1: 4096, gc_thresh2: 16384, gc_thresh3: 32768 } as const;

/**
 * Raise the kernel's ARP/ND table limits. The tables are shared by every network namespace and
 * default to 1024 entries; a 32-host lab whose routers form a full mesh needs ~1,000 on its own,
 * and when the table is full a namespace silently stops answering ARP (no neighbour entry can be
 * created for the asker, so no reply is sent): hosts then look dead for tens of seconds. Only
 * ever raised, never lowered (other labs may rely on it), so it is left raised after the run.
 */
export function ensureNeighbourTableRoom(): void {
  for (const family of ["ipv4", "ipv6"]) {
    for (const [key, want] of Object.entries(NEIGH_THRESHOLDS)) {
      const file = `/proc/sys/net/${family}/neigh/default/${key}`;
      try {
        if (Number(fs.readFileSync(file, "utf8").trim()) < want) fs.writeFileSync(file, String(want));
      } catch {
        // Not writable here (e.g. an unprivileged container): labs still work below ~1,000 entries.
      }
    }
  }
}

async function checkTools(): Promise<void> {
  const missing: string[] = [];
  const have = async (cmd: string): Promise<boolean> =>
    (await run("sh", ["-c", 'command -v "$1"', "sh", cmd], { env: { PATH: SYSTEM_PATH } })).code === 0;
  const tools: Array<[string, string]> = [
    ["ip", "iproute2"],
    ["ssh", "openssh-client"],
    ["ssh-keygen", "openssh-client"],
    ["socat", "socat"],
    ["unshare", "util-linux"],
  ];
  const results = await Promise.all(tools.map(([c]) => have(c)));
  tools.forEach(([c, pkg], i) => !results[i] && missing.push(`${c} (apt-get install ${pkg})`));
  if (!fs.existsSync("/usr/sbin/sshd")) missing.push("/usr/sbin/sshd (apt-get install openssh-server)");
  if (process.getuid && process.getuid() !== 0) missing.push("root (network namespaces need it)");
  if (missing.length > 0) throw new Error(`the namespace lab needs: ${missing.join(", ")}`);
}

/**
 * Interfaces of the root namespace with an IPv4 address starting with `prefix` ("10.10.10."),
 * after removing bridges of labs whose owner is gone.
 */
function interfacesIn(prefix: string): string[] {
  const find = (): string[] =>
    Object.entries(os.networkInterfaces())
      .filter(([, list]) => (list ?? []).some((a) => a.family === "IPv4" && a.address.startsWith(prefix)))
      .map(([name]) => name);
  const first = find();
  for (const name of first) {
    const other = labIdOfResource(name);
    if (other && !labIsLive(other)) teardownLab(other);
  }
  return first.length > 0 ? find() : first;
}

/** Build a namespace lab (needs root). Removes stale labs of interrupted runs first. */
export async function createLab(opts: LabOptions = {}): Promise<TestLab> {
  const valid = validateLabOptions(opts);
  cleanupStaleLabsSync();
  await checkTools();
  ensureNeighbourTableRoom();
  fs.mkdirSync(LAB_ROOT, { recursive: true, mode: 0o755 });
  let id = "";
  for (let i = 0; ; i++) {
    id = newLabId();
    try {
      fs.mkdirSync(labDir(id));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || i > 20) throw e;
    }
  }
  const record: LabRecord = {
    id,
    ownerPid: process.pid,
    ownerStart: processStart(process.pid) ?? "",
    createdAt: new Date().toISOString(),
    bridge: "",
    cidr: "",
    hosts: [],
  };
  writeRecord(record);
  liveLabs.add(id);
  installExitHook();
  try {
    return await buildLab(
      id,
      record,
      valid.names,
      valid.net,
      valid.firstHost,
      valid.explicitAddress,
      opts.double,
    );
  } catch (e) {
    liveLabs.delete(id);
    try {
      teardownLab(id);
    } catch (t) {
      (e as Error).message += `\n(and cleaning up failed: ${(t as Error).message})`;
    }
    throw e;
  }
}

async function buildLab(
  id: string,
  record: LabRecord,
  names: string[],
  wantNet: [number, number, number],
  firstHost: number,
  explicit: boolean,
  double: Partial<DoubleConfig> | undefined,
): Promise<TestLab> {
  const dir = labDir(id);
  const ctl = path.join(dir, ".lab");
  fs.mkdirSync(ctl);

  // Pick the /24: claim it, then make sure no interface of this machine already has an address in
  // it (a lab bridge of a dead process is removed; anything else makes us try the next /24).
  let layout: LabLayout | undefined;
  const held: string[] = [];
  for (const n of candidateNets(wantNet, explicit)) {
    const prefix = `${n.join(".")}.`;
    const c = claimSubnet(n, id);
    if ("heldBy" in c) {
      held.push(`${prefix}0/24 (lab ${c.heldBy})`);
      continue;
    }
    const clash = interfacesIn(prefix);
    if (clash.length > 0) {
      fs.rmSync(c.claim, { force: true });
      held.push(`${prefix}0/24 (in use on ${clash.join(", ")})`);
      continue;
    }
    record.subnetClaim = c.claim;
    layout = layoutLab(id, n, firstHost, names);
    break;
  }
  if (!layout)
    throw new Error(
      `no free /24 for the lab: ${held.join(", ")}; destroy the other lab or pass another firstAddress`,
    );
  record.bridge = layout.bridge;
  record.cidr = layout.cidr;
  record.hosts = layout.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    netns: h.netns,
    veth: h.veth,
  }));
  writeRecord(record);

  const phase = phaseTimer(id);
  // Links and namespaces: one `ip` for the root side, one per namespace for the inside.
  const rootBatch = [
    // A fixed MAC: a bridge otherwise takes the lowest MAC of its ports and changes it when ports
    // come and go, leaving hosts' ARP entries for the bridge address pointing nowhere for ~30 s.
    `link add ${layout.bridge} address ${bridgeMac(id)} type bridge forward_delay 0 stp_state 0`,
    `addr add ${layout.bridgeAddress}/24 dev ${layout.bridge}`,
    `link set ${layout.bridge} up`,
  ];
  for (const h of layout.hosts) {
    rootBatch.push(
      `netns add ${h.netns}`,
      `link add ${h.veth} type veth peer name eth0 netns ${h.netns}`,
      `link set ${h.veth} master ${layout.bridge} up`,
    );
  }
  await mustRun("ip", ["-batch", "-"], {
    input: rootBatch.join("\n") + "\n",
    what: `lab ${id}: create bridge and namespaces`,
  });
  logEvent(`bridge ${id} ${layout.cidr}`);
  // Two bridges carrying one /24 would send part of the traffic into the wrong lab.
  const routes = (await mustRun("ip", ["-4", "-o", "route", "show", layout.cidr])).stdout.trim().split("\n");
  if (routes.length !== 1 || !routes[0].includes(` dev ${layout.bridge} `)) {
    throw new Error(
      `lab ${id}: ${layout.cidr} is routed to more than this lab's bridge: ${routes.join(" | ")}`,
    );
  }
  record.iptablesRules = await allowBridgedTraffic(layout.bridge);
  writeRecord(record);
  await mapLimit(layout.hosts, 8, (h) =>
    mustRun("ip", ["-n", h.netns, "-batch", "-"], {
      input: ["link set lo up", `addr add ${h.address}/24 dev eth0`, "link set eth0 up"].join("\n") + "\n",
      what: `${h.name}: configure namespace ${h.netns}`,
    }),
  );

  phase("links and namespaces");
  // Keys and files.
  const client = await generateKeyPair(path.join(ctl, "id_ed25519"), `weave-lab-test@${id}`);
  // mapLimit keeps input order, so hosts stay in layout order however the work interleaves.
  const prepared = await mapLimit(layout.hosts, 8, async (h): Promise<HostRuntime> => {
    const hdir = path.join(ctl, h.name);
    const home = path.join(dir, h.name);
    await fsp.mkdir(hdir, { recursive: true });
    await fsp.mkdir(home, { recursive: true });
    await writeDoubleConfig(home, double ?? {});
    const hostKey = await generateKeyPair(path.join(hdir, "ssh_host_ed25519_key"), `${h.name}@${id}`);
    const env = {
      PATH: `${DOUBLE_PATH_DIR}:${SYSTEM_PATH}`,
      WEAVE_DOUBLE_HOME: home,
      WEAVE_DOUBLE_HOST: h.name,
      CHECKPOINT_DISABLE: "1",
      // Debian's bash sources ~/.bashrc for `ssh host cmd` when it believes it is the top-level
      // shell (SHLVL < 2); a root .bashrc that prepends to PATH (pyenv, cargo, …) would then hide
      // the double. SHLVL=1 makes the session shell level 2, so the PATH above stays in force.
      SHLVL: "1",
    };
    await fsp.writeFile(path.join(hdir, "authorized_keys"), client.publicKey + "\n", { mode: 0o600 });
    await fsp.writeFile(
      path.join(hdir, "sshd_config"),
      sshdConfig({
        address: h.address,
        port: INNER_SSH_PORT,
        hostKeyFile: hostKey.file,
        pidFile: path.join(hdir, "sshd.pid"),
        authorizedKeysFile: path.join(hdir, "authorized_keys"),
        env,
      }),
    );
    return {
      layout: h,
      dir: hdir,
      env,
      host: {
        name: h.name,
        address: h.address,
        sshHost: h.address,
        sshPort: 22,
        user: "root",
        privateKey: client.privateKey,
        hostKey: hostKey.publicKey,
        netns: h.netns,
        home,
      },
    };
  });
  const runtimes = new Map<string, HostRuntime>(prepared.map((r) => [r.layout.name, r]));

  phase("keys and files");
  // The delay proxy, then every host's sshd and port-22 listener.
  const daemon = await startDelayDaemon(id, ctl, layout);
  record.daemonPid = daemon.pid;
  writeRecord(record);
  const knownHostsFile = path.join(ctl, "known_hosts");
  const writeKnownHosts = (): void =>
    fs.writeFileSync(
      knownHostsFile,
      [...runtimes.values()].map((r) => `${r.host.sshHost} ${r.host.hostKey}`).join("\n") + "\n",
    );
  writeKnownHosts();

  const startServer = async (r: HostRuntime): Promise<void> => {
    r.sshd = await spawnSshd({
      netns: r.layout.netns,
      hostname: r.host.name,
      configFile: path.join(r.dir, "sshd_config"),
      logFile: path.join(r.dir, "sshd.log"),
      pidFile: path.join(r.dir, "sshd.pid"),
      readyTimeoutMs: READY_TIMEOUT_MS,
      what: `${r.host.name}: sshd on ${r.host.address}:${INNER_SSH_PORT}`,
    });
  };
  const startListener = async (r: HostRuntime): Promise<void> => {
    const sock = path.join(r.dir, "ssh.sock");
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        r.layout.netns,
        "socat",
        `TCP-LISTEN:22,bind=${r.host.address},reuseaddr,fork,backlog=512`,
        `UNIX-CONNECT:${sock}`,
      ],
      { detached: true, stdio: "ignore" },
    );
    child.unref();
    r.socat = child;
    await waitForBanner(r.host.address, 22, READY_TIMEOUT_MS).catch((e: Error) => {
      const alive = (c?: ChildProcess): string =>
        c && c.exitCode === null && c.signalCode === null ? "running" : "exited";
      const log = fs.existsSync(path.join(r.dir, "sshd.log"))
        ? fs.readFileSync(path.join(r.dir, "sshd.log"), "utf8").trim().split("\n").slice(-3).join(" | ")
        : "(none)";
      let extra = "";
      if (process.env.WEAVE_LAB_DEBUG) {
        const sh = (c: string): string => {
          try {
            return execFileSync("sh", ["-c", c], { encoding: "utf8" });
          } catch (x) {
            return String(x);
          }
        };
        extra = sh(
          `set -x; ip -4 route; tail -30 ${LAB_ROOT}/events.log; ip route get ${r.host.address}; ip neigh show ${r.host.address}; ss -tnoi dst ${r.host.address}; ip -n ${r.layout.netns} -br link; ip -n ${r.layout.netns} -br addr; ip -n ${r.layout.netns} neigh; ip netns exec ${r.layout.netns} ss -tanoi; bridge link | grep ${id}; bridge fdb show br ${layout?.bridge}; ip -s link show ${r.layout.veth}; ip -n ${r.layout.netns} -s link show eth0; ps -o pid,stat,args -p ${daemon.pid}`,
        );
      }
      throw new Error(
        `${r.host.name}: ssh on ${r.host.address}:22 does not answer: ${e.message} (sshd ${alive(r.sshd)}, socat ${alive(child)}, sshd log: ${log})${extra}`,
      );
    });
  };
  phase("delay proxy");
  await mapLimit([...runtimes.values()], 8, async (r) => {
    await startServer(r);
    phase(`${r.host.name} sshd`);
    await startListener(r);
    phase(`${r.host.name} answers on :22`);
  });

  const get = (name: string): HostRuntime => {
    const r = runtimes.get(name);
    if (!r)
      throw new Error(
        `lab ${id}: no host ${JSON.stringify(name)}; hosts are ${[...runtimes.keys()].join(", ")}`,
      );
    return r;
  };

  const faults: Faults = {
    async cutLink(host) {
      const r = get(host);
      await mustRun("ip", ["link", "set", r.layout.veth, "down"], { what: `${host}: cut link` });
    },
    async restoreLink(host) {
      const r = get(host);
      await mustRun("ip", ["link", "set", r.layout.veth, "up"], { what: `${host}: restore link` });
    },
    async stopSshd(host) {
      const r = get(host);
      await Promise.all([r.socat && stopProcess(r.socat), r.sshd && stopProcess(r.sshd)]);
    },
    async startSshd(host) {
      const r = get(host);
      if (!r.sshd || r.sshd.exitCode !== null || r.sshd.signalCode !== null) await startServer(r);
      if (!r.socat || r.socat.exitCode !== null || r.socat.signalCode !== null) await startListener(r);
    },
    async killRouter(host) {
      const r = get(host);
      const pids = (pidsInNetns([r.layout.netns]).get(r.layout.netns) ?? []).filter((p) =>
        isRouterCommand(cmdline(p) ?? ""),
      );
      if (pids.length === 0)
        throw new Error(`${host}: no router process runs in namespace ${r.layout.netns}`);
      for (const p of pids) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // exited meanwhile
        }
      }
    },
    async replaceHostKey(host) {
      const r = get(host);
      const key = await generateKeyPair(path.join(r.dir, "ssh_host_ed25519_key"), `${host}@${id}`);
      if (r.sshd) await stopProcess(r.sshd);
      await startServer(r);
      r.host.hostKey = publicKeyLine(key.publicKey);
      writeKnownHosts();
      return r.host.hostKey;
    },
    async setLatency(host, ms) {
      get(host);
      if (!Number.isFinite(ms) || ms < 0)
        throw new Error(`setLatency: ms ${JSON.stringify(ms)} is not allowed; give a number ≥ 0`);
      await daemon.request({ op: "latency", host, ms });
    },
  };

  const hosts = [...runtimes.values()].map((r) => r.host);
  const clientKeyFile = client.file;
  let destroyed = false;
  const lab: TestLab = {
    id,
    hosts,
    real: false,
    kind: "namespace",
    knownHostsFile,
    sshArgs: (host, kh) => sshArgs(get(host).host, clientKeyFile, kh ?? knownHostsFile),
    ssh: (host, command, o) => runSsh(sshArgs(get(host).host, clientKeyFile, knownHostsFile), command, o),
    nsExec: (host, argv) => {
      const r = get(host);
      return run("ip", ["netns", "exec", r.layout.netns, ...withHostname(r.host.name, argv)], {
        env: { ...process.env, ...r.env },
      });
    },
    faults,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      liveLabs.delete(id);
      teardownLab(id);
    },
  };
  return lab;
}

/**
 * Whether a process command line is a Weave router: the double's router (`node …/double/router/main.js`)
 * or Weave's own `weaver`; any other command whose argv[0] ends in `router` (handy for tests).
 * The `weave` CLI itself (`weave-main.js launch`) is not a router.
 */
export function isRouterCommand(cmd: string): boolean {
  const argv = cmd.split(" ");
  return (
    argv.slice(1, 4).some((a) => /\/router\/main\.(js|ts)$/.test(a)) ||
    /(^|\/)(weaver|[\w.-]*router)$/.test(argv[0] ?? "")
  );
}

/** A locally administered unicast MAC derived from the lab id (02:…). */
export function bridgeMac(id: string): string {
  const h = createHash("sha256").update(id).digest();
  return ["02", "77", "6c", h[0], h[1], h[2]]
    .map((b) => (typeof b === "string" ? b : b.toString(16).padStart(2, "0")))
    .join(":");
}

/** With `WEAVE_LAB_DEBUG=1`, print how long each step of building lab `id` took (to stderr). */
function phaseTimer(id: string): (what: string) => void {
  if (!process.env.WEAVE_LAB_DEBUG) return () => undefined;
  const t0 = Date.now();
  return (what) => process.stderr.write(`weave-lab ${id}: ${what} at ${Date.now() - t0} ms\n`);
}

/** OpenSSH client arguments for a host (everything before the remote command). */
export function sshArgs(
  h: Pick<LabHost, "sshHost" | "sshPort" | "user">,
  keyFile: string,
  knownHostsFile: string,
  connectTimeoutS = 5,
): string[] {
  return [
    "-F",
    "/dev/null",
    "-i",
    keyFile,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${knownHostsFile}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${connectTimeoutS}`,
    "-o",
    "LogLevel=ERROR",
    "-p",
    String(h.sshPort),
    "-l",
    h.user,
    h.sshHost,
  ];
}

/** Run `command` through the ssh client. */
export async function runSsh(
  args: string[],
  command: string,
  o: { timeoutMs?: number; stdin?: string } = {},
): Promise<RunResult> {
  return run("ssh", [...args, "--", command], { input: o.stdin, timeoutMs: o.timeoutMs ?? 30_000 });
}

/** The lab's delay-proxy daemon and a way to talk to it. */
interface DelayDaemon {
  pid: number;
  request(req: Record<string, unknown>): Promise<void>;
}

async function startDelayDaemon(id: string, ctl: string, layout: LabLayout): Promise<DelayDaemon> {
  const script = await transpiledProxy();
  const controlSocket = path.join(ctl, "proxy.ctl");
  const configFile = path.join(ctl, "proxy.json");
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      labId: id,
      ownerPid: process.pid,
      controlSocket,
      hosts: layout.hosts.map((h) => ({
        name: h.name,
        listen: path.join(ctl, h.name, "ssh.sock"),
        target: { host: h.address, port: INNER_SSH_PORT },
      })),
    }),
  );
  const log = fs.openSync(path.join(ctl, "proxy.log"), "a");
  const child = spawn(process.execPath, [script, configFile], {
    detached: true,
    stdio: ["ignore", "pipe", log],
  });
  fs.closeSync(log);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () =>
        reject(
          new Error(
            `lab ${id}: delay proxy not ready after ${READY_TIMEOUT_MS / 1000} s (see ${ctl}/proxy.log)`,
          ),
        ),
      READY_TIMEOUT_MS,
    );
    let out = "";
    child.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("ready\n")) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (code, sig) => {
      clearTimeout(t);
      reject(new Error(`lab ${id}: delay proxy exited ${code ?? sig} (see ${ctl}/proxy.log)`));
    });
  });
  child.stdout?.destroy();
  child.removeAllListeners("exit");
  child.unref();
  return {
    pid: child.pid as number,
    request: (req) =>
      new Promise((resolve, reject) => {
        const s = net.connect(controlSocket);
        let buf = "";
        s.on("connect", () => s.write(JSON.stringify(req) + "\n"));
        s.on("data", (b) => {
          buf += b.toString();
          if (!buf.includes("\n")) return;
          s.destroy();
          const ans = JSON.parse(buf) as { ok: boolean; error?: string };
          if (ans.ok) resolve();
          else reject(new Error(`lab ${id}: delay proxy refused ${JSON.stringify(req)}: ${ans.error}`));
        });
        s.on("error", (e) => reject(new Error(`lab ${id}: delay proxy control: ${e.message}`)));
      }),
  };
}

/** `delay-proxy.ts` as plain JavaScript, transpiled once per content and cached under the lab root. */
async function transpiledProxy(): Promise<string> {
  // Compiled (bin/): the JavaScript sits beside this file already.
  const compiled = path.join(__dirname, "delay-proxy.js");
  if (!fs.existsSync(path.join(__dirname, "delay-proxy.ts")) && fs.existsSync(compiled)) return compiled;
  const src = fs.readFileSync(path.join(__dirname, "delay-proxy.ts"), "utf8");
  const hash = createHash("sha256").update(src).digest("hex").slice(0, 16);
  const out = path.join(LAB_ROOT, ".cache", `delay-proxy-${hash}.js`);
  if (fs.existsSync(out)) return out;
  const ts = await import("typescript");
  const js = ts.transpileModule(src, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(`${out}.${process.pid}.tmp`, js);
  fs.renameSync(`${out}.${process.pid}.tmp`, out);
  return out;
}

/**
 * Whether a FORWARD chain (`iptables -S FORWARD` output) might drop bridged lab traffic: its
 * policy is not ACCEPT, or it has rules other than the labs' own ACCEPTs.
 */
export function forwardChainMayDrop(iptablesS: string): boolean {
  const others = iptablesS
    .split("\n")
    .filter((l) => l.startsWith("-A FORWARD") && !/ -i wlb[a-z0-9]{6} -o wlb[a-z0-9]{6} -j ACCEPT$/.test(l));
  return !/^-P FORWARD ACCEPT$/m.test(iptablesS) || others.length > 0;
}

/**
 * With `br_netfilter` loaded, bridged frames pass iptables' FORWARD chain; a host firewall (Docker
 * sets its policy to DROP) would then silently cut hosts off from each other. Only in that case
 * is one ACCEPT rule for the lab's bridge inserted (teardown removes it); an open FORWARD chain is
 * left untouched.
 */
async function allowBridgedTraffic(bridge: string): Promise<string[][]> {
  let nf = "0";
  try {
    nf = fs.readFileSync("/proc/sys/net/bridge/bridge-nf-call-iptables", "utf8").trim();
  } catch {
    return [];
  }
  if (nf !== "1") return [];
  const chain = await run("iptables", ["-S", "FORWARD"], { timeoutMs: 10_000 });
  if (chain.code !== 0 || !forwardChainMayDrop(chain.stdout)) return [];
  const rule = ["FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"];
  await mustRun("iptables", ["-I", ...rule], {
    what: `let bridged traffic of ${bridge} pass the FORWARD chain`,
  });
  return [rule];
}
