/**
 * What the Router provider does on a host, as plain async functions over `OpsEnv` (no Pulumi):
 * launch or adopt, observe, reconcile peers, and reset on delete. What the answers mean is in the
 * pure modules: `router-launch.ts` (the launch argv, rejoining, missing flags, reaching a peer)
 * and `router-status.ts` (the `docker inspect` line, which report to read, foreign routers, the
 * outputs). Reads are in `router-read.ts`, the preflight in `router-preflight.ts`, the diff in
 * `router-diff.ts`.
 *
 * The CLI acts (launch, reset, connect, forget, rmpeer); the router API observes (`/report`
 * through the SSH port forward, milliseconds instead of a helper container per call).
 */
import type { ExecResult, HostConnection } from "../remote/types";
import { parseLaunchContainerId } from "../weave/ps";
import type { WeaveReport } from "../weave/types";
import { listContainerNames, routerLogTail, weaveCli } from "./cli";
import { withWeaveAdvice } from "./host-errors";
import { isConnectError, type OpsEnv } from "./ops-env";
import {
  BRIDGE_TYPE_MISMATCH,
  launchArgv,
  launchedToRejoin,
  missingFlags,
  ownsAddresses,
  peerConnection,
  rejoinEvidence,
  weaveEnv,
} from "./router-launch";
import { preflight } from "./router-preflight";
import { fetchReport, inspectRouterContainer, withTimeout } from "./router-read";
import {
  describeForeign,
  refreshedFromReport,
  refreshedStopped,
  routerError,
  routerOutputs,
  weaveContainersIn,
  type RouterContainer,
} from "./router-status";
import type { RouterInputs, RouterOutputs, RouterPeer } from "./types";

/** A peer's report, reached with its own credentials; undefined when it does not answer within `ms`. */
async function peerReport(
  env: OpsEnv,
  router: Pick<RouterInputs, "connection" | "peerCredentials">,
  p: RouterPeer,
  ms: number,
): Promise<WeaveReport | undefined> {
  try {
    return await withTimeout(fetchReport(env.connect(peerConnection(router, p)), ms), ms);
  } catch {
    return undefined;
  }
}

/**
 * Should this host launch without `--ipalloc-init`? Asks every peer for its report and lets
 * `rejoinEvidence` decide (a peer's ring without this host). Peers that do not answer in time
 * are skipped: on a first `up` they have no ring yet (and answer at once: nothing listens). The
 * wait is long because a wrong "no ring" seeds this host apart from the ring for good; on a
 * loaded machine real hosts were seen taking over 8 s to answer.
 */
export async function shouldRejoin(
  env: OpsEnv,
  inputs: RouterInputs,
  probeMs = 20_000,
): Promise<{ rejoin: boolean; evidence?: string }> {
  const probes = await Promise.all(inputs.peers.map((p) => peerReport(env, inputs, p, probeMs)));
  return rejoinEvidence(inputs, probes);
}

/** Reset the host's router (hand-over when running, `--force` when stopped). */
async function resetRouter(
  env: OpsEnv,
  conn: HostConnection,
  inputs: RouterInputs,
  running: boolean,
): Promise<void> {
  const c = weaveCli(inputs.weave).reset({ force: !running });
  await conn.exec(c.argv, {
    env: { ...weaveEnv(inputs), ...c.env },
    timeoutMs: inputs.timeouts.resetMs,
    what: running
      ? "weave reset to hand the router's ranges to a peer"
      : "weave reset --force of a stopped router",
  });
}

/** `weave stop`: the router goes, its IPAM data stays for the relaunch. */
async function stopRouter(conn: HostConnection, inputs: RouterInputs, what: string): Promise<void> {
  const stop = weaveCli(inputs.weave).stop();
  await conn.exec(stop.argv, {
    env: { ...weaveEnv(inputs), ...stop.env },
    timeoutMs: inputs.timeouts.commandMs,
    what,
  });
}

/** Create: preflight, then adopt a running router of this lab or launch one. */
export async function createRouter(env: OpsEnv, inputs: RouterInputs): Promise<RouterOutputs> {
  const conn = env.connect(inputs.connection);
  const t = inputs.timeouts.commandMs;
  const settle = { tries: 20, sleep: env.sleep };
  // What runs there now is only read, so it is read while the preflight runs; nothing is
  // changed before the preflight has passed.
  const observed = (async () => {
    const c = await inspectRouterContainer(conn, t, settle);
    return { c, r: c.state === "running" ? await fetchReport(conn) : undefined };
  })();
  observed.catch(() => undefined);
  await preflight(env, conn, inputs);
  const first = await observed;
  let existing = first.c;
  let report = first.r;
  if (existing.state === "running" && !report) {
    // Running but mute: a router that just died (Docker has not noticed yet) or one that hangs.
    for (let i = 0; i < 20 && existing.state === "running" && !report; i++) {
      await env.sleep(250);
      existing = await inspectRouterContainer(conn, t, settle);
      report = existing.state === "running" ? await fetchReport(conn) : undefined;
    }
  }
  if (existing.state !== "absent") {
    const foreign = describeForeign(inputs, report, existing);
    if (foreign) {
      if (!inputs.resetForeignRouters) {
        throw routerError(
          inputs.host,
          `a ${existing.state} Weave router that is not this lab's is on this host: ${foreign}. ` +
            `weave-lab changed nothing. Reset it yourself (\`weave reset${existing.state === "running" ? "" : " --force"}\`), or set network.resetForeignRouters to true to let weave-lab reset it (its IPAM data is lost).`,
        );
      }
      env.log(`${inputs.host}: resetting a foreign router (${foreign}) because resetForeignRouters is set`);
      await resetRouter(env, conn, inputs, existing.state === "running");
    } else if (existing.restarting) {
      env.log(
        `${inputs.host}: the weave container keeps restarting: stopping it to relaunch (IPAM data kept)`,
      );
      await stopRouter(conn, inputs, "weave stop of a restarting router");
    } else if (existing.state === "running" && !report) {
      env.log(
        `${inputs.host}: the weave container runs but its API does not answer: stopping it to relaunch (IPAM data kept)`,
      );
      await stopRouter(conn, inputs, "weave stop");
    } else if (existing.state === "running" && report) {
      const rejoined = launchedToRejoin(existing.args);
      const drift = missingFlags(inputs, existing.args, rejoined);
      if (drift.length === 0) {
        env.log(
          `${inputs.host}: adopting the running router ${inputs.peerName} (same name, range and flags): not relaunched`,
        );
        return routerOutputs(inputs, { containerId: existing.id ?? "", adopted: true, rejoined });
      }
      // Same identity and range: a stop/launch keeps the persisted ring, so no reset.
      env.log(
        `${inputs.host}: the running router lacks ${drift.join(", ")}: stopping it to relaunch (IPAM data kept)`,
      );
      await stopRouter(conn, inputs, "weave stop");
    }
  }
  return launch(env, conn, inputs);
}

async function launch(env: OpsEnv, conn: HostConnection, inputs: RouterInputs): Promise<RouterOutputs> {
  const { rejoin, evidence } = await shouldRejoin(env, inputs);
  if (rejoin) env.log(`${inputs.host}: ${evidence}: launching without --ipalloc-init to join it`);
  const argv = launchArgv(inputs, rejoin);
  const secretEnv: Record<string, string> = {};
  if (inputs.launch.secretEnv.includes("WEAVE_PASSWORD")) {
    if (!inputs.password)
      throw routerError(inputs.host, "the launch needs WEAVE_PASSWORD but no password was given");
    secretEnv.WEAVE_PASSWORD = inputs.password;
  }
  env.log(`${inputs.host}: launching Weave router ${inputs.peerName} (${inputs.nickname})`);
  const run = (extraEnv: Record<string, string>): Promise<ExecResult> =>
    conn.exec(argv, {
      env: { ...weaveEnv(inputs), ...extraEnv },
      secretEnv,
      timeoutMs: inputs.timeouts.launchMs,
      what: "weave launch (the router to answer on 127.0.0.1:6784)",
    });
  let r: ExecResult;
  try {
    r = await run({});
  } catch (e) {
    const explained = await explainLaunchFailure(conn, inputs, e as Error);
    // On kernels without fast datapath the first launch made a plain bridge; a relaunch that
    // finds it dies unless told so (fixture 09). Weave keeps the IPAM data either way.
    if (!BRIDGE_TYPE_MISMATCH.test(explained.message)) throw explained;
    env.log(
      `${inputs.host}: the existing weave bridge is a plain bridge (no fast datapath): relaunching with WEAVE_NO_FASTDP=1`,
    );
    try {
      r = await run({ WEAVE_NO_FASTDP: "1" });
    } catch (e2) {
      throw await explainLaunchFailure(conn, inputs, e2 as Error);
    }
  }
  const containerId = parseLaunchContainerId(r.stdout) ?? "";
  const report = await fetchReport(conn);
  if (!report)
    throw routerError(inputs.host, "weave launch succeeded but the router does not answer GET /report");
  if (report.router.name !== inputs.peerName) {
    throw routerError(
      inputs.host,
      `the launched router reports peer name ${report.router.name}, expected ${inputs.peerName}`,
    );
  }
  return routerOutputs(inputs, {
    containerId,
    rejoined: rejoin,
    observedPeerName: report.router.name,
    observedRange: report.ipam?.range ?? "",
  });
}

/** Add the router's own log tail to a failed launch: Weave only says "has died" on stderr. */
async function explainLaunchFailure(
  conn: HostConnection,
  inputs: RouterInputs,
  failure: Error,
): Promise<Error> {
  // What Weave said, explained where the classifier knows it (weave/errors.ts).
  const err = withWeaveAdvice(failure) as Error;
  if (!/has died/.test(err.message)) return err;
  try {
    const logs = await conn.exec(routerLogTail(15), {
      allowFailure: true,
      timeoutMs: inputs.timeouts.commandMs,
    });
    const tail = (logs.stderr + logs.stdout).trim();
    return routerError(inputs.host, `${err.message}\nlast lines of \`docker logs weave\`:\n${tail}`);
  } catch {
    return err;
  }
}

/** Refresh: observe the router. Undefined when the router container is gone. */
export async function readRouter(env: OpsEnv, olds: RouterOutputs): Promise<RouterOutputs | undefined> {
  const conn = env.connect(olds.connection);
  const report = await fetchReport(conn);
  if (report) return refreshedFromReport(olds, report);
  const c = await inspectRouterContainer(conn, olds.timeouts.commandMs);
  return c.state === "absent" ? undefined : refreshedStopped(olds, c);
}

/** Update: relaunch a stopped router, then apply membership changes with connect/forget. */
export async function updateRouter(
  env: OpsEnv,
  olds: RouterOutputs,
  news: RouterInputs,
): Promise<RouterOutputs> {
  const conn = env.connect(news.connection);
  let out: RouterOutputs = { ...olds, ...news };
  if (olds.status !== "running") {
    out = await createRouter(env, news);
  }
  const oldAddrs = new Set(olds.peers.map((p) => p.address));
  const newAddrs = new Set(news.peers.map((p) => p.address));
  const added = [...newAddrs].filter((a) => !oldAddrs.has(a));
  const removed = [...oldAddrs].filter((a) => !newAddrs.has(a));
  const t = news.timeouts.commandMs;
  if (added.length > 0 && olds.status === "running") {
    env.log(`${news.host}: weave connect ${added.join(" ")}`);
    const c = weaveCli(news.weave).connect(added);
    await conn.exec(c.argv, { env: { ...weaveEnv(news), ...c.env }, timeoutMs: t, what: "weave connect" });
  }
  if (removed.length > 0) {
    env.log(`${news.host}: weave forget ${removed.join(" ")}`);
    const c = weaveCli(news.weave).forget(removed);
    await conn.exec(c.argv, { env: { ...weaveEnv(news), ...c.env }, timeoutMs: t, what: "weave forget" });
  }
  return out;
}

/**
 * Delete: `weave reset` (hands the ranges to a peer) or `reset --force` when stopped, then prove
 * nothing is left. An unreachable host fails the destroy, unless `forgetUnreachableOnDestroy`:
 * then exactly one reachable survivor takes its ranges over (`weave rmpeer`) and all forget it.
 */
export async function deleteRouter(env: OpsEnv, olds: RouterOutputs): Promise<void> {
  const conn = env.connect(olds.connection);
  const t = olds.timeouts.commandMs;
  let c: RouterContainer;
  try {
    c = await inspectRouterContainer(conn, t);
  } catch (e) {
    if (!isConnectError(e) || e.kind === "host-key" || e.kind === "auth" || e.kind === "config") throw e;
    if (!olds.forgetUnreachableOnDestroy) {
      throw routerError(
        olds.host,
        `cannot reach the host to reset its router (${e.message}). Its address space would stay owned by an unreachable peer. ` +
          `Bring the host back and retry, or set forgetUnreachableOnDestroy: true to let one surviving host take its ranges over (weave rmpeer).`,
      );
    }
    await forgetOnSurvivor(env, olds);
    return;
  }
  if (c.state !== "absent") {
    env.log(`${olds.host}: weave reset${c.state === "running" ? "" : " --force"}`);
    await resetRouter(env, conn, olds, c.state === "running");
  }
  const names = await conn.exec(listContainerNames(), { timeoutMs: t, what: "docker ps -a" });
  const left = weaveContainersIn(names.stdout);
  if (left.length > 0) {
    throw routerError(olds.host, `weave reset left containers behind: ${left.join(", ")}`);
  }
  if (c.state === "running") await waitHandedOver(env, olds);
}

/** After a reset with peers running: wait until no survivor's ring lists this peer as an owner. */
async function waitHandedOver(env: OpsEnv, olds: RouterOutputs, maxMs = 15_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const reports = await Promise.all(olds.peers.map((p) => peerReport(env, olds, p, 3_000)));
    const stillOwner = reports.filter((r) => ownsAddresses(r, olds.peerName));
    if (stillOwner.length === 0) return;
    await env.sleep(300);
  }
  env.log(
    `${olds.host}: peers still list ${olds.peerName} as an owner ${Math.round(maxMs / 1000)} s after its reset`,
  );
}

async function forgetOnSurvivor(env: OpsEnv, olds: RouterOutputs): Promise<void> {
  const reachable: RouterPeer[] = [];
  // A peer that does not answer is not a survivor.
  for (const p of olds.peers) if (await peerReport(env, olds, p, 5_000)) reachable.push(p);
  if (reachable.length === 0) {
    env.log(`${olds.host}: unreachable and no surviving peer answers: nothing to take over`);
    return;
  }
  const survivor = reachable[0];
  const conn = env.connect(peerConnection(olds, survivor));
  const t = olds.timeouts.commandMs;
  const rm = weaveCli(olds.weave).rmpeer([olds.peerName]);
  const r = await conn.exec(rm.argv, {
    env: { ...weaveEnv(olds), ...rm.env },
    timeoutMs: t,
    what: `weave rmpeer ${olds.peerName}`,
  });
  env.log(`${olds.host}: unreachable; ${survivor.host} took its ranges over: ${r.stdout.trim()}`);
  await Promise.all(
    reachable.map(async (p) => {
      const f = weaveCli(olds.weave).forget([olds.address]);
      await env.connect(peerConnection(olds, p)).exec(f.argv, {
        env: { ...weaveEnv(olds), ...f.env },
        timeoutMs: t,
        what: "weave forget",
        allowFailure: true,
      });
    }),
  );
}
