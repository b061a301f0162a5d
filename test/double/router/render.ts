/**
 * Weave 2.8.1's status templates and report JSON, reproduced from reference §6–§7 and the
 * fixtures. Pure: a {@link RouterSnapshot} in, bytes out.
 */
import { ConnectionView, RouterSnapshot } from "./view";

const label = (name: string, value: string | number): string => `${name.padStart(15)}: ${value}\n`;

/** Go's `%04.1f` of a float32 percentage (ties round to even on the exact binary value). */
export function goPercent(size: number, total: number): string {
  const x = Math.fround(Math.fround(size * 100) / Math.fround(total));
  const scaled = x * 10; // exact: a float32 times 10 fits a double's mantissa
  const lo = Math.floor(scaled);
  const diff = scaled - lo;
  const r = diff > 0.5 ? lo + 1 : diff < 0.5 ? lo : lo % 2 === 0 ? lo : lo + 1;
  const s = `${Math.floor(r / 10)}.${r % 10}`;
  return s.padStart(4, "0");
}

/** Go's `time.Time.String()` for UTC (trailing zeros of the fraction trimmed). */
export function goTimeString(d: Date, extraNanos = 0, monotonicSeconds?: number): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const nanos = d.getUTCMilliseconds() * 1_000_000 + extraNanos;
  const frac = nanos === 0 ? "" : "." + String(nanos).padStart(9, "0").replace(/0+$/, "");
  const base = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac} +0000 UTC`;
  return monotonicSeconds === undefined ? base : `${base} m=+${monotonicSeconds.toFixed(9)}`;
}

function versionLine(s: RouterSnapshot): string {
  if (!s.versionCheck.enabled) return `${s.version} (version check update disabled)`;
  const d = s.versionCheck.nextCheckAt;
  const p = (n: number): string => String(n).padStart(2, "0");
  const at = `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return `${s.version} (failed to check latest version - see logs; next check at ${at})`;
}

const STATE_ORDER = ["established", "pending", "retrying", "failed", "connecting"] as const;

function connectionsSummary(conns: ConnectionView[]): string {
  if (conns.length === 0) return "0";
  const parts: string[] = [];
  for (const st of STATE_ORDER) {
    const n = conns.filter((c) => c.State === st).length;
    if (n > 0) parts.push(`${n} ${st}`);
  }
  return `${conns.length} (${parts.join(", ")})`;
}

function peersSummary(s: RouterSnapshot): string {
  let est = 0;
  let pend = 0;
  let any = false;
  for (const p of s.peers) {
    for (const c of p.Connections ?? []) {
      any = true;
      if (c.Established) est++;
      else pend++;
    }
  }
  if (!any) return String(s.peers.length);
  return `${s.peers.length} (with ${est} established${pend > 0 ? `, ${pend} pending` : ""} connections)`;
}

/** Body of `GET /status` (the script adds a blank line before and after). */
export function renderStatus(s: RouterSnapshot): string {
  let out = "";
  out += label("Version", versionLine(s));
  out += "\n";
  out += label("Service", "router");
  out += label(
    "Protocol",
    s.protocolMin === s.protocolMax ? `weave ${s.protocolMax}` : `weave ${s.protocolMin}..${s.protocolMax}`,
  );
  out += label("Name", `${s.name}(${s.nickName})`);
  out += label("Encryption", s.encryption ? "enabled" : "disabled");
  out += label("PeerDiscovery", s.peerDiscovery ? "enabled" : "disabled");
  out += label("Targets", s.targets.length);
  out += label("Connections", connectionsSummary(s.connections));
  out += label("Peers", peersSummary(s));
  out += label("TrustedSubnets", s.trustedSubnets.length === 0 ? "none" : s.trustedSubnets.join(", "));
  if (s.ipam) {
    out += "\n";
    out += label("Service", "ipam");
    out += label("Status", s.ipam.status);
    out += label("Range", s.ipam.Range);
    out += label("DefaultSubnet", s.ipam.DefaultSubnet);
  }
  if (s.dns) {
    out += "\n";
    out += label("Service", "dns");
    out += label("Domain", s.dns.Domain);
    out += label(
      "Upstream",
      s.dns.Upstream && s.dns.Upstream.length > 0 ? s.dns.Upstream.join(", ") : "none",
    );
    out += label("TTL", s.dns.TTL);
    out += label("Entries", (s.dns.Entries ?? []).filter((e) => e.Tombstone === 0).length);
  }
  if (s.proxy) {
    out += "\n";
    out += label("Service", "proxy");
    out += label("Address", s.proxy.Addresses.join(","));
  }
  if (s.plugin) {
    out += "\n";
    out += label("Service", "plugin (legacy)");
    out += label("DriverName", "weave");
  }
  return out;
}

export function renderTargets(s: RouterSnapshot): string {
  return s.targets.map((t) => `${t}\n`).join("");
}

function attrsText(a: ConnectionView["Attrs"]): string {
  if (!a) return "";
  return Object.keys(a)
    .filter((k) => k !== "name")
    .sort()
    .map((k) => `${k}=${String(a[k])}`)
    .join("");
}

export function renderConnections(s: RouterSnapshot): string {
  return s.connections
    .map(
      (c) =>
        `${c.Outbound ? "->" : "<-"} ${c.Address.padEnd(21)} ${c.State.padEnd(11)} ${c.Info} ${attrsText(c.Attrs)}\n`,
    )
    .join("");
}

export function renderPeers(s: RouterSnapshot): string {
  let out = "";
  for (const p of s.peers) {
    out += `${p.Name}(${p.NickName})\n`;
    for (const c of p.Connections ?? []) {
      out += `   ${c.Outbound ? "->" : "<-"} ${c.Address.padEnd(21)} ${`${c.Name}(${c.NickName})`.padEnd(37)} ${c.Established ? "established" : "pending"}\n`;
    }
  }
  return out;
}

/**
 * `status ipam`: one line per owning peer, local first (only if it owns something), then the
 * others; unreachable owners are marked, reachable non-local lines keep a trailing space.
 */
export function renderIpam(s: RouterSnapshot, reachable: Set<string>): string {
  const ipam = s.ipam;
  if (!ipam || !ipam.Entries) return "";
  const sizes = new Map<string, { size: number; nick: string }>();
  for (const e of ipam.Entries) {
    const cur = sizes.get(e.Peer) ?? { size: 0, nick: e.Nickname };
    cur.size += e.Size;
    sizes.set(e.Peer, cur);
  }
  const line = (peer: string, info: string): string => {
    const v = sizes.get(peer)!;
    return `${`${peer}(${v.nick})`.padEnd(37)} ${String(v.size).padStart(8)} IPs (${goPercent(v.size, ipam.RangeNumIPs)}% of total) ${info}\n`;
  };
  let out = "";
  if (sizes.has(s.name)) out += line(s.name, `(${ipam.ActiveIPs} active)`);
  for (const peer of sizes.keys()) {
    if (peer === s.name) continue;
    out += line(peer, reachable.has(peer) ? "" : "- unreachable!");
  }
  return out;
}

export function renderDns(s: RouterSnapshot): string {
  const dns = s.dns;
  if (!dns) return "";
  const suffix = "." + dns.Domain;
  const live = (dns.Entries ?? []).filter((e) => e.Tombstone === 0);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  live.sort(
    (a, b) =>
      cmp(a.Hostname.toLowerCase(), b.Hostname.toLowerCase()) ||
      cmp(a.Origin, b.Origin) ||
      cmp(a.ContainerID, b.ContainerID) ||
      cmp(a.Address, b.Address),
  );
  return live
    .map((e) => {
      const host = e.Hostname.toLowerCase().endsWith(suffix.toLowerCase())
        ? e.Hostname.slice(0, e.Hostname.length - suffix.length)
        : e.Hostname;
      return `${host.padEnd(12)} ${e.Address.padEnd(15)} ${e.ContainerID.slice(0, 12).padStart(12)} ${e.Origin}\n`;
    })
    .join("");
}

/** The object `/report` encodes (keys in Weave's order). UIDs are placeholders until encoding. */
export function reportObject(s: RouterSnapshot): Record<string, unknown> {
  const nextCheck = s.versionCheck.enabled
    ? s.versionCheck.nextCheckAt.toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z")
    : "0001-01-01T00:00:00Z";
  const report: Record<string, unknown> = {
    Ready: s.ready,
    Version: s.version,
    VersionCheck: { Enabled: s.versionCheck.enabled, Success: false, NewVersion: "", NextCheckAt: nextCheck },
    Router: {
      Protocol: "weave",
      ProtocolMinVersion: s.protocolMin,
      ProtocolMaxVersion: s.protocolMax,
      Encryption: s.encryption,
      PeerDiscovery: s.peerDiscovery,
      Name: s.name,
      NickName: s.nickName,
      Port: s.port,
      Peers: s.peers.map((p) => ({
        Name: p.Name,
        NickName: p.NickName,
        UID: `@@UID${p.UID}@@`,
        ShortID: p.ShortID,
        Version: p.Version,
        Connections: p.Connections,
      })),
      UnicastRoutes: s.peers.map((p) => ({
        Dest: p.Name,
        Via: p.Name === s.name ? "00:00:00:00:00:00" : p.Name,
      })),
      BroadcastRoutes: broadcastRoutes(s),
      Connections: s.connections.length === 0 ? null : s.connections,
      TerminationCount: s.terminationCount,
      Targets: s.targets.length === 0 ? null : s.targets,
      OverlayDiagnostics: { sleeve: null },
      TrustedSubnets: s.trustedSubnets,
      Interface: "vethwe-pcap (via pcap)",
      CaptureStats: { PacketsDropped: 0, PacketsIfDropped: 0, PacketsReceived: 0 },
      MACs: s.macs.length === 0 ? null : s.macs,
    },
  };
  if (s.ipam) {
    const { status: _status, ...json } = s.ipam;
    void _status;
    report.IPAM = json;
  }
  if (s.dns) report.DNS = s.dns;
  if (s.proxy) report.Proxy = s.proxy;
  if (s.plugin) {
    report.Plugin = {
      Config: {
        Socket: "/run/docker/plugins/weave.sock",
        MeshSocket: "/run/docker/plugins/weavemesh.sock",
        Enable: true,
        EnableV2: false,
        EnableV2Multicast: false,
        DNS: s.plugin.dns,
        DefaultSubnet: s.plugin.defaultSubnet,
        ProcPath: "/proc",
      },
      DriverName: "weave",
      MeshDriverName: "weavemesh",
    };
  }
  return report;
}

/** Only the local peer's broadcast route fans out to its direct neighbours (as observed). */
function broadcastRoutes(s: RouterSnapshot): Array<{ Source: string; Via: string[] | null }> {
  const self = s.peers.find((p) => p.Name === s.name);
  const direct = (self?.Connections ?? []).filter((c) => c.Established).map((c) => c.Name);
  return s.peers.map((p) => ({
    Source: p.Name,
    Via: p.Name === s.name ? (direct.length ? direct : null) : null,
  }));
}

/** Go's JSON encoding with 4-space indent and no trailing newline; UIDs written as raw uint64. */
export function encodeJson(obj: unknown, indent = 4): string {
  const text = JSON.stringify(obj, null, indent === 0 ? undefined : indent)
    .replace(/"@@UID(\d+)@@"/g, "$1")
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026");
  return text;
}

export function renderReport(s: RouterSnapshot): string {
  return encodeJson(reportObject(s));
}
