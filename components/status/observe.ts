/**
 * `weave-lab status`, the thin I/O part: reads every host over the pooled SSH transport — the
 * router container (`docker inspect weave`), its `/report` through the API forward (the same
 * reader the consensus gate uses), the lab's labelled containers (`docker ps` + `docker
 * inspect`), and `weave ps` — and, for `--verify`, runs the data-plane probes. Every command is
 * an argv; errors come from the transport, which names the host and the command.
 */
import type { HostPlan, LabPlan } from "../model/plan";
import type { ConnectParams, HostConnection } from "../remote/types";
import type { LabSpec } from "../spec";
import { dockerInspect, dockerPs, weaveCommands } from "../weave/commands";
import { parsePs } from "../weave/ps";
import { connectParamsFor, type HostSecrets } from "../providers/inputs";
import { fetchReport, inspectRouterContainer } from "../providers/router-read";
import { INSPECT_FORMAT, LABEL_LAB, parseInspectLine, weaveOf } from "../providers/container-diff";
import { probeDataPlane, type DataPlaneContainer } from "../providers/dataplane-ops";
import type { OpsEnv } from "../providers/ops-env";
import type { HostLive, LabStatus, LiveContainer } from "./compare";
import type { DataPlaneMatrix } from "../providers/dataplane-matrix";

/** Environment variable naming a private key file, used for hosts whose spec gives no key. */
export const KEY_FILE_ENV = "WEAVE_LAB_SSH_KEY_FILE";
/** Environment variable with that key's passphrase. */
export const PASSPHRASE_ENV = "WEAVE_LAB_SSH_PASSPHRASE";

/**
 * SSH parameters per host: the spec's own `ssh` settings (a key given inline in the spec file),
 * else the key file named by `$WEAVE_LAB_SSH_KEY_FILE`, else the agent (`$SSH_AUTH_SOCK`).
 */
export function statusConnections(
  plan: LabPlan,
  spec: LabSpec,
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): Record<string, ConnectParams> {
  let fileKey: string | undefined;
  const keyFile = env[KEY_FILE_ENV];
  if (keyFile) {
    try {
      fileKey = readFile(keyFile);
    } catch (e) {
      throw new Error(`cannot read the key file named by ${KEY_FILE_ENV}: ${(e as Error).message}`);
    }
  }
  const out: Record<string, ConnectParams> = {};
  for (const h of plan.hosts) {
    const s = spec.hosts.find((x) => x.name === h.name)?.ssh ?? {};
    const secrets: HostSecrets = {
      privateKey: s.privateKey ?? fileKey,
      passphrase: s.passphrase ?? (s.privateKey === undefined ? env[PASSPHRASE_ENV] : undefined),
      hostKey: s.hostKey,
      ...(s.jumpHost ? { jumpHost: { privateKey: s.jumpHost.privateKey, hostKey: s.jumpHost.hostKey } } : {}),
    };
    out[h.name] = connectParamsFor(h, secrets);
  }
  return out;
}

/** Everything `status` reads from one host; SSH failures become `unreachable` with the transport's words. */
export async function observeHost(
  conn: HostConnection,
  plan: LabPlan,
  host: HostPlan,
  timeoutMs = 15_000,
): Promise<HostLive> {
  try {
    const router = await inspectRouterContainer(conn, timeoutMs);
    const report = router.state === "running" ? await fetchReport(conn, timeoutMs) : undefined;
    const ps = dockerPs({ all: true, filters: { label: `${LABEL_LAB}=${plan.name}` }, format: "{{.ID}}" });
    const listed = await conn.exec(ps.argv, {
      env: ps.env,
      timeoutMs,
      what: "docker ps of the lab's containers",
    });
    const ids = listed.stdout
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean);
    const containers: LiveContainer[] = [];
    if (ids.length > 0) {
      const insp = dockerInspect(ids, INSPECT_FORMAT);
      const r = await conn.exec(insp.argv, {
        env: insp.env,
        allowFailure: true,
        timeoutMs,
        what: "docker inspect of the lab's containers",
      });
      // A container removed between the two calls is simply gone; the others are still listed.
      for (const line of r.stdout.split("\n")) {
        const c = parseInspectLine(line);
        if (c) containers.push(c);
      }
    }
    let attached: HostLive["attached"];
    if (router.state === "running") {
      const c = weaveCommands({ weave: weaveOf(plan.network.weave) }).ps();
      const r = await conn.exec(c.argv, { env: c.env, allowFailure: true, timeoutMs, what: "weave ps" });
      if (r.code === 0) attached = parsePs(r.stdout).value;
    }
    return {
      host: host.name,
      router: router.state,
      ...(report ? { report } : {}),
      containers,
      ...(attached ? { attached } : {}),
    };
  } catch (e) {
    const msg = String((e as Error).message ?? e);
    return {
      host: host.name,
      unreachable: msg.startsWith(`${host.name}:`) ? msg.slice(host.name.length + 1).trim() : msg,
      router: "absent",
      containers: [],
    };
  }
}

/** Reads every host concurrently. */
export async function observeLab(
  env: Pick<OpsEnv, "connect">,
  plan: LabPlan,
  connections: Record<string, ConnectParams>,
  timeoutMs?: number,
): Promise<HostLive[]> {
  return Promise.all(
    plan.hosts.map((h) => observeHost(env.connect(connections[h.name]), plan, h, timeoutMs)),
  );
}

/** The data-plane check's containers from what status found: planned, running, with an address. */
export function verifyTargets(plan: LabPlan, status: LabStatus): DataPlaneContainer[] {
  const out: DataPlaneContainer[] = [];
  for (const c of plan.containers) {
    const row = status.hosts.find((h) => h.name === c.host)?.containers.find((x) => x.key === c.key);
    if (!row || row.state !== "running" || !row.id) continue;
    out.push({
      key: c.key,
      name: c.name,
      host: c.host,
      containerId: row.id,
      cidr: row.cidrs[0] ?? "",
      names: [...(c.fqdn !== undefined ? [c.fqdn] : []), ...c.extraFqdns],
      usesWeaveDns: c.fqdn !== undefined,
    });
  }
  return out;
}

/** `status --verify`: the same probes as the DataPlaneCheck of `up`, once, without settling long. */
export function verifyLab(
  env: OpsEnv,
  plan: LabPlan,
  status: LabStatus,
  connections: Record<string, ConnectParams>,
  settleMs = 10_000,
): Promise<DataPlaneMatrix> {
  return probeDataPlane(env, {
    lab: plan.name,
    containers: verifyTargets(plan, status),
    records: plan.dnsRecords.map((r) => ({ fqdn: r.fqdn, ips: r.ips })),
    connections,
    settleMs,
    commandMs: 15_000,
  });
}
