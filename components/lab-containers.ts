/**
 * The program's containers: one WeaveContainer per planned container and one WeaveDnsRecord per
 * planned record, created after the network's consensus gate, and the containers' outputs keyed
 * `<host>/<name>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { WeaveContainer } from "./container";
import { WeaveDnsRecord } from "./dns-record";
import type { WeaveNetwork } from "./network";
import type { LabPlan } from "./plan/types";
import type { ContainerSpec } from "./spec";

/** A container as the stack outputs show it. */
export interface ContainerOutput {
  name: string;
  host: string;
  id: string;
  ip: string;
  cidr: string;
  mac: string;
  fqdn: string;
}

/** Resource name of a planned container or record: keys hold `/`, names stay readable. */
const resourceName = (key: string): string => key.replace(/\//g, "-");

/** Declares the containers and DNS records of the plan; returns the containers' outputs by key. */
export function declareContainers(
  network: WeaveNetwork,
  plan: LabPlan,
  _specs: ContainerSpec[],
): pulumi.Output<Record<string, ContainerOutput>> {
  // The plan (of the whole spec, validated before any resource) already holds every container.
  const containers = plan.containers.map(
    (c) => [c.key, new WeaveContainer(resourceName(c.key), { network, container: c })] as const,
  );
  for (const r of plan.dnsRecords) {
    new WeaveDnsRecord(`dns-${resourceName(r.key)}`, { network, record: r });
  }
  return pulumi.all(
    Object.fromEntries(
      containers.map(([key, c]) => [
        key,
        pulumi
          .all([c.containerId, c.ip, c.cidr, c.mac, c.fqdn, c.host])
          .apply(([id, ip, cidr, mac, fqdn, host]): ContainerOutput => ({
            name: c.name,
            host,
            id,
            ip,
            cidr,
            mac,
            fqdn,
          })),
      ]),
    ),
  );
}
