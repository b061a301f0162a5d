/**
 * What the Router and ConsensusGate providers receive and record. Plain data only: these travel
 * through Pulumi state (secret fields are marked secret there) and through the serialised
 * provider closure, so nothing here may be a class or hold a handle.
 */
import type { CommandPlan, NetworkPlan, RangeShare } from "../model/plan";
import type { ConnectParams } from "../remote/types";
import type { BootstrapMode } from "../spec";

/** Which Weave a router runs and where its script lives: the plan's own record. */
export type RouterWeave = NetworkPlan["weave"];

/**
 * How to reach another lab host, without its secrets: its SSH endpoint, user and (public) host
 * key. A router reaches a peer (to probe for an existing ring, to wait for a hand-over, to run
 * `rmpeer` on a survivor) with that peer's credentials (`RouterInputs.peerCredentials`), or its
 * own host's where state has none; a peer that does not accept them is treated like one that
 * does not answer.
 */
export type PeerEndpoint = Omit<ConnectParams, "privateKey" | "passphrase" | "agent" | "jumpHost"> & {
  jumpHost?: Omit<NonNullable<ConnectParams["jumpHost"]>, "privateKey">;
};

/** Another lab host, as one router needs to know it: names, addresses and endpoint, no secret. */
export interface RouterPeer {
  host: string;
  address: string;
  peerName: string;
  /** Where its sshd is (not secret). */
  ssh: PeerEndpoint;
}

/** A peer's SSH credentials (secret): its key, passphrase or agent, and its jump host's key. */
export interface PeerCredentials {
  privateKey?: string;
  passphrase?: string;
  agent?: string;
  jumpHostKey?: string;
}

/**
 * Inputs of one Router (type token `pulumi-nodejs:dynamic/weave-lab:Router`). Router-wide facts are top-level fields so a preview's
 * "replace because of" list names them (`allocRange`, `encrypted`, …).
 */
export interface RouterInputs {
  lab: string;
  host: string;
  address: string;
  peerName: string;
  nickname: string;
  /** Secret: resolved SSH parameters for this host. */
  connection: ConnectParams;
  /** Secret: the Weave password, passed to `weave launch` through the environment only. */
  password?: string;
  /** The planned `weave launch` (argv starts with `weave`; the provider runs `weave.scriptPath`). */
  launch: CommandPlan;
  /** The other hosts of the lab. */
  peers: RouterPeer[];
  /**
   * Secret: each peer's own SSH credentials, by host name, kept apart from `peers` so that those
   * stay readable in a preview. Absent in state written before it existed: peers are then reached
   * with this host's credentials. A change is recorded in place and touches no host.
   */
  peerCredentials?: Record<string, PeerCredentials>;
  /** Peer names the ring is seeded with (`seed` mode): every host's, sorted. */
  seedNames: string[];
  allocRange: string;
  defaultSubnet: string;
  bootstrap: BootstrapMode;
  encrypted: boolean;
  trustedSubnets: string[];
  dns: { domain: string; ttl: number; disabled: boolean };
  weave: RouterWeave;
  proxy: boolean;
  plugin: boolean;
  resetForeignRouters: boolean;
  /** On destroy, an unreachable host is forgotten (rmpeer on one survivor) instead of failing. */
  forgetUnreachableOnDestroy: boolean;
  /** In `seed` mode, the share the planner predicts for this host. */
  predictedShare?: RangeShare[];
  /** Deadlines in ms for the blocking CLI calls. */
  timeouts: RouterTimeouts;
}

export interface RouterTimeouts {
  /** `weave launch` (waits for the router to answer). */
  launchMs: number;
  /** `weave reset` (can take ~48 s when Docker retries a dead plugin). */
  resetMs: number;
  /** Any other command (version, inspect, connect, forget, rmpeer). */
  commandMs: number;
}

/** What a router looked like when last observed. */
export type RouterStatus = "running" | "stopped" | "missing" | "reconfigured";

/** Outputs of one Router: its inputs plus what was observed. */
export interface RouterOutputs extends RouterInputs {
  /** Full id of the `weave` container. */
  containerId: string;
  /** True when an already-running router of this lab was adopted without relaunch. */
  adopted: boolean;
  /** True when it launched without `--ipalloc-init` to join an existing ring. */
  rejoined: boolean;
  status: RouterStatus;
  /** Peer name and range the running router reported (differ from the inputs only after drift). */
  observedPeerName: string;
  observedRange: string;
  /** Human sentence about the last observation (e.g. why the status is not `running`). */
  statusDetail: string;
}

/** One host as the gate sees it. */
export interface GateHost {
  host: string;
  address: string;
  peerName: string;
  nickname: string;
  /** Secret. */
  connection: ConnectParams;
  predictedShare?: RangeShare[];
}

/** Inputs of the ConsensusGate (type token `pulumi-nodejs:dynamic/weave-lab:ConsensusGate`). */
export interface GateInputs {
  lab: string;
  allocRange: string;
  bootstrap: BootstrapMode;
  encrypted: boolean;
  seedNames: string[];
  hosts: GateHost[];
  /** Seconds to wait for every host to agree. */
  timeoutSeconds: number;
  /** Deadline of the ring's forming (`GET /ring`, what `weave prime` asks), ms. */
  primeTimeoutMs: number;
  /** Container ids of the routers: a relaunched router changes it and makes the gate re-verify. */
  routerIds: Record<string, string>;
  /**
   * Hosts whose router joined a ring that already existed (`rejoined`), sorted. While any has,
   * shares come from hand-overs and donations, not from the seed: the prediction is not checked.
   * Absent in state written before it existed: none.
   */
  rejoinedHosts?: string[];
}

/** Per-host result the gate exports. */
export interface GateHostResult {
  peerName: string;
  nickname: string;
  address: string;
  shares: RangeShare[];
  /** Addresses owned, summed over `shares`. */
  size: number;
}

export interface GateOutputs extends GateInputs {
  healthy: boolean;
  summary: string;
  results: Record<string, GateHostResult>;
  /** Peer names the ring was formed with (the seed list at the first healthy verdict). */
  ringSeed: string[];
  /** Milliseconds from prime to a healthy verdict, last time it ran. */
  convergedMs: number;
}
