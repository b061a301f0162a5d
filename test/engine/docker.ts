/**
 * The `@pulumi/docker` resources a LocalLab declares, performed through the Docker CLI by the
 * program harness (`program-runner.ts`), with the provider interface of a dynamic provider so the
 * runner drives them like every other resource (check → create, or diff → same / replace; delete).
 *
 * What each does, as the Docker provider would:
 * - `docker:index/image:Image`: `docker build` of `build.context` with `build.args`, tagged
 *   `imageName`; `repoDigest` is the local image id. Delete keeps the image (like the provider,
 *   which does not remove local images).
 * - `docker:index/network:Network`: `docker network create` with its IPAM config and labels.
 *   Test set-up, not the product: before the network exists, traffic from its subnet to anywhere
 *   else is rejected (`iptables -I DOCKER-USER -s SUBNET ! -d SUBNET -j REJECT`, removed with the
 *   network), so nothing in a test lab can reach off this machine.
 * - `docker:index/volume:Volume`: `docker volume create`.
 * - `docker:index/container:Container`: `docker create` with every option LocalLab uses, the
 *   uploads copied in (a tar on stdin of `docker cp`, so no secret touches argv or disk), start,
 *   and with `wait` the health check awaited up to `waitTimeout` seconds. Delete: `rm -f -v`.
 *   Test set-up, not the product: where `docker run --privileged` fails with "unable to apply
 *   caps" (a kernel that cannot grant every capability), the container runs with the `capfilter`
 *   OCI runtime and gets that runtime's binary (mounted read-only) as its inner engine's default
 *   (`WEAVE_LAB_INNER_RUNTIME`, see docker/host/entrypoint.sh).
 *
 * Every command is an argv array; outputs of failed commands are included in errors, inputs
 * (which carry keys) never are.
 */
import { execFile, spawn } from "child_process";
import type * as dynamic from "@pulumi/pulumi/dynamic";

/** Pulumi's placeholder for a value not known yet (a preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const containsUnknown = (v: unknown): boolean =>
  v === UNKNOWN ||
  (Array.isArray(v)
    ? v.some(containsUnknown)
    : v !== null && typeof v === "object" && Object.values(v).some(containsUnknown));

type Props = Record<string, unknown>;

/** Runs `docker`/`iptables` with argv; resolves stdout, rejects with what the command printed. */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: Buffer; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    if (opts.input) {
      const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", reject);
      child.on("close", (code) =>
        code === 0
          ? resolve(out)
          : reject(new Error(`${cmd} ${args[0]} failed (exit ${code}): ${err.trim()}`)),
      );
      child.stdin.end(opts.input);
      return;
    }
    execFile(cmd, args, { maxBuffer: 64 << 20, timeout: opts.timeoutMs ?? 600_000 }, (e, stdout, stderr) => {
      if (e)
        reject(new Error(`${cmd} ${args.slice(0, 2).join(" ")} failed: ${(stderr || e.message).trim()}`));
      else resolve(stdout);
    });
  });
}
const docker = (args: string[], opts?: { input?: Buffer; timeoutMs?: number }): Promise<string> =>
  run("docker", args, opts);

/** The egress rule of a lab subnet (argv after `iptables -I|-D|-C`). */
export const egressRule = (subnet: string): string[] => [
  "DOCKER-USER",
  "-s",
  subnet,
  "!",
  "-d",
  subnet,
  "-j",
  "REJECT",
];

async function ruleExists(subnet: string): Promise<boolean> {
  try {
    await run("iptables", ["-w", "-C", ...egressRule(subnet)]);
    return true;
  } catch {
    return false;
  }
}

/** A ustar archive of files (path → content, mode), root-owned: what `docker cp -` extracts. */
export function tarOf(files: Array<{ path: string; content: string; mode: number }>): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const name = f.path.replace(/^\/+/, "");
    if (Buffer.byteLength(name) > 99) throw new Error(`tarOf: path too long for ustar: ${name}`);
    const body = Buffer.from(f.content, "utf8");
    const h = Buffer.alloc(512);
    const field = (off: number, len: number, value: string): void => {
      h.write(value, off, len, "utf8");
    };
    const octal = (off: number, len: number, n: number): void =>
      field(off, len, n.toString(8).padStart(len - 1, "0"));
    field(0, 100, name);
    octal(100, 8, f.mode);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, body.length);
    octal(136, 12, Math.floor(Date.now() / 1000));
    field(148, 8, "        ");
    field(156, 1, "0");
    field(257, 6, "ustar");
    field(263, 2, "00");
    let sum = 0;
    for (const b of h) sum += b;
    field(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

let capsProbe: Promise<{ runtime: string; path: string } | undefined> | undefined;
/**
 * Whether this machine needs the capfilter runtime for privileged containers: probed once per
 * process with the image about to run. Resolves the runtime's name and binary path, or undefined.
 */
function privilegedWorkaround(image: string): Promise<{ runtime: string; path: string } | undefined> {
  capsProbe ??= (async () => {
    try {
      await docker(["run", "--rm", "--privileged", "--network", "none", "--entrypoint", "true", image]);
      return undefined;
    } catch (e) {
      if (!/unable to apply caps/.test((e as Error).message)) throw e;
      const runtimes = JSON.parse(await docker(["info", "--format", "{{json .Runtimes}}"])) as Record<
        string,
        { path?: string }
      >;
      const path = runtimes.capfilter?.path;
      if (!path)
        throw new Error(
          "privileged containers fail here with 'unable to apply caps' and dockerd has no 'capfilter' runtime (see tools/runc-capfilter)",
        );
      process.stderr.write(
        `docker harness: privileged containers need the capfilter runtime here (${path})\n`,
      );
      return { runtime: "capfilter", path };
    }
  })();
  return capsProbe;
}

/** The step a diff reports: inputs equal → same; otherwise replace (Docker objects here are immutable). */
function diffReplace(olds: Props, news: Props, ignore: string[] = []): dynamic.DiffResult {
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter(
    (k) => !k.startsWith("__") && !ignore.includes(k) && news[k] !== undefined,
  );
  const changed = keys.filter(
    (k) => containsUnknown(news[k]) || JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
  );
  return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: true };
}

const check = async (_olds: Props, news: Props): Promise<dynamic.CheckResult> => ({ inputs: news });

const imageProvider: dynamic.ResourceProvider = {
  check,
  diff: async (_id, olds: Props, news: Props) => diffReplace(olds, news, ["repoDigest", "imageId"]),
  async create(inputs: Props) {
    const build = (inputs.build ?? {}) as {
      context?: string;
      dockerfile?: string;
      args?: Record<string, string>;
    };
    const name = String(inputs.imageName);
    const argv = ["build", "-q", "-t", name];
    if (build.dockerfile) argv.push("-f", build.dockerfile);
    for (const [k, v] of Object.entries(build.args ?? {})) argv.push("--build-arg", `${k}=${v}`);
    argv.push(build.context ?? ".");
    const id = (await docker(argv, { timeoutMs: 1_800_000 })).trim().split("\n").pop()!;
    return { id: name, outs: { ...inputs, repoDigest: id, imageId: id } };
  },
  async delete() {
    // Like the Docker provider: the local image stays (Docker's build cache).
  },
};

const networkProvider: dynamic.ResourceProvider = {
  check,
  diff: async (_id, olds: Props, news: Props) => diffReplace(olds, news),
  async create(inputs: Props) {
    const name = String(inputs.name);
    const ipam = (inputs.ipamConfigs ?? []) as Array<{ subnet?: string; gateway?: string }>;
    const subnets = ipam.map((c) => c.subnet).filter((s): s is string => !!s);
    // Egress blocked before anything can start on the network.
    for (const s of subnets)
      if (!(await ruleExists(s))) await run("iptables", ["-w", "-I", ...egressRule(s)]);
    const argv = ["network", "create", "--driver", String(inputs.driver ?? "bridge")];
    for (const c of ipam) {
      if (c.subnet) argv.push("--subnet", c.subnet);
      if (c.gateway) argv.push("--gateway", c.gateway);
    }
    for (const l of (inputs.labels ?? []) as Array<{ label: string; value: string }>)
      argv.push("--label", `${l.label}=${l.value}`);
    argv.push(name);
    const id = (await docker(argv)).trim();
    return { id, outs: { ...inputs, name } };
  },
  async delete(id: string, props: Props) {
    try {
      await docker(["network", "rm", id]);
    } catch (e) {
      if (!/not found|No such network/i.test((e as Error).message)) throw e;
    }
    const ipam = (props.ipamConfigs ?? []) as Array<{ subnet?: string }>;
    for (const c of ipam) {
      if (!c.subnet) continue;
      while (await ruleExists(c.subnet)) await run("iptables", ["-w", "-D", ...egressRule(c.subnet)]);
    }
  },
};

const volumeProvider: dynamic.ResourceProvider = {
  check,
  diff: async (_id, olds: Props, news: Props) => diffReplace(olds, news),
  async create(inputs: Props) {
    const argv = ["volume", "create"];
    for (const l of (inputs.labels ?? []) as Array<{ label: string; value: string }>)
      argv.push("--label", `${l.label}=${l.value}`);
    if (inputs.name) argv.push(String(inputs.name));
    const name = (await docker(argv)).trim();
    return { id: name, outs: { ...inputs, name } };
  },
  async delete(id: string) {
    try {
      await docker(["volume", "rm", id]);
    } catch (e) {
      if (!/no such volume/i.test((e as Error).message)) throw e;
    }
  },
};

interface ContainerInputs {
  name: string;
  image: string;
  hostname?: string;
  privileged?: boolean;
  runtime?: string;
  restart?: string;
  networksAdvanced?: Array<{ name: string; ipv4Address?: string; aliases?: string[] }>;
  ports?: Array<{ internal: number; external?: number; ip?: string; protocol?: string }>;
  envs?: string[];
  volumes?: Array<{ containerPath: string; volumeName?: string; hostPath?: string; readOnly?: boolean }>;
  labels?: Array<{ label: string; value: string }>;
  uploads?: Array<{ file: string; content?: string; permissions?: string }>;
  wait?: boolean;
  waitTimeout?: number;
  destroyGraceSeconds?: number;
}

/** `docker create` argv for a container's inputs (the capfilter workaround applied when given). */
export function createArgv(c: ContainerInputs, caps?: { runtime: string; path: string }): string[] {
  const argv = ["create", "--name", c.name];
  if (c.hostname) argv.push("--hostname", c.hostname);
  if (c.privileged) argv.push("--privileged");
  const runtime = c.runtime ?? (c.privileged ? caps?.runtime : undefined);
  if (runtime) argv.push("--runtime", runtime);
  if (c.restart) argv.push("--restart", c.restart);
  const [first, ...more] = c.networksAdvanced ?? [];
  if (first) {
    argv.push("--network", first.name);
    if (first.ipv4Address) argv.push("--ip", first.ipv4Address);
    for (const a of first.aliases ?? []) argv.push("--network-alias", a);
  }
  if (more.length > 0) throw new Error("docker harness: one network per container only");
  for (const p of c.ports ?? [])
    argv.push("-p", `${p.ip ? `${p.ip}:` : ""}${p.external ?? ""}:${p.internal}/${p.protocol ?? "tcp"}`);
  for (const e of c.envs ?? []) argv.push("-e", e);
  for (const v of c.volumes ?? []) {
    const src = v.volumeName ?? v.hostPath;
    argv.push("-v", src ? `${src}:${v.containerPath}${v.readOnly ? ":ro" : ""}` : v.containerPath);
  }
  if (c.privileged && caps && !c.runtime) {
    argv.push("-v", `${caps.path}:${caps.path}:ro`, "-e", `WEAVE_LAB_INNER_RUNTIME=${caps.path}`);
  }
  for (const l of c.labels ?? []) argv.push("--label", `${l.label}=${l.value}`);
  if (c.destroyGraceSeconds !== undefined) argv.push("--stop-timeout", String(c.destroyGraceSeconds));
  argv.push(c.image);
  return argv;
}

async function waitHealthy(name: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const [status, health] = (
      await docker([
        "inspect",
        "--format",
        "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
        name,
      ])
    )
      .trim()
      .split(" ");
    if (health === "healthy" || (status === "running" && health === undefined)) return;
    if (status === "exited" || status === "dead" || health === "unhealthy") {
      const logs = await docker(["logs", "--tail", "20", name]).catch(() => "");
      throw new Error(`container ${name} is ${health ?? status}; its last log lines:\n${logs}`);
    }
    if (Date.now() > deadline) {
      const logs = await docker(["logs", "--tail", "20", name]).catch(() => "");
      throw new Error(
        `container ${name} not healthy within ${timeoutSeconds} s (${status} ${health ?? ""}):\n${logs}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function removeContainer(name: string): Promise<void> {
  try {
    await docker(["rm", "-f", "-v", name]);
  } catch (e) {
    if (!/No such container/i.test((e as Error).message)) throw e;
  }
}

const containerProvider: dynamic.ResourceProvider = {
  check,
  diff: async (_id, olds: Props, news: Props) => diffReplace(olds, news),
  async create(inputs: Props) {
    const c = inputs as unknown as ContainerInputs;
    const caps = c.privileged ? await privilegedWorkaround(c.image) : undefined;
    const id = (await docker(createArgv(c, caps))).trim();
    try {
      if (c.uploads && c.uploads.length > 0) {
        const tar = tarOf(
          c.uploads.map((u) => ({
            path: u.file,
            content: u.content ?? "",
            mode: parseInt(u.permissions ?? "0644", 8),
          })),
        );
        await docker(["cp", "-", `${id}:/`], { input: tar });
      }
      await docker(["start", id]);
      if (c.wait) await waitHealthy(id, c.waitTimeout ?? 60);
    } catch (e) {
      // A failed create leaves nothing behind (the engine would not record it).
      const logs = await docker(["logs", "--tail", "30", id]).catch(() => "");
      await removeContainer(id);
      throw new Error(`${(e as Error).message}${logs ? `\n${logs}` : ""}`);
    }
    return { id, outs: { ...inputs, name: c.name } };
  },
  async delete(id: string) {
    await removeContainer(id);
  },
};

/** The Docker provider resource itself: nothing to do. */
const providerResource: dynamic.ResourceProvider = {
  check,
  diff: async () => ({ changes: false }),
  async create(inputs: Props) {
    return { id: "docker-provider", outs: inputs };
  },
};

/** The performer for a `@pulumi/docker` type token, or undefined when it is not one. */
export function dockerProviderFor(type: string): dynamic.ResourceProvider | undefined {
  switch (type) {
    case "docker:index/image:Image":
      return imageProvider;
    case "docker:index/network:Network":
      return networkProvider;
    case "docker:index/volume:Volume":
      return volumeProvider;
    case "docker:index/container:Container":
      return containerProvider;
    case "pulumi:providers:docker":
      return providerResource;
    default:
      return undefined;
  }
}
