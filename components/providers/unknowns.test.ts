/**
 * Preview as the engine does it: Pulumi hands `check` and `diff` its unknown placeholder wherever
 * an input is known only after apply (a local lab's host keys and SSH ports, a relaunched
 * router's container id). Every check and diff of the Router and the ConsensusGate is given the
 * placeholder at every position of realistic inputs: never a failure, never a throw, and the
 * diff says the field may change.
 */
import * as pulumi from "@pulumi/pulumi";
import { planLab } from "../plan";
import { gateProvider } from "./gate";
import { gateInputs, routerInputs } from "./inputs";
import { diffRouter } from "./router-diff";
import { routerProvider } from "./router";
import type { GateOutputs, RouterOutputs } from "./types";
import { containsUnknown, UNKNOWN } from "./unknowns";
import type { ConnectParams } from "../remote/types";
import { innerPositions, withUnknownAt } from "../../test/builders";

const plan = planLab({
  name: "preview",
  network: { allocRange: "172.16.16.0/24", password: "pw-secret" },
  hosts: ["h1", "h2", "h3"].map((name, i) => ({
    name,
    address: `10.10.10.${101 + i}`,
    ssh: { host: "127.0.0.1", port: 2201 + i, hostKey: "SHA256:pinned", privateKey: "k" },
  })),
});
const conns: Record<string, ConnectParams> = Object.fromEntries(
  plan.hosts.map((h, i) => [
    h.name,
    {
      hostName: h.name,
      host: "127.0.0.1",
      port: 2201 + i,
      user: "root",
      insecureIgnoreHostKey: false,
      sudo: false,
      connectTimeoutSeconds: 5,
      privateKey: "k",
      hostKey: "SHA256:pinned",
    },
  ]),
);
const routerIn = routerInputs(plan, "h1", conns, "pw-secret");
const routerOut: RouterOutputs = {
  ...routerIn,
  containerId: "c1",
  adopted: false,
  rejoined: false,
  status: "running",
  observedPeerName: routerIn.peerName,
  observedRange: routerIn.allocRange,
  statusDetail: "running",
};
const ids = { h1: "c1", h2: "c2", h3: "c3" };
const gateIn = gateInputs(plan, conns, ids);
const gateOut: GateOutputs = {
  ...gateIn,
  healthy: true,
  summary: "ok",
  results: {},
  ringSeed: gateIn.seedNames,
  convergedMs: 1,
};

test("the placeholder is Pulumi's own", () => {
  expect(UNKNOWN).toBe(pulumi.runtime.unknownValue);
});

test("Router check and diff take the placeholder at every position of its inputs: no failure, no throw, a possible change", async () => {
  const positions = innerPositions(routerIn);
  expect(positions.length).toBeGreaterThan(40);
  for (const p of positions) {
    const news = withUnknownAt(routerIn, p);
    const where = p.join(".");
    const check = await routerProvider.check!({}, news);
    expect({ where, failures: check.failures }).toEqual({ where, failures: [] });
    const diff = await routerProvider.diff!("lab/h1", routerOut, news);
    expect({ where, changes: diff.changes }).toEqual({ where, changes: true });
  }
});

test("Gate check and diff take the placeholder at every position of its inputs: no failure, no throw, a re-verification", async () => {
  const positions = innerPositions(gateIn);
  expect(positions.length).toBeGreaterThan(40);
  for (const p of positions) {
    const news = withUnknownAt(gateIn, p);
    const where = p.join(".");
    const check = await gateProvider.check!({}, news);
    expect({ where, failures: check.failures }).toEqual({ where, failures: [] });
    const diff = await gateProvider.diff!("lab/consensus", gateOut, news);
    expect({ where, changes: diff.changes }).toEqual({ where, changes: true });
  }
});

test("an unknown replace field is a possible replace; an unknown host key only a possible update", () => {
  const range = diffRouter(routerOut, { ...routerIn, allocRange: UNKNOWN });
  expect(range.replaces).toEqual(["allocRange"]);
  expect(range.reasons).toEqual([
    "allocRange is known only after apply: the router is replaced if it changes",
  ]);
  const key = diffRouter(routerOut, {
    ...routerIn,
    connection: { ...routerIn.connection, hostKey: UNKNOWN },
  });
  expect(key.replaces).toEqual([]);
  expect(key.updates).toEqual(["connection"]);
});

test("known inputs still fail the checks they should", async () => {
  const router = await routerProvider.check!(
    {},
    { ...routerIn, launch: { ...routerIn.launch, argv: ["weave", "stop"] } },
  );
  expect(router.failures?.map((f) => f.property)).toEqual(["launch"]);
  const gate = await gateProvider.check!({}, { ...gateIn, hosts: [], timeoutSeconds: 0 });
  expect(gate.failures?.map((f) => f.property)).toEqual(["hosts", "timeoutSeconds"]);
});

test("containsUnknown finds the placeholder at any depth and nothing else", () => {
  expect(containsUnknown({ a: [{ b: UNKNOWN }] })).toBe(true);
  expect(containsUnknown({ a: [{ b: "04da6b54" }], c: null })).toBe(false);
});

test("a diff's reasons never show the value of a secret launch flag", () => {
  const argv = [
    ...routerIn.launch.argv.slice(0, 2),
    "--token",
    "tok-sekrit",
    ...routerIn.launch.argv.slice(2),
  ];
  const d = diffRouter(routerOut, { ...routerIn, launch: { ...routerIn.launch, argv } });
  expect(d.replaces).toEqual(["launch"]);
  expect(d.reasons.join(" ")).toContain("--token <secret>");
  expect(d.reasons.join(" ")).not.toContain("tok-sekrit");
});
