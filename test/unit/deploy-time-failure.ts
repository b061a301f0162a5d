/**
 * Child of network-deploy-time.test.ts: a WeaveNetwork whose two machines report the same address.
 * Prints, as one JSON line, the distinct failures left unhandled (Pulumi reports each once) and
 * the routers that reached the monitor.
 */
import { WeaveNetwork } from "../../components/network";
import { ROUTER_TYPE } from "../../components/providers/router";
import { FakeMachine, machineMocks } from "./fake-machine";

const failures = new Set<Error>();
process.on("unhandledRejection", (e) => failures.add(e as Error));
const routers: string[] = [];
machineMocks((type, name) => {
  if (type === ROUTER_TYPE) routers.push(name);
});

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
