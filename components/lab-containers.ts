/**
 * The program's containers: one WeaveContainer per planned container and one WeaveDnsRecord per
 * planned record, each created once its host's router can serve it (see `plan/start-after.ts`),
 * and the containers' outputs keyed `<host>/<name>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { WeaveContainer } from "./container";
import { declareDataPlaneCheck } from "./dataplane";
import { WeaveDnsRecord } from "./dns-record";
import type { WeaveNetwork } from "./network";
import type { LabPlan } from "./model/plan";
import type { ContainerSpec } from "./spec";
import type { DataPlaneMatrix } from "./providers/dataplane-matrix";

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
  opts: LabContainersOptions = {},
): pulumi.Output<Record<string, ContainerOutput>> {
  return declareLabContainers(network, plan, specs, opts).containers;
}

/** Options of {@link declareLabContainers}. */
export interface LabContainersOptions {
  /**
   * Environment with secret values, by container key (`<host>/<name>`): never in argv, logs,
   * errors or plain state (see `WeaveContainerArgs.secretEnv`). Defaults to none.
   */
  secretEnv?: Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>;
}

/**
 * `declareContainers` plus the data-plane check after them; returns the containers' outputs and
 * the check's matrix (a stack output).
 */
export function declareLabContainers(
  network: WeaveNetwork,
  plan: LabPlan,
  _specs: ContainerSpec[],
  opts: LabContainersOptions = {},
): {
  containers: pulumi.Output<Record<string, ContainerOutput>>;
  dataPlane: pulumi.Output<DataPlaneMatrix>;
} {
  const strays = Object.keys(opts.secretEnv ?? {}).filter((k) => !plan.containers.some((c) => c.key === k));
  if (strays.length > 0)
    throw new Error(
      `secretEnv names containers the plan does not have: ${strays.join(", ")}; allowed: ${plan.containers.map((c) => c.key).join(", ") || "(no containers)"}`,
    );
  // The plan (of the whole spec, validated before any resource) already holds every container.
  const containers = plan.containers.map((c) => {
    const secretEnv = opts.secretEnv?.[c.key];
    const args = { network, container: c, ...(secretEnv !== undefined ? { secretEnv } : {}) };
    return [c.key, new WeaveContainer(resourceName(c.key), args)] as const;
  });
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
