/**
 * The program's containers: one WeaveContainer per planned container, created after the
 * network's consensus gate, and their outputs keyed `<host>/<name>`.
 */
import * as pulumi from "@pulumi/pulumi";
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

/** Declares the containers; returns their outputs by key. */
export function declareContainers(
  _network: WeaveNetwork,
  plan: LabPlan,
  _specs: ContainerSpec[],
): pulumi.Output<Record<string, ContainerOutput>> {
  // WeaveContainer (components/container.ts) is being written by another helper; until it lands
  // the program declares none and says so.
  if (plan.containers.length > 0) {
    pulumi.log.warn(
      `weave-lab: ${plan.containers.length} container(s) planned but WeaveContainer is not available yet`,
    );
  }
  return pulumi.output<Record<string, ContainerOutput>>({});
}
