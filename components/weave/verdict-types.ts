/** What the consensus verdict compares, what it returns, and what its checks share. */
import type { RangeShare } from "../model/plan";
import type { BootstrapMode } from "../spec";
import type { WeaveReport } from "./types";

/** One host as the plan expects it. */
export interface ExpectedHost {
  name: string;
  /** Address other routers dial (its TCP 6783). */
  address: string;
  peerName: string;
  /** Weave nickname; informational. */
  nickname?: string;
  /** Seed mode: the share the plan predicts. */
  predictedShare?: RangeShare[];
}

/** What the verdict compares reports against. */
export interface ExpectedLab {
  range: string;
  bootstrap: BootstrapMode;
  encrypted: boolean;
  hosts: ExpectedHost[];
}

/**
 * What was seen on one host: its parsed report (plus recent router log lines), or why there is
 * none. A report wins when both are given.
 */
export interface HostObservation {
  host: string;
  report?: WeaveReport;
  /** Recent `docker logs weave` output; explains failures the report only shows as resets. */
  logs?: string;
  /** What went wrong reaching the router, as the transport or CLI said it. */
  error?: string;
  /** Kind of `error`; defaults to a classification of its text (router-not-running, …) or `unreachable`. */
  kind?: string;
}

export interface VerdictProblem {
  host: string;
  message: string;
  kind: string;
  /**
   * The other peer the problem is about, when it is about one (a stranger in the topology, a
   * dialled address, an owner of addresses, the far end of a logged failure): its peer name
   * and/or address, so callers match on fields instead of searching the message.
   */
  about?: { peerName?: string; address?: string };
}

export interface Verdict {
  /** No problems (waits allowed). */
  healthy: boolean;
  /** Healthy, every router ready, IPAM ready everywhere, ring complete. */
  ready: boolean;
  problems: VerdictProblem[];
  /** Things not done yet; not failures. */
  waiting: VerdictProblem[];
  /** Each host's share of the range as its own router reports it (empty while no ring). */
  shares: Record<string, RangeShare[]>;
  /** One paragraph for logs and errors. */
  summary: string;
}

/** What the checks share: the expectation, lookups into it, and the findings so far. */
export interface Judge {
  expected: ExpectedLab;
  problems: VerdictProblem[];
  waiting: VerdictProblem[];
  shares: Record<string, RangeShare[]>;
  byPeerName: Map<string, ExpectedHost>;
  byIp: Map<string, ExpectedHost>;
  /** Size of the lab's range; 0 when it does not parse (a problem then). */
  rangeSize: number;
  /** A lab host's name for a peer name, else the peer name and nickname. */
  label: (peerName: string, nickname?: string) => string;
  /** Something wrong now (the same host, kind and message only once). */
  problem: (host: string, kind: string, message: string, about?: VerdictProblem["about"]) => void;
  /** Something not done yet. */
  wait: (host: string, kind: string, message: string) => void;
}
