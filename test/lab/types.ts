/**
 * What a test holds: a lab ({@link TestLab}) of hosts ({@link LabHost}), whatever kind of lab
 * serves them (namespaces, Docker-in-Docker or real machines), and the faults it can inject.
 */

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
   * real `weaver`; see `isRouterCommand` in faults.ts). Throws naming the host if none runs.
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
