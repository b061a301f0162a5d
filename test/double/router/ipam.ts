/**
 * The IPAM allocator of the router double (reference §8): a ring (absent until seed, consensus
 * or a received ring), this peer's allocations, pending requests, donations and a small Paxos
 * that agrees on the set of peers to split the range among. Network I/O is injected so the
 * decision logic can be driven directly in tests.
 */
import { formatIp, parseCidrLoose } from "./ip";
import {
  chooseDonation,
  cloneRing,
  createRing,
  emptyRing,
  entryEnd,
  freeIntervals,
  grant,
  mergeRing,
  ownedRanges,
  ownerOf,
  Ring,
  sortPeers,
  transferAll,
} from "./ring";

export interface Allocation {
  addr: number;
  prefix: number;
}

export interface Proposal {
  round: number;
  proposer: string;
  value: string[];
  quorum: number;
}

/** What each elector tells the others while consensus runs (gossiped, newest version wins). */
export interface PaxosRecord {
  name: string;
  version: number;
  elector: boolean;
  /** An observer (or anyone) asking electors to build a ring. */
  wantsRing: boolean;
  accepted?: Proposal;
}

export interface AllocatorHooks {
  log(msg: string): void;
  /** Something others should learn (ring, paxos): gossip soon. */
  changed(): void;
  /** Ask `donor` for space in `[start, end)`. */
  requestDonation(donor: string, start: number, end: number): void;
  isAlive(ident: string): boolean;
  /** The container was removed (Docker `destroy`): its addresses are freed at once (§8.3). */
  isDestroyed?(ident: string): boolean;
  /** Peers (nicknames or names) to ask first, in order, when they can give space; else weighted random. */
  preferredDonors?(): string[];
  /** Nickname of a peer if known. */
  nick(name: string): string;
  /** Peers currently in the topology (including self). */
  reachable(): Set<string>;
  /** Direct targets not marked "retry: never" (for the default quorum). */
  targetCount(): number;
  persist(): void;
}

interface Pending {
  ident: string;
  start: number;
  end: number;
  prefix: number;
  isContainer: boolean;
  done(result: { ok: true; cidr: string } | { ok: false; status: number; body: string }): void;
}

interface PendingClaim {
  ident: string;
  addr: number;
  prefix: number;
  isContainer: boolean;
  tries: number;
  done(result: { ok: true } | { ok: false; body: string }): void;
}

const cidrText = (a: Allocation): string => `${formatIp(a.addr)}/${a.prefix}`;

export type InitKind = "deferred" | "consensus" | "seed" | "observer";

export class Allocator {
  ring: Ring;
  owned = new Map<string, { addrs: Allocation[]; isContainer: boolean }>();
  pending: Pending[] = [];
  pendingClaims: PendingClaim[] = [];
  ringWaiters: Array<() => void> = [];
  paxos = new Map<string, PaxosRecord>();
  /** Consensus running on this peer (as proposer or acceptor). */
  awaiting = false;
  proposer = false;
  quorum = 0;
  shutdown = false;
  private paxosVersion = 0;
  private deadSince = new Map<string, number>();
  /** Ring created from our own seed list while we had no persisted data (fixture 16's trap). */
  freshSeedRing = false;
  onPanic?: (line: string) => void;

  constructor(
    readonly self: string,
    readonly range: { start: number; size: number; prefix: number },
    readonly defaultSubnet: { start: number; size: number; prefix: number },
    readonly init: { kind: InitKind; count?: number; peers?: string[] },
    private readonly hooks: AllocatorHooks,
  ) {
    this.ring = emptyRing(range.start, range.size);
  }

  get elector(): boolean {
    return this.init.kind !== "observer";
  }

  /** Seed mode: the ring exists from the start (fixture 13). */
  seedIfNeeded(): void {
    if (this.init.kind === "seed" && this.ring.entries.length === 0) {
      const nicks: Record<string, string> = {};
      for (const p of this.init.peers ?? []) nicks[p] = this.hooks.nick(p);
      this.ring = createRing(this.range.start, this.range.size, this.init.peers ?? [], nicks);
      this.freshSeedRing = true;
      this.reportFree();
    }
  }

  hasRing(): boolean {
    return this.ring.entries.length > 0;
  }

  /** Addresses allocated here inside the range (status "active", report ActiveIPs). */
  activeCount(): number {
    let n = 0;
    for (const o of this.owned.values()) for (const a of o.addrs) if (this.inRange(a.addr)) n++;
    return n;
  }

  inRange(addr: number): boolean {
    return addr >= this.range.start && addr < this.range.start + this.range.size;
  }

  private usedAddrs(): number[] {
    const out: number[] = [];
    for (const o of this.owned.values()) for (const a of o.addrs) out.push(a.addr);
    return out;
  }

  /** Recompute the free count of our ring entries; a changed count bumps the entry's version. */
  reportFree(): void {
    const used = new Set(this.usedAddrs());
    let changed = false;
    this.ring.entries.forEach((e, i) => {
      if (e.peer !== this.self) return;
      const end = entryEnd(this.ring, i);
      let free = end - e.token;
      for (const u of used) if (u >= e.token && u < end) free--;
      if (free !== e.free) {
        e.free = free;
        e.version++;
        changed = true;
      }
    });
    if (changed) this.hooks.changed();
  }

  statusText(): string {
    if (this.hasRing()) {
      const reach = this.hooks.reachable();
      const nonEmpty = this.ring.entries.filter(
        (_e, i) => entryEnd(this.ring, i) > this.ring.entries[i].token,
      );
      if (nonEmpty.length > 0 && nonEmpty.every((e) => e.peer !== this.self && !reach.has(e.peer))) {
        return "all IP ranges owned by unreachable peers - use 'rmpeer' if they are dead";
      }
      if (this.pending.length > 0) return "waiting for IP(s) to become available";
      return "ready";
    }
    if (this.awaiting && this.elector)
      return `awaiting consensus (quorum: ${this.quorum}, known: ${this.knownCount()})`;
    if (
      !this.elector &&
      (this.pending.length > 0 || this.ringWaiters.length > 0 || this.pendingClaims.length > 0)
    )
      return "priming";
    return "idle";
  }

  paxosView(): { Elector: boolean; KnownNodes: number; Quorum: number } | null {
    if (this.hasRing()) return null;
    if (this.awaiting && this.elector)
      return { Elector: true, KnownNodes: this.knownCount(), Quorum: this.quorum };
    if (!this.elector && (this.pending.length > 0 || this.ringWaiters.length > 0))
      return { Elector: false, KnownNodes: 0, Quorum: 0 };
    return null;
  }

  // ---- consensus ---------------------------------------------------------------------------

  private computeQuorum(): number {
    if (this.init.kind === "consensus" && this.init.count) return Math.floor(this.init.count / 2) + 1;
    return Math.floor((this.hooks.targetCount() + 1) / 2) + 1;
  }

  private knownCount(): number {
    const reach = this.hooks.reachable();
    let n = 0;
    for (const r of this.paxos.values()) if (r.elector && (r.name === this.self || reach.has(r.name))) n++;
    return n;
  }

  private myRecord(): PaxosRecord {
    let r = this.paxos.get(this.self);
    if (!r) {
      r = { name: this.self, version: 0, elector: this.elector, wantsRing: false };
      this.paxos.set(this.self, r);
    }
    return r;
  }

  private bumpMine(update: Partial<PaxosRecord>): void {
    const r = this.myRecord();
    Object.assign(r, update);
    r.version = ++this.paxosVersion;
    this.hooks.changed();
  }

  /** Something needs a ring (allocation, claim, prime): start consensus or ask electors. */
  needRing(): void {
    if (this.hasRing() || this.shutdown) return;
    if (!this.elector) {
      if (!this.myRecord().wantsRing) this.bumpMine({ wantsRing: true });
      return;
    }
    if (!this.awaiting) {
      this.awaiting = true;
      this.quorum = this.computeQuorum();
      this.bumpMine({ elector: true });
    }
    this.proposer = true;
    this.step();
  }

  /** Paxos records from a neighbour; an idle elector that hears of consensus joins it. */
  mergePaxos(records: PaxosRecord[]): void {
    if (this.hasRing()) return;
    let changed = false;
    for (const r of records) {
      if (r.name === this.self) continue;
      const cur = this.paxos.get(r.name);
      if (!cur || r.version > cur.version) {
        this.paxos.set(r.name, { ...r });
        changed = true;
      }
    }
    if (!changed) return;
    const someoneWants = [...this.paxos.values()].some(
      (r) => r.name !== this.self && (r.wantsRing || (r.elector && r.version > 0)),
    );
    if (this.elector && someoneWants && !this.awaiting) {
      this.awaiting = true;
      this.quorum = this.computeQuorum();
      this.bumpMine({ elector: true });
      if ([...this.paxos.values()].some((r) => r.wantsRing && !r.elector)) this.proposer = true;
    }
    this.step();
  }

  private static higher(a: Proposal | undefined, b: Proposal | undefined): boolean {
    if (!a) return false;
    if (!b) return true;
    return a.round > b.round || (a.round === b.round && a.proposer > b.proposer);
  }

  private step(): void {
    if (!this.awaiting || this.hasRing() || !this.elector) return;
    const reach = this.hooks.reachable();
    const live = [...this.paxos.values()].filter(
      (r) => r.elector && (r.name === this.self || reach.has(r.name)),
    );
    const mine = this.myRecord();
    // Acceptor: adopt the highest proposal anyone has accepted.
    let best = mine.accepted;
    for (const r of live) if (Allocator.higher(r.accepted, best)) best = r.accepted;
    if (best && best !== mine.accepted && Allocator.higher(best, mine.accepted))
      this.bumpMine({ accepted: { ...best } });
    // Proposer: with a quorum of participants, propose (an already accepted value if any).
    if (this.proposer && !mine.accepted && live.length >= this.quorum) {
      const round = Math.max(0, ...live.map((r) => r.accepted?.round ?? 0)) + 1;
      const value = sortPeers(live.map((r) => r.name));
      this.bumpMine({ accepted: { round, proposer: this.self, value, quorum: this.quorum } });
    }
    // Decision: a proposal accepted by a quorum of participants becomes the ring.
    const acc = this.myRecord().accepted;
    if (acc) {
      const n = live.filter(
        (r) => r.accepted && r.accepted.round === acc.round && r.accepted.proposer === acc.proposer,
      ).length;
      if (n >= acc.quorum) {
        const nicks: Record<string, string> = {};
        for (const p of acc.value) nicks[p] = this.hooks.nick(p);
        this.ring = createRing(this.range.start, this.range.size, acc.value, nicks);
        this.hooks.log(`[allocator ${this.self}] Consensus reached: ring split among ${acc.value.join(" ")}`);
        this.ringArrived();
      }
    }
  }

  private ringArrived(): void {
    this.awaiting = false;
    this.proposer = false;
    this.paxos.clear();
    this.reportFree();
    this.hooks.changed();
    this.hooks.persist();
    const waiters = this.ringWaiters;
    this.ringWaiters = [];
    for (const w of waiters) w();
    this.retryPending();
  }

  /** Merge a ring from a neighbour; a returned string is the connection-fatal error. */
  mergeRing(theirs: Ring): string | undefined {
    const hadRing = this.hasRing();
    const r = mergeRing(this.ring, theirs, this.self);
    if (!r.ok) return r.error;
    if (!r.changed) return undefined;
    for (const l of r.lost) {
      const allocated = this.usedAddrs().some((a) => a >= l.token && a < l.nextToken);
      if (!allocated) {
        this.hooks.log(
          `ring: repair inconsistent data by accepting token ${formatIp(l.token)} from ${l.newOwner} - no allocations up to ${formatIp(l.nextToken)}`,
        );
        if (this.freshSeedRing && this.onPanic) {
          this.onPanic("Assertion failure");
          return undefined;
        }
      }
    }
    this.ring = r.ring;
    if (!hadRing) this.ringArrived();
    else {
      this.reportFree();
      this.hooks.persist();
      this.retryPending();
    }
    return undefined;
  }

  // ---- allocation --------------------------------------------------------------------------

  lookup(ident: string, subnet?: { start: number; size: number }): string[] {
    const o = this.owned.get(ident);
    if (!o) return [];
    return o.addrs
      .filter((a) => !subnet || (a.addr >= subnet.start && a.addr < subnet.start + subnet.size))
      .map(cidrText);
  }

  /** `POST /ip/<id>[/<cidr>]`: resolves when an address is found (or the request is cancelled). */
  allocate(
    ident: string,
    subnet: { start: number; size: number; prefix: number } | undefined,
    isContainer: boolean,
    done: Pending["done"],
  ): void {
    const s = subnet ?? this.defaultSubnet;
    if (this.shutdown) return done({ ok: true, cidr: "cancelled" });
    const lo = Math.max(s.start, this.range.start);
    const hi = Math.min(s.start + s.size, this.range.start + this.range.size);
    if (lo >= hi) {
      return done({
        ok: false,
        status: 400,
        body: `range ${formatIp(s.start)}/${s.prefix} out of bounds: ${formatIp(this.range.start)}/${this.range.prefix}`,
      });
    }
    const existing = this.owned.get(ident)?.addrs.find((a) => a.addr >= s.start && a.addr < s.start + s.size);
    if (existing) return done({ ok: true, cidr: cidrText(existing) });
    this.pending.push({ ident, start: s.start, end: s.start + s.size, prefix: s.prefix, isContainer, done });
    if (!this.hasRing()) this.needRing();
    else this.retryPending();
  }

  /** Try every pending allocation; ask for donations for those that still find no space. */
  retryPending(): void {
    if (!this.hasRing()) return;
    const still: Pending[] = [];
    for (const p of this.pending) {
      const addr = this.findFree(p.start, p.end);
      if (addr === undefined) {
        still.push(p);
        continue;
      }
      this.record(p.ident, { addr, prefix: p.prefix }, p.isContainer);
      p.done({ ok: true, cidr: `${formatIp(addr)}/${p.prefix}` });
    }
    this.pending = still;
    if (still.length > 0) this.askForSpace(still[0].start, still[0].end);
    this.retryClaims();
  }

  private findFree(subStart: number, subEnd: number): number | undefined {
    // The subnet's own network and broadcast addresses are never handed out.
    const lo = Math.max(subStart + 1, this.range.start);
    const hi = Math.min(subEnd - 1, this.range.start + this.range.size);
    const used = new Set(this.usedAddrs());
    for (const r of ownedRanges(this.ring, this.self)) {
      for (let a = Math.max(r.start, lo); a < Math.min(r.end, hi); a++) if (!used.has(a)) return a;
    }
    return undefined;
  }

  private record(ident: string, a: Allocation, isContainer: boolean): void {
    const o = this.owned.get(ident) ?? { addrs: [], isContainer };
    o.addrs.push(a);
    o.isContainer = o.isContainer || isContainer;
    this.owned.set(ident, o);
    this.reportFree();
    this.hooks.persist();
  }

  private lastAsk = 0;
  private askForSpace(start: number, end: number): void {
    if (Date.now() - this.lastAsk < 500) return;
    this.lastAsk = Date.now();
    const reach = this.hooks.reachable();
    const donors = new Map<string, number>();
    this.ring.entries.forEach((e, i) => {
      if (e.peer === this.self || !reach.has(e.peer)) return;
      const s = Math.max(e.token, start);
      const t = Math.min(entryEnd(this.ring, i), end);
      if (s < t && e.free > 0) donors.set(e.peer, (donors.get(e.peer) ?? 0) + Math.min(e.free, t - s));
    });
    const total = [...donors.values()].reduce((x, y) => x + y, 0);
    if (total === 0) return;
    for (const want of this.hooks.preferredDonors?.() ?? []) {
      const peer = [...donors.keys()].find((p) => p === want || this.hooks.nick(p) === want);
      if (peer) {
        this.hooks.requestDonation(peer, start, end);
        return;
      }
    }
    // Weighted-random choice like Weave: more free space, more likely to be asked.
    let pick = Math.random() * total;
    for (const [peer, w] of donors) {
      pick -= w;
      if (pick <= 0) {
        this.hooks.requestDonation(peer, start, end);
        return;
      }
    }
  }

  /** A peer asks us for space: give the block §8.3 describes, or nothing. */
  donate(requester: string, start: number, end: number): boolean {
    if (!this.hasRing() || this.shutdown) return false;
    const mine = ownedRanges(this.ring, this.self)
      .map((r) => ({ start: Math.max(r.start, start), end: Math.min(r.end, end) }))
      .filter((r) => r.start < r.end);
    const block = chooseDonation(freeIntervals(mine, this.usedAddrs()));
    if (!block) return false;
    this.ring = grant(this.ring, block.start, block.end, requester, this.hooks.nick(requester));
    this.reportFree();
    this.hooks.changed();
    this.hooks.persist();
    return true;
  }

  free(ident: string, addrText: string): string | undefined {
    const o = this.owned.get(ident);
    const i = o ? o.addrs.findIndex((a) => formatIp(a.addr) === addrText) : -1;
    if (!o || i < 0) return `Unable to free: Free: address ${addrText} not found for ${ident}`;
    o.addrs.splice(i, 1);
    if (o.addrs.length === 0) this.owned.delete(ident);
    this.reportFree();
    this.hooks.persist();
    this.retryPending();
    return undefined;
  }

  deleteIdent(ident: string): string | undefined {
    if (!this.owned.has(ident)) return `Delete: no addresses for ${ident}`;
    this.owned.delete(ident);
    this.reportFree();
    this.hooks.persist();
    this.retryPending();
    return undefined;
  }

  /** `PUT /ip/<id>/<ip>/<len>`: outside the range local only; inside it needs the ring. */
  claim(ident: string, addr: number, prefix: number, isContainer: boolean, done: PendingClaim["done"]): void {
    if (this.shutdown) return done({ ok: false, body: "cancelled" });
    const a = { addr, prefix };
    for (const [other, o] of this.owned) {
      if (o.addrs.some((x) => x.addr === addr)) {
        if (other === ident) return done({ ok: true });
        if (!this.inRange(addr)) {
          if (o.isContainer && !this.hooks.isAlive(other)) {
            this.owned.delete(other);
            break;
          }
          return done({
            ok: false,
            body: `Unable to claim: address ${cidrText(a)} already in use by ${other}`,
          });
        }
        if (other === "_")
          return done({ ok: false, body: `Unable to claim: address ${cidrText(a)} already in use` });
        return done({
          ok: false,
          body: `Unable to claim: address ${cidrText(a)} is already owned by ${other}`,
        });
      }
    }
    if (!this.inRange(addr)) {
      this.record(ident, a, isContainer);
      return done({ ok: true });
    }
    this.pendingClaims.push({ ident, addr, prefix, isContainer, tries: 0, done });
    if (!this.hasRing()) this.needRing();
    else this.retryClaims();
  }

  /** Answers from owners of claimed addresses: `used` means the owner has it allocated. */
  claimRefused(addr: number, owner: string): void {
    const i = this.pendingClaims.findIndex((c) => c.addr === addr);
    if (i < 0) return;
    const c = this.pendingClaims.splice(i, 1)[0];
    c.done({
      ok: false,
      body: `Unable to claim: address ${cidrText(c)} is owned by other peer ${owner} (${this.hooks.nick(owner)})`,
    });
  }

  claimAsk?: (owner: string, addr: number) => void;

  private retryClaims(): void {
    if (!this.hasRing()) return;
    const still: PendingClaim[] = [];
    for (const c of this.pendingClaims) {
      const owner = ownerOf(this.ring, c.addr);
      if (owner && owner.peer === this.self) {
        this.record(c.ident, { addr: c.addr, prefix: c.prefix }, c.isContainer);
        c.done({ ok: true });
        continue;
      }
      if (owner && this.claimAsk) {
        c.tries++;
        if (!this.hooks.reachable().has(owner.peer) && c.tries > 5) {
          c.done({
            ok: false,
            body: `Unable to claim: address ${cidrText(c)} is owned by other peer ${owner.peer} (${this.hooks.nick(owner.peer)}) - peer is unreachable`,
          });
          continue;
        }
        this.claimAsk(owner.peer, c.addr);
      }
      still.push(c);
    }
    this.pendingClaims = still;
  }

  /** A peer wants one of our addresses for a claim: give it if free. */
  donateSingle(requester: string, addr: number): "granted" | "used" | "not-mine" {
    const owner = ownerOf(this.ring, addr);
    if (!owner || owner.peer !== this.self) return "not-mine";
    if (this.usedAddrs().includes(addr)) return "used";
    this.ring = grant(this.ring, addr, addr + 1, requester, this.hooks.nick(requester));
    this.reportFree();
    this.hooks.changed();
    this.hooks.persist();
    return "granted";
  }

  /** `GET /ring`: resolve when the ring exists. */
  prime(done: () => void): void {
    if (this.hasRing()) return done();
    this.ringWaiters.push(done);
    this.needRing();
  }

  /** `DELETE /peer`: give everything to an heir (§8.6) and stop. Returns the heir, if any. */
  handOver(candidates: {
    reachableOwners: string[];
    reachable: string[];
    others: string[];
  }): string | undefined {
    this.shutdown = true;
    for (const p of this.pending) p.done({ ok: true, cidr: "cancelled" });
    this.pending = [];
    for (const c of this.pendingClaims) c.done({ ok: false, body: "cancelled" });
    this.pendingClaims = [];
    const heir = candidates.reachableOwners[0] ?? candidates.reachable[0] ?? candidates.others[0];
    if (heir && this.hasRing()) {
      this.ring = transferAll(this.ring, this.self, heir, this.hooks.nick(heir), 100).ring;
      this.hooks.changed();
    }
    return heir;
  }

  /** `DELETE /peer/<name>`: take over everything `peer` owns; the count of addresses gained. */
  takeOver(peer: string): number {
    if (peer === this.self || !this.hasRing()) return 0;
    const r = transferAll(this.ring, peer, this.self, this.hooks.nick(this.self), 100);
    if (r.moved === 0) return 0;
    this.ring = r.ring;
    this.reportFree();
    this.hooks.changed();
    this.hooks.persist();
    this.retryPending();
    return r.moved;
  }

  /** Containers that died more than `graceMs` ago lose their addresses (Weave: 30 s). */
  reapDead(graceMs: number): void {
    const now = Date.now();
    let changed = false;
    for (const [ident, o] of this.owned) {
      if (!o.isContainer) continue;
      if (this.hooks.isAlive(ident)) {
        this.deadSince.delete(ident);
        continue;
      }
      const since = this.deadSince.get(ident) ?? now;
      this.deadSince.set(ident, since);
      if (now - since >= graceMs || this.hooks.isDestroyed?.(ident)) {
        this.owned.delete(ident);
        this.deadSince.delete(ident);
        changed = true;
      }
    }
    if (changed) {
      this.reportFree();
      this.hooks.persist();
      this.retryPending();
    }
  }

  /** Persisted form (weavedb.json). */
  toPersist(): { ring: Ring; owned: Array<{ ident: string; cidrs: string[]; isContainer: boolean }> } {
    return {
      ring: cloneRing(this.ring),
      owned: [...this.owned].map(([ident, o]) => ({
        ident,
        cidrs: o.addrs.map(cidrText),
        isContainer: o.isContainer,
      })),
    };
  }

  loadPersisted(p: {
    ring: Ring;
    owned: Array<{ ident: string; cidrs: string[]; isContainer: boolean }>;
  }): void {
    this.ring = cloneRing(p.ring);
    for (const o of p.owned) {
      const addrs: Allocation[] = [];
      for (const c of o.cidrs) {
        const l = parseCidrLoose(c);
        if (l) addrs.push({ addr: l.addr, prefix: l.prefix });
      }
      if (o.isContainer && !this.hooks.isAlive(o.ident)) continue; // pruned at start, like Weave
      if (addrs.length) this.owned.set(o.ident, { addrs, isContainer: o.isContainer });
    }
    this.reportFree();
  }
}
