/**
 * A snapshot of everything `/status*` and `/report` show. The router builds one per request;
 * the renderers in `render.ts` turn it into Weave's exact text and JSON. Field names follow the
 * report JSON so the two views cannot drift apart.
 */

export type ConnState = "established" | "pending" | "connecting" | "retrying" | "failed";

export interface ConnectionView {
  Address: string;
  Outbound: boolean;
  State: ConnState;
  Info: string;
  /** Sorted keys; `name` is shown in JSON but not in the text. Null for targets. */
  Attrs: Record<string, string | number | boolean> | null;
}

export interface PeerConnectionView {
  Name: string;
  NickName: string;
  Address: string;
  Outbound: boolean;
  Established: boolean;
}

export interface PeerView {
  Name: string;
  NickName: string;
  /** Decimal uint64; kept as a string because it does not fit a JS number. */
  UID: string;
  ShortID: number;
  Version: number;
  Connections: PeerConnectionView[] | null;
}

export interface IpamEntryView {
  Token: string;
  Size: number;
  Peer: string;
  Nickname: string;
  IsKnownPeer: boolean;
  Version: number;
}

export interface IpamView {
  Paxos: { Elector: boolean; KnownNodes: number; Quorum: number } | null;
  Range: string;
  RangeNumIPs: number;
  ActiveIPs: number;
  DefaultSubnet: string;
  Entries: IpamEntryView[] | null;
  PendingClaims: Array<{ Ident: string; CIDR: { Addr: string; PrefixLen: number } }> | null;
  PendingAllocates: string[] | null;
  /** Text-only facts (not in the JSON). */
  status: string;
}

export interface DnsEntryView {
  Hostname: string;
  Origin: string;
  ContainerID: string;
  Address: string;
  Version: number;
  Tombstone: number;
}

export interface DnsView {
  Domain: string;
  Upstream: string[] | null;
  Address: string;
  TTL: number;
  Entries: DnsEntryView[] | null;
}

export interface RouterSnapshot {
  ready: boolean;
  version: string;
  /** Version check: disabled (CHECKPOINT_DISABLE) or failed (no internet in the lab). */
  versionCheck: { enabled: boolean; nextCheckAt: Date };
  name: string;
  nickName: string;
  port: number;
  encryption: boolean;
  peerDiscovery: boolean;
  protocolMin: number;
  protocolMax: number;
  peers: PeerView[];
  connections: ConnectionView[];
  targets: string[];
  trustedSubnets: string[];
  terminationCount: number;
  macs: Array<{ Mac: string; Name: string; NickName: string; LastSeen: string }>;
  ipam?: IpamView;
  dns?: DnsView;
  proxy?: { Addresses: string[] };
  plugin?: { defaultSubnet: string; dns: boolean };
}
