/**
 * The `docker` CLI double (Docker 20.10 client and daemon in one): containers are JSON records
 * under `$WEAVE_DOUBLE_HOME/docker/containers/`; nothing runs except the Weave router process
 * (the `weave` container). With `DOCKER_HOST` at Weave's proxy socket (`eval $(weave env)`), `run`
 * does what Weave's Docker API proxy does: hostname from the name, weaveDNS resolver, attach to
 * the Weave network with `WEAVE_CIDR` (blocking until IPAM answers) and register the name.
 */
import * as fs from "fs";
import * as path from "path";
import {
  ContainerRecord,
  deleteContainer,
  dockerTime,
  findContainer,
  listContainers,
  newContainerId,
  nextSeq,
  pidAlive,
  saveContainer,
  withLock,
} from "../state";
import { goJson, renderTemplate, TemplateError } from "./gotemplate";
import { imageMeta } from "./images";
import { Io, sleep } from "./io";
import { execInContainer, keepsRunning } from "./net";
import { proxyAttach, proxyDnsOn, weaveCidrOf } from "./proxy";
import { boolFlag, Ctx, DOCKER_BRIDGE_IP, PROXY_SOCKET, weaveArgs } from "./weavecore";

const seeHelp = (cmd: string): string => `See 'docker ${cmd} --help'.`;

/** Go's `units.HumanDuration`, which Docker prints in CREATED/STATUS. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(m / 60);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  const d = Math.floor(h / 24);
  if (d < 14) return `${d} days`;
  if (d < 60) return `${Math.floor(d / 7)} weeks`;
  if (d < 365 * 2) return `${Math.floor(d / 30)} months`;
  return `${Math.floor(d / 365)} years`;
}

/** Docker's table layout: tabwriter with min width 10 and padding 3; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((cell, i) => {
      if (i < r.length - 1) widths[i] = Math.max(widths[i] ?? 0, Math.max(10, [...cell].length + 3));
    });
  return rows
    .map(
      (r) =>
        r
          .map((cell, i) => (i < r.length - 1 ? cell + " ".repeat(widths[i] - [...cell].length) : cell))
          .join("") + "\n",
    )
    .join("");
}

function commandOf(c: ContainerRecord): string {
  return [c.Path, ...c.Args].join(" ");
}

function ellipsis(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : chars.slice(0, n - 1).join("") + "…";
}

function portsOf(c: ContainerRecord): string {
  if (c.State.Status !== "running") return "";
  const out: string[] = [];
  for (const [port, binds] of Object.entries(c.NetworkSettings.Ports)) {
    if (binds === null) out.push(port);
    for (const b of binds ?? []) out.push(`${b.HostIp || "0.0.0.0"}:${b.HostPort}->${port}`);
  }
  return out.join(", ");
}

function statusOf(c: ContainerRecord, now: number): string {
  if (c.State.Status === "running") return `Up ${humanDuration(now - Date.parse(c.State.StartedAt))}`;
  if (c.State.Status === "created") return "Created";
  return `Exited (${c.State.ExitCode}) ${humanDuration(now - Date.parse(c.State.FinishedAt))} ago`;
}

/** The object `docker ps --format` templates see. */
function psRow(c: ContainerRecord, now: number, trunc: boolean): Record<string, string> {
  const cmd = JSON.stringify(commandOf(c));
  return {
    Command: trunc ? `"${ellipsis(commandOf(c), 20)}"` : cmd,
    CreatedAt: new Date(Date.parse(c.Created))
      .toISOString()
      .replace("T", " ")
      .replace(/\.\d+Z$/, " +0000 UTC"),
    ID: trunc ? c.Id.slice(0, 12) : c.Id,
    Image: c.Config.Image,
    Labels: Object.entries(c.Config.Labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
    LocalVolumes: "0",
    Mounts: "",
    Names: c.Name.slice(1),
    Networks: c.HostConfig.NetworkMode === "default" ? "bridge" : c.HostConfig.NetworkMode,
    Ports: portsOf(c),
    RunningFor: `${humanDuration(now - Date.parse(c.Created))} ago`,
    Size: "0B",
    State: c.State.Status,
    Status: statusOf(c, now),
  };
}

/** Options of `docker run` that take a value (long and short names). */
const RUN_VALUE_FLAGS = new Set([
  "--name",
  "-e",
  "--env",
  "-p",
  "--publish",
  "--restart",
  "--dns",
  "--dns-search",
  "--net",
  "--network",
  "-h",
  "--hostname",
  "--domainname",
  "-v",
  "--volume",
  "-l",
  "--label",
  "--entrypoint",
  "-w",
  "--workdir",
  "-u",
  "--user",
  "--add-host",
  "--cap-add",
  "--cap-drop",
  "--pid",
  "-m",
  "--memory",
  "--log-driver",
  "--log-opt",
  "--network-alias",
  "--volumes-from",
  "--env-file",
  "--ip",
  "--mac-address",
  "--device",
  "--ulimit",
  "--security-opt",
  "--tmpfs",
  "--shm-size",
  "--cpus",
  "--stop-signal",
  "--runtime",
  "--init-path",
]);
const RUN_BOOL_FLAGS = new Set([
  "-d",
  "--detach",
  "-P",
  "--publish-all",
  "--rm",
  "-i",
  "--interactive",
  "-t",
  "--tty",
  "--privileged",
  "--init",
  "--read-only",
]);
const SHORT_BOOL = new Set(["d", "P", "i", "t"]);
const SHORT_VALUE = new Set(["e", "p", "h", "v", "l", "w", "u", "m"]);

interface RunOpts {
  values: Array<[string, string]>;
  bools: Set<string>;
  image: string;
  cmd: string[];
}

function canonical(flag: string): string {
  const alias: Record<string, string> = {
    "-e": "--env",
    "-p": "--publish",
    "-h": "--hostname",
    "-v": "--volume",
    "-l": "--label",
    "-w": "--workdir",
    "-u": "--user",
    "-m": "--memory",
    "--network": "--net",
    "-d": "--detach",
    "-P": "--publish-all",
    "-i": "--interactive",
    "-t": "--tty",
  };
  return alias[flag] ?? flag;
}

/** Parse `docker run|create` flags the way Docker's pflag does (combined short flags, `--x=v`). */
export function parseRunArgs(args: string[]): RunOpts | { error: string } {
  const values: Array<[string, string]> = [];
  const bools = new Set<string>();
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq >= 0 ? a.slice(0, eq) : a;
      if (RUN_BOOL_FLAGS.has(name)) {
        const v = eq >= 0 ? a.slice(eq + 1) : "true";
        if (v !== "false") bools.add(canonical(name));
        continue;
      }
      if (!RUN_VALUE_FLAGS.has(name)) return { error: `unknown flag: ${name}` };
      if (eq >= 0) values.push([canonical(name), a.slice(eq + 1)]);
      else {
        if (i + 1 >= args.length) return { error: `flag needs an argument: ${name}` };
        values.push([canonical(name), args[++i]]);
      }
      continue;
    }
    // Short flags, possibly combined (-dP, -it, -e=K=V, -eK=V).
    const body = a.slice(1);
    for (let j = 0; j < body.length; j++) {
      const ch = body[j];
      if (SHORT_BOOL.has(ch)) {
        bools.add(canonical(`-${ch}`));
        continue;
      }
      if (SHORT_VALUE.has(ch)) {
        let rest = body.slice(j + 1);
        if (rest.startsWith("=")) rest = rest.slice(1);
        if (rest) values.push([canonical(`-${ch}`), rest]);
        else {
          if (i + 1 >= args.length) return { error: `flag needs an argument: '${ch}' in -${ch}` };
          values.push([canonical(`-${ch}`), args[++i]]);
        }
        break;
      }
      return { error: `unknown shorthand flag: '${ch}' in ${a}` };
    }
  }
  if (i >= args.length) return { error: '"docker run" requires at least 1 argument.' };
  return { values, bools, image: args[i], cmd: args.slice(i + 1) };
}

const all = (o: RunOpts, k: string): string[] => o.values.filter(([n]) => n === k).map(([, v]) => v);
const last = (o: RunOpts, k: string): string | undefined => all(o, k).pop();

function isProxy(ctx: Ctx, hostOpt: string | undefined): boolean {
  const h = hostOpt ?? ctx.env.DOCKER_HOST;
  return h === PROXY_SOCKET || h === "/var/run/weave/weave.sock";
}

/** Lowest free docker0 address (172.17.0.2 upwards) among running bridge containers. */
function nextBridgeIp(home: string): string {
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

function bridgeMac(ip: string): string {
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

export async function dockerMain(ctx: Ctx, argv: string[]): Promise<number> {
  const io = ctx.io;
  let hostOpt: string | undefined;
  let args = argv;
  // Global options before the command.
  while (args.length > 0 && args[0].startsWith("-")) {
    const a = args[0];
    if (a === "-v" || a === "--version") {
      io.line(`Docker version ${ctx.cfg.dockerServerVersion}, build 297e128`);
      return 0;
    }
    if (a === "-H" || a === "--host") {
      hostOpt = args[1];
      args = args.slice(2);
    } else if (a.startsWith("-H=") || a.startsWith("--host=")) {
      hostOpt = a.slice(a.indexOf("=") + 1);
      args = args.slice(1);
    } else if (a === "-D" || a === "--debug") {
      args = args.slice(1);
    } else {
      io.errLine(`unknown flag: ${a}\nSee 'docker --help'.`);
      return 125;
    }
  }
  const [cmd, ...rest] = args;
  if (hostOpt !== undefined || ctx.env.DOCKER_HOST) {
    // Through the proxy socket only while the router (and its proxy) run.
    if (isProxy(ctx, hostOpt) && !proxyUp(ctx)) {
      io.errLine(`Cannot connect to the Docker daemon at ${PROXY_SOCKET}. Is the docker daemon running?`);
      return cmd === "run" || cmd === "create" ? 125 : 1;
    }
  }
  switch (cmd) {
    case "run":
      return run(ctx, rest, isProxy(ctx, hostOpt));
    case "ps":
      return ps(ctx, rest);
    case "inspect":
      return inspect(ctx, rest);
    case "rm":
      return rm(ctx, rest);
    case "stop":
    case "kill":
      return stop(ctx, rest, cmd);
    case "start":
      return start(ctx, rest);
    case "logs":
      return logs(ctx, rest);
    case "exec":
      return exec(ctx, rest);
    case "version":
      return version(ctx, rest);
    case "info":
      return info(ctx, rest);
    case "network":
      return network(ctx, rest);
    case undefined:
      io.errLine("Usage:  docker [OPTIONS] COMMAND");
      return 0;
    default:
      io.errLine(`docker: '${cmd}' is not a docker command.\nSee 'docker --help'`);
      return 1;
  }
}

function proxyUp(ctx: Ctx): boolean {
  const w = findContainer(ctx.home, ctx.containerName);
  if (!w || w.State.Status !== "running") return false;
  return boolFlag(w.Args, "--proxy") !== false;
}

async function run(ctx: Ctx, args: string[], viaProxy: boolean): Promise<number> {
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
class CaptureIo extends Io {
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

function ps(ctx: Ctx, args: string[]): number {
  let allC = false;
  let quiet = false;
  let format: string | undefined;
  let noTrunc = false;
  const filters: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-a" || a === "--all") allC = true;
    else if (a === "-q" || a === "--quiet") quiet = true;
    else if (a === "-aq" || a === "-qa") allC = quiet = true;
    else if (a === "--no-trunc") noTrunc = true;
    else if (a === "--format") format = args[++i];
    else if (a.startsWith("--format=")) format = a.slice(9);
    else if (a === "-f" || a === "--filter") filters.push(args[++i]);
    else if (a.startsWith("--filter=")) filters.push(a.slice(9));
    else {
      ctx.io.errLine(`unknown flag: ${a}\n${seeHelp("ps")}`);
      return 125;
    }
  }
  const now = Date.now();
  let list = listContainers(ctx.home).filter((c) => allC || c.State.Status === "running");
  for (const f of filters) {
    const [k, v] = [f.split("=")[0], f.split("=").slice(1).join("=")];
    if (k === "name") list = list.filter((c) => c.Name.slice(1).includes(v));
    else if (k === "status") list = list.filter((c) => c.State.Status === v);
    else if (k === "label")
      list = list.filter((c) =>
        v.includes("=") ? c.Config.Labels[v.split("=")[0]] === v.split("=")[1] : v in c.Config.Labels,
      );
    else if (k === "id") list = list.filter((c) => c.Id.startsWith(v));
  }
  if (quiet) {
    for (const c of list) ctx.io.line(noTrunc ? c.Id : c.Id.slice(0, 12));
    return 0;
  }
  if (format !== undefined && format !== "table") {
    try {
      for (const c of list) {
        const row = psRow(c, now, !noTrunc);
        ctx.io.line(format === "json" ? goJson(row) : renderTemplate(format, row));
      }
    } catch (e) {
      ctx.io.errLine(e instanceof TemplateError ? e.message : String(e));
      return 1;
    }
    return 0;
  }
  const rows = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]];
  for (const c of list) {
    const r = psRow(c, now, !noTrunc);
    rows.push([r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Ports, r.Names]);
  }
  ctx.io.out(table(rows));
  return 0;
}

/** The record as `docker inspect` shows it (the double's private fields left out). */
function inspectView(c: ContainerRecord): Record<string, unknown> {
  const { Seq: _seq, Weave: _weave, Logs: _logs, ...rest } = c;
  return rest;
}

function inspect(ctx: Ctx, args: string[]): number {
  let format: string | undefined;
  const refs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-f" || a === "--format") format = args[++i];
    else if (a.startsWith("--format=")) format = a.slice(9);
    else if (a.startsWith("-f=")) format = a.slice(3);
    else if (a === "--type") i++;
    else if (a === "-s" || a === "--size") continue;
    else refs.push(a);
  }
  if (refs.length === 0) {
    ctx.io.errLine(
      `"docker inspect" requires at least 1 argument.\n${seeHelp("inspect")}\n\nUsage:  docker inspect [OPTIONS] NAME|ID [NAME|ID...]\n\nReturn low-level information on Docker objects`,
    );
    return 1;
  }
  const found: Record<string, unknown>[] = [];
  let code = 0;
  const errs: string[] = [];
  for (const r of refs) {
    const c = findContainer(ctx.home, r);
    if (!c) {
      errs.push(`Error: No such object: ${r}`);
      code = 1;
      continue;
    }
    found.push(inspectView(c));
  }
  if (format !== undefined) {
    try {
      for (const v of found) ctx.io.line(renderTemplate(format, v));
    } catch (e) {
      ctx.io.errLine(e instanceof TemplateError ? e.message : String(e));
      return 1;
    }
  } else {
    ctx.io.line(JSON.stringify(found, null, 4));
  }
  for (const e of errs) ctx.io.errLine(e);
  return code;
}

/** Stop the process behind a container (only the router has one) and mark it exited. */
async function stopContainer(ctx: Ctx, c: ContainerRecord, signal: NodeJS.Signals): Promise<void> {
  const pid = c.State.Pid;
  if (pid > 0 && pidAlive(pid)) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
    // `docker stop` waits up to 10 s before SIGKILL.
    for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(100);
    if (pidAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  withLock(ctx.home, () => {
    const cur = findContainer(ctx.home, c.Id);
    if (cur && cur.State.Status === "running") {
      cur.State = {
        ...cur.State,
        Status: "exited",
        Running: false,
        Pid: 0,
        ExitCode: signal === "SIGKILL" ? 137 : 0,
        FinishedAt: dockerTime(),
      };
      cur.NetworkSettings.IPAddress = "";
      saveContainer(ctx.home, cur);
    }
  });
}

async function stop(ctx: Ctx, args: string[], cmd: "stop" | "kill"): Promise<number> {
  const refs = args.filter((a) => !a.startsWith("-"));
  let code = 0;
  for (const r of refs) {
    const c = findContainer(ctx.home, r);
    if (!c) {
      ctx.io.errLine(`Error response from daemon: No such container: ${r}`);
      code = 1;
      continue;
    }
    if (cmd === "kill" && c.State.Status !== "running") {
      ctx.io.errLine(
        `Error response from daemon: Cannot kill container: ${r}: Container ${c.Id} is not running`,
      );
      code = 1;
      continue;
    }
    await stopContainer(ctx, c, cmd === "kill" ? "SIGKILL" : "SIGTERM");
    ctx.io.line(r);
  }
  return code;
}

async function rm(ctx: Ctx, args: string[]): Promise<number> {
  const force = args.some((a) => a === "-f" || a === "--force" || /^-[a-z]*f[a-z]*$/.test(a));
  const refs = args.filter((a) => !a.startsWith("-"));
  if (refs.length === 0) {
    ctx.io.errLine(
      `"docker rm" requires at least 1 argument.\n${seeHelp("rm")}\n\nUsage:  docker rm [OPTIONS] CONTAINER [CONTAINER...]\n\nRemove one or more containers`,
    );
    return 1;
  }
  let code = 0;
  for (const r of refs) {
    const c = findContainer(ctx.home, r);
    if (!c) {
      ctx.io.errLine(`Error: No such container: ${r}`);
      code = 1;
      continue;
    }
    if (c.State.Status === "running") {
      if (!force) {
        ctx.io.errLine(
          `Error response from daemon: You cannot remove a running container ${c.Id}. Stop the container before attempting removal or force remove`,
        );
        code = 1;
        continue;
      }
      await stopContainer(ctx, c, "SIGKILL");
    }
    withLock(ctx.home, () => deleteContainer(ctx.home, c.Id));
    ctx.io.line(r);
  }
  return code;
}

async function start(ctx: Ctx, args: string[]): Promise<number> {
  const refs = args.filter((a) => !a.startsWith("-"));
  let code = 0;
  for (const r of refs) {
    const c = findContainer(ctx.home, r);
    if (!c) {
      ctx.io.errLine(
        `Error response from daemon: No such container: ${r}\nError: failed to start containers: ${r}`,
      );
      code = 1;
      continue;
    }
    if (c.Name === `/${ctx.containerName}` && c.State.Status !== "running") {
      // The router cannot be restarted by the docker double: its process is gone.
      ctx.io.errLine(
        `Error response from daemon: the double cannot restart the router; use weave launch\nError: failed to start containers: ${r}`,
      );
      code = 1;
      continue;
    }
    withLock(ctx.home, () => {
      const cur = findContainer(ctx.home, c.Id);
      if (cur && cur.State.Status !== "running") {
        cur.State = { ...cur.State, Status: "running", Running: true, ExitCode: 0, StartedAt: dockerTime() };
        if (cur.HostConfig.NetworkMode === "default" || cur.HostConfig.NetworkMode === "bridge") {
          cur.NetworkSettings.IPAddress = nextBridgeIp(ctx.home);
          cur.NetworkSettings.MacAddress = bridgeMac(cur.NetworkSettings.IPAddress);
        }
        saveContainer(ctx.home, cur);
      }
    });
    ctx.io.line(r);
  }
  return code;
}

function logs(ctx: Ctx, args: string[]): number {
  let tail: number | undefined;
  const refs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--tail" || a === "-n") tail = Number(args[++i]);
    else if (a.startsWith("--tail=")) tail = Number(a.slice(7));
    else if (a.startsWith("-")) continue;
    else refs.push(a);
  }
  const c = refs[0] ? findContainer(ctx.home, refs[0]) : undefined;
  if (!c) {
    ctx.io.errLine(`Error: No such container: ${refs[0] ?? ""}`);
    return 1;
  }
  const tailOf = (text: string): string => {
    if (tail === undefined || !Number.isFinite(tail) || tail < 0) return text;
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    return (
      lines.slice(Math.max(0, lines.length - tail)).join("\n") + (lines.length > 0 && tail > 0 ? "\n" : "")
    );
  };
  if (c.Name !== `/${ctx.containerName}`) {
    // What the container's command printed, each stream where it wrote it.
    ctx.io.out(tailOf(c.Logs?.stdout ?? ""));
    ctx.io.err(tailOf(c.Logs?.stderr ?? ""));
    return 0;
  }
  let text = "";
  try {
    text = fs.readFileSync(path.join(ctx.home, "weave.log"), "utf8");
  } catch {
    return 0;
  }
  // Weave logs to stderr, so `docker logs weave` has an empty stdout (fixture 06).
  ctx.io.err(tailOf(text));
  return 0;
}

async function exec(ctx: Ctx, args: string[]): Promise<number> {
  let i = 0;
  while (i < args.length && args[i].startsWith("-")) {
    if (["-e", "--env", "-u", "--user", "-w", "--workdir"].includes(args[i])) i++;
    i++;
  }
  const ref = args[i];
  const cmd = args.slice(i + 1);
  if (!ref || cmd.length === 0) {
    ctx.io.errLine(
      `"docker exec" requires at least 2 arguments.\n${seeHelp("exec")}\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nRun a command in a running container`,
    );
    return 1;
  }
  const c = findContainer(ctx.home, ref);
  if (!c) {
    ctx.io.errLine(`Error: No such container: ${ref}`);
    return 1;
  }
  if (c.State.Status !== "running") {
    ctx.io.errLine(`Error response from daemon: Container ${c.Id} is not running`);
    return 1;
  }
  return execInContainer(ctx, c, cmd);
}

function versionObject(ctx: Ctx): Record<string, unknown> {
  const cfg = ctx.cfg;
  return {
    Client: {
      Platform: { Name: "" },
      Version: cfg.dockerServerVersion,
      ApiVersion: cfg.dockerApiVersion,
      DefaultAPIVersion: cfg.dockerApiVersion,
      GitCommit: "297e128",
      GoVersion: "go1.19.8",
      Os: "linux",
      Arch: "amd64",
      BuildTime: "Thu May  7 21:09:36 2026",
      Context: "default",
      Experimental: true,
    },
    Server: {
      Platform: { Name: "" },
      Components: [
        {
          Name: "Engine",
          Version: cfg.dockerServerVersion,
          Details: {
            ApiVersion: cfg.dockerApiVersion,
            Arch: "amd64",
            BuildTime: "Thu May  7 21:09:36 2026",
            Experimental: "false",
            GitCommit: "5d6db84",
            GoVersion: "go1.19.8",
            KernelVersion: "6.18.44-double",
            MinAPIVersion: cfg.dockerMinApiVersion,
            Os: "linux",
          },
        },
        { Name: "containerd", Version: "1.6.20~ds1", Details: { GitCommit: "1.6.20~ds1-1+deb12u3" } },
        { Name: "runc", Version: "1.1.5+ds1", Details: { GitCommit: "1.1.5+ds1-1+deb12u1" } },
        { Name: "docker-init", Version: "0.19.0", Details: { GitCommit: "" } },
      ],
      Version: cfg.dockerServerVersion,
      ApiVersion: cfg.dockerApiVersion,
      MinAPIVersion: cfg.dockerMinApiVersion,
      GitCommit: "5d6db84",
      GoVersion: "go1.19.8",
      Os: "linux",
      Arch: "amd64",
      KernelVersion: "6.18.44-double",
      BuildTime: "2026-05-07T21:09:36.000000000+00:00",
    },
  };
}

function version(ctx: Ctx, args: string[]): number {
  let format: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-f" || args[i] === "--format") format = args[++i];
    else if (args[i].startsWith("--format=")) format = args[i].slice(9);
  }
  const v = versionObject(ctx);
  if (format !== undefined) {
    try {
      ctx.io.line(renderTemplate(format, v));
    } catch (e) {
      ctx.io.errLine(e instanceof TemplateError ? e.message : String(e));
      return 1;
    }
    return 0;
  }
  const cfg = ctx.cfg;
  ctx.io.out(
    `Client:\n Version:           ${cfg.dockerServerVersion}\n API version:       ${cfg.dockerApiVersion}\n Go version:        go1.19.8\n Git commit:        297e128\n Built:             Thu May  7 21:09:36 2026\n OS/Arch:           linux/amd64\n Context:           default\n Experimental:      true\n\n` +
      `Server:\n Engine:\n  Version:          ${cfg.dockerServerVersion}\n  API version:      ${cfg.dockerApiVersion} (minimum version ${cfg.dockerMinApiVersion})\n  Go version:       go1.19.8\n  Git commit:       5d6db84\n  Built:            Thu May  7 21:09:36 2026\n  OS/Arch:          linux/amd64\n  Experimental:     false\n`,
  );
  return 0;
}

function info(ctx: Ctx, args: string[]): number {
  let format: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-f" || args[i] === "--format") format = args[++i];
    else if (args[i].startsWith("--format=")) format = args[i].slice(9);
  }
  const cs = listContainers(ctx.home);
  const running = cs.filter((c) => c.State.Status === "running").length;
  const weaveUp = cs.some((c) => c.Name === `/${ctx.containerName}` && c.State.Status === "running");
  const o = {
    ID: "DBLE:DBLE:DBLE:DBLE:DBLE:DBLE:DBLE:DBLE:DBLE:DBLE:DBLE:DBLE",
    Containers: cs.length,
    ContainersRunning: running,
    ContainersPaused: 0,
    ContainersStopped: cs.length - running,
    Images: new Set(cs.map((c) => c.Config.Image)).size,
    Driver: "overlay2",
    DriverStatus: [
      ["Backing Filesystem", "extfs"],
      ["Supports d_type", "true"],
      ["Native Overlay Diff", "true"],
      ["userxattr", "false"],
    ],
    Plugins: {
      Volume: ["local"],
      Network: ["bridge", "host", "ipvlan", "macvlan", "null", "overlay", ...(weaveUp ? ["weavemesh"] : [])],
      Authorization: null,
      Log: [
        "awslogs",
        "fluentd",
        "gcplogs",
        "gelf",
        "journald",
        "json-file",
        "local",
        "logentries",
        "splunk",
        "syslog",
      ],
    },
    MemoryLimit: true,
    SwapLimit: true,
    IPv4Forwarding: true,
    Debug: false,
    SystemTime: new Date().toISOString(),
    LoggingDriver: "json-file",
    CgroupDriver: "cgroupfs",
    CgroupVersion: "1",
    KernelVersion: "6.18.44-double",
    OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
    OSVersion: "12",
    OSType: "linux",
    Architecture: "x86_64",
    NCPU: 2,
    DockerRootDir: "/var/lib/docker",
    Name: ctx.host,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: ctx.cfg.dockerServerVersion,
    DefaultRuntime: "runc",
    SecurityOptions: ["name=seccomp,profile=default"],
    Warnings: null,
  };
  if (format !== undefined) {
    try {
      ctx.io.line(renderTemplate(format, o));
    } catch (e) {
      ctx.io.errLine(e instanceof TemplateError ? e.message : String(e));
      return 1;
    }
    return 0;
  }
  ctx.io.line(
    `Client:\n Context:    default\n\nServer:\n Containers: ${o.Containers}\n  Running: ${running}\n Server Version: ${o.ServerVersion}\n Cgroup Version: 1`,
  );
  return 0;
}

function network(ctx: Ctx, args: string[]): number {
  if (args[0] !== "ls" && args[0] !== "list") {
    ctx.io.errLine(`docker network ${args[0] ?? ""}: not supported by the double`);
    return 1;
  }
  // The legacy plugin creates the `weave` network at launch; `weave stop`/`reset` remove it.
  const w = findContainer(ctx.home, ctx.containerName);
  const withWeave = w !== undefined && w.State.Status === "running" && boolFlag(w.Args, "--plugin") !== false;
  const rows = [
    ["NETWORK ID", "NAME", "DRIVER", "SCOPE"],
    ["7e13af2c8b57", "bridge", "bridge", "local"],
    ["be109a583355", "host", "host", "local"],
    ["1ab2d0d543fa", "none", "null", "local"],
  ];
  if (withWeave) rows.push([w.Id.slice(12, 24), "weave", "weavemesh", "local"]);
  ctx.io.out(table(rows));
  return 0;
}
