/**
 * What the Container provider does on a host, as plain async functions over `OpsEnv` (no Pulumi):
 * run the container with weaveDNS as its resolver, attach it to the Weave network, register its
 * extra names, observe it, and take it apart again. Decisions (inputs, diff, name changes,
 * parsing) are pure functions in `container-diff.ts`; name lookups from inside a container are
 * in `name-lookup.ts`.
 *
 * Facts used (reference §4, §8.3, §9.4, §9.5): `weave attach` registers
 * `Config.Hostname.Domainname`, blocks while IPAM has no ring (so every call has a deadline),
 * refuses a stopped container (`container <id> not running`) and prints the addresses it gave
 * (no prefix: IPAM's is the default subnet's or the `net:` subnet's, a claim's is its own); a
 * Docker `destroy` event frees the container's addresses at once and its `die` event tombstones
 * every DNS entry this peer made for it, so `docker rm -f` alone takes a container off the network.
 */
import type { ExecResult, HostConnection } from "../remote/types";
import {
  addressArgs,
  dockerInspect,
  dockerLogs,
  dockerRm,
  dockerRun,
  weaveCommands,
  type WeaveCommands,
} from "../weave/commands";
import { parsePs } from "../weave/ps";
import {
  containerError,
  INSPECT_FORMAT,
  LABEL_KEY,
  LABEL_LAB,
  parseAttachOutput,
  parseInspectLine,
  parseRunId,
  prefixOf,
  secretsOf,
  extraNameChanges,
  planOf,
  type ContainerError,
  type InspectedContainer,
} from "./container-diff";
import type { ContainerInputs, ContainerOutputs, ContainerWeave } from "./container-types";
import { dnsArgsOf, dnsArgsScope } from "./dns-args";
import { runningPid } from "./docker-reads";
import { weaveInRouter } from "./in-router";
import { OUTPUT_TAIL_LINES, saidBy, withWeaveAdvice } from "./host-errors";
import { routerGet, type OpsEnv } from "./ops-env";

function cli(w: ContainerWeave): WeaveCommands {
  return weaveCommands({ weave: w });
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
  const r = await routerGet(conn, `/ip/${id}`, { timeoutMs });
  if (r?.status !== 200) return undefined;
  return r.body.split(/\s+/).filter(Boolean);
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

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

const macOf = (r: ExecResult): string | undefined => {
  const mac = r.stdout.trim().toLowerCase();
  return r.code === 0 && MAC.test(mac) ? mac : undefined;
};

/**
 * The MAC of `ethwe` as the kernel shows it inside the container; undefined when it cannot be
 * read. The container's own sysfs is read through its process's root
 * (`/proc/<pid>/root/sys/class/net/ethwe/address`, the pid from Docker's API): one `cat`, tens of
 * milliseconds. `docker exec … cat` (a process in the container, 0.3–0.5 s on a busy host) reads
 * the same file when the API or `/proc` cannot (no API forwarding, a login user who is not root).
 */
export async function ethweMac(
  conn: HostConnection,
  id: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const what = `the MAC of ethwe in ${id.slice(0, 12)}`;
  const pid = await runningPid(conn, id, timeoutMs);
  if (pid !== undefined) {
    const viaProc = await conn.exec(["cat", `/proc/${pid}/root/sys/class/net/ethwe/address`], {
      allowFailure: true,
      timeoutMs,
      what,
    });
    const mac = macOf(viaProc);
    if (mac) return mac;
  }
  return macOf(
    await conn.exec(["docker", "exec", id, "cat", "/sys/class/net/ethwe/address"], {
      allowFailure: true,
      timeoutMs,
      what,
    }),
  );
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
    const l = await conn.exec(dockerLogs(id, { tail: OUTPUT_TAIL_LINES }).argv, {
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

/** Docker's refusal of `docker run --name` when the name is taken (it creates nothing). */
const NAME_TAKEN = /Conflict\. The container name "\/?[^"]*" is already in use/;

/**
 * `docker run` without looking first: a taken name is refused by Docker, which changes nothing.
 * Only then is the name's holder read: our own container left by an unfinished create is removed
 * and the run made once more; anyone else's is refused, and nothing was changed.
 */
async function runClaimingName(
  env: OpsEnv,
  conn: HostConnection,
  inputs: ContainerInputs,
  run: () => Promise<ExecResult>,
): Promise<ExecResult> {
  try {
    return await run();
  } catch (e) {
    if (!NAME_TAKEN.test((e as Error).message)) throw e;
  }
  const existing = await inspectContainer(conn, inputs.name, inputs.timeouts.commandMs);
  if (existing) {
    if (existing.labels[LABEL_KEY] !== inputs.key || existing.labels[LABEL_LAB] !== inputs.lab) {
      throw containerError(
        inputs.host,
        `a container named ${JSON.stringify(inputs.name)} (${existing.id.slice(0, 12)}, ${existing.state}) exists and was not created by this lab's weave-lab: ` +
          `weave-lab changed nothing. Remove or rename it, or give this lab's container another name.`,
      );
    }
    env.log(`${inputs.host}: removing ${inputs.name} left by an earlier, unfinished create`);
    await removeContainer(env, conn, inputs, existing.id);
  }
  return run();
}

/**
 * Create: run (secret env from the transport's secret environment, never argv; a taken name is
 * handled by `runClaimingName`), attach, add extra names, observe. A command that ends at once
 * makes attach fail: the error then says that the command ended, with its exit code and logs.
 */
export async function createContainer(env: OpsEnv, inputs: ContainerInputs): Promise<ContainerOutputs> {
  if (inputs.image.startsWith("-"))
    throw containerError(
      inputs.host,
      `image ${JSON.stringify(inputs.image)} of ${inputs.name} starts with "-": docker run would read it as an option; allowed: an image reference, e.g. "nginx:1.27"`,
    );
  const conn = env.connect(inputs.connection);
  const t = inputs.timeouts.commandMs;
  const dnsArgs =
    inputs.fqdn !== undefined ? await dnsArgsOf(conn, inputs.weave, t, dnsArgsScope(inputs)) : [];
  const secretEnv = inputs.secretEnv ?? {};
  const run = dockerRun(planOf(inputs), dnsArgs, {
    labels: { [LABEL_LAB]: inputs.lab, [LABEL_KEY]: inputs.key },
    inheritEnv: Object.keys(secretEnv),
  });
  env.log(`${inputs.host}: docker run ${inputs.name} (${inputs.image})`);
  const r = await runClaimingName(env, conn, inputs, () =>
    conn.exec(run.argv, {
      env: run.env,
      ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}),
      timeoutMs: Math.max(t, 300_000),
      what: `docker run ${inputs.name}`,
    }),
  );
  const id = parseRunId(r.stdout);
  if (!id)
    throw containerError(
      inputs.host,
      `docker run ${inputs.name} printed no container id: ${saidBy({ ...r, stderr: "" }, secretsOf(inputs))}`,
    );

  try {
    return await attachAndObserve(env, conn, inputs, id);
  } catch (e) {
    // A failed create leaves nothing behind: the engine records no resource, so neither a destroy
    // nor a refresh would find this container. Its death also ends an attach still waiting for an
    // address in the router (Weave's allocator cancels the pending requests of a dead container).
    env.log(`${inputs.host}: removing ${inputs.name} (${id.slice(0, 12)}): its create failed`);
    await removeContainer(env, conn, inputs, id).catch((rmErr: Error) =>
      env.log(`${inputs.host}: could not remove ${inputs.name} (${id.slice(0, 12)}): ${rmErr.message}`),
    );
    throw e;
  }
}

/** After `docker run`: attach, add extra names, read the address and MAC. */
async function attachAndObserve(
  env: OpsEnv,
  conn: HostConnection,
  inputs: ContainerInputs,
  id: string,
): Promise<ContainerOutputs> {
  const t = inputs.timeouts.commandMs;
  const w = cli(inputs.weave);
  const attach = w.attach(addressArgs(inputs.addressing), id, { withoutDns: inputs.fqdn === undefined });
  const what =
    inputs.addressing.kind === "static"
      ? `weave attach ${inputs.addressing.cidr} ${inputs.name} (claiming a static address needs the ring)`
      : `weave attach ${inputs.name} (an address from IPAM: waits while the ring has no consensus or no free address)`;
  let attached;
  try {
    attached = await weaveInRouter(env, conn, attach, { timeoutMs: inputs.timeouts.attachMs, what });
  } catch (e) {
    // It may have ended in between (`container <id> not running`): that is the clearer story.
    const late = await exitedError(conn, inputs, id, t).catch(() => undefined);
    throw late ?? withWeaveAdvice(e);
  }
  for (const fqdn of inputs.extraFqdns) {
    const add = w.dnsAdd([], { containerId: id, fqdn });
    await weaveInRouter(env, conn, add, { timeoutMs: t, what: `weave dns-add ${inputs.name} -h ${fqdn}` });
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
    await weaveInRouter(env, conn, c, { timeoutMs: t, what: `weave dns-remove ${news.name} -h ${fqdn}` });
  }
  for (const fqdn of add) {
    const c = w.dnsAdd([], { containerId: olds.containerId, fqdn });
    await weaveInRouter(env, conn, c, { timeoutMs: t, what: `weave dns-add ${news.name} -h ${fqdn}` });
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
  // A recorded id is ours: `docker rm -f` alone (a container already gone is fine).
  if (olds.containerId) return removeContainer(env, conn, olds, olds.containerId);
  const c = await inspectContainer(conn, olds.name, olds.timeouts.commandMs);
  if (!c) return;
  if (c.labels[LABEL_KEY] !== olds.key || c.labels[LABEL_LAB] !== olds.lab) {
    // Never recorded as ours, and not labelled ours: not ours to remove.
    return;
  }
  await removeContainer(env, conn, olds, c.id);
}

async function removeContainer(
  _env: OpsEnv,
  conn: HostConnection,
  olds: Pick<ContainerInputs, "name" | "host" | "timeouts" | "secretEnv">,
  id: string,
): Promise<void> {
  const rm = dockerRm([id], { force: true });
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
