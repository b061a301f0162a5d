/**
 * The Router's diff, as a pure function: which changes relaunch the router (replace, with IPAM
 * data reset) and which are applied in place.
 *
 * Replace: the router-wide facts every peer must share (range, default subnet, bootstrap,
 * encryption and password, trusted subnets, DNS, Weave distribution/version) and this router's
 * own identity and launch flags (peer name, nickname, address, proxy/plugin, extra flags).
 *
 * In place: the set of other hosts (`weave connect` / `weave forget`); connection settings.
 * A changed seed list caused only by hosts joining or leaving is membership, not a new ring:
 * the seed list matters only when a ring is first formed, and relaunching every router to add
 * one host would wipe every host's IPAM data. A host that joins later launches without
 * `--ipalloc-init` (see `launchArgv`).
 *
 * After a refresh found the router stopped, the router is relaunched in place; found
 * reconfigured out of band (other name or range), it is replaced.
 */
import type { RouterInputs, RouterOutputs, RouterPeer } from "./types";
import { same } from "./diff-values";
import { containsUnknown, isRecord } from "./unknowns";
import { redactLaunchArgs } from "../plan/launch-args";

export interface RouterDiff {
  changes: boolean;
  /** Top-level input names forcing a replace; empty when the change is in place. */
  replaces: string[];
  /** Top-level input names changed in place. */
  updates: string[];
  /** Why, one sentence per key (for logs and the preview's detail). */
  reasons: string[];
}

/** Fields whose change relaunches the router with its IPAM data reset. */
export const REPLACE_FIELDS = [
  "allocRange",
  "defaultSubnet",
  "bootstrap",
  "encrypted",
  "password",
  "trustedSubnets",
  "dns",
  "proxy",
  "plugin",
  "peerName",
  "nickname",
  "address",
  "host",
  "lab",
] as const;

/**
 * The launch flags that are this router's own (extra args included), i.e. the argv without the
 * peer list and without `--ipalloc-init`, which `launchArgv` may drop for a rejoining host.
 */
export function ownLaunchFlags(launch: { argv: string[] }, peerAddresses: string[]): string[] {
  const peers = new Set(peerAddresses);
  const out: string[] = [];
  const argv = launch.argv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--ipalloc-init") {
      i++;
      continue;
    }
    if (a.startsWith("--ipalloc-init=")) continue;
    if (peers.has(a)) continue;
    out.push(a);
  }
  return out;
}

/** The argv of a (possibly unknown) launch plan, or undefined when it is not a known list. */
function argvOf(launch: unknown): string[] | undefined {
  if (!isRecord(launch) || !Array.isArray(launch.argv)) return undefined;
  return launch.argv.map(String);
}

/** The peers' entries that are known objects (a preview may hold the placeholder in their place). */
function peerList(peers: unknown): Array<Partial<RouterPeer>> {
  return Array.isArray(peers) ? peers.filter(isRecord).map((p) => p as Partial<RouterPeer>) : [];
}

const UNKNOWN_REASON = (f: string, replace: boolean): string =>
  `${f} is known only after apply${replace ? ": the router is replaced if it changes" : ""}`;

/**
 * The diff. `news` may hold Pulumi's unknown placeholder anywhere (a preview): a replace field
 * holding it is reported as a possible replace, any other field as a possible update; it never
 * throws on a value of the wrong shape.
 */
export function diffRouter(olds: Partial<RouterOutputs>, news: RouterInputs): RouterDiff {
  const replaces: string[] = [];
  const updates: string[] = [];
  const reasons: string[] = [];
  const n = news as unknown as Record<string, unknown>;
  for (const f of REPLACE_FIELDS) {
    if (containsUnknown(n[f])) {
      replaces.push(f);
      reasons.push(UNKNOWN_REASON(f, true));
    } else if (!same(olds[f], news[f])) {
      replaces.push(f);
      reasons.push(
        f === "password"
          ? "password changed: every router must relaunch with the new one"
          : `${f} changed from ${JSON.stringify(olds[f] ?? null)} to ${JSON.stringify(news[f] ?? null)}: the router relaunches with its IPAM data reset`,
      );
    }
  }
  const ow = olds.weave;
  const nw: Partial<RouterInputs["weave"]> = isRecord(news.weave) ? news.weave : {};
  if (containsUnknown(nw.distribution) || containsUnknown(nw.version) || !isRecord(news.weave)) {
    replaces.push("weave");
    reasons.push(UNKNOWN_REASON("weave", true));
  } else if (!ow || ow.distribution !== nw.distribution || ow.version !== nw.version) {
    replaces.push("weave");
    reasons.push(
      `Weave changed from ${ow ? `${ow.distribution} ${ow.version}` : "nothing"} to ${nw.distribution} ${nw.version}`,
    );
  } else if (!same(ow, news.weave)) {
    updates.push("weave");
    reasons.push(
      containsUnknown(news.weave)
        ? UNKNOWN_REASON("weave", false)
        : "Weave install settings changed (script path/url/checksum): checked at the next launch",
    );
  }
  const oldArgv = argvOf(olds.launch);
  const newArgv = argvOf(news.launch);
  const newPeers = peerList(news.peers);
  if (newArgv === undefined || containsUnknown(newArgv) || containsUnknown(newPeers.map((p) => p.address))) {
    replaces.push("launch");
    reasons.push(UNKNOWN_REASON("launch", true));
  } else {
    const oldFlags = oldArgv
      ? ownLaunchFlags(
          { argv: oldArgv },
          peerList(olds.peers).map((p) => String(p.address)),
        )
      : [];
    const newFlags = ownLaunchFlags(
      { argv: newArgv },
      newPeers.map((p) => String(p.address)),
    );
    if (!same(oldFlags, newFlags)) {
      replaces.push("launch");
      // Reasons reach the engine's log: secret flag values (a --token) are masked.
      reasons.push(
        `launch flags changed from ${redactLaunchArgs(oldFlags).join(" ")} to ${redactLaunchArgs(newFlags).join(" ")}`,
      );
    }
  }
  if (olds.status === "reconfigured") {
    replaces.push("status");
    reasons.push(`the router was reconfigured out of band (${olds.statusDetail ?? "name or range differ"})`);
  }
  if (replaces.length === 0) {
    const key = (p: Partial<RouterPeer>): string => `${p.host}=${p.address}=${p.peerName}`;
    const oldPeers = peerList(olds.peers).map(key).sort();
    const newPeerKeys = newPeers.map(key).sort();
    if (containsUnknown(news.peers)) {
      updates.push("peers");
      reasons.push(UNKNOWN_REASON("peers", false));
    } else if (!same(oldPeers, newPeerKeys)) {
      updates.push("peers");
      reasons.push(
        `peers changed: [${oldPeers.join(", ")}] → [${newPeerKeys.join(", ")}] (weave connect/forget)`,
      );
    } else if (!same(olds.peers, news.peers)) {
      updates.push("peers");
      reasons.push("SSH endpoints of peers changed");
    }
    // Applied in place, each with the reason a preview shows.
    const inPlace = [
      ["seedNames", "seed list changed with membership: applied as connect/forget, the ring is kept"],
      ["connection", "SSH connection settings changed"],
      ["peerCredentials", "SSH credentials of peers changed (recorded only: no host is touched)"],
    ] as const;
    for (const [f, reason] of inPlace) {
      if (same(olds[f], news[f])) continue;
      updates.push(f);
      reasons.push(containsUnknown(news[f]) ? UNKNOWN_REASON(f, false) : reason);
    }
    for (const f of [
      "predictedShare",
      "timeouts",
      "resetForeignRouters",
      "forgetUnreachableOnDestroy",
    ] as const) {
      if (!same(olds[f], news[f])) updates.push(f);
    }
    if (olds.status && olds.status !== "running") {
      updates.push("status");
      reasons.push(`the router is ${olds.status}: relaunch it`);
    }
  }
  // Whatever else a preview does not know yet may change (e.g. the launch's environment).
  for (const [k, v] of Object.entries(n)) {
    if (!replaces.includes(k) && !updates.includes(k) && containsUnknown(v)) {
      updates.push(k);
      reasons.push(UNKNOWN_REASON(k, false));
    }
  }
  return { changes: replaces.length + updates.length > 0, replaces, updates, reasons };
}
