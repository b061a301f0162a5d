/**
 * The faults of a namespace lab, each reversible: a cut link is the host's veth taken down, a
 * stopped sshd is its sshd and port-22 listener stopped, a killed router is SIGKILL to the router
 * processes in its namespace, a replaced host key is a new key and an sshd restart, latency is
 * asked of the lab's delay proxy.
 */
import * as path from "path";
import type { DelayDaemon } from "./delay-daemon";
import { mustRun } from "./exec";
import type { HostRuntime } from "./namespace-host";
import { generateKeyPair, publicKeyLine, stopProcess } from "./sshd";
import { cmdline, pidsInNetns } from "./state";
import type { Faults } from "./types";

/** What the faults of a namespace lab act on. */
export interface NamespaceFaultTargets {
  id: string;
  /** The host runtime of a host name (throws for an unknown one). */
  get(host: string): HostRuntime;
  startServer(r: HostRuntime): Promise<void>;
  startListener(r: HostRuntime): Promise<void>;
  /** Rewrite the lab's known_hosts from the hosts' current keys. */
  writeKnownHosts(): void;
  daemon: DelayDaemon;
}

/** The faults of a namespace lab. */
export function namespaceFaults({
  id,
  get,
  startServer,
  startListener,
  writeKnownHosts,
  daemon,
}: NamespaceFaultTargets): Faults {
  return {
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
