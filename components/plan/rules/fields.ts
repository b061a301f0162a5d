/** Field names: catch typos (`adress`) instead of silently using a default. */
import type {
  ContainerSpec,
  DnsRecordSpec,
  DnsSettings,
  HostSpec,
  JumpHostSpec,
  LabSpec,
  NetworkSpec,
  SshSettings,
  WeaveSettings,
} from "../../spec";
import type { Obj, Rule, SpecContext } from "./context";

/**
 * The keys of `T`, each listed once. The list is checked against spec.ts by the compiler: naming
 * a key `T` lacks, or leaving one of its keys out, fails the build, so a field added to the spec
 * is accepted here as soon as it exists.
 */
const keysOf =
  <T>() =>
  <const K extends readonly (keyof T & string)[]>(
    keys: K &
      ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> }),
  ): readonly string[] =>
    keys;

const FIELDS: Record<string, readonly string[]> = {
  lab: keysOf<LabSpec>()(["name", "network", "hosts", "containers", "dnsRecords"]),
  network: keysOf<NetworkSpec>()([
    "allocRange",
    "defaultSubnet",
    "bootstrap",
    "password",
    "trustedSubnets",
    "dns",
    "weave",
    "proxy",
    "plugin",
    "resetForeignRouters",
    "consensusTimeoutSeconds",
  ]),
  dns: keysOf<DnsSettings>()(["domain", "ttl", "disabled"]),
  weave: keysOf<WeaveSettings>()([
    "distribution",
    "version",
    "install",
    "scriptPath",
    "scriptUrl",
    "scriptSha256",
    "dockerApiVersion",
  ]),
  host: keysOf<HostSpec>()(["name", "address", "ssh", "peerName", "nickname", "extraLaunchArgs"]),
  ssh: keysOf<SshSettings>()([
    "host",
    "port",
    "user",
    "privateKey",
    "passphrase",
    "agent",
    "hostKey",
    "insecureIgnoreHostKey",
    "sudo",
    "jumpHost",
    "connectTimeoutSeconds",
  ]),
  jumpHost: keysOf<JumpHostSpec>()(["host", "port", "user", "privateKey", "hostKey"]),
  container: keysOf<ContainerSpec>()([
    "name",
    "host",
    "image",
    "command",
    "env",
    "ports",
    "publishAll",
    "restart",
    "address",
    "subnet",
    "dnsNames",
    "hostname",
  ]),
  dnsRecord: keysOf<DnsRecordSpec>()(["name", "ips", "host"]),
};

export const fieldRules: Rule<{ path: string; key: string; kind: string }>[] = [
  {
    path: (f) => (f.path ? `${f.path}.${f.key}` : f.key),
    when: (f) => !FIELDS[f.kind].includes(f.key),
    message: (f) => `is not a known field; allowed here: ${FIELDS[f.kind].join(", ")}`,
  },
];

export function fieldItems(c: SpecContext): { path: string; key: string; kind: string }[] {
  const out: { path: string; key: string; kind: string }[] = [];
  const add = (path: string, o: Obj, kind: string): void => {
    for (const key of Object.keys(o)) out.push({ path, key, kind });
  };
  add("", c.spec, "lab");
  add("network", c.network, "network");
  add("network.dns", c.dns, "dns");
  add("network.weave", c.weave, "weave");
  for (const h of c.hosts) {
    add(`hosts[${h.i}]`, h.raw, "host");
    add(`hosts[${h.i}].ssh`, h.ssh, "ssh");
    if (h.jump) add(`hosts[${h.i}].ssh.jumpHost`, h.jump, "jumpHost");
  }
  for (const k of c.containers) add(`containers[${k.i}]`, k.raw, "container");
  for (const r of c.dnsRecords) add(`dnsRecords[${r.i}]`, r.raw, "dnsRecord");
  return out;
}
