/**
 * The textbook four-host Weave lab, on real hosts.
 *
 * docker1..docker4 (10.10.10.101..104) share 172.16.16.0/24; web1 runs on docker1, web2 on
 * docker2, and another web1 on docker3 (the same name on two hosts is legal: web1.weave.local
 * resolves to both, round robin).
 *
 * README.md next to this file gives the commands from zero: install, backend, stack, config, up,
 * destroy.
 */
import * as pulumi from "@pulumi/pulumi";
import { WeaveContainer, WeaveNetwork, type HostSpec } from "weave-lab";

const config = new pulumi.Config();
const privateKey = config.requireSecret("sshPrivateKey");
const hostKeys = config.requireObject<Record<string, string>>("hostKeys");

const host = (name: string, address: string): HostSpec<pulumi.Input<string>> => ({
  name,
  address,
  ssh: { privateKey, hostKey: hostKeys[name] },
});

const hosts = [
  host("docker1", "10.10.10.101"),
  host("docker2", "10.10.10.102"),
  host("docker3", "10.10.10.103"),
  host("docker4", "10.10.10.104"),
  // The textbook's mistake: docker4 launched with a range of its own.
  //   { ...host("docker4", "10.10.10.104"), extraLaunchArgs: ["--ipalloc-range", "172.64.65.0/24"] },
  // Real Weave launches it happily and only its connections fail. weave-lab stops at
  // `pulumi preview`, before touching any host:
  //   hosts[3].extraLaunchArgs[0]: docker4 would launch with range 172.64.65.0/24 while the network uses 172.16.16.0/24: its connections would be dropped with 'Incompatible IP allocation ranges'; remove "--ipalloc-range" (the range is network.allocRange, identical on every host)
];

const spec = {
  name: "cookbook",
  network: { allocRange: "172.16.16.0/24" },
  hosts,
  containers: [
    { name: "web1", host: "docker1", image: "nginx:alpine", ports: ["80"] },
    { name: "web2", host: "docker2", image: "nginx:alpine", ports: ["80"] },
    { name: "web1", host: "docker3", image: "nginx:alpine", ports: ["80"] },
  ],
};

const network = new WeaveNetwork("cookbook", { name: spec.name, network: spec.network, hosts: spec.hosts });
// Each container waits for the network's consensus gate; web1 exists twice (docker1, docker3).
const containers = spec.containers.map(
  (c) => new WeaveContainer(`${c.host}-${c.name}`, { network, container: c }),
);

/** Per host: peer name, owned ranges (verified), predicted ranges, router status. */
export const weaveHosts = network.hosts;
/** Per container (`<host>/<name>`): ip, cidr, mac, fqdn. */
export const weaveContainers = pulumi.all(
  Object.fromEntries(
    containers.map((c) => [
      `${c.plan.host}/${c.name}`,
      pulumi.all({ ip: c.ip, cidr: c.cidr, mac: c.mac, fqdn: c.fqdn }),
    ]),
  ),
);
export const healthy = network.healthy;
