/**
 * The real-Weave test lab: N Docker-in-Docker hosts built from `docker/host` (Debian, Engine
 * 20.10, real Weave 2.8.1 from an image archive), on a Docker network of their own whose egress
 * is rejected, reached over SSH exactly like a user's hosts (pinned host keys, key auth as root).
 * `WEAVE_LAB_KIND=dind` makes {@link getLab} hand these out; `test/dind/prepare.sh` (run by
 * `npm test`) builds the image and exports the settings below.
 *
 *   root namespace ── docker network wlt-<id> (10.66.<k>.0/24, DOCKER-USER: REJECT to elsewhere)
 *        └─ container wlt-<id>-<host> (privileged): sshd :22, dockerd, weave router + helpers
 *
 * Faults are real too: a cut link is `docker network disconnect`, a stopped sshd is its listener
 * killed (the host's supervisor keeps it down while `/run/weave-lab/sshd.hold` exists), a killed
 * router is SIGKILL to `weaver`, a replaced host key is a new key file and an sshd restart.
 * Latency cannot be added (no netem on this kernel, no proxy in front of these hosts).
 */
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { mapLimit, mustRun, run, sleep } from "./exec";
import { generateKeyPair, waitForBanner } from "./sshd";
import { hostLookup, knownHostsText, sshMethods } from "./ssh-client";
import { egressRule } from "../engine/docker";
import type { Faults, LabExecResult, LabHost, TestLab } from "./types";

/** What a DinD lab needs from the environment (set by `test/dind/prepare.sh`). */
export interface DindSettings {
  /** Host image (`WEAVE_LAB_DIND_IMAGE`), built from docker/host. */
  image: string;
  /** OCI runtime for the host containers (`WEAVE_LAB_DIND_RUNTIME`), e.g. `capfilter`; unset: Docker's default. */
  runtime?: string;
  /** Runtime binary made the inner engines' default (`WEAVE_LAB_DIND_INNER_RUNTIME`); unset: none. */
  innerRuntime?: string;
  /** `docker save` archive of the Weave images (`WEAVE_LAB_IMAGES_ARCHIVE`); unset: the hosts pull. */
  archive?: string;
}

/**
 * The settings from the environment when `WEAVE_LAB_KIND=dind` is set there, else from running
 * `test/dind/prepare.sh` (which installs and builds what is missing, as `npm test` does).
 */
export function preparedDindSettings(repoRoot: string): DindSettings {
  const fromEnv = dindSettings();
  if (fromEnv) return fromEnv;
  const env: NodeJS.ProcessEnv = { WEAVE_LAB_KIND: "dind" };
  const out = execFileSync("bash", ["test/dind/prepare.sh"], { cwd: repoRoot, encoding: "utf8" });
  for (const line of out.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return dindSettings(env)!;
}

const LABEL = "io.weave-lab.test-lab";
const OWNER = "io.weave-lab.test-owner";
const HEALTH_TIMEOUT_MS = 240_000;

/** The settings when `WEAVE_LAB_KIND=dind`, else undefined. Missing settings are named. */
export function dindSettings(env: NodeJS.ProcessEnv = process.env): DindSettings | undefined {
  if (env.WEAVE_LAB_KIND !== "dind") return undefined;
  if (!env.WEAVE_LAB_DIND_IMAGE)
    throw new Error(
      "WEAVE_LAB_KIND=dind needs WEAVE_LAB_DIND_IMAGE (the host image; `npm test` builds it with test/dind/prepare.sh)",
    );
  return {
    image: env.WEAVE_LAB_DIND_IMAGE,
    runtime: env.WEAVE_LAB_DIND_RUNTIME || undefined,
    innerRuntime: env.WEAVE_LAB_DIND_INNER_RUNTIME || undefined,
    archive: env.WEAVE_LAB_IMAGES_ARCHIVE || undefined,
  };
}

const docker = (args: string[], what: string, timeoutMs = 120_000) =>
  mustRun("docker", args, { what, timeoutMs });

/**
 * Remove DinD labs whose creating process is gone (an interrupted run), found by the owner label
 * on their containers and network, and egress rules left without a network. Returns their ids.
 */
export async function cleanupStaleDindLabs(): Promise<string[]> {
  const fmt = `{{.Label "${LABEL}"}} {{.Label "${OWNER}"}}`;
  const [cs, ns] = await Promise.all([
    run("docker", ["ps", "-a", "--filter", `label=${LABEL}`, "--format", fmt]),
    run("docker", ["network", "ls", "--filter", `label=${LABEL}`, "--format", fmt]),
  ]);
  const dead = new Set<string>();
  for (const line of `${cs.stdout}\n${ns.stdout}`.trim().split("\n").filter(Boolean)) {
    const [id, pid] = line.split(" ");
    if (id && !isAlive(Number(pid))) dead.add(id);
  }
  const live = new Set(
    ns.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" ")[0])
      .filter(Boolean),
  );
  const rules = (await run("iptables", ["-S", "DOCKER-USER"])).stdout;
  for (const m of rules.matchAll(/weave-lab-test-(d[0-9a-f]+)/g)) if (!live.has(m[1])) dead.add(m[1]);
  for (const id of dead) await removeLab(id);
  return [...dead];
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const netName = (id: string): string => `wlt-${id}`;
const ruleComment = (id: string): string => `weave-lab-test-${id}`;

/** Everything a lab made: containers (and their anonymous volumes), its network, its egress rule. */
async function removeLab(id: string): Promise<void> {
  const ids = (await run("docker", ["ps", "-aq", "--filter", `label=${LABEL}=${id}`])).stdout
    .trim()
    .split("\n")
    .filter(Boolean);
  if (ids.length > 0) await run("docker", ["rm", "-f", "-v", ...ids], { timeoutMs: 120_000 });
  await run("docker", ["network", "rm", netName(id)]);
  // Delete every copy of the rule (iptables -D removes one match at a time).
  const rules = (await run("iptables", ["-S", "DOCKER-USER"])).stdout.split("\n");
  for (const rule of rules.filter((l) => l.includes(ruleComment(id)))) {
    await run("iptables", [
      "-D",
      ...rule
        .replace(/^-A /, "")
        .split(" ")
        .map((w) => w.replace(/^"|"$/g, "")),
    ]);
  }
}

/** A free /24 for a new lab: 10.66.k.0/24, k not used by any Docker network or interface here. */
async function pickSubnet(): Promise<string> {
  const used = new Set<string>();
  const nets = (await run("docker", ["network", "ls", "-q"])).stdout.trim().split("\n").filter(Boolean);
  if (nets.length > 0) {
    const r = await run("docker", [
      "network",
      "inspect",
      "-f",
      "{{range .IPAM.Config}}{{.Subnet}} {{end}}",
      ...nets,
    ]);
    for (const s of r.stdout.split(/\s+/).filter(Boolean)) used.add(s);
  }
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4") used.add(a.address.replace(/\.\d+$/, ".0/24"));
  const start = process.pid % 200;
  for (let i = 0; i < 250; i++) {
    const subnet = `10.66.${(start + i) % 250}.0/24`;
    if (!used.has(subnet)) return subnet;
  }
  throw new Error("no free 10.66.x.0/24 for a DinD lab");
}

/** Build a DinD lab of real-Weave hosts named `names`. Removes stale DinD labs first. */
export async function createDindLab(names: string[], s: DindSettings): Promise<TestLab> {
  await cleanupStaleDindLabs();
  const id = `d${randomBytes(3).toString("hex")}`;
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), `weave-lab-${id}-`));
  try {
    return await buildDindLab(id, tmp, names, s);
  } catch (e) {
    await removeLab(id).catch(() => undefined);
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function buildDindLab(id: string, tmp: string, names: string[], s: DindSettings): Promise<TestLab> {
  const subnet = await pickSubnet();
  const prefix = subnet.replace(/\.0\/24$/, ".");
  const net = netName(id);
  await docker(
    [
      "network",
      "create",
      "--subnet",
      subnet,
      "--label",
      `${LABEL}=${id}`,
      "--label",
      `${OWNER}=${process.pid}`,
      net,
    ],
    `lab ${id}: create network`,
  );
  // Egress blocked before anything starts on the network (after it exists, so a concurrent
  // cleanup never sees the rule without its network): nothing in a lab reaches past its /24.
  await mustRun(
    "iptables",
    ["-w", "-I", ...egressRule(subnet), "-m", "comment", "--comment", ruleComment(id)],
    {
      what: `lab ${id}: block egress of ${subnet}`,
    },
  );
  const client = await generateKeyPair(path.join(tmp, "id_ed25519"), `weave-lab-test@${id}`);
  const hosts: LabHost[] = [];
  const containers = new Map<string, string>();
  await mapLimit(names, 8, async (name, i) => {
    const address = `${prefix}${11 + i}`;
    const container = `wlt-${id}-${name}`;
    const hostKey = await generateKeyPair(path.join(tmp, name, "ssh_host_ed25519_key"), `${name}@${id}`);
    const args = ["create", "--name", container, "--hostname", name, "--privileged"];
    if (s.runtime) args.push("--runtime", s.runtime);
    args.push("--network", net, "--ip", address, "-v", "/var/lib/docker");
    args.push("--label", `${LABEL}=${id}`, "--label", `${OWNER}=${process.pid}`);
    args.push("-e", "CHECKPOINT_DISABLE=1");
    if (s.archive)
      args.push("-v", `${path.resolve(s.archive)}:/var/lib/weave-lab/images/${path.basename(s.archive)}:ro`);
    if (s.innerRuntime) {
      args.push(
        "-v",
        `${s.innerRuntime}:${s.innerRuntime}:ro`,
        "-e",
        `WEAVE_LAB_INNER_RUNTIME=${s.innerRuntime}`,
      );
    }
    args.push(s.image);
    await docker(args, `${name}: create host container`);
    await docker(
      ["cp", hostKey.file, `${container}:/etc/ssh/ssh_host_ed25519_key`],
      `${name}: install host key`,
    );
    await fsp.writeFile(path.join(tmp, name, "authorized_keys"), `${client.publicKey}\n`);
    await docker(
      ["cp", path.join(tmp, name, "authorized_keys"), `${container}:/root/.ssh/authorized_keys`],
      `${name}: authorise the client key`,
    );
    await docker(["start", container], `${name}: start`);
    containers.set(name, container);
    hosts[i] = {
      name,
      address,
      sshHost: address,
      sshPort: 22,
      user: "root",
      privateKey: client.privateKey,
      hostKey: hostKey.publicKey,
    };
  });
  await Promise.all(names.map((n) => waitHealthy(n, containers.get(n)!)));

  const knownHostsFile = path.join(tmp, "known_hosts");
  const writeKnownHosts = () => fsp.writeFile(knownHostsFile, knownHostsText(hosts));
  await writeKnownHosts();
  const byName = hostLookup(`DinD lab ${id}`, new Map(hosts.map((h) => [h.name, h])));
  const exec = (name: string, argv: string[], what: string) =>
    docker(["exec", containers.get(byName(name).name)!, ...argv], `${name}: ${what}`);

  const faults: Faults = {
    async cutLink(name) {
      await docker(
        ["network", "disconnect", "--force", net, containers.get(byName(name).name)!],
        `${name}: cut link`,
      );
    },
    async restoreLink(name) {
      const h = byName(name);
      await docker(
        ["network", "connect", "--ip", h.address, net, containers.get(name)!],
        `${name}: restore link`,
      );
    },
    async stopSshd(name) {
      await exec(
        name,
        ["sh", "-c", 'touch /run/weave-lab/sshd.hold && kill "$(cat /run/sshd.pid)"'],
        "stop sshd",
      );
      // Refused from now on: wait until the listener is gone.
      for (let i = 0; i < 50; i++) {
        if (
          (
            await run("sh", ["-c", 'exec 3<>"/dev/tcp/$1/22"', "sh", byName(name).address], {
              timeoutMs: 2000,
            })
          ).code !== 0
        )
          return;
        await sleep(100);
      }
      throw new Error(`${name}: sshd still answers after stopSshd`);
    },
    async startSshd(name) {
      await exec(name, ["rm", "-f", "/run/weave-lab/sshd.hold"], "start sshd");
      await waitForBanner(byName(name).address, 22, 30_000);
    },
    async killRouter(name) {
      const r = await run("docker", [
        "exec",
        containers.get(byName(name).name)!,
        "pkill",
        "-KILL",
        "-x",
        "weaver",
      ]);
      if (r.code !== 0) throw new Error(`${name}: no weaver process to kill (pkill exited ${r.code})`);
    },
    async replaceHostKey(name) {
      const h = byName(name);
      const key = await generateKeyPair(path.join(tmp, name, "ssh_host_ed25519_key"), `${name}@${id}-2`);
      await docker(
        ["cp", key.file, `${containers.get(name)!}:/etc/ssh/ssh_host_ed25519_key`],
        `${name}: new host key`,
      );
      await exec(
        name,
        ["sh", "-c", 'chmod 600 /etc/ssh/ssh_host_ed25519_key && kill "$(cat /run/sshd.pid)"'],
        "restart sshd",
      );
      await sleep(1200);
      await waitForBanner(h.address, 22, 30_000);
      h.hostKey = key.publicKey;
      await writeKnownHosts();
      return key.publicKey;
    },
    setLatency: () =>
      Promise.reject(
        new Error(
          "faults.setLatency is not available on DinD hosts (no netem on this kernel); use the namespace lab",
        ),
      ),
  };

  return {
    id,
    hosts,
    real: true,
    kind: "dind",
    knownHostsFile,
    faults,
    ...sshMethods((name) => ({ host: byName(name), keyFile: client.file }), knownHostsFile),
    async nsExec(name, argv): Promise<LabExecResult> {
      const r = await run("docker", ["exec", containers.get(byName(name).name)!, ...argv], {
        timeoutMs: 60_000,
      });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    },
    async destroy() {
      await removeLab(id);
      await fsp.rm(tmp, { recursive: true, force: true });
    },
  };
}

async function waitHealthy(name: string, container: string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = "";
  while (Date.now() < deadline) {
    const r = await run("docker", ["inspect", "-f", "{{.State.Status}} {{.State.Health.Status}}", container]);
    last = r.stdout.trim();
    if (last === "running healthy") return;
    if (r.code !== 0 || last.startsWith("exited") || last.startsWith("dead")) break;
    await sleep(1000);
  }
  const logs = await run("docker", ["logs", "--tail", "30", container]);
  throw new Error(
    `${name}: the DinD host did not become healthy (state: ${last || "unknown"}); its last log lines:\n${(logs.stdout + logs.stderr).trim()}`,
  );
}
