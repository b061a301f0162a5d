/**
 * The resources the containers layer declares, for the engine-like harness: one Container per
 * planned container and one DnsRecord per planned record, all after the consensus gate, with the
 * same inputs `WeaveContainer` / `WeaveDnsRecord` pass (plain values instead of Outputs).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { LabPlan } from "../../components/plan/types";
import { containerInputs } from "../../components/providers/container-ops";
import { containerProvider } from "../../components/providers/container";
import type { ContainerTimeouts } from "../../components/providers/container-types";
import { dnsRecordProvider } from "../../components/providers/dns-record";
import { dnsRecordInputs } from "../../components/dns-record";
import type { LabSpec } from "../../components/spec";
import type { DesiredResource } from "./engine";
import { connectionsOf, GATE, networkResources, type NetworkResourcesOptions } from "./network";

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
    dependsOn: [GATE],
    inputs: containerInputs(plan, c, conns[c.host], opts.containerTimeouts) as unknown as Record<
      string,
      unknown
    >,
  }));
  const records: DesiredResource[] = plan.dnsRecords.map((r) => ({
    name: dnsRecordName(r.key),
    provider: opts.dnsRecordProvider ?? dnsRecordProvider,
    dependsOn: [GATE],
    inputs: dnsRecordInputs(plan, r, conns[r.host]) as unknown as Record<string, unknown>,
  }));
  return { plan, resources: [...resources, ...containers, ...records] };
}
