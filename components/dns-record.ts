/**
 * `WeaveDnsRecord`: an extra weaveDNS record (`weave dns-add <ips> -h <fqdn>` on one host), e.g. a
 * name for a host or an address outside the network. Weave keeps it only while that host's router
 * runs; a refresh notices when it is gone and the next `up` adds it again.
 */
import * as pulumi from "@pulumi/pulumi";
import type { WeaveNetwork } from "./network";
import type { DnsRecordPlan, LabPlan } from "./model/plan";
import { DnsRecordResource } from "./providers/dns-record";
import { DEFAULT_CONTAINER_TIMEOUTS } from "./providers/container-types";
import { weaveOf } from "./providers/container-diff";
import type { DnsRecordInputs } from "./providers/container-types";

/** Pulumi type token of the component (users' state: chosen once). */
export const DNS_RECORD_TYPE = "weave-lab:index:DnsRecord";

/** Arguments of {@link WeaveDnsRecord}. */
export interface WeaveDnsRecordArgs {
  /** The network whose DNS gets the record. Required. */
  network: WeaveNetwork;
  /**
   * The record as planned: one of `network.plan.dnsRecords` (names qualified, host defaulted).
   * Give records to `WeaveNetwork`'s `dnsRecords` so they are validated with the lab. Required.
   */
  record: DnsRecordPlan;
  /** Deadline of each weave call in ms. Defaults to `60000`. */
  commandMs?: number;
}

/** The provider inputs of a planned record (pure). */
export function dnsRecordInputs<C = DnsRecordInputs["connection"]>(
  plan: LabPlan,
  record: DnsRecordPlan,
  connection: C,
  commandMs = DEFAULT_CONTAINER_TIMEOUTS.commandMs,
): Omit<DnsRecordInputs, "connection"> & { connection: C } {
  return {
    lab: plan.name,
    networkFingerprint: plan.network.fingerprint,
    key: record.key,
    host: record.host,
    fqdn: record.fqdn,
    ips: record.ips,
    connection,
    weave: weaveOf(plan.network.weave),
    commandMs,
  };
}

/** An extra weaveDNS record. Outputs: `fqdn`, `ips`, `resolved` (every peer's addresses for the name). */
export class WeaveDnsRecord extends pulumi.ComponentResource {
  readonly fqdn: pulumi.Output<string>;
  readonly ips: pulumi.Output<string[]>;
  readonly resolved: pulumi.Output<string[]>;
  readonly resource: DnsRecordResource;

  constructor(name: string, args: WeaveDnsRecordArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DNS_RECORD_TYPE, name, {}, opts);
    const plan = args.network.plan;
    if (!plan.hosts.some((h) => h.name === args.record.host)) {
      throw new pulumi.ResourceError(
        `record.host: ${JSON.stringify(args.record.host)} is not a host of the network; hosts are ${plan.hosts.map((h) => h.name).join(", ")}`,
        this,
      );
    }
    // Plain fields stay plain so the preview can show them; the connection is secret.
    const inputs = dnsRecordInputs(
      plan,
      args.record,
      pulumi.secret(args.network.connectionFor(args.record.host)),
      args.commandMs,
    );
    // `weave dns-add` needs no ring, only the record's own router (plan/start-after.ts).
    this.resource = new DnsRecordResource(name, inputs, {
      parent: this,
      dependsOn: [args.network.routers[args.record.host]],
    });
    this.fqdn = this.resource.fqdn;
    this.ips = this.resource.ips;
    this.resolved = this.resource.resolved;
    this.registerOutputs({ fqdn: this.fqdn, ips: this.ips, resolved: this.resolved });
  }
}
