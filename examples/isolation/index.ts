/**
 * Isolation with Weave IPAM subnets.
 *
 * The range is 172.16.16.0/24, but dynamic addresses come only from the default subnet
 * 172.16.16.0/25. The upper half stays free for containers that name a subnet: here `db1` and
 * `db2` share 172.16.16.128/26 (they can talk to each other; the web containers in 172.16.16.0/25
 * are on another subnet and cannot reach them without routing), and `fixed` takes the static
 * address 172.16.16.200/24, claimed through IPAM so no dynamic allocation can collide with it.
 *
 * README.md next to this file gives the commands from zero: install, backend, stack, config, up,
 * destroy.
 */
import * as pulumi from "@pulumi/pulumi";
import { WeaveContainer, WeaveNetwork, type ContainerSpec, type HostSpec } from "weave-lab";

const config = new pulumi.Config();
const privateKey = config.requireSecret("sshPrivateKey");
const hostKeys = config.requireObject<Record<string, string>>("hostKeys");

const hosts: HostSpec<pulumi.Input<string>>[] = [
  { name: "docker1", address: "10.10.10.101", ssh: { privateKey, hostKey: hostKeys.docker1 } },
  { name: "docker2", address: "10.10.10.102", ssh: { privateKey, hostKey: hostKeys.docker2 } },
];
const network = { allocRange: "172.16.16.0/24", defaultSubnet: "172.16.16.0/25" };

const containers: ContainerSpec[] = [
  // Dynamic: from the default subnet 172.16.16.0/25.
  { name: "web1", host: "docker1", image: "nginx:alpine" },
  { name: "web2", host: "docker2", image: "nginx:alpine" },
  // From a subnet of the range outside the default subnet: isolated from web1/web2.
  { name: "db1", host: "docker1", image: "redis:alpine", subnet: "172.16.16.128/26" },
  { name: "db2", host: "docker2", image: "redis:alpine", subnet: "172.16.16.128/26" },
  // Static, inside the range (so Weave tracks it cluster-wide) but outside both subnets above.
  { name: "fixed", host: "docker2", image: "nginx:alpine", address: "172.16.16.200/24" },
];

const lab = new WeaveNetwork("isolation", { name: "isolation", network, hosts });
const created = containers.map(
  (c) => new WeaveContainer(`${c.host}-${c.name}`, { network: lab, container: c }),
);

export const weaveHosts = lab.hosts;
/** Per container: host, ip, cidr, mac, fqdn. web1/web2 in .0/25, db1/db2 in .128/26, fixed at .200. */
export const weaveContainers = pulumi.all(
  Object.fromEntries(
    created.map((c) => [`${c.plan.host}/${c.name}`, pulumi.all({ ip: c.ip, cidr: c.cidr, mac: c.mac })]),
  ),
);
