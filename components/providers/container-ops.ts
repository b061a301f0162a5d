/**
 * What the Container provider does on a host, as plain async functions over `OpsEnv` (no Pulumi):
 * run the container with weaveDNS as its resolver, attach it to the Weave network, register its
 * extra names, observe it, and take it apart again. Decisions (diff, name changes, parsing) are
 * pure functions beside them.
 *
 * Facts used (reference §4, §9.4): `weave attach` registers `Config.Hostname.Domainname` and
 * blocks while IPAM has no ring (so every call has a deadline); `weave detach` frees IPAM
 * addresses and the container's DNS entries; the router drops a dead container's DNS entries.
 */
import type { ContainerPlan, LabPlan } from "../plan/types";
import type { ConnectParams, HostConnection } from "../remote/types";
import {
  addressArgs,
  dockerInspect,
  dockerRm,
  dockerRun,
  weaveCommands,
  type WeaveCommands,
} from "../weave/commands";
import { parseDnsArgs } from "../weave/dns";
import { parsePs } from "../weave/ps";
import type { OpsEnv } from "./ops-env";
import {
  DEFAULT_CONTAINER_TIMEOUTS,
  type ContainerInputs,
  type ContainerOutputs,
  type ContainerTimeouts,
  type ContainerWeave,
} from "./container-types";

/** Docker labels weave-lab puts on its containers (to tell them from the user's own). */
export const LABEL_LAB = "weave-lab.lab";
export const LABEL_KEY = "weave-lab.key";

/** A failure on a host: the message names the host and the container. */
export type ContainerError = Error & { name: "ContainerError"; host: string };

/**
 * A factory, not a class: this code runs inside a serialised dynamic provider, and Pulumi's
 * function serialiser rewrites `class … extends Error` so that the message is lost.
 */
export function containerError(host: string, message: string): ContainerError {
  const e = new Error(`${host}: ${message}`) as ContainerError;
  e.name = "ContainerError";
  e.host = host;
  return e;
}

/** Whether `e` is a container failure from this module. */
export function isContainerError(e: unknown): e is ContainerError {
  return e instanceof Error && e.name === "ContainerError";
}

/** Inputs of the container `c` of a plan (pure; `connection` resolved by the caller). */
export function containerInputs(
  plan: LabPlan,
  c: ContainerPlan,
  connection: ConnectParams,
  timeouts: Partial<ContainerTimeouts> = {},
): ContainerInputs {
  const w = plan.network.weave;
  const inputs: ContainerInputs = {
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

function cli(w: ContainerWeave): WeaveCommands {
  return weaveCommands({ weave: w });
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Fields Docker cannot change on a running container (or that decide its address or its name in
 * DNS): a change replaces the container. `env` is compared as a map, so key order is no change.
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
  "ports",
  "publishAll",
  "restart",
  "hostname",
  "addressing",
  "fqdn",
] as const;

function sortedEnv(env: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The diff the engine asks for: replaces (with the fields that force it) or in-place changes. */
export function diffContainer(
  olds: ContainerOutputs,
  news: ContainerInputs,
): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaces: string[] = [];
  for (const f of REPLACE_FIELDS) {
    const changed = f === "env" ? !same(sortedEnv(olds.env), sortedEnv(news.env)) : !same(olds[f], news[f]);
    if (changed) replaces.push(f);
  }
  // A container found stopped or detached by a refresh is rebuilt: it has no address to keep.
  if (olds.status !== undefined && olds.status !== "running" && replaces.length === 0)
    replaces.push("status");
  const changes =
    replaces.length > 0 ||
    !same([...(olds.extraFqdns ?? [])].sort(), [...news.extraFqdns].sort()) ||
    !same(olds.connection, news.connection) ||
    !same(olds.weave, news.weave) ||
    !same(olds.timeouts, news.timeouts);
  // Same name on the same host: the old one must go first.
  return { changes, replaces, deleteBeforeReplace: true };
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

/** `docker inspect` of a name or id: undefined when Docker has no such container. */
export async function inspectContainer(
  conn: HostConnection,
  ref: string,
  timeoutMs: number,
): Promise<InspectedContainer | undefined> {
  const c = dockerInspect([ref], INSPECT_FORMAT);
  const r = await conn.exec(c.argv, { allowFailure: true, timeoutMs, what: `docker inspect ${ref}` });
  if (r.code !== 0) {
    if (/No such (object|container)/i.test(r.stderr)) return undefined;
    throw containerError(
      conn.hostName,
      `\`docker inspect ${ref}\` failed (exit ${r.code}): ${r.stderr.trim()}`,
    );
  }
  const parsed = parseInspectLine(r.stdout);
  if (!parsed)
    throw containerError(conn.hostName, `unexpected \`docker inspect ${ref}\` output: ${r.stdout.trim()}`);
  return parsed;
}

/** Per-process cache of each host's `weave dns-args` (one helper-container call per host per run). */
const DNS_ARGS_SLOT = "__weaveLabDnsArgs";

function dnsArgsCache(): Map<string, Promise<string[]>> {
  const g = globalThis as Record<string, unknown>;
  let m = g[DNS_ARGS_SLOT] as Map<string, Promise<string[]>> | undefined;
  if (!m) {
    m = new Map();
    g[DNS_ARGS_SLOT] = m;
  }
  return m;
}

/**
 * The words of `weave dns-args` for the host (`--dns=<ip>`, `--dns-search=<domain>.`), run once
 * per host and process and parsed, so they reach `docker run` as argv elements, never through a
 * shell. Empty when the router has DNS off.
 */
export async function dnsArgsOf(
  conn: HostConnection,
  w: ContainerWeave,
  timeoutMs: number,
): Promise<string[]> {
  const key = `${conn.hostName}\u0000${w.scriptPath}`;
  const cache = dnsArgsCache();
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const c = cli(w).dnsArgs();
      const r = await conn.exec(c.argv, {
        env: c.env,
        timeoutMs,
        what: "weave dns-args (the router's DNS address)",
      });
      const parsed = parseDnsArgs(r.stdout);
      if (parsed.unparsed.length > 0) {
        throw containerError(
          conn.hostName,
          `cannot read \`weave dns-args\` output ${JSON.stringify(r.stdout)}`,
        );
      }
      const out: string[] = [];
      if (parsed.value.dns) out.push(`--dns=${parsed.value.dns}`);
      if (parsed.value.search) out.push(`--dns-search=${parsed.value.search}`);
      return out;
    })();
    cache.set(key, p);
    // A failure is not remembered: the next container on the host asks again.
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Forget cached `dns-args` (tests; a relaunched router may listen elsewhere). */
export function clearDnsArgsCache(): void {
  dnsArgsCache().clear();
}

/** What `weave ps <id>` says about one container: MAC and CIDRs (none when not attached). */
export async function weaveAddresses(
  conn: HostConnection,
  w: ContainerWeave,
  id: string,
  timeoutMs: number,
): Promise<{ mac: string; cidrs: string[] } | undefined> {
  const c = cli(w).ps([id]);
  const r = await conn.exec(c.argv, {
    env: c.env,
    allowFailure: true,
    timeoutMs,
    what: `weave ps ${id.slice(0, 12)}`,
  });
  if (r.code !== 0) {
    throw containerError(
      conn.hostName,
      `\`weave ps ${id.slice(0, 12)}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`,
    );
  }
  const entry = parsePs(r.stdout).value.find((e) => !e.isExpose);
  return entry ? { mac: entry.mac, cidrs: entry.cidrs } : undefined;
}

/** The address the router's IPAM holds for a container (`GET /ip/<id>`, milliseconds); [] when none. */
export async function ipamAddresses(
  conn: HostConnection,
  id: string,
  timeoutMs = 10_000,
): Promise<string[] | undefined> {
  try {
    const r = await conn.http("GET", `/ip/${id}`, { timeoutMs });
    if (r.status !== 200) return undefined;
    return r.body.split(/\s+/).filter(Boolean);
  } catch (e) {
    if ((e as Error).name === "RemoteConnectError" || (e as Error).name === "HostKeyMismatchError") throw e;
    return undefined;
  }
}

function outputsOf(inputs: ContainerInputs, extra: Partial<ContainerOutputs>): ContainerOutputs {
  return {
    ...inputs,
    containerId: "",
    ip: "",
    cidr: "",
    mac: "",
    status: "running",
    statusDetail: "running",
    ...extra,
  };
}

const stripPrefix = (cidr: string): string => cidr.replace(/\/.*$/, "");

/**
 * Create: remove a half-created container of ours with the same name (a failed earlier create),
 * refuse to touch a container we did not create, run, attach, add extra names, observe.
 */
export async function createContainer(env: OpsEnv, inputs: ContainerInputs): Promise<ContainerOutputs> {
  const conn = env.connect(inputs.connection);
  const t = inputs.timeouts.commandMs;
  const existing = await inspectContainer(conn, inputs.name, t);
  if (existing) {
    if (existing.labels[LABEL_KEY] !== inputs.key || existing.labels[LABEL_LAB] !== inputs.lab) {
      throw containerError(
        inputs.host,
        `a container named ${JSON.stringify(inputs.name)} (${existing.id.slice(0, 12)}, ${existing.state}) exists and was not created by this lab's weave-lab: ` +
          `weave-lab changed nothing. Remove or rename it, or give this lab's container another name.`,
      );
    }
    env.log(`${inputs.host}: removing ${inputs.name} left by an earlier, unfinished create`);
    await removeContainer(env, conn, { ...inputs, extraFqdns: [] }, existing);
  }
  const w = cli(inputs.weave);
  const dnsArgs = inputs.fqdn !== undefined ? await dnsArgsOf(conn, inputs.weave, t) : [];
  const run = dockerRun(planOf(inputs), dnsArgs, {
    labels: { [LABEL_LAB]: inputs.lab, [LABEL_KEY]: inputs.key },
  });
  env.log(`${inputs.host}: docker run ${inputs.name} (${inputs.image})`);
  const r = await conn.exec(run.argv, {
    env: run.env,
    timeoutMs: Math.max(t, 300_000),
    what: `docker run ${inputs.name}`,
  });
  const id = parseRunId(r.stdout);
  if (!id)
    throw containerError(
      inputs.host,
      `docker run ${inputs.name} printed no container id: ${r.stdout.trim() || "(nothing)"}`,
    );

  const attach = w.attach(addressArgs(inputs.addressing), id, { withoutDns: inputs.fqdn === undefined });
  const what =
    inputs.addressing.kind === "static"
      ? `weave attach ${inputs.addressing.cidr} ${inputs.name} (claiming a static address needs the ring)`
      : `weave attach ${inputs.name} (an address from IPAM: waits while the ring has no consensus or no free address)`;
  await conn.exec(attach.argv, { env: attach.env, timeoutMs: inputs.timeouts.attachMs, what });
  for (const fqdn of inputs.extraFqdns) {
    const add = w.dnsAdd([], { containerId: id, fqdn });
    await conn.exec(add.argv, {
      env: add.env,
      timeoutMs: t,
      what: `weave dns-add ${inputs.name} -h ${fqdn}`,
    });
  }
  const addrs = await weaveAddresses(conn, inputs.weave, id, t);
  if (!addrs || addrs.cidrs.length === 0) {
    throw containerError(
      inputs.host,
      `weave attach of ${inputs.name} succeeded but \`weave ps\` shows no address for ${id.slice(0, 12)}`,
    );
  }
  const cidr = addrs.cidrs[0];
  return outputsOf(inputs, { containerId: id, ip: stripPrefix(cidr), cidr, mac: addrs.mac });
}

/**
 * Refresh: Docker says whether the container exists and runs, the router's API whether it still
 * has its address. Undefined when the container is gone (the engine drops it from state).
 */
export async function readContainer(
  env: OpsEnv,
  olds: ContainerOutputs,
): Promise<ContainerOutputs | undefined> {
  const conn = env.connect(olds.connection);
  const t = olds.timeouts.commandMs;
  const c = await inspectContainer(conn, olds.containerId || olds.name, t);
  if (!c || (olds.containerId && c.id !== olds.containerId)) return undefined;
  if (c.state !== "running") {
    return { ...olds, ip: "", cidr: "", status: "stopped", statusDetail: `the container is ${c.state}` };
  }
  const held = await ipamAddresses(conn, c.id);
  if (held === undefined) {
    // The router does not answer: say so, keep what we knew.
    return { ...olds, statusDetail: "running; the router's API did not answer, address not re-checked" };
  }
  if (held.length === 0) {
    return {
      ...olds,
      ip: "",
      cidr: "",
      status: "detached",
      statusDetail: "running but detached from the Weave network (no address in IPAM)",
    };
  }
  const cidr = held.includes(olds.cidr) ? olds.cidr : held[0];
  return { ...olds, ip: stripPrefix(cidr), cidr, status: "running", statusDetail: "running" };
}

/** Update in place: only the extra DNS names (and connection/timeouts, which need no action). */
export async function updateContainer(
  env: OpsEnv,
  olds: ContainerOutputs,
  news: ContainerInputs,
): Promise<ContainerOutputs> {
  const conn = env.connect(news.connection);
  const t = news.timeouts.commandMs;
  const w = cli(news.weave);
  const { add, remove } = extraNameChanges(olds.extraFqdns ?? [], news.extraFqdns);
  for (const fqdn of remove) {
    const c = w.dnsRemove([], { containerId: olds.containerId, fqdn });
    await conn.exec(c.argv, { env: c.env, timeoutMs: t, what: `weave dns-remove ${news.name} -h ${fqdn}` });
  }
  for (const fqdn of add) {
    const c = w.dnsAdd([], { containerId: olds.containerId, fqdn });
    await conn.exec(c.argv, { env: c.env, timeoutMs: t, what: `weave dns-add ${news.name} -h ${fqdn}` });
  }
  if (add.length + remove.length > 0)
    env.log(`${news.host}: ${news.name}: DNS names +[${add.join(", ")}] -[${remove.join(", ")}]`);
  return {
    ...olds,
    ...news,
    containerId: olds.containerId,
    ip: olds.ip,
    cidr: olds.cidr,
    mac: olds.mac,
    status: olds.status,
    statusDetail: olds.statusDetail,
  };
}

/**
 * Delete: extra names off, `weave detach` (frees the IPAM address and the container's DNS
 * entries), then `docker rm -f`. Tolerant of a half-created container (no id recorded, never
 * attached, already stopped or already gone).
 */
export async function deleteContainer(env: OpsEnv, olds: ContainerOutputs): Promise<void> {
  const conn = env.connect(olds.connection);
  const c = await inspectContainer(conn, olds.containerId || olds.name, olds.timeouts.commandMs);
  if (!c) return;
  if (!olds.containerId && (c.labels[LABEL_KEY] !== olds.key || c.labels[LABEL_LAB] !== olds.lab)) {
    // Never recorded as ours, and not labelled ours: not ours to remove.
    return;
  }
  await removeContainer(env, conn, olds, c);
}

async function removeContainer(
  env: OpsEnv,
  conn: HostConnection,
  olds: Pick<ContainerInputs, "name" | "host" | "weave" | "timeouts" | "extraFqdns">,
  c: InspectedContainer,
): Promise<void> {
  const t = olds.timeouts.commandMs;
  const w = cli(olds.weave);
  if (c.state === "running") {
    for (const fqdn of olds.extraFqdns) {
      const r = w.dnsRemove([], { containerId: c.id, fqdn });
      await conn.exec(r.argv, {
        env: r.env,
        allowFailure: true,
        timeoutMs: t,
        what: `weave dns-remove ${olds.name} -h ${fqdn}`,
      });
    }
    const d = w.detach([], c.id);
    const res = await conn.exec(d.argv, {
      env: d.env,
      allowFailure: true,
      timeoutMs: t,
      what: `weave detach ${olds.name}`,
    });
    // Never attached ("Link not found") or the router is gone: nothing to free, go on.
    if (res.code !== 0)
      env.log(
        `${olds.host}: weave detach ${olds.name}: ${(res.stderr || res.stdout).trim() || `exit ${res.code}`} (continuing)`,
      );
  }
  const rm = dockerRm([c.id], { force: true });
  const r = await conn.exec(rm.argv, {
    env: rm.env,
    allowFailure: true,
    timeoutMs: t,
    what: `docker rm -f ${olds.name}`,
  });
  if (r.code !== 0 && !/No such container/i.test(r.stderr)) {
    throw containerError(
      olds.host,
      `\`docker rm -f ${olds.name}\` failed (exit ${r.code}): ${r.stderr.trim()}`,
    );
  }
}

/**
 * What a name resolves to from inside a container (`docker exec <c> getent hosts <name>`): the
 * addresses, sorted; [] when the name does not resolve. This is the textbook's `ping web1` from
 * web2, minus the ping.
 */
export async function resolveFrom(
  conn: HostConnection,
  container: string,
  name: string,
  timeoutMs = 15_000,
): Promise<string[]> {
  const r = await conn.exec(["docker", "exec", container, "getent", "hosts", name], {
    allowFailure: true,
    timeoutMs,
    what: `getent hosts ${name} inside ${container}`,
  });
  // getent: exit 2 = not found.
  if (r.code === 2) return [];
  if (r.code !== 0) {
    throw containerError(
      conn.hostName,
      `\`docker exec ${container} getent hosts ${name}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`,
    );
  }
  return parseGetentHosts(r.stdout);
}

/** `getent hosts` lines (`<ip> <name> [aliases]`) → sorted unique IPv4 addresses. */
export function parseGetentHosts(text: string): string[] {
  const ips = new Set<string>();
  for (const line of text.split("\n")) {
    const ip = line.trim().split(/\s+/)[0];
    if (ip && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) ips.add(ip);
  }
  return [...ips].sort();
}

/**
 * Waits until `name` resolves from `container` to exactly `expected` (order ignored), or fails
 * after `deadlineMs` saying what it saw last. DNS gossip between peers takes a moment.
 */
export async function expectResolves(
  conn: HostConnection,
  container: string,
  name: string,
  expected: string[],
  deadlineMs = 15_000,
): Promise<string[]> {
  const want = [...expected].sort();
  const until = Date.now() + deadlineMs;
  let seen: string[] = [];
  for (;;) {
    seen = await resolveFrom(conn, container, name);
    if (same(seen, want)) return seen;
    if (Date.now() > until) {
      throw containerError(
        conn.hostName,
        `${name} resolves from ${container} to [${seen.join(", ")}], expected [${want.join(", ")}] (waited ${deadlineMs} ms for weaveDNS)`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
