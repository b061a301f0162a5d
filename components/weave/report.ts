/**
 * `weave report` / `GET /report` with `Accept: application/json` (reference §7.1), as a typed
 * view. Peer UIDs are uint64 and exceed Number.MAX_SAFE_INTEGER (G15), so they are turned into
 * strings in the text before `JSON.parse` sees them.
 *
 * Also the smaller document of {@link CONSENSUS_TEMPLATE}: what the consensus verdict reads,
 * in the report's own shape, read with the `consensus` view.
 */
import { intervalToShares, ipToNumber, mergeIntervals, parseCidr } from "./ipv4";
import { parseConnectionInfo } from "./status";
import type {
  ConnectionInfo,
  ConnectionState,
  IpamEntry,
  IpamOwner,
  IpamStatusKind,
  ReportDns,
  ReportIpam,
  ReportPeer,
  ReportRouter,
  WeaveReport,
} from "./types";
import { isConnectionState } from "./types";

/** Thrown when report text is not JSON or lacks a field we rely on; names the JSON path. */
export type ReportParseError = Error & { name: "ReportParseError" };

/**
 * A factory, not a class: the gate parses reports inside a serialised dynamic provider, and
 * Pulumi's function serialiser rewrites `class … extends Error` so that the message is lost.
 */
export function reportParseError(message: string): ReportParseError {
  const e = new Error(message) as ReportParseError;
  e.name = "ReportParseError";
  return e;
}

/** Whether `e` came from `parseReport`. */
export function isReportParseError(e: unknown): e is ReportParseError {
  return e instanceof Error && e.name === "ReportParseError";
}

/**
 * Which parts of the report a read needs. `full`: all of it. `consensus`: what the consensus
 * verdict and a router's own checks read (readiness, the router's name and encryption, the
 * names of the peers it knows, its own connections, IPAM), as {@link CONSENSUS_TEMPLATE}
 * writes it. A field that view leaves out is read when present and otherwise empty: each
 * peer's connection list (about three quarters of a 32-host report), its UID, short id and
 * version, the router's protocol, port, targets and trusted subnets; DNS, proxy and plugin are
 * absent. A full document reads the same in either view.
 */
export type ReportView = "full" | "consensus";

/**
 * A Go text/template for `GET /report?format=` that writes the `consensus` view as JSON: the
 * report's keys and shapes, only the fields that view requires. Weave executes it over the
 * report struct with its `json` function (`json.Marshal`); IPAM is left out when it is off,
 * as in the full report.
 */
export const CONSENSUS_TEMPLATE =
  '{"Ready":{{json .Ready}},"Version":{{json .Version}},' +
  '"Router":{"Name":{{json .Router.Name}},"Encryption":{{json .Router.Encryption}},' +
  '"Peers":[{{range $i, $p := .Router.Peers}}{{if $i}},{{end}}' +
  '{"Name":{{json $p.Name}},"NickName":{{json $p.NickName}}}{{end}}],' +
  '"Connections":{{json .Router.Connections}}}' +
  '{{if .IPAM}},"IPAM":{{json .IPAM}}{{end}}}';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Quote every `"UID": <digits>` so that no precision is lost. Only UIDs are that large. */
export function quoteBigUids(text: string): string {
  return text.replace(/("UID"\s*:\s*)(-?\d+)/g, '$1"$2"');
}

class Reader {
  constructor(
    readonly v: Json | undefined,
    readonly path: string,
  ) {}
  private fail(want: string): never {
    throw reportParseError(
      `report ${this.path}: expected ${want}, got ${JSON.stringify(this.v) ?? "nothing"}`,
    );
  }
  get(key: string): Reader {
    const o = this.v;
    if (o === null || typeof o !== "object" || Array.isArray(o)) this.fail("an object");
    return new Reader((o as Record<string, Json>)[key], `${this.path}.${key}`);
  }
  has(key: string): boolean {
    const o = this.v;
    return o !== null && typeof o === "object" && !Array.isArray(o) && o[key] !== undefined;
  }
  isNull(): boolean {
    return this.v === null || this.v === undefined;
  }
  str(): string {
    if (typeof this.v !== "string") this.fail("a string");
    return this.v as string;
  }
  num(): number {
    if (typeof this.v !== "number") this.fail("a number");
    return this.v as number;
  }
  bool(): boolean {
    if (typeof this.v !== "boolean") this.fail("true or false");
    return this.v as boolean;
  }
  /** Go encodes empty slices as `null`; both read as `[]`. */
  list(): Reader[] {
    if (this.v === null || this.v === undefined) return [];
    if (!Array.isArray(this.v)) this.fail("an array or null");
    return (this.v as Json[]).map((x, i) => new Reader(x, `${this.path}[${i}]`));
  }
}

/**
 * A field the `consensus` view does not fetch: read (and checked) when present, which it always
 * must be in the `full` view; otherwise empty.
 */
function optional<T>(view: ReportView, r: Reader, key: string, read: (v: Reader) => T, empty: T): T {
  return view === "full" || r.has(key) ? read(r.get(key)) : empty;
}

const strings = (r: Reader): string[] => r.list().map((t) => t.str());

function readRouter(r: Reader, view: ReportView): ReportRouter {
  const peers: ReportPeer[] = r
    .get("Peers")
    .list()
    .map((p) => ({
      name: p.get("Name").str(),
      nickname: p.get("NickName").str(),
      uid: String(p.get("UID").v ?? ""),
      shortId: optional(view, p, "ShortID", (v) => v.num(), 0),
      version: optional(view, p, "Version", (v) => v.num(), 0),
      connections: optional(
        view,
        p,
        "Connections",
        (v) =>
          v.list().map((c) => ({
            name: c.get("Name").str(),
            nickname: c.get("NickName").str(),
            address: c.get("Address").str(),
            outbound: c.get("Outbound").bool(),
            established: c.get("Established").bool(),
          })),
        [],
      ),
    }));
  const connections: ConnectionInfo[] = r
    .get("Connections")
    .list()
    .map((c) => {
      const state = c.get("State").str();
      if (!isConnectionState(state)) {
        throw reportParseError(`report ${c.path}.State: unknown connection state ${JSON.stringify(state)}`);
      }
      const attrs: Record<string, string | number | boolean> = {};
      const a = c.get("Attrs");
      if (!a.isNull()) {
        for (const [k, v] of Object.entries(a.v as Record<string, Json>)) {
          if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") attrs[k] = v;
        }
      }
      const base = {
        direction: c.get("Outbound").bool() ? ("outbound" as const) : ("inbound" as const),
        address: c.get("Address").str(),
        state: state as ConnectionState,
      };
      const info = c.get("Info").str();
      const parsed = parseConnectionInfo(base, info, attrs);
      if (!parsed) throw reportParseError(`report ${c.path}.Info: cannot read ${JSON.stringify(info)}`);
      return parsed;
    });
  return {
    protocol: optional(view, r, "Protocol", (v) => v.str(), ""),
    protocolMinVersion: optional(view, r, "ProtocolMinVersion", (v) => v.num(), 0),
    protocolMaxVersion: optional(view, r, "ProtocolMaxVersion", (v) => v.num(), 0),
    encryption: r.get("Encryption").bool(),
    peerDiscovery: optional(view, r, "PeerDiscovery", (v) => v.bool(), false),
    name: r.get("Name").str(),
    nickname: optional(view, r, "NickName", (v) => v.str(), ""),
    port: optional(view, r, "Port", (v) => v.num(), 0),
    peers,
    connections,
    terminationCount: r.has("TerminationCount") ? r.get("TerminationCount").num() : 0,
    targets: optional(view, r, "Targets", strings, []),
    trustedSubnets: optional(view, r, "TrustedSubnets", strings, []),
    interface: r.has("Interface") ? r.get("Interface").str() : "",
  };
}

/**
 * Who owns what, from the ring entries. Each entry covers `size` addresses from its token;
 * ranges of one owner are merged and cut into CIDR blocks so they compare with predictions.
 */
export function ownersFromEntries(entries: IpamEntry[]): IpamOwner[] {
  const byPeer = new Map<
    string,
    { nickname: string; reachable: boolean; ivs: Array<{ start: number; size: number }> }
  >();
  for (const e of entries) {
    if (e.size === 0) continue;
    const o = byPeer.get(e.peer) ?? { nickname: e.nickname, reachable: true, ivs: [] };
    o.reachable = o.reachable && e.isKnownPeer;
    if (!o.nickname) o.nickname = e.nickname;
    o.ivs.push({ start: ipToNumber(e.token), size: e.size });
    byPeer.set(e.peer, o);
  }
  return [...byPeer.entries()]
    .map(([peer, o]) => {
      const shares = mergeIntervals(o.ivs).flatMap(intervalToShares);
      return {
        peer,
        nickname: o.nickname,
        reachable: o.reachable,
        size: shares.reduce((n, s) => n + s.size, 0),
        shares,
      };
    })
    .sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
}

/**
 * The `Status:` text `weave status` would print, with the template's precedence (§6.1):
 * all owners unreachable, then pending allocations, then ready; without a ring, consensus,
 * priming or idle.
 */
export function deriveIpamStatus(
  ipam: Pick<ReportIpam, "entries" | "paxos" | "pendingAllocates">,
): IpamStatusKind {
  if (ipam.entries && ipam.entries.length > 0) {
    if (!ipam.entries.some((e) => e.size > 0 && e.isKnownPeer)) return "all-owners-unreachable";
    if (ipam.pendingAllocates.length > 0) return "waiting-for-ips";
    return "ready";
  }
  if (ipam.paxos) return ipam.paxos.elector ? "awaiting-consensus" : "priming";
  return "idle";
}

function readIpam(r: Reader): ReportIpam {
  const entriesR = r.get("Entries");
  const entries: IpamEntry[] | null = entriesR.isNull()
    ? null
    : entriesR.list().map((e) => ({
        token: e.get("Token").str(),
        size: e.get("Size").num(),
        peer: e.get("Peer").str(),
        nickname: e.get("Nickname").str(),
        isKnownPeer: e.get("IsKnownPeer").bool(),
        version: e.get("Version").num(),
      }));
  const px = r.get("Paxos");
  const paxos = px.isNull()
    ? null
    : {
        elector: px.get("Elector").bool(),
        knownNodes: px.has("KnownNodes") ? px.get("KnownNodes").num() : 0,
        quorum: px.has("Quorum") ? px.get("Quorum").num() : 0,
      };
  const range = r.get("Range").str();
  parseCidrOrThrow(range, `${r.path}.Range`);
  const pendingClaims = r
    .get("PendingClaims")
    .list()
    .map((c) => ({
      ident: c.get("Ident").str(),
      cidr: `${c.get("CIDR").get("Addr").str()}/${c.get("CIDR").get("PrefixLen").num()}`,
    }));
  const pendingAllocates = r
    .get("PendingAllocates")
    .list()
    .map((p) => p.str());
  const base = {
    paxos,
    range,
    rangeNumIPs: r.get("RangeNumIPs").num(),
    activeIPs: r.get("ActiveIPs").num(),
    defaultSubnet: r.get("DefaultSubnet").str(),
    entries,
    owners: entries ? ownersFromEntries(entries) : [],
    pendingClaims,
    pendingAllocates,
  };
  return { ...base, status: deriveIpamStatus(base) };
}

function parseCidrOrThrow(cidr: string, path: string): void {
  try {
    parseCidr(cidr);
  } catch (e) {
    throw reportParseError(`report ${path}: ${(e as Error).message}`);
  }
}

function readDns(r: Reader): ReportDns {
  return {
    domain: r.get("Domain").str(),
    upstream: r
      .get("Upstream")
      .list()
      .map((u) => u.str()),
    address: r.has("Address") ? r.get("Address").str() : "",
    ttl: r.get("TTL").num(),
    entries: r
      .get("Entries")
      .list()
      .map((e) => ({
        hostname: e.get("Hostname").str(),
        origin: e.get("Origin").str(),
        containerId: e.get("ContainerID").str(),
        address: e.get("Address").str(),
        version: e.get("Version").num(),
        tombstone: e.get("Tombstone").num(),
      })),
  };
}

/**
 * Parse report JSON text (the whole report, or the `consensus` view's fields). Throws
 * `ReportParseError` naming the missing or mistyped field.
 */
export function parseReport(text: string, view: ReportView = "full"): WeaveReport {
  let raw: Json;
  try {
    raw = JSON.parse(quoteBigUids(text)) as Json;
  } catch (e) {
    const head = text.slice(0, 80).replace(/\s+/g, " ");
    throw reportParseError(
      `report is not JSON (${(e as Error).message}); it starts with ${JSON.stringify(head)}`,
    );
  }
  const r = new Reader(raw, "$");
  const vc = r.get("VersionCheck");
  const report: WeaveReport = {
    // `Ready` is absent from builds before 2.6; treat absence as ready since /report answered.
    ready: r.has("Ready") ? r.get("Ready").bool() : true,
    version: r.get("Version").str(),
    versionCheck: vc.isNull()
      ? { enabled: false, success: false, newVersion: "", nextCheckAt: "" }
      : {
          enabled: vc.get("Enabled").bool(),
          success: vc.get("Success").bool(),
          newVersion: vc.get("NewVersion").str(),
          nextCheckAt: vc.get("NextCheckAt").str(),
        },
    router: readRouter(r.get("Router"), view),
  };
  if (r.has("IPAM")) report.ipam = readIpam(r.get("IPAM"));
  if (r.has("DNS")) report.dns = readDns(r.get("DNS"));
  if (r.has("Proxy")) {
    report.proxy = {
      addresses: r
        .get("Proxy")
        .get("Addresses")
        .list()
        .map((a) => a.str()),
    };
  }
  if (r.has("Plugin")) {
    const p = r.get("Plugin");
    const cfg = p.get("Config");
    report.plugin = {
      driverName: p.has("DriverName") ? p.get("DriverName").str() : "",
      enabled: cfg.has("Enable") ? cfg.get("Enable").bool() : false,
      enabledV2: cfg.has("EnableV2") ? cfg.get("EnableV2").bool() : false,
    };
    if (p.has("MeshDriverName")) report.plugin.meshDriverName = p.get("MeshDriverName").str();
  }
  return report;
}
