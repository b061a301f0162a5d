/**
 * Hosts whose address or SSH endpoint is known only at deploy time (a Pulumi Output or a Promise):
 * the planner checks the rest, plans what does not depend on them, and shows where they go.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostSpec, LabSpec } from "../spec";
import { planLab, SpecError } from "./index";
import { seedLab } from "../../test/builders";

type Lab = LabSpec<string, unknown>;

/** The seed lab with `change` applied to its second host (docker2). */
function withDocker2(change: (h: HostSpec<string, unknown>) => HostSpec<string, unknown>): Lab {
  const lab = seedLab() as Lab;
  return { ...lab, hosts: lab.hosts.map((h, i) => (i === 1 ? change(h) : h)) };
}

const problems = (lab: Lab): string[] => {
  try {
    planLab(lab);
    return [];
  } catch (e) {
    if (e instanceof SpecError) return e.issues.map((i) => i.path);
    throw e;
  }
};

describe("deploy-time host fields", () => {
  test.each([
    ["a Pulumi Output", () => pulumi.output("10.10.10.102")],
    ["a Promise", () => Promise.resolve("10.10.10.102")],
  ])(
    "an address given as %s is planned as <address of docker2>, everything else as with the value",
    (_, make) => {
      const known = planLab(seedLab());
      const deferred = planLab(withDocker2((h) => ({ ...h, address: make() })));
      const d2 = deferred.hosts[1];
      expect([d2.address, d2.atDeploy, d2.ssh.host]).toEqual([
        "<address of docker2>",
        ["address"],
        "<address of docker2>",
      ]);
      // Peer names, seeds, the predicted split and the network fingerprint do not depend on addresses.
      expect(deferred.hosts.map((h) => [h.peerName, h.predictedShare])).toEqual(
        known.hosts.map((h) => [h.peerName, h.predictedShare]),
      );
      expect(deferred.network).toEqual(known.network);
      // Every other host's launch names docker2's address by its placeholder, in docker2's place.
      const d1 = deferred.hosts[0];
      expect(d1.atDeploy).toBeUndefined();
      expect(d1.peers).toEqual(
        known.hosts[0].peers.map((a) => (a === "10.10.10.102" ? "<address of docker2>" : a)),
      );
      expect(d1.launch.argv).toEqual(
        known.hosts[0].launch.argv.map((a) => (a === "10.10.10.102" ? "<address of docker2>" : a)),
      );
    },
  );

  test("SSH host, user and bastion may be given at deploy time; each shows its own placeholder", () => {
    const plan = planLab(
      withDocker2((h) => ({
        ...h,
        ssh: {
          insecureIgnoreHostKey: true,
          host: pulumi.output("192.0.2.7"),
          user: pulumi.output("admin"),
          jumpHost: { host: pulumi.output("192.0.2.1"), user: pulumi.output("jump") },
        },
      })),
    );
    const d2 = plan.hosts[1];
    expect([d2.address, d2.ssh.host, d2.ssh.user, d2.ssh.jumpHost?.host, d2.ssh.jumpHost?.user]).toEqual([
      "10.10.10.102",
      "<ssh host of docker2>",
      "<ssh user of docker2>",
      "<bastion of docker2>",
      "<bastion user of docker2>",
    ]);
    expect(d2.atDeploy).toEqual(["ssh.host", "ssh.user", "ssh.jumpHost.host", "ssh.jumpHost.user"]);
  });

  test("known fields are still checked next to deploy-time ones", () => {
    const lab = withDocker2((h) => ({ ...h, address: pulumi.output("10.10.10.102") }));
    lab.hosts[0] = { ...lab.hosts[0], address: "10.10.10.999" };
    lab.hosts[2] = { ...lab.hosts[2], ssh: { insecureIgnoreHostKey: true, user: "not a user" } };
    expect(problems(lab)).toEqual(["hosts[0].address", "hosts[2].ssh.user"]);
  });

  test("a plain object is not a deploy-time value: it is refused as an address", () => {
    expect(problems(withDocker2((h) => ({ ...h, address: { ip: "10.10.10.102" } })))).toEqual([
      "hosts[1].address",
    ]);
  });

  test("once known, a duplicate address fails as it would have in the spec", () => {
    expect(problems(withDocker2((h) => ({ ...h, address: "10.10.10.101" })))).toEqual(["hosts[1].address"]);
  });
});
