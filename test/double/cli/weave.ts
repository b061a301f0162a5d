/**
 * The `weave` CLI double: Weave 2.8.1's script (reference §3–§5), acting on the docker double's
 * state and calling the router double's HTTP API exactly where the script calls `curl`. Like the
 * real script, nothing here has a timeout: calls that block in the router (attach while there is
 * no ring, prime, the launch readiness wait) block this process, so the product must bring its
 * own deadlines. Every call but `help`, `env --restore`, the first line of `version` and a
 * `--local` run costs `cliDelayMs` (the weaveexec helper container of the real script).
 */
import { sleep } from "./io";
import { callWeave, Ctx, DOCKER_BRIDGE_IP, dockerApiRefusal } from "./weavecore";
import { USAGE, REMOVED, DOCKER_TOUCHING, usage } from "./weave-usage";
import { images, launch } from "./weave-launch";
import { emit, version, envConfig, connect, status, report, dnsArgs } from "./weave-query";
import { attach, detach, dnsAddRemove, dnsLookup, expose, hide, ps } from "./weave-containers";
import { stop, reset, rmpeer } from "./weave-lifecycle";

export async function weaveMain(ctx: Ctx, argv: string[]): Promise<number> {
  const io = ctx.io;
  // `--local`: the script already runs where its helper would (e.g. `docker exec weave
  // /home/weave/weave --local …` in the router container), so no helper container is started.
  const local = argv[0] === "--local";
  const args = local ? argv.slice(1) : argv;
  const [cmd, ...rest] = args;
  // Handled by the host-side script, without a helper container.
  if (cmd === "help" || cmd === "--help") {
    io.err(USAGE);
    return 0;
  }
  // The script names itself only when run on the host (`[ -z "$IS_LOCAL" ] && echo …`).
  if (cmd === "version" && !local) io.line(`weave script ${images(ctx).version}`);
  if (cmd === "env" && rest[0] === "--restore") {
    if (ctx.env.ORIG_DOCKER_HOST === undefined) {
      io.errLine(
        "Nothing to restore. This is most likely because there was no preceding invocation of 'eval $(weave env)' in this shell.",
      );
      return 1;
    }
    io.line(`DOCKER_HOST=${ctx.env.ORIG_DOCKER_HOST}`);
    return 0;
  }
  if (cmd !== undefined && rest[0] === "--help") {
    io.err(USAGE);
    return 0;
  }
  // Every other call runs inside a weaveexec container on the real host.
  if (!local) await sleep(ctx.cfg.cliDelayMs);
  if (cmd === undefined) usage(ctx);
  if (DOCKER_TOUCHING.has(cmd)) {
    const refusal = dockerApiRefusal(ctx.cfg, ctx.env);
    if (refusal) {
      io.errLine(refusal);
      return 1;
    }
  }
  if (REMOVED.has(cmd)) {
    io.errLine(`The 'weave ${cmd}' command has been removed as of Weave Net version 2.0`);
    io.errLine("Please see release notes for further information");
    return 1;
  }
  switch (cmd) {
    case "setup":
    case "setup-cni":
      return 0;
    case "version":
      return version(ctx, rest);
    case "launch":
      return launch(ctx, rest);
    case "env":
    case "config":
      return envConfig(ctx, cmd);
    case "connect":
      return connect(ctx, rest);
    case "forget":
      if (rest.length === 0) usage(ctx);
      return emit(ctx, await callWeave(ctx, "POST", "/forget", { form: rest.map((p) => ["peer", p]) }));
    case "status":
      return status(ctx, rest);
    case "report":
      return report(ctx, rest);
    case "dns-args":
      return dnsArgs(ctx);
    case "docker-bridge-ip":
      io.line(DOCKER_BRIDGE_IP);
      return 0;
    case "attach":
      return attach(ctx, rest);
    case "detach":
      return detach(ctx, rest);
    case "dns-add":
    case "dns-remove":
      return dnsAddRemove(ctx, cmd, rest);
    case "dns-lookup":
      return dnsLookup(ctx, rest);
    case "expose":
      return expose(ctx, rest);
    case "hide":
      return hide(ctx, rest);
    case "ps":
      return ps(ctx, rest);
    case "stop":
      if (rest.length !== 0) usage(ctx);
      await stop(ctx);
      return 0;
    case "reset":
      return reset(ctx, rest);
    case "rmpeer":
      return rmpeer(ctx, rest);
    case "prime":
      return emit(ctx, await callWeave(ctx, "GET", "/ring"));
    default:
      io.errLine(`Unknown weave command '${cmd}'`);
      usage(ctx);
  }
}
