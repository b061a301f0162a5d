/**
 * The lab program (`index.ts`) with NO hosts configured, end to end on this machine's Docker
 * Engine: the program harness performs the LocalLab's `@pulumi/docker` resources through the
 * Docker CLI (host image build, network with egress blocked, cache volume, privileged hosts with
 * uploaded keys and a health wait) and every dynamic provider for real over SSH, preview first.
 * Real Weave 2.8.1 runs inside the Docker-in-Docker hosts, loaded from an offline archive
 * (`../shared/weave-images` beside the repository, or WEAVE_LAB_IMAGES_ARCHIVE).
 *
 * What runs is read from the hosts themselves (`docker exec` into each host: the router's
 * `/report`, `weave ps`, busybox `nslookup` in web2) and compared with the stack outputs and the
 * range picture. Then a second `up` must change nothing and `destroy` must leave no container,
 * network or volume of the stack except the shared image cache volume (documented in
 * docs/local-lab.md; the test removes it afterwards if it made it).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ContainerOutput } from "../../components/lab-containers";
import type { HostOutput } from "../../components/program";
import { egressRule } from "../engine/docker";
import { ProgramHarness, type ProgramRun } from "../engine/program-harness";
import { REPO_ROOT } from "../engine/serialize";

jest.setTimeout(1_500_000);
process.env.CHECKPOINT_DISABLE = "1";

const STACK = "itlocal";
const PREFIX = `weave-lab-${STACK}`;
const HOSTS = ["docker1", "docker2", "docker3"];
const CACHE_VOLUME = "weave-lab-image-cache-weaveworks-2.8.1";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function sh(cmd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (e, out, err) =>
      e
        ? reject(new Error(`${cmd} ${args.slice(0, 3).join(" ")}: ${(err || e.message).trim()}`))
        : resolve(out),
    ),
  );
}
const docker = (...args: string[]): Promise<string> => sh("docker", args);
/** `docker logs` of a container, both streams (the host entrypoint logs to stderr). */
const containerLogs = (name: string): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile("docker", ["logs", name], { maxBuffer: 64 << 20 }, (e, out, err) =>
      e ? reject(e) : resolve(out + err),
    ),
  );
const lines = (s: string): string[] => s.split("\n").filter(Boolean);
/** Runs argv inside the lab host `host` (the DinD container). */
const onHost = (host: string, ...argv: string[]): Promise<string> =>
  docker("exec", `${PREFIX}-${host}`, ...argv);

/** A 10.77.k.0/24 no Docker network uses. */
async function freeSubnet(): Promise<string> {
  const ids = lines(await docker("network", "ls", "-q"));
  const used = new Set<string>();
  for (const id of ids)
    for (const s of lines(
      await docker("network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}}\n{{end}}", id),
    ))
      used.add(s);
  for (let k = 31; k < 250; k++) if (!used.has(`10.77.${k}.0/24`)) return `10.77.${k}.0/24`;
  throw new Error("no free 10.77.k.0/24");
}

/** Removes whatever a run of this test may have left (containers, network, egress rule). */
async function cleanup(subnet?: string): Promise<void> {
  const ids = lines(await docker("ps", "-aq", "--filter", `label=io.weave-lab.stack=${STACK}`));
  if (ids.length > 0) await docker("rm", "-f", "-v", ...ids);
  await docker("network", "rm", PREFIX).catch(() => undefined);
  const subnets = subnet ? [subnet] : [];
  for (const s of subnets)
    for (let i = 0; i < 5; i++) {
      try {
        await sh("iptables", ["-w", "-D", ...egressRule(s)]);
      } catch {
        break;
      }
    }
}

interface Report {
  Router: { Name: string; NickName: string };
  IPAM: { Range: string; Entries: Array<{ Token: string; Size: number; Peer: string }> };
}
const ipToInt = (ip: string): number => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
/** Merged [start, end) intervals. */
function merge(iv: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [a, b] of [...iv].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && last[1] === a) last[1] = b;
    else out.push([a, b]);
  }
  return out;
}
const cidrInterval = (cidr: string): [number, number] => {
  const [ip, bits] = cidr.split("/");
  const start = ipToInt(ip);
  return [start, start + 2 ** (32 - Number(bits))];
};

let subnet: string;
let archivePath: string;
let harness: ProgramHarness;
let outDir: string;
let cacheExisted = false;
let first: ProgramRun;
let second: ProgramRun | undefined;
const timings: Record<string, number> = {};

beforeAll(async () => {
  await docker("version", "--format", "{{.Server.Version}}");
  await cleanup();
  subnet = await freeSubnet();
  cacheExisted = (await docker("volume", "ls", "-q", "--filter", `name=^${CACHE_VOLUME}$`)).trim() !== "";
  const archive = (archivePath =
    process.env.WEAVE_LAB_IMAGES_ARCHIVE ??
    path.resolve(REPO_ROOT, "..", "shared", "weave-images", "weave-2.8.1-images.tar.zst"));
  if (!fs.existsSync(archive))
    throw new Error(`no Weave images archive at ${archive} (see the issue: ../shared/weave-images)`);
  const localBase = await docker("image", "inspect", "weave-lab-base:bookworm").then(
    () => true,
    () => false,
  );
  const baseImage =
    process.env.WEAVE_LAB_BASE_IMAGE ?? (localBase ? "weave-lab-base:bookworm" : "debian:bookworm-slim");
  process.stderr.write(
    `local-lab test: Weave images from the archive ${archive}; base image ${baseImage}; subnet ${subnet}\n`,
  );
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-local-it-"));
  harness = new ProgramHarness({
    stack: STACK,
    timeoutMs: 1_200_000,
    config: {
      "weave-lab:local": JSON.stringify({
        hosts: HOSTS.length,
        subnet,
        sshPortBase: 24701,
        baseImage,
        weaveImagesArchive: archive,
        startTimeoutSeconds: 600,
      }),
      "weave-lab:outputDir": JSON.stringify(outDir),
    },
  });
  const t = Date.now();
  try {
    first = await harness.up();
  } catch (e) {
    const run = (e as { run?: ProgramRun }).run;
    if (run) process.stderr.write(`local-lab test: failed up, log tail:\n${run.log.slice(-4000)}\n`);
    throw e;
  }
  timings.up = Date.now() - t;
  process.stderr.write(
    `local-lab test: ${/docker harness: .*/.exec(first.log)?.[0] ?? "privileged hosts run with Docker's default runtime"}\n`,
  );
});

afterAll(async () => {
  // Even after a failure: the harness's own destroy first (providers clean up), then by label.
  if (harness && harness.state.length > 0) await harness.destroy().catch(() => undefined);
  await cleanup(subnet);
  if (!cacheExisted) await docker("volume", "rm", CACHE_VOLUME).catch(() => undefined);
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  process.stderr.write(`local-lab test timings (ms): ${JSON.stringify(timings)}\n`);
});

const exportsOf = (r: ProgramRun) =>
  r.exports as {
    mode: string;
    hosts: Record<string, HostOutput>;
    containers: Record<string, ContainerOutput>;
    rangeSvg: string;
    rangeSvgFile: string;
  };

describe("index.ts with no hosts, on this machine's Docker", () => {
  it("previewed first, with the generated keys and host containers unknown, planning only creates", () => {
    expect(first.preview).toBeDefined();
    const kinds = new Set(first.preview!.map((s) => s.kind));
    expect([...kinds]).toEqual(["create"]);
    expect(
      first
        .preview!.filter((s) => s.type === "docker:index/container:Container")
        .map((s) => s.name)
        .sort(),
    ).toEqual(HOSTS);
    // The preview cannot know the routers' outcome: the hosts' outputs are unknown there.
    expect(first.previewExports?.hosts).toBe(UNKNOWN);
  });

  it("builds the hosts, healthy, on the lab network with the published SSH ports", async () => {
    const names = lines(
      await docker(
        "ps",
        "--filter",
        `label=io.weave-lab.stack=${STACK}`,
        "--format",
        "{{.Names}} {{.Status}}",
      ),
    ).sort();
    expect(names.map((n) => n.split(" ")[0])).toEqual(HOSTS.map((h) => `${PREFIX}-${h}`));
    for (const n of names) expect(n).toContain("(healthy)");
    for (const [i, h] of HOSTS.entries()) {
      const ip = (
        await docker(
          "inspect",
          "--format",
          `{{(index .NetworkSettings.Networks "${PREFIX}").IPAddress}}`,
          `${PREFIX}-${h}`,
        )
      ).trim();
      expect(ip).toBe(subnet.replace(/0\/24$/, String(101 + i)));
      expect((await docker("port", `${PREFIX}-${h}`, "22/tcp")).trim()).toBe(`127.0.0.1:${24701 + i}`);
    }
    // The Weave images came from the offline archive on every host, not from a registry.
    for (const h of HOSTS) {
      const logs = await containerLogs(`${PREFIX}-${h}`);
      expect(logs).toContain(`loading Weave images from the archive ${path.basename(archivePath)}`);
      expect(logs).not.toMatch(/docker pull|weave setup/);
    }
    // Test set-up: nothing in the lab reaches off this machine.
    await sh("iptables", ["-w", "-C", ...egressRule(subnet)]);
  });

  it("launched a router on every host, and the shares, peer names and range picture match what the routers say", async () => {
    const out = exportsOf(first);
    expect(out.mode).toBe("local");
    const owned: Record<string, Array<[number, number]>> = {};
    let report: Report | undefined;
    for (const h of HOSTS) {
      expect((await onHost(h, "docker", "inspect", "--format", "{{.State.Running}}", "weave")).trim()).toBe(
        "true",
      );
      const r = JSON.parse(
        await onHost(h, "curl", "-fsS", "-H", "Accept: application/json", "http://127.0.0.1:6784/report"),
      ) as Report;
      expect(out.hosts[h].peerName).toBe(r.Router.Name);
      report ??= r;
    }
    // Ownership from one router's ring: each entry owns up to the next token.
    const entries = [...report!.IPAM.Entries].sort((a, b) => ipToInt(a.Token) - ipToInt(b.Token));
    for (const e of entries) {
      const host = HOSTS.find((h) => out.hosts[h].peerName === e.Peer);
      expect(host).toBeDefined();
      (owned[host!] ??= []).push([ipToInt(e.Token), ipToInt(e.Token) + e.Size]);
    }
    for (const h of HOSTS) {
      const real = merge(owned[h] ?? []);
      expect(merge(out.hosts[h].shares.map(cidrInterval))).toEqual(real);
      const count = real.reduce((n, [a, b]) => n + b - a, 0);
      expect(Number(out.hosts[h].share.split(" ")[0])).toBe(count);
      // The picture shows every share of the host.
      for (const cidr of out.hosts[h].shares)
        expect(out.rangeSvg).toContain(`data-host="${h}" data-cidr="${cidr}"`);
    }
    expect(fs.readFileSync(out.rangeSvgFile, "utf8")).toBe(out.rangeSvg);
  });

  it("runs web1 and web2 with the addresses the outputs and the picture give, and web1.weave.local resolves from docker2", async () => {
    const out = exportsOf(first);
    expect(Object.keys(out.containers).sort()).toEqual(["docker1/web1", "docker2/web2"]);
    for (const [key, c] of Object.entries(out.containers)) {
      const [host, name] = key.split("/");
      expect((await onHost(host, "docker", "inspect", "--format", "{{.State.Running}}", name)).trim()).toBe(
        "true",
      );
      // `weave ps <name>`: "<id> <mac> <ip>/<bits>".
      const [, mac, cidr] = (await onHost(host, "weave", "ps", name)).trim().split(/\s+/);
      expect(`${c.ip}/${c.cidr.split("/")[1]}`).toBe(cidr);
      expect(c.mac).toBe(mac);
      expect(out.rangeSvg).toContain(
        `data-container="${name}" data-host="${host}" data-ip="${cidr.split("/")[0]}"`,
      );
    }
    const web1 = (await onHost("docker1", "weave", "ps", "web1")).trim().split(/\s+/)[2].split("/")[0];
    const answer = await onHost("docker2", "docker", "exec", "web2", "nslookup", "web1.weave.local");
    expect(answer).toMatch(new RegExp(`Address( \\d+)?:\\s+${web1.replace(/\./g, "\\.")}(\\s|$)`));
  });

  it("changes nothing on a second up (preview and up: every step the same, no host restarted)", async () => {
    const before = lines(
      await docker("ps", "-q", "--no-trunc", "--filter", `label=io.weave-lab.stack=${STACK}`),
    ).sort();
    const started = await Promise.all(
      before.map((id) => docker("inspect", "--format", "{{.State.StartedAt}}", id)),
    );
    const t = Date.now();
    second = await harness.up();
    timings.secondUp = Date.now() - t;
    expect(second.preview!.filter((s) => s.kind !== "same")).toEqual([]);
    expect(second.steps.filter((s) => s.kind !== "same")).toEqual([]);
    const after = lines(
      await docker("ps", "-q", "--no-trunc", "--filter", `label=io.weave-lab.stack=${STACK}`),
    ).sort();
    expect(after).toEqual(before);
    expect(
      await Promise.all(after.map((id) => docker("inspect", "--format", "{{.State.StartedAt}}", id))),
    ).toEqual(started);
    expect(exportsOf(second).containers).toEqual(exportsOf(first).containers);
  });

  it("destroys everything of the stack except the shared image cache volume", async () => {
    const ids = lines(
      await docker("ps", "-aq", "--no-trunc", "--filter", `label=io.weave-lab.stack=${STACK}`),
    );
    const anonymous: string[] = [];
    for (const id of ids)
      for (const m of lines(
        await docker(
          "inspect",
          "--format",
          '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}\n{{end}}{{end}}',
          id,
        ),
      ))
        if (m !== CACHE_VOLUME) anonymous.push(m);
    expect(anonymous.length).toBe(HOSTS.length);
    const t = Date.now();
    await harness.destroy();
    timings.destroy = Date.now() - t;
    expect(harness.state).toEqual([]);
    expect(lines(await docker("ps", "-aq", "--filter", `label=io.weave-lab.stack=${STACK}`))).toEqual([]);
    expect(lines(await docker("ps", "-aq", "--filter", `name=${PREFIX}`))).toEqual([]);
    expect(lines(await docker("network", "ls", "-q", "--filter", `name=^${PREFIX}$`))).toEqual([]);
    const volumes = new Set(lines(await docker("volume", "ls", "-q")));
    for (const v of anonymous) expect(volumes.has(v)).toBe(false);
    expect(volumes.has(CACHE_VOLUME)).toBe(true);
    await expect(sh("iptables", ["-w", "-C", ...egressRule(subnet)])).rejects.toThrow();
  });
});
