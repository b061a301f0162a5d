/**
 * The program's containers: one WeaveContainer per planned container and one WeaveDnsRecord per
 * planned record, created after the network's consensus gate, and the containers' outputs keyed
 * `<host>/<name>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { WeaveContainer } from "./container";
import { declareDataPlaneCheck } from "./dataplane";
import { WeaveDnsRecord } from "./dns-record";
import type { WeaveNetwork } from "./network";
import type { LabPlan } from "./plan/types";
import type { ContainerSpec } from "./spec";
import type { DataPlaneMatrix } from "./status/matrix";

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
  specs: ContainerSpec[],
): pulumi.Output<Record<string, ContainerOutput>> {
  return declareLabContainers(network, plan, specs).containers;
}

/**
 * `declareContainers` plus the data-plane check after them; returns the containers' outputs and
 * the check's matrix (a stack output).
 */
export function declareLabContainers(
  network: WeaveNetwork,
  plan: LabPlan,
  _specs: ContainerSpec[],
): {
  containers: pulumi.Output<Record<string, ContainerOutput>>;
  dataPlane: pulumi.Output<DataPlaneMatrix>;
} {
  // The plan (of the whole spec, validated before any resource) already holds every container.
  const containers = plan.containers.map(
    (c) => [c.key, new WeaveContainer(resourceName(c.key), { network, container: c })] as const,
  );
  const records = plan.dnsRecords.map(
    (r) => new WeaveDnsRecord(`dns-${resourceName(r.key)}`, { network, record: r }),
  );
  const check = declareDataPlaneCheck(
    "dataplane",
    network,
    plan,
    containers.map(([, c]) => c),
    [...containers.map(([, c]) => c), ...records],
  );
  const outputs = pulumi.all(
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
  return { containers: outputs, dataPlane: check.matrix };
}
