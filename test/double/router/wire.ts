/**
 * What router doubles say to each other over a mesh connection: JSON lines (hello, password
 * proof, gossip, unicast), and the records gossip carries (peers, DNS sets). See README.md,
 * "Deliberate differences from Weave".
 */
import * as crypto from "crypto";
import { PaxosRecord } from "./ipam";
import { Ring } from "./ring";
import { PeerConnectionView } from "./view";

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
export interface WirePeer {
  name: string;
  nick: string;
  uid: string;
  shortId: number;
  version: number;
  conns: Array<[string, string, 0 | 1, string]>;
}

export function toWire(p: PeerRecord): WirePeer {
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

/** One origin peer's weaveDNS entries, versioned as a whole. */
export interface DnsSet {
  version: number;
  entries: DnsEntry[];
}

export type Msg =
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

export type Unicast =
  | { k: "donate"; start: number; end: number }
  | { k: "claim"; addr: number }
  | { k: "claim-used"; addr: number };

export function ringSig(r: Ring): string {
  return `${r.seeds.join(",")}|${r.entries.map((e) => `${e.token}:${e.peer}:${e.version}:${e.free}`).join(",")}`;
}

/** The password proof for a nonce (HMAC; the password itself never crosses the wire). */
export function proof(password: string, nonce: string): string {
  return crypto.createHmac("sha256", password).update(nonce).digest("hex");
}
