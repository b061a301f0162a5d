/**
 * Which resources may start as soon as their host's router runs. Shares are the fixture's seed
 * split (step 13): docker1 owns 172.16.16.128/26, docker2 .0/26, docker3 .192/26, docker4 .64/26.
 */
import type { ContainerSpec } from "../spec";
import { planLab } from "./index";
import { containerStartsAfter } from "./start-after";
import { seedLab } from "../../test/builders";

const kinds = (containers: ContainerSpec[], network = {}): string[] => {
  const plan = planLab(seedLab({ containers, network }));
  return plan.containers.map((c) => {
    const s = containerStartsAfter(plan, c);
    return s.kind === "router" ? `${c.key}: router ${s.host}` : `${c.key}: gate`;
  });
};

const web = (host: string, o: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: `w-${host}-${Object.keys(o).join("") || "dyn"}`,
  host,
  image: "lab/web:1",
  ...o,
});

describe("containerStartsAfter (seed mode)", () => {
  test("a dynamic address from the whole range: every host owns part of it, so its own router is enough", () => {
    expect(kinds([web("docker1"), web("docker4")])).toEqual([
      "docker1/w-docker1-dyn: router docker1",
      "docker4/w-docker4-dyn: router docker4",
    ]);
  });

  test("a default subnet outside a host's share (isolation): that host's containers wait for the gate", () => {
    expect(kinds([web("docker1"), web("docker2")], { defaultSubnet: "172.16.16.0/25" })).toEqual([
      "docker1/w-docker1-dyn: gate",
      "docker2/w-docker2-dyn: router docker2",
    ]);
  });

  test("a subnet: the router when the host's share meets it, else the gate", () => {
    const subnet = "172.16.16.64/26";
    expect(kinds([web("docker4", { subnet }), web("docker1", { subnet })])).toEqual([
      "docker4/w-docker4-subnet: router docker4",
      "docker1/w-docker1-subnet: gate",
    ]);
  });

  test("a static address: the router when the host owns it or it is outside the range (local only), else the gate", () => {
    expect(
      kinds([
        web("docker3", { address: "172.16.16.200/24" }),
        web("docker1", { address: "172.16.16.210/24" }),
        web("docker2", { address: "1.1.1.1/24" }),
      ]),
    ).toEqual([
      "docker3/w-docker3-address: router docker3",
      "docker1/w-docker1-address: gate",
      "docker2/w-docker2-address: router docker2",
    ]);
  });
});

test("consensus mode: no ring before the peers agree, so every container waits for the gate", () => {
  expect(
    kinds([web("docker1"), web("docker2", { address: "1.1.1.1/24" })], { bootstrap: "consensus" }),
  ).toEqual(["docker1/w-docker1-dyn: gate", "docker2/w-docker2-address: gate"]);
});
