/**
 * Parsers for `weave status` and its sub-commands (identical to the bodies of `GET /status`,
 * `/status/{ipam,peers,connections,dns,targets}`). Formats: reference §6; real samples in the
 * fixtures. Line order is never relied on (G13); trailing spaces are tolerated (G14).
 */
import type {
  ConnectionCounts,
  ConnectionInfo,
  ConnectionState,
  DnsStatusEntry,
  IpamOwnerLine,
  IpamStatusKind,
  IpamStatusSection,
  Parsed,
  PeerRef,
  PeerTreeEntry,
  WeaveStatusText,
} from "./types";
import { isConnectionState } from "./types";

const PEER_RE = /^([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})\(([^()]*)\)$/;
/** `3e:a2:4a:17:e0:d9(docker1)` → `{ name, nickname }`; undefined if it is not that shape. */
export function parsePeerRef(text: string): PeerRef | undefined {
  const m = PEER_RE.exec(text.trim());
  return m ? { name: m[1].toLowerCase(), nickname: m[2] } : undefined;
}

/** Lines without the trailing `\r`/spaces, blank ones dropped. */
function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/\s+$/, ""))
    .filter((l) => l.length > 0);
}

/** Maps a `Status:` text to its kind (reference §6.1 lists every string the template prints). */
export function ipamStatusKind(status: string): { kind: IpamStatusKind; quorum?: number; known?: number } {
  if (status === "ready") return { kind: "ready" };
  if (status === "idle") return { kind: "idle" };
  if (status === "priming") return { kind: "priming" };
  if (status === "waiting for IP(s) to become available") return { kind: "waiting-for-ips" };
  if (status.startsWith("all IP ranges owned by unreachable peers"))
    return { kind: "all-owners-unreachable" };
  const m = /^awaiting consensus \(quorum: (\d+), known: (\d+)\)$/.exec(status);
  if (m) return { kind: "awaiting-consensus", quorum: Number(m[1]), known: Number(m[2]) };
  return { kind: "unknown" };
}

/** `3 (2 established, 1 failed)` → counts; undefined if malformed. */
function parseConnectionCounts(v: string): ConnectionCounts | undefined {
  const m = /^(\d+)(?: \((.*)\))?$/.exec(v);
  if (!m) return undefined;
  const byState: Partial<Record<ConnectionState, number>> = {};
  for (const part of m[2] ? m[2].split(", ") : []) {
    const p = /^(\d+) (\w+)$/.exec(part);
    if (!p || !isConnectionState(p[2])) return undefined;
    byState[p[2] as ConnectionState] = Number(p[1]);
  }
  return { total: Number(m[1]), byState };
}

/**
 * `4 (with 12 established, 1 pending connections)` → counts. Either part may be missing
 * (`2 (with 2 pending connections)`), as Weave prints only the non-zero ones.
 */
function parsePeersLine(v: string): { peers: number; established: number; pending: number } | undefined {
  const m = /^(\d+)(?: \(with (.+) connections\))?$/.exec(v);
  if (!m) return undefined;
  const counts = { established: 0, pending: 0 };
  for (const part of m[2] ? m[2].split(", ") : []) {
    const p = /^(\d+) (established|pending)$/.exec(part);
    if (!p) return undefined;
    counts[p[2] as "established" | "pending"] = Number(p[1]);
  }
  return { peers: Number(m[1]), ...counts };
}

/**
 * Parse plain `weave status` (with the CLI's surrounding blank lines) or the bare `/status`
 * body. Sections that are switched off (proxy, plugin, DNS, IPAM) are simply absent.
 */
export function parseStatus(text: string): WeaveStatusText {
  const out: WeaveStatusText = { unparsed: [] };
  let section: string | undefined;
  const fields: Record<string, Record<string, string>> = {};
  for (const line of lines(text)) {
    const m = /^\s*([A-Za-z]+): (.*)$/.exec(line);
    if (!m) {
      out.unparsed.push(line);
      continue;
    }
    const [, key, value] = m;
    if (key === "Version" && section === undefined) {
      const v = /^(\S+)(?: \((.*)\))?$/.exec(value);
      out.version = v ? v[1] : value;
      if (v?.[2] !== undefined) out.versionCheck = v[2];
      continue;
    }
    if (key === "Service") {
      section = value;
      fields[section] = {};
      continue;
    }
    if (section === undefined) {
      out.unparsed.push(line);
      continue;
    }
    fields[section][key] = value;
  }

  // Each section consumes the keys it knows; whatever is left is reported as unparsed.
  const take = (sec: Record<string, string>, key: string): string | undefined => {
    const v = sec[key];
    delete sec[key];
    return v;
  };
  const bad = (sec: string, key: string, value: string | undefined): void => {
    out.unparsed.push(`${sec}: ${key}: ${value ?? "(missing)"}`);
  };

  const router = fields["router"];
  if (router) {
    const name = take(router, "Name");
    const peer = name !== undefined ? parsePeerRef(name) : undefined;
    const connections = parseConnectionCounts(take(router, "Connections") ?? "");
    const peersLine = parsePeersLine(take(router, "Peers") ?? "");
    const targets = take(router, "Targets");
    const encryption = take(router, "Encryption");
    const discovery = take(router, "PeerDiscovery");
    const trusted = take(router, "TrustedSubnets");
    const protocol = take(router, "Protocol");
    if (!peer) bad("router", "Name", name);
    if (!connections) bad("router", "Connections", undefined);
    if (!peersLine) bad("router", "Peers", undefined);
    if (targets === undefined || !/^\d+$/.test(targets)) bad("router", "Targets", targets);
    if (peer && connections && peersLine) {
      out.router = {
        protocol: protocol ?? "",
        peer,
        encryption: encryption === "enabled",
        peerDiscovery: discovery === "enabled",
        targets: Number(targets ?? 0),
        connections,
        peers: peersLine.peers,
        establishedPeerConnections: peersLine.established,
        pendingPeerConnections: peersLine.pending,
        trustedSubnets: trusted === undefined || trusted === "none" ? [] : trusted.split(", "),
      };
    }
  }

  const ipam = fields["ipam"];
  if (ipam) {
    const status = take(ipam, "Status") ?? "";
    const range = take(ipam, "Range") ?? "";
    const defaultSubnet = take(ipam, "DefaultSubnet") ?? range;
    const k = ipamStatusKind(status);
    if (k.kind === "unknown") bad("ipam", "Status", status);
    const section: IpamStatusSection = { status, kind: k.kind, range, defaultSubnet };
    if (k.quorum !== undefined) section.quorum = k.quorum;
    if (k.known !== undefined) section.known = k.known;
    out.ipam = section;
  }

  const dns = fields["dns"];
  if (dns) {
    const upstream = take(dns, "Upstream");
    out.dns = {
      domain: take(dns, "Domain") ?? "",
      upstream: upstream === undefined || upstream === "none" ? [] : upstream.split(", "),
      ttl: Number(take(dns, "TTL") ?? NaN),
      entries: Number(take(dns, "Entries") ?? NaN),
    };
    if (Number.isNaN(out.dns.ttl) || Number.isNaN(out.dns.entries)) bad("dns", "TTL/Entries", undefined);
  }

  const proxy = fields["proxy"];
  if (proxy) {
    const list = take(proxy, "Address") ?? "none";
    out.proxy = { addresses: list === "none" ? [] : list.split(", ") };
  }

  for (const kind of ["legacy", "v2"] as const) {
    const plugin = fields[`plugin (${kind})`];
    if (!plugin) continue;
    const driverName = take(plugin, "DriverName");
    out.plugin = driverName !== undefined ? { kind, driverName } : { kind };
  }

  const known = new Set(["router", "ipam", "dns", "proxy", "plugin (legacy)", "plugin (v2)"]);
  for (const [sec, rest] of Object.entries(fields)) {
    if (!known.has(sec)) out.unparsed.push(`Service: ${sec}`);
    for (const [k, v] of Object.entries(rest)) out.unparsed.push(`${sec}: ${k}: ${v}`);
  }
  return out;
}

/** `weave status ipam` / `GET /status/ipam`. Empty output (idle, or nothing owned) gives `[]`. */
export function parseStatusIpam(text: string): Parsed<IpamOwnerLine[]> {
  const value: IpamOwnerLine[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const m = /^(\S+)\s+(\d+) IPs \((\d+(?:\.\d+)?)% of total\)(?: (.*))?$/.exec(line);
    const peer = m ? parsePeerRef(m[1]) : undefined;
    const info = m?.[4] ?? "";
    const active = /^\((\d+) active\)$/.exec(info);
    if (!m || !peer || !(info === "" || active || info === "- unreachable!")) {
      unparsed.push(line);
      continue;
    }
    const entry: IpamOwnerLine = {
      peer,
      size: Number(m[2]),
      percent: Number(m[3]),
      local: active !== null,
      unreachable: info === "- unreachable!",
    };
    if (active) entry.active = Number(active[1]);
    value.push(entry);
  }
  return { value, unparsed };
}

/** `weave status peers`: each peer followed by its indented connections. */
export function parseStatusPeers(text: string): Parsed<PeerTreeEntry[]> {
  const value: PeerTreeEntry[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const top = parsePeerRef(line);
    if (top && !line.startsWith(" ")) {
      value.push({ peer: top, connections: [] });
      continue;
    }
    const m = /^\s+(->|<-) (\S+)\s+(\S+)\s+(\S+)$/.exec(line);
    const peer = m ? parsePeerRef(m[3]) : undefined;
    const owner = value[value.length - 1];
    if (!m || !peer || !owner) {
      unparsed.push(line);
      continue;
    }
    owner.connections.push({
      direction: m[1] === "->" ? "outbound" : "inbound",
      address: m[2],
      peer,
      state: m[4],
    });
  }
  return { value, unparsed };
}

/**
 * Attrs are printed as `key=value` pairs with no separator (`encrypted=truemtu=1414`, G14).
 * Values Weave prints are booleans or integers, which makes the run splittable.
 */
export function parseAttrs(text: string): Record<string, string | number | boolean> | undefined {
  const out: Record<string, string | number | boolean> = {};
  const re = /([A-Za-z_]+)=(true|false|-?\d+)/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    out[m[1]] = m[2] === "true" ? true : m[2] === "false" ? false : Number(m[2]);
    pos = re.lastIndex;
  }
  return out;
}

/**
 * Read the info text of a connection (`status connections`, or report `Info` + `Attrs`).
 * `attrs` is passed when they are known separately (the report); otherwise they are split off
 * the end of the status line. Returns undefined if the text does not fit the state.
 */
export function parseConnectionInfo(
  base: { direction: "outbound" | "inbound"; address: string; state: ConnectionState },
  infoText: string,
  attrs?: Record<string, string | number | boolean>,
): ConnectionInfo | undefined {
  const info = infoText.replace(/\s+$/, "");
  const out: ConnectionInfo = { ...base, attrs: {}, info };
  if (base.state === "established" || base.state === "pending") {
    const m = /^(?:(encrypted|unencrypted)\s+)?(\S+)\s+(\S+\([^()]*\))(?: (\S*))?$/.exec(info);
    const peer = m ? parsePeerRef(m[3]) : undefined;
    if (!m || !peer) return undefined;
    const parsedAttrs = attrs ?? (m[4] ? parseAttrs(m[4]) : {});
    if (!parsedAttrs) return undefined;
    out.peer = peer;
    out.overlay = m[2];
    if (m[1]) out.encrypted = m[1] === "encrypted";
    // The report repeats the overlay as attr `name`; it is not an attr of the link itself.
    const rest = Object.fromEntries(Object.entries(parsedAttrs).filter(([k]) => k !== "name"));
    out.attrs = rest;
    if (typeof rest.mtu === "number") out.mtu = rest.mtu;
    return out;
  }
  if (attrs) out.attrs = attrs;
  if (info === "") return out;
  const retryAt = info.lastIndexOf(", retry: ");
  if (retryAt >= 0) {
    out.error = info.slice(0, retryAt);
    out.retry = info.slice(retryAt + ", retry: ".length);
  } else {
    out.error = info;
  }
  return out;
}

/** `weave status connections`: established/pending connections, then targets not connected yet. */
export function parseStatusConnections(text: string): Parsed<ConnectionInfo[]> {
  const value: ConnectionInfo[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const m = /^(->|<-) (\S+)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (!m || !isConnectionState(m[3])) {
      unparsed.push(line);
      continue;
    }
    const c = parseConnectionInfo(
      { direction: m[1] === "->" ? "outbound" : "inbound", address: m[2], state: m[3] as ConnectionState },
      (m[4] ?? "").trim(),
    );
    if (c) value.push(c);
    else unparsed.push(line);
  }
  return { value, unparsed };
}

/** `weave status dns`: live entries, sorted by Weave. */
export function parseStatusDns(text: string): Parsed<DnsStatusEntry[]> {
  const value: DnsStatusEntry[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 4 || !/^[0-9a-fA-F:]{17}$/.test(parts[3])) {
      unparsed.push(line);
      continue;
    }
    value.push({ hostname: parts[0], address: parts[1], containerId: parts[2], origin: parts[3] });
  }
  return { value, unparsed };
}

/** `weave status targets`: one target per line, as given to launch/connect. */
export function parseStatusTargets(text: string): Parsed<string[]> {
  const value: string[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    if (/^\S+$/.test(line)) value.push(line);
    else unparsed.push(line);
  }
  return { value, unparsed };
}
