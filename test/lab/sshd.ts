/**
 * OpenSSH server and keys for lab hosts, and a low-level `startSshd` for tests that want one
 * server of their own (e.g. the transport's tests on 127.0.0.1 or inside a namespace).
 * Keys are generated at run time with `ssh-keygen`; none is ever committed.
 */
import { ChildProcess, spawn } from "child_process";
import { promises as fs } from "fs";
import * as net from "net";
import * as path from "path";
import { mustRun, sleep } from "./exec";

export const SSHD = "/usr/sbin/sshd";

/** A generated ed25519 key pair. */
export interface KeyPair {
  /** OpenSSH private key text (OpenSSH's own PEM format), no passphrase. */
  privateKey: string;
  /** Public key line without comment: `ssh-ed25519 AAAA…`. */
  publicKey: string;
  /** Where the private key was written (mode 0600); the public key is at `<file>.pub`. */
  file: string;
}

/** Generate an ed25519 key pair at `file` (replacing any key there). */
export async function generateKeyPair(file: string, comment = "weave-lab-test"): Promise<KeyPair> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await Promise.all([fs.rm(file, { force: true }), fs.rm(`${file}.pub`, { force: true })]);
  await mustRun("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], {
    what: "generate an ed25519 key",
  });
  const [privateKey, pub] = await Promise.all([
    fs.readFile(file, "utf8"),
    fs.readFile(`${file}.pub`, "utf8"),
  ]);
  return { privateKey, publicKey: publicKeyLine(pub), file };
}

/** `ssh-ed25519 AAAA…` of a `.pub` file's text (the comment dropped). */
export function publicKeyLine(pubFileText: string): string {
  const [type, blob] = pubFileText.trim().split(/\s+/);
  if (!type || !blob)
    throw new Error(`not an OpenSSH public key: ${JSON.stringify(pubFileText.slice(0, 80))}`);
  return `${type} ${blob}`;
}

/** Options of {@link startSshd}. */
export interface SshdOptions {
  /** Directory for config, host key, pid file and log (created). Required. */
  dir: string;
  /** Address to listen on. Required (e.g. `127.0.0.1` or a lab host's address). */
  address: string;
  /** Port to listen on. Required. */
  port: number;
  /** Network namespace to run in (`ip netns exec`). Defaults to the root namespace. */
  netns?: string;
  /** Public key lines allowed to log in as root (and any user). Required, at least one. */
  authorizedKeys: string[];
  /** Environment every session gets through `SetEnv` (overrides sshd's default PATH). Defaults to none. */
  env?: Record<string, string>;
  /** Use this existing host key file instead of generating `<dir>/ssh_host_ed25519_key`. */
  hostKeyFile?: string;
  /** How long to wait for the server to listen. Defaults to 10 000 ms. */
  readyTimeoutMs?: number;
}

/** A running sshd. */
export interface SshdHandle {
  pid: number;
  address: string;
  port: number;
  /** `ssh-ed25519 AAAA…` the server presents. */
  hostKey: string;
  hostKeyFile: string;
  configFile: string;
  logFile: string;
  /** SIGTERM the listener and wait for it to exit (SIGKILL after 3 s). Established sessions survive, like `systemctl stop ssh`. */
  stop(): Promise<void>;
}

/** The sshd_config of a lab server. Exported for tests of its content. */
export function sshdConfig(o: {
  address: string;
  port: number;
  hostKeyFile: string;
  pidFile: string;
  authorizedKeysFile: string;
  env?: Record<string, string>;
}): string {
  const q = (s: string): string => {
    if (/["\n\r]/.test(s))
      throw new Error(`sshd config value ${JSON.stringify(s)} may not contain quotes or newlines`);
    return `"${s}"`;
  };
  const lines = [
    `ListenAddress ${o.address}`,
    `Port ${o.port}`,
    `HostKey ${q(o.hostKeyFile)}`,
    `PidFile ${q(o.pidFile)}`,
    `AuthorizedKeysFile ${q(o.authorizedKeysFile)}`,
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    // The state dir lives under /run with modes sshd does not care to judge in a throwaway lab.
    "StrictModes no",
    "UseDNS no",
    "PrintMotd no",
    "PrintLastLog no",
    "AllowTcpForwarding yes",
    // A namespace host shares this machine's files: a forward to /var/run/docker.sock would reach
    // the machine's own Docker, not the double's. Forbidden, as some hosts do, so weave-lab reads
    // Docker through the (double's) CLI there.
    "AllowStreamLocalForwarding no",
    "X11Forwarding no",
    // Providers open many sessions and connections at once; the defaults (10 / 10:30:100) would
    // drop some of them under load.
    "MaxSessions 100",
    "MaxStartups 200",
    "LoginGraceTime 30",
    "Subsystem sftp internal-sftp",
    "LogLevel VERBOSE",
  ];
  const env = Object.entries(o.env ?? {});
  if (env.length > 0) lines.push(`SetEnv ${env.map(([k, v]) => q(`${k}=${v}`)).join(" ")}`);
  return lines.join("\n") + "\n";
}

/** Start an OpenSSH server and wait until it listens (its pid file is written after the bind). */
export async function startSshd(o: SshdOptions): Promise<SshdHandle> {
  if (o.authorizedKeys.length === 0)
    throw new Error("startSshd: authorizedKeys must name at least one public key");
  await fs.mkdir(o.dir, { recursive: true });
  await fs.mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  let hostKeyFile = o.hostKeyFile;
  if (!hostKeyFile) {
    hostKeyFile = path.join(o.dir, "ssh_host_ed25519_key");
    await generateKeyPair(hostKeyFile, "weave-lab-test-host");
  }
  const hostKey = publicKeyLine(await fs.readFile(`${hostKeyFile}.pub`, "utf8"));
  const pidFile = path.join(o.dir, "sshd.pid");
  const configFile = path.join(o.dir, "sshd_config");
  const logFile = path.join(o.dir, "sshd.log");
  const authorizedKeysFile = path.join(o.dir, "authorized_keys");
  await fs.writeFile(authorizedKeysFile, o.authorizedKeys.map((k) => k.trim()).join("\n") + "\n", {
    mode: 0o600,
  });
  await fs.writeFile(
    configFile,
    sshdConfig({ address: o.address, port: o.port, hostKeyFile, pidFile, authorizedKeysFile, env: o.env }),
  );
  const child = await spawnSshd({
    netns: o.netns,
    configFile,
    logFile,
    pidFile,
    readyTimeoutMs: o.readyTimeoutMs ?? 10_000,
    what: `sshd on ${o.address}:${o.port}`,
  });
  return {
    pid: child.pid as number,
    address: o.address,
    port: o.port,
    hostKey,
    hostKeyFile,
    configFile,
    logFile,
    stop: () => stopProcess(child),
  };
}

/** Spawn sshd for an existing config and wait for its pid file. Used by the lab to restart servers. */
export async function spawnSshd(o: {
  netns?: string;
  /** Run in a UTS namespace of its own with this hostname (sessions see it in `hostname`). */
  hostname?: string;
  configFile: string;
  logFile: string;
  pidFile: string;
  readyTimeoutMs: number;
  what: string;
}): Promise<ChildProcess> {
  // sshd refuses to start without its privilege-separation directory; on a fresh machine nothing
  // (no systemd unit ran) has created it.
  await fs.mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  await fs.rm(o.pidFile, { force: true });
  const argv = withHostname(o.hostname, [SSHD, "-D", "-f", o.configFile, "-E", o.logFile]);
  const [file, args] = o.netns ? ["ip", ["netns", "exec", o.netns, ...argv]] : [argv[0], argv.slice(1)];
  // Detached: the server belongs to the lab, not to the test's process group (Ctrl-C of jest must
  // not leave half the lab dying while the other half is torn down by cleanup).
  const child = spawn(file, args, { detached: true, stdio: "ignore" });
  child.unref();
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `exited ${code ?? signal}`));
  const deadline = Date.now() + o.readyTimeoutMs;
  for (;;) {
    if (await exists(o.pidFile)) return child;
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill("SIGKILL");
      const log = (await fs.readFile(o.logFile, "utf8").catch(() => ""))
        .trim()
        .split("\n")
        .slice(-5)
        .join(" | ");
      throw new Error(
        `${o.what}: ${exited ?? `not listening after ${o.readyTimeoutMs} ms`}; log: ${log || "(empty)"}`,
      );
    }
    await sleep(10);
  }
}

/**
 * `argv` run in a fresh UTS namespace whose hostname is `hostname` (unchanged argv when undefined).
 * The shell `exec`s, so the pid stays the command's own.
 */
export function withHostname(hostname: string | undefined, argv: string[]): string[] {
  if (hostname === undefined) return argv;
  return ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, ...argv];
}

/** SIGTERM a child we spawned and wait for it (SIGKILL after `graceMs`). */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await done;
  clearTimeout(t);
}

/** Resolve with the server's identification line once `address:port` answers, or reject after `timeoutMs`. */
export async function waitForBanner(address: string, port: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      // One attempt may use all the remaining time: a refused connect fails at once anyway, and
      // cutting a slow banner short under load would only start another slow sshd re-exec.
      return await readBanner(address, port, Math.max(200, deadline - Date.now()));
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`no SSH banner from ${address}:${port} within ${timeoutMs} ms (last: ${last})`);
    await sleep(20);
  }
}

/** Connect once and read the first line the server sends. */
export function readBanner(address: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address, port });
    let buf = "";
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error("timeout"));
    }, timeoutMs);
    s.on("data", (b) => {
      buf += b.toString("latin1");
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(t);
        s.destroy();
        if (buf.startsWith("SSH-")) resolve(buf.slice(0, nl).trim());
        else reject(new Error(`not SSH: ${JSON.stringify(buf.slice(0, 40))}`));
      }
    });
    s.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.on("close", () => {
      clearTimeout(t);
      reject(new Error(buf ? `closed after ${JSON.stringify(buf.slice(0, 40))}` : "closed without a banner"));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
