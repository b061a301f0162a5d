/**
 * Stack configuration → lab spec. Pure: it reads raw config values through a `ConfigSource` and
 * wraps secret values with the caller's `secret` function, so tests run without the Pulumi
 * runtime and the program passes `pulumi.secret`.
 *
 * Keys (namespace `weave-lab`), all optional:
 *
 * | key | what |
 * |---|---|
 * | `weave-lab:name` | lab name (string) |
 * | `weave-lab:specFile` | a YAML/JSON lab spec (the `weave-lab plan` format); the keys below override its parts |
 * | `weave-lab:network` | `NetworkSpec` object, without `password` |
 * | `weave-lab:hosts` | array of `HostSpec`, without private keys or passphrases. **Empty or absent → a local lab** |
 * | `weave-lab:containers` | array of `ContainerSpec` |
 * | `weave-lab:dnsRecords` | array of `DnsRecordSpec` |
 * | `weave-lab:password` | secret: the Weave encryption password |
 * | `weave-lab:sshPrivateKey` | secret: the private key for every host |
 * | `weave-lab:sshPassphrase` | secret: its passphrase |
 * | `weave-lab:sshPrivateKeys` | secret object: per-host private keys, `{ "<host>": "<key>" }` |
 * | `weave-lab:local` | `LocalLabSettings` object for the local lab |
 * | `weave-lab:outputDir` | where the program writes the range picture; defaults to the project directory |
 * | `weave-lab:forgetUnreachableOnDestroy` | boolean: on destroy, a host that cannot be reached is forgotten (`weave rmpeer` on one survivor) instead of failing the destroy; defaults to `false` |
 * | `weave-lab:timeouts` | object of deadlines in ms for blocking Weave calls: `launchMs`, `resetMs`, `commandMs`, `primeMs` |
 *
 * Every setting the README recommends is one of these keys (test: components/config.test.ts).
 */
import type { ContainerSpec, DnsRecordSpec, HostSpec, LabSpec, NetworkSpec, SshSettings } from "./spec";
import type { SpecIssue } from "./model/plan";
import type { NetworkTimeouts } from "./providers/inputs";

/** How the program reads raw config; `pulumi.runtime.getConfig` / `isConfigSecret` in production. */
export interface ConfigSource {
  /** Raw value of a full key (`weave-lab:hosts`), JSON text for objects; undefined when unset. */
  get(fullKey: string): string | undefined;
  /** Whether the key was set with `--secret` (or has a secret leaf). */
  isSecret(fullKey: string): boolean;
  /** Reads a spec file named by `weave-lab:specFile` (relative to the project directory). */
  readFile?(path: string): string;
  /** Parses YAML (a superset of JSON); only needed for `specFile`. */
  parseYaml?(text: string): unknown;
}

/** The config namespace. */
export const NAMESPACE = "weave-lab";

/**
 * Settings of the local Docker-in-Docker lab (`weave-lab:local`), used when no hosts are configured.
 */
export interface LocalLabSettings {
  /** Number of hosts, 1–20. Defaults to `3`. */
  hosts?: number;
  /** Host name prefix: hosts are `<prefix>1` … `<prefix>N`. Defaults to `"docker"`. */
  namePrefix?: string;
  /** The Docker network the hosts share (a /24 or larger). Defaults to `"10.10.10.0/24"`. */
  subnet?: string;
  /** Last octet (offset into `subnet`) of the first host; the textbook's `.101`. Defaults to `101`. */
  firstHostOffset?: number;
  /** Port on 127.0.0.1 published for the first host's sshd; host i gets `sshPortBase + i - 1`. Defaults to `2201`. */
  sshPortBase?: number;
  /**
   * Base image of the hosts: a Debian bookworm root file system; the host Dockerfile installs
   * Debian's docker.io (Engine 20.10, which Weave 2.8.1 and rajch 2.9 both drive) on it. Where no
   * registry answers, a bookworm image made locally (`debootstrap … | docker import`) works.
   * Defaults to `"debian:bookworm-slim"`.
   */
  baseImage?: string;
  /** Docker daemon of the user (`unix:///var/run/docker.sock`, `ssh://…`). Defaults to `DOCKER_HOST` or the local socket. */
  dockerHost?: string;
  /**
   * A `docker save` archive of the Weave images (`.tar` or `.tar.zst`, e.g.
   * `docker save weaveworks/weave:2.8.1 weaveworks/weaveexec:2.8.1 weaveworks/weavedb:latest | zstd`)
   * on the machine running Pulumi; relative to the project directory. Mounted read-only into every
   * host and loaded instead of pulling: a lab without registry access. The weave script comes from
   * the weaveexec image in it. Defaults to unset (the first host pulls, the machine's image cache
   * volume serves the rest).
   */
  weaveImagesArchive?: string;
  /** Registry mirror for the hosts' engines (`--registry-mirror`), e.g. a local pull-through cache. Defaults to unset (Docker Hub). */
  registryMirror?: string;
  /** Seconds to wait for each host to become healthy (the first host pulls the Weave images). Defaults to `600`. */
  startTimeoutSeconds?: number;
}

/** The deadline names `weave-lab:timeouts` accepts (milliseconds each). */
export const TIMEOUT_KEYS: readonly (keyof NetworkTimeouts)[] = [
  "launchMs",
  "resetMs",
  "commandMs",
  "primeMs",
];

/** Everything the program needs from config. */
export interface LabConfig<S> {
  /** The lab spec; `hosts` is empty when the local lab should provide them. */
  spec: LabSpec<S>;
  /** True when no hosts were configured: the program builds a LocalLab. */
  local: boolean;
  localSettings: LocalLabSettings;
  /** Directory for the range picture. Defaults to `"."`. */
  outputDir: string;
  /** Forget unreachable hosts on destroy (see `WeaveNetworkArgs`). Defaults to `false`. */
  forgetUnreachableOnDestroy: boolean;
  /** Deadlines of blocking Weave calls; unset ones keep the network's defaults. Defaults to `{}`. */
  timeouts: Partial<NetworkTimeouts>;
}

/** Thrown when config cannot be read; the message lists every problem as `key: message`. */
export class ConfigError extends Error {
  constructor(readonly issues: SpecIssue[]) {
    super(
      `weave-lab: the stack configuration has ${issues.length} problem${issues.length === 1 ? "" : "s"}:\n` +
        issues.map((i) => `  ${i.path}: ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === "string" ? `'${v}'` : JSON.stringify(v));

/** Reads and checks the shape of the config (the planner checks the content). */
export function readLabConfig<S>(source: ConfigSource, secret: (value: string) => S): LabConfig<S> {
  const issues: SpecIssue[] = [];
  const key = (k: string): string => `${NAMESPACE}:${k}`;

  const raw = (k: string): string | undefined => source.get(key(k));
  const json = (k: string): unknown => {
    const text = raw(k);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      // A plain string set without --path: only valid where a string is expected.
      return text;
    }
  };
  const secretOnly = (k: string, what: string): string | undefined => {
    const v = raw(k);
    if (v !== undefined && !source.isSecret(key(k))) {
      issues.push({
        path: key(k),
        message: `${what} is stored in plain text; set it with 'pulumi config set --secret ${key(k)} …' (the value is not shown here)`,
      });
    }
    return v;
  };

  // Base spec: the spec file if any, then the individual keys on top.
  let base: Partial<LabSpec> = {};
  const specFile = raw("specFile");
  if (specFile !== undefined) {
    if (!source.readFile || !source.parseYaml) {
      issues.push({ path: key("specFile"), message: "reading spec files is not available in this program" });
    } else {
      try {
        const parsed = source.parseYaml(source.readFile(specFile));
        if (isObject(parsed)) base = parsed as Partial<LabSpec>;
        else
          issues.push({
            path: key("specFile"),
            message: `${show(specFile)} does not contain a spec object (got ${show(parsed)})`,
          });
      } catch (e) {
        issues.push({
          path: key("specFile"),
          message: `cannot read ${show(specFile)}: ${(e as Error).message}`,
        });
      }
    }
  }

  const name = json("name") ?? base.name;
  if (name !== undefined && typeof name !== "string")
    issues.push({ path: key("name"), message: `must be a string, got ${show(name)}` });

  const network = json("network") ?? base.network;
  if (network !== undefined && !isObject(network)) {
    issues.push({
      path: key("network"),
      message: `must be an object (set it with --path, e.g. 'weave-lab:network.allocRange'), got ${show(network)}`,
    });
  }
  if (isObject(network) && "password" in network) {
    issues.push({
      path: `${key("network")}.password`,
      message:
        "a password in plain config is stored unencrypted; remove it and use 'pulumi config set --secret weave-lab:password' (the value is not shown here)",
    });
  }

  const list = <T>(k: "hosts" | "containers" | "dnsRecords"): T[] => {
    const v = json(k) ?? base[k];
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      issues.push({
        path: key(k),
        message: `must be a list (e.g. --path '${key(k)}[0].name'), got ${show(v)}`,
      });
      return [];
    }
    v.forEach((item, i) => {
      if (!isObject(item))
        issues.push({ path: `${key(k)}[${i}]`, message: `must be an object, got ${show(item)}` });
    });
    return v.filter(isObject) as T[];
  };
  const hosts = list<HostSpec>("hosts");
  const containers = list<ContainerSpec>("containers");
  const dnsRecords = list<DnsRecordSpec>("dnsRecords");

  const password = secretOnly("password", "the Weave password");
  const defaultKey = secretOnly("sshPrivateKey", "the SSH private key");
  const passphrase = secretOnly("sshPassphrase", "the SSH key passphrase");
  const perHostText = secretOnly("sshPrivateKeys", "the per-host SSH private keys");
  let perHost: Record<string, unknown> = {};
  if (perHostText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(perHostText);
      if (isObject(parsed)) perHost = parsed;
      else
        issues.push({
          path: key("sshPrivateKeys"),
          message:
            "must be an object of host name → private key (set with --path --secret 'weave-lab:sshPrivateKeys.<host>')",
        });
    } catch {
      issues.push({
        path: key("sshPrivateKeys"),
        message:
          "must be an object of host name → private key (set with --path --secret 'weave-lab:sshPrivateKeys.<host>')",
      });
    }
  }
  const hostNames = new Set(hosts.map((h) => h.name));
  for (const [h, v] of Object.entries(perHost)) {
    if (!hostNames.has(h)) {
      issues.push({
        path: `${key("sshPrivateKeys")}.${h}`,
        message: `names no configured host; hosts are ${[...hostNames].map(show).join(", ") || "none"}`,
      });
    } else if (typeof v !== "string") {
      issues.push({ path: `${key("sshPrivateKeys")}.${h}`, message: "must be the private key text" });
    }
  }

  const specHosts: HostSpec<S>[] = hosts.map((h, i) => {
    const ssh = isObject(h.ssh) ? (h.ssh as Record<string, unknown>) : undefined;
    if (h.ssh !== undefined && !ssh)
      issues.push({ path: `${key("hosts")}[${i}].ssh`, message: `must be an object, got ${show(h.ssh)}` });
    for (const f of ["privateKey", "passphrase"]) {
      if (ssh && f in ssh) {
        issues.push({
          path: `${key("hosts")}[${i}].ssh.${f}`,
          message: `a ${f === "privateKey" ? "private key" : "passphrase"} in plain config is stored unencrypted; use 'pulumi config set --secret --path weave-lab:${f === "privateKey" ? `sshPrivateKeys.${h.name}` : "sshPassphrase"}' (the value is not shown here)`,
        });
      }
    }
    const jump = ssh && isObject(ssh.jumpHost) ? (ssh.jumpHost as Record<string, unknown>) : undefined;
    if (jump && "privateKey" in jump) {
      issues.push({
        path: `${key("hosts")}[${i}].ssh.jumpHost.privateKey`,
        message:
          "a private key in plain config is stored unencrypted; the bastion uses the host's key from weave-lab:sshPrivateKey(s)",
      });
    }
    const own = perHost[h.name];
    const pk = typeof own === "string" ? own : defaultKey;
    const out: HostSpec<S> = { ...(h as HostSpec<never>) };
    if (ssh || pk !== undefined || passphrase !== undefined) {
      // Host keys are public and may stay in plain config; private keys come only from secrets.
      const { privateKey: _pk, passphrase: _pp, jumpHost: _jh, ...rest } = ssh ?? {};
      const sshOut: Record<string, unknown> = { ...rest };
      if (jump) {
        const { privateKey: _jpk, ...jumpRest } = jump;
        sshOut.jumpHost = jumpRest;
      }
      if (pk !== undefined) sshOut.privateKey = secret(pk);
      if (passphrase !== undefined) sshOut.passphrase = secret(passphrase);
      out.ssh = sshOut as SshSettings<S>;
    }
    return out;
  });

  const localRaw = json("local");
  let localSettings: LocalLabSettings = {};
  if (localRaw !== undefined) {
    if (!isObject(localRaw))
      issues.push({
        path: key("local"),
        message: `must be an object (e.g. --path 'weave-lab:local.hosts' 4), got ${show(localRaw)}`,
      });
    else localSettings = localRaw as LocalLabSettings;
  }
  const outputDir = json("outputDir");
  if (outputDir !== undefined && typeof outputDir !== "string")
    issues.push({ path: key("outputDir"), message: `must be a directory path, got ${show(outputDir)}` });

  if (isObject(localRaw) && localRaw.startTimeoutSeconds !== undefined) {
    const t = localRaw.startTimeoutSeconds;
    if (typeof t !== "number" || !Number.isFinite(t) || t <= 0)
      issues.push({
        path: `${key("local")}.startTimeoutSeconds`,
        message: `must be a positive number of seconds, got ${show(t)}`,
      });
  }

  const forget = json("forgetUnreachableOnDestroy");
  if (forget !== undefined && typeof forget !== "boolean")
    issues.push({
      path: key("forgetUnreachableOnDestroy"),
      message: `must be true or false, got ${show(forget)}`,
    });

  const timeoutsRaw = json("timeouts");
  const timeouts: Partial<NetworkTimeouts> = {};
  if (timeoutsRaw !== undefined) {
    if (!isObject(timeoutsRaw)) {
      issues.push({
        path: key("timeouts"),
        message: `must be an object (e.g. --path 'weave-lab:timeouts.launchMs' 600000), got ${show(timeoutsRaw)}`,
      });
    } else {
      for (const [k, v] of Object.entries(timeoutsRaw)) {
        if (!(TIMEOUT_KEYS as readonly string[]).includes(k)) {
          issues.push({
            path: `${key("timeouts")}.${k}`,
            message: `is not a deadline weave-lab knows; allowed: ${TIMEOUT_KEYS.join(", ")}`,
          });
        } else if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
          issues.push({
            path: `${key("timeouts")}.${k}`,
            message: `must be a positive number of milliseconds, got ${show(v)}`,
          });
        } else {
          timeouts[k as keyof NetworkTimeouts] = v;
        }
      }
    }
  }

  if (issues.length > 0) throw new ConfigError(issues);

  const net = network as NetworkSpec<never> | undefined;
  const spec: LabSpec<S> = {
    ...(name !== undefined ? { name: name as string } : {}),
    network: {
      ...(net ?? {}),
      ...(password !== undefined ? { password: secret(password) } : {}),
    } as NetworkSpec<S>,
    hosts: specHosts,
    ...(containers.length > 0 ? { containers } : {}),
    ...(dnsRecords.length > 0 ? { dnsRecords } : {}),
  };
  return {
    spec,
    local: specHosts.length === 0,
    localSettings,
    outputDir: (outputDir as string | undefined) ?? ".",
    forgetUnreachableOnDestroy: forget === true,
    timeouts,
  };
}
