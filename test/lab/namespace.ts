/**
 * The namespace lab: N "hosts", each a network namespace with its own address on a bridge,
 * running OpenSSH's sshd with a generated host key, reachable from the test process over real
 * SSH, with the Weave double first on every session's PATH.
 *
 *   root namespace: bridge wlb<id> 10.10.10.1/24, test process, delay-proxy daemon
 *     └─ veth wlv<id>n<i> ── eth0 in namespace wl-<id>-<host> (10.10.10.100+i)
 *          socat address:22 ─▶ daemon (unix socket) ─▶ sshd address:2022
 *
 * Two labs at once: each has its own id, bridge and /24. The default /24 is 10.10.10.0; when a
 * live lab holds it, the next free one (10.10.11.0, …) is used. An explicit `firstAddress` is
 * never moved: if its /24 is held, `createLab` fails naming the holder.
 */
import * as fs from "fs";
import * as path from "path";
import { claimLayout, ensureNeighbourTableRoom, wireLab } from "./bridge";
import { SYSTEM_PATH } from "./constants";
import { startDelayDaemon } from "./delay-daemon";
import type { DoubleConfig } from "./double-config";
import { mapLimit, run } from "./exec";
import { namespaceFaults } from "./faults";
import { LabOptions, newLabId, validateLabOptions, ValidOptions } from "./layout";
import { HostRuntime, prepareHost, startListener, startServer } from "./namespace-host";
import { generateKeyPair, withHostname } from "./sshd";
import { hostLookup, knownHostsText, sshMethods } from "./ssh-client";
import {
  cleanupStaleLabsSync,
  labDir,
  LAB_ROOT,
  LabRecord,
  processStart,
  teardownLab,
  writeRecord,
} from "./state";
import type { TestLab } from "./types";

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
    return await buildLab(id, record, valid, opts.double);
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
  { names, net, firstHost, explicitAddress }: ValidOptions,
  double: Partial<DoubleConfig> | undefined,
): Promise<TestLab> {
  const dir = labDir(id);
  const ctl = path.join(dir, ".lab");
  fs.mkdirSync(ctl);

  const { layout, claim } = claimLayout(id, names, net, firstHost, explicitAddress);
  record.subnetClaim = claim;
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
  await wireLab(id, layout, record);
  phase("links and namespaces");

  // Keys and files.
  const client = await generateKeyPair(path.join(ctl, "id_ed25519"), `weave-lab-test@${id}`);
  // mapLimit keeps input order, so hosts stay in layout order however the work interleaves.
  const prepared = await mapLimit(layout.hosts, 8, (h) => prepareHost(h, { id, dir, ctl, client, double }));
  const runtimes = new Map<string, HostRuntime>(prepared.map((r) => [r.layout.name, r]));
  const hosts = prepared.map((r) => r.host);
  phase("keys and files");

  // The delay proxy, then every host's sshd and port-22 listener.
  const daemon = await startDelayDaemon(id, ctl, layout);
  record.daemonPid = daemon.pid;
  writeRecord(record);
  const knownHostsFile = path.join(ctl, "known_hosts");
  const writeKnownHosts = (): void => fs.writeFileSync(knownHostsFile, knownHostsText(hosts));
  writeKnownHosts();
  const listen = (r: HostRuntime): Promise<void> =>
    startListener(r, { id, bridge: layout.bridge, daemonPid: daemon.pid });
  phase("delay proxy");
  await mapLimit(prepared, 8, async (r) => {
    await startServer(r);
    phase(`${r.host.name} sshd`);
    await listen(r);
    phase(`${r.host.name} answers on :22`);
  });

  const get = hostLookup(`lab ${id}`, runtimes);
  let destroyed = false;
  return {
    id,
    hosts,
    real: false,
    kind: "namespace",
    knownHostsFile,
    ...sshMethods((name) => ({ host: get(name).host, keyFile: client.file }), knownHostsFile),
    nsExec: (host, argv) => {
      const r = get(host);
      return run("ip", ["netns", "exec", r.layout.netns, ...withHostname(r.host.name, argv)], {
        env: { ...process.env, ...r.env },
      });
    },
    faults: namespaceFaults({ id, get, startServer, startListener: listen, writeKnownHosts, daemon }),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      liveLabs.delete(id);
      teardownLab(id);
    },
  };
}

/** With `WEAVE_LAB_DEBUG=1`, print how long each step of building lab `id` took (to stderr). */
function phaseTimer(id: string): (what: string) => void {
  if (!process.env.WEAVE_LAB_DEBUG) return () => undefined;
  const t0 = Date.now();
  return (what) => process.stderr.write(`weave-lab ${id}: ${what} at ${Date.now() - t0} ms\n`);
}
