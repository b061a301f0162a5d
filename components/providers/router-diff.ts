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
import type { RouterInputs, RouterOutputs } from "./types";

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

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

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

export function diffRouter(olds: Partial<RouterOutputs>, news: RouterInputs): RouterDiff {
  const replaces: string[] = [];
  const updates: string[] = [];
  const reasons: string[] = [];
  for (const f of REPLACE_FIELDS) {
    if (!same(olds[f], news[f])) {
      replaces.push(f);
      reasons.push(
        f === "password"
          ? "password changed: every router must relaunch with the new one"
          : `${f} changed from ${JSON.stringify(olds[f] ?? null)} to ${JSON.stringify(news[f] ?? null)}: the router relaunches with its IPAM data reset`,
      );
    }
  }
  const ow = olds.weave;
  if (!ow || ow.distribution !== news.weave.distribution || ow.version !== news.weave.version) {
    replaces.push("weave");
    reasons.push(
      `Weave changed from ${ow ? `${ow.distribution} ${ow.version}` : "nothing"} to ${news.weave.distribution} ${news.weave.version}`,
    );
  } else if (!same(ow, news.weave)) {
    updates.push("weave");
    reasons.push("Weave install settings changed (script path/url/checksum): checked at the next launch");
  }
  const oldFlags = olds.launch
    ? ownLaunchFlags(
        olds.launch,
        (olds.peers ?? []).map((p) => p.address),
      )
    : [];
  const newFlags = ownLaunchFlags(
    news.launch,
    news.peers.map((p) => p.address),
  );
  if (!same(oldFlags, newFlags) && !replaces.includes("launch")) {
    replaces.push("launch");
    reasons.push(`launch flags changed from ${oldFlags.join(" ")} to ${newFlags.join(" ")}`);
  }
  if (olds.status === "reconfigured") {
    replaces.push("status");
    reasons.push(`the router was reconfigured out of band (${olds.statusDetail ?? "name or range differ"})`);
  }
  if (replaces.length === 0) {
    const oldPeers = (olds.peers ?? []).map((p) => `${p.host}=${p.address}=${p.peerName}`).sort();
    const newPeers = news.peers.map((p) => `${p.host}=${p.address}=${p.peerName}`).sort();
    if (!same(oldPeers, newPeers)) {
      updates.push("peers");
      reasons.push(
        `peers changed: [${oldPeers.join(", ")}] → [${newPeers.join(", ")}] (weave connect/forget)`,
      );
    } else if (!same(olds.peers, news.peers)) {
      updates.push("peers");
      reasons.push("connection settings of peers changed");
    }
    if (!same(olds.seedNames, news.seedNames)) {
      updates.push("seedNames");
      reasons.push("seed list changed with membership: applied as connect/forget, the ring is kept");
    }
    if (!same(olds.connection, news.connection)) {
      updates.push("connection");
      reasons.push("SSH connection settings changed");
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
  return { changes: replaces.length + updates.length > 0, replaces, updates, reasons };
}
