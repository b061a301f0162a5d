/** The `weave` double's commands that take a router down or hand its space back: stop, reset, rmpeer. */
import * as fs from "fs";
import * as path from "path";
import { deleteContainer, listContainers, removeBridge, withLock } from "../state";
import { stopContainer } from "./docker-containers";
import { sleep } from "./io";
import { callWeave, checkRunning, Ctx, dropAllInterfaces, httpCall } from "./weavecore";
import { usage } from "./weave-usage";
import { weaveContainer } from "./weave-launch";
import { proxyAddr } from "./weave-query";

/** The script's `stop()`. */
export async function stop(ctx: Ctx): Promise<void> {
  const addr = await proxyAddr(ctx, true);
  const client = ctx.env.DOCKER_CLIENT_HOST ?? ctx.env.DOCKER_HOST ?? "";
  if (addr !== undefined && addr === client) {
    ctx.io.line(
      "WARNING: It appears that your environment is configured to use the Weave Docker API proxy. Stopping it will break this and subsequent docker invocations. To restore your environment, run 'eval $(weave env --restore)'.",
    );
  }
  const c = weaveContainer(ctx);
  // util_op stop-container: Docker stops a running or restarting container, refuses another.
  if (!c || (c.State.Status !== "running" && c.State.Status !== "restarting")) {
    ctx.io.errLine("Weave is not running (ignore on Kubernetes).");
    return;
  }
  await stopContainer(ctx, c, "SIGTERM");
}

export async function reset(ctx: Ctx, args: string[]): Promise<number> {
  if (!(args.length === 0 || (args.length === 1 && args[0] === "--force"))) usage(ctx);
  const force = args[0] === "--force";
  const res = force ? 0 : checkRunning(ctx, ctx.containerName, true);
  if (res === 0 && weaveContainer(ctx)?.State.Status === "running") {
    await httpCall(ctx, "DELETE", "/peer");
    await sleep(500);
  } else if (res === 2) {
    ctx.io.errLine("ERROR: weave is not running; unable to remove from cluster.");
    ctx.io.errLine("Re-launch weave before reset or use --force to override.");
    return 1;
  }
  await stop(ctx);
  withLock(ctx.home, () => {
    for (const c of listContainers(ctx.home)) {
      if (
        c.Name === `/${ctx.containerName}` ||
        c.Name === "/weaveproxy" ||
        c.Name === "/weaveplugin" ||
        "weavevolumes" in c.Config.Labels
      ) {
        deleteContainer(ctx.home, c.Id);
      }
    }
  });
  fs.rmSync(path.join(ctx.home, "weavedb.json"), { force: true });
  removeBridge(ctx.home);
  dropAllInterfaces(ctx);
  return 0;
}

export async function rmpeer(ctx: Ctx, peers: string[]): Promise<number> {
  if (peers.length === 0) usage(ctx);
  let res = 0;
  for (const p of peers) {
    const r = await callWeave(ctx, "DELETE", `/peer/${p}`);
    ctx.io.out(r.body);
    if (r.code !== 0) res = 1;
  }
  return res;
}
