/**
 * Mesh connections: the listener on `--port`, accepted and dialled sockets, the handshake
 * (hello, password proof, version and name checks), one connection per peer pair, and closing
 * with the texts mesh logs. Dialling and retries are in `targets.ts`; what flows over an
 * established connection is in `gossip.ts`.
 */
import * as crypto from "crypto";
import * as net from "net";
import { errnoText, errText } from "./addr";
import type { Router } from "./router";
import type { Target } from "./targets";
import { Msg, proof } from "./wire";

export interface Conn {
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

export class Connections {
  readonly conns = new Map<number, Conn>();
  terminationCount = 0;
  private nextConnId = 1;
  private server?: net.Server;

  constructor(private readonly r: Router) {}

  /** The connections past their handshake. */
  *established(): Iterable<Conn> {
    for (const c of this.conns.values()) if (c.state === "established") yield c;
  }

  listen(): Promise<void> {
    const cfg = this.r.cfg;
    return new Promise((resolve, reject) => {
      const server = net.createServer((s) => this.accept(s));
      server.once("error", (e) =>
        reject(new Error(`listen tcp ${cfg.host}:${cfg.port}: bind: ${errText(e)}`)),
      );
      server.listen(cfg.port, cfg.host || undefined, () => {
        server.removeAllListeners("error");
        server.on("error", () => undefined);
        resolve();
      });
      this.server = server;
    });
  }

  destroyAll(): void {
    for (const c of this.conns.values()) c.socket.destroy();
  }

  async closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }

  connectedTo(t: Target): boolean {
    const key = `${t.host}:${t.port}`;
    for (const c of this.conns.values()) {
      if (c.state === "established" && (c.listenAddr === key || (c.outbound && c.target === t))) return true;
    }
    return false;
  }

  private accept(socket: net.Socket): void {
    if (this.r.stopped) {
      socket.destroy();
      return;
    }
    const remoteIp = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const addr = `${remoteIp}:${socket.remotePort}`;
    this.r.log.info(`->[${addr}] connection accepted`);
    const c = this.open(socket, false, addr, remoteIp);
    this.sendHello(c);
  }

  /** Track a new socket (accepted, or dialled by `targets.ts`) and read its JSON lines. */
  open(socket: net.Socket, outbound: boolean, address: string, remoteIp: string): Conn {
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

  send(c: Conn, m: Msg): void {
    if (c.socket.destroyed) return;
    const line = JSON.stringify(m) + "\n";
    c.socket.write(line);
  }

  /** A message already encoded as JSON. */
  sendRaw(c: Conn, json: string): void {
    if (!c.socket.destroyed) c.socket.write(json + "\n");
  }

  sendHello(c: Conn): void {
    const r = this.r;
    this.send(c, {
      t: "hello",
      name: r.name,
      nick: r.cfg.nickname,
      uid: r.uid,
      shortId: r.shortId,
      port: r.cfg.port,
      encrypt: r.cfg.password !== undefined,
      nonce: c.nonce,
      protoMin: r.cfg.minProtocol,
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
        this.r.log.info(`${this.label(c)} connection shutting down due to error during handshake: ${error}`);
      else this.r.log.info(`${this.label(c)}: connection shutting down due to error: ${error}`);
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
    const cfg = this.r.cfg;
    switch (m.t) {
      case "hello":
        return this.onHello(c, m);
      case "auth":
        if (c.state !== "handshake") return;
        if (!cfg.password || m.proof !== proof(cfg.password, c.nonce))
          return this.drop(c, "Unable to decrypt TCP msg");
        c.authed = true;
        return this.completeHandshake(c);
      case "gossip":
        if (c.state === "established") this.r.gossip.onGossip(c, m);
        return;
      case "uni":
        if (c.state === "established") this.r.gossip.onUnicast(c, m);
        return;
    }
  }

  private onHello(c: Conn, m: Extract<Msg, { t: "hello" }>): void {
    const r = this.r;
    const cfg = r.cfg;
    if (c.peer) return;
    c.theirNonce = m.nonce;
    const mine = cfg.password !== undefined;
    if (m.protoMax < cfg.minProtocol)
      return this.drop(
        c,
        `remote version range [${m.protoMin},${m.protoMax}] is incompatible with ours [${cfg.minProtocol},2]`,
      );
    if (mine && !m.encrypt)
      return this.drop(c, "password specified, but peer requested an unencrypted connection");
    if (!mine && m.encrypt)
      return this.drop(c, "no password specificed, but peer requested an encrypted connection");
    c.peer = { name: m.name, nick: m.nick, uid: m.uid, shortId: m.shortId };
    c.listenAddr = c.outbound ? c.address : `${c.remoteIp}:${m.port}`;
    c.encrypted = mine;
    if (m.name === r.name) {
      if (m.uid === r.uid) return this.drop(c, "cannot connect to ourself", true);
      return this.drop(
        c,
        `local "${r.name}(${cfg.nickname})" and remote "${m.name}(${m.nick})" peer names collision`,
        true,
      );
    }
    if (mine) {
      this.send(c, { t: "auth", proof: proof(cfg.password!, m.nonce) });
      if (!c.authed) return; // wait for theirs
    }
    this.completeHandshake(c);
  }

  private completeHandshake(c: Conn): void {
    const r = this.r;
    const cfg = r.cfg;
    if (!c.peer || c.state !== "handshake") return;
    if (cfg.password && !c.authed) return;
    const p = c.peer;
    r.log.info(`${this.label(c)}: connection ready; using protocol version 2`);
    // One connection per pair. Like mesh, which keeps the one with the smaller connection UID
    // (each end draws half of it at random), both ends keep the one whose two nonces sort first:
    // which dial survives is chance, and both ends agree on it.
    for (const other of this.conns.values()) {
      if (other === c || other.state !== "established" || other.peer?.name !== p.name) continue;
      const keepNew = tieKey(c) < tieKey(other);
      const loser = keepNew ? other : c;
      this.drop(
        loser,
        `Multiple connections to ${p.name}(${p.nick}) added to ${r.name}(${cfg.nickname})`,
        false,
        true,
      );
      if (loser === c) return;
    }
    if (this.conns.size > cfg.connLimit && cfg.connLimit > 0)
      return this.drop(c, `Connection limit reached (${cfg.connLimit})`);
    c.state = "established";
    r.nicks.set(p.name, p.nick);
    if (c.target) r.targets.connected(c.target);
    r.log.info(`overlay_switch ->[${p.name}(${p.nick})] using sleeve`);
    const isNew = !r.peers.has(p.name);
    r.log.info(`${this.label(c)}: connection added${isNew ? " (new peer)" : ""}`);
    const known = r.peers.get(p.name);
    if (!known || known.uid !== p.uid)
      r.peers.set(p.name, {
        name: p.name,
        nick: p.nick,
        uid: p.uid,
        shortId: p.shortId,
        version: 0,
        connections: [],
        listens: {},
      });
    r.log.info(`${this.label(c)}: connection fully established`);
    r.log.info(`sleeve ${this.label(c)}: Effective MTU verified at ${c.encrypted ? 1414 : 1438}`);
    r.gossip.updateSelf(false);
    // Our own news now; what we know of others after a second, once we know whom they hear directly.
    c.lastRelay = Date.now();
    r.gossip.sendTo(c);
  }

  /** The socket is gone (or, for a ring we cannot merge, as good as gone: see `gossip.ts`). */
  closed(c: Conn): void {
    const r = this.r;
    if (!this.conns.has(c.id)) return;
    this.conns.delete(c.id);
    const error = c.error ?? "EOF";
    if (!c.logged) {
      c.logged = true;
      if (c.state === "handshake")
        r.log.info(`${this.label(c)} connection shutting down due to error during handshake: ${error}`);
      else r.log.info(`${this.label(c)}: connection shutting down due to error: ${error}`);
    }
    if (c.state === "established") {
      r.log.info(`${this.label(c)}: connection deleted`);
      this.terminationCount++;
      r.gossip.updateSelf(true);
    }
    if (c.target) r.targets.lost(c.target, error);
    else if (c.state === "established" && c.listenAddr)
      r.targets.inboundLost(c.listenAddr, !!c.droppedByUs, error);
  }
}

/** The same random value at both ends of one connection: its two handshake nonces, sorted. */
function tieKey(c: Conn): string {
  return [c.nonce, c.theirNonce ?? ""].sort().join("");
}
