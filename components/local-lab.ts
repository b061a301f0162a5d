/**
 * `LocalLab`: Weave hosts on the user's own Docker engine, as Docker-in-Docker containers that
 * run sshd and an inner Docker engine Weave can drive. The rest of weave-lab treats them exactly
 * like real hosts: it reaches them over SSH (ports published on 127.0.0.1), pins their host keys,
 * and the Weave peers talk over the lab's own Docker network (10.10.10.0/24 by default).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { WEAVE_RELEASES } from "./plan/releases";
import { DEFAULTS, HostSpec, WeaveDistribution } from "./spec";
import { SshKeyPair } from "./local/keys";
import { LocalHost, LocalTopology, planLocalTopology } from "./local/topology";

/** Arguments of a local lab. Every field is optional. */
export interface LocalLabArgs {
  /** Number of hosts, 1–20. Defaults to `3`. */
  hosts?: number;
  /** Host name prefix (`docker` → docker1 … dockerN). Defaults to `"docker"`. */
  namePrefix?: string;
  /** Subnet of the lab's Docker network. Defaults to `"10.10.10.0/24"`. */
  subnet?: string;
  /** Offset of the first host in `subnet` (the textbook's `.101`). Defaults to `101`. */
  firstHostOffset?: number;
  /** 127.0.0.1 port of the first host's sshd; the others follow. Defaults to `2201`. */
  sshPortBase?: number;
  /** Weave distribution the hosts are prepared for (script and images). Defaults to `"weaveworks"`. */
  distribution?: WeaveDistribution;
  /** Weave version. Defaults to `"2.8.1"` for weaveworks, `"2.9.0"` for rajch. */
  version?: string;
  /**
   * Base image of the hosts: a Debian bookworm root file system (the Dockerfile installs Debian's
   * docker.io, Engine 20.10, which both Weave 2.8.1 and rajch 2.9 can drive). Defaults to
   * `"debian:bookworm-slim"`.
   */
  baseImage?: string;
  /** The user's Docker daemon. Defaults to `DOCKER_HOST` or the local socket. */
  dockerHost?: string;
  /**
   * A `docker save` archive of the Weave images (`.tar` or `.tar.zst`) on the machine running
   * Pulumi, mounted read-only into every host and loaded instead of pulling. Relative paths are
   * resolved from the working directory. Defaults to unset (the hosts pull, once per machine).
   */
  weaveImagesArchive?: string;
  /** Registry mirror for the inner engines. Defaults to unset (Docker Hub). */
  registryMirror?: string;
  /** Folder with the host Dockerfile. Defaults to `docker/host` of this repository. */
  buildContext?: string;
  /** Name used in Docker object names (network, containers). Defaults to the stack name. */
  stack?: string;
  /** Where `scripts/lab.sh` writes the client key, used in the printed ssh commands. Defaults to `.lab-state/<stack>/id_ed25519`. */
  keyFile?: string;
  /** Where `scripts/lab.sh` writes the pinned host keys. Defaults to `.lab-state/<stack>/known_hosts`. */
  knownHostsFile?: string;
  /** Seconds to wait for each host to become healthy (Weave images loaded or pulled on first start). Defaults to `600`. */
  startTimeoutSeconds?: number;
}

/** Digest of the build context, so a changed Dockerfile or entrypoint rebuilds and replaces hosts. */
export function contextDigest(dir: string): string {
  const h = crypto.createHash("sha256");
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(path.relative(dir, p)).update("\0").update(fs.readFileSync(p)).update("\0");
    }
  };
  walk(dir);
  return h.digest("hex").slice(0, 16);
}

/** The repository's `docker/host`, found from this module whether it runs from source or from `bin/`. */
export function defaultBuildContext(): string {
  for (const up of ["..", "../.."]) {
    const p = path.resolve(__dirname, up, "docker", "host");
    if (fs.existsSync(path.join(p, "Dockerfile"))) return p;
  }
  return path.resolve(__dirname, "..", "docker", "host");
}

/** A local lab of Docker-in-Docker hosts. Type token `weave-lab:index:LocalLab`. */
export class LocalLab extends pulumi.ComponentResource {
  /** The resolved layout: host names, addresses, SSH ports, Docker names. */
  readonly topology: LocalTopology;
  /**
   * The hosts as a lab spec expects them: address on the lab network, SSH through 127.0.0.1 with
   * the stack's client key (secret) and each host's pinned host key. The key Outputs resolve only
   * after the host container exists, so consumers wait for it.
   */
  readonly hosts: HostSpec<pulumi.Input<string>>[];
  /** The client private key (secret), for `scripts/lab.sh` to write to `keyFile`. */
  readonly sshPrivateKey: pulumi.Output<string>;
  /** known_hosts lines (`[127.0.0.1]:2201 ssh-ed25519 …`) pinning every host. */
  readonly knownHosts: pulumi.Output<string>;
  /** Per host, the command that opens a shell on it. */
  readonly sshCommands: Record<string, string>;
  readonly provider: docker.Provider;
  readonly network: docker.Network;
  readonly image: docker.Image;
  readonly cache: docker.Volume;
  readonly containers: Record<string, docker.Container>;

  constructor(name: string, args: LocalLabArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("weave-lab:index:LocalLab", name, {}, opts);
    const stack = args.stack ?? pulumi.getStack();
    this.topology = planLocalTopology({ ...args, stack });
    const distribution = args.distribution ?? DEFAULTS.distribution;
    const version = args.version ?? DEFAULTS.versions[distribution];
    const release = WEAVE_RELEASES[distribution]?.[version];
    if (!release) {
      const known = Object.keys(WEAVE_RELEASES[distribution] ?? {}).join(", ");
      throw new pulumi.ResourceError(
        `LocalLab: no ${distribution} release ${version} is known; known versions: ${known}`,
        this,
      );
    }
    const context = args.buildContext ?? defaultBuildContext();
    let archive: string | undefined;
    if (args.weaveImagesArchive !== undefined) {
      archive = path.resolve(args.weaveImagesArchive);
      if (!fs.existsSync(archive) || !fs.statSync(archive).isFile()) {
        throw new pulumi.ResourceError(
          `LocalLab: weaveImagesArchive '${args.weaveImagesArchive}' is not a file (resolved to ${archive}); give a \`docker save\` archive of the Weave images (.tar or .tar.zst)`,
          this,
        );
      }
    }
    const keyFile = args.keyFile ?? `.lab-state/${stack}/id_ed25519`;
    const knownHostsFile = args.knownHostsFile ?? `.lab-state/${stack}/known_hosts`;
    const child = { parent: this };

    this.provider = new docker.Provider(
      `${name}-docker`,
      args.dockerHost ? { host: args.dockerHost } : {},
      child,
    );
    const onDocker = { parent: this, provider: this.provider };

    const clientKey = new SshKeyPair(`${name}-client-key`, { comment: `weave-lab ${stack} client` }, child);
    this.sshPrivateKey = pulumi.secret(clientKey.privateKey);

    this.network = new docker.Network(
      `${name}-net`,
      {
        name: this.topology.networkName,
        driver: "bridge",
        ipamConfigs: [{ subnet: this.topology.subnet, gateway: this.topology.gateway }],
        labels: [{ label: "io.weave-lab.stack", value: stack }],
      },
      onDocker,
    );

    this.image = new docker.Image(
      `${name}-host-image`,
      {
        imageName: `weave-lab-host:${distribution}-${version}-${contextDigest(context)}`,
        skipPush: true,
        buildOnPreview: false,
        build: {
          context,
          dockerfile: path.join(context, "Dockerfile"),
          args: {
            BASE_IMAGE: args.baseImage ?? DEFAULT_BASE_IMAGE,
            WEAVE_DISTRIBUTION: distribution,
            WEAVE_VERSION: version,
          },
        },
      },
      onDocker,
    );
    const imageRef = pulumi.all([this.image.repoDigest, this.image.imageName]).apply(([d, n]) => d || n);

    // One download of the Weave images per machine: the first host saves them here, the rest load.
    // Shared by every stack (same name) and kept on destroy, like Docker's own image cache;
    // `docker volume rm weave-lab-image-cache-…` removes it.
    this.cache = new docker.Volume(
      `${name}-image-cache`,
      { name: `weave-lab-image-cache-${distribution}-${version}` },
      { ...onDocker, retainOnDelete: true },
    );

    this.containers = {};
    this.hosts = [];
    const known: pulumi.Output<string>[] = [];
    this.sshCommands = {};
    for (const h of this.topology.hosts) {
      const hostKey = new SshKeyPair(
        `${name}-${h.name}-host-key`,
        { comment: `weave-lab ${stack} ${h.name} host key` },
        child,
      );
      const c = new docker.Container(
        h.name,
        hostContainerArgs(h, this.topology, imageRef, this.network, this.cache, hostKey, clientKey, {
          ...args,
          stack,
          weaveImagesArchive: archive,
        }),
        {
          ...onDocker,
          // The host key and authorized key are baked in at creation: a new key needs a new container.
          replaceOnChanges: ["uploads"],
        },
      );
      this.containers[h.name] = c;
      // Resolve only once the container is up, so the WeaveNetwork waits for sshd.
      const pinned = pulumi.all([c.id, hostKey.publicKey]).apply(([, k]) => k);
      const privateKey = pulumi.secret(pulumi.all([c.id, clientKey.privateKey]).apply(([, k]) => k));
      this.hosts.push({
        name: h.name,
        address: h.address,
        ssh: { host: "127.0.0.1", port: h.sshPort, user: "root", privateKey, hostKey: pinned },
      });
      known.push(pulumi.interpolate`[127.0.0.1]:${h.sshPort} ${hostKey.publicKey}`);
      this.sshCommands[h.name] = sshCommand(h, keyFile, knownHostsFile);
    }
    this.knownHosts = pulumi.all(known).apply((lines) => lines.join("\n") + "\n");

    this.registerOutputs({
      hosts: this.hosts.map((h) => ({ name: h.name, address: h.address, sshPort: h.ssh?.port })),
      sshCommands: this.sshCommands,
      knownHosts: this.knownHosts,
      sshPrivateKey: this.sshPrivateKey,
    });
  }
}

/** Base image of the hosts unless `baseImage` says otherwise. */
export const DEFAULT_BASE_IMAGE = "debian:bookworm-slim";

/** Where the host entrypoint looks for offline image archives (docker/host/entrypoint.sh). */
export const IMAGES_DIR = "/var/lib/weave-lab/images";

/**
 * The host's machine-id: Weave derives its peer name from it, and a container has none. Stable
 * per stack and host, so a re-created host keeps its peer name; different across stacks.
 */
export function machineIdFor(stack: string, host: string): string {
  return crypto.createHash("sha256").update(`weave-lab\0${stack}\0${host}`).digest("hex").slice(0, 32);
}

/** The ssh command for one local host, pinned to the stack's known_hosts file. */
export function sshCommand(h: LocalHost, keyFile: string, knownHostsFile: string): string {
  return `ssh -i ${keyFile} -o UserKnownHostsFile=${knownHostsFile} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -p ${h.sshPort} root@127.0.0.1`;
}

function hostContainerArgs(
  h: LocalHost,
  topo: LocalTopology,
  image: pulumi.Input<string>,
  network: docker.Network,
  cache: docker.Volume,
  hostKey: SshKeyPair,
  clientKey: SshKeyPair,
  args: LocalLabArgs,
): docker.ContainerArgs {
  const stack = args.stack ?? pulumi.getStack();
  return {
    name: h.containerName,
    hostname: h.name,
    image,
    // Docker-in-Docker and the Weave router (bridge, iptables, --net host inside) need it.
    privileged: true,
    restart: "unless-stopped",
    mustRun: true,
    networksAdvanced: [{ name: network.name, ipv4Address: h.address, aliases: [h.name] }],
    // Only on loopback: the lab's sshd is for this machine, and 127.0.0.1 works with Docker Desktop too.
    ports: [{ internal: 22, external: h.sshPort, ip: "127.0.0.1", protocol: "tcp" }],
    envs: [
      `REGISTRY_MIRROR=${args.registryMirror ?? ""}`,
      "CHECKPOINT_DISABLE=1",
      `WEAVE_LAB_MACHINE_ID=${machineIdFor(stack, h.name)}`,
    ],
    uploads: [
      {
        file: "/etc/ssh/ssh_host_ed25519_key",
        content: pulumi.secret(hostKey.privateKey),
        permissions: "0600",
      },
      {
        file: "/etc/ssh/ssh_host_ed25519_key.pub",
        content: pulumi.interpolate`${hostKey.publicKey}\n`,
        permissions: "0644",
      },
      {
        file: "/root/.ssh/authorized_keys",
        content: pulumi.interpolate`${clientKey.publicKey}\n`,
        permissions: "0600",
      },
    ],
    volumes: [
      // The inner engine's storage: an anonymous volume per host, removed with the container.
      { containerPath: "/var/lib/docker" },
      { volumeName: cache.name, containerPath: "/var/cache/weave-lab" },
      ...(args.weaveImagesArchive
        ? [
            {
              hostPath: args.weaveImagesArchive,
              containerPath: `${IMAGES_DIR}/${path.basename(args.weaveImagesArchive)}`,
              readOnly: true,
            },
          ]
        : []),
    ],
    removeVolumes: true,
    labels: [
      { label: "io.weave-lab.stack", value: stack },
      { label: "io.weave-lab.host", value: h.name },
      { label: "io.weave-lab.network", value: topo.networkName },
    ],
    // Healthy = sshd up, inner engine up, Weave images loaded (HEALTHCHECK in the Dockerfile).
    wait: true,
    waitTimeout: args.startTimeoutSeconds ?? 600,
    destroyGraceSeconds: 30,
  };
}
