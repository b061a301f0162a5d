/**
 * weaveDNS: this peer's entries (`PUT`/`DELETE /name`, tombstoned when a container dies), the
 * sets gossiped by other peers, lookups, and the UDP server that answers them.
 */
import * as dgram from "dgram";
import * as fs from "fs";
import { errText, splitHostPort } from "./addr";
import { buildResponse, parseQuery, RCODE, shuffle } from "./dnswire";
import type { Router } from "./router";
import { DnsEntry, DnsSet } from "./wire";

export class WeaveDns {
  /** Entries by origin peer: ours, and those gossip brought. */
  readonly sets = new Map<string, DnsSet>();
  upstream: string[] = [];
  private version = 0;
  private udp?: dgram.Socket;
  /** Containers seen running (their names are tombstoned when they stop). */
  private seenAlive = new Set<string>();

  constructor(private readonly r: Router) {}

  readUpstream(): void {
    const cfg = this.r.cfg;
    const own = cfg.dnsListen.split(":")[0];
    for (const f of [cfg.resolvConf, "/etc/resolv.conf"]) {
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
  async start(): Promise<void> {
    const [host, portText] = splitHostPort(this.r.cfg.dnsListen, 53);
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
    sock.on("message", (msg, rinfo) => this.answer(msg, rinfo, sock));
    sock.on("error", () => undefined);
    this.udp = sock;
    this.r.log.info(`Listening for DNS queries on ${this.r.cfg.dnsListen}`);
  }

  stop(): void {
    const udp = this.udp;
    this.udp = undefined;
    udp?.close();
  }

  private mySet(): DnsSet {
    let s = this.sets.get(this.r.name);
    if (!s) {
      s = { version: 0, entries: [] };
      this.sets.set(this.r.name, s);
    }
    return s;
  }

  private changed(): void {
    this.mySet().version = ++this.version;
    this.r.gossip.queue();
  }

  inDomain(fqdn: string): boolean {
    const f = (fqdn.endsWith(".") ? fqdn : fqdn + ".").toLowerCase();
    return f.endsWith("." + this.r.cfg.dnsDomain.toLowerCase());
  }

  /** `PUT /name/<id>/<ip>`; names outside the domain are ignored (still 204). */
  addName(cid: string, ip: string, fqdn: string): void {
    const r = this.r;
    const host = fqdn.endsWith(".") ? fqdn : fqdn + ".";
    if (!this.inDomain(host)) {
      r.log.info(
        `[nameserver ${r.name}] Ignoring registration ${host} (not a subdomain of ${r.cfg.dnsDomain})`,
      );
      return;
    }
    if (r.opts.isAlive(cid)) this.seenAlive.add(cid);
    const set = this.mySet();
    const found = set.entries.find(
      (e) => e.cid === cid && e.ip === ip && e.hostname.toLowerCase() === host.toLowerCase(),
    );
    if (found) {
      if (found.tombstone === 0) return;
      found.tombstone = 0;
      found.version++;
    } else {
      set.entries.push({ hostname: host, origin: r.name, cid, ip, version: 0, tombstone: 0 });
    }
    this.changed();
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
    if (changed) this.changed();
  }

  /** Entries of containers that stopped are tombstoned (Docker `die` event). */
  reap(): void {
    let changed = false;
    for (const e of this.mySet().entries) {
      if (e.tombstone !== 0 || !/^[0-9a-f]{64}$/.test(e.cid)) continue;
      // Only a container we saw running can "die"; an id that never ran keeps its names.
      if (this.r.opts.isAlive(e.cid)) {
        this.seenAlive.add(e.cid);
        continue;
      }
      if (this.seenAlive.has(e.cid)) {
        e.tombstone = Math.floor(Date.now() / 1000);
        e.version++;
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  /** Newer sets of known peers from gossip; whether any was taken. */
  merge(sets: Record<string, DnsSet>): boolean {
    const r = this.r;
    let changed = false;
    for (const [origin, set] of Object.entries(sets)) {
      if (origin === r.name || !r.peers.has(origin)) continue;
      const cur = this.sets.get(origin);
      if (!cur || set.version > cur.version) {
        this.sets.set(origin, set);
        changed = true;
      }
    }
    return changed;
  }

  allEntries(): DnsEntry[] {
    const out: DnsEntry[] = [];
    for (const [origin, set] of this.sets)
      if (origin === this.r.name || this.r.peers.has(origin)) out.push(...set.entries);
    return out;
  }

  lookupName(name: string): string[] | undefined {
    const domain = this.r.cfg.dnsDomain.toLowerCase();
    let q = name.toLowerCase();
    const labels = q.replace(/\.$/, "").split(".");
    if (labels.length === 1) q = `${labels[0]}.${domain}`;
    if (!q.endsWith("." + domain) && q !== domain) return undefined;
    return this.allEntries()
      .filter((e) => e.tombstone === 0 && e.hostname.toLowerCase() === q)
      .map((e) => e.ip);
  }

  private answer(msg: Buffer, rinfo: dgram.RemoteInfo, sock: dgram.Socket): void {
    const q = parseQuery(msg);
    if (!q) return;
    const ips = this.lookupName(q.name);
    let resp: Buffer;
    if (ips === undefined) resp = buildResponse(q, RCODE.SERVFAIL, [], 0, false);
    else if (ips.length === 0) resp = buildResponse(q, RCODE.NXDOMAIN, [], 0, true);
    else if (q.qtype !== 1) resp = buildResponse(q, RCODE.NOERROR, [], 0, true);
    else resp = buildResponse(q, RCODE.NOERROR, shuffle(ips), this.r.cfg.dnsTtl, true);
    sock.send(resp, rinfo.port, rinfo.address);
  }
}
