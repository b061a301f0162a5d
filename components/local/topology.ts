/**
 * The shape of a local lab, decided before any resource exists: host names, their addresses on
 * the lab's Docker network and the SSH ports published on 127.0.0.1. Pure.
 */
import type { SpecIssue } from "../model/plan";
import { intToIpv4, parseCidr } from "../view/model";

/** Resolved local lab settings (every default applied). */
export interface LocalTopology {
  /** Docker network name, unique per stack so two stacks can coexist. */
  networkName: string;
  subnet: string;
  gateway: string;
  hosts: LocalHost[];
}

export interface LocalHost {
  /** Lab host name, e.g. `docker1`. */
  name: string;
  /** Docker container name, unique per stack: `weave-lab-<stack>-docker1`. */
  containerName: string;
  /** Address on the lab network, e.g. `10.10.10.101`: what Weave peers use. */
  address: string;
  /** Port on 127.0.0.1 forwarded to the host's sshd. */
  sshPort: number;
}

/** What `planLocalTopology` needs; mirrors `LocalLabSettings` in `config.ts`. */
export interface TopologyInput {
  stack: string;
  hosts?: number;
  namePrefix?: string;
  subnet?: string;
  firstHostOffset?: number;
  sshPortBase?: number;
  /** Offline Weave images; only its name is checked here (the file is checked by LocalLab). */
  weaveImagesArchive?: string;
}

/** Defaults of the local lab, in one place for docs and code. */
export const LOCAL_DEFAULTS = {
  hosts: 3,
  maxHosts: 20,
  namePrefix: "docker",
  subnet: "10.10.10.0/24",
  firstHostOffset: 101,
  sshPortBase: 2201,
} as const;

/** Thrown for impossible local settings; lists every problem as `path: message`. */
export class LocalLabError extends Error {
  constructor(readonly issues: SpecIssue[]) {
    super(
      `weave-lab: the local lab settings have problems:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`,
    );
    this.name = "LocalLabError";
  }
}

const P = "weave-lab:local";

/** Resolves the settings into hosts; throws `LocalLabError` listing every problem. */
export function planLocalTopology(input: TopologyInput): LocalTopology {
  const issues: SpecIssue[] = [];
  const n = input.hosts ?? LOCAL_DEFAULTS.hosts;
  const prefix = input.namePrefix ?? LOCAL_DEFAULTS.namePrefix;
  const subnetText = input.subnet ?? LOCAL_DEFAULTS.subnet;
  const offset = input.firstHostOffset ?? LOCAL_DEFAULTS.firstHostOffset;
  const portBase = input.sshPortBase ?? LOCAL_DEFAULTS.sshPortBase;

  if (!Number.isInteger(n) || n < 1 || n > LOCAL_DEFAULTS.maxHosts) {
    issues.push({
      path: `${P}.hosts`,
      message: `${JSON.stringify(n)} is not allowed; use a whole number from 1 to ${LOCAL_DEFAULTS.maxHosts}`,
    });
  }
  if (!/^[a-z]([a-z0-9-]{0,50}[a-z0-9])?$/.test(prefix)) {
    issues.push({
      path: `${P}.namePrefix`,
      message: `'${prefix}' is not allowed; use lower-case letters, digits and '-' (a DNS label start), e.g. 'docker'`,
    });
  }
  let span: ReturnType<typeof parseCidr> | undefined;
  try {
    span = parseCidr(subnetText);
    if (!/\/\d+$/.test(subnetText) || intToIpv4(span.first) !== subnetText.split("/")[0]) {
      issues.push({
        path: `${P}.subnet`,
        message: `'${subnetText}' has host bits set; the network address is ${intToIpv4(span.first)}/${32 - Math.log2(span.size)}`,
      });
    }
  } catch {
    issues.push({
      path: `${P}.subnet`,
      message: `'${subnetText}' is not an IPv4 CIDR; use e.g. '10.10.10.0/24'`,
    });
  }
  if (!Number.isInteger(offset) || offset < 2) {
    issues.push({
      path: `${P}.firstHostOffset`,
      message: `${JSON.stringify(offset)} is not allowed; use a whole number ≥ 2 (.1 is the Docker gateway)`,
    });
  } else if (span && Number.isInteger(n) && offset + n > span.size - 1) {
    issues.push({
      path: `${P}.firstHostOffset`,
      message: `hosts at offsets ${offset}..${offset + n - 1} do not fit in ${subnetText} (${span.size} addresses, last usable offset ${span.size - 2})`,
    });
  }
  if (!Number.isInteger(portBase) || portBase < 1024 || portBase + Math.max(n, 1) - 1 > 65535) {
    issues.push({
      path: `${P}.sshPortBase`,
      message: `${JSON.stringify(portBase)} is not allowed; ports ${portBase}..${portBase + Math.max(n, 1) - 1} must lie in 1024..65535`,
    });
  }
  const archive = input.weaveImagesArchive;
  if (archive !== undefined && (typeof archive !== "string" || !/\.tar(\.zst)?$/.test(archive))) {
    issues.push({
      path: `${P}.weaveImagesArchive`,
      message: `${JSON.stringify(archive)} is not allowed; give a \`docker save\` archive ending in .tar or .tar.zst`,
    });
  }
  if (!/^[a-zA-Z0-9_.-]+$/.test(input.stack)) {
    issues.push({
      path: "stack",
      message: `stack name '${input.stack}' cannot be part of Docker names; use letters, digits, '_', '.', '-'`,
    });
  }
  if (issues.length > 0 || !span) throw new LocalLabError(issues);

  const base = `weave-lab-${input.stack}`;
  return {
    networkName: base,
    subnet: subnetText,
    gateway: intToIpv4(span.first + 1),
    hosts: Array.from({ length: n }, (_, i) => ({
      name: `${prefix}${i + 1}`,
      containerName: `${base}-${prefix}${i + 1}`,
      address: intToIpv4(span!.first + offset + i),
      sshPort: portBase + i,
    })),
  };
}

/** The textbook's containers for a local lab: web1 on the first host, web2 on the second (if any). */
export function defaultLocalContainers(hosts: LocalHost[]): { name: string; host: string; image: string }[] {
  return hosts.slice(0, 2).map((h, i) => ({ name: `web${i + 1}`, host: h.name, image: LOCAL_WEB_IMAGE }));
}

/**
 * The web image the host entrypoint builds inside every local host from the host's own busybox
 * (no registry needed): `httpd` on port 80 serving `/cgi-bin/host` like the textbook's `lab/web:1`.
 */
export const LOCAL_WEB_IMAGE = "lab/web:1";
