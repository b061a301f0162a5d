/**
 * Hosts that come from another resource (issue 12): a program whose machines report their
 * addresses only once created, run by the program harness (preview first, with those addresses
 * unknown, then up) on the namespace lab, or on Docker-in-Docker hosts with real Weave.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { closeAll } from "../../components/remote";
import { ProgramHarness, stackConfigForLab } from "../engine/program-harness";
import { getLab, resetHostsAfterEachTest, type TestLab, consensusTimeoutFor } from "../lab";

jest.setTimeout(300_000);
process.env.CHECKPOINT_DISABLE = "1";

const HOSTS = ["vm1", "vm2", "vm3"];
let lab: TestLab;
let outDir: string;

beforeAll(async () => {
  lab = await getLab({ names: HOSTS, double: { cliDelayMs: 0 } });
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-from-resources-"));
});

resetHostsAfterEachTest(() => lab);

afterAll(async () => {
  await closeAll();
  await lab?.destroy();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

type Planned = { name: string; address: string; peerName: string; predictedShares: string[] };

test("machines that report their addresses only once created: the preview plans names and shares with <address of …>, up launches the routers on the reported addresses, agrees on one ring, runs containers; destroy leaves the hosts clean", async () => {
  const { config, secretKeys } = stackConfigForLab(
    lab,
    {
      name: "from-resources",
      network: { allocRange: "172.16.20.0/24", consensusTimeoutSeconds: consensusTimeoutFor(lab) },
      containers: [
        { name: "web1", host: "vm1", image: "lab/web:1" },
        { name: "web2", host: "vm3", image: "lab/web:1" },
      ],
    },
    outDir,
  );
  const stack = new ProgramHarness({
    config,
    secretKeys,
    programPath: path.resolve(__dirname, "../engine/programs/hosts-from-resources.ts"),
  });
  const up = await stack.up();

  // The preview ran before anything existed: placeholders where addresses go, names and shares known.
  const previewed = up.previewExports!.plannedHosts as Planned[];
  expect(previewed.map((h) => h.address)).toEqual(HOSTS.map((h) => `<address of ${h}>`));
  const shares = previewed.flatMap((h) => h.predictedShares);
  expect(shares.reduce((n, c) => n + 2 ** (32 - Number(c.split("/")[1])), 0)).toBe(256);
  expect(up.preview!.filter((s) => s.type.endsWith(":Router")).map((s) => s.kind)).toEqual([
    "create",
    "create",
    "create",
  ]);

  // Up: the routers got the addresses the machines reported, and the ring is the predicted one.
  expect(up.exports.healthy).toBe(true);
  const hosts = up.exports.weaveHosts as Record<
    string,
    { address: string; peerName: string; shares: { cidr: string }[] }
  >;
  expect(HOSTS.map((h) => hosts[h].address)).toEqual(
    HOSTS.map((h) => lab.hosts.find((x) => x.name === h)!.address),
  );
  expect(HOSTS.map((h) => hosts[h].shares.map((s) => s.cidr))).toEqual(
    HOSTS.map((h) => previewed.find((p) => p.name === h)!.predictedShares),
  );
  for (const h of HOSTS) {
    const status = await lab.ssh(h, "docker inspect -f '{{.State.Running}}' weave");
    expect([h, status.stdout.trim()]).toEqual([h, "true"]);
  }
  const containers = up.exports.weaveContainers as Record<string, { ip: string; cidr: string }>;
  expect(Object.keys(containers).sort()).toEqual(["vm1/web1", "vm3/web2"]);
  for (const c of Object.values(containers)) expect(c.cidr).toMatch(/^172\.16\.20\.\d+\/24$/);

  // A second up changes nothing.
  const again = await stack.up();
  expect([...new Set(again.steps.map((s) => s.kind))]).toEqual(["same"]);

  await stack.destroy();
  expect(stack.state).toEqual([]);
  for (const h of HOSTS) {
    const left = await lab.ssh(h, "docker ps -a --format '{{.Names}}'");
    expect([h, left.stdout.trim()]).toEqual([h, ""]);
  }
});
