/**
 * One host of a namespace lab, inside its network namespace: its files (host key, authorised
 * client key, sshd config, the double's home), its sshd on {@link INNER_SSH_PORT} and the socat
 * listener on port 22 that hands connections to the lab's delay proxy.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import { promises as fsp } from "fs";
import * as fs from "fs";
import * as path from "path";
import { DOUBLE_PATH_DIR, INNER_SSH_PORT, READY_TIMEOUT_MS, SYSTEM_PATH } from "./constants";
import { DoubleConfig, writeDoubleConfig } from "./double-config";
import type { HostLayout } from "./layout";
import { generateKeyPair, KeyPair, spawnSshd, sshdConfig, waitForBanner } from "./sshd";
import { LAB_ROOT } from "./state";
import type { LabHost } from "./types";

/** A namespace host and what runs for it. */
export interface HostRuntime {
  layout: HostLayout;
  host: LabHost;
  dir: string;
  sshd?: ChildProcess;
  socat?: ChildProcess;
  env: Record<string, string>;
}

/** Where a host's files go and what they hold (the same for every host of a lab). */
export interface HostFiles {
  id: string;
  /** The lab's directory: each host's double home is `<dir>/<host>`. */
  dir: string;
  /** The lab's control directory: each host's sshd files are under `<ctl>/<host>`. */
  ctl: string;
  /** The test client key, authorised on every host. */
  client: KeyPair;
  double: Partial<DoubleConfig> | undefined;
}

/** Write a host's files (keys, sshd config, double config); nothing runs yet. */
export async function prepareHost(
  h: HostLayout,
  { id, dir, ctl, client, double }: HostFiles,
): Promise<HostRuntime> {
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
}

/** Start the host's sshd (inside its namespace, on {@link INNER_SSH_PORT}). */
export async function startServer(r: HostRuntime): Promise<void> {
  r.sshd = await spawnSshd({
    netns: r.layout.netns,
    hostname: r.host.name,
    configFile: path.join(r.dir, "sshd_config"),
    logFile: path.join(r.dir, "sshd.log"),
    pidFile: path.join(r.dir, "sshd.pid"),
    readyTimeoutMs: READY_TIMEOUT_MS,
    what: `${r.host.name}: sshd on ${r.host.address}:${INNER_SSH_PORT}`,
  });
}

/** What `WEAVE_LAB_DEBUG` diagnostics of a listener that does not answer name about its lab. */
export interface LabDiagnostics {
  id: string;
  bridge: string;
  daemonPid: number;
}

/** Start the host's port-22 listener (socat to the delay proxy) and wait for sshd's banner through it. */
export async function startListener(
  r: HostRuntime,
  { id, bridge, daemonPid }: LabDiagnostics,
): Promise<void> {
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
        `set -x; ip -4 route; tail -30 ${LAB_ROOT}/events.log; ip route get ${r.host.address}; ip neigh show ${r.host.address}; ss -tnoi dst ${r.host.address}; ip -n ${r.layout.netns} -br link; ip -n ${r.layout.netns} -br addr; ip -n ${r.layout.netns} neigh; ip netns exec ${r.layout.netns} ss -tanoi; bridge link | grep ${id}; bridge fdb show br ${bridge}; ip -s link show ${r.layout.veth}; ip -n ${r.layout.netns} -s link show eth0; ps -o pid,stat,args -p ${daemonPid}`,
      );
    }
    throw new Error(
      `${r.host.name}: ssh on ${r.host.address}:22 does not answer: ${e.message} (sshd ${alive(r.sshd)}, socat ${alive(child)}, sshd log: ${log})${extra}`,
    );
  });
}
