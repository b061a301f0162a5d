/**
 * The test process's side of SSH to lab hosts, the same for every kind of lab: OpenSSH client
 * arguments, a command run through the client, the known_hosts text pinning the hosts, and a
 * lab's `ssh`/`sshArgs` built from them.
 */
import { Client } from "ssh2";
import { run, RunResult } from "./exec";
import type { LabHost, TestLab } from "./types";

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

/** known_hosts text pinning each host's current key (`[host]:port` when the port is not 22). */
export function knownHostsText(hosts: readonly LabHost[]): string {
  const line = (h: LabHost): string =>
    `${h.sshPort === 22 ? h.sshHost : `[${h.sshHost}]:${h.sshPort}`} ${h.hostKey}`;
  return hosts.map(line).join("\n") + "\n";
}

/**
 * A lookup of a lab's hosts by name; an unknown name throws
 * `<what>: no host "<name>"; hosts are <names in order>`.
 */
export function hostLookup<T>(what: string, byName: ReadonlyMap<string, T>): (name: string) => T {
  return (name) => {
    const found = byName.get(name);
    if (found === undefined)
      throw new Error(`${what}: no host ${JSON.stringify(name)}; hosts are ${[...byName.keys()].join(", ")}`);
    return found;
  };
}

/**
 * A lab's `sshArgs` and `ssh`: `reach` names the host and the client key file for a host name
 * (throwing for an unknown one), and the lab's known_hosts file pins the keys unless a test gives
 * its own to `sshArgs`.
 */
export function sshMethods(
  reach: (name: string) => { host: LabHost; keyFile: string },
  knownHostsFile: string,
): Pick<TestLab, "ssh" | "sshArgs"> {
  return {
    sshArgs: (name, kh) => {
      const r = reach(name);
      return sshArgs(r.host, r.keyFile, kh ?? knownHostsFile);
    },
    ssh: (name, command, o) => {
      const r = reach(name);
      return runSsh(sshArgs(r.host, r.keyFile, knownHostsFile), command, o);
    },
  };
}

/**
 * An ssh2 client (the library the transport uses) connected to a lab host as the lab's user,
 * verifying the host's pinned key. For tests and benches that need their own session.
 */
export async function ssh2Client(lab: TestLab, host: string): Promise<Client> {
  const h = lab.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no host ${host}`);
  const pinned = Buffer.from(h.hostKey.split(" ")[1], "base64");
  const c = new Client();
  await new Promise<void>((resolve, reject) => {
    c.on("ready", resolve).on("error", reject);
    c.connect({
      host: h.sshHost,
      port: h.sshPort,
      username: h.user,
      privateKey: h.privateKey,
      hostVerifier: (k: Buffer) => k.equals(pinned),
    });
  });
  return c;
}
