/**
 * The resources `WeaveNetwork` declares, for the engine-like harness: the same inputs (from
 * `components/providers/inputs.ts`), plain values instead of Outputs. Reusable by the
 * containers layer: add its resources with `dependsOn: [GATE]`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { planLab } from "../../components/plan";
import type { LabPlan } from "../../components/model/plan";
import { gateProvider } from "../../components/providers/gate";
import {
  connectParamsFor,
  gateInputs,
  type NetworkTimeouts,
  routerInputs,
} from "../../components/providers/inputs";
import { routerProvider } from "../../components/providers/router";
import type { ConnectParams } from "../../components/remote/types";
import type { HostSpec, LabSpec, NetworkSpec } from "../../components/spec";
import type { TestLab } from "../lab";
import { REPO_ROOT } from "./serialize";
import type { DesiredResource } from "./engine";

/** Name of the gate resource in the harness. */
export const GATE = "consensus";
/** Name of a router resource in the harness. */
export const routerName = (host: string): string => `router-${host}`;
/** The double's `weave` script (the lab's hosts have no `/usr/local/bin/weave`). */
export const DOUBLE_WEAVE = `${REPO_ROOT}/test/double/path/weave`;

/** A lab spec for (some of) a test lab's hosts, with pinned host keys and the test key. */
export function specForLab(
  lab: TestLab,
  opts: {
    name?: string;
    hosts?: string[];
    network?: NetworkSpec;
    connectTimeoutSeconds?: number;
    hostOverrides?: Record<string, Partial<HostSpec>>;
  } = {},
): LabSpec {
  const names = opts.hosts ?? lab.hosts.map((h) => h.name);
  const hosts: HostSpec[] = names.map((n) => {
    const h = lab.hosts.find((x) => x.name === n);
    if (!h) throw new Error(`no lab host ${n}`);
    return {
      name: h.name,
      address: h.address,
      ssh: {
        host: h.sshHost,
        port: h.sshPort,
        user: h.user,
        privateKey: h.privateKey,
        hostKey: h.hostKey,
        connectTimeoutSeconds: opts.connectTimeoutSeconds ?? 10,
      },
      ...(opts.hostOverrides?.[n] ?? {}),
    };
  });
  return {
    name: opts.name ?? `lab-${lab.id}`,
    hosts,
    network: { weave: { scriptPath: lab.real ? "/usr/local/bin/weave" : DOUBLE_WEAVE }, ...opts.network },
  };
}

/** Resolved connection parameters per host of a plain spec. */
export function connectionsOf(plan: LabPlan, spec: LabSpec): Record<string, ConnectParams> {
  const out: Record<string, ConnectParams> = {};
  for (const h of plan.hosts) {
    const s = spec.hosts.find((x) => x.name === h.name)?.ssh ?? {};
    out[h.name] = connectParamsFor(h, {
      privateKey: s.privateKey,
      passphrase: s.passphrase,
      hostKey: s.hostKey,
      jumpHost: s.jumpHost ? { privateKey: s.jumpHost.privateKey, hostKey: s.jumpHost.hostKey } : undefined,
    });
  }
  return out;
}

export interface NetworkResourcesOptions {
  forgetUnreachableOnDestroy?: boolean;
  timeouts?: Partial<NetworkTimeouts>;
  /** Providers to use (e.g. `serializedProvider(text)`); default the in-process ones. */
  routerProvider?: pulumi.dynamic.ResourceProvider;
  gateProvider?: pulumi.dynamic.ResourceProvider;
}

/** What `new WeaveNetwork(name, spec)` declares: one router per host, the gate after them. */
export function networkResources(
  spec: LabSpec,
  opts: NetworkResourcesOptions = {},
): { plan: LabPlan; resources: DesiredResource[] } {
  const plan = planLab(spec);
  const conns = connectionsOf(plan, spec);
  const o = { forgetUnreachableOnDestroy: opts.forgetUnreachableOnDestroy, timeouts: opts.timeouts };
  const password = spec.network?.password;
  const routers: DesiredResource[] = plan.hosts.map((h) => ({
    name: routerName(h.name),
    provider: opts.routerProvider ?? routerProvider,
    inputs: routerInputs(plan, h.name, conns, password, o) as unknown as Record<string, unknown>,
  }));
  const gate: DesiredResource = {
    name: GATE,
    provider: opts.gateProvider ?? gateProvider,
    dependsOn: routers.map((r) => r.name),
    inputs: (outputsOf) => {
      const ids: Record<string, string> = {};
      for (const h of plan.hosts) ids[h.name] = String(outputsOf(routerName(h.name)).containerId ?? "");
      const rejoinedHosts = plan.hosts
        .filter((h) => outputsOf(routerName(h.name)).rejoined === true)
        .map((h) => h.name);
      return gateInputs(plan, conns, ids, { ...o, rejoinedHosts }) as unknown as Record<string, unknown>;
    },
  };
  return { plan, resources: [...routers, gate] };
}
