/**
 * The Container provider's pure half: its inputs from a plan, its diff (what replaces the
 * container, what changes in place), and the reading of what Docker and `weave attach` print.
 * What it does on a host is in `container-ops.ts`.
 */
import type { ContainerPlan, LabPlan } from "../model/plan";
import type { ConnectParams } from "../remote/types";
import {
  DEFAULT_CONTAINER_TIMEOUTS,
  type ContainerInputs,
  type ContainerOutputs,
  type ContainerTimeouts,
  type ContainerWeave,
} from "./container-types";
import { same } from "./diff-values";
import { hostError, isHostError, type HostError } from "./host-errors";
import { containsUnknown } from "./unknowns";

/** Docker labels weave-lab puts on its containers (to tell them from the user's own). */
export const LABEL_LAB = "weave-lab.lab";
export const LABEL_KEY = "weave-lab.key";

/** A failure on a host: the message names the host and the container. */
export type ContainerError = HostError<"ContainerError">;

/** A container failure on `host` (a {@link hostError}). */
export function containerError(host: string, message: string): ContainerError {
  return hostError("ContainerError", host, message);
}

/** Whether `e` is a container failure from this module. */
export function isContainerError(e: unknown): e is ContainerError {
  return isHostError(e, "ContainerError");
}

/** The secret values a container's commands may echo back (masked in every error and log). */
export function secretsOf(i: Pick<ContainerInputs, "secretEnv">): string[] {
  return Object.values(i.secretEnv ?? {}).filter((v): v is string => typeof v === "string");
}

/**
 * Inputs of the container `c` of a plan (pure). `connection` is the caller's: resolved
 * settings, or (in a component) the secret Output that resolves to them.
 */
export function containerInputs<C = ConnectParams>(
  plan: LabPlan,
  c: ContainerPlan,
  connection: C,
  timeouts: Partial<ContainerTimeouts> = {},
): Omit<ContainerInputs, "connection"> & { connection: C } {
  const w = plan.network.weave;
  const inputs: Omit<ContainerInputs, "connection"> & { connection: C } = {
    lab: plan.name,
    networkFingerprint: plan.network.fingerprint,
    key: c.key,
    name: c.name,
    host: c.host,
    connection,
    image: c.image,
    command: c.command,
    env: c.env,
    ports: c.ports,
    publishAll: c.publishAll,
    restart: c.restart,
    hostname: c.hostname,
    addressing: c.addressing,
    extraFqdns: c.extraFqdns,
    weave: weaveOf(w),
    timeouts: { ...DEFAULT_CONTAINER_TIMEOUTS, ...timeouts },
  };
  if (c.fqdn !== undefined) inputs.fqdn = c.fqdn;
  return inputs;
}

/** The weave facts the container layer needs, from `NetworkPlan.weave`. */
export function weaveOf(w: LabPlan["network"]["weave"]): ContainerWeave {
  return {
    scriptPath: w.scriptPath,
    distribution: w.distribution,
    ...(w.dockerApiVersionOverride !== undefined
      ? { dockerApiVersionOverride: w.dockerApiVersionOverride }
      : {}),
  };
}

/** The container as the argv builders want it. */
export function planOf(i: ContainerInputs): ContainerPlan {
  return {
    key: i.key,
    name: i.name,
    host: i.host,
    image: i.image,
    command: i.command,
    env: i.env,
    ports: i.ports,
    publishAll: i.publishAll,
    restart: i.restart,
    hostname: i.hostname,
    addressing: i.addressing,
    ...(i.fqdn !== undefined ? { fqdn: i.fqdn } : {}),
    extraFqdns: i.extraFqdns,
  };
}

/**
 * Fields Docker cannot change on a running container (or that decide its address or its name in
 * DNS): a change replaces the container. `env` and `secretEnv` are compared as maps, so key order
 * is no change.
 */
export const REPLACE_FIELDS = [
  "lab",
  "networkFingerprint",
  "key",
  "name",
  "host",
  "image",
  "command",
  "env",
  "secretEnv",
  "ports",
  "publishAll",
  "restart",
  "hostname",
  "addressing",
  "fqdn",
] as const;

/** Fields that change in place: extra DNS names (dns-add/remove), and what needs no action at all. */
export const UPDATE_FIELDS = ["extraFqdns", "connection", "weave", "timeouts"] as const;

function sortedEnv(env: unknown): Array<[string, unknown]> {
  const e = env !== null && typeof env === "object" && !Array.isArray(env) ? env : {};
  return Object.entries(e).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function namesOf(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x).toLowerCase()).sort() : [];
}

/** The container's diff: what replaces it (by field), what changes in place (by field). */
export interface ContainerDiff {
  changes: boolean;
  /** Fields whose change replaces the container (a preview's "replace because of"). */
  replaces: string[];
  /** Fields that change in place. */
  updates: string[];
  deleteBeforeReplace: boolean;
}

/**
 * The diff the engine asks for: the fields that replace the container and those that change in
 * place. A field holding Pulumi's unknown placeholder anywhere (a preview's "known after apply")
 * counts as changed: a possible replace or update, never a failure.
 */
export function diffContainer(olds: ContainerOutputs, news: ContainerInputs): ContainerDiff {
  const o = olds as unknown as Record<string, unknown>;
  const n = news as unknown as Record<string, unknown>;
  const changed = (f: string): boolean => {
    if (containsUnknown(n[f])) return true;
    if (f === "env" || f === "secretEnv") return !same(sortedEnv(o[f]), sortedEnv(n[f]));
    if (f === "extraFqdns") return !same(namesOf(o[f]), namesOf(n[f]));
    return !same(o[f], n[f]);
  };
  const replaces: string[] = REPLACE_FIELDS.filter(changed);
  // A container found stopped or detached by a refresh is rebuilt: it has no address to keep.
  if (olds.status !== undefined && olds.status !== "running" && replaces.length === 0)
    replaces.push("status");
  const updates: string[] = UPDATE_FIELDS.filter(changed);
  // Same name on the same host: the old one must go first.
  return {
    changes: replaces.length + updates.length > 0,
    replaces,
    updates,
    deleteBeforeReplace: true,
  };
}

/** Extra names to add and to remove (pure). */
export function extraNameChanges(olds: string[], news: string[]): { add: string[]; remove: string[] } {
  const o = new Set(olds.map((n) => n.toLowerCase()));
  const n = new Set(news.map((x) => x.toLowerCase()));
  return {
    add: news.filter((x) => !o.has(x.toLowerCase())),
    remove: olds.filter((x) => !n.has(x.toLowerCase())),
  };
}

/** `docker run -d` prints the 64-hex id last (after any pull progress). */
export function parseRunId(stdout: string): string | undefined {
  const lines = stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines[lines.length - 1];
  return last !== undefined && /^[0-9a-f]{64}$/.test(last) ? last : undefined;
}

/** One container as `docker inspect --format INSPECT_FORMAT` shows it. */
export interface InspectedContainer {
  id: string;
  state: string;
  labels: Record<string, string>;
}

/** Id, state and labels in one line (labels as JSON: values may hold spaces). */
export const INSPECT_FORMAT = "{{.Id}} {{.State.Status}} {{json .Config.Labels}}";

/** Parses one `INSPECT_FORMAT` line; undefined when the text is not one. */
export function parseInspectLine(line: string): InspectedContainer | undefined {
  const m = /^([0-9a-f]{64}) (\S+) (.*)$/.exec(line.trim());
  if (!m) return undefined;
  let labels: Record<string, string> = {};
  try {
    const parsed: unknown = JSON.parse(m[3]);
    if (parsed && typeof parsed === "object") labels = parsed as Record<string, string>;
  } catch {
    labels = {};
  }
  return { id: m[1], state: m[2], labels };
}

/** The prefix length of the addresses `weave attach` gives for `addressing` (reference §7.2, §8.5). */
export function prefixOf(addressing: ContainerInputs["addressing"]): string {
  return (addressing.kind === "static" ? addressing.cidr : addressing.subnet).split("/")[1] ?? "";
}

/**
 * `weave attach` prints the addresses it gave, without prefix, space-separated, on its last line
 * (fixture 09: `172.16.16.65`). Undefined when the output is not that.
 */
export function parseAttachOutput(stdout: string): string[] | undefined {
  const lines = stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const words = (lines[lines.length - 1] ?? "").split(/\s+/).filter(Boolean);
  const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
  return words.length > 0 && words.every((w) => ipv4.test(w)) ? words : undefined;
}
