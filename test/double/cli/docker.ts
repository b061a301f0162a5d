/**
 * The `docker` CLI double (Docker 20.10 client and daemon in one): containers are JSON records
 * under `$WEAVE_DOUBLE_HOME/docker/containers/`; nothing runs except the Weave router process
 * (the `weave` container). With `DOCKER_HOST` at Weave's proxy socket (`eval $(weave env)`), `run`
 * does what Weave's Docker API proxy does: hostname from the name, weaveDNS resolver, attach to
 * the Weave network with `WEAVE_CIDR` (blocking until IPAM answers) and register the name.
 */
import { Ctx, PROXY_SOCKET } from "./weavecore";
import { isProxy, proxyUp, run } from "./docker-run";
import { ps, inspect, stop, rm, start, logs, exec } from "./docker-containers";
import { version, info, network } from "./docker-engine";

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
