/** The `docker` double's engine commands: version, info, network. */
import { findContainer, listContainers } from "../state";
import { renderTemplate, TemplateError } from "./gotemplate";
import { boolFlag, Ctx } from "./weavecore";
import { table } from "./docker-format";

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

export function version(ctx: Ctx, args: string[]): number {
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

export function info(ctx: Ctx, args: string[]): number {
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

export function network(ctx: Ctx, args: string[]): number {
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
