/**
 * The router's state as `/status*` and `/report` show it (a `RouterSnapshot`, rendered by
 * `render.ts`): connections and targets, peers, IPAM, weaveDNS, proxy and plugin.
 */
import * as crypto from "crypto";
import { formatCidr, formatIp } from "./ip";
import { goTimeString } from "./render";
import { entryEnd } from "./ring";
import type { Router } from "./router";
import { ConnectionView, DnsEntryView, IpamView, PeerView, RouterSnapshot } from "./view";

export class Snapshots {
  /** First time each local MAC was seen: `LastSeen` then stays put like a quiet real interface's. */
  private readonly macSeen = new Map<string, Date>();

  constructor(private readonly r: Router) {}

  take(): RouterSnapshot {
    const r = this.r;
    const cfg = r.cfg;
    const connections = this.connections();
    const peers: PeerView[] = [...r.peers.values()].map((p) => ({
      Name: p.name,
      NickName: p.nick,
      UID: p.uid,
      ShortID: p.shortId,
      Version: p.version,
      Connections: p.connections.length === 0 ? null : p.connections,
    }));
    const snap: RouterSnapshot = {
      ready: r.ready,
      version: r.opts.version,
      versionCheck: {
        enabled: !r.opts.checkpointDisabled,
        nextCheckAt: new Date(r.started + 6 * 3600 * 1000),
      },
      name: r.name,
      nickName: cfg.nickname,
      port: cfg.port,
      encryption: cfg.password !== undefined,
      peerDiscovery: cfg.discovery,
      protocolMin: cfg.minProtocol,
      protocolMax: 2,
      peers,
      connections,
      targets: r.targets.direct().map((t) => t.given),
      trustedSubnets: cfg.trustedSubnets,
      terminationCount: r.connections.terminationCount,
      macs: this.macViews(),
    };
    const ipam = this.ipam();
    if (ipam) snap.ipam = ipam;
    if (cfg.dns) {
      const entries: DnsEntryView[] = r.dns.allEntries().map((e) => ({
        Hostname: e.hostname,
        Origin: e.origin,
        ContainerID: e.cid,
        Address: e.ip,
        Version: e.version,
        Tombstone: e.tombstone,
      }));
      snap.dns = {
        Domain: cfg.dnsDomain,
        Upstream: r.dns.upstream.length ? r.dns.upstream : null,
        Address: cfg.dnsListen,
        TTL: cfg.dnsTtl,
        Entries: entries.length ? entries : null,
      };
    }
    if (cfg.proxy) snap.proxy = { Addresses: cfg.proxyAddrs };
    if (cfg.plugin)
      snap.plugin = {
        defaultSubnet: formatCidr(cfg.defaultSubnet ?? cfg.range ?? { start: 0, prefix: 0 }),
        dns: cfg.dns,
      };
    return snap;
  }

  /** Established connections, then the targets not connected (connecting, retrying, failed). */
  private connections(): ConnectionView[] {
    const r = this.r;
    const connections: ConnectionView[] = [];
    for (const c of r.connections.conns.values()) {
      if (c.state !== "established" || !c.peer) continue;
      const info = `${c.encrypted ? "encrypted".padEnd(11) + " " : ""}${"sleeve".padEnd(6)} ${c.peer.name}(${c.peer.nick})`;
      connections.push({
        Address: c.address,
        Outbound: c.outbound,
        State: "established",
        Info: info,
        Attrs: c.encrypted ? { encrypted: true, mtu: 1414, name: "sleeve" } : { mtu: 1438, name: "sleeve" },
      });
    }
    for (const t of r.targets.byAddr.values()) {
      if (r.connections.connectedTo(t)) continue;
      const addr = `${t.host}:${t.port}`;
      // A dial in progress after a failure shows "retrying" with the previous error.
      if (t.state === "connecting" || (t.dialing && !t.lastError)) {
        connections.push({ Address: addr, Outbound: true, State: "connecting", Info: "", Attrs: null });
      } else if (t.dialing || t.state === "retrying") {
        connections.push({
          Address: addr,
          Outbound: true,
          State: "retrying",
          Info: t.lastError ?? "",
          Attrs: null,
        });
      } else if (t.state === "failed") {
        const retry =
          t.never || !t.retryAt
            ? "never"
            : goTimeString(t.retryAt, crypto.randomInt(0, 1_000_000), t.retryMono);
        connections.push({
          Address: addr,
          Outbound: true,
          State: "failed",
          Info: `${t.lastError ?? ""}, retry: ${retry}`,
          Attrs: null,
        });
      }
    }
    return connections;
  }

  private ipam(): IpamView | undefined {
    const r = this.r;
    const cfg = r.cfg;
    const ipam = r.ipam;
    if (!ipam || !cfg.range) return undefined;
    const ring = ipam.ring;
    return {
      Paxos: ipam.paxosView(),
      Range: formatCidr(cfg.range),
      RangeNumIPs: cfg.range.size,
      ActiveIPs: ipam.activeCount(),
      DefaultSubnet: formatCidr(cfg.defaultSubnet ?? cfg.range),
      Entries:
        ring.entries.length === 0
          ? null
          : ring.entries.map((e, i) => ({
              Token: formatIp(e.token),
              Size: entryEnd(ring, i) - e.token,
              Peer: e.peer,
              Nickname: r.nicks.get(e.peer) ?? e.nickname,
              IsKnownPeer: r.peers.has(e.peer),
              Version: e.version,
            })),
      PendingClaims:
        ipam.pendingClaims.length === 0
          ? null
          : ipam.pendingClaims.map((c) => ({
              Ident: c.ident,
              CIDR: { Addr: formatIp(c.addr), PrefixLen: c.prefix },
            })),
      PendingAllocates:
        ipam.pending.length === 0
          ? null
          : ipam.pending.map((p) => `${p.ident} ${formatIp(p.start)}/${p.prefix}`),
      status: ipam.statusText(),
    };
  }

  private macViews(): RouterSnapshot["macs"] {
    const r = this.r;
    const macs = r.opts.localMacs?.() ?? [];
    return macs.map((mac) => {
      let seen = this.macSeen.get(mac);
      if (!seen) {
        seen = new Date();
        this.macSeen.set(mac, seen);
      }
      // Weave prints Go's RFC 3339 with nanoseconds.
      const iso = seen.toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}000000Z`);
      return { Mac: mac, Name: r.name, NickName: r.cfg.nickname, LastSeen: iso };
    });
  }
}
