/**
 * Shapes of what Weave 2.8.1 prints, as the parsers in this folder return them. Every parser
 * that reads free text also returns `unparsed`: lines it did not recognise, so that a change in
 * Weave's output shows up in tests instead of silently losing facts.
 */
import type { RangeShare } from "../model/plan";

/** A peer as Weave prints it: `3e:a2:4a:17:e0:d9(docker1)`. */
export interface PeerRef {
  /** Peer name in MAC form. */
  name: string;
  /** Nickname (often the host name); empty when Weave printed `name()`. */
  nickname: string;
}

/** States a connection line can be in (`status connections`, report `Router.Connections`). */
/** Every connection state Weave's mesh prints (status connections, report `Connections[].State`). */
export const CONNECTION_STATES = [
  "established",
  "pending",
  "connecting",
  "retrying",
  "failed",
  "waiting",
] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** Whether a printed state is one Weave's mesh uses. */
export function isConnectionState(s: string): s is ConnectionState {
  return (CONNECTION_STATES as readonly string[]).includes(s);
}

/** One line of `weave status connections` (or one report `Router.Connections` element). */
export interface ConnectionInfo {
  /** `outbound` (`->`, we dialled) or `inbound` (`<-`). */
  direction: "outbound" | "inbound";
  /** Remote TCP address `ip:port`. */
  address: string;
  state: ConnectionState;
  /** For established/pending: the remote peer. */
  peer?: PeerRef;
  /** For established/pending: `fastdp`, `sleeve`, `awsvpc` or `none` (not chosen yet). */
  overlay?: string;
  /**
   * For established/pending on a router with a password: whether this connection's data plane
   * is encrypted (`encrypted`/`unencrypted` prefix). Undefined when the router has no password.
   */
  encrypted?: boolean;
  /** Path MTU from the attrs (`mtu=1438`). */
  mtu?: number;
  /** Every attr, typed (`{ mtu: 1414, encrypted: true }`). */
  attrs: Record<string, string | number | boolean>;
  /** For failed/retrying: Weave's error text, without the `, retry: …` part. */
  error?: string;
  /** For failed: when Weave will retry (Go time text) or `never`. */
  retry?: string;
  /** The info text exactly as printed (trailing space trimmed). */
  info: string;
}

/** IPAM status, from the `Status:` line or derived from a report. */
export type IpamStatusKind =
  | "ready"
  | "idle"
  | "awaiting-consensus"
  | "priming"
  | "waiting-for-ips"
  | "all-owners-unreachable"
  | "unknown";

/** `Connections: 4 (2 established, 1 failed, 1 connecting)`. */
export interface ConnectionCounts {
  total: number;
  byState: Partial<Record<ConnectionState, number>>;
}

/** The `Service: router` section of `weave status`. */
export interface RouterStatusSection {
  /** `weave 1..2`. */
  protocol: string;
  peer: PeerRef;
  encryption: boolean;
  peerDiscovery: boolean;
  /** Number of direct targets (launch args plus `connect`). */
  targets: number;
  connections: ConnectionCounts;
  /** Peers in the topology, self included. */
  peers: number;
  /** Established connections counted from both ends (`with 12 established connections`). */
  establishedPeerConnections: number;
  /** Pending connections counted from both ends. */
  pendingPeerConnections: number;
  trustedSubnets: string[];
}

/** The `Service: ipam` section. */
export interface IpamStatusSection {
  /** The text after `Status:`. */
  status: string;
  kind: IpamStatusKind;
  /** While awaiting consensus: the quorum needed and participants heard from. */
  quorum?: number;
  known?: number;
  range: string;
  defaultSubnet: string;
}

/** The `Service: dns` section. */
export interface DnsStatusSection {
  /** With trailing dot, e.g. `weave.local.`. */
  domain: string;
  upstream: string[];
  ttl: number;
  /** Live (non-tombstoned) entries. */
  entries: number;
}

/** Plain `weave status` (or the body of `GET /status`). */
export interface WeaveStatusText {
  /** `2.8.1`. */
  version?: string;
  /** Text in parentheses after the version, e.g. `version check update disabled`. */
  versionCheck?: string;
  router?: RouterStatusSection;
  ipam?: IpamStatusSection;
  dns?: DnsStatusSection;
  proxy?: { addresses: string[] };
  plugin?: { kind: "legacy" | "v2"; driverName?: string };
  unparsed: string[];
}

/** One line of `weave status ipam`. */
export interface IpamOwnerLine {
  peer: PeerRef;
  /** Addresses owned, summed over all of the peer's ranges. */
  size: number;
  /** Percentage as printed (`06.2` → 6.2). */
  percent: number;
  /** Only the local peer's line carries `(N active)`; it is printed first. */
  local: boolean;
  /** Addresses allocated on the local peer (local line only). */
  active?: number;
  /** `- unreachable!`: the owner is not in the current topology. */
  unreachable: boolean;
}

/** One peer of `weave status peers` with the connections it reports. */
export interface PeerTreeEntry {
  peer: PeerRef;
  connections: Array<{ direction: "outbound" | "inbound"; address: string; peer: PeerRef; state: string }>;
}

/** One line of `weave status dns`. */
export interface DnsStatusEntry {
  /** Host name with the domain stripped (`web1`, or `a.b` for a sub-domain). */
  hostname: string;
  address: string;
  /** Container ID (12 chars) or `weave:extern`. */
  containerId: string;
  /** Peer name of the registering router. */
  origin: string;
}

/** One line of `weave ps`. */
export interface PsEntry {
  /** Container ID truncated to 12, the name given on the command line, or `weave:expose`. */
  id: string;
  mac: string;
  /** Addresses with prefix length, e.g. `172.16.16.1/24`; empty when attached without any. */
  cidrs: string[];
  /** The bridge line; its MAC equals the router's peer name. */
  isExpose: boolean;
}

/** A result with the lines the parser could not read. */
export interface Parsed<T> {
  value: T;
  unparsed: string[];
}

/** Typed view of `weave report` / `GET /report` (JSON). */
export interface WeaveReport {
  ready: boolean;
  version: string;
  versionCheck: { enabled: boolean; success: boolean; newVersion: string; nextCheckAt: string };
  router: ReportRouter;
  /** Absent when IPAM is disabled. */
  ipam?: ReportIpam;
  /** Absent with `--no-dns`. */
  dns?: ReportDns;
  proxy?: { addresses: string[] };
  plugin?: { driverName: string; meshDriverName?: string; enabled: boolean; enabledV2: boolean };
}

export interface ReportPeer {
  name: string;
  nickname: string;
  /** uint64, often above 2^53: kept as decimal text. */
  uid: string;
  shortId: number;
  version: number;
  connections: Array<{
    name: string;
    nickname: string;
    address: string;
    outbound: boolean;
    established: boolean;
  }>;
}

export interface ReportRouter {
  protocol: string;
  protocolMinVersion: number;
  protocolMaxVersion: number;
  encryption: boolean;
  peerDiscovery: boolean;
  /** Our peer name. */
  name: string;
  nickname: string;
  port: number;
  peers: ReportPeer[];
  connections: ConnectionInfo[];
  terminationCount: number;
  targets: string[];
  trustedSubnets: string[];
  interface: string;
}

/** One ring token: the range from `token` for `size` addresses, owned by `peer`. */
export interface IpamEntry {
  token: string;
  size: number;
  peer: string;
  nickname: string;
  /** False when the owner is not in the current topology (`- unreachable!`). */
  isKnownPeer: boolean;
  version: number;
}

/** Everything one peer owns, merged and cut into CIDR blocks. */
export interface IpamOwner {
  peer: string;
  nickname: string;
  size: number;
  reachable: boolean;
  shares: RangeShare[];
}

export interface ReportIpam {
  /** Non-null only while awaiting consensus. */
  paxos: { elector: boolean; knownNodes: number; quorum: number } | null;
  range: string;
  rangeNumIPs: number;
  activeIPs: number;
  defaultSubnet: string;
  /** Null while the ring is empty (idle, awaiting consensus, priming). */
  entries: IpamEntry[] | null;
  /** Per owner, derived from `entries`; empty when there is no ring. */
  owners: IpamOwner[];
  pendingClaims: Array<{ ident: string; cidr: string }>;
  pendingAllocates: string[];
  /** What `weave status` would print as `Status:`, derived with the same precedence. */
  status: IpamStatusKind;
}

export interface ReportDnsEntry {
  hostname: string;
  origin: string;
  containerId: string;
  address: string;
  version: number;
  /** Unix seconds; 0 = live. */
  tombstone: number;
}

export interface ReportDns {
  domain: string;
  upstream: string[];
  address: string;
  ttl: number;
  /** Including tombstoned ones (see `tombstone`). */
  entries: ReportDnsEntry[];
}
