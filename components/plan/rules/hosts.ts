/** Rules over each host and over each element of a host's `extraLaunchArgs`. */
import { containsIp, describe, quote } from "../cidr";
import {
  isKnownFlag,
  redactLaunchArgs,
  REMOVED_COMMANDS,
  shownLaunchArg,
  type LaunchArg,
} from "../launch-args";
import { isObjOrAbsent, type Rule, type HostCtx, type SpecContext } from "./context";
import { LABEL_RULE, badLabel, badBool, badPort, badPositive, hasSpace, MAC_RULE } from "./predicates";

export const hostRules: Rule<{ h: HostCtx; c: SpecContext }>[] = [
  {
    path: ({ h }) => `hosts[${h.i}]`,
    when: ({ h, c }) => {
      const raw = (c.spec.hosts as unknown[])[h.i];
      return raw === null || typeof raw !== "object" || Array.isArray(raw);
    },
    message: ({ h, c }) =>
      `${describe((c.spec.hosts as unknown[])[h.i])} is not a host; allowed: a mapping with at least name and address`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].name`,
    when: ({ h }) => badLabel(h.raw.name),
    message: ({ h }) => `${describe(h.raw.name)} is not a valid host name; allowed: ${LABEL_RULE}`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].name`,
    when: ({ h }) => h.dupName !== undefined,
    message: ({ h }) =>
      `${quote(h.name!)} is already the name of hosts[${h.dupName}]; host names must be unique`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].address`,
    when: ({ h }) => !h.address.ok && !h.atDeploy.has("address"),
    message: ({ h }) =>
      `${(h.address as { reason: string }).reason}; allowed: the IPv4 address other routers reach this host on`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].address`,
    when: ({ h }) => h.dupAddress !== undefined,
    message: ({ h, c }) =>
      `${describe(h.raw.address)} is already the address of hosts[${h.dupAddress}] (${c.hosts[h.dupAddress!].name}); each host needs its own address`,
  },
  {
    severity: "warning",
    path: ({ h }) => `hosts[${h.i}].address`,
    when: ({ h, c }) => h.address.ok && !!c.goodRange && containsIp(c.goodRange, h.address.value),
    message: ({ h, c }) =>
      `${describe(h.raw.address)} lies inside network.allocRange ${c.goodRange!.text}: containers may be given addresses that clash with the host network`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].peerName`,
    when: ({ h }) => h.peerNameGiven && h.peerName === undefined,
    message: ({ h }) => `${describe(h.raw.peerName)} is not a Weave peer name; allowed: ${MAC_RULE}`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].peerName`,
    when: ({ h }) => h.peerName === "00:00:00:00:00:00",
    message: ({ h }) =>
      `${describe(h.raw.peerName)} is Weave's reserved "unknown peer" name; allowed: any other ${MAC_RULE}`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].peerName`,
    // A derived name repeats only because the host name does; that is reported on the name.
    when: ({ h }) => h.dupPeerName !== undefined && (h.peerNameGiven || h.dupName === undefined),
    message: ({ h, c }) =>
      `${h.peerNameGiven ? describe(h.raw.peerName) : `derived name ${quote(h.peerName!)}`} is the same peer name as hosts[${h.dupPeerName}] (${c.hosts[h.dupPeerName!].name}); Weave refuses peers with colliding names: give each host a distinct peerName`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].nickname`,
    when: ({ h }) =>
      h.raw.nickname !== undefined &&
      (typeof h.raw.nickname !== "string" || h.raw.nickname === "" || hasSpace(h.raw.nickname)),
    message: ({ h }) =>
      `${describe(h.raw.nickname)} is not a usable nickname; allowed: a non-empty string without whitespace (weave launch re-splits arguments on whitespace)`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh`,
    when: ({ h }) => !isObjOrAbsent(h.raw.ssh),
    message: ({ h }) => `must be a mapping of SSH settings, got ${describe(h.raw.ssh)}`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.port`,
    when: ({ h }) => badPort(h.ssh.port),
    message: ({ h }) => `${describe(h.ssh.port)} is not a TCP port; allowed: an integer from 1 to 65535`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.user`,
    when: ({ h }) =>
      h.ssh.user !== undefined &&
      !h.atDeploy.has("ssh.user") &&
      (typeof h.ssh.user !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(h.ssh.user)),
    message: ({ h }) =>
      `${describe(h.ssh.user)} is not a login name; allowed: letters, digits, '_', '.', '-'`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.host`,
    when: ({ h }) =>
      h.ssh.host !== undefined &&
      !h.atDeploy.has("ssh.host") &&
      (typeof h.ssh.host !== "string" || h.ssh.host === "" || hasSpace(h.ssh.host)),
    message: ({ h }) =>
      `${describe(h.ssh.host)} is not a host name or address; allowed: a non-empty name or IP without whitespace`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.hostKey`,
    when: ({ h }) =>
      (h.ssh.hostKey === undefined || h.ssh.hostKey === null || h.ssh.hostKey === "") &&
      h.ssh.insecureIgnoreHostKey !== true,
    message: ({ h }) =>
      `is missing, so the SSH server of ${h.name ?? `hosts[${h.i}]`} could not be authenticated; allowed: its public key line ("ssh-ed25519 AAAA…") or a "SHA256:…" fingerprint, or set hosts[${h.i}].ssh.insecureIgnoreHostKey: true (a man in the middle could then read the Weave password)`,
  },
  {
    severity: "warning",
    path: ({ h }) => `hosts[${h.i}].ssh.insecureIgnoreHostKey`,
    when: ({ h }) => h.ssh.insecureIgnoreHostKey === true,
    message: ({ h }) =>
      `is true: the SSH server of ${h.name ?? `hosts[${h.i}]`} is not authenticated, so a man in the middle could take its SSH session and read the Weave password; pin its key instead with hosts[${h.i}].ssh.hostKey ("ssh-ed25519 AAAA…" or "SHA256:…", e.g. from \`ssh-keyscan <host> | ssh-keygen -lf -\`)`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.hostKey`,
    when: ({ h }) =>
      typeof h.ssh.hostKey === "string" &&
      h.ssh.hostKey !== "" &&
      !/^(ssh-|ecdsa-|sk-|SHA256:)/.test(h.ssh.hostKey),
    message: () =>
      `is neither an OpenSSH public key line nor a fingerprint; allowed: "ssh-ed25519 AAAA…", "ecdsa-sha2-nistp256 AAAA…", "ssh-rsa AAAA…" or "SHA256:<base64>"`,
  },
  ...(["insecureIgnoreHostKey", "sudo"] as const).map((k) => ({
    path: ({ h }: { h: HostCtx }) => `hosts[${h.i}].ssh.${k}`,
    when: ({ h }: { h: HostCtx }) => badBool(h.ssh[k]),
    message: ({ h }: { h: HostCtx }) => `${describe(h.ssh[k])} is not a boolean; allowed: true or false`,
  })),
  {
    path: ({ h }) => `hosts[${h.i}].ssh.connectTimeoutSeconds`,
    when: ({ h }) => badPositive(h.ssh.connectTimeoutSeconds),
    message: ({ h }) =>
      `${describe(h.ssh.connectTimeoutSeconds)} is not a valid timeout; allowed: a number of seconds greater than 0`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.jumpHost.host`,
    when: ({ h }) =>
      h.jump !== undefined &&
      !h.atDeploy.has("ssh.jumpHost.host") &&
      (typeof h.jump.host !== "string" || h.jump.host === "" || hasSpace(h.jump.host)),
    message: ({ h }) =>
      `${describe(h.jump!.host)} is not a bastion address; allowed: a non-empty host name or IP (required when jumpHost is given)`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.jumpHost.port`,
    when: ({ h }) => h.jump !== undefined && badPort(h.jump.port),
    message: ({ h }) => `${describe(h.jump!.port)} is not a TCP port; allowed: an integer from 1 to 65535`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].ssh.jumpHost.hostKey`,
    when: ({ h }) =>
      h.jump !== undefined &&
      (h.jump.hostKey === undefined || h.jump.hostKey === "") &&
      h.ssh.insecureIgnoreHostKey !== true,
    message: ({ h }) =>
      `is missing; the bastion's key must be pinned like the host's (public key line or "SHA256:" fingerprint), unless hosts[${h.i}].ssh.insecureIgnoreHostKey is true`,
  },
  {
    path: ({ h }) => `hosts[${h.i}].extraLaunchArgs`,
    when: ({ h }) => h.raw.extraLaunchArgs !== undefined && h.args === undefined,
    message: ({ h }) => `must be a list of strings, got ${describe(redactedList(h.raw.extraLaunchArgs))}`,
  },
];

// ---------------------------------------------------------------------------------------------
/** A would-be argument list with the values of secret flags masked (its non-strings kept). */
function redactedList(raw: unknown): unknown {
  if (!Array.isArray(raw)) return raw;
  const shown = redactLaunchArgs(raw.map((x) => (typeof x === "string" ? x : "")));
  return raw.map((x, i) => (typeof x === "string" ? shown[i] : x));
}

// Rules over each element of a host's `extraLaunchArgs`.

export interface ArgCtx {
  h: HostCtx;
  a: LaunchArg;
  c: SpecContext;
}

/** Flags weave-lab sets itself from the spec, with the field that controls each. */
const OWNED_FLAGS: Record<string, string> = {
  "ipalloc-init":
    "network.bootstrap (weave-lab passes --ipalloc-init seed=<all peer names> or consensus=<hosts>)",
  "ipalloc-default-subnet": "network.defaultSubnet",
  name: "hosts[].peerName",
  nickname: "hosts[].nickname",
  password: "network.password (passed as WEAVE_PASSWORD, never in argv)",
  "dns-domain": "network.dns.domain",
  "dns-ttl": "network.dns.ttl",
  "no-dns": "network.dns.disabled",
  "trusted-subnets": "network.trustedSubnets",
  proxy: "network.proxy",
  plugin: "network.plugin",
  "http-addr":
    "nothing: the weave script always talks to 127.0.0.1:6784, so moving the API breaks every weave command",
  resume: "hosts (weave-lab always passes the peer list, which Weave refuses together with --resume)",
  port: "nothing: every router must listen on 6783 because peers are given as bare addresses",
};

const argPath = ({ h, a }: ArgCtx): string => `hosts[${h.i}].extraLaunchArgs[${a.index}]`;
const hostLabel = (h: HostCtx): string => h.name ?? `hosts[${h.i}]`;
const isRangeFlag = (f: string | undefined): boolean => f === "ipalloc-range" || f === "iprange";

export const launchArgRules: Rule<ArgCtx>[] = [
  {
    path: argPath,
    when: ({ a }) => a.text === "" || hasSpace(a.text),
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} is empty or contains whitespace; weave launch re-splits its arguments on whitespace, so give each word as its own list element`,
  },
  {
    path: argPath,
    when: ({ a }) => a.kind === "word" && (REMOVED_COMMANDS.has(a.text) || a.text === "launch"),
    message: ({ a }) =>
      a.text === "launch"
        ? `"launch" is the command itself; list only the extra flags`
        : `"${a.text}" is a weave command that was removed in Weave 2.0 ('weave ${a.text}' exits 1); weave-lab runs "weave launch" (router, and proxy/plugin when enabled) and attaches containers itself`,
  },
  {
    path: argPath,
    when: ({ a }) =>
      a.kind === "word" &&
      !REMOVED_COMMANDS.has(a.text) &&
      a.text !== "launch" &&
      a.text !== "" &&
      !hasSpace(a.text),
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} would be taken as a peer; weave-lab passes every other host's address as the peer list: add the peer to hosts instead`,
  },
  {
    path: argPath,
    when: ({ a, c }) =>
      a.kind === "flag" &&
      isRangeFlag(a.flag) &&
      !!c.goodRange &&
      a.value !== undefined &&
      a.value !== c.goodRange.text,
    message: ({ h, a, c }) =>
      `${hostLabel(h)} would launch with range ${a.value} while the network uses ${c.goodRange!.text}: its connections would be dropped with 'Incompatible IP allocation ranges'; remove ${quote(shownLaunchArg(a))} (the range is network.allocRange, identical on every host)`,
  },
  {
    severity: "warning",
    path: argPath,
    when: ({ a, c }) =>
      a.kind === "flag" && isRangeFlag(a.flag) && !!c.goodRange && a.value === c.goodRange.text,
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} repeats network.allocRange, which weave-lab already passes; it can be removed`,
  },
  {
    path: argPath,
    when: ({ a }) => a.kind === "flag" && isRangeFlag(a.flag) && a.value === undefined,
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} has no value; the range is set by network.allocRange: remove the flag`,
  },
  {
    path: argPath,
    when: ({ a }) => a.kind === "flag" && a.flag !== undefined && a.flag in OWNED_FLAGS,
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} contradicts what weave-lab sets for the whole network; allowed: any launch flag except the ones weave-lab owns. Control this through ${OWNED_FLAGS[a.flag!]}`,
  },
  {
    path: argPath,
    when: ({ a }) => a.kind === "flag" && a.flag === "token",
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} asks Weave Cloud's peer discovery, which is gone (Weaveworks shut down in 2024), and the token would stand in plain text in the router's argv (\`ps\`, \`docker inspect weave\`); allowed: no --token: weave-lab gives every router the other hosts as its peers`,
  },
  {
    severity: "warning",
    path: argPath,
    when: ({ a }) => a.kind === "flag" && a.flag !== undefined && !isKnownFlag(a.flag),
    message: ({ a }) =>
      `${quote(shownLaunchArg(a))} is not a flag Weave 2.8.1 knows; an unknown flag makes the router exit at start-up ("The weave container has died")`,
  },
];
