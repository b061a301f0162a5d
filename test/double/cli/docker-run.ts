/**
 * `docker run` in the double: a container record, its bridge address and host ports, and with
 * `DOCKER_HOST` at Weave's proxy socket what Weave's Docker API proxy does (attach, DNS).
 */
import {
  ContainerRecord,
  deleteContainer,
  dockerTime,
  findContainer,
  listContainers,
  newContainerId,
  nextSeq,
  saveContainer,
  withLock,
} from "../state";
import { imageMeta } from "./images";
import { Io } from "./io";
import { execInContainer, keepsRunning } from "./net";
import { proxyAttach, proxyDnsOn, weaveCidrOf } from "./proxy";
import { boolFlag, Ctx, DOCKER_BRIDGE_IP, PROXY_SOCKET, weaveArgs } from "./weavecore";
import { seeHelp } from "./docker-format";
import { parseRunArgs, all, last } from "./docker-run-args";

export function isProxy(ctx: Ctx, hostOpt: string | undefined): boolean {
  const h = hostOpt ?? ctx.env.DOCKER_HOST;
  return h === PROXY_SOCKET || h === "/var/run/weave/weave.sock";
}

/** Lowest free docker0 address (172.17.0.2 upwards) among running bridge containers. */
export function nextBridgeIp(home: string): string {
  const used = new Set(
    listContainers(home)
      .filter((c) => c.State.Running)
      .map((c) => c.NetworkSettings.IPAddress),
  );
  for (let n = 2; n < 65534; n++) {
    const ip = `172.17.${n >> 8}.${n & 255}`;
    if (!used.has(ip)) return ip;
  }
  throw new Error("docker double: docker0 exhausted");
}

export function bridgeMac(ip: string): string {
  return ["02", "42", ...ip.split(".").map((x) => Number(x).toString(16).padStart(2, "0"))].join(":");
}

function nextHostPort(home: string): number {
  const used = new Set<number>();
  for (const c of listContainers(home))
    for (const b of Object.values(c.NetworkSettings.Ports))
      for (const x of b ?? []) used.add(Number(x.HostPort));
  let p = 32768;
  while (used.has(p)) p++;
  return p;
}

/** Weave's proxy decides from the container's network mode whether it attaches (§9.4). */
function proxyAttaches(netMode: string): boolean {
  return netMode === "default" || netMode === "bridge" || netMode === "none";
}

export function proxyUp(ctx: Ctx): boolean {
  const w = findContainer(ctx.home, ctx.containerName);
  if (!w || w.State.Status !== "running") return false;
  return boolFlag(w.Args, "--proxy") !== false;
}

export async function run(ctx: Ctx, args: string[], viaProxy: boolean): Promise<number> {
  const io = ctx.io;
  const o = parseRunArgs(args);
  if ("error" in o) {
    io.errLine(`${o.error.startsWith('"') ? o.error : o.error}\n${seeHelp("run")}`);
    return 125;
  }
  const meta = imageMeta(o.image);
  const env = all(o, "--env").map((e) => (e.includes("=") ? e : `${e}=${ctx.env[e] ?? ""}`));
  const name = last(o, "--name");
  const netMode = last(o, "--net") ?? "default";
  let hostname = last(o, "--hostname");
  let domainname = last(o, "--domainname") ?? "";
  let dns = all(o, "--dns");
  let dnsSearch = all(o, "--dns-search");
  let entrypoint =
    last(o, "--entrypoint") !== undefined ? [last(o, "--entrypoint") as string] : meta.Entrypoint;
  const cmd = o.cmd.length > 0 ? o.cmd : meta.Cmd;
  const weaveCidrEnv = weaveCidrOf(env);
  const rArgs = weaveArgs(ctx) ?? [];
  const attachViaProxy =
    viaProxy &&
    proxyAttaches(netMode) &&
    weaveCidrEnv !== "none" &&
    !(weaveCidrEnv === undefined && rArgs.includes("--no-default-ipalloc"));
  const dnsOn = proxyDnsOn(ctx);
  if (attachViaProxy) {
    // What Weave's create interceptor does (proxy/create_container_interceptor.go, §9.4/§9.6).
    let derived = false;
    if (hostname === undefined && name) {
      hostname = name;
      domainname = "weave.local";
      derived = true;
    }
    if (dnsOn) {
      dns = [...dns, DOCKER_BRIDGE_IP];
      if (dnsSearch.length === 0) dnsSearch = derived ? ["."] : ["weave.local."];
    }
    // weavewait holds the entrypoint until ethwe is up.
    entrypoint = ["/w/w", ...(entrypoint ?? [])];
  }
  const id = newContainerId();
  const now = dockerTime();
  const detach = o.bools.has("--detach");
  const publishAll = o.bools.has("--publish-all");
  const created = withLock(ctx.home, () => {
    if (name) {
      const clash = findContainer(ctx.home, name);
      if (clash && clash.Name === `/${name}`) {
        return `docker: Error response from daemon: Conflict. The container name "/${name}" is already in use by container "${clash.Id}". You have to remove (or rename) that container to be able to reuse that name.\n${seeHelp("run")}`;
      }
    }
    const ports: ContainerRecord["NetworkSettings"]["Ports"] = {};
    const bindings: ContainerRecord["HostConfig"]["PortBindings"] = {};
    for (const p of all(o, "--publish")) {
      const parts = p.split(":");
      const cport = parts[parts.length - 1].includes("/")
        ? parts[parts.length - 1]
        : `${parts[parts.length - 1]}/tcp`;
      const hostPort = parts.length >= 2 ? parts[parts.length - 2] : "";
      const hostIp = parts.length === 3 ? parts[0] : "";
      bindings[cport] = [{ HostIp: hostIp, HostPort: hostPort }];
    }
    if (netMode !== "host" && netMode !== "none") {
      let next = nextHostPort(ctx.home);
      for (const [cport, b] of Object.entries(bindings)) {
        ports[cport] = b.map((x) => ({
          HostIp: x.HostIp || "0.0.0.0",
          HostPort: x.HostPort || String(next++),
        }));
      }
      if (publishAll)
        for (const ep of meta.ExposedPorts)
          if (!ports[ep]) ports[ep] = [{ HostIp: "0.0.0.0", HostPort: String(next++) }];
      // Exposed but unpublished ports show as `80/tcp` in docker ps.
      for (const ep of meta.ExposedPorts) if (!(ep in ports)) ports[ep] = null;
    }
    const restart = last(o, "--restart") ?? "no";
    const onBridge = netMode === "default" || netMode === "bridge";
    const ip = onBridge ? nextBridgeIp(ctx.home) : "";
    const full = [...(entrypoint ?? []), ...(cmd ?? [])];
    const rec: ContainerRecord = {
      Id: id,
      Name: `/${name ?? generatedName(id)}`,
      Created: now,
      Path: full[0] ?? "",
      Args: full.slice(1),
      State: {
        Status: "running",
        Running: true,
        Pid: 0,
        ExitCode: 0,
        StartedAt: now,
        FinishedAt: "0001-01-01T00:00:00Z",
      },
      Image: `sha256:${id.split("").reverse().join("")}`,
      Config: {
        Hostname: hostname ?? id.slice(0, 12),
        Domainname: domainname,
        Env: [...env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        Cmd: cmd,
        Entrypoint: entrypoint,
        Image: o.image,
        Labels: Object.fromEntries(
          all(o, "--label").map((l) => [l.split("=")[0], l.split("=").slice(1).join("=")]),
        ),
      },
      HostConfig: {
        RestartPolicy: { Name: restart.split(":")[0], MaximumRetryCount: Number(restart.split(":")[1] ?? 0) },
        PortBindings: bindings,
        PublishAllPorts: publishAll,
        NetworkMode: netMode,
        Dns: dns,
        DnsSearch: dnsSearch,
        AutoRemove: o.bools.has("--rm"),
      },
      NetworkSettings: { Ports: ports, IPAddress: ip, MacAddress: ip ? bridgeMac(ip) : "" },
      Seq: nextSeq(ctx.home),
    };
    saveContainer(ctx.home, rec);
    return rec;
  });
  if (typeof created === "string") {
    io.errLine(created);
    return 125;
  }
  if (attachViaProxy) {
    const err = await proxyAttach(ctx, id, weaveCidrEnv);
    if (err) {
      io.errLine(`docker: Error response from daemon: ${err}.`);
      return 126;
    }
  }
  if (detach) {
    // A container stops when its command ends (real Docker; `weave attach` then says "not
    // running"). Only a long-running command keeps it up; a short one runs now and its output
    // becomes the container's logs.
    const own = o.cmd.length === 0 && last(o, "--entrypoint") === undefined;
    const argv = (entrypoint ?? []).filter((x, i) => !(i === 0 && x === "/w/w")).concat(cmd ?? []);
    const stays = own ? !meta.shellCmd : keepsRunning(argv);
    if (!stays) {
      const c = findContainer(ctx.home, id) as ContainerRecord;
      const capture = new CaptureIo();
      const code = await execInContainer({ ...ctx, io: capture }, c, argv);
      exitContainer(ctx, id, code, o.bools.has("--rm"), { stdout: capture.stdout, stderr: capture.stderr });
    }
    io.line(id);
    return 0;
  }
  // Foreground: run the command as `docker exec` would, then the container exits.
  const c = findContainer(ctx.home, id) as ContainerRecord;
  const code = cmd && !imageMeta(o.image).serves ? await execInContainer(ctx, c, cmd) : 0;
  exitContainer(ctx, id, code, o.bools.has("--rm"));
  return code;
}

/** Output of a command run inside a container, kept for `docker logs`. */
export class CaptureIo extends Io {
  stdout = "";
  stderr = "";
  override out(s: string): void {
    this.stdout += s;
  }
  override err(s: string): void {
    this.stderr += s;
  }
}

/** The container's command ended with `code`: exited (or removed, with `--rm`). */
function exitContainer(
  ctx: Ctx,
  id: string,
  code: number,
  autoRemove: boolean,
  logs?: ContainerRecord["Logs"],
): void {
  withLock(ctx.home, () => {
    if (autoRemove) deleteContainer(ctx.home, id);
    else {
      const cur = findContainer(ctx.home, id);
      if (cur) {
        cur.State = {
          ...cur.State,
          Status: "exited",
          Running: false,
          ExitCode: code,
          FinishedAt: dockerTime(),
        };
        cur.NetworkSettings.IPAddress = "";
        if (logs) cur.Logs = logs;
        saveContainer(ctx.home, cur);
      }
    }
  });
}

const ADJ = ["admiring", "brave", "clever", "eager", "focused", "happy", "jolly", "keen", "nifty", "quirky"];
const NOUN = [
  "turing",
  "hopper",
  "lovelace",
  "curie",
  "darwin",
  "euler",
  "gauss",
  "noether",
  "ritchie",
  "shannon",
];
function generatedName(id: string): string {
  const n = parseInt(id.slice(0, 4), 16);
  return `${ADJ[n % ADJ.length]}_${NOUN[Math.floor(n / 10) % NOUN.length]}`;
}
