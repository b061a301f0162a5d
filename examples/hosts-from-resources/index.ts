/**
 * A Weave lab on hosts that another resource creates in the same program. Whatever makes the
 * machines (here Docker-in-Docker containers; in a cloud, VMs), their addresses reach
 * `WeaveNetwork` as Outputs: `pulumi preview` shows `<address of docker1>` where an address is
 * not known yet and still plans the peer names, the seed list and each host's share of the
 * range; `pulumi up` checks the addresses once the machines exist and launches the routers.
 *
 * With VMs it reads the same, e.g. `address: vm.privateIp, ssh: { host: vm.publicIp, … }`.
 *
 * README.md next to this file gives the commands from zero: install, backend, stack, config, up,
 * destroy.
 */
import * as pulumi from "@pulumi/pulumi";
import { LocalLab, WeaveContainer, WeaveNetwork, type ContainerSpec } from "weave-lab";

const stack = pulumi.getStack();
// The machines: three Docker-in-Docker hosts with SSH on 127.0.0.1:2221-2223 (own ports and
// names, so this example can run next to the others).
const machines = new LocalLab("machines", {
  hosts: 3,
  sshPortBase: 2221,
  subnet: "10.10.12.0/24",
  stack: `example-from-resources-${stack}`,
  keyFile: "id_ed25519",
  knownHostsFile: "known_hosts",
});

// Each host's address is what Docker reports for its container once it exists: an Output, as a
// VM's address would be. The SSH settings (port, key, pinned host key) come along unchanged.
const hosts = machines.hosts.map((h) => ({
  ...h,
  address: machines.containers[h.name].networkDatas.apply((nets) => nets[0].ipAddress),
}));

const lab = new WeaveNetwork(
  "lab",
  { name: "from-resources", network: { allocRange: "172.16.18.0/24" }, hosts },
  { dependsOn: [machines] },
);
const containers: ContainerSpec[] = [
  { name: "web1", host: "docker1", image: "lab/web:1" },
  { name: "web2", host: "docker3", image: "lab/web:1" },
];
const created = containers.map(
  (c) => new WeaveContainer(`${c.host}-${c.name}`, { network: lab, container: c }),
);

/** Per host: the address it was given, peer name, verified and predicted shares. */
export const weaveHosts = lab.hosts;
/** Known in a preview: the peer names and the predicted split, before any machine exists. */
export const plannedHosts = lab.plan.hosts.map((h) => ({
  name: h.name,
  address: h.address,
  peerName: h.peerName,
  predictedShares: (h.predictedShare ?? []).map((s) => s.cidr),
}));
export const weaveContainers = pulumi.all(
  Object.fromEntries(
    created.map((c) => [`${c.plan.host}/${c.name}`, pulumi.all({ ip: c.ip, cidr: c.cidr, fqdn: c.fqdn })]),
  ),
);
/** `ssh -i id_ed25519 …`: write the key and known_hosts first, as the README shows. */
export const sshCommands = machines.sshCommands;
export const sshPrivateKey = machines.sshPrivateKey;
export const knownHosts = machines.knownHosts;
