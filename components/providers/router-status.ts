/**
 * What a host's router state means, as pure functions: the `docker inspect weave` line, which
 * `/report` to ask for, whether the router found is this lab's, the Router's outputs after a
 * create or refresh, and what a reset left behind. The SSH side is in `router-ops.ts`.
 */
import type { WeaveReport } from "../weave/types";
import { CONSENSUS_TEMPLATE } from "../weave/report";
import { hostError, type HostError } from "./host-errors";
import { flagValue } from "./router-launch";
import type { RouterInputs, RouterOutputs } from "./types";

/**
 * A failure on a host: the message names the host and what was being done. A factory, not an
 * `Error` subclass: subclasses lose their message when Pulumi serialises them by value.
 */
export function routerError(host: string, message: string): HostError<"RouterError"> {
  return hostError("RouterError", host, message);
}

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

/** Whether a successful `docker inspect weave` says Docker is restarting the router. */
export function inspectSaysRestarting(stdout: string): boolean {
  return / restarting /.test(stdout);
}

/**
 * A `docker inspect weave` result (`<id> <status> <args as JSON>`): absent when Docker has no
 * such container; a failure or an unexpected line is a `RouterError`.
 */
export function parseRouterInspect(
  host: string,
  r: { code: number; stdout: string; stderr: string },
): RouterContainer {
  if (r.code !== 0) {
    if (/No such (object|container)/i.test(r.stderr)) return { state: "absent" };
    throw routerError(host, `\`docker inspect weave\` failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
  const m = /^(\S+) (\S+) (.*)$/.exec(r.stdout.trim());
  if (!m) throw routerError(host, `unexpected \`docker inspect weave\` output: ${r.stdout.trim()}`);
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

/** The `Accept` header of the untemplated JSON route (the fallback when a template route fails). */
export const REPORT_HEADERS = { Accept: "application/json" };

/** Whether a template route's answer is a whole JSON document (not refused, not cut short by an execution error). */
export function isWholeJson(res: { status: number; body: string }): boolean {
  return res.status === 200 && res.body.startsWith("{") && res.body.endsWith("}");
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

/** The Router's outputs for a running router of these inputs, with what was observed. */
export function routerOutputs(inputs: RouterInputs, extra: Partial<RouterOutputs>): RouterOutputs {
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

/** Refresh of a router that answers: running, or reconfigured out of band (other name or range). */
export function refreshedFromReport(olds: RouterOutputs, report: WeaveReport): RouterOutputs {
  const drift = describeForeign(olds, report, { state: "running" });
  return {
    ...olds,
    status: drift ? "reconfigured" : "running",
    statusDetail: drift ? `running with ${drift}` : "running",
    observedPeerName: report.router.name,
    observedRange: report.ipam?.range ?? "",
  };
}

/** Refresh of a router whose API does not answer but whose container is there. */
export function refreshedStopped(olds: RouterOutputs, c: RouterContainer): RouterOutputs {
  return {
    ...olds,
    containerId: c.id ?? olds.containerId,
    status: "stopped",
    statusDetail: `the weave container is ${c.state === "running" ? "running but its API does not answer" : "not running"}`,
  };
}

/** Weave's containers among `docker ps -a` names (what a reset must not leave behind). */
export function weaveContainersIn(names: string): string[] {
  return names
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
}
