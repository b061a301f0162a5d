/**
 * The declarative model of a Weave Net lab: what a user writes, in Weave's own vocabulary.
 *
 * Plain data only: this module imports nothing, so the planner, the CLI and the Pulumi
 * components all share it. Two kinds of fields are generic:
 * - secrets (`S`): the planner and CLI use plain strings, the Pulumi components accept
 *   `pulumi.Input<string>` so that secrets stay secrets. The planner never reads a secret's
 *   value, only whether it is present.
 * - where a host is (`A`: `address`, `ssh.host`, `ssh.user`, the bastion's `host` and `user`):
 *   the components accept `pulumi.Input<string>`, so hosts can come from other resources (VMs
 *   created in the same program). Such a value is checked once it is known, at deploy time; a
 *   preview shows it as `<address of NAME>` and plans everything that does not depend on it
 *   (peer names, seeds, the predicted split).
 */

/** Where the lab's Weave comes from. */
export type WeaveDistribution = "weaveworks" | "rajch";

/** How routers agree on the split of the allocation range. */
export type BootstrapMode = "seed" | "consensus";

/** A complete lab: one Weave network, the hosts it spans and the containers on it. */
export interface LabSpec<S = string, A = string> {
  /**
   * Name of the lab. Peer names in `seed` mode are derived from it and the host names, so two
   * labs with different names never share peer names.
   * Defaults to `"weave-lab"`.
   */
  name?: string;
  /** Router-wide settings shared by every host. */
  network?: NetworkSpec<S>;
  /** The hosts that run a Weave router, reached over SSH. At least one. */
  hosts: HostSpec<S, A>[];
  /** Containers to run on the network. Defaults to none. */
  containers?: ContainerSpec[];
  /** Extra weaveDNS records (`weave dns-add`), e.g. names for hosts or external IPs. Defaults to none. */
  dnsRecords?: DnsRecordSpec[];
}

/**
 * Router-wide settings. Range, default subnet, bootstrap/seed set and encryption are facts every
 * router must share: changing any of them relaunches all routers with their IPAM data reset.
 */
export interface NetworkSpec<S = string> {
  /**
   * The IPv4 range Weave's IPAM allocates from (`--ipalloc-range`). Must be a network address
   * (no host bits set) with a prefix of /30 or shorter, identical on every host.
   * Defaults to `"10.32.0.0/12"` (Weave's own default).
   */
  allocRange?: string;
  /**
   * The subnet dynamic addresses come from (`--ipalloc-default-subnet`); must lie inside
   * `allocRange`. Keeping it smaller than the range leaves the rest for containers that name a
   * `subnet`.
   * Defaults to `allocRange`.
   */
  defaultSubnet?: string;
  /**
   * How the ring is formed. `seed`: every router gets an explicit `--name` and
   * `--ipalloc-init seed=<all names>`, so the split is known before launch and IPAM is ready at
   * once. `consensus`: `--ipalloc-init consensus=<number of hosts>`, then `weave prime`; the ring
   * may leave a peer out until it asks for a donation.
   * Defaults to `"seed"`.
   */
  bootstrap?: BootstrapMode;
  /**
   * Encryption password (`WEAVE_PASSWORD`, passed through the environment, never argv).
   * A Pulumi secret in the components. Encryption is on when set.
   * Defaults to unset (no encryption).
   */
  password?: S;
  /**
   * Subnets whose peers may skip data-plane encryption (`--trusted-subnets`), as IPv4 CIDRs.
   * Defaults to `[]`.
   */
  trustedSubnets?: string[];
  /** weaveDNS settings. */
  dns?: DnsSettings;
  /** Which Weave to run and how it gets onto the hosts. */
  weave?: WeaveSettings;
  /**
   * Run Weave's Docker API proxy (`--proxy`). weave-lab itself attaches containers with
   * `weave attach`, so the proxy is only for people who want `eval $(weave env)` on the hosts.
   * Defaults to `false`.
   */
  proxy?: boolean;
  /**
   * Run Weave's legacy Docker network plugin (`--plugin`). Off by default because a dead plugin
   * makes `weave reset --force` take ~48 s (Docker retries it).
   * Defaults to `false`.
   */
  plugin?: boolean;
  /**
   * If a host already runs a Weave router that is not this lab's (another range or ring),
   * reset it instead of refusing. Destroys that router's IPAM data.
   * Defaults to `false`.
   */
  resetForeignRouters?: boolean;
  /**
   * How long `pulumi up` waits for every peer to agree on one ring before failing with a
   * per-host account of what is missing.
   * Defaults to `120`.
   */
  consensusTimeoutSeconds?: number;
}

/** weaveDNS settings. */
export interface DnsSettings {
  /**
   * The DNS domain (`--dns-domain`), without trailing dot; container names are registered as
   * `<name>.<domain>`.
   * Defaults to `"weave.local"`.
   */
  domain?: string;
  /** TTL in seconds of weaveDNS answers (`--dns-ttl`), 0–2147483647. Defaults to `1` (Weave's code default). */
  ttl?: number;
  /** Turn weaveDNS off (`--no-dns`); containers then get no names. Defaults to `false`. */
  disabled?: boolean;
}

/** Which Weave the hosts run. */
export interface WeaveSettings {
  /**
   * `weaveworks`: upstream 2.8.1, speaks Docker API 1.18, so it cannot run on Docker Engine 25
   * or newer. `rajch`: the maintained fork (2.9.x), Docker API 1.24, runs on current engines.
   * Defaults to `"weaveworks"`.
   */
  distribution?: WeaveDistribution;
  /** Version of the distribution. Defaults to `"2.8.1"` for weaveworks, `"2.9.0"` for rajch. */
  version?: string;
  /**
   * How the `weave` script gets onto each host. `present`: it must already be at `scriptPath`
   * (preflight checks its version). `download`: weave-lab installs the pinned script from
   * `scriptUrl`, verifying `scriptSha256`.
   * Defaults to `"present"`.
   */
  install?: "present" | "download";
  /** Where the script lives on the hosts. Defaults to `"/usr/local/bin/weave"`. */
  scriptPath?: string;
  /** URL of the script for `install: "download"`. Defaults to the distribution's release asset for `version`. */
  scriptUrl?: string;
  /** Expected SHA-256 (hex) of the downloaded script; required with `install: "download"`. Defaults to unset. */
  scriptSha256?: string;
  /**
   * Value for `DOCKER_API_VERSION` in the environment of every `weave` call, overriding the API
   * version the script's helpers speak (e.g. `"1.24"`). Only set this if you know the engine
   * accepts that weave build at that version.
   * Defaults to unset.
   */
  dockerApiVersion?: string;
}

/** SSH settings for reaching a host. */
export interface SshSettings<S = string, A = string> {
  /** Address or name to SSH to; may be known only at deploy time. Defaults to the host's `address`. */
  host?: A;
  /** SSH port, 1–65535. Defaults to `22`. */
  port?: number;
  /** Login user; must be root or able to use Docker (see `sudo`). May be known only at deploy time. Defaults to `"root"`. */
  user?: A;
  /** Private key (PEM/OpenSSH text). A Pulumi secret in the components. Defaults to unset (use the agent). */
  privateKey?: S;
  /** Passphrase of `privateKey`. A Pulumi secret in the components. Defaults to unset. */
  passphrase?: S;
  /** Path of an SSH agent socket, used when no `privateKey` is given. Defaults to `$SSH_AUTH_SOCK`. */
  agent?: string;
  /**
   * The host key the server must present: an OpenSSH public key line (`ssh-ed25519 AAAA…`) or a
   * `SHA256:` fingerprint. Required unless `insecureIgnoreHostKey` is true. Generic like the
   * secrets so that a key known only at deploy time (e.g. from LocalLab) can be passed as an Input.
   * Defaults to unset.
   */
  hostKey?: S;
  /** Accept any host key. Insecure: a man in the middle could read the Weave password. Defaults to `false`. */
  insecureIgnoreHostKey?: boolean;
  /** Run remote commands through `sudo -n`. Defaults to `false`. */
  sudo?: boolean;
  /** A bastion to hop through. Defaults to unset (direct connection). */
  jumpHost?: JumpHostSpec<S, A>;
  /** Give up connecting after this many seconds in all (retries included). Defaults to `60`. */
  connectTimeoutSeconds?: number;
}

/** A bastion host in front of a lab host. */
export interface JumpHostSpec<S = string, A = string> {
  /** Address or name of the bastion; may be known only at deploy time. Required. */
  host: A;
  /** SSH port of the bastion. Defaults to `22`. */
  port?: number;
  /** Login user on the bastion; may be known only at deploy time. Defaults to the lab host's `user`. */
  user?: A;
  /** Private key for the bastion. Defaults to the lab host's key. */
  privateKey?: S;
  /** Expected host key of the bastion (same forms as `SshSettings.hostKey`). Required unless the lab host ignores host keys. */
  hostKey?: S;
}

/** One host of the lab: it runs one Weave router. */
export interface HostSpec<S = string, A = string> {
  /** Host name, a DNS label (`[a-z0-9-]`, 1–63 chars). Unique in the lab. Required. */
  name: string;
  /**
   * IPv4 address other routers use to reach this host's router (TCP 6783, UDP 6783–6784). Unique.
   * May be known only at deploy time (e.g. a VM's address from another resource): it is then
   * checked once known. Required.
   */
  address: A;
  /** How to reach the host over SSH. Defaults to root@`address`:22 with the agent. */
  ssh?: SshSettings<S, A>;
  /**
   * Weave peer name (`--name`), in MAC form (`aa:bb:cc:dd:ee:ff`). Unique.
   * Defaults to one derived from the lab and host names (a locally administered MAC), which makes
   * the `seed` split predictable.
   */
  peerName?: string;
  /** Weave nickname (`--nickname`), shown next to the peer name. Defaults to the host `name`. */
  nickname?: string;
  /**
   * Extra raw `weave launch` flags for this host (e.g. `["--conn-limit", "50"]`). Flags that would
   * contradict the network (range, default subnet, init, name, nickname, password, DNS) are
   * rejected by the planner, and so is `--token` (Weave Cloud's peer discovery is gone, and the
   * token would stand in plain text in the router's argv).
   * Defaults to `[]`.
   */
  extraLaunchArgs?: string[];
}

/** Restart policies Docker accepts for `docker run --restart`. */
export type RestartPolicy = "no" | "always" | "unless-stopped" | "on-failure";

/** A container on the Weave network. */
export interface ContainerSpec {
  /** Container name (Docker's `--name`) and DNS label. Unique per host; the same name on two hosts is legal (DNS round-robin). Required. */
  name: string;
  /** Name of the host (from `hosts`) that runs it. Required. */
  host: string;
  /** Image reference. Required. */
  image: string;
  /** Command and arguments, passed literally (no shell). Defaults to the image's. */
  command?: string[];
  /** Environment variables, passed literally. Defaults to `{}`. */
  env?: Record<string, string>;
  /** Published ports in Docker's `-p` form (`"8080:80"`, `"80"`, `"127.0.0.1:53:53/udp"`). Defaults to `[]`. */
  ports?: string[];
  /** Publish every exposed port (`-P`). Defaults to `false`. */
  publishAll?: boolean;
  /** Restart policy. Defaults to `"no"`. */
  restart?: RestartPolicy;
  /**
   * A static address as a CIDR (`"172.16.16.200/24"`), claimed with `weave attach`. Inside the
   * range Weave tracks it cluster-wide; outside it Weave does not (the plan warns).
   * Exclusive with `subnet`. Defaults to unset (dynamic).
   */
  address?: string;
  /**
   * Allocate the address from this subnet (`net:<subnet>`), which must lie inside `allocRange`.
   * Exclusive with `address`. Defaults to unset (the network's default subnet).
   */
  subnet?: string;
  /** Extra DNS names for the container: labels (qualified with the domain) or FQDNs inside the domain. Defaults to `[]`. */
  dnsNames?: string[];
  /** Container hostname. Defaults to `name`. */
  hostname?: string;
}

/** An extra weaveDNS record, registered from one host (`weave dns-add <ips> -h <fqdn>`). */
export interface DnsRecordSpec {
  /** Name: a label (qualified with the domain) or an FQDN inside the domain. Required. */
  name: string;
  /** IPv4 addresses the name resolves to. Required, at least one. */
  ips: string[];
  /** Host whose router registers it; the record lives as long as that router. Defaults to the first host. */
  host?: string;
}

/** Defaults applied by the planner, in one place so docs and code agree. */
export const DEFAULTS = {
  labName: "weave-lab",
  allocRange: "10.32.0.0/12",
  bootstrap: "seed" as BootstrapMode,
  dnsDomain: "weave.local",
  dnsTtl: 1,
  distribution: "weaveworks" as WeaveDistribution,
  versions: { weaveworks: "2.8.1", rajch: "2.9.0" } as Record<WeaveDistribution, string>,
  scriptPath: "/usr/local/bin/weave",
  sshPort: 22,
  sshUser: "root",
  connectTimeoutSeconds: 60,
  consensusTimeoutSeconds: 120,
} as const;
