/**
 * A lab program whose hosts come from another resource, for the program harness: each host is a
 * `Machine` (a small dynamic resource standing for a VM provider) that reports its address and
 * SSH endpoint only once created, so a preview has them unknown. Config as for the lab program
 * (`weave-lab:hosts`, `network`, `sshPrivateKey`, `containers`); the hosts' addresses given in
 * config are what the machines will report.
 */
import * as pulumi from "@pulumi/pulumi";
import { WeaveContainer, WeaveNetwork, type ContainerSpec } from "../../../components";

interface ConfigHost {
  name: string;
  address: string;
  ssh: { host: string; port: number; user: string; hostKey: string; connectTimeoutSeconds?: number };
}

/** What a VM provider would do: create a machine and tell its addresses afterwards. */
const machineProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, string>) {
    return {
      id: `machine-${inputs.name}`,
      outs: { ...inputs, address: inputs.wantAddress, sshHost: inputs.wantSshHost },
    };
  },
  // The same machine as long as it is asked for the same thing.
  async diff(_id: string, olds: Record<string, string>, news: Record<string, string>) {
    const keys = ["name", "wantAddress", "wantSshHost"];
    return {
      changes: keys.some((k) => olds[k] !== news[k]),
      replaces: keys.filter((k) => olds[k] !== news[k]),
    };
  },
};

class Machine extends pulumi.dynamic.Resource {
  declare readonly address: pulumi.Output<string>;
  declare readonly sshHost: pulumi.Output<string>;
  constructor(h: ConfigHost) {
    super(
      machineProvider,
      `machine-${h.name}`,
      {
        name: h.name,
        wantAddress: h.address,
        wantSshHost: h.ssh.host,
        address: undefined,
        sshHost: undefined,
      },
      {},
    );
  }
}

const config = new pulumi.Config("weave-lab");
const privateKey = config.requireSecret("sshPrivateKey");
const hosts = config.requireObject<ConfigHost[]>("hosts").map((h) => {
  const m = new Machine(h);
  return {
    name: h.name,
    address: m.address,
    ssh: { ...h.ssh, host: m.sshHost, privateKey },
  };
});
const lab = new WeaveNetwork("lab", {
  name: config.get("name") ?? "from-resources",
  network: config.requireObject("network"),
  hosts,
});
const containers = (config.getObject<ContainerSpec[]>("containers") ?? []).map(
  (c) => new WeaveContainer(`${c.host}-${c.name}`, { network: lab, container: c }),
);

/** The plan made before the machines exist: placeholders where addresses go, shares known. */
export const plannedHosts = lab.plan.hosts.map((h) => ({
  name: h.name,
  address: h.address,
  peerName: h.peerName,
  predictedShares: (h.predictedShare ?? []).map((s) => s.cidr),
}));
export const weaveHosts = lab.hosts;
export const healthy = lab.healthy;
export const weaveContainers = pulumi.all(
  Object.fromEntries(
    containers.map((c) => [`${c.plan.host}/${c.name}`, pulumi.all({ ip: c.ip, cidr: c.cidr })]),
  ),
);
