/**
 * Recognises the Weave 2.8.1 messages a reconciler must react to, in CLI stderr, connection
 * info texts and `docker logs weave` lines (reference §3–§6, §11; fixtures 00–19), and says in
 * one sentence what the user should do about each.
 */
import { parsePeerRef } from "./status";
import type { PeerRef } from "./types";

/** Where a log line said the problem happened (`->[10.10.10.102:6783|56:…(docker2)]:`). */
export interface RemoteRef {
  address: string;
  peer?: PeerRef;
}

interface Base {
  /** The line the classification came from (log prefix removed). */
  line: string;
  /** What the user should do, in one sentence. */
  advice: string;
  /** The remote end, when the line was about a connection. */
  remote?: RemoteRef;
}

/** A recognised Weave failure, with the facts extracted from it. */
export type WeaveError = Base &
  (
    | { kind: "incompatible-range"; received: string; ours: string }
    | { kind: "seeded-by-different-peers"; received: PeerRef[]; ours: PeerRef[] }
    | { kind: "already-running" }
    | { kind: "not-startable-state" }
    | { kind: "container-name-clash"; running: boolean }
    | { kind: "other-weave-running" }
    | { kind: "command-removed"; command: string }
    | { kind: "router-not-present" }
    | { kind: "router-not-running" }
    | { kind: "router-stopped-already" }
    | { kind: "router-restarting" }
    | { kind: "router-died" }
    | { kind: "password-missing-here" }
    | { kind: "password-missing-on-peer" }
    | { kind: "password-mismatch" }
    | { kind: "docker-api-too-old"; clientApi: string; minimumApi: string }
    | { kind: "docker-client-too-old"; required: string; running: string }
    | { kind: "reset-refused-not-running" }
    | { kind: "peer-name-collision"; local: PeerRef | undefined; remotePeer: PeerRef | undefined }
    | { kind: "connect-to-self" }
    | { kind: "claim-owned-by-container"; address: string; owner: string }
    | { kind: "claim-owned-by-other-peer"; address: string; peer: string; nickname: string }
    | { kind: "claim-in-use"; address: string; owner?: string }
    | { kind: "link-not-found" }
    | { kind: "docker-bridge-missing"; bridge: string }
    | { kind: "range-overlaps-route"; network: string; route?: string; fatal: boolean }
    | { kind: "bridge-type-mismatch" }
    | { kind: "default-subnet-outside-range"; subnet: string; range: string }
    | { kind: "ipam-assertion-panic" }
    | { kind: "dns-port-in-use"; detail: string }
    | { kind: "unresolvable-peer"; name: string }
    | { kind: "connection-refused"; target: string }
    | { kind: "connection-reset" }
    | { kind: "connection-limit"; limit: number }
    | { kind: "no-such-container"; container: string }
    | { kind: "container-not-running"; container: string }
    | { kind: "container-on-host-network" }
    | { kind: "section-disabled" }
    | { kind: "detach-address-missing"; iface: string }
    | { kind: "unsupported-host"; detail: string }
    | { kind: "router-fatal"; detail: string }
  );

/** Every kind `classifyLine` can return. */
export type WeaveErrorKind = WeaveError["kind"];

function peerList(text: string): PeerRef[] {
  return text
    .split(/\s+/)
    .map((t) => parsePeerRef(t))
    .filter((p): p is PeerRef => p !== undefined);
}

/**
 * Strip a `docker logs weave` prefix (`INFO: 2026/11/28 03:04:01.472780 `) and a connection
 * prefix (`->[addr|peer]: connection shutting down due to error[ during handshake]: `).
 */
export function stripLogPrefix(line: string): { text: string; remote?: RemoteRef } {
  let text = line.replace(/^(?:INFO|WARN|ERRO|FATA|DEBU): \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d+)? /, "");
  let remote: RemoteRef | undefined;
  const c = /^->\[([^\]|]+)(?:\|([^\]]+))?\]:?\s*(.*)$/.exec(text);
  if (c) {
    remote = { address: c[1] };
    const peer = c[2] ? parsePeerRef(c[2]) : undefined;
    if (peer) remote.peer = peer;
    text = c[3].replace(/^connection shutting down due to error(?: during handshake)?: /, "");
  }
  return remote ? { text, remote } : { text };
}

type Rule = (t: string) => Omit<WeaveError, "line" | "remote"> | undefined;

const match =
  (re: RegExp, build: (m: RegExpExecArray) => Omit<WeaveError, "line" | "remote">): Rule =>
  (t) => {
    const m = re.exec(t);
    return m ? build(m) : undefined;
  };

// Order matters where texts nest (e.g. docker0's "Link not found" before the bare one).
const RULES: Rule[] = [
  match(/Incompatible IP allocation ranges \(received: ([^,]+), ours: ([^)]+)\)/, (m) => ({
    kind: "incompatible-range",
    received: m[1],
    ours: m[2],
    advice: `Every router must be launched with the same --ipalloc-range: one side has ${m[2]}, the other ${m[1]}. Relaunch the odd one out with the lab's range (weave reset, then weave launch).`,
  })),
  match(
    /IP allocation was seeded by different peers \(received: \[([^\]]*)\], ours: \[([^\]]*)\]\)/,
    (m) => ({
      kind: "seeded-by-different-peers",
      received: peerList(m[1]),
      ours: peerList(m[2]),
      advice:
        "Two IPAM rings were formed independently (split brain). Reset one side with `weave reset` and relaunch it with the full peer list or the lab's seed, so it joins the other ring.",
    }),
  ),
  match(/weave is already running; you can stop it with 'weave stop'/, () => ({
    kind: "already-running",
    advice:
      "A router is already running on this host; compare its arguments with the plan and stop it (weave stop) only if they differ.",
  })),
  match(/weave is created, paused, or restarting/, () => ({
    kind: "not-startable-state",
    advice:
      "The weave container exists in a created/paused/restarting state; run `weave stop` (or `weave reset --force`) before launching.",
  })),
  match(/Found another (running )?container named '[^']*'\. Aborting\./, (m) => ({
    kind: "container-name-clash",
    running: m[1] !== undefined,
    advice:
      "A container named 'weave' from another image exists on this host; remove or rename it, or set WEAVE_CONTAINER_NAME.",
  })),
  match(/^Weave Net is already running/, () => ({
    kind: "other-weave-running",
    advice:
      "Something already answers on 127.0.0.1:6784 (e.g. weave-kube); remove it before launching a Docker-mode router.",
  })),
  match(/The 'weave (\S+)' command has been removed as of Weave Net version 2\.0/, (m) => ({
    kind: "command-removed",
    command: m[1],
    advice: `'weave ${m[1]}' does not exist in Weave 2.x: use 'weave launch' for routers and 'docker run' followed by 'weave attach' for containers.`,
  })),
  match(/weave container is not present\. Have you launched it\?/, () => ({
    kind: "router-not-present",
    advice: "No weave router exists on this host; launch it (pulumi up) before using the network.",
  })),
  match(/weave container is not running\./, () => ({
    kind: "router-not-running",
    advice:
      "The weave router on this host is stopped or crashed; read `docker logs weave` for the reason, then relaunch it.",
  })),
  match(/Weave is not running \(ignore on Kubernetes\)\./, () => ({
    kind: "router-stopped-already",
    advice: "Nothing to do: the router was already stopped.",
  })),
  match(/weave container is restarting\./, () => ({
    kind: "router-restarting",
    advice:
      "The weave router keeps restarting; read `docker logs weave` for the fatal error, fix it and relaunch.",
  })),
  match(/The weave container has died\. Consult the container logs/, () => ({
    kind: "router-died",
    advice:
      "The router exited during launch; the reason is in `docker logs weave` (bad flag, unresolvable peer, port 53 in use, IPAM assertion after a seeded relaunch…).",
  })),
  match(/no password specificed, but peer requested an encrypted connection/, () => ({
    kind: "password-missing-here",
    advice:
      "This router has no password but its peer encrypts: launch every router with the same WEAVE_PASSWORD.",
  })),
  match(/password specified, but peer requested an unencrypted connection/, () => ({
    kind: "password-missing-on-peer",
    advice:
      "This router encrypts but the peer has no password: launch every router with the same WEAVE_PASSWORD.",
  })),
  match(/Unable to decrypt TCP msg/, () => ({
    kind: "password-mismatch",
    advice: "The routers were given different passwords: launch every router with the same WEAVE_PASSWORD.",
  })),
  match(/client version (\d+\.\d+) is too old\. Minimum supported API version is (\d+\.\d+)/, (m) => ({
    kind: "docker-api-too-old",
    clientApi: m[1],
    minimumApi: m[2],
    advice: `Weave's helpers speak Docker API ${m[1]} but this engine accepts ${m[2]} or newer: pin Docker Engine 24.x or older for weaveworks 2.8.1, or choose distribution "rajch" (API 1.24).`,
  })),
  match(/weave requires Docker version (\S+) or later; you are running (\S+)/, (m) => ({
    kind: "docker-client-too-old",
    required: m[1],
    running: m[2],
    advice: `Upgrade the docker client on this host to ${m[1]} or newer (it has ${m[2]}).`,
  })),
  match(/weave is not running; unable to remove from cluster/, () => ({
    kind: "reset-refused-not-running",
    advice:
      "The router is not running, so `weave reset` cannot hand its addresses to a peer: use `weave reset --force`, then `weave rmpeer` on one surviving host.",
  })),
  match(/local "([^"]*)" and remote "([^"]*)" peer names collision/, (m) => ({
    kind: "peer-name-collision",
    local: parsePeerRef(m[1]),
    remotePeer: parsePeerRef(m[2]),
    advice:
      "Two hosts have the same peer name (cloned machine-id); give each host a distinct peerName (--name).",
  })),
  match(/cannot connect to ourself/, () => ({
    kind: "connect-to-self",
    advice: "Harmless: a host's own address is in its peer list; Weave never retries it.",
  })),
  match(/Unable to claim: address (\S+) is already owned by (\S+)/, (m) => ({
    kind: "claim-owned-by-container",
    address: m[1],
    owner: m[2],
    advice: `Address ${m[1]} is already held by container ${m[2]}; pick another static address or remove that container.`,
  })),
  match(/Unable to claim: address (\S+) is owned by other peer (\S+) \(([^)]*)\)/, (m) => ({
    kind: "claim-owned-by-other-peer",
    address: m[1],
    peer: m[2],
    nickname: m[3],
    advice: `Address ${m[1]} is in use on peer ${m[3] || m[2]}; pick a free static address.`,
  })),
  match(/Unable to claim: address (\S+) (?:already in use(?: by (\S+))?)/, (m) => ({
    kind: "claim-in-use",
    address: m[1],
    ...(m[2] ? { owner: m[2] } : {}),
    advice: `Address ${m[1]} is already in use on this host; pick another static address.`,
  })),
  match(/Failed to get netdev for "([^"]+)" bridge: Link not found/, (m) => ({
    kind: "docker-bridge-missing",
    bridge: m[1],
    advice: `The Docker bridge ${m[1]} is missing or has no IPv4 address; start Docker with its default bridge, or launch with --no-dns.`,
  })),
  match(/^Link not found$/, () => ({
    kind: "link-not-found",
    advice:
      "The weave bridge does not exist on this host (never launched, or reset); launch the router first.",
  })),
  match(/(?:Network|Address) (\S+) overlaps with existing route (\S+) on host/, (m) => ({
    kind: "range-overlaps-route",
    network: m[1],
    route: m[2],
    fatal: false,
    advice: `${m[1]} overlaps the host route ${m[2]}; choose an allocation range that no host routes to, identical on all hosts.`,
  })),
  match(/ERROR: Default --ipalloc-range (\S+) overlaps with existing route on host/, (m) => ({
    kind: "range-overlaps-route",
    network: m[1],
    fatal: true,
    advice: `Weave's default range ${m[1]} overlaps a host route; set network.allocRange to a range no host routes to.`,
  })),
  match(
    /Existing bridge type "[^"]*" is different than requested|Please do 'weave reset' to remove the bridge first/,
    () => ({
      kind: "bridge-type-mismatch",
      advice:
        "The existing weave bridge has another type (fastdp vs sleeve); run `weave reset --force` before relaunching, or set WEAVE_NO_FASTDP=1 consistently.",
    }),
  ),
  match(/IP address allocation default subnet (\S+) does not overlap with allocation range (\S+)/, (m) => ({
    kind: "default-subnet-outside-range",
    subnet: m[1],
    range: m[2],
    advice: `The default subnet ${m[1]} must lie inside the allocation range ${m[2]}; pass both --ipalloc-range and --ipalloc-default-subnet.`,
  })),
  match(/^panic: Assertion failure/, () => ({
    kind: "ipam-assertion-panic",
    advice:
      "The router crashed merging its seeded ring into an existing one: relaunch this host with the same --name but without --ipalloc-init (after weave reset --force).",
  })),
  match(/Unable to start dns server: (.*)/, (m) => ({
    kind: "dns-port-in-use",
    detail: m[1],
    advice:
      "weaveDNS could not bind port 53 (another DNS server such as dnsmasq listens there); stop it, or set --dns-listen-address, or disable DNS.",
  })),
  match(/lookup (\S+?)(?: on \S+)?: no such host/, (m) => ({
    kind: "unresolvable-peer",
    name: m[1],
    advice: `Peer host name ${m[1]} does not resolve; give peers as IP addresses.`,
  })),
  match(/dial tcp \S*->(\S+): connect: connection refused/, (m) => ({
    kind: "connection-refused",
    target: m[1],
    advice: `Nothing listens on ${m[1]}: the router there is not running, or a firewall rejects TCP 6783.`,
  })),
  match(/connection reset by peer/, () => ({
    kind: "connection-reset",
    advice:
      "The peer dropped the connection; its own status or log says why (often a password or range mismatch on that side).",
  })),
  match(/Connection limit reached \((\d+)\)/, (m) => ({
    kind: "connection-limit",
    limit: Number(m[1]),
    advice: `The router's connection limit (${m[1]}) is reached; raise --conn-limit.`,
  })),
  match(/unable to inspect container (\S+): No such container/, (m) => ({
    kind: "no-such-container",
    container: m[1],
    advice: `Container ${m[1]} does not exist on this host; create it before attaching it.`,
  })),
  match(/^container (\S+) not running/, (m) => ({
    kind: "container-not-running",
    container: m[1],
    advice: `Container ${m[1]} is stopped; start it before attaching it to the weave network.`,
  })),
  match(/Container is running in the host network namespace/, () => ({
    kind: "container-on-host-network",
    advice:
      "A container started with --net=host cannot be attached to weave; run it on the default bridge network.",
  })),
  match(/failed to remove IP address from "([^"]+)": cannot assign requested address/, (m) => ({
    kind: "detach-address-missing",
    iface: m[1],
    advice:
      "The container no longer has that address on its weave interface; there is nothing left to detach.",
  })),
  match(/^error during template execution$/, () => ({
    kind: "section-disabled",
    advice:
      "The status section asked for is switched off on this router (IPAM without a range, or DNS with --no-dns).",
  })),
  match(
    /Operating systems other than Linux are not supported|ERROR: Unable to parse docker version/,
    (m) => ({
      kind: "unsupported-host",
      detail: m[0],
      advice:
        "Weave runs only on Linux hosts with a working docker CLI; check `uname` and `docker -v` on this host.",
    }),
  ),
];

/** Classify one line (CLI stderr, a connection's info/error text, or a `docker logs` line). */
export function classifyLine(rawLine: string): WeaveError | undefined {
  const trimmed = rawLine.replace(/\s+$/, "");
  if (!trimmed) return undefined;
  const fatal = /^FATA: \S+ \S+ (.*)$/.exec(trimmed);
  const { text, remote } = stripLogPrefix(trimmed);
  for (const rule of RULES) {
    const hit = rule(text);
    if (hit) return { ...hit, line: text, ...(remote ? { remote } : {}) } as WeaveError;
  }
  if (fatal) {
    return {
      kind: "router-fatal",
      detail: fatal[1],
      line: fatal[1],
      advice: `The router stopped with a fatal error: ${fatal[1]}. Fix the cause and relaunch.`,
    };
  }
  return undefined;
}

/**
 * Classify every line of some output, in order, dropping repeats of the same kind, facts and
 * remote peer (logs repeat a failing handshake every few seconds).
 */
export function classifyOutput(text: string): WeaveError[] {
  const out: WeaveError[] = [];
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    const e = classifyLine(line);
    if (!e) continue;
    // Inbound connections come from a new ephemeral port each retry: the peer identifies them.
    const key = JSON.stringify({
      ...e,
      line: undefined,
      advice: undefined,
      remote: e.remote?.peer?.name ?? e.remote?.address,
    });
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
