/**
 * The lab program itself (`index.ts`) end to end on the namespace lab (or real hosts through
 * WEAVE_LAB_HOSTS): stack config → WeaveNetwork → gate → WeaveContainers → DNS records → stack
 * outputs, with every dynamic provider's real methods run by the program harness.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { closeAll, getConnection } from "../../components/remote";
import { expectResolves } from "../../components/providers/name-lookup";
import type { ContainerOutput } from "../../components/lab-containers";
import type { HostOutput } from "../../components/program";
import type { DataPlaneMatrix } from "../../components/providers/dataplane-matrix";
import { ProgramHarness, stackConfigForLab, type ProgramRun } from "../engine/program-harness";
import { getLab, resetHostsAfterEachTest, type TestLab, consensusTimeoutFor } from "../lab";
import type { LabHost } from "../lab";

jest.setTimeout(300_000);
process.env.CHECKPOINT_DISABLE = "1";

const HOSTS = ["docker1", "docker2", "docker3", "docker4"];
let lab: TestLab;
let outDir: string;

beforeAll(async () => {
  lab = await getLab({ names: HOSTS, double: { cliDelayMs: 0 } });
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-e2e-"));
});

resetHostsAfterEachTest(() => lab);

afterAll(async () => {
  await closeAll();
  await lab?.destroy();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

function connOf(h: LabHost) {
  return getConnection({
    hostName: h.name,
    host: h.sshHost,
    port: h.sshPort,
    user: h.user,
    privateKey: h.privateKey,
    hostKey: h.hostKey,
    insecureIgnoreHostKey: false,
    sudo: false,
    connectTimeoutSeconds: 10,
  });
}
const host = (n: string): LabHost => lab.hosts.find((h) => h.name === n) as LabHost;

/** Steps by kind for the resources of one Pulumi type suffix (`:Container`, `:Router`…). */
function kindsOf(run: ProgramRun, typeSuffix: string): string[] {
  return run.steps
    .filter((s) => s.type.endsWith(typeSuffix))
    .map((s) => `${s.name}:${s.kind}`)
    .sort();
}

async function labContainers(h: string): Promise<string[]> {
  const r = await lab.ssh(h, "docker ps -a --format '{{.Names}}'");
  return r.stdout
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();
}

describe("the lab program end to end (program harness on the namespace lab)", () => {
  test("the textbook lab from stack config: outputs give every container's address and each host's share; web1.weave.local resolves to both web1s from web2; up twice changes nothing; a container removed out of band is seen by refresh and recreated by up; destroy leaves the hosts clean", async () => {
    const { config, secretKeys } = stackConfigForLab(
      lab,
      {
        name: "textbook",
        network: { allocRange: "172.16.16.0/24", consensusTimeoutSeconds: consensusTimeoutFor(lab) },
        containers: [
          { name: "web1", host: "docker1", image: "lab/web:1" },
          { name: "web2", host: "docker2", image: "lab/web:1" },
          { name: "web1", host: "docker3", image: "lab/web:1" },
        ],
        dnsRecords: [{ name: "docker4", ips: [host("docker4").address], host: "docker4" }],
      },
      outDir,
    );
    const stack = new ProgramHarness({ config, secretKeys });

    const first = await stack.up();
    // The real wiring: 4 routers, the gate after them, 3 containers and the record.
    expect(kindsOf(first, ":Router")).toEqual(HOSTS.map((h) => `lab-${h}:create`));
    expect(kindsOf(first, ":ConsensusGate")).toEqual(["lab-consensus:create"]);
    expect(kindsOf(first, ":Container")).toEqual([
      "docker1-web1:create",
      "docker2-web2:create",
      "docker3-web1:create",
    ]);
    expect(kindsOf(first, ":DnsRecord")).toEqual(["dns-docker4-docker4.weave.local:create"]);
    // The data-plane proof ran after every container and record, and is a stack output.
    expect(kindsOf(first, ":DataPlaneCheck")).toEqual(["dataplane:create"]);
    const checkStep = first.steps.find((s) => s.type.endsWith(":DataPlaneCheck"))!;
    for (const s of first.steps.filter((x) => x.type.endsWith(":Container") || x.type.endsWith(":DnsRecord")))
      expect(checkStep.startedMs).toBeGreaterThanOrEqual(s.startedMs + s.durationMs);
    const dataPlane = first.exports.dataPlane as DataPlaneMatrix;
    expect(dataPlane.ok).toBe(true);
    expect(dataPlane.reach["docker2/web2"]["docker3/web1"]).toMatchObject({
      expect: "reach",
      outcome: "reached",
    });
    expect(Object.keys(dataPlane.dns).sort()).toEqual(["docker1", "docker2", "docker3"]);
    // Seed mode: each container and record starts once its own host's router runs (that router
    // owns the address from launch), without waiting for the gate; the data-plane proof waits for it.
    const done = (s: { startedMs: number; durationMs: number }): number => s.startedMs + s.durationMs;
    const routerOf = (h: string) =>
      first.steps.find((s) => s.type.endsWith(":Router") && s.name === `lab-${h}`)!;
    const hostOf: Record<string, string> = {
      "docker1-web1": "docker1",
      "docker2-web2": "docker2",
      "docker3-web1": "docker3",
      "dns-docker4-docker4.weave.local": "docker4",
    };
    for (const s of first.steps.filter((x) => x.type.endsWith(":Container") || x.type.endsWith(":DnsRecord")))
      expect([s.name, s.startedMs >= done(routerOf(hostOf[s.name]))]).toEqual([s.name, true]);
    const gateDone = first.steps.find((s) => s.type.endsWith(":ConsensusGate"))!;
    expect(checkStep.startedMs).toBeGreaterThanOrEqual(done(gateDone));

    const containers = first.exports.containers as Record<string, ContainerOutput>;
    expect(Object.keys(containers).sort()).toEqual(["docker1/web1", "docker2/web2", "docker3/web1"]);
    for (const c of Object.values(containers)) {
      expect(c.ip).toMatch(/^172\.16\.16\.\d+$/);
      expect(c.cidr).toBe(`${c.ip}/24`);
      expect(c.id).toMatch(/^[0-9a-f]{64}$/);
      expect(c.fqdn).toBe(`${c.name}.weave.local`);
    }
    const hosts = first.exports.hosts as Record<string, HostOutput>;
    expect(Object.values(hosts).map((h) => h.status)).toEqual(["running", "running", "running", "running"]);
    expect(Object.values(hosts).reduce((n, h) => n + Number(h.share.split(" ")[0]), 0)).toBe(256);
    expect(first.exports.rangeTable).toEqual(expect.stringContaining("web1"));
    expect(fs.existsSync(path.join(outDir, "weave-lab-e2e.svg"))).toBe(true);

    const c2 = connOf(host("docker2"));
    await expectResolves(c2, "web2", "web1.weave.local", [
      containers["docker1/web1"].ip,
      containers["docker3/web1"].ip,
    ]);
    await expectResolves(c2, "web2", "docker4.weave.local", [host("docker4").address]);

    // Up twice: every resource is "same".
    const second = await stack.up();
    expect([...new Set(second.steps.map((s) => s.kind))]).toEqual(["same"]);
    expect(second.exports.containers).toEqual(first.exports.containers);

    // Out of band removal: refresh reports it gone, up recreates it.
    expect((await lab.ssh("docker2", "docker rm -f web2")).code).toBe(0);
    const refreshed = await stack.refresh();
    expect(refreshed.steps.filter((s) => s.kind === "gone").map((s) => s.name)).toEqual(["docker2-web2"]);
    const third = await stack.up();
    // The recreated container has a new id: the data plane is proven again.
    expect(third.steps.filter((s) => s.kind !== "same").map((s) => `${s.name}:${s.kind}`)).toEqual([
      "docker2-web2:create",
      "dataplane:update",
    ]);
    await expectResolves(c2, "web2", "web1.weave.local", [
      containers["docker1/web1"].ip,
      containers["docker3/web1"].ip,
    ]);

    // Destroy: the data-plane check first, containers and records before their routers, the gate
    // before the routers, and nothing left on the hosts.
    const down = await stack.destroy();
    expect(stack.state).toEqual([]);
    const of = (suffix: string) => down.steps.filter((s) => s.type.endsWith(suffix));
    const ended = (suffix: string): number => Math.max(...of(suffix).map((s) => s.startedMs + s.durationMs));
    const began = (suffix: string): number => Math.min(...of(suffix).map((s) => s.startedMs));
    expect(of(":Container")).toHaveLength(3);
    expect(of(":Router")).toHaveLength(4);
    expect(ended(":DataPlaneCheck")).toBeLessThanOrEqual(
      Math.min(began(":Container"), began(":DnsRecord"), began(":ConsensusGate")),
    );
    for (const s of [...of(":Container"), ...of(":DnsRecord")]) {
      const router = down.steps.find(
        (r) => r.type.endsWith(":Router") && r.name === `lab-${hostOf[s.name]}`,
      )!;
      expect([s.name, s.startedMs + s.durationMs <= router.startedMs]).toEqual([s.name, true]);
    }
    expect(ended(":ConsensusGate")).toBeLessThanOrEqual(began(":Router"));
    for (const h of HOSTS) expect(await labContainers(h)).toEqual([]);
  });
});
