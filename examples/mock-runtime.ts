/**
 * Pulumi's mock runtime for the examples' tests: records every resource an example declares and
 * answers as the providers would on success (key pairs get keys, routers run, the consensus gate
 * reports the planned shares).
 */
import * as pulumi from "@pulumi/pulumi";
import { fakePrivateKey } from "../test/fake-key";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Mocks see secret inputs wrapped in Pulumi's sentinel; returns the plain values. */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_KEY] === SECRET_SIG) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

const toInt = (ip: string): number => ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((b) => Math.floor(n / 2 ** b) % 256).join(".");

/**
 * What Weave would give a container: its static address, or the next free address of its subnet
 * (network address skipped), counted per subnet across the mock run.
 */
function allocate(
  addressing: { kind: string; subnet?: string; cidr?: string },
  used: Map<string, number>,
): string {
  if (addressing.kind === "static") return addressing.cidr!;
  const [net, prefix] = addressing.subnet!.split("/");
  const n = (used.get(addressing.subnet!) ?? 0) + 1;
  used.set(addressing.subnet!, n);
  return `${toIp(toInt(net) + n)}/${prefix}`;
}

/** Installs the mocks for `project`/`stack` with the given config; returns the registry. */
export function mockRuntime(
  project: string,
  config: Record<string, unknown>,
  secretKeys: string[] = [],
  stack = "dev",
): Registered[] {
  const registered: Registered[] = [];
  const used = new Map<string, number>();
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    ),
    secretKeys,
  );
  void pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, inputs, provider: args.provider });
        const state: Record<string, unknown> = { ...inputs };
        if (args.type.endsWith(":SshKeyPair")) {
          state.publicKey = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${args.name}`;
          state.privateKey = fakePrivateKey(args.name);
        }
        if (args.type.endsWith(":Router")) state.status = "running";
        if (args.type.endsWith(":ConsensusGate")) {
          const hosts = inputs.hosts as { host: string; peerName: string; predictedShare?: unknown[] }[];
          state.healthy = true;
          state.results = Object.fromEntries(
            hosts.map((h) => [h.host, { ...h, shares: h.predictedShare ?? [], size: 0 }]),
          );
        }
        if (args.type === "docker:index/image:Image") state.repoDigest = "";
        if (args.type === "docker:index/container:Container") {
          // As Docker reports a container's networks: the address it was given on each.
          const nets = (inputs.networksAdvanced ?? []) as { name: string; ipv4Address?: string }[];
          state.networkDatas = nets.map((n) => ({ networkName: n.name, ipAddress: n.ipv4Address ?? "" }));
        }
        if (args.type.startsWith("pulumi-nodejs:dynamic") && args.type.endsWith(":Container")) {
          const cidr = allocate(inputs.addressing as { kind: string }, used);
          state.containerId = `${args.name}-0123456789abcdef`;
          state.cidr = cidr;
          state.ip = cidr.split("/")[0];
          state.mac = `02:42:ac:10:10:${(registered.length % 256).toString(16).padStart(2, "0")}`;
          state.status = "running";
        }
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
    false,
  );
  return registered;
}

/** Resolves an Output's value. */
export const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));

/** Lets pending registrations reach the mock monitor. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 20));
}
