/**
 * Child of network-deploy-time.test.ts: a WeaveNetwork whose two machines report the same address.
 * Prints, as one JSON line, the distinct failures left unhandled (Pulumi reports each once) and
 * the routers that reached the monitor.
 */
import * as pulumi from "@pulumi/pulumi";
import { WeaveNetwork } from "../../components/network";
import { ROUTER_TYPE } from "../../components/providers/router";

const failures = new Set<Error>();
process.on("unhandledRejection", (e) => failures.add(e as Error));
const routers: string[] = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      if (args.type === ROUTER_TYPE) routers.push(args.name);
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type === "test:index:Machine") state.ip = args.inputs.wantIp;
      return { id: `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
  },
  "weave-lab-test",
  "dev",
  false,
);

class FakeMachine extends pulumi.CustomResource {
  declare readonly ip: pulumi.Output<string>;
  constructor(name: string, wantIp: string) {
    super("test:index:Machine", name, { ip: undefined, wantIp });
  }
}

new WeaveNetwork("dup", {
  name: "dup",
  network: { allocRange: "172.16.19.0/24" },
  hosts: ["192.0.2.21", "192.0.2.21"].map((ip, i) => ({
    name: `m${i + 1}`,
    address: new FakeMachine(`machine-${i + 1}`, ip).ip,
    ssh: { insecureIgnoreHostKey: true },
  })),
});

setTimeout(() => {
  const messages = [...new Set([...failures].map((e) => e.message))];
  process.stdout.write(JSON.stringify({ failures: messages, errors: failures.size, routers }) + "\n");
  process.exit(0);
}, 2000);
