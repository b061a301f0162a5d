/**
 * The lab program behind `index.ts`: stack config → (LocalLab when no hosts are configured) →
 * WeaveNetwork → WeaveContainers → outputs for people (tables, the range picture, ssh commands)
 * and machines (per container host/ip/cidr/mac/fqdn, per host peer name and share).
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ConfigSource, LabConfig, readLabConfig } from "./config";
import { LocalLab } from "./local-lab";
import { defaultLocalContainers, LocalTopology, planLocalTopology } from "./local/topology";
import { WeaveNetwork, NetworkHostOutput } from "./network";
import { planLab } from "./plan";
import type { LabPlan } from "./model/plan";
import type { ContainerSpec, HostSpec, LabSpec } from "./spec";
import { renderRangeSvg, renderRangeTable, RangeView, viewFromPlan } from "./view";
import { percent } from "./view/model";
import { declareLabContainers, ContainerOutput } from "./lab-containers";
import type { DataPlaneMatrix } from "./providers/dataplane-matrix";

/** The allocation range a local lab uses unless config says otherwise: the textbook's. */
export const LOCAL_DEFAULT_RANGE = "172.16.16.0/24";

/** Reads config from the Pulumi runtime (stack config of the running program). */
export function runtimeConfigSource(projectDir = process.cwd()): ConfigSource {
  // isConfigSecret is exported by the runtime but not in its typings.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rt = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  return {
    get: (k) => pulumi.runtime.getConfig(k),
    isSecret: (k) => rt.isConfigSecret?.(k) ?? false,
    readFile: (p) => fs.readFileSync(path.resolve(projectDir, p), "utf8"),
    parseYaml: (t) => YAML.parse(t) as unknown,
  };
}

/** What a host looks like in the stack outputs. */
export interface HostOutput {
  address: string;
  peerName: string;
  nickname: string;
  /** CIDRs the host owns (verified by the consensus gate). */
  shares: string[];
  /** Number of addresses owned and the share of the range, e.g. `64 (25.0%)`. */
  share: string;
  /** Prediction of the plan in seed mode. */
  predictedShares: string[];
  status: string;
  /** Local lab only: the command that opens a shell on the host. */
  ssh?: string;
}

/** The program's stack outputs. */
export interface LabOutputs {
  /** `local` (Docker-in-Docker hosts) or `remote` (configured hosts). */
  mode: string;
  allocRange: string;
  hosts: pulumi.Output<Record<string, HostOutput>>;
  containers: pulumi.Output<Record<string, ContainerOutput>>;
  /**
   * The data-plane proof: every container's ping of every other one (same subnet must reach,
   * other subnets stay isolated) and every declared name looked up from each host, failures named.
   */
  dataPlane: pulumi.Output<DataPlaneMatrix>;
  /** The split as a text table (also printed by `scripts/lab.sh`). */
  rangeTable: pulumi.Output<string>;
  /** The split as an SVG document. */
  rangeSvg: pulumi.Output<string>;
  /** Where the SVG was written. */
  rangeSvgFile: string;
  /** The plan's prediction as a text table: known at preview time. */
  predictedRangeTable: string;
  warnings: string[];
  sshCommands?: Record<string, string>;
  /** Secret. Local lab only: the client key `scripts/lab.sh` writes to `.lab-state/<stack>/id_ed25519`. */
  sshPrivateKey?: pulumi.Output<string>;
  /** Local lab only: pinned host keys in known_hosts form. */
  knownHosts?: pulumi.Output<string>;
}

/** The spec a run uses: config's, with a local lab's hosts, range and default containers filled in. */
export function effectiveSpec(
  cfg: LabConfig<pulumi.Input<string>>,
  localHosts: HostSpec<pulumi.Input<string>>[] | undefined,
): LabSpec<pulumi.Input<string>> {
  if (!localHosts) return cfg.spec;
  const containers: ContainerSpec[] =
    cfg.spec.containers && cfg.spec.containers.length > 0
      ? cfg.spec.containers
      : defaultLocalContainers(
          localHosts.map((h) => ({ name: h.name, containerName: "", address: h.address, sshPort: 0 })),
        );
  return {
    ...cfg.spec,
    network: { ...cfg.spec.network, allocRange: cfg.spec.network?.allocRange ?? LOCAL_DEFAULT_RANGE },
    hosts: localHosts,
    containers,
  };
}

/** Builds the verified view from the network's and containers' outputs. */
export function verifiedView(
  plan: LabPlan,
  hosts: Record<string, NetworkHostOutput>,
  containers: Record<string, ContainerOutput>,
  stack: string,
): RangeView {
  return {
    range: plan.network.allocRange,
    title: `${plan.name} (${stack}): ${plan.network.allocRange} as the routers split it`,
    hosts: plan.hosts.map((h) => ({
      name: h.name,
      peerName: h.peerName,
      shares: hosts[h.name]?.shares ?? [],
    })),
    containers: Object.values(containers).flatMap((c) =>
      c.ip ? [{ name: c.name, host: c.host, ip: c.ip }] : [],
    ),
  };
}

/** Runs the lab program; returns the stack outputs. */
export function labProgram(source: ConfigSource = runtimeConfigSource()): LabOutputs {
  const stack = pulumi.getStack();
  const cfg = readLabConfig<pulumi.Input<string>>(source, (v) => pulumi.secret(v));

  // Validate the whole lab before declaring any resource, so a bad config fails the preview
  // with every problem at once. A local lab's hosts are known before its containers exist: plan
  // with placeholders for the keys it will generate (the planner reads only their presence).
  let topology: LocalTopology | undefined;
  if (cfg.local) topology = planLocalTopology({ ...cfg.localSettings, stack });
  // An Output stands for "given at deploy time": the planner checks its presence, not its text.
  const generated = pulumi.output("generated per stack by LocalLab");
  const provisional = topology
    ? topology.hosts.map((h): HostSpec<pulumi.Input<string>> => ({
        name: h.name,
        address: h.address,
        ssh: { host: "127.0.0.1", port: h.sshPort, user: "root", privateKey: generated, hostKey: generated },
      }))
    : undefined;
  const plan = planLab(effectiveSpec(cfg, provisional));

  let lab: LocalLab | undefined;
  if (cfg.local) {
    lab = new LocalLab("local", {
      ...cfg.localSettings,
      stack,
      distribution: plan.network.weave.distribution,
      version: plan.network.weave.version,
    });
  }
  const spec = effectiveSpec(cfg, lab?.hosts);
  const network = new WeaveNetwork(
    "lab",
    {
      name: spec.name,
      network: spec.network,
      hosts: spec.hosts,
      dnsRecords: spec.dnsRecords,
      forgetUnreachableOnDestroy: cfg.forgetUnreachableOnDestroy,
      timeouts: cfg.timeouts,
    },
    lab ? { dependsOn: [lab] } : undefined,
  );
  const { containers, dataPlane } = declareLabContainers(network, plan, spec.containers ?? []);

  const hosts = network.hosts.apply((hs) => {
    const out: Record<string, HostOutput> = {};
    const rangeSize = 2 ** (32 - Number(plan.network.allocRange.split("/")[1]));
    for (const h of plan.hosts) {
      const o = hs[h.name];
      const owned = (o?.shares ?? []).reduce((n, s) => n + s.size, 0);
      out[h.name] = {
        address: h.address,
        peerName: h.peerName,
        nickname: h.nickname,
        shares: (o?.shares ?? []).map((s) => s.cidr),
        share: `${owned} (${percent(owned, rangeSize)})`,
        predictedShares: (h.predictedShare ?? []).map((s) => s.cidr),
        status: o?.status ?? "unknown",
        ...(lab ? { ssh: lab.sshCommands[h.name] } : {}),
      };
    }
    return out;
  });
  const view = pulumi.all([network.hosts, containers]).apply(([hs, cs]) => verifiedView(plan, hs, cs, stack));
  const rangeSvg = view.apply(renderRangeSvg);
  const rangeSvgFile = path.join(cfg.outputDir, `weave-lab-${stack}.svg`);
  rangeSvg.apply((svg) => {
    // Only once values are real: during a preview this callback does not run with known values.
    if (!pulumi.runtime.isDryRun()) {
      fs.mkdirSync(path.dirname(rangeSvgFile), { recursive: true });
      fs.writeFileSync(rangeSvgFile, svg);
    }
  });

  return {
    mode: lab ? "local" : "remote",
    allocRange: plan.network.allocRange,
    hosts,
    containers,
    dataPlane,
    rangeTable: view.apply(renderRangeTable),
    rangeSvg,
    rangeSvgFile,
    predictedRangeTable: renderRangeTable(viewFromPlan(plan)),
    warnings: plan.warnings.map((w) => `${w.path}: ${w.message}`),
    ...(lab
      ? { sshCommands: lab.sshCommands, sshPrivateKey: lab.sshPrivateKey, knownHosts: lab.knownHosts }
      : {}),
  };
}
