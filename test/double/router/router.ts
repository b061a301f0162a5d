/**
 * The router double: one process per lab host, playing Weave 2.8.1's `weaver` for the parts the
 * CLI and the product observe — the mesh (TCP JSON lines between doubles on port 6783), IPAM,
 * weaveDNS, and the HTTP API. See README.md beside this file for the process contract.
 *
 * The Router holds the peer's identity and its picture of the mesh (peers, nicknames), starts
 * and stops the parts, and answers the HTTP API. The parts: `connections.ts` (sockets and
 * handshakes), `targets.ts` (dialling and retries), `gossip.ts` (topology and state exchange),
 * `dns.ts` (weaveDNS), `ipam.ts` (the allocator), `persist.ts` (weavedb.json) and `snapshot.ts`
 * (what `/status` and `/report` show).
 */
import * as crypto from "crypto";
import * as path from "path";
import { resolvePeer } from "./addr";
import { optionsLine, RouterConfig } from "./args";
import { Connections } from "./connections";
import { WeaveDns } from "./dns";
import { Gossip } from "./gossip";
import { Allocator } from "./ipam";
import { formatCidr, normalisePeerName } from "./ip";
import { Logger } from "./log";
import { Persisted, Store } from "./persist";
import { Snapshots } from "./snapshot";
import { Targets } from "./targets";
import { RouterSnapshot } from "./view";
import { DnsEntry, PeerRecord } from "./wire";

const TICK_MS = 1000;

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
  readonly started = Date.now();
  readonly startedMono = performance.now();
  ready = false;
  /** Every peer we can reach, ourselves included, by name. */
  readonly peers = new Map<string, PeerRecord>();
  readonly nicks = new Map<string, string>();
  ipam?: Allocator;
  readonly connections = new Connections(this);
  readonly targets = new Targets(this);
  readonly gossip = new Gossip(this);
  readonly dns = new WeaveDns(this);
  private readonly store = new Store(this);
  private readonly snapshots = new Snapshots(this);
  private timers: NodeJS.Timeout[] = [];
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
    const persisted = this.store.read();
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
    this.dns.readUpstream();
    if (this.cfg.dns) await this.dns.start();
    log.info("Sniffing traffic on vethwe-pcap (via pcap)");
    await this.connections.listen();
    for (const r of resolved) this.targets.add(r.given, r.host, r.port, true);
    this.timers.push(setInterval(() => this.tick(), TICK_MS));
    this.ready = true;
  }

  private startIpam(persisted: Persisted | undefined): void {
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
        changed: () => this.gossip.queue(),
        requestDonation: (donor, start, end) => this.gossip.sendUnicast(donor, { k: "donate", start, end }),
        isAlive: (id) => this.opts.isAlive(id),
        isDestroyed: (id) => this.opts.isDestroyed?.(id) ?? false,
        preferredDonors: () => this.opts.donorPreference?.() ?? [],
        nick: (n) => this.nicks.get(n) ?? "",
        reachable: () => new Set(this.peers.keys()),
        targetCount: () => this.targets.direct().filter((t) => !t.never).length,
        persist: () => this.store.queue(),
      },
    );
    alloc.claimAsk = (owner, addr) => this.gossip.sendUnicast(owner, { k: "claim", addr });
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
    this.store.queue();
  }

  /** Stop everything (process exit, tests). */
  async stop(): Promise<void> {
    // Weave writes its DB on every change; a debounced write still pending must not be lost.
    this.store.flushQueued();
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.targets.stopTimers();
    this.connections.destroyAll();
    this.dns.stop();
    await this.connections.closeListener();
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

  private tick(): void {
    if (this.stopped) return;
    this.gossip.tick();
    this.dns.reap();
    if (this.ipam) {
      this.ipam.reapDead(this.opts.deadGraceMs);
      this.ipam.retryPending();
    }
  }

  // ---- HTTP API: peers admin (connect, forget, reset, rmpeer) ---------------------------------

  /** `POST /connect`: the errors, one per bad peer. */
  async connect(peers: string[], replace: boolean): Promise<string[]> {
    if (replace) for (const t of this.targets.direct()) this.forgetTarget(t.given);
    const errors: string[] = [];
    for (const p of peers) {
      const r = await resolvePeer(p, this.cfg.port);
      if ("error" in r) errors.push(r.error);
      else this.targets.add(p, r.host, r.port, true);
    }
    this.store.queue();
    return errors;
  }

  /** `POST /forget`. */
  forgetTarget(given: string): void {
    this.targets.forget(given);
  }

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
    this.gossip.flush();
  }

  /** `DELETE /peer/<name-or-nick>`. */
  rmpeer(who: string): string {
    const ipam = this.ipam;
    if (!ipam) return "";
    let name: string | undefined;
    for (const [n, nick] of this.nicks) if (nick === who) name = n;
    name = name ?? normalisePeerName(who);
    const n = name ? ipam.takeOver(name) : 0;
    if (n > 0) this.gossip.flush();
    return `${n} IPs taken over from ${who}\n`;
  }

  // ---- HTTP API: weaveDNS and views -----------------------------------------------------------

  /** `PUT /name/<id>/<ip>`; names outside the domain are ignored (still 204). */
  addName(cid: string, ip: string, fqdn: string): void {
    this.dns.addName(cid, ip, fqdn);
  }

  /** `DELETE /name/<id>/<ip>`: missing parts match everything; only our own entries change. */
  deleteNames(cid: string | undefined, ip: string | undefined, fqdn: string | undefined): void {
    this.dns.deleteNames(cid, ip, fqdn);
  }

  allDnsEntries(): DnsEntry[] {
    return this.dns.allEntries();
  }

  snapshot(): RouterSnapshot {
    return this.snapshots.take();
  }

  reachableSet(): Set<string> {
    return new Set(this.peers.keys());
  }
}

/** A stable locally administered MAC from the host label (Weave derives it from machine-id). */
export function derivedName(label: string): string {
  const h = crypto.createHash("sha256").update(`weave-double:${label}`).digest();
  h[0] = (h[0] & 0xfe) | 0x02;
  return [...h.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join(":");
}
