/**
 * Wiring of the data-plane proof into a program: one `DataPlaneCheck` after every container and
 * DNS record of the lab, fed with their live ids and addresses, so `up` fails when the routers
 * agree but the containers cannot reach each other or resolve their names.
 */
import * as pulumi from "@pulumi/pulumi";
import type { WeaveContainer } from "./container";
import type { WeaveNetwork } from "./network";
import type { LabPlan } from "./model/plan";
import type { DataPlaneContainer } from "./providers/dataplane-ops";
import { DataPlaneCheck } from "./providers/dataplane";
import type { ConnectParams } from "./remote/types";

/** Deadlines of the check, ms. */
export interface DataPlaneTimeouts {
  /** How long failing checks are asked again (weaveDNS gossip, first packets). Defaults to `30000`. */
  settleMs?: number;
  /** Deadline of each `docker exec`. Defaults to `15000`. */
  commandMs?: number;
}

/** The check's view of one planned container, with its live id and address. */
export function dataPlaneContainer(c: WeaveContainer): pulumi.Output<DataPlaneContainer> {
  const p = c.plan;
  return pulumi.all([c.containerId, c.cidr]).apply(([containerId, cidr]): DataPlaneContainer => ({
    key: p.key,
    name: p.name,
    host: p.host,
    containerId,
    cidr,
    names: [...(p.fqdn !== undefined ? [p.fqdn] : []), ...p.extraFqdns],
    usesWeaveDns: p.fqdn !== undefined,
  }));
}

/** Declares the check after `after` (the lab's containers and records). */
export function declareDataPlaneCheck(
  name: string,
  network: WeaveNetwork,
  plan: LabPlan,
  containers: readonly WeaveContainer[],
  after: pulumi.Resource[],
  timeouts: DataPlaneTimeouts = {},
): DataPlaneCheck {
  const hosts = [...new Set(containers.map((c) => c.plan.host))];
  const connections: pulumi.Output<Record<string, ConnectParams>> = pulumi.secret(
    pulumi.all(Object.fromEntries(hosts.map((h) => [h, network.connectionFor(h)]))),
  );
  return new DataPlaneCheck(
    name,
    {
      lab: plan.name,
      containers: pulumi.all(containers.map(dataPlaneContainer)),
      records: plan.dnsRecords.map((r) => ({ fqdn: r.fqdn, ips: r.ips })),
      connections,
      settleMs: timeouts.settleMs ?? 30_000,
      commandMs: timeouts.commandMs ?? 15_000,
    },
    { dependsOn: [network.gate, ...after] },
  );
}
