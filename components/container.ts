/**
 * `WeaveContainer`: a container on a `WeaveNetwork`, with a dynamic, static or subnet address,
 * weaveDNS as its resolver and its name registered as `<name>.<domain>` (plus extra names).
 * Created once `weave attach` can be served without waiting for a ring: after its host's router
 * when that router owns the address from launch (seed mode), else after the consensus gate
 * (`plan/start-after.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { WeaveNetwork } from "./network";
import { planLab, SpecError } from "./plan";
import { containerStartsAfter } from "./plan/start-after";
import type { ContainerPlan, LabPlan } from "./model/plan";
import { AT_DEPLOY, type DeployTimeHostField } from "./model/deploy-time";
import { containerInputs } from "./providers/container-diff";
import { ContainerResource, type ContainerArgs } from "./providers/container";
import type { ContainerTimeouts } from "./providers/container-types";
import type { ContainerSpec, LabSpec } from "./spec";

/** Pulumi type token of the component (part of users' state: chosen once; alias if it ever moves). */
export const CONTAINER_TYPE = "weave-lab:index:Container";

/** Arguments of {@link WeaveContainer}. */
export interface WeaveContainerArgs {
  /** The network the container joins: its plan, its hosts' SSH settings and its consensus gate. Required. */
  network: WeaveNetwork;
  /**
   * The container: a `ContainerSpec` (validated here against the network, every problem at once)
   * or a `ContainerPlan` from `planLab` (as the lab program passes). Required.
   */
  container: ContainerSpec | ContainerPlan;
  /**
   * Deadlines in ms: `attachMs` for `weave attach` (which blocks while IPAM has no ring or no free
   * address), `commandMs` for every other call.
   * Defaults to `{ attachMs: 120000, commandMs: 60000 }`.
   */
  timeouts?: Partial<ContainerTimeouts>;
  /**
   * Environment variables with secret values (e.g. `config.requireSecret("dbPassword")`): they
   * never appear in `docker run`'s argv, in logs, in errors or in plain state (the state holds
   * them encrypted). Docker still shows them to whoever can run `docker inspect` on the host.
   * Names as for `env`, not also in `env`; single-line values. Defaults to none.
   */
  secretEnv?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const isPlan = (c: ContainerSpec | ContainerPlan): c is ContainerPlan =>
  typeof (c as ContainerPlan).key === "string" && typeof (c as ContainerPlan).addressing === "object";

/**
 * Plans one container against an already planned network: the network's facts are given back to
 * the planner as a spec (secrets only by presence), so the container meets exactly the rules it
 * would meet in a whole-lab spec. Throws `SpecError` listing every problem.
 */
export function planContainer(plan: LabPlan, spec: ContainerSpec): ContainerPlan {
  const n = plan.network;
  const lab: LabSpec<string, string | typeof AT_DEPLOY> = {
    name: plan.name,
    network: {
      allocRange: n.allocRange,
      defaultSubnet: n.defaultSubnet,
      bootstrap: n.bootstrap,
      trustedSubnets: n.trustedSubnets,
      dns: { ...n.dns },
      weave: {
        distribution: n.weave.distribution,
        version: n.weave.version,
        install: n.weave.install,
        scriptPath: n.weave.scriptPath,
        ...(n.weave.scriptUrl !== undefined ? { scriptUrl: n.weave.scriptUrl } : {}),
        ...(n.weave.scriptSha256 !== undefined ? { scriptSha256: n.weave.scriptSha256 } : {}),
      },
    },
    // A container's plan does not depend on where its host is: fields the network learns at
    // deploy time stay so here.
    hosts: plan.hosts.map((h) => {
      const later = (f: DeployTimeHostField, v: string): string | typeof AT_DEPLOY =>
        h.atDeploy?.includes(f) ? AT_DEPLOY : v;
      return {
        name: h.name,
        address: later("address", h.address),
        peerName: h.peerName,
        nickname: h.nickname,
        ssh: {
          host: later("ssh.host", h.ssh.host),
          port: h.ssh.port,
          user: later("ssh.user", h.ssh.user),
          insecureIgnoreHostKey: true,
        },
      };
    }),
    containers: [spec],
  };
  const c = planLab(lab).containers[0];
  if (!c)
    throw new Error(`planContainer: the planner returned no container for ${JSON.stringify(spec.name)}`);
  return c;
}

/** A container on the Weave network. Outputs: `containerId`, `ip`, `cidr`, `mac`, `fqdn`, `host`, `name`. */
export class WeaveContainer extends pulumi.ComponentResource {
  /** The container as planned (addressing, names, argv inputs). */
  readonly plan: ContainerPlan;
  /** Full Docker id. */
  readonly containerId: pulumi.Output<string>;
  /** Weave address without prefix (empty if a refresh found it detached). */
  readonly ip: pulumi.Output<string>;
  /** Weave address with prefix, e.g. `172.16.16.3/24`. */
  readonly cidr: pulumi.Output<string>;
  /** MAC of the container's `ethwe`. */
  readonly mac: pulumi.Output<string>;
  /** `<name>.<domain>`, or `""` when DNS is off. */
  readonly fqdn: pulumi.Output<string>;
  /** The host it runs on. */
  readonly host: pulumi.Output<string>;
  readonly name: string;
  /** The dynamic resource doing the work. */
  readonly resource: ContainerResource;

  constructor(name: string, args: WeaveContainerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(CONTAINER_TYPE, name, {}, opts);
    try {
      this.plan = isPlan(args.container) ? args.container : planContainer(args.network.plan, args.container);
    } catch (e) {
      if (e instanceof SpecError) throw new pulumi.ResourceError(e.message, this);
      throw e;
    }
    const plan = this.plan;
    const network = args.network;
    // Plain fields stay plain so the preview can show them; the connection and secretEnv are secret.
    const plain = containerInputs(
      network.plan,
      plan,
      pulumi.secret(network.connectionFor(plan.host)),
      args.timeouts,
    );
    const resourceArgs: ContainerArgs = {
      ...plain,
      ...(args.secretEnv !== undefined
        ? { secretEnv: pulumi.secret(pulumi.output(args.secretEnv)) as pulumi.Output<Record<string, string>> }
        : {}),
    };
    const after = containerStartsAfter(network.plan, plan);
    this.resource = new ContainerResource(name, resourceArgs, {
      parent: this,
      dependsOn: [after.kind === "router" ? network.routers[after.host] : network.gate],
    });
    this.name = plan.name;
    this.containerId = this.resource.containerId;
    this.ip = this.resource.ip;
    this.cidr = this.resource.cidr;
    this.mac = this.resource.mac;
    this.fqdn = pulumi.output(plan.fqdn ?? "");
    this.host = pulumi.output(plan.host);
    this.registerOutputs({
      containerId: this.containerId,
      ip: this.ip,
      cidr: this.cidr,
      mac: this.mac,
      fqdn: this.fqdn,
      host: this.host,
    });
  }
}
