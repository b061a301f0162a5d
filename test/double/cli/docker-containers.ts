/** The `docker` double's container commands other than run: ps, inspect, stop/kill, rm, start, logs, exec. */
import * as fs from "fs";
import * as path from "path";
import {
  ContainerRecord,
  deleteContainer,
  dockerTime,
  findContainer,
  listContainers,
  saveContainer,
  stopProcess,
  withLock,
} from "../state";
import { goJson, renderTemplate, TemplateError } from "./gotemplate";
import { execInContainer } from "./net";
import { Ctx, makeCtx } from "./weavecore";
import { weaveMain } from "./weave";
import { seeHelp, table, psRow } from "./docker-format";
import { nextBridgeIp, bridgeMac } from "./docker-run";

export function ps(ctx: Ctx, args: string[]): number {
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
  const { Seq: _seq, Weave: _weave, Logs: _logs, Monitor: _monitor, ManuallyStopped: _stopped, ...rest } = c;
  return {
    ...rest,
    State: { ...rest.State, Restarting: rest.State.Restarting ?? false },
    RestartCount: rest.RestartCount ?? 0,
  };
}

export function inspect(ctx: Ctx, args: string[]): number {
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

/**
 * Stop the process behind a container (only the router has one) and mark it exited. As Docker
 * does, the container is first marked stopped by hand, so its restart policy no longer applies
 * (a `restarting` router stays down too: real Docker then reports 143 after `docker stop`).
 */
export async function stopContainer(ctx: Ctx, c: ContainerRecord, signal: NodeJS.Signals): Promise<void> {
  const pid = withLock(ctx.home, () => {
    const cur = findContainer(ctx.home, c.Id);
    if (!cur) return 0;
    cur.ManuallyStopped = true;
    saveContainer(ctx.home, cur);
    return cur.State.Pid;
  });
  await stopProcess(pid, signal);
  withLock(ctx.home, () => {
    const cur = findContainer(ctx.home, c.Id);
    if (cur && (cur.State.Status === "running" || cur.State.Status === "restarting")) {
      const wasRestarting = cur.State.Status === "restarting";
      cur.State = {
        ...cur.State,
        Status: "exited",
        Running: false,
        Restarting: false,
        Pid: 0,
        ExitCode: signal === "SIGKILL" ? 137 : wasRestarting ? 143 : 0,
        FinishedAt: dockerTime(),
      };
      cur.NetworkSettings.IPAddress = "";
      saveContainer(ctx.home, cur);
    }
  });
}

export async function stop(ctx: Ctx, args: string[], cmd: "stop" | "kill"): Promise<number> {
  const refs = args.filter((a) => !a.startsWith("-"));
  let code = 0;
  for (const r of refs) {
    const c = findContainer(ctx.home, r);
    if (!c) {
      ctx.io.errLine(`Error response from daemon: No such container: ${r}`);
      code = 1;
      continue;
    }
    if (cmd === "kill" && c.State.Status !== "running" && c.State.Status !== "restarting") {
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

export async function rm(ctx: Ctx, args: string[]): Promise<number> {
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
    if (c.State.Status === "running" || c.State.Status === "restarting") {
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

export async function start(ctx: Ctx, args: string[]): Promise<number> {
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

export function logs(ctx: Ctx, args: string[]): number {
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

export async function exec(ctx: Ctx, args: string[]): Promise<number> {
  let i = 0;
  const env: Record<string, string> = {};
  while (i < args.length && args[i].startsWith("-")) {
    if ((args[i] === "-e" || args[i] === "--env") && args[i + 1]?.includes("=")) {
      const kv = args[i + 1];
      env[kv.slice(0, kv.indexOf("="))] = kv.slice(kv.indexOf("=") + 1);
    }
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
  if (cmd[0] === ROUTER_SCRIPT) return scriptInContainer(ctx, c, cmd.slice(1), env);
  return execInContainer(ctx, c, cmd);
}

/** Where Weave's router image keeps the `weave` script (its Dockerfile adds it beside weaver). */
const ROUTER_SCRIPT = "/home/weave/weave";

/**
 * The `weave` script run in a container. Only the router image (entrypoint weaver) has it; there
 * `--local` runs it as the script's own helper container would, so no `cliDelayMs` is paid (the
 * weave double skips it for `--local`). Elsewhere Docker 20.10's answer: the OCI error on stdout,
 * exit 126 (seen on the DinD hosts).
 */
async function scriptInContainer(
  ctx: Ctx,
  c: ContainerRecord,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  if (c.Config.Entrypoint?.[0] !== "/home/weave/weaver") {
    ctx.io.line(
      `OCI runtime exec failed: exec failed: unable to start container process: exec: "${ROUTER_SCRIPT}": stat ${ROUTER_SCRIPT}: no such file or directory: unknown`,
    );
    return 126;
  }
  return weaveMain(makeCtx(ctx.io, ctx.home, { ...ctx.env, ...env }), args);
}
