/**
 * `weave launch` in the double: the router's images, its container record and process, and how
 * a router that cannot start ends (recorded, exited, log kept), as the 2.8.1 script and weaver do.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
  ContainerRecord,
  deleteContainer,
  exitedState,
  dockerTime,
  findContainer,
  newContainerId,
  nextSeq,
  pidAlive,
  readBridge,
  saveContainer,
  withLock,
  writeBridge,
} from "../state";
import { sleep } from "./io";
import { detachedProxyContainers } from "./proxy";
import { boolFlag, checkRunning, Ctx, DOCKER_BRIDGE_IP, httpCall, lastFlag, PROXY_SOCKET } from "./weavecore";
import { usage } from "./weave-usage";
import { bridgeTypeFatal, spawnRouter, startMonitor } from "./restart-monitor";

/** Images of the configured distribution. */
export function images(ctx: Ctx): { weave: string; exec: string; db: string; version: string } {
  const user = ctx.env.DOCKERHUB_USER || (ctx.cfg.weaveDistribution === "rajch" ? "rajch" : "weaveworks");
  const version = ctx.env.WEAVE_VERSION || ctx.cfg.weaveVersion;
  return {
    weave: `${user}/weave:${version}`,
    exec: `${user}/weaveexec:${version}`,
    db: `${user}/weavedb:latest`,
    version,
  };
}

export function weaveContainer(ctx: Ctx): ContainerRecord | undefined {
  const c = findContainer(ctx.home, ctx.containerName);
  return c && c.Name === `/${ctx.containerName}` ? c : undefined;
}

export async function launch(ctx: Ctx, argv: string[]): Promise<number> {
  const io = ctx.io;
  const img = images(ctx);
  // check_not_running
  const existing = weaveContainer(ctx);
  if (existing) {
    const st = existing.State.Status;
    const otherImage = !existing.Config.Image.startsWith(img.weave.replace(/:.*$/, ""));
    if (st === "running") {
      io.errLine(
        otherImage
          ? `Found another running container named '${ctx.containerName}'. Aborting.`
          : `${ctx.containerName} is already running; you can stop it with 'weave stop'.`,
      );
      return otherImage ? 2 : 3;
    }
    if (otherImage) {
      io.errLine(`Found another container named '${ctx.containerName}'. Aborting.`);
      return 2;
    }
    if (st === "created" || st === "restarting") {
      io.errLine(
        `${ctx.containerName} is created, paused, or restarting; you can stop it with 'weave stop'.`,
      );
      return 1;
    }
    withLock(ctx.home, () => deleteContainer(ctx.home, existing.Id));
  }
  if ((await httpCall(ctx, "GET", "/status")).code === 0) {
    io.errLine("Weave Net is already running");
    return 1;
  }
  let password = ctx.env.WEAVE_PASSWORD;
  let port = ctx.env.WEAVE_PORT || "6783";
  let range = "10.32.0.0/12";
  let restart = true;
  const remaining: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-password" || a === "--password") {
      if (i + 1 >= argv.length) usage(ctx);
      password = argv[++i];
    } else if (a.startsWith("--password=")) password = a.slice(11);
    else if (a === "-port" || a === "--port") {
      if (i + 1 >= argv.length) usage(ctx);
      port = argv[++i];
    } else if (a.startsWith("--port=")) port = a.slice(7);
    else if (a === "-iprange" || a === "--iprange" || a === "--ipalloc-range") {
      if (i + 1 >= argv.length) usage(ctx);
      range = argv[++i];
    } else if (a.startsWith("--ipalloc-range=")) range = a.slice(16);
    else if (a === "--no-restart") restart = false;
    // The script re-splits the remaining args on whitespace (proxy_parse_args).
    else remaining.push(...a.split(/\s+/).filter(Boolean));
  }
  const routerArgs = [
    "--port",
    port,
    "--nickname",
    ctx.host,
    "--host-root=/host",
    "--docker-bridge",
    ctx.env.DOCKER_BRIDGE || "docker0",
    "--weave-bridge",
    "weave",
    "--datapath",
    "datapath",
    ...(ctx.env.WEAVE_MTU ? ["--mtu", ctx.env.WEAVE_MTU] : []),
    ...(ctx.env.WEAVE_NO_FASTDP ? ["--no-fastdp"] : []),
    ...(ctx.env.WEAVE_NO_BRIDGED_FASTDP ? ["--no-bridged-fastdp"] : []),
    "--ipalloc-range",
    range,
    "--dns-listen-address",
    `${DOCKER_BRIDGE_IP}:53`,
    "--http-addr",
    ctx.httpAddr,
    "--status-addr",
    ctx.env.WEAVE_STATUS_ADDR || "127.0.0.1:6782",
    "--resolv-conf",
    "/var/run/weave/etc/resolv.conf",
    "-H",
    PROXY_SOCKET,
    "--plugin",
    "--proxy",
    ...remaining,
  ];
  const volumesName = `weavevolumes-${img.version}`;
  const now = dockerTime();
  const envEntry = (k: string, v: string | undefined): string => (v === undefined ? k : `${k}=${v}`);
  const id = newContainerId();
  const logFile = path.join(ctx.home, "weave.log");
  withLock(ctx.home, () => {
    for (const [name, image] of [
      [`${ctx.containerName}db`, img.db],
      [volumesName, img.exec],
    ]) {
      if (!findContainer(ctx.home, name)) saveContainer(ctx.home, dataOnly(ctx, name, image, now));
    }
  });
  // The bridge's MAC is the peer name the router takes by default (stable across resets, as a
  // machine-id derived name is): give it the configured one unless the user chose a name.
  const noFastdp = Boolean(ctx.env.WEAVE_NO_FASTDP) || remaining.includes("--no-fastdp");
  const requestedType = noFastdp ? "bridge" : "bridged_fastdp";
  const existingBridge = readBridge(ctx.home);
  // Weaver refuses an existing bridge of another type: in sleeve-only kernels a relaunch after
  // `weave stop` (bridge kept) dies unless WEAVE_NO_FASTDP=1 (fixture 09).
  if (
    existingBridge &&
    (existingBridge.Type ?? "bridge") === "bridge" &&
    requestedType === "bridged_fastdp"
  ) {
    return diesOnBridgeType(ctx, {
      routerArgs,
      now,
      restart,
      password,
      existing: "bridge",
      requested: requestedType,
    });
  }
  // The router creates the bridge early in its start-up (it is there even when the router
  // dies later, fixture 16), so make it now when the name is known.
  const explicitName = lastFlag(remaining, ["--name", "-name"]);
  const knownName =
    explicitName !== undefined
      ? /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(explicitName)
        ? explicitName
        : undefined
      : ctx.cfg.peerName;
  // Without openvswitch the router skips bridged_fastdp and makes a plain bridge.
  const madeType = ctx.cfg.kernelFastdp && !noFastdp ? "bridged_fastdp" : "bridge";
  if (!existingBridge && knownName) writeBridge(ctx.home, { Mac: knownName, Cidrs: [], Type: madeType });
  // A new container starts with an empty log.
  fs.mkdirSync(ctx.home, { recursive: true });
  fs.writeFileSync(logFile, "");
  const childEnv: NodeJS.ProcessEnv = {
    PATH: ctx.env.PATH,
    WEAVE_DOUBLE_HOME: ctx.home,
    WEAVE_DOUBLE_HOST: ctx.host,
  };
  for (const k of ["WEAVE_DEBUG", "WEAVE_HTTP_ADDR", "CHECKPOINT_DISABLE", "DOCKER_BRIDGE"])
    if (ctx.env[k] !== undefined) childEnv[k] = ctx.env[k];
  if (password !== undefined) childEnv.WEAVE_PASSWORD = password;
  const child = spawnRouter(ctx.home, routerArgs, childEnv, true);
  const pid = child.pid ?? 0;
  child.unref();
  const rec: ContainerRecord = {
    Id: id,
    Name: `/${ctx.containerName}`,
    Created: now,
    Path: "/home/weave/weaver",
    Args: routerArgs,
    State: {
      Status: "running",
      Running: true,
      Pid: pid,
      ExitCode: 0,
      StartedAt: now,
      FinishedAt: "0001-01-01T00:00:00Z",
    },
    Image: `sha256:${id.split("").reverse().join("")}`,
    Config: {
      Hostname: ctx.host,
      Domainname: "",
      Env: [
        envEntry("DOCKER_BRIDGE", ctx.env.DOCKER_BRIDGE),
        envEntry("WEAVE_DEBUG", ctx.env.WEAVE_DEBUG),
        envEntry("WEAVE_HTTP_ADDR", ctx.env.WEAVE_HTTP_ADDR),
        // As in real Weave, the password is in the container's env in clear (fixture 15).
        envEntry("WEAVE_PASSWORD", password),
        `EXEC_IMAGE=${img.exec}`,
        envEntry("CHECKPOINT_DISABLE", ctx.env.CHECKPOINT_DISABLE),
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      ],
      Cmd: routerArgs,
      Entrypoint: ["/home/weave/weaver"],
      Image: img.weave,
      Labels: {},
    },
    HostConfig: {
      RestartPolicy: { Name: restart ? "always" : "no", MaximumRetryCount: 0 },
      PortBindings: {},
      PublishAllPorts: false,
      NetworkMode: "host",
      Dns: [],
      DnsSearch: [],
      AutoRemove: false,
    },
    NetworkSettings: { Ports: {}, IPAddress: "", MacAddress: "" },
    Seq: nextSeq(ctx.home),
    RestartCount: 0,
  };
  withLock(ctx.home, () => saveContainer(ctx.home, rec));
  // Docker restarts a container with the policy `always` when its process dies: the monitor
  // plays that part (restart-monitor.ts).
  if (restart) {
    const monitorPid = startMonitor(ctx.home, id, childEnv);
    withLock(ctx.home, () => {
      const cur = findContainer(ctx.home, id);
      if (cur && cur.Id === id) saveContainer(ctx.home, { ...cur, Monitor: monitorPid });
    });
  }
  // wait_for_status: poll every 0.1 s with no limit, until 2xx or the container dies.
  for (;;) {
    if ((await httpCall(ctx, "GET", "/status")).code === 0) break;
    if (!pidAlive(pid) || checkRunning(ctx, ctx.containerName, true) !== 0) {
      // kill_container: `docker kill`, so Docker stops restarting it.
      const current = markStopping(ctx, id);
      for (const p of [pid, current]) {
        try {
          if (p > 0) process.kill(p, "SIGKILL");
        } catch {
          // Already dead, which is the usual case here.
        }
      }
      // restart=always makes Docker restart it; the script then kills it: 137.
      markExited(ctx, id, restart ? 137 : 1, true);
      io.errLine(
        `The ${ctx.containerName} container has died. Consult the container logs for further details.`,
      );
      return 1;
    }
    await sleep(100);
  }
  // The router sets the `weave` bridge's MAC to its peer name (weave:expose in `weave ps`).
  const r = await httpCall(ctx, "GET", "/report", { headers: { Accept: "application/json" } });
  let mac = "";
  try {
    mac = (JSON.parse(r.body) as { Router?: { Name?: string } }).Router?.Name ?? "";
  } catch {
    // Leave it empty: `weave ps` then shows no MAC, which a test will notice.
  }
  withLock(ctx.home, () => {
    const b = readBridge(ctx.home);
    writeBridge(ctx.home, { Mac: mac, Cidrs: b?.Cidrs ?? [], Type: b?.Type ?? madeType });
  });
  // The proxy re-attaches running proxy containers in the background when it starts.
  if (boolFlag(routerArgs, "--proxy") !== false && detachedProxyContainers(ctx).length > 0) {
    const helper = spawn(process.execPath, [path.join(__dirname, "proxy-reattach-main.js")], {
      detached: true,
      stdio: "ignore",
      env: ctx.env,
    });
    helper.unref();
    // Usually done at once; never hold the launch for a reattach that waits for a ring.
    for (let i = 0; i < 30 && helper.exitCode === null && helper.pid && pidAlive(helper.pid); i++)
      await sleep(100);
  }
  io.line(id);
  return 0;
}

/**
 * The router container starts and dies at once on the bridge-type check (weaver's FATA), as the
 * launch sees it: recorded, exited 137 (restart policy, then killed by the script), log kept.
 */
function diesOnBridgeType(
  ctx: Ctx,
  o: {
    routerArgs: string[];
    now: string;
    restart: boolean;
    password: string | undefined;
    existing: string;
    requested: string;
  },
): number {
  const img = images(ctx);
  const id = newContainerId();
  fs.writeFileSync(
    path.join(ctx.home, "weave.log"),
    bridgeTypeFatal(img.version, { existing: o.existing, requested: o.requested }),
  );
  const envEntry = (k: string, v: string | undefined): string => (v === undefined ? k : `${k}=${v}`);
  const rec: ContainerRecord = {
    ...dataOnly(ctx, ctx.containerName, img.weave, o.now),
    Id: id,
    Path: "/home/weave/weaver",
    Args: o.routerArgs,
    State: {
      Status: "exited",
      Running: false,
      Pid: 0,
      ExitCode: o.restart ? 137 : 1,
      StartedAt: o.now,
      FinishedAt: dockerTime(),
    },
  };
  rec.Config = {
    ...rec.Config,
    Hostname: ctx.host,
    Labels: {},
    Entrypoint: ["/home/weave/weaver"],
    Cmd: o.routerArgs,
    Env: [
      envEntry("DOCKER_BRIDGE", ctx.env.DOCKER_BRIDGE),
      envEntry("WEAVE_DEBUG", ctx.env.WEAVE_DEBUG),
      envEntry("WEAVE_HTTP_ADDR", ctx.env.WEAVE_HTTP_ADDR),
      envEntry("WEAVE_PASSWORD", o.password),
      `EXEC_IMAGE=${img.exec}`,
      envEntry("CHECKPOINT_DISABLE", ctx.env.CHECKPOINT_DISABLE),
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ],
  };
  rec.HostConfig = {
    ...rec.HostConfig,
    RestartPolicy: { Name: o.restart ? "always" : "no", MaximumRetryCount: 0 },
    NetworkMode: "host",
  };
  withLock(ctx.home, () => saveContainer(ctx.home, rec));
  ctx.io.errLine(
    `The ${ctx.containerName} container has died. Consult the container logs for further details.`,
  );
  return 1;
}

function dataOnly(ctx: Ctx, name: string, image: string, now: string): ContainerRecord {
  const id = newContainerId();
  return {
    Id: id,
    Name: `/${name}`,
    Created: now,
    Path: "data-only",
    Args: [],
    State: {
      Status: "created",
      Running: false,
      Pid: 0,
      ExitCode: 0,
      StartedAt: "0001-01-01T00:00:00Z",
      FinishedAt: "0001-01-01T00:00:00Z",
    },
    Image: `sha256:${id.split("").reverse().join("")}`,
    Config: {
      Hostname: id.slice(0, 12),
      Domainname: "",
      Env: [],
      Cmd: null,
      Entrypoint: ["data-only"],
      Image: image,
      Labels: { weavevolumes: "" },
    },
    HostConfig: {
      RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
      PortBindings: {},
      PublishAllPorts: false,
      NetworkMode: "default",
      Dns: [],
      DnsSearch: [],
      AutoRemove: false,
    },
    NetworkSettings: { Ports: {}, IPAddress: "", MacAddress: "" },
    Seq: nextSeq(ctx.home),
  };
}

/**
 * Docker's HasBeenManuallyStopped, set before a stop's signal so that the restart policy no
 * longer applies. Returns the container's current pid (0 when none runs).
 */
export function markStopping(ctx: Ctx, id: string): number {
  return withLock(ctx.home, () => {
    const c = findContainer(ctx.home, id);
    if (!c) return 0;
    c.ManuallyStopped = true;
    saveContainer(ctx.home, c);
    return c.State.Pid;
  });
}

export function markExited(ctx: Ctx, id: string, code: number, evenIfExited = false): void {
  withLock(ctx.home, () => {
    const c = findContainer(ctx.home, id);
    if (c && (evenIfExited || c.State.Status !== "exited")) {
      c.ManuallyStopped = true;
      c.State = exitedState(c.State, code);
      saveContainer(ctx.home, c);
    }
  });
}
