/**
 * What the Container and DnsRecord providers receive and record. Plain data only (it travels
 * through Pulumi state and the serialised provider closure): no classes, no handles.
 */
import type { ContainerPlan } from "../model/plan";
import type { ConnectParams } from "../remote/types";
import type { WeaveDistribution } from "../spec";

/** Where the lab's weave script is and how to call it (from `NetworkPlan.weave`). */
export interface ContainerWeave {
  scriptPath: string;
  distribution?: WeaveDistribution;
  dockerApiVersionOverride?: string;
}

/** Deadlines of the container's remote calls, ms. */
export interface ContainerTimeouts {
  /** `weave attach`: blocks forever while IPAM has no ring or no free address. */
  attachMs: number;
  /**
   * Any other call (docker inspect/rm, weave ps/dns-args/dns-add/detach). `docker run` gets at
   * least 300 000 ms whatever this says: it may pull the image first.
   */
  commandMs: number;
}

/** Defaults: attach waits up to two minutes (a ring still forming); the rest one minute. */
export const DEFAULT_CONTAINER_TIMEOUTS: ContainerTimeouts = { attachMs: 120_000, commandMs: 60_000 };

/**
 * Inputs of one container: its plan plus what the provider needs to act. Fields Docker cannot
 * change in place are top-level so a preview's "replace because of" list names them.
 */
export interface ContainerInputs extends ContainerPlan {
  lab: string;
  /**
   * The network's fingerprint (`NetworkPlan.fingerprint`): router-wide facts. When it changes the
   * routers are relaunched with IPAM reset, which takes every container off the network, so the
   * container is replaced too.
   */
  networkFingerprint: string;
  /** Secret: SSH parameters of the host. */
  connection: ConnectParams;
  /**
   * Secret: environment variables whose values never appear in argv, logs, errors or plain state.
   * They reach `docker run` through the transport's secret environment (over the SSH channel's
   * stdin) and the container through `-e NAME` without a value. Docker itself still shows them in
   * `docker inspect` (Config.Env) to whoever may run it on the host. Single-line values only.
   */
  secretEnv?: Record<string, string>;
  weave: ContainerWeave;
  timeouts: ContainerTimeouts;
}

/** What a container looked like when last observed. */
export type ContainerStatus = "running" | "detached" | "stopped";

export interface ContainerOutputs extends ContainerInputs {
  /** Full Docker id. */
  containerId: string;
  /** Weave address without prefix (`172.16.16.3`); empty when detached. */
  ip: string;
  /** Weave address with prefix (`172.16.16.3/24`); empty when detached. */
  cidr: string;
  /** MAC of the container's `ethwe`. */
  mac: string;
  status: ContainerStatus;
  /** Human sentence about the last observation. */
  statusDetail: string;
}

/** Inputs of one extra DNS record (`weave dns-add <ips> -h <fqdn>` on `host`). */
export interface DnsRecordInputs {
  lab: string;
  /** The network's fingerprint: relaunched routers lose their DNS entries, so the record is added again. */
  networkFingerprint: string;
  /** `<host>/<fqdn>`. */
  key: string;
  host: string;
  fqdn: string;
  ips: string[];
  /** Secret. */
  connection: ConnectParams;
  weave: ContainerWeave;
  /** Deadline of each weave call, ms. */
  commandMs: number;
}

export interface DnsRecordOutputs extends DnsRecordInputs {
  /** Addresses the router answered for the name when last observed (every peer's, sorted). */
  resolved: string[];
  /** False when the record was not found on refresh (e.g. its router restarted). */
  present: boolean;
}
