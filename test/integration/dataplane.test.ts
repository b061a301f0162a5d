/**
 * The data-plane proof and `weave-lab status` on the namespace lab with the Weave double, on
 * Docker-in-Docker hosts with real Weave 2.8.1 (`WEAVE_LAB_KIND=dind`, see test/run-all.sh), or on
 * real hosts through WEAVE_LAB_HOSTS named docker1..docker3: a lab brought up by the providers
 * passes the reachability and DNS matrix and reads as healthy; then drift made out of band (a
 * container detached with `weave detach`, another removed with `docker rm`) shows up in the
 * matrix as named pairs and in status as drift, with the documented exit codes.
 */
import { closeAll, getConnection } from "../../components/remote";
import type { HostConnection } from "../../components/remote/types";
import type { ContainerOutputs } from "../../components/providers/container-types";
import {
  isDataPlaneError,
  runDataPlane,
  type DataPlaneContainer,
  type DataPlaneInputs,
} from "../../components/providers/dataplane-ops";
import { weaveOf } from "../../components/providers/container-diff";
import type { OpsEnv } from "../../components/providers/ops-env";
import { planLab } from "../../components/plan";
import type { LabSpec } from "../../components/spec";
import { compareLab } from "../../components/status/compare";
import { observeLab } from "../../components/status/observe";
import { defaultStatusIo, runStatus } from "../../components/status/cli";
import { weaveCommands } from "../../components/weave/commands";
import { Engine } from "../engine/engine";
import { containerName, labResources } from "../engine/containers";
import { connectionsOf, specForLab } from "../engine/network";
import { getLab, type TestLab, consensusTimeoutFor } from "../lab";

jest.setTimeout(300_000);
process.env.CHECKPOINT_DISABLE = "1";

const HOSTS = ["docker1", "docker2", "docker3"];
let lab: TestLab;
const logs: string[] = [];

const env: OpsEnv = {
  connect: (p) => getConnection(p),
  log: (m) => logs.push(m),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

beforeAll(async () => {
  lab = await getLab({ names: HOSTS, double: { cliDelayMs: 0 } });
  const names = lab.hosts.map((h) => h.name);
  if (names.join() !== HOSTS.join())
    throw new Error(`this suite needs hosts named ${HOSTS.join(", ")}; got ${names.join(", ")}`);
});

afterAll(async () => {
  await closeAll();
  await lab?.destroy();
});

function spec(): LabSpec {
  const s = specForLab(lab, {
    name: "dataplane",
    network: {
      allocRange: "172.16.16.0/24",
      defaultSubnet: "172.16.16.0/25",
      consensusTimeoutSeconds: consensusTimeoutFor(lab),
    },
  });
  return {
    ...s,
    containers: [
      { name: "web1", host: "docker1", image: "lab/web:1" },
      { name: "web2", host: "docker2", image: "lab/web:1", dnsNames: ["www"] },
      // Another subnet: Weave must keep it apart from the two above.
      { name: "iso", host: "docker3", image: "lab/web:1", subnet: "172.16.16.128/26" },
    ],
    dnsRecords: [{ name: "gw", ips: [lab.hosts[0].address], host: "docker1" }],
  };
}

/** The check's inputs from the providers' outputs, as the program wires them. */
function checkInputs(s: LabSpec, engine: Engine, settleMs: number): DataPlaneInputs {
  const plan = planLab(s);
  const containers: DataPlaneContainer[] = plan.containers.map((c) => {
    const o = engine.outputs<ContainerOutputs>(containerName(c.key));
    return {
      key: c.key,
      name: c.name,
      host: c.host,
      containerId: o.containerId,
      cidr: o.cidr,
      names: [...(c.fqdn ? [c.fqdn] : []), ...c.extraFqdns],
      usesWeaveDns: c.fqdn !== undefined,
    };
  });
  return {
    lab: plan.name,
    containers,
    records: plan.dnsRecords.map((r) => ({ fqdn: r.fqdn, ips: r.ips })),
    connections: connectionsOf(plan, s),
    settleMs,
    commandMs: 15_000,
  };
}

function conn(s: LabSpec, host: string): HostConnection {
  return getConnection(connectionsOf(planLab(s), s)[host]);
}

/** `weave-lab status` as the command runs it, reading the spec from memory. */
async function status(s: LabSpec, extra: string[] = []): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runStatus(["lab.json", ...extra], {
    ...defaultStatusIo(),
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readFile: (p) => {
      if (p !== "lab.json") throw new Error(`unexpected read of ${p}`);
      return JSON.stringify(s);
    },
    env: {},
    // The suite's sessions stay open between calls.
    done: async () => undefined,
  });
  return { code, out, err };
}

describe("data plane and status on the Weave network (namespace lab + Weave double; real Weave with WEAVE_LAB_KIND=dind)", () => {
  test("a lab as specified passes the matrix and reads healthy; a container detached out of band fails the check naming its pairs and shows as drift; one removed with docker rm shows as missing", async () => {
    const s = spec();
    const plan = planLab(s);
    const engine = new Engine();
    await engine.up(labResources(s).resources);
    const ip = (key: string): string => engine.outputs<ContainerOutputs>(containerName(key)).ip;

    // 1. As specified: every pair as Weave should route it, every name from every host.
    const ok = await runDataPlane(env, checkInputs(s, engine, 20_000));
    expect(ok.matrix.failures).toEqual([]);
    expect(ok.matrix.reach["docker1/web1"]["docker2/web2"]).toMatchObject({
      expect: "reach",
      outcome: "reached",
    });
    expect(ok.matrix.reach["docker2/web2"]["docker1/web1"]).toMatchObject({
      expect: "reach",
      outcome: "reached",
    });
    expect(ok.matrix.reach["docker1/web1"]["docker3/iso"]).toMatchObject({
      expect: "isolated",
      outcome: "lost",
    });
    expect(ok.matrix.reach["docker3/iso"]["docker2/web2"]).toMatchObject({
      expect: "isolated",
      outcome: "lost",
    });
    // Names resolve from every host that has a container, across hosts, to the live addresses.
    expect(Object.keys(ok.matrix.dns).sort()).toEqual(HOSTS);
    expect(ok.matrix.dns.docker3["www.weave.local"]).toMatchObject({ got: [ip("docker2/web2")], ok: true });
    expect(ok.matrix.dns.docker2["web1.weave.local"]).toMatchObject({ got: [ip("docker1/web1")], ok: true });
    expect(ok.matrix.dns.docker1["gw.weave.local"]).toMatchObject({ got: [lab.hosts[0].address], ok: true });

    const live = compareLab(plan, await observeLab(env, plan, connectionsOf(plan, s)));
    expect(live.drift).toEqual([]);
    expect(live.health).toEqual([]);
    expect(live.exitCode).toBe(0);
    expect(live.hosts.find((h) => h.name === "docker2")!.containers).toEqual([
      expect.objectContaining({ key: "docker2/web2", state: "running", cidrs: [`${ip("docker2/web2")}/25`] }),
    ]);
    const healthy = await status(s);
    expect(healthy.code).toBe(0);
    expect(healthy.out).toContain("healthy and as specified");

    // 2. Out of band: web2 detached from Weave (the routers still agree).
    const web2 = engine.outputs<ContainerOutputs>(containerName("docker2/web2"));
    const detach = weaveCommands({ weave: weaveOf(plan.network.weave) }).detach([], web2.containerId);
    await conn(s, "docker2").exec(detach.argv, {
      env: detach.env,
      timeoutMs: 60_000,
      what: "weave detach web2",
    });

    let err: unknown;
    try {
      await runDataPlane(env, checkInputs(s, engine, 2_000));
    } catch (e) {
      err = e;
    }
    expect(isDataPlaneError(err)).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain("the routers agree, but containers do not reach each other");
    expect(msg).toContain(`docker1/web1 cannot reach docker2/web2 at ${web2.ip}`);
    expect(msg).not.toContain("docker1/web1 reaches");

    const detached = await status(s, ["--json", "--verify"]);
    expect(detached.code).toBe(1);
    const doc = JSON.parse(detached.out) as {
      drift: Array<{ kind: string; subject: string }>;
      dataPlane: { ok: boolean; failures: string[] };
    };
    expect(doc.drift.map((d) => [d.kind, d.subject])).toContainEqual(["container-detached", "docker2/web2"]);
    expect(doc.dataPlane.ok).toBe(false);

    // 3. Out of band: iso removed with docker rm.
    const rm = await conn(s, "docker3").exec(["docker", "rm", "-f", "iso"], { timeoutMs: 60_000 });
    expect(rm.code).toBe(0);
    const gone = compareLab(plan, await observeLab(env, plan, connectionsOf(plan, s)));
    expect(gone.drift.map((d) => [d.kind, d.subject])).toEqual(
      expect.arrayContaining([
        ["container-detached", "docker2/web2"],
        ["container-missing", "docker3/iso"],
      ]),
    );
    expect(gone.exitCode).toBe(1);
    const text = await status(s);
    expect(text.code).toBe(1);
    expect(text.out).toContain("container-missing: docker3/iso: no such container on docker3");

    await engine.destroy();
    expect(engine.state.size).toBe(0);
  });
});
