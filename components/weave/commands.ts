/**
 * What command does what on a host: argv builders for the `weave` script and for the few Docker
 * commands the reconciler needs. Pure functions returning `CommandPlan`s; the transport quotes
 * each argv element, so values (names, env, commands) are passed literally and shell
 * metacharacters survive. Secrets are never in argv: commands name the secret variables they
 * need in `secretEnv` and the transport supplies them.
 *
 * Facts used (Weave 2.8.1 script; rajch 2.9.0 has the same command set and launch flags):
 * - the script prepends `--plugin --proxy` to the router's args and user args come last, so
 *   `--proxy=false` / `--plugin=false` turn them off (fixture 12);
 * - `--ipalloc-init seed=<names>` with explicit `--name`s makes the ring ready at launch and the
 *   split predictable (fixture 13), but a host rejoining an existing ring must launch without it
 *   or weaver panics (fixture 16);
 * - `--dns-domain` is given with its trailing dot, the form Weave reports;
 * - `weave dns-add/dns-remove` require `-h <fqdn>` to be the last two arguments.
 */
import type { AddressingPlan, CommandPlan, ContainerPlan, NetworkPlan } from "../model/plan";
import { sortPeerNames } from "../model/peer-names";

/** What the non-launch builders need to know about the network: where the script is and its env. */
export interface WeaveTarget {
  weave: Pick<NetworkPlan["weave"], "scriptPath" | "dockerApiVersionOverride"> &
    Partial<Pick<NetworkPlan["weave"], "distribution">>;
}

/** The per-host inputs of `weave launch`. */
export interface LaunchHost {
  /** Canonical peer name (`--name`). */
  peerName: string;
  /** `--nickname`. */
  nickname: string;
  /** Addresses of the other hosts (positional peers). */
  peers: readonly string[];
  /** Extra flags, already validated by the planner (no whitespace, nothing weave-lab owns). */
  extraLaunchArgs?: readonly string[];
}

export interface LaunchOptions {
  /**
   * The host rejoins a ring that already exists (e.g. after `weave reset` while peers kept
   * running): launch without `--ipalloc-init` so it takes its state from the peers.
   * Defaults to `false`.
   */
  rejoin?: boolean;
}

/** Environment of every `weave` call: no version-check phone-home, and the API override if set. */
export function weaveEnv(target: WeaveTarget): Record<string, string> {
  const env: Record<string, string> = { CHECKPOINT_DISABLE: "1" };
  if (target.weave.dockerApiVersionOverride !== undefined)
    env.DOCKER_API_VERSION = target.weave.dockerApiVersionOverride;
  // rajch's script (since 2.8.3) runs its helper container with `docker run -t`: over SSH that
  // merges the helper's stderr into stdout and ends lines with CRLF, unlike 2.8.1. The script
  // appends $WEAVEEXEC_DOCKER_ARGS after `-t`, and the docker CLI keeps the last value of a flag,
  // so `--tty=false` restores 2.8.1's separate streams and plain newlines for our parsers.
  if (target.weave.distribution === "rajch") env.WEAVEEXEC_DOCKER_ARGS = "--tty=false";
  return env;
}

function weave(target: WeaveTarget, args: string[], secretEnv: string[] = []): CommandPlan {
  return { argv: [target.weave.scriptPath, ...args], env: weaveEnv(target), secretEnv };
}

function docker(args: string[]): CommandPlan {
  return { argv: ["docker", ...args], env: {}, secretEnv: [] };
}

// Every host's launch sorts the same seed list; remember the answer per input array.
const sortedSeeds = new WeakMap<readonly string[], string[]>();

/** Unique peer names in Weave's order, remembered per input array. */
function sortedSeedNames(names: readonly string[]): string[] {
  let sorted = sortedSeeds.get(names);
  if (!sorted) {
    sorted = sortPeerNames(names);
    sortedSeeds.set(names, sorted);
  }
  return sorted;
}

function requireNonEmpty(what: string, values: readonly string[]): void {
  if (values.length === 0) throw new Error(`${what}: at least one value is required`);
  for (const v of values) if (v === "") throw new Error(`${what}: empty value in ${JSON.stringify(values)}`);
}

/**
 * `weave launch` for one host. `seedNames` are the peer names of every host of the lab (any
 * order; they are sorted as Weave sorts them); used in `seed` mode, counted in `consensus` mode.
 */
export function launchCommand(
  network: NetworkPlan,
  host: LaunchHost,
  seedNames: readonly string[],
  opts: LaunchOptions = {},
): CommandPlan {
  const args = [
    "launch",
    "--name",
    host.peerName,
    "--nickname",
    host.nickname,
    "--ipalloc-range",
    network.allocRange,
  ];
  if (network.defaultSubnet !== network.allocRange)
    args.push("--ipalloc-default-subnet", network.defaultSubnet);
  if (!opts.rejoin) {
    if (network.bootstrap === "seed") {
      const seeds = sortedSeedNames(seedNames);
      if (!seeds.includes(host.peerName)) {
        throw new Error(
          `launch ${host.nickname}: its peer name ${host.peerName} is not in the seed list ${seeds.join(",")}`,
        );
      }
      args.push("--ipalloc-init", `seed=${seeds.join(",")}`);
    } else {
      args.push("--ipalloc-init", `consensus=${new Set(seedNames).size}`);
    }
  }
  if (network.trustedSubnets.length > 0) args.push("--trusted-subnets", network.trustedSubnets.join(","));
  if (network.dns.disabled) {
    args.push("--no-dns");
  } else {
    args.push("--dns-domain", `${network.dns.domain}.`, "--dns-ttl", String(network.dns.ttl));
  }
  if (!network.proxy) args.push("--proxy=false");
  if (!network.plugin) args.push("--plugin=false");
  args.push(...(host.extraLaunchArgs ?? []), ...host.peers);
  return weave(network, args, network.encrypted ? ["WEAVE_PASSWORD"] : []);
}

/** The address arguments of `weave attach` for a container's addressing. */
export function addressArgs(addressing: AddressingPlan): string[] {
  switch (addressing.kind) {
    case "static":
      return [addressing.cidr];
    case "subnet":
      return [`net:${addressing.subnet}`];
    case "dynamic":
      return ["net:default"];
  }
}

/**
 * Where non-launch builders send their commands when no target is given: `weave` on PATH with
 * the default environment. Callers that know the plan pass `plan.network` (or use
 * `weaveCommands(plan.network)`) to get the planned script path and `DOCKER_API_VERSION`.
 */
export const DEFAULT_TARGET: WeaveTarget = { weave: { scriptPath: "weave" } };

/** `weave connect [--replace] <peer>…` */
export function connect(
  peers: readonly string[],
  opts: { replace?: boolean } = {},
  target = DEFAULT_TARGET,
): CommandPlan {
  requireNonEmpty("weave connect", peers);
  return weave(target, ["connect", ...(opts.replace ? ["--replace"] : []), ...peers]);
}

/** `weave forget <peer>…` */
export function forget(peers: readonly string[], target = DEFAULT_TARGET): CommandPlan {
  requireNonEmpty("weave forget", peers);
  return weave(target, ["forget", ...peers]);
}

/** `weave attach [<addr>…] [--without-dns] <container>`; blocks until IPAM can answer (give it a deadline). */
export function attach(
  addrs: readonly string[],
  containerId: string,
  opts: { withoutDns?: boolean } = {},
  target = DEFAULT_TARGET,
): CommandPlan {
  return weave(target, ["attach", ...addrs, ...(opts.withoutDns ? ["--without-dns"] : []), containerId]);
}

/** `weave detach [<addr>…] <container>` */
export function detach(addrs: readonly string[], containerId: string, target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["detach", ...addrs, containerId]);
}

/** `weave dns-add [<ip>…] [<container>] [-h <fqdn>]`: for a container, or for bare IPs (`weave:extern`). */
export function dnsAdd(
  ips: readonly string[],
  opts: { containerId?: string; fqdn?: string },
  target = DEFAULT_TARGET,
): CommandPlan {
  return dnsEdit(target, "dns-add", ips, opts);
}

/** `weave dns-remove [<ip>…] [<container>] [-h <fqdn>]`: only entries this peer created. */
export function dnsRemove(
  ips: readonly string[],
  opts: { containerId?: string; fqdn?: string },
  target = DEFAULT_TARGET,
): CommandPlan {
  return dnsEdit(target, "dns-remove", ips, opts);
}

/** `weave dns-args`: prints `--dns=<ip> --dns-search=<domain>` (no trailing newline; empty when DNS is off; the domain with its trailing dot, as fixture 08 and real 2.8.1 in CI show). */
export function dnsArgs(target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["dns-args"]);
}

/** `weave dns-lookup <name>` */
export function dnsLookup(name: string, target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["dns-lookup", name]);
}

/** `weave prime`: blocks until this peer has a ring (exit 4 when IPAM is off). */
export function prime(target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["prime"]);
}

/** `weave rmpeer <peer name or nickname>…`: takes over their ranges; run it on exactly one survivor. */
export function rmpeer(peers: readonly string[], target = DEFAULT_TARGET): CommandPlan {
  requireNonEmpty("weave rmpeer", peers);
  return weave(target, ["rmpeer", ...peers]);
}

/** `weave stop` (idempotent, exit 0 even when not running). */
export function stop(target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["stop"]);
}

/** `weave reset [--force]`; `--force` is needed once the router is stopped, and may take ~48 s. */
export function reset(opts: { force?: boolean } = {}, target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["reset", ...(opts.force ? ["--force"] : [])]);
}

/** `weave version` */
export function version(target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["version"]);
}

/** Sub-commands of `weave status`. */
export type StatusSub = "targets" | "connections" | "peers" | "dns" | "ipam";

/** `weave status [targets|connections|peers|dns|ipam]` */
export function status(sub?: StatusSub, target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["status", ...(sub ? [sub] : [])]);
}

/** `weave report [-f <go template>]` (JSON without `-f`, no trailing newline). */
export function report(format?: string, target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["report", ...(format !== undefined ? ["-f", format] : [])]);
}

/** `weave ps [<container>…]` */
export function ps(ids: readonly string[] = [], target = DEFAULT_TARGET): CommandPlan {
  return weave(target, ["ps", ...ids]);
}

function dnsEdit(
  target: WeaveTarget,
  cmd: "dns-add" | "dns-remove",
  ips: readonly string[],
  opts: { containerId?: string; fqdn?: string },
): CommandPlan {
  if (ips.length === 0 && opts.containerId === undefined) {
    throw new Error(`weave ${cmd}: needs IP addresses, a container, or both`);
  }
  if (opts.containerId === undefined && opts.fqdn === undefined) {
    throw new Error(`weave ${cmd}: bare IPs need a name (-h <fqdn>)`);
  }
  const args: string[] = [cmd, ...ips];
  if (opts.containerId !== undefined) args.push(opts.containerId);
  // `-h` must be last: the script rejects any other shape.
  if (opts.fqdn !== undefined) args.push("-h", opts.fqdn);
  return weave(target, args);
}

/** The builders bound to one network's script path and environment. */
export interface WeaveCommands {
  connect(peers: readonly string[], opts?: { replace?: boolean }): CommandPlan;
  forget(peers: readonly string[]): CommandPlan;
  attach(addressArgs: readonly string[], containerId: string, opts?: { withoutDns?: boolean }): CommandPlan;
  detach(addressArgs: readonly string[], containerId: string): CommandPlan;
  dnsAdd(ips: readonly string[], opts: { containerId?: string; fqdn?: string }): CommandPlan;
  dnsRemove(ips: readonly string[], opts: { containerId?: string; fqdn?: string }): CommandPlan;
  dnsArgs(): CommandPlan;
  dnsLookup(name: string): CommandPlan;
  prime(): CommandPlan;
  rmpeer(peers: readonly string[]): CommandPlan;
  stop(): CommandPlan;
  reset(opts?: { force?: boolean }): CommandPlan;
  version(): CommandPlan;
  status(sub?: StatusSub): CommandPlan;
  report(format?: string): CommandPlan;
  ps(ids?: readonly string[]): CommandPlan;
}

/** Bind every non-launch builder to a network (e.g. `weaveCommands(plan.network).attach(…)`). */
export function weaveCommands(t: WeaveTarget): WeaveCommands {
  return {
    connect: (peers, opts) => connect(peers, opts, t),
    forget: (peers) => forget(peers, t),
    attach: (addrs, id, opts) => attach(addrs, id, opts, t),
    detach: (addrs, id) => detach(addrs, id, t),
    dnsAdd: (ips, opts) => dnsAdd(ips, opts, t),
    dnsRemove: (ips, opts) => dnsRemove(ips, opts, t),
    dnsArgs: () => dnsArgs(t),
    dnsLookup: (name) => dnsLookup(name, t),
    prime: () => prime(t),
    rmpeer: (peers) => rmpeer(peers, t),
    stop: () => stop(t),
    reset: (opts) => reset(opts, t),
    version: () => version(t),
    status: (sub) => status(sub, t),
    report: (format) => report(format, t),
    ps: (ids) => ps(ids, t),
  };
}

// ---------------------------------------------------------------------------------------------
// Docker

/** The Go template of `dockerVersion()`: server version, API version, minimum API version. */
export const DOCKER_VERSION_FORMAT = "{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}";

/** `docker version --format '<server version> <api> <min api>'` (fixture 19: `20.10.24+dfsg1 1.41 1.12`). */
export function dockerVersion(): CommandPlan {
  return docker(["version", "--format", DOCKER_VERSION_FORMAT]);
}

export interface DockerRunOptions {
  /** Labels to set (`--label k=v`), e.g. to find the lab's containers later. Defaults to none. */
  labels?: Record<string, string>;
  /**
   * Variables the container takes from `docker run`'s own environment (`-e NAME`, no value): how
   * secret values reach a container without appearing in argv. Defaults to none.
   */
  inheritEnv?: readonly string[];
}

/**
 * `docker run -d` for a planned container. `dnsArgs` are the words printed by `weave dns-args`
 * (e.g. `["--dns=172.17.0.1", "--dns-search=weave.local"]`), empty when DNS is off. When the
 * container has an FQDN and a single-label hostname, `--domainname` is set to the lab's domain so
 * that `weave attach` registers `<hostname>.<domain>` (it reads Hostname + Domainname).
 * Networking is attached afterwards with `weave attach`.
 */
export function dockerRun(
  container: ContainerPlan,
  dnsArgs: readonly string[],
  opts: DockerRunOptions = {},
): CommandPlan {
  const args = ["run", "-d", "--name", container.name, "--hostname", container.hostname];
  if (container.fqdn !== undefined && !container.hostname.includes(".")) {
    args.push("--domainname", container.fqdn.slice(container.name.length + 1));
  }
  args.push(...dnsArgs);
  for (const k of Object.keys(container.env).sort()) args.push("-e", `${k}=${container.env[k]}`);
  for (const k of [...(opts.inheritEnv ?? [])].sort()) args.push("-e", k);
  for (const p of container.ports) args.push("-p", p);
  if (container.publishAll) args.push("-P");
  args.push("--restart", container.restart);
  for (const k of Object.keys(opts.labels ?? {}).sort()) args.push("--label", `${k}=${opts.labels![k]}`);
  args.push(container.image, ...container.command);
  return docker(args);
}

/** Where the router image keeps the `weave` script: Weave's router Dockerfile adds it beside `weaver`. */
export const ROUTER_SCRIPT = "/home/weave/weave";

/** The router container's name: the script's default (`WEAVE_CONTAINER_NAME` unset). */
export const ROUTER_CONTAINER = "weave";

/**
 * A `weave` command run by the script inside the running router container (`docker exec weave
 * /home/weave/weave --local …`) instead of in a new weaveexec helper container. The script runs
 * its helper as `docker run --privileged --net host --pid host`, with the Docker socket,
 * `-v /etc:/host/etc -v /var/lib/dbus:/host/var/lib/dbus -e HOST_ROOT=/host` and `--local`;
 * `weave launch` gives the router container the same privileges, namespaces and mounts, and its
 * image carries the same script and `weaveutil`. So this is the same command, minus starting a
 * container (0.5–0.8 s of a busy host's attach). The plan's environment is passed with `-e`
 * (`WEAVEEXEC_DOCKER_ARGS` is left out: it shapes the helper that is not started), so a plan with
 * a secret variable cannot be moved: its value would be in argv.
 */
export function inRouterContainer(plan: CommandPlan): CommandPlan {
  if (plan.secretEnv.length > 0)
    throw new Error(
      `weave ${plan.argv[1]}: a command with secret variables cannot run in the router container`,
    );
  const env = ["HOST_ROOT=/host"];
  for (const k of Object.keys(plan.env)) if (k !== "WEAVEEXEC_DOCKER_ARGS") env.push(`${k}=${plan.env[k]}`);
  return docker([
    "exec",
    ...env.flatMap((kv) => ["-e", kv]),
    ROUTER_CONTAINER,
    ROUTER_SCRIPT,
    "--local",
    ...plan.argv.slice(1),
  ]);
}

/** `docker inspect [--format <tmpl>] <name-or-id>…` */
export function dockerInspect(ids: readonly string[], format?: string): CommandPlan {
  requireNonEmpty("docker inspect", ids);
  return docker(["inspect", ...(format !== undefined ? ["--format", format] : []), ...ids]);
}

/** `docker rm [-f] <name-or-id>…` */
export function dockerRm(ids: readonly string[], opts: { force?: boolean } = {}): CommandPlan {
  requireNonEmpty("docker rm", ids);
  return docker(["rm", ...(opts.force ? ["-f"] : []), ...ids]);
}

/** `docker ps [-a] [--filter k=v]… [--format <tmpl>]` */
export function dockerPs(
  opts: { all?: boolean; filters?: Record<string, string>; format?: string } = {},
): CommandPlan {
  const args = ["ps"];
  if (opts.all) args.push("-a");
  for (const k of Object.keys(opts.filters ?? {}).sort()) args.push("--filter", `${k}=${opts.filters![k]}`);
  if (opts.format !== undefined) args.push("--format", opts.format);
  return docker(args);
}

/** `docker logs [--tail N] <name-or-id>` (Weave logs to stderr). */
export function dockerLogs(id: string, opts: { tail?: number } = {}): CommandPlan {
  return docker(["logs", ...(opts.tail !== undefined ? ["--tail", String(opts.tail)] : []), id]);
}
