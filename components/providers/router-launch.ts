/**
 * How a host's router is launched, as pure functions: the launch argv (the plan's, without
 * `--ipalloc-init` when the host joins a ring formed without it), whether it must join (from
 * its peers' reports), the flags a running router lacks, and how this router reaches a peer.
 * The SSH side is in `router-ops.ts`.
 */
import type { ConnectParams } from "../remote/types";
import type { WeaveReport } from "../weave/types";
import type { PeerCredentials, RouterInputs, RouterPeer } from "./types";

/** The value of the last `--flag value` (or `--flag=value`) in an argv: Go flags, last one wins. */
export function flagValue(argv: string[], flag: string): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag && i + 1 < argv.length) v = argv[i + 1];
    else if (argv[i].startsWith(`${flag}=`)) v = argv[i].slice(flag.length + 1);
  }
  return v;
}

/** The launch argv for this host: the plan's, at the planned script, without `--ipalloc-init` when rejoining. */
export function launchArgv(inputs: RouterInputs, rejoin: boolean): string[] {
  const argv = [...inputs.launch.argv];
  if (argv[0] === "weave") argv[0] = inputs.weave.scriptPath;
  if (!rejoin) return argv;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--ipalloc-init") {
      i++;
      continue;
    }
    if (argv[i].startsWith("--ipalloc-init=")) continue;
    out.push(argv[i]);
  }
  return out;
}

/** The environment of every `weave` command for this router (the plan's launch env). */
export function weaveEnv(inputs: RouterInputs): Record<string, string> {
  return { ...inputs.launch.env };
}

/** weaver's refusal of an existing bridge of another type (fixture 09). */
export const BRIDGE_TYPE_MISMATCH =
  /Existing bridge type "bridge" is different than requested "bridged_fastdp"/;

/** Was a running router launched without `--ipalloc-init` (it joined a ring formed without it)? */
export function launchedToRejoin(args: string[] | undefined): boolean {
  return !args?.some((a) => a === "--ipalloc-init" || a.startsWith("--ipalloc-init="));
}

/** The lab's own flags that a running router lacks (drift that needs a relaunch, not a reset). */
export function missingFlags(inputs: RouterInputs, args: string[] | undefined, rejoined: boolean): string[] {
  if (!args) return [];
  const want = launchArgv(inputs, rejoined).slice(2);
  const peers = new Set(inputs.peers.map((p) => p.address));
  const missing: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const a = want[i];
    if (peers.has(a) || a === "--ipalloc-init") {
      if (a === "--ipalloc-init") i++;
      continue;
    }
    if (
      a.startsWith("--") &&
      i + 1 < want.length &&
      !want[i + 1].startsWith("--") &&
      !peers.has(want[i + 1])
    ) {
      if (flagValue(args, a) !== want[i + 1]) missing.push(`${a} ${want[i + 1]}`);
      i++;
    } else if (!args.includes(a)) {
      missing.push(a);
    }
  }
  return missing;
}

/**
 * Should this host launch without `--ipalloc-init`, given its peers' reports (undefined: that
 * peer did not answer)? Yes when a peer already has a ring for this range in which this host
 * owns nothing: it joins a ring formed without it (a host added later, or one that was reset).
 * Relaunching such a host with `seed=` crashes Weave (fixture 16).
 */
export function rejoinEvidence(
  inputs: RouterInputs,
  reports: Array<WeaveReport | undefined>,
): { rejoin: boolean; evidence?: string } {
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i];
    const entries = r?.ipam?.entries;
    if (!r || !r.ipam || !entries || entries.length === 0 || r.ipam.range !== inputs.allocRange) continue;
    if (!ownsAddresses(r, inputs.peerName))
      return {
        rejoin: true,
        evidence: `${inputs.peers[i].host} already has a ring for ${inputs.allocRange} without ${inputs.host}`,
      };
  }
  return { rejoin: false };
}

/** Does this report's ring give `peerName` any addresses? */
export function ownsAddresses(r: WeaveReport | undefined, peerName: string): boolean {
  return !!r?.ipam?.owners.some((o) => o.peer === peerName && o.size > 0);
}

/**
 * How a router reaches a peer: the peer's endpoint with the peer's own credentials when the
 * router's inputs carry them (`peerCredentials`), else with the router's own. State written
 * before peers lost their keys still has `connection`: used as it is, so such a lab can be
 * destroyed.
 */
export function peerConnection(
  router: Pick<RouterInputs, "connection" | "peerCredentials">,
  p: RouterPeer,
): ConnectParams {
  const legacy = (p as { connection?: ConnectParams }).connection;
  if (!p.ssh && legacy) return legacy;
  const own = router.connection;
  const auth: PeerCredentials = router.peerCredentials?.[p.host] ?? {
    privateKey: own.privateKey,
    passphrase: own.passphrase,
    agent: own.agent,
    jumpHostKey: own.jumpHost?.privateKey,
  };
  const { jumpHost, ...endpoint } = p.ssh;
  const c: ConnectParams = { ...endpoint };
  if (auth.privateKey !== undefined) c.privateKey = auth.privateKey;
  if (auth.passphrase !== undefined) c.passphrase = auth.passphrase;
  if (auth.agent !== undefined) c.agent = auth.agent;
  if (jumpHost) {
    c.jumpHost = { ...jumpHost };
    const key = auth.jumpHostKey ?? auth.privateKey;
    if (key !== undefined) c.jumpHost.privateKey = key;
  }
  return c;
}
