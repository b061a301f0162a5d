/**
 * The data-plane probes: from inside the lab's containers (`docker exec` over SSH, argv only),
 * every container pings every other container's Weave address, and one container per host looks
 * up every declared name. What to expect and how to read the answers is pure
 * (`dataplane-matrix.ts`); this file only asks.
 *
 * Tools: busybox images have `ping` and `nslookup` but no `getent`; glibc images have `getent`
 * and often neither of the others. A lookup tries `getent hosts` (the container's own resolver
 * path, search domains included) and falls back to `nslookup`; a check whose tool is missing in
 * the image is reported as not verifiable, never as passed or failed.
 */
import type { ConnectParams, HostConnection } from "../remote/types";
import {
  buildMatrix,
  dataPlaneFailureMessage,
  expectedNames,
  lookupKey,
  lookupMatches,
  pingKey,
  pingMatches,
  pingProbes,
  resolverPerHost,
  type DataPlaneMatrix,
  type ExpectedName,
  type LookupOutcome,
  type PingOutcome,
  type PingProbe,
  type ProbeContainer,
} from "./dataplane-matrix";
import { isMissingTool, parseGetent, parseNslookup, type LookupTool } from "../weave/lookup";
import { lookUpName } from "./name-lookup";
import type { OpsEnv } from "./ops-env";

/** A container as the check needs it: the matrix's view plus the id to `docker exec` into. */
export interface DataPlaneContainer extends ProbeContainer {
  /** Docker id (or name) on its host. */
  containerId: string;
}

/** Inputs of the data-plane check. */
export interface DataPlaneInputs {
  lab: string;
  containers: DataPlaneContainer[];
  /** Extra DNS records (`dnsRecords`): names that must resolve to these addresses. */
  records: ExpectedName[];
  /** Secret: SSH parameters per host name. */
  connections: Record<string, ConnectParams>;
  /** How long failing checks are asked again, ms (DNS gossip and first packets take a moment). */
  settleMs: number;
  /** Deadline of each `docker exec`, ms. */
  commandMs: number;
}

/** Outputs: the inputs plus the matrix. */
export interface DataPlaneOutputs extends DataPlaneInputs {
  ok: boolean;
  summary: string;
  matrix: DataPlaneMatrix;
}

/** Seconds each ping waits for its reply. */
export const PING_WAIT_SECONDS = 2;

/** A failed data plane: names every failing pair and name (a factory: see `containerError`). */
export type DataPlaneError = Error & { name: "DataPlaneError"; matrix: DataPlaneMatrix };

export function dataPlaneError(lab: string, matrix: DataPlaneMatrix): DataPlaneError {
  const e = new Error(dataPlaneFailureMessage(lab, matrix)) as DataPlaneError;
  e.name = "DataPlaneError";
  e.matrix = matrix;
  return e;
}

export function isDataPlaneError(e: unknown): e is DataPlaneError {
  return e instanceof Error && e.name === "DataPlaneError";
}

/** Runs `fns` with at most `limit` in flight. */
async function limited<T>(fns: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(fns.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < fns.length) {
      const i = next++;
      out[i] = await fns[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, fns.length) }, worker));
  return out;
}

/** One ping from inside `from` (by id) to `ip`. */
export async function pingFrom(
  conn: HostConnection,
  from: DataPlaneContainer,
  ip: string,
  timeoutMs: number,
): Promise<PingOutcome> {
  const r = await conn.exec(
    ["docker", "exec", from.containerId, "ping", "-c", "1", "-W", String(PING_WAIT_SECONDS), ip],
    { allowFailure: true, timeoutMs, what: `ping ${ip} from inside ${from.name}` },
  );
  if (r.code === 0) return "reached";
  if (isMissingTool(r.code, r.stderr + r.stdout)) return "unverified";
  return "lost";
}

/** Per container: which lookup tools its image lacks, and the first lookup that finds out. */
export interface ToolState {
  missing: Set<LookupTool>;
  firstLookup: Promise<unknown>;
}

/**
 * Looks `name` up from inside `from`: `getent hosts`, else `nslookup`. `tools` remembers per
 * container which tool is missing; the first lookup in a container runs before the others, so
 * each image is found out once.
 */
export async function lookupFrom(
  conn: HostConnection,
  from: DataPlaneContainer,
  name: string,
  timeoutMs: number,
  tools: Map<string, ToolState>,
): Promise<LookupOutcome> {
  const known = tools.get(from.key);
  if (known) {
    await known.firstLookup;
    return lookupWith(conn, from, name, timeoutMs, known.missing);
  }
  const st: ToolState = { missing: new Set(), firstLookup: Promise.resolve() };
  const p = lookupWith(conn, from, name, timeoutMs, st.missing);
  st.firstLookup = p.catch(() => undefined);
  tools.set(from.key, st);
  return p;
}

async function lookupWith(
  conn: HostConnection,
  from: DataPlaneContainer,
  name: string,
  timeoutMs: number,
  gone: Set<LookupTool>,
): Promise<LookupOutcome> {
  const r = await lookUpName(conn, from.containerId, from.name, name, timeoutMs, gone);
  if (!r || r.missing)
    return { ips: [], via: `neither getent nor nslookup in ${from.name}'s image`, unverified: true };
  if (r.tool === "getent") {
    // getent: 0 found, 2 not found; anything else is a failed lookup too, said in `via`.
    const via =
      r.code === 0 || r.code === 2 ? "getent" : `getent (exit ${r.code}: ${(r.stderr || r.stdout).trim()})`;
    return { ips: r.code === 0 ? parseGetent(r.stdout) : [], via };
  }
  const { ips } = parseNslookup(r.stdout);
  // Say what nslookup said when it gave nothing: NXDOMAIN, or no server reachable.
  const said = (r.stdout + r.stderr).trim().split("\n").slice(-2).join(" ").trim();
  return { ips, via: ips.length || !said ? "nslookup" : `nslookup (exit ${r.code}: ${said})` };
}

/**
 * Runs every probe, asks failing ones again until `settleMs` has passed, and returns the matrix.
 * Host failures (SSH) propagate with the host and command named by the transport.
 */
export async function probeDataPlane(env: OpsEnv, inputs: DataPlaneInputs): Promise<DataPlaneMatrix> {
  const byKey = new Map(inputs.containers.map((c) => [c.key, c]));
  const connOf = (host: string): HostConnection => {
    const p = inputs.connections[host];
    if (!p) throw new Error(`data plane: no SSH settings for host ${host}`);
    return env.connect(p);
  };
  const probes = pingProbes(inputs.containers);
  const names = expectedNames(inputs.containers, inputs.records);
  const resolvers = resolverPerHost(inputs.containers);
  const pings = new Map<string, PingOutcome>();
  const lookups = new Map<string, LookupOutcome>();
  const tools = new Map<string, ToolState>();
  const t = inputs.commandMs;

  const lookupJobs = Object.entries(resolvers).flatMap(([host, key]) =>
    names.map((n) => ({ host, from: byKey.get(key)!, n })),
  );
  let pendingPings: PingProbe[] = probes;
  let pendingLookups = lookupJobs;
  const started = Date.now();
  for (let round = 0; ; round++) {
    await limited(
      [
        ...pendingPings.map((p) => async () => {
          const from = byKey.get(p.from)!;
          pings.set(pingKey(p), await pingFrom(connOf(from.host), from, p.ip, t));
        }),
        ...pendingLookups.map((j) => async () => {
          lookups.set(
            lookupKey(j.host, j.n.fqdn),
            await lookupFrom(connOf(j.host), j.from, j.n.fqdn, t, tools),
          );
        }),
      ],
      16,
    );
    // Only a pair that should reach and did not is asked again: an isolation breach is a fact.
    pendingPings = pendingPings.filter(
      (p) => p.expect === "reach" && !pingMatches(p.expect, pings.get(pingKey(p))!),
    );
    pendingLookups = pendingLookups.filter((j) => {
      const l = lookups.get(lookupKey(j.host, j.n.fqdn))!;
      return !l.unverified && !lookupMatches(j.n.ips, l.ips);
    });
    if (pendingPings.length + pendingLookups.length === 0) break;
    if (Date.now() - started >= inputs.settleMs) break;
    if (round === 0)
      env.log(
        `data plane: ${pendingPings.length} pair(s) and ${pendingLookups.length} lookup(s) not as expected yet; asking again for up to ${Math.round(inputs.settleMs / 1000)} s`,
      );
    await env.sleep(1_000);
  }
  return buildMatrix(inputs.containers, probes, pings, names, resolvers, lookups);
}

/** The check as the provider runs it: the matrix when the data plane works, else a named failure. */
export async function runDataPlane(env: OpsEnv, inputs: DataPlaneInputs): Promise<DataPlaneOutputs> {
  const matrix = await probeDataPlane(env, inputs);
  env.log(`data plane: ${matrix.summary}`);
  if (!matrix.ok) throw dataPlaneError(inputs.lab, matrix);
  return { ...inputs, ok: true, summary: matrix.summary, matrix };
}
