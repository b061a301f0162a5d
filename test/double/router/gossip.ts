/**
 * Gossip over established connections: our own peer record (following our connections), the
 * peer list and topology (who links to whom, unreachable peers pruned), peer discovery, delta
 * gossip of peers, ring, Paxos records and DNS sets, and unicast messages routed through the
 * mesh (IPAM donations and claims).
 */
import * as crypto from "crypto";
import { splitHostPort } from "./addr";
import type { Conn } from "./connections";
import { cloneRing, mergeRing } from "./ring";
import type { Router } from "./router";
import { DnsSet, Msg, PeerRecord, ringSig, toWire, Unicast } from "./wire";

const GOSSIP_EVERY_TICKS = 30;
const GOSSIP_DELAY_MS = 50;
const RELAY_INTERVAL_MS = 1000;

type Sent = NonNullable<Conn["sent"]>;

const nothingSent = (): Sent => ({
  peers: new Map(),
  dns: new Map(),
  paxos: new Map(),
  ring: undefined,
  nicks: 0,
});

export class Gossip {
  /** Our own peer record's version. */
  private version = 0;
  private queued = false;
  private ticks = 0;
  private seenUnicast = new Set<string>();
  /** A record's wire JSON is the same for every neighbour: encode it once per version. */
  private wireCache = new Map<string, { key: string; json: string }>();

  constructor(private readonly r: Router) {}

  /** The router's periodic tick. */
  tick(): void {
    // Changes are pushed at once; this periodic full-state round only repairs what a lost
    // message missed, so it can be rare (Weave gossips every 30 s).
    if (++this.ticks % GOSSIP_EVERY_TICKS === 0) this.forgetSent();
    this.queue();
  }

  // ---- topology ------------------------------------------------------------------------------

  /** Our own peer record follows our established connections. */
  /** `lost`: a connection went away, so some peers may have become unreachable. */
  updateSelf(lost: boolean): void {
    const r = this.r;
    const me = r.peers.get(r.name)!;
    me.connections = [...r.connections.conns.values()]
      .filter((c) => c.state === "established" && c.peer)
      .map((c) => ({
        Name: c.peer!.name,
        NickName: c.peer!.nick,
        Address: c.address,
        Outbound: c.outbound,
        Established: true,
      }));
    me.listens = {};
    for (const c of r.connections.conns.values())
      if (c.state === "established" && c.peer && c.listenAddr) me.listens[c.peer.name] = c.listenAddr;
    me.version = ++this.version;
    if (lost) this.pruneUnreachable();
    this.queue();
  }

  /** Peers not reachable over symmetric connections are dropped, with their DNS entries. */
  private pruneUnreachable(): void {
    const r = this.r;
    const links = new Map<string, Set<string>>();
    for (const p of r.peers.values()) links.set(p.name, new Set(p.connections.map((c) => c.Name)));
    const seen = new Set<string>([r.name]);
    const queue = [r.name];
    while (queue.length) {
      const u = queue.shift()!;
      for (const v of links.get(u) ?? []) {
        if (seen.has(v) || !links.has(v)) continue;
        if (u !== r.name && !links.get(v)!.has(u)) continue;
        seen.add(v);
        queue.push(v);
      }
    }
    for (const [name, p] of r.peers) {
      if (seen.has(name)) continue;
      r.peers.delete(name);
      r.log.info(`Removed unreachable peer ${name}(${p.nick})`);
      r.log.info(`[nameserver ${r.name}] peer ${name} gone`);
      r.dns.sets.delete(name);
      r.ipam?.paxos.delete(name);
    }
  }

  private reachableVia(p: PeerRecord, all: PeerRecord[]): boolean {
    return all.some(
      (q) =>
        q.name !== p.name &&
        q.connections.some((x) => x.Name === p.name) &&
        p.connections.some((x) => x.Name === q.name),
    );
  }

  /** Peer discovery: dial addresses our peers dial, when we have no connection to that peer. */
  private discover(changed: Iterable<PeerRecord> = this.r.peers.values()): void {
    const r = this.r;
    if (!r.cfg.discovery) return;
    const connected = new Set<string>();
    for (const x of r.connections.conns.values()) if (x.peer) connected.add(x.peer.name);
    for (const p of changed) {
      if (p.name === r.name) continue;
      for (const c of p.connections) {
        if (c.Name === r.name || connected.has(c.Name)) continue;
        // Inbound connections show an ephemeral port; dial where that peer listens (fixture 05:
        // docker3, told only of docker1, also connects to docker2).
        const addr = c.Outbound ? c.Address : p.listens[c.Name];
        if (!addr) continue;
        const [host, port] = splitHostPort(addr, r.cfg.port);
        if (!r.targets.byAddr.has(`${host}:${port}`)) r.targets.add(addr, host, Number(port), false);
      }
    }
  }

  // ---- gossip --------------------------------------------------------------------------------

  queue(): void {
    if (this.queued) return;
    this.queued = true;
    // A short delay batches the bursts of changes a lab start produces into one message.
    setTimeout(() => {
      this.queued = false;
      if (this.r.stopped) return;
      for (const c of this.r.connections.established()) this.sendTo(c);
    }, GOSSIP_DELAY_MS);
  }

  /** Send pending news now: `weave reset` kills the router half a second after `DELETE /peer`. */
  flush(): void {
    if (this.r.stopped) return;
    for (const c of this.r.connections.established()) this.sendTo(c);
  }

  /** Full state on the next round to every neighbour (anti-entropy). */
  private forgetSent(): void {
    for (const c of this.r.connections.conns.values()) c.sent = undefined;
  }

  private ringSignature(): string {
    return this.r.ipam ? ringSig(this.r.ipam.ring) : "";
  }

  private wireJson(p: PeerRecord): string {
    const key = `${p.uid}:${p.version}`;
    const hit = this.wireCache.get(p.name);
    if (hit && hit.key === key) return hit.json;
    const json = JSON.stringify(toWire(p));
    this.wireCache.set(p.name, { key, json });
    return json;
  }

  /**
   * Send what this neighbour has not had from us yet: newer peer records, DNS sets and Paxos
   * records, and the ring when it changed. Deltas keep a 32-host lab on two cores cheap.
   */
  sendTo(c: Conn): void {
    const r = this.r;
    const sent = (c.sent ??= nothingSent());
    // A neighbour hears a peer's own news from that peer when they are connected; relaying it too
    // would make every update cost N² messages in a full mesh.
    const theirLinks = new Set((r.peers.get(c.peer?.name ?? "")?.connections ?? []).map((x) => x.Name));
    // Third-party news goes out at most once a second per neighbour, so that while a mesh forms
    // (and our picture of who links to whom lags) we do not relay what the origin is sending anyway.
    const now = Date.now();
    const relayNow = now - (c.lastRelay ?? 0) >= RELAY_INTERVAL_MS;
    const relay = (origin: string): boolean => origin === r.name || (relayNow && !theirLinks.has(origin));
    const peers = [...r.peers.values()].filter(
      (p) => relay(p.name) && sent.peers.get(p.name) !== `${p.uid}:${p.version}`,
    );
    const dns: Record<string, DnsSet> = {};
    for (const [origin, set] of r.dns.sets)
      if (relay(origin) && sent.dns.get(origin) !== set.version) dns[origin] = set;
    const paxos = r.ipam
      ? [...r.ipam.paxos.values()].filter((x) => relay(x.name) && sent.paxos.get(x.name) !== x.version)
      : [];
    const sig = this.ringSignature();
    const ring = r.ipam && sig !== sent.ring ? cloneRing(r.ipam.ring) : null;
    const nicks = r.nicks.size !== sent.nicks ? Object.fromEntries(r.nicks) : {};
    if (!peers.length && !Object.keys(dns).length && !paxos.length && !ring && !Object.keys(nicks).length)
      return;
    r.connections.sendRaw(
      c,
      `{"t":"gossip","peers":[${peers.map((p) => this.wireJson(p)).join(",")}],"ring":${JSON.stringify(ring)},"paxos":${JSON.stringify(paxos)},"dns":${JSON.stringify(dns)},"nicks":${JSON.stringify(nicks)}}`,
    );
    if (relayNow) c.lastRelay = now;
    for (const p of peers) sent.peers.set(p.name, `${p.uid}:${p.version}`);
    for (const [origin, set] of Object.entries(dns)) sent.dns.set(origin, set.version);
    for (const x of paxos) sent.paxos.set(x.name, x.version);
    sent.ring = sig;
    sent.nicks = r.nicks.size;
  }

  onGossip(c: Conn, m: Extract<Msg, { t: "gossip" }>): void {
    const r = this.r;
    // A ring we cannot merge (other range or seeds) drops the link before we take anything else
    // from it: a wrong-range host learns no peers and dials nobody else (fixture 06: docker4 keeps
    // one failed target, Peers: 1).
    if (r.ipam && m.ring) {
      const check = mergeRing(r.ipam.ring, m.ring, r.name);
      if (!check.ok) {
        r.connections.drop(c, check.error);
        // Gone from our view at once, as in Weave (the socket itself is reset a moment later):
        // status must not show it established meanwhile, nor hide the target's failure.
        r.connections.closed(c);
        return;
      }
    }
    // What a neighbour sent us it already has: never echo it back.
    const sent = (c.sent ??= nothingSent());
    const incoming: PeerRecord[] = m.peers.map((w) => ({
      name: w.name,
      nick: w.nick,
      uid: w.uid,
      shortId: w.shortId,
      version: w.version,
      connections: w.conns.map(([name, address, out]) => ({
        Name: name,
        NickName: r.nicks.get(name) ?? m.nicks[name] ?? "",
        Address: address,
        Outbound: out === 1,
        Established: true,
      })),
      listens: Object.fromEntries(w.conns.filter((x) => x[3]).map((x) => [x[0], x[3]])),
    }));
    for (const p of incoming)
      if (!sent.peers.has(p.name) || (r.peers.get(p.name)?.version ?? -1) <= p.version)
        sent.peers.set(p.name, `${p.uid}:${p.version}`);
    for (const [origin, set] of Object.entries(m.dns)) sent.dns.set(origin, set.version);
    for (const x of m.paxos) sent.paxos.set(x.name, x.version);
    let changed = false;
    for (const [n, nick] of Object.entries(m.nicks)) if (nick && !r.nicks.has(n)) r.nicks.set(n, nick);
    let lostLink = false;
    const fresh: PeerRecord[] = [];
    for (const p of incoming) {
      if (p.name === r.name) continue;
      const cur = r.peers.get(p.name);
      // A restarted peer (new UID) is believed from itself; third parties may still carry its old record.
      const restarted = cur !== undefined && p.uid !== cur.uid && c.peer?.name === p.name;
      if (!cur || restarted || (p.uid === cur.uid && p.version > cur.version)) {
        // A stale record of a peer we just lost must not resurrect it: only neighbours' views count.
        if (!cur && !this.reachableVia(p, [...incoming, ...r.peers.values()])) continue;
        // Only a lost link can make peers unreachable; new links need no reachability pass.
        if (cur && cur.connections.some((x) => !p.connections.some((y) => y.Name === x.Name)))
          lostLink = true;
        r.peers.set(p.name, { ...p });
        r.nicks.set(p.name, p.nick);
        fresh.push(p);
        changed = true;
      }
    }
    if (lostLink) this.pruneUnreachable();
    if (changed) this.discover(fresh);
    if (r.ipam && m.ring) {
      const err = r.ipam.mergeRing(m.ring);
      if (err) return r.connections.drop(c, err);
      if (m.ring.entries.length > 0 && ringSig(m.ring) === this.ringSignature())
        sent.ring = this.ringSignature();
    }
    if (r.ipam && m.paxos.length) r.ipam.mergePaxos(m.paxos);
    const dnsChanged = r.dns.merge(m.dns);
    if (changed || dnsChanged) this.queue();
  }

  // ---- unicast -------------------------------------------------------------------------------

  sendUnicast(to: string, body: Unicast): void {
    const r = this.r;
    const m: Msg = { t: "uni", id: crypto.randomBytes(8).toString("hex"), to, from: r.name, body };
    this.seenUnicast.add(m.id);
    for (const c of r.connections.established()) r.connections.send(c, m);
  }

  onUnicast(from: Conn, m: Extract<Msg, { t: "uni" }>): void {
    const r = this.r;
    if (this.seenUnicast.has(m.id)) return;
    this.seenUnicast.add(m.id);
    if (m.to !== r.name) {
      for (const c of r.connections.established()) if (c !== from) r.connections.send(c, m);
      return;
    }
    const ipam = r.ipam;
    if (!ipam) return;
    const b = m.body;
    if (b.k === "donate") {
      ipam.donate(m.from, b.start, b.end);
      this.queue();
    } else if (b.k === "claim") {
      const res = ipam.donateSingle(m.from, b.addr);
      if (res === "used") this.sendUnicast(m.from, { k: "claim-used", addr: b.addr });
      this.queue();
    } else if (b.k === "claim-used") {
      ipam.claimRefused(b.addr, m.from);
    }
  }
}
