/**
 * What the Router provider does on a host, as plain async functions over `OpsEnv` (no Pulumi):
 * preflight, launch or adopt, observe, reconcile peers, and reset on delete.
 *
 * The CLI acts (launch, reset, connect, forget, rmpeer); the router API observes (`/report`
 * through the SSH port forward, milliseconds instead of a helper container per call).
 */
import type { ConnectParams, ExecResult, HostConnection } from "../remote/types";
import { checkCompat } from "../weave/compat";
import { CONSENSUS_TEMPLATE, parseReport, type ReportView } from "../weave/report";
import type { WeaveReport } from "../weave/types";
import {
  parseDockerVersionLine,
  parseLaunchContainerId,
  parseScriptVersionLine,
  parseWeaveVersion,
} from "../weave/ps";
import { dockerVersionCmd, inspectRouter, listContainerNames, scriptVersionCmd, weaveCli } from "./cli";
import { hostError, withWeaveAdvice, type HostError } from "./host-errors";
import { isConnectError, type OpsEnv } from "./ops-env";
import type { RouterInputs, RouterOutputs, RouterPeer } from "./types";

/** Router container state as `docker inspect` shows it. */
export interface RouterContainer {
  state: "absent" | "running" | "stopped";
  /**
   * Docker is restarting it and kept doing so while we waited: Weave runs its router with the
   * restart policy `always`, so a crashed weaver comes back by itself, and `weave launch` refuses
   * a container in that state ("weave is created, paused, or restarting"). Counted as stopped.
   */
  restarting?: boolean;
  id?: string;
  /** The router's command line (script-injected flags, then the user's). */
  args?: string[];
}

/**
 * A failure on a host: the message names the host and what was being done. A factory, not an
 * `Error` subclass: subclasses lose their message when Pulumi serialises them by value.
 */
export function routerError(host: string, message: string): HostError<"RouterError"> {
  return hostError("RouterError", host, message);
}

const REPORT_HEADERS = { Accept: "application/json" };

/**
 * The report as compact JSON (`{{json .}}`: the same document as `Accept: application/json`
 * without the 4-space indentation, about half the bytes to carry and parse).
 */
export const REPORT_COMPACT = `/report?format=${encodeURIComponent("{{json .}}")}`;

/**
 * Only what the consensus verdict reads ({@link CONSENSUS_TEMPLATE}): under a tenth of the bytes
 * of a 32-host report (every peer lists its connections), which matters when the gate polls
 * every host.
 */
export const REPORT_CONSENSUS = `/report?format=${encodeURIComponent(CONSENSUS_TEMPLATE)}`;

/**
 * `GET /report` through the forward, in the view asked for (the whole report by default);
 * undefined when the router does not answer. Falls back to the `Accept: application/json` form
 * when the template route refuses or its output is cut short by an execution error.
 */
export async function fetchReport(
  conn: HostConnection,
  timeoutMs = 10_000,
  view: ReportView = "full",
): Promise<WeaveReport | undefined> {
  let res;
  try {
    res = await conn.http("GET", view === "full" ? REPORT_COMPACT : REPORT_CONSENSUS, { timeoutMs });
    if (res.status !== 200 || !res.body.startsWith("{") || !res.body.endsWith("}")) {
      res = await conn.http("GET", "/report", { headers: REPORT_HEADERS, timeoutMs });
    }
  } catch (e) {
    // The SSH session itself failing is not "router absent": let the caller see it.
    if (isConnectError(e)) throw e;
    return undefined;
  }
  if (res.status !== 200) return undefined;
  return parseReport(res.body, view);
}

/** `docker inspect weave`: absent, running or stopped, with its id and args. */
export async function inspectRouterContainer(
  conn: HostConnection,
  timeoutMs: number,
  settle: { tries: number; sleep: (ms: number) => Promise<void> } = {
    tries: 20,
    sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
  },
): Promise<RouterContainer> {
  let r = await conn.exec(inspectRouter(), { allowFailure: true, timeoutMs, what: "docker inspect weave" });
  // A router Docker is restarting (its weaver died: restart policy `always`) is running again
  // within a second or two; give it that long before judging it.
  for (let i = 0; i < settle.tries && r.code === 0 && / restarting /.test(r.stdout); i++) {
    await settle.sleep(500);
    r = await conn.exec(inspectRouter(), { allowFailure: true, timeoutMs, what: "docker inspect weave" });
  }
  if (r.code !== 0) {
    if (/No such (object|container)/i.test(r.stderr)) return { state: "absent" };
    throw routerError(conn.hostName, `\`docker inspect weave\` failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
  const m = /^(\S+) (\S+) (.*)$/.exec(r.stdout.trim());
  if (!m) throw routerError(conn.hostName, `unexpected \`docker inspect weave\` output: ${r.stdout.trim()}`);
  let args: string[] | undefined;
  try {
    const parsed: unknown = JSON.parse(m[3]);
    if (Array.isArray(parsed)) args = parsed.map(String);
  } catch {
    args = undefined;
  }
  const restarting = m[2] === "restarting";
  return {
    state: m[2] === "running" ? "running" : "stopped",
    id: m[1],
    args,
    ...(restarting ? { restarting } : {}),
  };
}

/** The value of the last `--flag value` (or `--flag=value`) in an argv: Go flags, last one wins. */
export function flagValue(argv: string[], flag: string): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag && i + 1 < argv.length) v = argv[i + 1];
    else if (argv[i].startsWith(`${flag}=`)) v = argv[i].slice(flag.length + 1);
  }
  return v;
}

/** The launch argv for this host: the plan's, at the planned script, without `--ipalloc-init` when rejoining. */
export function launchArgv(inputs: RouterInputs, rejoin: boolean): string[] {
  const argv = [...inputs.launch.argv];
  if (argv[0] === "weave") argv[0] = inputs.weave.scriptPath;
  if (!rejoin) return argv;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--ipalloc-init") {
      i++;
      continue;
    }
    if (argv[i].startsWith("--ipalloc-init=")) continue;
    out.push(argv[i]);
  }
  return out;
}

function weaveEnv(inputs: RouterInputs): Record<string, string> {
  return { ...inputs.launch.env };
}

/**
 * Preflight: nothing is changed on the host until Docker and the weave script are known to fit.
 * Installs the pinned script when `install: download` (checksum verified before it is moved
 * into place).
 */
export async function preflight(env: OpsEnv, conn: HostConnection, inputs: RouterInputs): Promise<void> {
  const host = inputs.host;
  const t = inputs.timeouts.commandMs;
  const dv = dockerVersionCmd();
  const script = inputs.weave.scriptPath;
  // Both are reads: ask them together.
  const early = inputs.weave.install === "present" ? readScriptVersion(conn, inputs) : undefined;
  early?.catch(() => undefined);
  const d = await conn.exec(dv.argv, {
    env: dv.env,
    allowFailure: true,
    timeoutMs: t,
    what: "docker version",
  });
  if (d.code !== 0) {
    throw routerError(
      host,
      `Docker is not usable: \`docker version\` exited ${d.code}: ${(d.stderr || d.stdout).trim()}. Install Docker Engine (≤ 24 for weaveworks 2.8.1) and make sure user ${inputs.connection.user} can use it.`,
    );
  }
  const docker = parseDockerVersionLine(d.stdout);
  const compat = checkCompat(
    {
      distribution: inputs.weave.distribution,
      version: inputs.weave.version,
      ...(inputs.weave.dockerApiVersionOverride !== undefined
        ? { dockerApiVersion: inputs.weave.dockerApiVersionOverride }
        : {}),
    },
    docker,
    host,
  );
  if (!compat.ok) {
    throw routerError(
      host,
      `preflight refused, nothing was changed: Docker Engine ${docker.serverVersion} (API ${docker.apiVersion}, minimum ${docker.minApiVersion}) cannot run Weave ${inputs.weave.distribution} ${inputs.weave.version}: ${compat.reason} Fix: ${compat.fix}`,
    );
  }
  if (inputs.weave.install === "download") {
    await installScript(env, conn, inputs);
  }
  const v = await (early ?? readScriptVersion(conn, inputs));
  if ("problem" in v) {
    throw routerError(
      host,
      `the weave script is not usable at ${script}: ${v.problem}. ` +
        (inputs.weave.install === "present"
          ? `Install Weave ${inputs.weave.version} there, or set network.weave.install to "download".`
          : ""),
    );
  }
  if (v.version !== inputs.weave.version) {
    throw routerError(
      host,
      `${script} is weave script ${v.version}, but the lab wants ${inputs.weave.distribution} ${inputs.weave.version}. Install that version (or change network.weave.version).`,
    );
  }
}

/**
 * The version of the weave script at the planned path: its `SCRIPT_VERSION=` line (a `grep`,
 * milliseconds), or, for a script without one (a wrapper), `weave version` (a helper container).
 */
export async function readScriptVersion(
  conn: HostConnection,
  inputs: RouterInputs,
): Promise<{ version: string | undefined } | { problem: string }> {
  const t = inputs.timeouts.commandMs;
  const g = await conn.exec(scriptVersionCmd(inputs.weave.scriptPath), {
    allowFailure: true,
    timeoutMs: t,
    what: "the weave script's SCRIPT_VERSION line",
  });
  const fromLine = g.code === 0 ? parseScriptVersionLine(g.stdout) : undefined;
  if (fromLine !== undefined) return { version: fromLine };
  if (g.code !== 0 && g.code !== 1) {
    return { problem: `\`grep SCRIPT_VERSION\` exited ${g.code}: ${(g.stderr || g.stdout).trim()}` };
  }
  const vc = weaveCli(inputs.weave).version();
  const v = await conn.exec(vc.argv, {
    env: { ...weaveEnv(inputs), ...vc.env },
    allowFailure: true,
    timeoutMs: t,
    what: "weave version",
  });
  if (v.code !== 0)
    return { problem: `\`weave version\` exited ${v.code}: ${(v.stderr || v.stdout).trim()}` };
  return { version: parseWeaveVersion(v.stdout).value.script };
}

async function installScript(env: OpsEnv, conn: HostConnection, inputs: RouterInputs): Promise<void> {
  const { scriptPath, scriptUrl, scriptSha256 } = inputs.weave;
  if (!scriptUrl || !scriptSha256) {
    throw routerError(inputs.host, "install is download but scriptUrl or scriptSha256 is missing");
  }
  const t = inputs.timeouts.commandMs;
  const have = await conn.exec(["sha256sum", scriptPath], {
    allowFailure: true,
    timeoutMs: t,
    what: "sha256sum of the weave script",
  });
  if (have.code === 0 && have.stdout.split(/\s+/)[0] === scriptSha256.toLowerCase()) return;
  env.log(`${inputs.host}: installing weave ${inputs.weave.version} from ${scriptUrl}`);
  const tmp = `${scriptPath}.weave-lab-download`;
  await conn.exec(["curl", "-fsSL", "--retry", "3", "-o", tmp, scriptUrl], {
    timeoutMs: Math.max(t, 120_000),
    what: `download of ${scriptUrl}`,
  });
  const sum = await conn.exec(["sha256sum", tmp], {
    timeoutMs: t,
    what: "sha256sum of the downloaded script",
  });
  const got = sum.stdout.split(/\s+/)[0];
  if (got !== scriptSha256.toLowerCase()) {
    await conn.exec(["rm", "-f", tmp], { allowFailure: true, timeoutMs: t });
    throw routerError(
      inputs.host,
      `the script downloaded from ${scriptUrl} has SHA-256 ${got}, expected ${scriptSha256}: refusing to install it`,
    );
  }
  await conn.exec(["chmod", "0755", tmp], { timeoutMs: t });
  await conn.exec(["mv", "-f", tmp, scriptPath], { timeoutMs: t });
}

/** Is the router on the host this lab's? Compares what it reports and how it was launched. */
export function describeForeign(
  inputs: RouterInputs,
  report: WeaveReport | undefined,
  c: RouterContainer,
): string | undefined {
  const name = report?.router.name ?? (c.args ? flagValue(c.args, "--name") : undefined);
  const range = report
    ? (report.ipam?.range ?? "")
    : c.args
      ? flagValue(c.args, "--ipalloc-range")
      : undefined;
  const problems: string[] = [];
  if (name !== undefined && name !== inputs.peerName)
    problems.push(`peer name ${name} (this lab: ${inputs.peerName})`);
  if (range !== undefined && range !== inputs.allocRange)
    problems.push(`range ${range || "none (IPAM off)"} (this lab: ${inputs.allocRange})`);
  return problems.length > 0 ? problems.join(", ") : undefined;
}

/** The lab's own flags that a running router lacks (drift that needs a relaunch, not a reset). */
export function missingFlags(inputs: RouterInputs, args: string[] | undefined, rejoined: boolean): string[] {
  if (!args) return [];
  const want = launchArgv(inputs, rejoined).slice(2);
  const peers = new Set(inputs.peers.map((p) => p.address));
  const missing: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const a = want[i];
    if (peers.has(a) || a === "--ipalloc-init") {
      if (a === "--ipalloc-init") i++;
      continue;
    }
    if (
      a.startsWith("--") &&
      i + 1 < want.length &&
      !want[i + 1].startsWith("--") &&
      !peers.has(want[i + 1])
    ) {
      if (flagValue(args, a) !== want[i + 1]) missing.push(`${a} ${want[i + 1]}`);
      i++;
    } else if (!args.includes(a)) {
      missing.push(a);
    }
  }
  return missing;
}

/**
 * Should this host launch without `--ipalloc-init`? Yes when a peer already has a ring for this
 * range in which this host owns nothing: it joins a ring formed without it (a host added later,
 * or one that was reset). Relaunching such a host with `seed=` crashes Weave (fixture 16).
 * Peers that do not answer in time are skipped: on a first `up` they have no ring yet (and answer
 * at once: nothing listens). The wait is long because a wrong "no ring" seeds this host apart from
 * the ring for good; on a loaded machine real hosts were seen taking over 8 s to answer.
 */
export async function shouldRejoin(
  env: OpsEnv,
  inputs: RouterInputs,
  probeMs = 20_000,
): Promise<{ rejoin: boolean; evidence?: string }> {
  const probes = await Promise.all(
    inputs.peers.map(async (p: RouterPeer) => {
      try {
        const conn = env.connect(peerConnection(inputs.connection, p));
        return await withTimeout(fetchReport(conn, probeMs), probeMs);
      } catch {
        return undefined;
      }
    }),
  );
  for (let i = 0; i < probes.length; i++) {
    const r = probes[i];
    const entries = r?.ipam?.entries;
    if (!r || !r.ipam || !entries || entries.length === 0 || r.ipam.range !== inputs.allocRange) continue;
    const owns = r.ipam.owners.some((o) => o.peer === inputs.peerName && o.size > 0);
    if (!owns)
      return {
        rejoin: true,
        evidence: `${inputs.peers[i].host} already has a ring for ${inputs.allocRange} without ${inputs.host}`,
      };
  }
  return { rejoin: false };
}

/**
 * How this router reaches a peer: the peer's endpoint with this host's own credentials (a peer's
 * keys are never in this router's state). State written before peers lost their keys still has
 * `connection`: used as it is, so such a lab can be destroyed.
 */
export function peerConnection(own: ConnectParams, p: RouterPeer): ConnectParams {
  const legacy = (p as { connection?: ConnectParams }).connection;
  if (!p.ssh && legacy) return legacy;
  const { jumpHost, ...endpoint } = p.ssh;
  const c: ConnectParams = { ...endpoint };
  if (own.privateKey !== undefined) c.privateKey = own.privateKey;
  if (own.passphrase !== undefined) c.passphrase = own.passphrase;
  if (own.agent !== undefined) c.agent = own.agent;
  if (jumpHost) {
    c.jumpHost = { ...jumpHost };
    const key = own.jumpHost?.privateKey ?? own.privateKey;
    if (key !== undefined) c.jumpHost.privateKey = key;
  }
  return c;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}

function outputs(inputs: RouterInputs, extra: Partial<RouterOutputs>): RouterOutputs {
  return {
    ...inputs,
    containerId: "",
    adopted: false,
    rejoined: false,
    status: "running",
    observedPeerName: inputs.peerName,
    observedRange: inputs.allocRange,
    statusDetail: "running",
    ...extra,
  };
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

/** Create: preflight, then adopt a running router of this lab or launch one. */
export async function createRouter(env: OpsEnv, inputs: RouterInputs): Promise<RouterOutputs> {
  const conn = env.connect(inputs.connection);
  await preflight(env, conn, inputs);
  const t = inputs.timeouts.commandMs;
  const settle = { tries: 20, sleep: env.sleep };
  let existing = await inspectRouterContainer(conn, t, settle);
  let report = existing.state === "running" ? await fetchReport(conn) : undefined;
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
      const stop = weaveCli(inputs.weave).stop();
      await conn.exec(stop.argv, {
        env: { ...weaveEnv(inputs), ...stop.env },
        timeoutMs: t,
        what: "weave stop of a restarting router",
      });
    } else if (existing.state === "running" && !report) {
      env.log(
        `${inputs.host}: the weave container runs but its API does not answer: stopping it to relaunch (IPAM data kept)`,
      );
      const stop = weaveCli(inputs.weave).stop();
      await conn.exec(stop.argv, {
        env: { ...weaveEnv(inputs), ...stop.env },
        timeoutMs: t,
        what: "weave stop",
      });
    } else if (existing.state === "running" && report) {
      const rejoined = !existing.args?.some((a) => a === "--ipalloc-init" || a.startsWith("--ipalloc-init="));
      const drift = missingFlags(inputs, existing.args, rejoined);
      if (drift.length === 0) {
        env.log(
          `${inputs.host}: adopting the running router ${inputs.peerName} (same name, range and flags): not relaunched`,
        );
        return outputs(inputs, { containerId: existing.id ?? "", adopted: true, rejoined });
      }
      // Same identity and range: a stop/launch keeps the persisted ring, so no reset.
      env.log(
        `${inputs.host}: the running router lacks ${drift.join(", ")}: stopping it to relaunch (IPAM data kept)`,
      );
      const stop = weaveCli(inputs.weave).stop();
      await conn.exec(stop.argv, {
        env: { ...weaveEnv(inputs), ...stop.env },
        timeoutMs: t,
        what: "weave stop",
      });
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
  return outputs(inputs, {
    containerId,
    rejoined: rejoin,
    observedPeerName: report.router.name,
    observedRange: report.ipam?.range ?? "",
  });
}

/** weaver's refusal of an existing bridge of another type (fixture 09). */
const BRIDGE_TYPE_MISMATCH = /Existing bridge type "bridge" is different than requested "bridged_fastdp"/;

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
    const logs = await conn.exec(["docker", "logs", "--tail", "15", "weave"], {
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
  if (report) {
    const drift = describeForeign(olds, report, { state: "running" });
    return {
      ...olds,
      status: drift ? "reconfigured" : "running",
      statusDetail: drift ? `running with ${drift}` : "running",
      observedPeerName: report.router.name,
      observedRange: report.ipam?.range ?? "",
    };
  }
  const c = await inspectRouterContainer(conn, olds.timeouts.commandMs);
  if (c.state === "absent") return undefined;
  return {
    ...olds,
    containerId: c.id ?? olds.containerId,
    status: "stopped",
    statusDetail: `the weave container is ${c.state === "running" ? "running but its API does not answer" : "not running"}`,
  };
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
  const left = names.stdout
    .split("\n")
    .map((s) => s.trim())
    .filter(
      (n) =>
        n === "weave" ||
        n === "weavedb" ||
        n.startsWith("weavevolumes") ||
        n === "weaveproxy" ||
        n === "weaveplugin",
    );
  if (left.length > 0) {
    throw routerError(olds.host, `weave reset left containers behind: ${left.join(", ")}`);
  }
  if (c.state === "running") await waitHandedOver(env, olds);
}

/** After a reset with peers running: wait until no survivor's ring lists this peer as an owner. */
async function waitHandedOver(env: OpsEnv, olds: RouterOutputs, maxMs = 15_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const reports = await Promise.all(
      olds.peers.map(async (p) => {
        try {
          return await withTimeout(
            fetchReport(env.connect(peerConnection(olds.connection, p)), 3_000),
            3_000,
          );
        } catch {
          return undefined;
        }
      }),
    );
    const stillOwner = reports.filter((r) =>
      r?.ipam?.owners.some((o) => o.peer === olds.peerName && o.size > 0),
    );
    if (stillOwner.length === 0) return;
    await env.sleep(300);
  }
  env.log(
    `${olds.host}: peers still list ${olds.peerName} as an owner ${Math.round(maxMs / 1000)} s after its reset`,
  );
}

async function forgetOnSurvivor(env: OpsEnv, olds: RouterOutputs): Promise<void> {
  const reachable: RouterPeer[] = [];
  for (const p of olds.peers) {
    try {
      const r = await withTimeout(fetchReport(env.connect(peerConnection(olds.connection, p)), 5_000), 5_000);
      if (r) reachable.push(p);
    } catch {
      // Not a survivor.
    }
  }
  if (reachable.length === 0) {
    env.log(`${olds.host}: unreachable and no surviving peer answers: nothing to take over`);
    return;
  }
  const survivor = reachable[0];
  const conn = env.connect(peerConnection(olds.connection, survivor));
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
      await env.connect(peerConnection(olds.connection, p)).exec(f.argv, {
        env: { ...weaveEnv(olds), ...f.env },
        timeoutMs: t,
        what: "weave forget",
        allowFailure: true,
      });
    }),
  );
}
