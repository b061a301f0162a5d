/**
 * The resources the containers layer declares, for the engine-like harness: one Container per
 * planned container and one DnsRecord per planned record, each after what the components make it
 * wait for (its host's router or the consensus gate, `plan/start-after.ts`), with the same inputs `WeaveContainer` / `WeaveDnsRecord` pass (plain values instead of Outputs).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { LabPlan } from "../../components/model/plan";
import { containerStartsAfter, type StartAfter } from "../../components/plan/start-after";
import { containerInputs } from "../../components/providers/container-diff";
import { containerProvider } from "../../components/providers/container";
import type { ContainerTimeouts } from "../../components/providers/container-types";
import { dnsRecordProvider } from "../../components/providers/dns-record";
import { dnsRecordInputs } from "../../components/dns-record";
import type { LabSpec } from "../../components/spec";
import type { DesiredResource } from "./engine";
import { connectionsOf, GATE, networkResources, routerName, type NetworkResourcesOptions } from "./network";

/** Name of a container resource in the harness (`container-<host>/<name>`). */
export const containerName = (key: string): string => `container-${key}`;
/** Name of a DNS record resource in the harness. */
export const dnsRecordName = (key: string): string => `dns-${key}`;

export interface LabResourcesOptions extends NetworkResourcesOptions {
  containerTimeouts?: Partial<ContainerTimeouts>;
  containerProvider?: pulumi.dynamic.ResourceProvider;
  dnsRecordProvider?: pulumi.dynamic.ResourceProvider;
  /** Declare only the network (e.g. to destroy the containers and keep the routers). */
  networkOnly?: boolean;
}

/** The harness resource a container or record waits for, by the components' own rule. */
const startsAfterName = (s: StartAfter): string => (s.kind === "router" ? routerName(s.host) : GATE);

/** Everything a whole lab spec declares: routers, gate, containers, DNS records. */
export function labResources(
  spec: LabSpec,
  opts: LabResourcesOptions = {},
): { plan: LabPlan; resources: DesiredResource[] } {
  const { plan, resources } = networkResources(spec, opts);
  if (opts.networkOnly) return { plan, resources };
  const conns = connectionsOf(plan, spec);
  const containers: DesiredResource[] = plan.containers.map((c) => ({
    name: containerName(c.key),
    provider: opts.containerProvider ?? containerProvider,
    dependsOn: [startsAfterName(containerStartsAfter(plan, c))],
    inputs: containerInputs(plan, c, conns[c.host], opts.containerTimeouts) as unknown as Record<
      string,
      unknown
    >,
  }));
  const records: DesiredResource[] = plan.dnsRecords.map((r) => ({
    name: dnsRecordName(r.key),
    provider: opts.dnsRecordProvider ?? dnsRecordProvider,
    dependsOn: [routerName(r.host)],
    inputs: dnsRecordInputs(plan, r, conns[r.host]) as unknown as Record<string, unknown>,
  }));
  return { plan, resources: [...resources, ...containers, ...records] };
}
