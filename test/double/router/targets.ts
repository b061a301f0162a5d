/**
 * Where the router dials: launch and `weave connect` peers (direct targets) and addresses found
 * by discovery, each with its state (connecting, retrying, failed, connected), last error and
 * back-off. The connections themselves live in `connections.ts`.
 */
import * as net from "net";
import { errnoText, splitHostPort } from "./addr";
import type { Router } from "./router";

export interface Target {
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

export const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 8000;
/** How long an address learned from an inbound connection stays a discovery target. */
const LEARNED_TTL_MS = 30_000;

export class Targets {
  /** By `host:port`. */
  readonly byAddr = new Map<string, Target>();
  /** Listen addresses of peers that connected to us, and when (mesh dials them back, fixture 06). */
  private learned = new Map<string, number>();

  constructor(private readonly r: Router) {}

  /** The direct targets (launch peers and `weave connect`), as `status targets` lists them. */
  direct(): Target[] {
    return [...this.byAddr.values()].filter((t) => t.direct);
  }

  add(given: string, host: string, port: number, direct: boolean): void {
    const key = `${host}:${port}`;
    const existing = this.byAddr.get(key);
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
    this.byAddr.set(key, t);
    this.dial(t);
  }

  forget(given: string): void {
    for (const [k, t] of this.byAddr) {
      if (t.given === given || k === given || t.host === given) {
        if (t.timer) clearTimeout(t.timer);
        this.byAddr.delete(k);
      }
    }
  }

  /** Router stopping: no retry may fire afterwards. */
  stopTimers(): void {
    for (const t of this.byAddr.values()) if (t.timer) clearTimeout(t.timer);
  }

  private dial(t: Target): void {
    const r = this.r;
    if (r.stopped || !this.byAddr.has(`${t.host}:${t.port}`) || t.never || t.dialing) return;
    if (r.connections.connectedTo(t)) {
      t.state = "connected";
      return;
    }
    t.state = t.attempts === 0 ? "connecting" : "retrying";
    t.attempts++;
    t.dialing = true;
    const addr = `${t.host}:${t.port}`;
    r.log.info(`->[${addr}] attempting connection`);
    const socket = net.connect({ host: t.host, port: t.port, localAddress: r.cfg.host || undefined });
    let connected = false;
    socket.once("connect", () => {
      connected = true;
      const c = r.connections.open(socket, true, addr, t.host);
      c.target = t;
      r.connections.sendHello(c);
    });
    socket.once("error", (e) => {
      if (connected) return;
      t.dialing = false;
      const text = `dial tcp :0->${addr}: connect: ${errnoText(e)}`;
      r.log.info(`->[${addr}] error during connection attempt: ${text}`);
      this.failed(t, text);
    });
  }

  /** A connection to the target completed its handshake. */
  connected(t: Target): void {
    t.state = "connected";
    t.dialing = false;
    t.delayMs = FIRST_RETRY_MS;
    t.lastError = undefined;
  }

  /** Our connection to the target went away with `error`. */
  lost(t: Target, error: string): void {
    t.dialing = false;
    if (!this.r.connections.connectedTo(t)) this.failed(t, error, t.never);
    else t.state = "connected";
  }

  failed(t: Target, error: string, never = false): void {
    if (!this.byAddr.has(`${t.host}:${t.port}`)) return;
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
      this.byAddr.delete(`${t.host}:${t.port}`);
      return;
    }
    // Weave backs off from 2 s ×1.5 up to 6 min; the double starts at 1 s and caps at 8 s so a
    // lab converges quickly after a peer comes back.
    const jitter = 0.9 + Math.random() * 0.2;
    const delay = Math.min(t.delayMs, MAX_RETRY_MS) * jitter;
    t.delayMs = Math.min(t.delayMs * 1.5, MAX_RETRY_MS);
    t.retryAt = new Date(Date.now() + delay);
    t.retryMono = (performance.now() - this.r.startedMono + delay) / 1000;
    t.timer = setTimeout(() => {
      t.timer = undefined;
      this.dial(t);
    }, delay);
  }

  /**
   * An established inbound connection from a peer listening on `listenAddr` closed, with `error`;
   * `droppedByUs` when we closed it ourselves.
   */
  inboundLost(listenAddr: string, droppedByUs: boolean, error: string): void {
    const r = this.r;
    // An inbound connection the peer closed: dial its address back (direct target, or one
    // learned by discovery, as docker1 does with docker4 in fixture 06). One we closed ourselves
    // is not retried from this side (fixture 17: docker2 shows no connection).
    // Each new inbound link renews what we learned, so a peer that keeps calling keeps being
    // dialled back (fixture 06: docker1 retries docker4 for as long as docker4 retries it).
    if (!droppedByUs && r.cfg.discovery) this.learned.set(listenAddr, Date.now());
    if (!droppedByUs && r.cfg.discovery && !this.byAddr.has(listenAddr)) {
      const [host, port] = splitHostPort(listenAddr, r.cfg.port);
      this.byAddr.set(listenAddr, {
        given: listenAddr,
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
    const t = this.byAddr.get(listenAddr);
    if (t && droppedByUs && !t.dialing && !r.connections.connectedTo(t)) {
      // We refused this link (fixture 06: docker4 drops docker1's call for its range): the
      // target to that peer shows why, and a retry already scheduled is kept, not pushed back.
      if (t.timer) {
        t.lastError = error;
        t.state = "failed";
      } else this.failed(t, error);
    } else if (t && !t.dialing && !t.timer && !r.connections.connectedTo(t)) {
      t.attempts = Math.max(t.attempts, 1);
      t.timer = setTimeout(
        () => {
          t.timer = undefined;
          this.dial(t);
        },
        FIRST_RETRY_MS * (0.9 + Math.random() * 0.2),
      );
      t.state = "connecting";
    }
  }

  /** A discovered address stays a target while some known peer still lists it. */
  private discoverable(t: Target): boolean {
    const key = `${t.host}:${t.port}`;
    const seen = this.learned.get(key);
    return this.discoveredAddrs().has(key) || (seen !== undefined && Date.now() - seen < LEARNED_TTL_MS);
  }

  private discoveredAddrs(): Set<string> {
    const r = this.r;
    const out = new Set<string>();
    if (!r.cfg.discovery) return out;
    for (const p of r.peers.values()) {
      if (p.name === r.name) continue;
      for (const c of p.connections) {
        if (c.Name === r.name) continue;
        const addr = c.Outbound ? c.Address : p.listens[c.Name];
        if (addr) out.add(addr);
      }
    }
    return out;
  }
}
