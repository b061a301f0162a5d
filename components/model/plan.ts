/**
 * The output of `planLab(spec)`: every derived fact the reconciler and reviewers need, computed
 * without I/O. Contains no secret values: only whether a secret is present.
 */
import type { BootstrapMode, RestartPolicy, WeaveDistribution } from "../spec";
import type { DeployTimeHostField } from "./deploy-time";

/** One problem (error) or caveat (warning) found in a spec, attributed to a field. */
export interface SpecIssue {
  /** Dotted path of the field, e.g. `containers[2].address` or `network.allocRange`. */
  path: string;
  /** What is wrong in the user's words: names the bad value and what is allowed. */
  message: string;
}

/** A contiguous piece of the allocation range. */
export interface RangeShare {
  /** CIDR of the piece, e.g. `172.16.16.64/26`. Pieces from Weave's halving are always CIDR-aligned. */
  cidr: string;
  /** First address. */
  start: string;
  /** Last address (inclusive). */
  end: string;
  /** Number of addresses. */
  size: number;
}

/** An argv plus the environment it needs. Secret variables are named, never valued. */
export interface CommandPlan {
  /** The argv, program first (e.g. `["weave", "launch", "--name", …]`). */
  argv: string[];
  /** Non-secret environment for the command (e.g. `CHECKPOINT_DISABLE=1`). */
  env: Record<string, string>;
  /** Names of secret variables the command needs from the caller (e.g. `["WEAVE_PASSWORD"]`). */
  secretEnv: string[];
}

/** The network with every default resolved. */
export interface NetworkPlan {
  allocRange: string;
  defaultSubnet: string;
  bootstrap: BootstrapMode;
  encrypted: boolean;
  trustedSubnets: string[];
  dns: { domain: string; ttl: number; disabled: boolean };
  weave: {
    distribution: WeaveDistribution;
    version: string;
    /** Docker API version the distribution's helpers speak (1.18 for 2.8.1, 1.24 for rajch 2.9.x). */
    dockerApiVersion: string;
    install: "present" | "download";
    scriptPath: string;
    scriptUrl?: string;
    scriptSha256?: string;
    /** `DOCKER_API_VERSION` override, if the user set one. */
    dockerApiVersionOverride?: string;
  };
  proxy: boolean;
  plugin: boolean;
  resetForeignRouters: boolean;
  consensusTimeoutSeconds: number;
  /**
   * A stable digest of every router-wide fact (range, default subnet, bootstrap, seed set,
   * encryption on/off, trusted subnets, DNS, distribution/version). Routers whose fingerprint
   * differs must be relaunched with IPAM reset.
   */
  fingerprint: string;
}

/**
 * SSH settings with defaults resolved; secrets and host keys reduced to presence flags (the
 * planner is generic over how they are given, e.g. as Pulumi Inputs).
 */
export interface SshPlan {
  host: string;
  port: number;
  user: string;
  hasPrivateKey: boolean;
  agent?: string;
  hasHostKey: boolean;
  insecureIgnoreHostKey: boolean;
  sudo: boolean;
  jumpHost?: { host: string; port: number; user: string; hasHostKey: boolean; hasPrivateKey: boolean };
  connectTimeoutSeconds: number;
}

export interface HostPlan {
  /** Position in the spec's `hosts`. */
  index: number;
  name: string;
  /** IPv4 address; `<address of NAME>` while it is given at deploy time (see `atDeploy`). */
  address: string;
  /**
   * The fields of this host given at deploy time (Pulumi Outputs: `address`, `ssh.host`, …). They
   * read `<address of NAME>` in this plan; the plan made once they are known has their values.
   * Absent when every field was known.
   */
  atDeploy?: DeployTimeHostField[];
  ssh: SshPlan;
  /** Peer name in MAC form; always explicit (derived when the spec gives none). */
  peerName: string;
  nickname: string;
  /** Addresses of every other host: the launch's peer list. */
  peers: string[];
  /** The exact `weave launch` command for this host. */
  launch: CommandPlan;
  /**
   * In `seed` mode, the ranges this host will own once IPAM is ready (recursive halving of the
   * range over the sorted peer names). Undefined in `consensus` mode, where the split is decided
   * at run time.
   */
  predictedShare?: RangeShare[];
}

/** How a container gets its address. */
export type AddressingPlan =
  | { kind: "dynamic"; subnet: string }
  | { kind: "subnet"; subnet: string }
  | { kind: "static"; cidr: string; insideRange: boolean };

export interface ContainerPlan {
  /** Unique key `<host>/<name>`. */
  key: string;
  name: string;
  host: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  ports: string[];
  publishAll: boolean;
  restart: RestartPolicy;
  hostname: string;
  addressing: AddressingPlan;
  /** `<name>.<domain>` (no trailing dot), or undefined when DNS is disabled. */
  fqdn?: string;
  /** Extra names, fully qualified. */
  extraFqdns: string[];
}

export interface DnsRecordPlan {
  /** Unique key `<host>/<fqdn>`. */
  key: string;
  host: string;
  fqdn: string;
  ips: string[];
}

/** A plan; generic code should not need more than this. */
export interface LabPlan {
  name: string;
  network: NetworkPlan;
  hosts: HostPlan[];
  containers: ContainerPlan[];
  dnsRecords: DnsRecordPlan[];
  /** Caveats that do not stop the lab (e.g. a static address outside the range). */
  warnings: SpecIssue[];
}
