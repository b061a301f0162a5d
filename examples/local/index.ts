/**
 * A small local lab: two Docker-in-Docker hosts on this machine's Docker, a Weave network on
 * them, and the textbook's web1/web2. The same components as for real hosts: LocalLab only
 * provides the hosts (SSH on 127.0.0.1:2211-2212 with a per-stack key and pinned host keys).
 *
 * The repository's main program (`npm run lab`) does the same with three hosts and more outputs.
 *
 * README.md next to this file gives the commands from zero: install, backend, stack, config, up,
 * destroy.
 */
import * as pulumi from "@pulumi/pulumi";
import { LocalLab, WeaveContainer, WeaveNetwork, type ContainerSpec } from "weave-lab";

const stack = pulumi.getStack();
// Own ports and Docker names, so this example can run next to `npm run lab`.
const hosts = new LocalLab("local", {
  hosts: 2,
  sshPortBase: 2211,
  subnet: "10.10.11.0/24",
  stack: `example-local-${stack}`,
  keyFile: "id_ed25519",
  knownHostsFile: "known_hosts",
});

const network = { allocRange: "172.16.16.0/24" };
const containers: ContainerSpec[] = [
  { name: "web1", host: "docker1", image: "lab/web:1" },
  { name: "web2", host: "docker2", image: "lab/web:1" },
];
const lab = new WeaveNetwork(
  "local-lab",
  { name: "local", network, hosts: hosts.hosts },
  { dependsOn: [hosts] },
);
// lab/web:1 is built inside every local host from its busybox at start (no registry needed).
const created = containers.map(
  (c) => new WeaveContainer(`${c.host}-${c.name}`, { network: lab, container: c }),
);

export const weaveHosts = lab.hosts;
export const weaveContainers = pulumi.all(
  Object.fromEntries(
    created.map((c) => [`${c.plan.host}/${c.name}`, pulumi.all({ ip: c.ip, cidr: c.cidr, fqdn: c.fqdn })]),
  ),
);
/** `ssh -i id_ed25519 …`: write the key first with `pulumi stack output --show-secrets sshPrivateKey > id_ed25519 && chmod 600 id_ed25519` and `pulumi stack output knownHosts > known_hosts`. */
export const sshCommands = hosts.sshCommands;
export const sshPrivateKey = hosts.sshPrivateKey;
export const knownHosts = hosts.knownHosts;
