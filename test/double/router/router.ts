/**
 * The router double: one process per lab host, playing Weave 2.8.1's `weaver` for the parts the
 * CLI and the product observe — the mesh (TCP JSON lines between doubles on port 6783), IPAM,
 * weaveDNS, and the HTTP API. See README.md beside this file for the process contract.
 */
import * as crypto from "crypto";
import * as dgram from "dgram";
import * as dns from "dns";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { optionsLine, RouterConfig } from "./args";
import { buildResponse, parseQuery, RCODE, shuffle } from "./dnswire";
import { Allocator, PaxosRecord } from "./ipam";
import { formatCidr, formatIp, normalisePeerName, parseIp } from "./ip";
import { Logger } from "./log";
import { goTimeString } from "./render";
import { cloneRing, entryEnd, mergeRing, Ring } from "./ring";
import { ConnectionView, DnsEntryView, PeerConnectionView, PeerView, RouterSnapshot } from "./view";

/** What a peer tells the mesh about itself (gossiped; the newest version per name wins). */
export interface PeerRecord {
  name: string;
  nick: string;
  uid: string;
  shortId: number;
  version: number;
  connections: PeerConnectionView[];
  /** Where the far end of each connection listens (inbound ones show an ephemeral port). */
  listens: Record<string, string>;
}

/** A peer record on the wire: connections as `[name, address, outbound]` (a third of the JSON). */
interface WirePeer {
  name: string;
  nick: string;
  uid: string;
  shortId: number;
  version: number;
  conns: Array<[string, string, 0 | 1, string]>;
}

function toWire(p: PeerRecord): WirePeer {
  return {
    name: p.name,
    nick: p.nick,
    uid: p.uid,
    shortId: p.shortId,
    version: p.version,
    conns: p.connections.map((c) => [c.Name, c.Address, c.Outbound ? 1 : 0, p.listens[c.Name] ?? ""]),
  };
}

export interface DnsEntry {
  hostname: string;
  origin: string;
  cid: string;
  ip: string;
  version: number;
  tombstone: number;
}

interface DnsSet {
  version: number;
  entries: DnsEntry[];
}

type Msg =
  | {
      t: "hello";
      name: string;
      nick: string;
      uid: string;
      shortId: number;
      port: number;
      encrypt: boolean;
      nonce: string;
      protoMin: number;
      protoMax: number;
    }
  | { t: "auth"; proof: string }
  | {
      t: "gossip";
      peers: WirePeer[];
      ring: Ring | null;
      paxos: PaxosRecord[];
      dns: Record<string, DnsSet>;
      nicks: Record<string, string>;
    }
  | { t: "uni"; id: string; to: string; from: string; body: Unicast };

type Unicast =
  | { k: "donate"; start: number; end: number }
  | { k: "claim"; addr: number }
  | { k: "claim-used"; addr: number };

interface Target {
  /** As given (`10.0.0.2`, `h2:6783`); what `status targets` prints. */
  given: string;
  host: string;
  port: number;
  direct: boolean;
  state: "connecting" | "retrying" | "failed" | "connected";
  lastError?: string;
  retryAt?: Date;
  retryMono?: number;
  never: boolean;
  delayMs: number;
  timer?: NodeJS.Timeout;
  attempts: number;
  dialing: boolean;
}

interface Conn {
  id: number;
  socket: net.Socket;
  outbound: boolean;
  /** Remote TCP address as shown (`ip:port`). */
  address: string;
  remoteIp: string;
  /** Where the remote listens (`ip:port`), known after its hello. */
  listenAddr?: string;
  peer?: { name: string; nick: string; uid: string; shortId: number };
  state: "handshake" | "established";
  encrypted: boolean;
  target?: Target;
  nonce: string;
  theirNonce?: string;
  authed: boolean;
  error?: string;
  logged: boolean;
  lastRelay?: number;
  /** What this neighbour already has from us (delta gossip). */
  sent?: {
    peers: Map<string, string>;
    dns: Map<string, number>;
    paxos: Map<string, number>;
    ring: string | undefined;
    nicks: number;
  };
  /** Shutting down after an error: further messages are ignored. */
  closing?: boolean;
  /** We decided to close it (our own error), as opposed to the peer or the network. */
  droppedByUs?: boolean;
  buf: string;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 8000;
const TICK_MS = 1000;
const GOSSIP_EVERY_TICKS = 30;
const GOSSIP_DELAY_MS = 50;
const RELAY_INTERVAL_MS = 1000;
/** How long an address learned from an inbound connection stays a discovery target. */
const LEARNED_TTL_MS = 30_000;

/** Random uint64 as a decimal string (Weave's peer UID does not fit a JS number). */
function randomUid(): string {
  return BigInt("0x" + crypto.randomBytes(8).toString("hex")).toString();
}

export interface RouterOptions {
  home?: string;
  hostLabel?: string;
  checkpointDisabled: boolean;
  version: string;
  isAlive(id: string): boolean;
  /** Whether a container was removed (Docker `destroy`: Weave frees its addresses at once). */
  isDestroyed?(id: string): boolean;
  /**
   * MACs of the local containers' weave interfaces. The real router lists the MACs it has seen
   * on the bridge in its report (`Router.MACs`); with no data plane, local interfaces stand in.
   */
  localMacs?(): string[];
  /** Peers (nicknames or names) to ask for space first; see `DoubleConfig.donorPreference`. */
  donorPreference?(): string[];
  /** Where the bridge MAC (= peer name) may be recorded by the CLI double. */
  bridgeMac?: string;
  /** Grace before a dead container's addresses are freed (Weave: 30 s). */
  deadGraceMs: number;
}

export class Router {
  readonly log: Logger;
  readonly name: string;
  readonly uid = randomUid();
  readonly shortId = crypto.randomInt(0, 4096);
  private version = 0;
  readonly started = Date.now();
  readonly startedMono = performance.now();
  ready = false;
  peers = new Map<string, PeerRecord>();
  nicks = new Map<string, string>();
  conns = new Map<number, Conn>();
  targets = new Map<string, Target>();
  private nextConnId = 1;
  terminationCount = 0;
  ipam?: Allocator;
  dnsSets = new Map<string, DnsSet>();
  private dnsVersion = 0;
  private server?: net.Server;
  private udp?: dgram.Socket;
  private timers: NodeJS.Timeout[] = [];
  private gossipQueued = false;
  private seenUnicast = new Set<string>();
  /** Listen addresses of peers that connected to us, and when (mesh dials them back, fixture 06). */
  private learned = new Map<string, number>();
  private ticks = 0;
  /** Containers seen running (their names are tombstoned when they stop). */
  private seenAlive = new Set<string>();
  private persistQueued = false;
  upstream: string[] = [];
  stopped = false;
  /** Called when the weaver would crash (fixture 16): the process exits after logging. */
  onFatal?: (code: number) => void;

  constructor(
    readonly cfg: RouterConfig,
    readonly opts: RouterOptions,
  ) {
    this.log = new Logger(opts.home ? path.join(opts.home, "weave.log") : undefined);
    this.name = cfg.name ?? opts.bridgeMac ?? derivedName(opts.hostLabel ?? cfg.nickname);
    this.nicks.set(this.name, cfg.nickname);
    this.peers.set(this.name, {
      name: this.name,
      nick: cfg.nickname,
      uid: this.uid,
      shortId: this.shortId,
      version: 0,
      connections: [],
      listens: {},
    });
  }

  // ---- start-up ------------------------------------------------------------------------------

  async start(): Promise<void> {
    const log = this.log;
    log.info(`Command line options: ${optionsLine(this.cfg.raw)}`);
    log.info(`weave  ${this.opts.version}`);
    if (this.cfg.proxy) log.info(`proxy listening on ${this.cfg.proxyAddrs.join(", ")}`);
    log.info("Bridge type is bridge");
    log.info(
      this.cfg.password
        ? "Communication between peers via untrusted networks is encrypted."
        : "Communication between peers is unencrypted.",
    );
    log.info(`Our name is ${this.name}(${this.cfg.nickname})`);
    let peers = this.cfg.peers;
    const persisted = this.readPersisted();
    if (this.cfg.resume) {
      peers = persisted?.targets ?? [];
      log.info(`Restart/resume detected - using persisted peer list: [${peers.join(" ")}]`);
    } else {
      log.info(`Launch detected - using supplied peer list: [${peers.join(" ")}]`);
    }
    // Unresolvable or malformed launch peers are fatal, like weaver's start-up.
    const resolved: Array<{ given: string; host: string; port: number }> = [];
    for (const p of peers) {
      const r = await resolvePeer(p, this.cfg.port);
      if ("error" in r) throw new Error(r.error);
      resolved.push({ given: p, ...r });
    }
    log.info("Checking for pre-existing addresses on weave bridge");
    if (this.cfg.range) this.startIpam(persisted);
    if (!this.opts.checkpointDisabled) {
      // The lab has no internet, so the version check fails the way fixture 06 shows.
      log.info(
        `Error checking version: Get "https://checkpoint-api.weave.works/v1/check/weave-net?arch=amd64&os=linux&signature=&version=${this.opts.version}": dial tcp: lookup checkpoint-api.weave.works: no such host`,
      );
    }
    this.readUpstream();
    if (this.cfg.dns) await this.startDns();
    log.info("Sniffing traffic on vethwe-pcap (via pcap)");
    await this.listenMesh();
    for (const r of resolved) this.addTarget(r.given, r.host, r.port, true);
    this.timers.push(setInterval(() => this.tick(), TICK_MS));
    this.ready = true;
  }

  private readPersisted():
    | {
        peerName: string;
        range: string;
        ring: Ring;
        owned: Array<{ ident: string; cidrs: string[]; isContainer: boolean }>;
        targets: string[];
      }
    | undefined {
    if (!this.opts.home) return undefined;
    try {
      return JSON.parse(fs.readFileSync(path.join(this.opts.home, "weavedb.json"), "utf8"));
    } catch {
      return undefined;
    }
  }

  private startIpam(persisted: ReturnType<Router["readPersisted"]>): void {
    const cfg = this.cfg;
    const range = cfg.range!;
    const init = cfg.init;
    const alloc = new Allocator(
      this.name,
      range,
      cfg.defaultSubnet ?? range,
      {
        kind: init.kind,
        count: init.kind === "consensus" ? init.count : undefined,
        peers: init.kind === "seed" ? init.peers : undefined,
      },
      {
        log: (m) => this.log.info(m),
        changed: () => this.queueGossip(),
        requestDonation: (donor, start, end) => this.sendUnicast(donor, { k: "donate", start, end }),
        isAlive: (id) => this.opts.isAlive(id),
        isDestroyed: (id) => this.opts.isDestroyed?.(id) ?? false,
        preferredDonors: () => this.opts.donorPreference?.() ?? [],
        nick: (n) => this.nicks.get(n) ?? "",
        reachable: () => new Set(this.peers.keys()),
        targetCount: () => [...this.targets.values()].filter((t) => t.direct && !t.never).length,
        persist: () => this.queuePersist(),
      },
    );
    alloc.claimAsk = (owner, addr) => this.sendUnicast(owner, { k: "claim", addr });
    alloc.onPanic = (what) => this.panic(what);
    this.ipam = alloc;
    const tag = `[allocator ${this.name}]`;
    let usable = false;
    if (persisted) {
      if (persisted.peerName !== this.name)
        this.log.info(`${tag} Deleting persisted data for peername ${persisted.peerName}`);
      else if (persisted.range !== formatCidr(range))
        this.log.info(`${tag} Deleting persisted data for IPAM range ${persisted.range}`);
      else usable = true;
    }
    if (usable && persisted) {
      for (const e of persisted.ring.entries)
        if (e.nickname) this.nicks.set(e.peer, this.nicks.get(e.peer) ?? e.nickname);
      alloc.loadPersisted(persisted);
      this.log.info(`${tag} Initialising with persisted data`);
    } else {
      this.log.info(`${tag} No valid persisted data`);
      if (init.kind === "seed") {
        this.log.info(`${tag} Initialising with supplied IPAM seed`);
        alloc.seedIfNeeded();
      } else if (init.kind === "observer") {
        this.log.info(`${tag} Initialising as observer - awaiting IPAM data from another peer`);
      } else {
        this.log.info(`${tag} Initialising via deferred consensus`);
      }
    }
    this.queuePersist();
  }

  private readUpstream(): void {
    const own = this.cfg.dnsListen.split(":")[0];
    for (const f of [this.cfg.resolvConf, "/etc/resolv.conf"]) {
      if (!f) continue;
      try {
        const text = fs.readFileSync(f, "utf8");
        this.upstream = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)]
          .map((m) => m[1])
          .filter((ip) => ip !== own);
        return;
      } catch {
        // Unreadable resolv.conf: Weave shows "Upstream: none"; try the next candidate.
      }
    }
    this.upstream = [];
  }

  /**
   * weaveDNS on `--dns-listen-address` when this host can bind it, else on 127.0.0.1 with the
   * same port (lab hosts are namespaces without docker0). A port already taken is fatal, as in
   * Weave (G8).
   */
  private async startDns(): Promise<void> {
    const [host, portText] = splitHostPort(this.cfg.dnsListen, 53);
    const port = Number(portText);
    const tryBind = (h: string): Promise<dgram.Socket> =>
      new Promise((resolve, reject) => {
        const s = dgram.createSocket("udp4");
        s.once("error", reject);
        s.bind(port, h, () => {
          s.removeListener("error", reject);
          resolve(s);
        });
      });
    let sock: dgram.Socket;
    try {
      sock = await tryBind(host);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRNOTAVAIL")
        throw new Error(`Unable to start dns server: listen udp ${host}:${port}: bind: ${errText(e)}`);
      sock = await tryBind("127.0.0.1").catch((e2: unknown) => {
        throw new Error(`Unable to start dns server: listen udp 127.0.0.1:${port}: bind: ${errText(e2)}`);
      });
    }
    sock.on("message", (msg, rinfo) => this.answerDns(msg, rinfo, sock));
    sock.on("error", () => undefined);
    this.udp = sock;
    this.log.info(`Listening for DNS queries on ${this.cfg.dnsListen}`);
  }

  private listenMesh(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((s) => this.accept(s));
      server.once("error", (e) =>
        reject(new Error(`listen tcp ${this.cfg.host}:${this.cfg.port}: bind: ${errText(e)}`)),
      );
      server.listen(this.cfg.port, this.cfg.host || undefined, () => {
        server.removeAllListeners("error");
        server.on("error", () => undefined);
        resolve();
      });
      this.server = server;
    });
  }

  /** Stop everything (process exit, tests). */
  async stop(): Promise<void> {
    // Weave writes its DB on every change; a debounced write still pending must not be lost.
    if (this.persistQueued && !this.stopped) this.persist();
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.targets.values()) if (t.timer) clearTimeout(t.timer);
    for (const c of this.conns.values()) c.socket.destroy();
    const udp = this.udp;
    this.udp = undefined;
    udp?.close();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }

  private panic(what: string): void {
    if (this.stopped) return;
    this.log.raw(
      `panic: ${what}\n\ngoroutine 131 [running]:\ngithub.com/weaveworks/weave/common.Assert(...)\n\tgithub.com/weaveworks/weave/common/utils.go:8\n` +
        `github.com/weaveworks/weave/ipam.(*Allocator).assertInvariants(0xc000516840)\n\tgithub.com/weaveworks/weave/ipam/allocator.go:919 +0xed\n` +
        `github.com/weaveworks/weave/ipam.(*Allocator).actorLoop(0xc000516840, 0xc00036fc80, 0xc0004dab40)\n\tgithub.com/weaveworks/weave/ipam/allocator.go:700 +0x91\n` +
        `created by github.com/weaveworks/weave/ipam.(*Allocator).Start\n\tgithub.com/weaveworks/weave/ipam/allocator.go:183 +0x5ec\n`,
    );
    this.stopped = true;
    if (this.onFatal) this.onFatal(2);
  }

  // ---- periodic work -------------------------------------------------------------------------

  private tick(): void {
    if (this.stopped) return;
    // Changes are pushed at once; this periodic full-state round only repairs what a lost
    // message missed, so it can be rare (Weave gossips every 30 s).
    if (++this.ticks % GOSSIP_EVERY_TICKS === 0) this.forgetSent();
    this.queueGossip();
    this.reapDns();
    if (this.ipam) {
      this.ipam.reapDead(this.opts.deadGraceMs);
      this.ipam.retryPending();
    }
  }

  private queuePersist(): void {
    if (this.persistQueued || !this.opts.home) return;
    this.persistQueued = true;
    setTimeout(() => {
      this.persistQueued = false;
      this.persist();
    }, 20);
  }

  private persist(): void {
    if (!this.opts.home || !this.ipam || this.ipam.shutdown || this.stopped) return;
    const data = {
      peerName: this.name,
      range: formatCidr(this.cfg.range!),
      ...this.ipam.toPersist(),
      targets: [...this.targets.values()].filter((t) => t.direct).map((t) => t.given),
    };
    const file = path.join(this.opts.home, "weavedb.json");
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(data, null, 2) + "\n");
      fs.renameSync(tmp, file);
    } catch {
      // The home may be going away (weave reset): losing a write then is what Weave does too.
    }
  }

  // ---- targets and connecting ----------------------------------------------------------------

  addTarget(given: string, host: string, port: number, direct: boolean): void {
    const key = `${host}:${port}`;
    const existing = this.targets.get(key);
    if (existing) {
      existing.direct = existing.direct || direct;
      if (direct) existing.given = given;
      return;
    }
    const t: Target = {
      given,
      host,
      port,
      direct,
      state: "connecting",
      never: false,
      delayMs: FIRST_RETRY_MS,
      attempts: 0,
      dialing: false,
    };
    this.targets.set(key, t);
    this.tryConnect(t);
  }

  forgetTarget(given: string): void {
    for (const [k, t] of this.targets) {
      if (t.given === given || k === given || t.host === given) {
        if (t.timer) clearTimeout(t.timer);
        this.targets.delete(k);
      }
    }
  }

  private connectedTo(t: Target): boolean {
    const key = `${t.host}:${t.port}`;
    for (const c of this.conns.values()) {
      if (c.state === "established" && (c.listenAddr === key || (c.outbound && c.target === t))) return true;
    }
    return false;
  }

  private tryConnect(t: Target): void {
    if (this.stopped || !this.targets.has(`${t.host}:${t.port}`) || t.never || t.dialing) return;
    if (this.connectedTo(t)) {
      t.state = "connected";
      return;
    }
    t.state = t.attempts === 0 ? "connecting" : "retrying";
    t.attempts++;
    t.dialing = true;
    const addr = `${t.host}:${t.port}`;
    this.log.info(`->[${addr}] attempting connection`);
    const socket = net.connect({ host: t.host, port: t.port, localAddress: this.cfg.host || undefined });
    let connected = false;
    socket.once("connect", () => {
      connected = true;
      const c = this.newConn(socket, true, addr, t.host);
      c.target = t;
      this.sendHello(c);
    });
    socket.once("error", (e) => {
      if (connected) return;
      t.dialing = false;
      const text = `dial tcp :0->${addr}: connect: ${errnoText(e)}`;
      this.log.info(`->[${addr}] error during connection attempt: ${text}`);
      this.targetFailed(t, text);
    });
  }

  private targetFailed(t: Target, error: string, never = false): void {
    if (!this.targets.has(`${t.host}:${t.port}`)) return;
    if (t.timer) clearTimeout(t.timer);
    t.dialing = false;
    t.lastError = error;
    t.state = "failed";
    if (never) {
      t.never = true;
      t.retryAt = undefined;
      return;
    }
    if (!t.direct && !this.discoverable(t)) {
      this.targets.delete(`${t.host}:${t.port}`);
      return;
    }
    // Weave backs off from 2 s ×1.5 up to 6 min; the double starts at 1 s and caps at 8 s so a
    // lab converges quickly after a peer comes back.
    const jitter = 0.9 + Math.random() * 0.2;
    const delay = Math.min(t.delayMs, MAX_RETRY_MS) * jitter;
    t.delayMs = Math.min(t.delayMs * 1.5, MAX_RETRY_MS);
    t.retryAt = new Date(Date.now() + delay);
    t.retryMono = (performance.now() - this.startedMono + delay) / 1000;
    t.timer = setTimeout(() => {
      t.timer = undefined;
      this.tryConnect(t);
    }, delay);
  }

  /** A discovered address stays a target while some known peer still lists it. */
  private discoverable(t: Target): boolean {
    const key = `${t.host}:${t.port}`;
    const seen = this.learned.get(key);
    return this.discoveredAddrs().has(key) || (seen !== undefined && Date.now() - seen < LEARNED_TTL_MS);
  }

  private discoveredAddrs(): Set<string> {
    const out = new Set<string>();
    if (!this.cfg.discovery) return out;
    for (const p of this.peers.values()) {
      if (p.name === this.name) continue;
      for (const c of p.connections) {
        if (c.Name === this.name) continue;
        const addr = c.Outbound ? c.Address : p.listens[c.Name];
        if (addr) out.add(addr);
      }
    }
    return out;
  }

  // ---- connections ---------------------------------------------------------------------------

  private accept(socket: net.Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const remoteIp = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const addr = `${remoteIp}:${socket.remotePort}`;
    this.log.info(`->[${addr}] connection accepted`);
    const c = this.newConn(socket, false, addr, remoteIp);
    this.sendHello(c);
  }

  private newConn(socket: net.Socket, outbound: boolean, address: string, remoteIp: string): Conn {
    const c: Conn = {
      id: this.nextConnId++,
      socket,
      outbound,
      address,
      remoteIp,
      state: "handshake",
      encrypted: false,
      nonce: crypto.randomBytes(16).toString("hex"),
      authed: false,
      logged: false,
      buf: "",
    };
    this.conns.set(c.id, c);
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    let scanned = 0;
    socket.on("data", (d: string) => {
      c.buf += d;
      let nl: number;
      // Resume the newline search where the last chunk ended: big gossip arrives in many chunks.
      while ((nl = c.buf.indexOf("\n", scanned)) >= 0) {
        const line = c.buf.slice(0, nl);
        c.buf = c.buf.slice(nl + 1);
        scanned = 0;
        if (!this.conns.has(c.id) || c.closing) return;
        let m: Msg;
        try {
          m = JSON.parse(line) as Msg;
        } catch {
          this.drop(c, "Unable to decrypt TCP msg");
          return;
        }
        this.onMessage(c, m);
      }
      scanned = c.buf.length;
    });
    // Read now: once the socket has failed Node no longer knows its local address.
    const local = `${(socket.localAddress ?? "").replace(/^::ffff:/, "")}:${socket.localPort ?? 0}`;
    socket.on("error", (e) => {
      if (!c.error) {
        const remote = c.address;
        const code = (e as NodeJS.ErrnoException).code;
        c.error =
          code === "EPIPE" || code === "ECONNRESET"
            ? `read tcp ${local}->${remote}: read: connection reset by peer`
            : `read tcp ${local}->${remote}: ${errnoText(e)}`;
      }
    });
    socket.on("close", () => this.closed(c));
    return c;
  }

  private send(c: Conn, m: Msg): void {
    if (c.socket.destroyed) return;
    const line = JSON.stringify(m) + "\n";
    c.socket.write(line);
  }

  /** A record's wire JSON is the same for every neighbour: encode it once per version. */
  private wireCache = new Map<string, { key: string; json: string }>();
  private wireJson(p: PeerRecord): string {
    const key = `${p.uid}:${p.version}`;
    const hit = this.wireCache.get(p.name);
    if (hit && hit.key === key) return hit.json;
    const json = JSON.stringify(toWire(p));
    this.wireCache.set(p.name, { key, json });
    return json;
  }

  private sendRaw(c: Conn, json: string): void {
    if (!c.socket.destroyed) c.socket.write(json + "\n");
  }

  private sendHello(c: Conn): void {
    this.send(c, {
      t: "hello",
      name: this.name,
      nick: this.cfg.nickname,
      uid: this.uid,
      shortId: this.shortId,
      port: this.cfg.port,
      encrypt: this.cfg.password !== undefined,
      nonce: c.nonce,
      protoMin: this.cfg.minProtocol,
      protoMax: 2,
    });
  }

  private label(c: Conn): string {
    return c.peer ? `->[${c.address}|${c.peer.name}(${c.peer.nick})]` : `->[${c.address}]`;
  }

  /** Close a connection because of `error` (logged the way mesh does), with a TCP reset. */
  drop(c: Conn, error: string, never = false, afterHandshake = false): void {
    if (!this.conns.has(c.id)) return;
    c.error = error;
    c.droppedByUs = true;
    if (!c.logged) {
      c.logged = true;
      if (c.state === "handshake" && !afterHandshake)
        this.log.info(`${this.label(c)} connection shutting down due to error during handshake: ${error}`);
      else this.log.info(`${this.label(c)}: connection shutting down due to error: ${error}`);
    }
    if (never && c.target) c.target.never = true;
    if (c.state === "handshake") {
      c.socket.resetAndDestroy();
      return;
    }
    // Gossip errors: give the peer a moment to read what we sent, so that, as usually seen with
    // Weave, each side reports its own reason rather than only "connection reset by peer".
    c.closing = true;
    setTimeout(() => c.socket.resetAndDestroy(), 100);
  }

  private onMessage(c: Conn, m: Msg): void {
    switch (m.t) {
      case "hello":
        return this.onHello(c, m);
      case "auth":
        if (c.state !== "handshake") return;
        if (!this.cfg.password || m.proof !== proof(this.cfg.password, c.nonce))
          return this.drop(c, "Unable to decrypt TCP msg");
        c.authed = true;
        return this.completeHandshake(c);
      case "gossip":
        if (c.state === "established") this.onGossip(c, m);
        return;
      case "uni":
        if (c.state === "established") this.onUnicast(c, m);
        return;
    }
  }

  private onHello(c: Conn, m: Extract<Msg, { t: "hello" }>): void {
    if (c.peer) return;
    c.theirNonce = m.nonce;
    const mine = this.cfg.password !== undefined;
    if (m.protoMax < this.cfg.minProtocol)
      return this.drop(
        c,
        `remote version range [${m.protoMin},${m.protoMax}] is incompatible with ours [${this.cfg.minProtocol},2]`,
      );
    if (mine && !m.encrypt)
      return this.drop(c, "password specified, but peer requested an unencrypted connection");
    if (!mine && m.encrypt)
      return this.drop(c, "no password specificed, but peer requested an encrypted connection");
    c.peer = { name: m.name, nick: m.nick, uid: m.uid, shortId: m.shortId };
    c.listenAddr = c.outbound ? c.address : `${c.remoteIp}:${m.port}`;
    c.encrypted = mine;
    if (m.name === this.name) {
      if (m.uid === this.uid) return this.drop(c, "cannot connect to ourself", true);
      return this.drop(
        c,
        `local "${this.name}(${this.cfg.nickname})" and remote "${m.name}(${m.nick})" peer names collision`,
        true,
      );
    }
    if (mine) {
      this.send(c, { t: "auth", proof: proof(this.cfg.password!, m.nonce) });
      if (!c.authed) return; // wait for theirs
    }
    this.completeHandshake(c);
  }

  private completeHandshake(c: Conn): void {
    if (!c.peer || c.state !== "handshake") return;
    if (this.cfg.password && !c.authed) return;
    const p = c.peer;
    this.log.info(`${this.label(c)}: connection ready; using protocol version 2`);
    // One connection per pair: both ends keep the one dialled by the peer with the smaller name.
    for (const other of this.conns.values()) {
      if (other === c || other.state !== "established" || other.peer?.name !== p.name) continue;
      const initiator = (x: Conn): string => (x.outbound ? this.name : p.name);
      const keepNew = initiator(c) < initiator(other);
      const loser = keepNew ? other : c;
      this.drop(
        loser,
        `Multiple connections to ${p.name}(${p.nick}) added to ${this.name}(${this.cfg.nickname})`,
        false,
        true,
      );
      if (loser === c) return;
    }
    if (this.conns.size > this.cfg.connLimit && this.cfg.connLimit > 0)
      return this.drop(c, `Connection limit reached (${this.cfg.connLimit})`);
    c.state = "established";
    this.nicks.set(p.name, p.nick);
    if (c.target) {
      c.target.state = "connected";
      c.target.dialing = false;
      c.target.delayMs = FIRST_RETRY_MS;
      c.target.lastError = undefined;
    }
    this.log.info(`overlay_switch ->[${p.name}(${p.nick})] using sleeve`);
    const isNew = !this.peers.has(p.name);
    this.log.info(`${this.label(c)}: connection added${isNew ? " (new peer)" : ""}`);
    const known = this.peers.get(p.name);
    if (!known || known.uid !== p.uid)
      this.peers.set(p.name, {
        name: p.name,
        nick: p.nick,
        uid: p.uid,
        shortId: p.shortId,
        version: 0,
        connections: [],
        listens: {},
      });
    this.log.info(`${this.label(c)}: connection fully established`);
    this.log.info(`sleeve ${this.label(c)}: Effective MTU verified at ${c.encrypted ? 1414 : 1438}`);
    this.updateSelf(false);
    // Our own news now; what we know of others after a second, once we know whom they hear directly.
    c.lastRelay = Date.now();
    this.sendGossip(c);
  }

  private closed(c: Conn): void {
    if (!this.conns.has(c.id)) return;
    this.conns.delete(c.id);
    const error = c.error ?? "EOF";
    if (!c.logged) {
      c.logged = true;
      if (c.state === "handshake")
        this.log.info(`${this.label(c)} connection shutting down due to error during handshake: ${error}`);
      else this.log.info(`${this.label(c)}: connection shutting down due to error: ${error}`);
    }
    if (c.state === "established") {
      this.log.info(`${this.label(c)}: connection deleted`);
      this.terminationCount++;
      this.updateSelf(true);
    }
    if (c.target) {
      const t = c.target;
      t.dialing = false;
      if (!this.connectedTo(t)) this.targetFailed(t, error, t.never);
      else t.state = "connected";
    } else if (c.state === "established" && c.listenAddr) {
      // An inbound connection the peer closed: dial its address back (direct target, or one
      // learned by discovery, as docker1 does with docker4 in fixture 06). One we closed ourselves
      // is not retried from this side (fixture 17: docker2 shows no connection).
      // Each new inbound link renews what we learned, so a peer that keeps calling keeps being
      // dialled back (fixture 06: docker1 retries docker4 for as long as docker4 retries it).
      if (!c.droppedByUs && this.cfg.discovery) this.learned.set(c.listenAddr, Date.now());
      if (!c.droppedByUs && this.cfg.discovery && !this.targets.has(c.listenAddr)) {
        const [host, port] = splitHostPort(c.listenAddr, this.cfg.port);
        this.targets.set(c.listenAddr, {
          given: c.listenAddr,
          host,
          port: Number(port),
          direct: false,
          state: "connecting",
          never: false,
          delayMs: FIRST_RETRY_MS,
          attempts: 1,
          dialing: false,
        });
      }
      const t = this.targets.get(c.listenAddr);
      if (t && c.droppedByUs && !t.dialing && !this.connectedTo(t)) {
        // We refused this link (fixture 06: docker4 drops docker1's call for its range): the
        // target to that peer shows why, and a retry already scheduled is kept, not pushed back.
        if (t.timer) {
          t.lastError = error;
          t.state = "failed";
        } else this.targetFailed(t, error);
      } else if (t && !t.dialing && !t.timer && !this.connectedTo(t)) {
        t.attempts = Math.max(t.attempts, 1);
        t.timer = setTimeout(
          () => {
            t.timer = undefined;
            this.tryConnect(t);
          },
          FIRST_RETRY_MS * (0.9 + Math.random() * 0.2),
        );
        t.state = "connecting";
      }
    }
  }

  /** Our own peer record follows our established connections. */
  /** `lost`: a connection went away, so some peers may have become unreachable. */
  private updateSelf(lost: boolean): void {
    const me = this.peers.get(this.name)!;
    me.connections = [...this.conns.values()]
      .filter((c) => c.state === "established" && c.peer)
      .map((c) => ({
        Name: c.peer!.name,
        NickName: c.peer!.nick,
        Address: c.address,
        Outbound: c.outbound,
        Established: true,
      }));
    me.listens = {};
    for (const c of this.conns.values())
      if (c.state === "established" && c.peer && c.listenAddr) me.listens[c.peer.name] = c.listenAddr;
    me.version = ++this.version;
    if (lost) this.pruneUnreachable();
    this.queueGossip();
  }

  /** Peers not reachable over symmetric connections are dropped, with their DNS entries. */
  private pruneUnreachable(): void {
    const links = new Map<string, Set<string>>();
    for (const p of this.peers.values()) links.set(p.name, new Set(p.connections.map((c) => c.Name)));
    const seen = new Set<string>([this.name]);
    const queue = [this.name];
    while (queue.length) {
      const u = queue.shift()!;
      for (const v of links.get(u) ?? []) {
        if (seen.has(v) || !links.has(v)) continue;
        if (u !== this.name && !links.get(v)!.has(u)) continue;
        seen.add(v);
        queue.push(v);
      }
    }
    for (const [name, p] of this.peers) {
      if (seen.has(name)) continue;
      this.peers.delete(name);
      this.log.info(`Removed unreachable peer ${name}(${p.nick})`);
      this.log.info(`[nameserver ${this.name}] peer ${name} gone`);
      this.dnsSets.delete(name);
      this.ipam?.paxos.delete(name);
    }
  }

  // ---- gossip --------------------------------------------------------------------------------

  queueGossip(): void {
    if (this.gossipQueued) return;
    this.gossipQueued = true;
    // A short delay batches the bursts of changes a lab start produces into one message.
    setTimeout(() => {
      this.gossipQueued = false;
      if (this.stopped) return;
      for (const c of this.conns.values()) if (c.state === "established") this.sendGossip(c);
    }, GOSSIP_DELAY_MS);
  }

  /** Send pending news now: `weave reset` kills the router half a second after `DELETE /peer`. */
  flushGossip(): void {
    if (this.stopped) return;
    for (const c of this.conns.values()) if (c.state === "established") this.sendGossip(c);
  }

  /** Full state on the next round to every neighbour (anti-entropy). */
  private forgetSent(): void {
    for (const c of this.conns.values()) c.sent = undefined;
  }

  private ringSignature(): string {
    return this.ipam ? ringSig(this.ipam.ring) : "";
  }

  /**
   * Send what this neighbour has not had from us yet: newer peer records, DNS sets and Paxos
   * records, and the ring when it changed. Deltas keep a 32-host lab on two cores cheap.
   */
  private sendGossip(c: Conn): void {
    const sent = (c.sent ??= {
      peers: new Map(),
      dns: new Map(),
      paxos: new Map(),
      ring: undefined,
      nicks: 0,
    });
    // A neighbour hears a peer's own news from that peer when they are connected; relaying it too
    // would make every update cost N² messages in a full mesh.
    const theirLinks = new Set((this.peers.get(c.peer?.name ?? "")?.connections ?? []).map((x) => x.Name));
    // Third-party news goes out at most once a second per neighbour, so that while a mesh forms
    // (and our picture of who links to whom lags) we do not relay what the origin is sending anyway.
    const now = Date.now();
    const relayNow = now - (c.lastRelay ?? 0) >= RELAY_INTERVAL_MS;
    const relay = (origin: string): boolean => origin === this.name || (relayNow && !theirLinks.has(origin));
    const peers = [...this.peers.values()].filter(
      (p) => relay(p.name) && sent.peers.get(p.name) !== `${p.uid}:${p.version}`,
    );
    const dns: Record<string, DnsSet> = {};
    for (const [origin, set] of this.dnsSets)
      if (relay(origin) && sent.dns.get(origin) !== set.version) dns[origin] = set;
    const paxos = this.ipam
      ? [...this.ipam.paxos.values()].filter((r) => relay(r.name) && sent.paxos.get(r.name) !== r.version)
      : [];
    const sig = this.ringSignature();
    const ring = this.ipam && sig !== sent.ring ? cloneRing(this.ipam.ring) : null;
    const nicks = this.nicks.size !== sent.nicks ? Object.fromEntries(this.nicks) : {};
    if (!peers.length && !Object.keys(dns).length && !paxos.length && !ring && !Object.keys(nicks).length)
      return;
    this.sendRaw(
      c,
      `{"t":"gossip","peers":[${peers.map((p) => this.wireJson(p)).join(",")}],"ring":${JSON.stringify(ring)},"paxos":${JSON.stringify(paxos)},"dns":${JSON.stringify(dns)},"nicks":${JSON.stringify(nicks)}}`,
    );
    if (relayNow) c.lastRelay = now;
    for (const p of peers) sent.peers.set(p.name, `${p.uid}:${p.version}`);
    for (const [origin, set] of Object.entries(dns)) sent.dns.set(origin, set.version);
    for (const r of paxos) sent.paxos.set(r.name, r.version);
    sent.ring = sig;
    sent.nicks = this.nicks.size;
  }

  private onGossip(c: Conn, m: Extract<Msg, { t: "gossip" }>): void {
    // A ring we cannot merge (other range or seeds) drops the link before we take anything else
    // from it: a wrong-range host learns no peers and dials nobody else (fixture 06: docker4 keeps
    // one failed target, Peers: 1).
    if (this.ipam && m.ring) {
      const check = mergeRing(this.ipam.ring, m.ring, this.name);
      if (!check.ok) {
        this.drop(c, check.error);
        // Gone from our view at once, as in Weave (the socket itself is reset a moment later):
        // status must not show it established meanwhile, nor hide the target's failure.
        this.closed(c);
        return;
      }
    }
    // What a neighbour sent us it already has: never echo it back.
    const sent = (c.sent ??= {
      peers: new Map(),
      dns: new Map(),
      paxos: new Map(),
      ring: undefined,
      nicks: 0,
    });
    const incoming: PeerRecord[] = m.peers.map((w) => ({
      name: w.name,
      nick: w.nick,
      uid: w.uid,
      shortId: w.shortId,
      version: w.version,
      connections: w.conns.map(([name, address, out]) => ({
        Name: name,
        NickName: this.nicks.get(name) ?? m.nicks[name] ?? "",
        Address: address,
        Outbound: out === 1,
        Established: true,
      })),
      listens: Object.fromEntries(w.conns.filter((x) => x[3]).map((x) => [x[0], x[3]])),
    }));
    for (const p of incoming)
      if (!sent.peers.has(p.name) || (this.peers.get(p.name)?.version ?? -1) <= p.version)
        sent.peers.set(p.name, `${p.uid}:${p.version}`);
    for (const [origin, set] of Object.entries(m.dns)) sent.dns.set(origin, set.version);
    for (const r of m.paxos) sent.paxos.set(r.name, r.version);
    let changed = false;
    for (const [n, nick] of Object.entries(m.nicks)) if (nick && !this.nicks.has(n)) this.nicks.set(n, nick);
    let lostLink = false;
    const fresh: PeerRecord[] = [];
    for (const p of incoming) {
      if (p.name === this.name) continue;
      const cur = this.peers.get(p.name);
      // A restarted peer (new UID) is believed from itself; third parties may still carry its old record.
      const restarted = cur !== undefined && p.uid !== cur.uid && c.peer?.name === p.name;
      if (!cur || restarted || (p.uid === cur.uid && p.version > cur.version)) {
        // A stale record of a peer we just lost must not resurrect it: only neighbours' views count.
        if (!cur && !this.reachableVia(p, [...incoming, ...this.peers.values()])) continue;
        // Only a lost link can make peers unreachable; new links need no reachability pass.
        if (cur && cur.connections.some((x) => !p.connections.some((y) => y.Name === x.Name)))
          lostLink = true;
        this.peers.set(p.name, { ...p });
        this.nicks.set(p.name, p.nick);
        fresh.push(p);
        changed = true;
      }
    }
    if (lostLink) this.pruneUnreachable();
    if (changed) this.discover(fresh);
    if (this.ipam && m.ring) {
      const err = this.ipam.mergeRing(m.ring);
      if (err) return this.drop(c, err);
      if (m.ring.entries.length > 0 && ringSig(m.ring) === this.ringSignature())
        sent.ring = this.ringSignature();
    }
    if (this.ipam && m.paxos.length) this.ipam.mergePaxos(m.paxos);
    let dnsChanged = false;
    for (const [origin, set] of Object.entries(m.dns)) {
      if (origin === this.name || !this.peers.has(origin)) continue;
      const cur = this.dnsSets.get(origin);
      if (!cur || set.version > cur.version) {
        this.dnsSets.set(origin, set);
        dnsChanged = true;
      }
    }
    if (changed || dnsChanged) this.queueGossip();
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
  private discover(changed: Iterable<PeerRecord> = this.peers.values()): void {
    if (!this.cfg.discovery) return;
    const connected = new Set<string>();
    for (const x of this.conns.values()) if (x.peer) connected.add(x.peer.name);
    for (const p of changed) {
      if (p.name === this.name) continue;
      for (const c of p.connections) {
        if (c.Name === this.name || connected.has(c.Name)) continue;
        // Inbound connections show an ephemeral port; dial where that peer listens (fixture 05:
        // docker3, told only of docker1, also connects to docker2).
        const addr = c.Outbound ? c.Address : p.listens[c.Name];
        if (!addr) continue;
        const [host, port] = splitHostPort(addr, this.cfg.port);
        if (!this.targets.has(`${host}:${port}`)) this.addTarget(addr, host, Number(port), false);
      }
    }
  }

  private sendUnicast(to: string, body: Unicast): void {
    const m: Msg = { t: "uni", id: crypto.randomBytes(8).toString("hex"), to, from: this.name, body };
    this.seenUnicast.add(m.id);
    for (const c of this.conns.values()) if (c.state === "established") this.send(c, m);
  }

  private onUnicast(from: Conn, m: Extract<Msg, { t: "uni" }>): void {
    if (this.seenUnicast.has(m.id)) return;
    this.seenUnicast.add(m.id);
    if (m.to !== this.name) {
      for (const c of this.conns.values()) if (c !== from && c.state === "established") this.send(c, m);
      return;
    }
    const ipam = this.ipam;
    if (!ipam) return;
    const b = m.body;
    if (b.k === "donate") {
      ipam.donate(m.from, b.start, b.end);
      this.queueGossip();
    } else if (b.k === "claim") {
      const r = ipam.donateSingle(m.from, b.addr);
      if (r === "used") this.sendUnicast(m.from, { k: "claim-used", addr: b.addr });
      this.queueGossip();
    } else if (b.k === "claim-used") {
      ipam.claimRefused(b.addr, m.from);
    }
  }

  // ---- DNS -----------------------------------------------------------------------------------

  private mySet(): DnsSet {
    let s = this.dnsSets.get(this.name);
    if (!s) {
      s = { version: 0, entries: [] };
      this.dnsSets.set(this.name, s);
    }
    return s;
  }

  private dnsChanged(): void {
    this.mySet().version = ++this.dnsVersion;
    this.queueGossip();
  }

  inDomain(fqdn: string): boolean {
    const f = (fqdn.endsWith(".") ? fqdn : fqdn + ".").toLowerCase();
    return f.endsWith("." + this.cfg.dnsDomain.toLowerCase());
  }

  /** `PUT /name/<id>/<ip>`; names outside the domain are ignored (still 204). */
  addName(cid: string, ip: string, fqdn: string): void {
    const host = fqdn.endsWith(".") ? fqdn : fqdn + ".";
    if (!this.inDomain(host)) {
      this.log.info(
        `[nameserver ${this.name}] Ignoring registration ${host} (not a subdomain of ${this.cfg.dnsDomain})`,
      );
      return;
    }
    if (this.opts.isAlive(cid)) this.seenAlive.add(cid);
    const set = this.mySet();
    const found = set.entries.find(
      (e) => e.cid === cid && e.ip === ip && e.hostname.toLowerCase() === host.toLowerCase(),
    );
    if (found) {
      if (found.tombstone === 0) return;
      found.tombstone = 0;
      found.version++;
    } else {
      set.entries.push({ hostname: host, origin: this.name, cid, ip, version: 0, tombstone: 0 });
    }
    this.dnsChanged();
  }

  /** `DELETE /name/<id>/<ip>`: missing parts match everything; only our own entries change. */
  deleteNames(cid: string | undefined, ip: string | undefined, fqdn: string | undefined): void {
    const host = fqdn ? (fqdn.endsWith(".") ? fqdn : fqdn + ".").toLowerCase() : undefined;
    let changed = false;
    for (const e of this.mySet().entries) {
      if (e.tombstone !== 0) continue;
      if (
        (cid === undefined || e.cid === cid) &&
        (ip === undefined || e.ip === ip) &&
        (host === undefined || e.hostname.toLowerCase() === host)
      ) {
        e.tombstone = Math.floor(Date.now() / 1000);
        e.version++;
        changed = true;
      }
    }
    if (changed) this.dnsChanged();
  }

  /** Entries of containers that stopped are tombstoned (Docker `die` event). */
  private reapDns(): void {
    let changed = false;
    for (const e of this.mySet().entries) {
      if (e.tombstone !== 0 || !/^[0-9a-f]{64}$/.test(e.cid)) continue;
      // Only a container we saw running can "die"; an id that never ran keeps its names.
      if (this.opts.isAlive(e.cid)) {
        this.seenAlive.add(e.cid);
        continue;
      }
      if (this.seenAlive.has(e.cid)) {
        e.tombstone = Math.floor(Date.now() / 1000);
        e.version++;
        changed = true;
      }
    }
    if (changed) this.dnsChanged();
  }

  allDnsEntries(): DnsEntry[] {
    const out: DnsEntry[] = [];
    for (const [origin, set] of this.dnsSets)
      if (origin === this.name || this.peers.has(origin)) out.push(...set.entries);
    return out;
  }

  lookupName(name: string): string[] | undefined {
    let q = name.toLowerCase();
    const labels = q.replace(/\.$/, "").split(".");
    if (labels.length === 1) q = `${labels[0]}.${this.cfg.dnsDomain.toLowerCase()}`;
    if (!q.endsWith("." + this.cfg.dnsDomain.toLowerCase()) && q !== this.cfg.dnsDomain.toLowerCase())
      return undefined;
    return this.allDnsEntries()
      .filter((e) => e.tombstone === 0 && e.hostname.toLowerCase() === q)
      .map((e) => e.ip);
  }

  private answerDns(msg: Buffer, rinfo: dgram.RemoteInfo, sock: dgram.Socket): void {
    const q = parseQuery(msg);
    if (!q) return;
    const ips = this.lookupName(q.name);
    let resp: Buffer;
    if (ips === undefined) resp = buildResponse(q, RCODE.SERVFAIL, [], 0, false);
    else if (ips.length === 0) resp = buildResponse(q, RCODE.NXDOMAIN, [], 0, true);
    else if (q.qtype !== 1) resp = buildResponse(q, RCODE.NOERROR, [], 0, true);
    else resp = buildResponse(q, RCODE.NOERROR, shuffle(ips), this.cfg.dnsTtl, true);
    sock.send(resp, rinfo.port, rinfo.address);
  }

  // ---- peers admin (reset, rmpeer) -------------------------------------------------------------

  /** `DELETE /peer`: hand the ranges to an heir and stop taking requests. */
  resetPeer(): void {
    const ipam = this.ipam;
    if (!ipam) return;
    const reach = [...this.peers.keys()].filter((n) => n !== this.name).sort();
    const owners = new Set(ipam.ring.entries.map((e) => e.peer));
    const known = new Set(ipam.ring.entries.map((e) => e.peer).filter((p) => p !== this.name));
    const heir = ipam.handOver({
      reachableOwners: reach.filter((n) => owners.has(n)),
      reachable: reach,
      others: [...known].filter((n) => !this.peers.has(n)).sort(),
    });
    if (heir)
      this.log.info(
        `[allocator ${this.name}] Handing over all ranges to ${heir}(${this.nicks.get(heir) ?? ""})`,
      );
    this.flushGossip();
  }

  /** `DELETE /peer/<name-or-nick>`. */
  rmpeer(who: string): string {
    const ipam = this.ipam;
    if (!ipam) return "";
    let name: string | undefined;
    for (const [n, nick] of this.nicks) if (nick === who) name = n;
    name = name ?? normalisePeerName(who);
    const n = name ? ipam.takeOver(name) : 0;
    if (n > 0) this.flushGossip();
    return `${n} IPs taken over from ${who}\n`;
  }

  /** `POST /connect`: the errors, one per bad peer. */
  async connect(peers: string[], replace: boolean): Promise<string[]> {
    if (replace) for (const t of [...this.targets.values()]) if (t.direct) this.forgetTarget(t.given);
    const errors: string[] = [];
    for (const p of peers) {
      const r = await resolvePeer(p, this.cfg.port);
      if ("error" in r) errors.push(r.error);
      else this.addTarget(p, r.host, r.port, true);
    }
    this.queuePersist();
    return errors;
  }

  // ---- views -----------------------------------------------------------------------------------

  /** First time each local MAC was seen: `LastSeen` then stays put like a quiet real interface's. */
  private readonly macSeen = new Map<string, Date>();

  private macViews(): RouterSnapshot["macs"] {
    const macs = this.opts.localMacs?.() ?? [];
    return macs.map((mac) => {
      let seen = this.macSeen.get(mac);
      if (!seen) {
        seen = new Date();
        this.macSeen.set(mac, seen);
      }
      // Weave prints Go's RFC 3339 with nanoseconds.
      const iso = seen.toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}000000Z`);
      return { Mac: mac, Name: this.name, NickName: this.cfg.nickname, LastSeen: iso };
    });
  }

  snapshot(): RouterSnapshot {
    const cfg = this.cfg;
    const connections: ConnectionView[] = [];
    for (const c of this.conns.values()) {
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
    for (const t of this.targets.values()) {
      if (this.connectedTo(t)) continue;
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
    const peers: PeerView[] = [...this.peers.values()].map((p) => ({
      Name: p.name,
      NickName: p.nick,
      UID: p.uid,
      ShortID: p.shortId,
      Version: p.version,
      Connections: p.connections.length === 0 ? null : p.connections,
    }));
    const snap: RouterSnapshot = {
      ready: this.ready,
      version: this.opts.version,
      versionCheck: {
        enabled: !this.opts.checkpointDisabled,
        nextCheckAt: new Date(this.started + 6 * 3600 * 1000),
      },
      name: this.name,
      nickName: cfg.nickname,
      port: cfg.port,
      encryption: cfg.password !== undefined,
      peerDiscovery: cfg.discovery,
      protocolMin: cfg.minProtocol,
      protocolMax: 2,
      peers,
      connections,
      targets: [...this.targets.values()].filter((t) => t.direct).map((t) => t.given),
      trustedSubnets: cfg.trustedSubnets,
      terminationCount: this.terminationCount,
      macs: this.macViews(),
    };
    const ipam = this.ipam;
    if (ipam && cfg.range) {
      const ring = ipam.ring;
      snap.ipam = {
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
                Nickname: this.nicks.get(e.peer) ?? e.nickname,
                IsKnownPeer: this.peers.has(e.peer),
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
    if (cfg.dns) {
      const entries: DnsEntryView[] = this.allDnsEntries().map((e) => ({
        Hostname: e.hostname,
        Origin: e.origin,
        ContainerID: e.cid,
        Address: e.ip,
        Version: e.version,
        Tombstone: e.tombstone,
      }));
      snap.dns = {
        Domain: cfg.dnsDomain,
        Upstream: this.upstream.length ? this.upstream : null,
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

  reachableSet(): Set<string> {
    return new Set(this.peers.keys());
  }
}

function ringSig(r: Ring): string {
  return `${r.seeds.join(",")}|${r.entries.map((e) => `${e.token}:${e.peer}:${e.version}:${e.free}`).join(",")}`;
}

function proof(password: string, nonce: string): string {
  return crypto.createHmac("sha256", password).update(nonce).digest("hex");
}

/** A stable locally administered MAC from the host label (Weave derives it from machine-id). */
export function derivedName(label: string): string {
  const h = crypto.createHash("sha256").update(`weave-double:${label}`).digest();
  h[0] = (h[0] & 0xfe) | 0x02;
  return [...h.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export function splitHostPort(s: string, defaultPort: number): [string, string] {
  const i = s.lastIndexOf(":");
  if (i < 0) return [s, String(defaultPort)];
  return [s.slice(0, i), s.slice(i + 1)];
}

/** `host[:port]` → address, or the error text `weave connect` shows. */
export async function resolvePeer(
  p: string,
  defaultPort: number,
): Promise<{ host: string; port: number } | { error: string }> {
  const [host, portText] = splitHostPort(p, defaultPort);
  if (host === "" || !/^[A-Za-z0-9]+$/.test(portText))
    return { error: `invalid peer name "${p}", should be host[:port]` };
  if (!/^\d+$/.test(portText)) return { error: `address tcp/${portText}: unknown port` };
  const port = Number(portText);
  if (parseIp(host) !== undefined) return { host, port };
  try {
    const r = await dns.promises.lookup(host, { family: 4 });
    return { host: r.address, port };
  } catch {
    return { error: `lookup ${host}: no such host` };
  }
}

function errText(e: unknown): string {
  return errnoText(e as Error);
}

function errnoText(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "EADDRINUSE":
      return "address already in use";
    case "EADDRNOTAVAIL":
      return "cannot assign requested address";
    case "EHOSTUNREACH":
      return "no route to host";
    case "ENETUNREACH":
      return "network is unreachable";
    case "ETIMEDOUT":
      return "i/o timeout";
    case "EACCES":
      return "permission denied";
    default:
      return e.message;
  }
}
