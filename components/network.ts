/**
 * `WeaveNetwork`: a planned Weave network on a set of hosts. It plans the lab at construction
 * (a bad spec fails the preview listing every problem, before anything is touched), declares one
 * Router per host and a ConsensusGate that passes only when every host agrees on one ring.
 */
import * as pulumi from "@pulumi/pulumi";
import { planLab, SpecError } from "./plan";
import { deployTimeFields, hostField, withHostFields } from "./model/deploy-time";
import type { HostPlan, LabPlan, RangeShare } from "./model/plan";
import type { ConnectParams } from "./remote/types";
import type { DnsRecordSpec, HostSpec, LabSpec, NetworkSpec } from "./spec";
import { ConsensusGate } from "./providers/gate";
import {
  connectParamsFor,
  gateInputs,
  type HostSecrets,
  type NetworkTimeouts,
  peerEndpoint,
  peerCredentialsOf,
  peersOf,
  routerInputs,
} from "./providers/inputs";
import { Router } from "./providers/router";
import type { GateHostResult, PeerEndpoint } from "./providers/types";

/** Pulumi type token of the component (part of users' state: chosen once; alias if it ever moves). */
export const NETWORK_TYPE = "weave-lab:index:Network";

/** Arguments of {@link WeaveNetwork}: a lab spec without containers, secrets as Pulumi Inputs. */
export interface WeaveNetworkArgs {
  /**
   * Name of the lab. Peer names in `seed` mode are derived from it and the host names.
   * Defaults to `"weave-lab"`.
   */
  name?: string;
  /**
   * Router-wide settings shared by every host (range, default subnet, bootstrap, password, DNS,
   * Weave distribution…; see `NetworkSpec` for each field's default). `password` is a secret.
   * Defaults to all of `NetworkSpec`'s defaults (range `10.32.0.0/12`, seed bootstrap, no encryption).
   */
  network?: NetworkSpec<pulumi.Input<string>>;
  /**
   * The hosts that run a router, reached over SSH. At least one. SSH private keys, passphrases
   * and host keys may be Inputs (e.g. from `LocalLab`); keys and passphrases are kept secret.
   * Where a host is (`address`, `ssh.host`, `ssh.user`, the bastion's `host` and `user`) may be
   * an Input too, e.g. the address of a VM created in the same program: it is checked once
   * known (a bad or duplicate one fails the deployment naming the field), and a preview shows
   * `<address of NAME>` while still planning peer names, seeds and the predicted split.
   */
  hosts: HostSpec<pulumi.Input<string>, pulumi.Input<string>>[];
  /**
   * Extra weaveDNS records. Planned (validated) here; registered by the DNS-record resources of
   * the containers layer. Defaults to none.
   */
  dnsRecords?: DnsRecordSpec[];
  /**
   * On destroy (or when a host is removed), a host that cannot be reached is forgotten: exactly
   * one surviving host takes its ranges over with `weave rmpeer`, all survivors `weave forget`
   * it. Without it, an unreachable host fails the destroy with a message naming it.
   * Defaults to `false`.
   */
  forgetUnreachableOnDestroy?: boolean;
  /**
   * Deadlines of the blocking Weave calls, in ms: `launchMs` (300 000), `resetMs` (120 000),
   * `commandMs` (60 000), `primeMs` (120 000).
   * Defaults to those values.
   */
  timeouts?: Partial<NetworkTimeouts>;
}

/** What the network reports per host. */
export interface NetworkHostOutput {
  peerName: string;
  nickname: string;
  address: string;
  /** The ranges the host owns, as verified by the gate. */
  shares: RangeShare[];
  /** The planner's prediction (`seed` mode only; `[]` otherwise). */
  predictedShares: RangeShare[];
  /** Router status as last observed (`running`, `stopped`, `missing`, `reconfigured`). */
  status: string;
}

type Hosts = WeaveNetworkArgs["hosts"];

/** The spec as the planner reads it: secrets only for their presence, deploy-time fields as placeholders. */
function planSpec(args: WeaveNetworkArgs, hosts: Hosts = args.hosts): LabSpec<pulumi.Input<string>, unknown> {
  return {
    ...(args.name !== undefined ? { name: args.name } : {}),
    ...(args.network !== undefined ? { network: args.network } : {}),
    hosts,
    ...(args.dnsRecords !== undefined ? { dnsRecords: args.dnsRecords } : {}),
  };
}

/** Every host with its deploy-time fields resolved (only those: secrets stay Outputs, untainting the rest). */
function resolvedHosts(hosts: Hosts): pulumi.Output<Hosts> {
  return pulumi.all(
    hosts.map((h) => {
      const fields = deployTimeFields(h);
      return pulumi
        .all(fields.map((f) => pulumi.output(hostField(h, f) as pulumi.Input<string>)))
        .apply((values) => withHostFields(h, Object.fromEntries(fields.map((f, i) => [f, values[i]]))));
    }),
  ) as pulumi.Output<Hosts>;
}

/**
 * A Weave network spanning `hosts`. Children: `Router` per host (`<name>-<host>`) and one
 * `ConsensusGate` (`<name>-consensus`) depending on all routers.
 */
export class WeaveNetwork extends pulumi.ComponentResource {
  /**
   * The plan: every derived fact (no secrets), made at construction. A field given at deploy time
   * reads `<address of NAME>` here (see `HostPlan.atDeploy`); `resolvedPlan` has its value.
   */
  readonly plan: LabPlan;
  /**
   * The plan made again once every deploy-time host field is known, fully validated; the same
   * plan as `plan` when every field was known at construction. Unknown during a preview that
   * waits on those fields.
   */
  readonly resolvedPlan: pulumi.Output<LabPlan>;
  /** Routers by host name. */
  readonly routers: Record<string, Router>;
  /** Passes when every host agrees on one ring: make containers depend on it. */
  readonly gate: ConsensusGate;
  /** Per host: peer name, nickname, address, verified and predicted shares, status. */
  readonly hosts: pulumi.Output<Record<string, NetworkHostOutput>>;
  /** True once the gate passed. */
  readonly healthy: pulumi.Output<boolean>;
  private readonly connections: Record<string, pulumi.Output<ConnectParams>>;

  constructor(name: string, args: WeaveNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NETWORK_TYPE, name, {}, opts);
    const planOrFail = (spec: LabSpec<pulumi.Input<string>, unknown>): LabPlan => {
      try {
        return planLab(spec);
      } catch (e) {
        if (e instanceof SpecError) throw new pulumi.ResourceError(e.message, this);
        throw e;
      }
    };
    this.plan = planOrFail(planSpec(args));
    const plan = this.plan;
    const atDeploy = plan.hosts.some((h) => h.atDeploy);
    this.resolvedPlan = atDeploy
      ? resolvedHosts(args.hosts).apply((hosts) => {
          const known = planOrFail(planSpec(args, hosts));
          // Which fields came from other resources stays part of the story.
          const fromResources = new Map(plan.hosts.map((h) => [h.name, h.atDeploy]));
          return {
            ...known,
            hosts: known.hosts.map((h) => {
              const fields = fromResources.get(h.name);
              return fields ? { ...h, atDeploy: fields } : h;
            }),
          };
        })
      : pulumi.output(plan);
    // Where a host is, as Inputs: the plan's value when known at construction, else from the
    // resolved plan. Each its own Output, so a preview still shows everything else.
    const later = <T>(hostName: string, pick: (h: HostPlan) => T): pulumi.Output<T> =>
      this.resolvedPlan.apply((p) => pick(p.hosts.find((x) => x.name === hostName)!));
    const addressOf = (h: HostPlan): pulumi.Input<string> =>
      h.atDeploy?.includes("address") ? later(h.name, (x) => x.address) : h.address;
    // A deploy-time address changes every other host's peer list, hence every launch.
    const anyAddressLater = plan.hosts.some((h) => h.atDeploy?.includes("address"));
    const launchOf = (h: HostPlan): pulumi.Input<HostPlan["launch"]> =>
      anyAddressLater ? later(h.name, (x) => x.launch) : h.launch;
    const hostPlanOf = (h: HostPlan): pulumi.Input<HostPlan> => (h.atDeploy ? later(h.name, (x) => x) : h);

    const specHost = new Map(args.hosts.map((h) => [h.name, h]));
    this.connections = {};
    // Each host's SSH endpoint without secrets: what the other routers know of it. Its own Output
    // (host keys only), so a preview knows every peer's name and address even while a local lab's
    // keys are still unknown.
    const endpoints: Record<string, pulumi.Output<PeerEndpoint>> = {};
    for (const h of plan.hosts) {
      const ssh = specHost.get(h.name)?.ssh ?? {};
      const where = hostPlanOf(h);
      const secrets = pulumi
        .all([ssh.privateKey, ssh.passphrase, ssh.hostKey, ssh.jumpHost?.privateKey, ssh.jumpHost?.hostKey])
        .apply(([privateKey, passphrase, hostKey, jumpKey, jumpHostKey]): HostSecrets => ({
          privateKey,
          passphrase,
          hostKey,
          jumpHost: ssh.jumpHost ? { privateKey: jumpKey, hostKey: jumpHostKey } : undefined,
        }));
      this.connections[h.name] = pulumi.secret(
        pulumi.all([where, secrets]).apply(([hp, s]) => connectParamsFor(hp, s)),
      );
      endpoints[h.name] = pulumi
        .all([where, ssh.hostKey, ssh.jumpHost?.hostKey])
        .apply(([hp, hostKey, jumpHostKey]) =>
          peerEndpoint(
            connectParamsFor(hp, { hostKey, jumpHost: ssh.jumpHost ? { hostKey: jumpHostKey } : undefined }),
          ),
        );
    }
    const password =
      args.network?.password === undefined ? undefined : pulumi.secret(pulumi.output(args.network.password));
    const opt = { forgetUnreachableOnDestroy: args.forgetUnreachableOnDestroy, timeouts: args.timeouts };

    // Plain fields stay plain (readable in the preview); only what depends on a secret or on a
    // value known after apply is an Output, nested where it belongs (Pulumi resolves nested
    // Outputs), so an unknown host key leaves the rest of the plan known in a preview.
    this.routers = {};
    for (const h of plan.hosts) {
      const plain = routerInputs(plan, h.name, {}, undefined, opt);
      const byName = new Map(plan.hosts.map((x) => [x.name, x]));
      const routerArgs = {
        ...plain,
        address: addressOf(h),
        launch: launchOf(h),
        connection: this.connections[h.name],
        peers: peersOf(plan, h.name, {}).map((p) => ({
          ...p,
          address: addressOf(byName.get(p.host)!),
          ssh: endpoints[p.host],
        })),
        // Secret, apart from `peers`: how this router reaches each peer (with that peer's key).
        peerCredentials: pulumi.secret(
          pulumi.all(
            Object.fromEntries(
              plan.hosts
                .filter((o) => o.name !== h.name)
                .map((o) => [o.name, this.connections[o.name].apply(peerCredentialsOf)]),
            ),
          ),
        ),
        ...(password ? { password } : {}),
      };
      this.routers[h.name] = new Router(`${name}-${h.name}`, routerArgs, { parent: this });
    }
    const routerIds = pulumi.all(
      Object.fromEntries(Object.entries(this.routers).map(([k, r]) => [k, r.containerId])),
    );
    const rejoinedHosts = pulumi
      .all(Object.fromEntries(Object.entries(this.routers).map(([k, r]) => [k, r.rejoined])))
      .apply((byHost) =>
        Object.keys(byHost)
          .filter((k) => byHost[k])
          .sort(),
      );
    const plainGate = gateInputs(plan, {}, {}, opt);
    this.gate = new ConsensusGate(
      `${name}-consensus`,
      {
        ...plainGate,
        hosts: plainGate.hosts.map((g, i) => ({
          ...g,
          address: addressOf(plan.hosts[i]),
          connection: this.connections[g.host],
        })),
        routerIds,
        rejoinedHosts,
      },
      { parent: this, dependsOn: Object.values(this.routers) },
    );

    const statuses = pulumi.all(
      Object.fromEntries(Object.entries(this.routers).map(([k, r]) => [k, r.status])),
    );
    this.hosts = pulumi
      .all([this.gate.results, statuses, this.resolvedPlan])
      .apply(([results, st, known]) => {
        const out: Record<string, NetworkHostOutput> = {};
        for (const h of known.hosts) {
          const r: GateHostResult | undefined = results?.[h.name];
          out[h.name] = {
            peerName: h.peerName,
            nickname: h.nickname,
            address: h.address,
            shares: r?.shares ?? [],
            predictedShares: h.predictedShare ?? [],
            status: st[h.name] ?? "unknown",
          };
        }
        return out;
      });
    this.healthy = this.gate.healthy;
    this.registerOutputs({ plan: this.plan, hosts: this.hosts, healthy: this.healthy });
  }

  /** Resolved SSH parameters of a host (a secret Output), for resources acting on that host. */
  connectionFor(hostName: string): pulumi.Output<ConnectParams> {
    const c = this.connections[hostName];
    if (!c) {
      throw new pulumi.ResourceError(
        `connectionFor: no host named ${JSON.stringify(hostName)}; hosts are ${Object.keys(this.connections).join(", ")}`,
        this,
      );
    }
    return c;
  }
}
