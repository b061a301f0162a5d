/**
 * From a plan plus resolved secrets to the exact inputs of every Router and of the gate. Pure:
 * `WeaveNetwork` calls it inside an `apply` (secrets stay secret), the engine-like test harness
 * calls it with plain values, so both drive the providers with the same inputs.
 */
import type { HostPlan, LabPlan } from "../model/plan";
import type { ConnectParams } from "../remote/types";
import type {
  GateInputs,
  PeerCredentials,
  PeerEndpoint,
  RouterInputs,
  RouterPeer,
  RouterTimeouts,
} from "./types";

/** Secret (or deploy-time) values of one host's SSH settings. */
export interface HostSecrets {
  privateKey?: string;
  passphrase?: string;
  hostKey?: string;
  jumpHost?: { privateKey?: string; hostKey?: string };
}

/** Deadlines, ms. Every remote call has one (Weave's own calls block forever). */
export interface NetworkTimeouts extends RouterTimeouts {
  /** The ring's forming on the first host (`GET /ring`, what `weave prime` asks). */
  primeMs: number;
}

/** Defaults: launch waits for the router (image pulls can be slow on a fresh host); reset can take ~48 s (fixture 16). */
export const DEFAULT_TIMEOUTS: NetworkTimeouts = {
  launchMs: 300_000,
  resetMs: 120_000,
  commandMs: 60_000,
  primeMs: 120_000,
};

/** Resolved connection parameters of one host (contains secrets: never log). */
export function connectParamsFor(host: HostPlan, secrets: HostSecrets): ConnectParams {
  const s = host.ssh;
  const params: ConnectParams = {
    hostName: host.name,
    host: s.host,
    port: s.port,
    user: s.user,
    insecureIgnoreHostKey: s.insecureIgnoreHostKey,
    sudo: s.sudo,
    connectTimeoutSeconds: s.connectTimeoutSeconds,
  };
  if (secrets.privateKey) params.privateKey = secrets.privateKey;
  if (secrets.passphrase) params.passphrase = secrets.passphrase;
  if (s.agent !== undefined) params.agent = s.agent;
  if (secrets.hostKey) params.hostKey = secrets.hostKey;
  if (s.jumpHost) {
    params.jumpHost = { host: s.jumpHost.host, port: s.jumpHost.port, user: s.jumpHost.user };
    const key = secrets.jumpHost?.privateKey ?? secrets.privateKey;
    if (key) params.jumpHost.privateKey = key;
    if (secrets.jumpHost?.hostKey) params.jumpHost.hostKey = secrets.jumpHost.hostKey;
  }
  return params;
}

/** A host's SSH endpoint without its secrets (what other routers may know of it). */
export function peerEndpoint(params: ConnectParams): PeerEndpoint {
  const e: PeerEndpoint = {
    hostName: params.hostName,
    host: params.host,
    port: params.port,
    user: params.user,
    insecureIgnoreHostKey: params.insecureIgnoreHostKey,
    sudo: params.sudo,
    connectTimeoutSeconds: params.connectTimeoutSeconds,
  };
  if (params.hostKey !== undefined) e.hostKey = params.hostKey;
  if (params.jumpHost) {
    const j = params.jumpHost;
    e.jumpHost = { host: j.host, port: j.port, user: j.user };
    if (j.hostKey !== undefined) e.jumpHost.hostKey = j.hostKey;
  }
  return e;
}

/** A host's SSH credentials as its peers' routers hold them (secret: never log). */
export function peerCredentialsOf(params: ConnectParams): PeerCredentials {
  const c: PeerCredentials = {};
  if (params.privateKey !== undefined) c.privateKey = params.privateKey;
  if (params.passphrase !== undefined) c.passphrase = params.passphrase;
  if (params.agent !== undefined) c.agent = params.agent;
  if (params.jumpHost?.privateKey !== undefined) c.jumpHostKey = params.jumpHost.privateKey;
  return c;
}

/** The other hosts of the lab as the Router of `hostName` knows them: names, addresses, endpoints. */
export function peersOf(
  plan: LabPlan,
  hostName: string,
  endpoints: Record<string, PeerEndpoint>,
): RouterPeer[] {
  return plan.hosts
    .filter((o) => o.name !== hostName)
    .map((o) => ({ host: o.name, address: o.address, peerName: o.peerName, ssh: endpoints[o.name] }));
}

/** The seed list: every host's peer name, sorted (Weave sorts them too; sorting keeps diffs quiet). */
export function seedNamesOf(plan: LabPlan): string[] {
  return plan.hosts.map((h) => h.peerName).sort();
}

/** Inputs of the Router of `hostName`. */
export function routerInputs(
  plan: LabPlan,
  hostName: string,
  connections: Record<string, ConnectParams>,
  password: string | undefined,
  opts: { forgetUnreachableOnDestroy?: boolean; timeouts?: Partial<NetworkTimeouts> } = {},
): RouterInputs {
  const h = plan.hosts.find((x) => x.name === hostName);
  if (!h) throw new Error(`routerInputs: no host ${hostName} in the plan`);
  const n = plan.network;
  const t = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const inputs: RouterInputs = {
    lab: plan.name,
    host: h.name,
    address: h.address,
    peerName: h.peerName,
    nickname: h.nickname,
    connection: connections[h.name],
    launch: h.launch,
    peers: peersOf(
      plan,
      h.name,
      Object.fromEntries(Object.entries(connections).map(([k, c]) => [k, peerEndpoint(c)])),
    ),
    seedNames: seedNamesOf(plan),
    allocRange: n.allocRange,
    defaultSubnet: n.defaultSubnet,
    bootstrap: n.bootstrap,
    encrypted: n.encrypted,
    trustedSubnets: n.trustedSubnets,
    dns: n.dns,
    weave: n.weave,
    proxy: n.proxy,
    plugin: n.plugin,
    resetForeignRouters: n.resetForeignRouters,
    forgetUnreachableOnDestroy: opts.forgetUnreachableOnDestroy ?? false,
    timeouts: { launchMs: t.launchMs, resetMs: t.resetMs, commandMs: t.commandMs },
  };
  if (password !== undefined && password !== "") inputs.password = password;
  if (h.predictedShare) inputs.predictedShare = h.predictedShare;
  const others = inputs.peers.filter((p) => connections[p.host] !== undefined);
  if (others.length > 0)
    inputs.peerCredentials = Object.fromEntries(
      others.map((p) => [p.host, peerCredentialsOf(connections[p.host])]),
    );
  return inputs;
}

/** Inputs of the ConsensusGate; `routerIds` are the routers' container ids (Outputs in a program). */
export function gateInputs(
  plan: LabPlan,
  connections: Record<string, ConnectParams>,
  routerIds: Record<string, string>,
  opts: { timeouts?: Partial<NetworkTimeouts>; rejoinedHosts?: string[] } = {},
): GateInputs {
  const t = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  return {
    lab: plan.name,
    allocRange: plan.network.allocRange,
    bootstrap: plan.network.bootstrap,
    encrypted: plan.network.encrypted,
    seedNames: seedNamesOf(plan),
    hosts: plan.hosts.map((h) => ({
      host: h.name,
      address: h.address,
      peerName: h.peerName,
      nickname: h.nickname,
      connection: connections[h.name],
      ...(h.predictedShare ? { predictedShare: h.predictedShare } : {}),
    })),
    timeoutSeconds: plan.network.consensusTimeoutSeconds,
    primeTimeoutMs: t.primeMs,
    routerIds,
    rejoinedHosts: [...(opts.rejoinedHosts ?? [])].sort(),
  };
}
