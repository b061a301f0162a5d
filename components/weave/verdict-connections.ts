/**
 * The consensus verdict's checks of a router's connections: an established one to every other
 * host, each failure explained in the words of who must change what (the router's log says why
 * where the report shows only a reset), strangers it dials, and decisive log lines.
 */
import { classifyLine, type WeaveError } from "./errors";
import type { ConnectionInfo, WeaveReport } from "./types";
import type { ExpectedHost, ExpectedLab, Judge } from "./verdict-types";

export const ipOf = (address: string): string => address.replace(/:\d+$/, "");

/** Turn a connection failure into a sentence naming who must change what. */
export function explainFailure(
  host: string,
  peerLabel: string,
  peerHost: ExpectedHost | undefined,
  e: WeaveError | undefined,
  raw: string,
  lab: ExpectedLab,
): { kind: string; message: string } {
  const head = `${host}: connection to ${peerLabel} failed: `;
  if (!e) return { kind: "connection-failed", message: `${head}${raw}` };
  switch (e.kind) {
    case "incompatible-range": {
      const odd =
        e.ours !== lab.range ? host : e.received !== lab.range ? (peerHost?.name ?? peerLabel) : undefined;
      const who = odd
        ? `${odd} was launched with another --ipalloc-range (the lab's is ${lab.range})`
        : "the two routers disagree on --ipalloc-range";
      return {
        kind: e.kind,
        message: `${head}Incompatible IP allocation ranges (received ${e.received}, ours ${e.ours}): ${who}`,
      };
    }
    case "seeded-by-different-peers": {
      const fmt = (l: typeof e.ours) => l.map((p) => p.nickname || p.name).join(", ") || "none";
      return {
        kind: e.kind,
        message: `${head}IP allocation was seeded by different peers (theirs: ${fmt(e.received)}; ours: ${fmt(e.ours)}): the routers formed separate rings; reset one side and relaunch it with the lab's peers`,
      };
    }
    case "password-missing-here":
      return {
        kind: e.kind,
        message: `${head}${host} has no password but ${peerLabel} encrypts; launch every router with the same password`,
      };
    case "password-missing-on-peer":
      return {
        kind: e.kind,
        message: `${head}${peerLabel} has no password but ${host} encrypts; launch every router with the same password`,
      };
    case "connection-refused":
      return {
        kind: e.kind,
        message: `${head}nothing listens on ${e.target} (router on ${peerLabel} not running, or TCP 6783 blocked)`,
      };
    default:
      return { kind: e.kind, message: `${head}${e.line}. ${e.advice}` };
  }
}

/**
 * Connections: an established one to every other host, failures explained (the router's log
 * says why where the report shows only a reset). `ready` is false while one is being set up.
 */
export function checkConnections(
  j: Judge,
  h: ExpectedHost,
  r: WeaveReport,
  logErrors: WeaveError[],
): { ready: boolean; allConnected: boolean } {
  const { expected, problem, wait } = j;
  let ready = true;
  let allConnected = true;
  for (const other of expected.hosts) {
    if (other.name === h.name) continue;
    const conns = r.router.connections.filter(
      (c) => c.peer?.name.toLowerCase() === other.peerName.toLowerCase() || ipOf(c.address) === other.address,
    );
    if (conns.some((c) => c.state === "established")) continue;
    allConnected = false;
    const failed = conns.find((c) => c.state === "failed" || c.state === "retrying");
    if (failed) {
      let e = classifyLine(failed.error ?? failed.info);
      // A reset only says the far end hung up; the log usually says why (password, range…).
      if (!e || e.kind === "connection-reset") {
        const fromLog = logErrors.find(
          (x) =>
            x.kind !== "connection-reset" &&
            x.kind !== "connect-to-self" &&
            (!x.remote || ipOf(x.remote.address) === other.address),
        );
        if (fromLog) e = fromLog;
      }
      const ex = explainFailure(
        h.name,
        `${ipOf(failed.address)} (${other.name})`,
        other,
        e,
        failed.error ?? failed.info,
        expected,
      );
      problem(h.name, ex.kind, ex.message);
    } else if (conns.some((c: ConnectionInfo) => c.state === "pending" || c.state === "connecting")) {
      ready = false;
      wait(h.name, "connection-pending", `${h.name}: connection to ${other.name} is still being set up`);
    } else {
      problem(h.name, "not-connected", `${h.name}: no connection to ${other.name} (${other.address})`);
    }
  }
  return { ready, allConnected };
}

/** A failed dial to an address that is not a lab host. */
export function checkDialledStrangers(j: Judge, h: ExpectedHost, r: WeaveReport): void {
  const { byIp, problem } = j;
  for (const c of r.router.connections) {
    if (c.state !== "failed") continue;
    const ip = ipOf(c.address);
    if (!byIp.has(ip) && !(c.error ?? "").includes("cannot connect to ourself")) {
      problem(
        h.name,
        "stranger-target",
        `${h.name}: dials ${c.address}, which is not a host of this lab: ${c.error ?? c.info}`,
        { address: ip },
      );
    }
  }
}

/**
 * Decisive log lines not already explained by a connection (e.g. the passive side of a
 * mismatch). Once every connection is established they are history, not the present.
 */
export function checkLogLines(
  j: Judge,
  h: ExpectedHost,
  logErrors: WeaveError[],
  allConnected: boolean,
): void {
  const { problems, label, problem } = j;
  for (const e of allConnected ? [] : logErrors) {
    const decisive = [
      "password-missing-here",
      "password-missing-on-peer",
      "password-mismatch",
      "incompatible-range",
      "seeded-by-different-peers",
      "peer-name-collision",
      "ipam-assertion-panic",
    ];
    if (!decisive.includes(e.kind) || problems.some((p) => p.host === h.name && p.kind === e.kind)) continue;
    const who = e.remote?.peer
      ? label(e.remote.peer.name, e.remote.peer.nickname)
      : e.remote
        ? ipOf(e.remote.address)
        : "a peer";
    const about = e.remote?.peer
      ? { peerName: e.remote.peer.name, ...(e.remote ? { address: ipOf(e.remote.address) } : {}) }
      : e.remote
        ? { address: ipOf(e.remote.address) }
        : undefined;
    problem(h.name, e.kind, `${h.name}: log says (about ${who}): ${e.line}. ${e.advice}`, about);
  }
}
