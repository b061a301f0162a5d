/**
 * What the Container provider does on a host, as plain async functions over `OpsEnv` (no Pulumi):
 * run the container with weaveDNS as its resolver, attach it to the Weave network, register its
 * extra names, observe it, and take it apart again. Decisions (diff, name changes, parsing) are
 * pure functions beside them.
 *
 * Facts used (reference §4, §8.3, §9.4, §9.5): `weave attach` registers
 * `Config.Hostname.Domainname`, blocks while IPAM has no ring (so every call has a deadline),
 * refuses a stopped container (`container <id> not running`) and prints the addresses it gave
 * (no prefix: IPAM's is the default subnet's or the `net:` subnet's, a claim's is its own); a
 * Docker `destroy` event frees the container's addresses at once and its `die` event tombstones
 * every DNS entry this peer made for it, so `docker rm -f` alone takes a container off the network.
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
import { containsUnknown } from "./unknowns";
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

/** How many trailing lines of a command's output an error or log line carries. */
const OUTPUT_TAIL_LINES = 20;

/**
 * What a command allowed to fail said, fit for an error or a log: its stderr (else stdout), the
 * last lines only, every known secret value replaced by `<secret>` (the transport masks the errors
 * it raises; results handed back with `allowFailure` are raw).
 */
export function saidBy(
  r: { stdout: string; stderr: string; code: number },
  secrets: readonly string[] = [],
): string {
  let text = (r.stderr.trim() ? r.stderr : r.stdout).replace(/\s+$/, "");
  const sorted = [...new Set(secrets.filter((x) => x.length > 0))].sort((a, b) => b.length - a.length);
  for (const x of sorted) text = text.split(x).join("<secret>");
  const lines = text.split("\n");
  const kept = lines.slice(-OUTPUT_TAIL_LINES);
  const dropped = lines.length - kept.length;
  const body = (dropped > 0 ? `[… ${dropped} earlier line(s)]\n` : "") + kept.join("\n");
  return body.trim() ? body : `(no output, exit ${r.code})`;
}

/** The secret values a container's commands may echo back (masked in every error and log). */
export function secretsOf(i: Pick<ContainerInputs, "secretEnv">): string[] {
  return Object.values(i.secretEnv ?? {}).filter((v): v is string => typeof v === "string");
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
    throw containerError(conn.hostName, `\`docker inspect ${ref}\` failed (exit ${r.code}): ${saidBy(r)}`);
  }
  const parsed = parseInspectLine(r.stdout);
  if (!parsed)
    throw containerError(
      conn.hostName,
      `unexpected \`docker inspect ${ref}\` output: ${saidBy({ ...r, stderr: "" })}`,
    );
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
 * Which router a container's `dns-args` come from: the host as reached (name, address, port), the
 * script, and the network's fingerprint (router-wide facts, the DNS domain among them: routers
 * relaunched with another domain give other arguments).
 */
export function dnsArgsScope(
  i: Pick<ContainerInputs, "connection" | "weave" | "networkFingerprint">,
): string {
  const c = i.connection;
  return [
    c.hostName,
    c.host,
    c.port,
    i.weave.scriptPath,
    i.weave.distribution ?? "",
    i.networkFingerprint,
  ].join("\u0000");
}

/**
 * The words of `weave dns-args` for the host (`--dns=<ip>`, `--dns-search=<domain>`), run once
 * per router (`scope`, see `dnsArgsScope`) and process and parsed, so they reach `docker run` as
 * argv elements, never through a shell. Empty when the router has DNS off.
 */
export async function dnsArgsOf(
  conn: HostConnection,
  w: ContainerWeave,
  timeoutMs: number,
  scope = `${conn.hostName}\u0000${w.scriptPath}`,
): Promise<string[]> {
  const key = scope;
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
          `cannot read \`weave dns-args\` output ${JSON.stringify(r.stdout.slice(0, 500))}`,
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
      `\`weave ps ${id.slice(0, 12)}\` failed (exit ${r.code}): ${saidBy(r)}`,
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

/** The MAC of `ethwe` as the kernel shows it inside the container; undefined when it cannot be read. */
export async function ethweMac(
  conn: HostConnection,
  id: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const r = await conn.exec(["docker", "exec", id, "cat", "/sys/class/net/ethwe/address"], {
    allowFailure: true,
    timeoutMs,
    what: `the MAC of ethwe in ${id.slice(0, 12)}`,
  });
  const mac = r.stdout.trim().toLowerCase();
  return r.code === 0 && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) ? mac : undefined;
}

/** `docker inspect` state of a container: `running`, or how it ended. */
export const STATE_FORMAT = "{{.State.Status}} {{.State.ExitCode}}";

/**
 * When the container is not running (its command ended: a container stops when its command does,
 * and `weave attach` then fails with `container <id> not running`), the error that says so: host,
 * container, its command, its exit code and the last lines of its logs (secrets masked).
 * Undefined while it runs.
 */
export async function exitedError(
  conn: HostConnection,
  inputs: Pick<ContainerInputs, "host" | "name" | "image" | "command" | "secretEnv">,
  id: string,
  timeoutMs: number,
): Promise<ContainerError | undefined> {
  const st = await conn.exec(["docker", "inspect", "--format", STATE_FORMAT, id], {
    allowFailure: true,
    timeoutMs,
    what: `the state of ${inputs.name}`,
  });
  const [state, exitCode] = st.stdout.trim().split(/\s+/);
  if (st.code === 0 && state === "running") return undefined;
  const secrets = secretsOf(inputs);
  const command =
    inputs.command.length > 0 ? JSON.stringify(inputs.command) : `the default command of ${inputs.image}`;
  let logs = "(none: the container is gone)";
  if (st.code === 0) {
    const l = await conn.exec(["docker", "logs", "--tail", String(OUTPUT_TAIL_LINES), id], {
      allowFailure: true,
      timeoutMs,
      what: `the logs of ${inputs.name}`,
    });
    const text = [l.stdout, l.stderr]
      .map((x) => x.replace(/\s+$/, ""))
      .filter(Boolean)
      .join("\n");
    logs = text.trim() ? saidBy({ stdout: text, stderr: "", code: l.code }, secrets) : "(the logs are empty)";
  }
  const how =
    st.code !== 0
      ? `is gone (\`docker inspect\`: ${saidBy(st, secrets)})`
      : `is ${state}, exit code ${exitCode}`;
  return containerError(
    inputs.host,
    `container ${inputs.name} (${id.slice(0, 12)}, image ${inputs.image}, command ${command}) ${how}: ` +
      `its command ended right after \`docker run\`, so it cannot join the Weave network ` +
      `(a container runs only as long as its command). Give it a command that keeps running. Last log lines:\n${logs
        .split("\n")
        .map((x) => "    " + x)
        .join("\n")}`,
  );
}

/**
 * Create: remove a half-created container of ours with the same name (a failed earlier create),
 * refuse to touch a container we did not create, run (secret env from the transport's secret
 * environment, never argv), make sure it still runs, attach, add extra names, observe.
 */
export async function createContainer(env: OpsEnv, inputs: ContainerInputs): Promise<ContainerOutputs> {
  if (inputs.image.startsWith("-"))
    throw containerError(
      inputs.host,
      `image ${JSON.stringify(inputs.image)} of ${inputs.name} starts with "-": docker run would read it as an option; allowed: an image reference, e.g. "nginx:1.27"`,
    );
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
    await removeContainer(env, conn, inputs, existing);
  }
  const w = cli(inputs.weave);
  const dnsArgs =
    inputs.fqdn !== undefined ? await dnsArgsOf(conn, inputs.weave, t, dnsArgsScope(inputs)) : [];
  const secretEnv = inputs.secretEnv ?? {};
  const run = dockerRun(planOf(inputs), dnsArgs, {
    labels: { [LABEL_LAB]: inputs.lab, [LABEL_KEY]: inputs.key },
    inheritEnv: Object.keys(secretEnv),
  });
  env.log(`${inputs.host}: docker run ${inputs.name} (${inputs.image})`);
  const r = await conn.exec(run.argv, {
    env: run.env,
    ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}),
    timeoutMs: Math.max(t, 300_000),
    what: `docker run ${inputs.name}`,
  });
  const id = parseRunId(r.stdout);
  if (!id)
    throw containerError(
      inputs.host,
      `docker run ${inputs.name} printed no container id: ${saidBy({ ...r, stderr: "" }, secretsOf(inputs))}`,
    );

  // A command that ends at once leaves nothing to attach: say so before a helper container is spent.
  const ended = await exitedError(conn, inputs, id, t);
  if (ended) throw ended;
  const attach = w.attach(addressArgs(inputs.addressing), id, { withoutDns: inputs.fqdn === undefined });
  const what =
    inputs.addressing.kind === "static"
      ? `weave attach ${inputs.addressing.cidr} ${inputs.name} (claiming a static address needs the ring)`
      : `weave attach ${inputs.name} (an address from IPAM: waits while the ring has no consensus or no free address)`;
  let attached;
  try {
    attached = await conn.exec(attach.argv, { env: attach.env, timeoutMs: inputs.timeouts.attachMs, what });
  } catch (e) {
    // It may have ended in between (`container <id> not running`): that is the clearer story.
    const late = await exitedError(conn, inputs, id, t).catch(() => undefined);
    throw late ?? e;
  }
  for (const fqdn of inputs.extraFqdns) {
    const add = w.dnsAdd([], { containerId: id, fqdn });
    await conn.exec(add.argv, {
      env: add.env,
      timeoutMs: t,
      what: `weave dns-add ${inputs.name} -h ${fqdn}`,
    });
  }
  // attach printed the address; the prefix is the subnet's or the claim's. Only the MAC is read
  // (from the container's own kernel); `weave ps`, a helper container, only when that fails.
  const ips = parseAttachOutput(attached.stdout);
  const wanted = inputs.addressing.kind === "static" ? stripPrefix(inputs.addressing.cidr) : undefined;
  const mac = ips && (!wanted || ips.includes(wanted)) ? await ethweMac(conn, id, t) : undefined;
  if (ips && mac) {
    const ip = wanted ?? ips[0];
    return outputsOf(inputs, { containerId: id, ip, cidr: `${ip}/${prefixOf(inputs.addressing)}`, mac });
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
 * Delete: `docker rm -f` alone. Weave frees a container's addresses on Docker's `destroy` event
 * and tombstones every DNS entry its peer made for it (extra names included) on `die` (reference
 * §8.3, §9.5); a router that is down prunes them when it starts. So no `weave detach` or
 * `dns-remove` (a helper container each, seconds) before a removal. Tolerant of a half-created
 * container (no id recorded, never attached, already stopped or already gone).
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
  _env: OpsEnv,
  conn: HostConnection,
  olds: Pick<ContainerInputs, "name" | "host" | "timeouts" | "secretEnv">,
  c: InspectedContainer,
): Promise<void> {
  const rm = dockerRm([c.id], { force: true });
  const r = await conn.exec(rm.argv, {
    env: rm.env,
    allowFailure: true,
    timeoutMs: olds.timeouts.commandMs,
    what: `docker rm -f ${olds.name}`,
  });
  if (r.code !== 0 && !/No such container/i.test(r.stderr)) {
    throw containerError(
      olds.host,
      `\`docker rm -f ${olds.name}\` failed (exit ${r.code}): ${saidBy(r, secretsOf(olds))}`,
    );
  }
}

/** Docker's answer when the program is not in the image (exit 126/127, "executable file not found"). */
const NOT_IN_IMAGE = /executable file not found|no such file or directory/i;

/** The resolver programs tried in a container, in order: glibc/musl `getent`, then busybox `nslookup`. */
export type ResolverTool = "getent" | "nslookup";

/**
 * What a name resolves to from inside a container: the addresses, sorted; [] when the name does
 * not resolve. `getent hosts` (glibc and musl images) first; busybox images have no `getent`
 * ("executable file not found"), so then busybox's `nslookup`. This is the textbook's `ping web1`
 * from web2, minus the ping. `tool` skips straight to the one known to work.
 */
export async function resolveWith(
  conn: HostConnection,
  container: string,
  name: string,
  timeoutMs = 15_000,
  tool: ResolverTool = "getent",
): Promise<{ ips: string[]; tool: ResolverTool }> {
  if (tool === "getent") {
    const r = await conn.exec(["docker", "exec", container, "getent", "hosts", name], {
      allowFailure: true,
      timeoutMs,
      what: `getent hosts ${name} inside ${container}`,
    });
    // getent: exit 2 = not found.
    if (r.code === 2) return { ips: [], tool };
    if (r.code === 0) return { ips: parseGetentHosts(r.stdout), tool };
    if (!((r.code === 126 || r.code === 127) && NOT_IN_IMAGE.test(r.stderr + r.stdout))) {
      throw containerError(
        conn.hostName,
        `\`docker exec ${container} getent hosts ${name}\` failed (exit ${r.code}): ${saidBy(r)}`,
      );
    }
  }
  const r = await conn.exec(["docker", "exec", container, "nslookup", name], {
    allowFailure: true,
    timeoutMs,
    what: `nslookup ${name} inside ${container}`,
  });
  const parsed = parseNslookup(r.stdout);
  if (r.code === 0 || parsed.notFound) return { ips: parsed.ips, tool: "nslookup" };
  throw containerError(
    conn.hostName,
    `\`docker exec ${container} nslookup ${name}\` failed (exit ${r.code}; the image has no getent either): ${saidBy(
      r.stderr.trim() ? r : { ...r, stderr: r.stdout },
    )}`,
  );
}

/** {@link resolveWith}, addresses only. */
export async function resolveFrom(
  conn: HostConnection,
  container: string,
  name: string,
  timeoutMs = 15_000,
): Promise<string[]> {
  return (await resolveWith(conn, container, name, timeoutMs)).ips;
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
 * busybox `nslookup` output → the answer's IPv4 addresses (sorted, unique), and whether the
 * server said the name does not exist. busybox 1.36 (fixture 08):
 * `Server:\t\t<ip>` / `Address:\t<ip>:53` / blank / `Name:\t<name>` / `Address: <ip>` …;
 * older busybox numbers them (`Address 1: <ip> <name>`). The server block (up to the first blank
 * line after `Server:`) is not part of the answer. `** server can't find <name>: NXDOMAIN` (or
 * `No answer`) means not found.
 */
export function parseNslookup(text: string): { ips: string[]; notFound: boolean } {
  const lines = text.split("\n");
  let from = 0;
  const server = lines.findIndex((l) => /^Server:/.test(l.trim()));
  if (server >= 0) {
    const blank = lines.findIndex((l, i) => i > server && l.trim() === "");
    from = blank >= 0 ? blank : lines.length;
  }
  const ips = new Set<string>();
  for (const line of lines.slice(from)) {
    const m = /^Address(?:\s+\d+)?:\s*(\d{1,3}(?:\.\d{1,3}){3})(?:\s|$)/.exec(line.trim());
    if (m) ips.add(m[1]);
  }
  const notFound = /can't find .*: (NXDOMAIN|No answer)|can't resolve/i.test(text);
  return { ips: [...ips].sort(), notFound: ips.size === 0 && notFound };
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
  let tool: ResolverTool = "getent";
  for (;;) {
    ({ ips: seen, tool } = await resolveWith(conn, container, name, 15_000, tool));
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
