/**
 * `weave-lab:DnsRecord`: an extra weaveDNS record (`weave dns-add <ips> -h <fqdn>` on one host,
 * registered under `weave:extern`), as a Pulumi dynamic resource. Weave keeps DNS entries in
 * memory only: a record vanishes when the router that added it stops, so `read` reports it gone
 * and the next `up` adds it again.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostConnection } from "../remote/types";
import { weaveCommands } from "../weave/commands";
import type { DnsRecordInputs, DnsRecordOutputs } from "./container-types";
import { saidBy } from "./host-errors";
import { weaveInRouter } from "./in-router";
import { routerGet, type OpsEnv, shimOf } from "./ops-env";
import { opsProvider } from "./ops-provider";
import { containsUnknown, isUnknown } from "./unknowns";

/** Type token of the dynamic resource (users' state: never change it). */
export const DNS_RECORD_RESOURCE_TYPE = "pulumi-nodejs:dynamic/weave-lab:DnsRecord";

/** One entry of the router's `GET /name` (JSON). */
export interface DnsEntry {
  ContainerID: string;
  Addr: string;
  Hostname: string;
  Tombstone: number;
}

/** Names compare case-insensitively and without the trailing dot (Weave stores either form). */
export const normaliseName = (n: string): string => n.toLowerCase().replace(/\.$/, "");

/** Live addresses of `fqdn` in a `/name` listing, sorted; `origin` limits to one container id. */
export function addressesOf(entries: DnsEntry[], fqdn: string, containerId?: string): string[] {
  const want = normaliseName(fqdn);
  const ips = entries
    .filter(
      (e) =>
        !e.Tombstone &&
        normaliseName(e.Hostname) === want &&
        (containerId === undefined || e.ContainerID === containerId),
    )
    .map((e) => e.Addr);
  return [...new Set(ips)].sort();
}

/** The router's DNS table through the API forward; undefined when it does not answer. */
export async function dnsEntries(conn: HostConnection, timeoutMs = 10_000): Promise<DnsEntry[] | undefined> {
  const r = await routerGet(conn, "/name", { headers: { Accept: "application/json" }, timeoutMs });
  if (r?.status !== 200) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body);
  } catch {
    return undefined;
  }
  return Array.isArray(parsed) ? (parsed as DnsEntry[]) : [];
}

/** Fields whose change moves the record (replace). */
export const DNS_RECORD_REPLACE_FIELDS = ["lab", "networkFingerprint", "key", "host", "fqdn"] as const;
/** Fields that change in place (`ips`: dns-remove/dns-add) or need no action. */
export const DNS_RECORD_UPDATE_FIELDS = ["ips", "connection", "weave", "commandMs"] as const;

const sortedIps = (v: unknown): string => JSON.stringify(Array.isArray(v) ? [...v].map(String).sort() : v);

/**
 * The diff: host, name or lab move the record (replace); addresses change in place; a record a
 * refresh found missing is added again. A field holding Pulumi's unknown placeholder anywhere (a
 * preview's "known after apply") counts as changed, never as a failure.
 */
export function diffDnsRecord(
  olds: DnsRecordOutputs,
  news: DnsRecordInputs,
): { changes: boolean; replaces: string[]; updates: string[]; deleteBeforeReplace: boolean } {
  const o = olds as unknown as Record<string, unknown>;
  const n = news as unknown as Record<string, unknown>;
  const changed = (f: string): boolean =>
    containsUnknown(n[f]) ||
    (f === "ips" ? sortedIps(o[f]) !== sortedIps(n[f]) : JSON.stringify(o[f]) !== JSON.stringify(n[f]));
  const replaces: string[] = DNS_RECORD_REPLACE_FIELDS.filter(changed);
  const updates: string[] = DNS_RECORD_UPDATE_FIELDS.filter(changed);
  if (olds.present === false && !updates.includes("ips")) updates.push("present");
  return {
    changes: replaces.length + updates.length > 0,
    replaces,
    updates,
    deleteBeforeReplace: true,
  };
}

async function edit(
  env: OpsEnv,
  conn: HostConnection,
  i: DnsRecordInputs,
  cmd: "dnsAdd" | "dnsRemove",
  ips: string[],
  allowFailure = false,
): Promise<void> {
  if (ips.length === 0) return;
  const c = weaveCommands({ weave: i.weave })[cmd](ips, { fqdn: i.fqdn });
  const r = await weaveInRouter(env, conn, c, {
    allowFailure,
    timeoutMs: i.commandMs,
    what: `weave ${cmd === "dnsAdd" ? "dns-add" : "dns-remove"} ${ips.join(" ")} -h ${i.fqdn}`,
  });
  if (r.code !== 0) env.log(`${i.host}: weave ${cmd} ${i.fqdn}: ${saidBy(r)} (continuing)`);
}

async function observe(
  conn: HostConnection,
  i: DnsRecordInputs,
): Promise<{ ours: string[]; resolved: string[] } | undefined> {
  const entries = await dnsEntries(conn);
  if (!entries) return undefined;
  return { ours: addressesOf(entries, i.fqdn, "weave:extern"), resolved: addressesOf(entries, i.fqdn) };
}

export async function createDnsRecord(env: OpsEnv, inputs: DnsRecordInputs): Promise<DnsRecordOutputs> {
  const conn = env.connect(inputs.connection);
  env.log(`${inputs.host}: weave dns-add ${inputs.ips.join(" ")} -h ${inputs.fqdn}`);
  await edit(env, conn, inputs, "dnsAdd", inputs.ips);
  const seen = await observe(conn, inputs);
  // dns-add ignores router errors (|| true) and names outside the domain: check it took.
  if (seen && !inputs.ips.every((ip) => seen.ours.includes(ip))) {
    throw new Error(
      `${inputs.host}: weave dns-add ${inputs.ips.join(" ")} -h ${inputs.fqdn} exited 0 but the router lists [${seen.ours.join(", ")}] for it: is ${inputs.fqdn} inside the lab's DNS domain?`,
    );
  }
  return { ...inputs, resolved: seen?.resolved ?? [...inputs.ips].sort(), present: true };
}

export async function readDnsRecord(
  env: OpsEnv,
  olds: DnsRecordOutputs,
): Promise<DnsRecordOutputs | undefined> {
  const conn = env.connect(olds.connection);
  const seen = await observe(conn, olds);
  if (!seen) return { ...olds, present: false };
  if (seen.ours.length === 0) return undefined;
  return { ...olds, resolved: seen.resolved, present: olds.ips.every((ip) => seen.ours.includes(ip)) };
}

export async function updateDnsRecord(
  env: OpsEnv,
  olds: DnsRecordOutputs,
  news: DnsRecordInputs,
): Promise<DnsRecordOutputs> {
  const conn = env.connect(news.connection);
  const removed = olds.ips.filter((ip) => !news.ips.includes(ip));
  const added = olds.present === false ? news.ips : news.ips.filter((ip) => !olds.ips.includes(ip));
  await edit(env, conn, news, "dnsRemove", removed);
  await edit(env, conn, news, "dnsAdd", added);
  const seen = await observe(conn, news);
  return { ...news, resolved: seen?.resolved ?? [...news.ips].sort(), present: true };
}

export async function deleteDnsRecord(env: OpsEnv, olds: DnsRecordOutputs): Promise<void> {
  const conn = env.connect(olds.connection);
  // A stopped router has lost the record already: failures are logged, not fatal.
  await edit(env, conn, olds, "dnsRemove", olds.ips, true);
}

/** The provider's checks; Pulumi's unknown placeholder ("known after apply") passes wherever it is. */
export function checkDnsRecordInputs(news: Partial<DnsRecordInputs>): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const k of ["lab", "key", "host", "fqdn", "connection", "weave"] as const) {
    if (news[k] === undefined || news[k] === null || news[k] === "")
      failures.push({ property: k, reason: `${k} is required` });
  }
  if (!isUnknown(news.ips) && (!Array.isArray(news.ips) || news.ips.length === 0))
    failures.push({
      property: "ips",
      reason: `at least one IPv4 address is required, got ${JSON.stringify(news.ips)}`,
    });
  return failures;
}

export const dnsRecordProviderImpl: pulumi.dynamic.ResourceProvider = opsProvider({
  what: "DNS record",
  check: checkDnsRecordInputs,
  diff: diffDnsRecord,
  create: createDnsRecord,
  read: readDnsRecord,
  update: updateDnsRecord,
  delete: deleteDnsRecord,
});

/** What Pulumi serialises into each record's state: a small shim that loads the implementation at run time (`ops-env.ts`). */
export const dnsRecordProvider: pulumi.dynamic.ResourceProvider = shimOf(
  "dnsRecord",
  "dnsRecordProviderImpl",
  dnsRecordProviderImpl,
);

export type DnsRecordArgs = { [K in keyof DnsRecordInputs]: pulumi.Input<DnsRecordInputs[K]> };

/** The dynamic resource behind `WeaveDnsRecord`. */
export class DnsRecordResource extends pulumi.dynamic.Resource {
  declare readonly fqdn: pulumi.Output<string>;
  declare readonly ips: pulumi.Output<string[]>;
  declare readonly resolved: pulumi.Output<string[]>;
  declare readonly present: pulumi.Output<boolean>;

  constructor(name: string, args: DnsRecordArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dnsRecordProvider,
      name,
      { ...args, resolved: undefined, present: undefined },
      { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] },
      "weave-lab",
      "DnsRecord",
    );
  }
}
