/**
 * Routers and consensus on a namespace lab with the Weave double (or on real hosts through
 * WEAVE_LAB_HOSTS): the providers driven the way the Pulumi engine drives them.
 */
import {
  closeAll,
  getConnection,
  setLogger,
  stats,
  resetStats,
  type RemoteLogEvent,
} from "../../components/remote";
import { readDockerVersion, readRouterContainer } from "../../components/providers/docker-reads";
import type { GateOutputs, RouterOutputs } from "../../components/providers/types";
import { gateProvider } from "../../components/providers/gate";
import { routerProvider } from "../../components/providers/router";
import { parseReport } from "../../components/weave/report";
import type { WeaveReport } from "../../components/weave/types";
import { Engine, EngineError, type Step } from "../engine/engine";
import {
  connectionsOf,
  GATE,
  networkResources,
  routerName,
  specForLab,
  DOUBLE_WEAVE,
} from "../engine/network";
import { serializeProvider, serializedProvider } from "../engine/serialize";
import {
  getLab,
  resetHostsAfterEachTest,
  writeDoubleConfig,
  type TestLab,
  consensusTimeoutFor,
} from "../lab";
import type { NetworkSpec } from "../../components/spec";
import { promises as fsp } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateKeyPair } from "../lab/sshd";

jest.setTimeout(240_000);
process.env.CHECKPOINT_DISABLE = "1";

const RANGE = "172.16.16.0/24";
let lab: TestLab;
const events: RemoteLogEvent[] = [];

beforeAll(async () => {
  lab = await getLab({ hosts: 5, double: { cliDelayMs: 0 } });
  setLogger((e) => events.push(e));
});

// On real Weave a failed test leaves its routers running, and every later test would meet "a
resetHostsAfterEachTest(() => lab);

afterAll(async () => {
  setLogger(undefined);
  await closeAll();
  await lab?.destroy();
});

const names = (steps: Step[]): string[] => steps.map((s) => `${s.name}:${s.kind}`).sort();
const FOUR = ["host1", "host2", "host3", "host4"];

function spec(hosts: string[], network: NetworkSpec = {}, name?: string) {
  return specForLab(lab, {
    hosts,
    name,
    network: { allocRange: RANGE, consensusTimeoutSeconds: consensusTimeoutFor(lab), ...network },
  });
}

/** Every `exec` the transport ran since `from`, as rendered (no secrets). */
function execsSince(from: number): string[] {
  return events
    .slice(from)
    .filter((e) => e.message.startsWith("exec "))
    .map((e) => `${e.hostName}: ${e.message.slice(5)}`);
}

async function reportOf(host: string): Promise<WeaveReport | undefined> {
  const r = await lab.ssh(host, "curl -s -H 'Accept: application/json' http://127.0.0.1:6784/report || true");
  if (r.code !== 0 || !r.stdout.trim().startsWith("{")) {
    // Hosts without curl: ask the weave script.
    const w = await lab.ssh(host, `${lab.real ? "weave" : DOUBLE_WEAVE} report 2>/dev/null`);
    return w.code === 0 && w.stdout.trim().startsWith("{") ? parseReport(w.stdout) : undefined;
  }
  return parseReport(r.stdout);
}

/** What a reset must leave behind on a host: nothing of Weave's. */
async function leftovers(host: string): Promise<string[]> {
  const r = await lab.ssh(
    host,
    `docker ps -a --format '{{.Names}}' | grep -E '^weave' || true; ` +
      `if [ -n "$WEAVE_DOUBLE_HOME" ]; then cd "$WEAVE_DOUBLE_HOME" && ls bridge.json weavedb.json 2>/dev/null || true; ` +
      `else ip -o link show weave 2>/dev/null | cut -d: -f2 || true; fi`,
  );
  return r.stdout
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
}

async function expectClean(hosts: string[]): Promise<void> {
  const left = await Promise.all(hosts.map(async (h) => [h, await leftovers(h)] as const));
  expect(Object.fromEntries(left)).toEqual(Object.fromEntries(hosts.map((h) => [h, []])));
}

/** A host's outputs per router (the engine's state). */
const routerOut = (e: Engine, host: string): RouterOutputs => e.outputs<RouterOutputs>(routerName(host));

describe("routers and consensus (namespace lab + Weave double)", () => {
  test("Docker reads through the Engine API answer byte for byte as the docker CLI does (version; the weave container absent, then running); on real Docker the API answers and up runs neither CLI read, behind the namespace hosts' sshd (stream-local forwarding off) the CLI does", async () => {
    const s = spec(["host1"]);
    const { plan, resources } = networkResources(s);
    const conn = getConnection(connectionsOf(plan, s).host1);
    const cli = async (command: string): Promise<string> => (await lab.ssh("host1", command)).stdout;
    const version = await readDockerVersion(conn, 10_000);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(
      await cli(
        "docker version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}'",
      ),
    );
    const absent = await readRouterContainer(conn, 10_000);
    expect(absent.code).not.toBe(0);
    expect(absent.stderr).toMatch(/No such object: weave/);

    const engine = new Engine();
    const mark = events.length;
    await engine.up(resources);
    try {
      const cliReads = execsSince(mark).filter((e) => /docker (version|inspect .* weave$)/.test(e));
      const running = await readRouterContainer(conn, 10_000);
      expect(running.stdout).toBe(
        await cli("docker inspect --format '{{.Id}} {{.State.Status}} {{json .Args}}' weave"),
      );
      expect(running.stdout).toMatch(/^[0-9a-f]{64} running \[/);
      const direct = await conn.dockerGet!("/version").then(
        (r) => r.status,
        (e: Error) => e.message,
      );
      if (lab.real) {
        expect(direct).toBe(200);
        expect(cliReads).toEqual([]);
      } else {
        expect(direct).toMatch(/cannot reach \/var\/run\/docker\.sock through SSH stream-local forwarding/);
        expect(cliReads.length).toBeGreaterThanOrEqual(2);
      }
    } finally {
      await engine.destroy();
      // The next test counts the SSH sessions its up opens.
      await closeAll();
    }
  });

  test("four hosts on 172.16.16.0/24 with realistic CLI timing: routers up, gate passes, each share equals the seed prediction; up twice changes nothing; destroy leaves nothing; up again is healthy", async () => {
    await Promise.all(lab.hosts.map((h) => h.home && writeDoubleConfig(h.home, { cliDelayMs: 650 })));
    try {
      const s = spec(FOUR);
      const { plan, resources } = networkResources(s);
      const engine = new Engine();
      resetStats();
      const steps = await engine.up(resources);
      expect(names(steps)).toEqual([`${GATE}:create`, ...FOUR.map((h) => `${routerName(h)}:create`)].sort());
      const gate = engine.outputs<GateOutputs>(GATE);
      expect(gate.healthy).toBe(true);
      for (const h of plan.hosts) {
        expect(h.predictedShare).toBeDefined();
        expect(gate.results[h.name].shares.map((x) => x.cidr)).toEqual(h.predictedShare!.map((x) => x.cidr));
        expect(gate.results[h.name].size).toBe(64);
        expect(routerOut(engine, h.name).status).toBe("running");
      }
      // One SSH session per host for the whole up (routers, probes and gate share the pool).
      expect(stats().opened).toEqual(Object.fromEntries(FOUR.map((h) => [h, 1])));
      // The hosts agree among themselves, not just with us.
      const r1 = await reportOf("host3");
      expect(r1?.ipam?.owners.map((o) => o.peer).sort()).toEqual(plan.hosts.map((h) => h.peerName).sort());

      const mark = events.length;
      const again = await engine.up(resources);
      expect(names(again).every((n) => n.endsWith(":same"))).toBe(true);
      // A second up runs no command at all on any host (no weave CLI call, not even a read).
      expect(execsSince(mark)).toEqual([]);

      await engine.destroy();
      expect(engine.state.size).toBe(0);
      await expectClean(FOUR);

      const third = await engine.up(resources);
      expect(names(third)).toEqual(names(steps));
      expect(engine.outputs<GateOutputs>(GATE).healthy).toBe(true);
      await engine.destroy();
      await expectClean(FOUR);
    } finally {
      await Promise.all(lab.hosts.map((h) => h.home && writeDoubleConfig(h.home, { cliDelayMs: 0 })));
    }
  });

  test("the serialised providers (fresh Node process per call, like Pulumi's plugin) create, read, update and delete a two-host network", async () => {
    const routerText = await serializeProvider(routerProvider);
    const gateText = await serializeProvider(gateProvider);
    const opts = {
      routerProvider: serializedProvider(routerText),
      gateProvider: serializedProvider(gateText),
    };
    const engine = new Engine();
    const two = networkResources(spec(["host1", "host2"], {}, `ser-${lab.id}`), opts);
    expect(names(await engine.up(two.resources))).toEqual(
      [`${GATE}:create`, `${routerName("host1")}:create`, `${routerName("host2")}:create`].sort(),
    );
    expect(engine.outputs<GateOutputs>(GATE).healthy).toBe(true);
    const refreshed = await engine.refresh();
    expect(refreshed.every((s) => s.kind === "refresh" && (s.keys ?? []).length === 0)).toBe(true);
    // Adding a host updates the two routers in place (connect) and creates the third.
    const three = networkResources(spec(["host1", "host2", "host3"], {}, `ser-${lab.id}`), opts);
    const steps = await engine.up(three.resources);
    expect(names(steps)).toEqual(
      [
        `${GATE}:update`,
        `${routerName("host1")}:update`,
        `${routerName("host2")}:update`,
        `${routerName("host3")}:create`,
      ].sort(),
    );
    expect(routerOut(engine, "host3").rejoined).toBe(true);
    expect(engine.outputs<GateOutputs>(GATE).healthy).toBe(true);
    await engine.destroy();
    await expectClean(["host1", "host2", "host3"]);
  });

  test("consensus bootstrap: weave prime forms one ring over the lab; every owner is a lab host and the ring covers the range (a host with no share is normal)", async () => {
    const engine = new Engine();
    const three = ["host1", "host2", "host3"];
    const { plan, resources } = networkResources(spec(three, { bootstrap: "consensus" }, `cons-${lab.id}`));
    expect(plan.hosts.every((h) => h.predictedShare === undefined)).toBe(true);
    expect(plan.hosts[0].launch.argv).toContain("consensus=3");
    await engine.up(resources);
    const gate = engine.outputs<GateOutputs>(GATE);
    expect(gate.healthy).toBe(true);
    const sizes = three.map((h) => gate.results[h].size);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(256);
    expect(sizes.filter((x) => x > 0).length).toBeGreaterThanOrEqual(2);
    await engine.destroy();
    await expectClean(three);
  });

  test("a fifth host joins the ring without a relaunch of the others, and a removed host hands its range back: no unreachable owner remains", async () => {
    const engine = new Engine();
    const name = `grow-${lab.id}`;
    await engine.up(networkResources(spec(FOUR, {}, name)).resources);
    const five = ["host1", "host2", "host3", "host4", "host5"];
    const grow = await engine.up(networkResources(spec(five, {}, name)).resources);
    expect(names(grow)).toEqual(
      [
        `${GATE}:update`,
        ...FOUR.map((h) => `${routerName(h)}:update`),
        `${routerName("host5")}:create`,
      ].sort(),
    );
    expect(routerOut(engine, "host5").rejoined).toBe(true);
    const gate = engine.outputs<GateOutputs>(GATE);
    expect(gate.healthy).toBe(true);

    const host4Peer = routerOut(engine, "host4").peerName;
    const keep = ["host1", "host2", "host3", "host5"];
    const shrink = await engine.up(networkResources(spec(keep, {}, name)).resources);
    expect(names(shrink)).toEqual(
      [
        `${GATE}:update`,
        ...keep.map((h) => `${routerName(h)}:update`),
        `${routerName("host4")}:delete`,
      ].sort(),
    );
    await expectClean(["host4"]);
    for (const h of keep) {
      const r = await reportOf(h);
      const owners = r?.ipam?.owners ?? [];
      expect(owners.filter((o) => !o.reachable || o.peer === host4Peer)).toEqual([]);
      expect(owners.reduce((a, o) => a + o.size, 0)).toBe(256);
    }
    await engine.destroy();
    await expectClean(five);
  });

  test("hosts with a key each: a router reset out of band is launched again in a fresh run, reaches its peers with their own keys, sees their ring and rejoins it (no second ring)", async () => {
    const three = ["host1", "host2", "host3"];
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "wl-keys-"));
    const mark = `weave-lab-own-key-${lab.id}`;
    // Where each host's sshd reads authorized keys: the namespace lab's own file, else root's.
    const authorized = (h: string): string =>
      lab.kind === "namespace"
        ? path.join(path.dirname(lab.hosts.find((x) => x.name === h)!.home!), ".lab", h, "authorized_keys")
        : "$HOME/.ssh/authorized_keys";
    const keys: Record<string, string> = {};
    try {
      for (const h of three) {
        const k = await generateKeyPair(path.join(dir, h), mark);
        keys[h] = k.privateKey;
        // Each host also accepts its own new key and no other host's (the lab's key stays, for
        // the test's own ssh).
        const add = await lab.ssh(h, `cat >> "${authorized(h)}"`, { stdin: `${k.publicKey}\n` });
        expect(add.code).toBe(0);
      }
      const keyed = () =>
        specForLab(lab, {
          hosts: three,
          name: `keys-${lab.id}`,
          network: { allocRange: RANGE, consensusTimeoutSeconds: consensusTimeoutFor(lab) },
          hostOverrides: Object.fromEntries(
            three.map((h) => {
              const ssh = { ...specForLab(lab, { hosts: [h] }).hosts[0].ssh, privateKey: keys[h] };
              return [h, { ssh }];
            }),
          ),
        });
      // host3's key is refused by host1 (the case a router's own key used to meet).
      await closeAll();
      const h1 = lab.hosts.find((x) => x.name === "host1")!;
      const refused = await getConnection({
        hostName: "host1",
        host: h1.sshHost,
        port: h1.sshPort,
        user: h1.user,
        privateKey: keys.host3,
        hostKey: h1.hostKey,
        insecureIgnoreHostKey: false,
        sudo: false,
        connectTimeoutSeconds: 10,
      })
        .exec(["true"])
        .catch((e: Error) => e);
      expect(refused).toBeInstanceOf(Error);
      await closeAll();

      const engine = new Engine();
      const resources = networkResources(keyed()).resources;
      await engine.up(resources);
      expect(engine.outputs<GateOutputs>(GATE).healthy).toBe(true);
      // host3's router is reset out of band (its range goes to a peer); a refresh finds it gone.
      const weave = lab.real ? "weave" : DOUBLE_WEAVE;
      expect((await lab.ssh("host3", `CHECKPOINT_DISABLE=1 ${weave} reset >/dev/null 2>&1`)).code).toBe(0);
      await engine.refresh();
      // The next up starts with no SSH session open (as a new \`pulumi up\` does): host3's router
      // alone is launched again, and its probes must get into host1 and host2 with their keys.
      await closeAll();
      const steps = await engine.up(resources);
      expect(names(steps).filter((n) => n.startsWith(routerName("")) && !n.endsWith(":same"))).toEqual([
        expect.stringMatching(new RegExp(`^${routerName("host3")}:(create|update)$`)),
      ]);
      expect(routerOut(engine, "host3").rejoined).toBe(true);
      const gate = engine.outputs<GateOutputs>(GATE);
      expect(gate.healthy).toBe(true);
      expect(three.map((h) => gate.results[h].size).reduce((a, b) => a + b, 0)).toBe(256);
      await engine.destroy();
      await expectClean(three);
    } finally {
      await Promise.all(three.map((h) => lab.ssh(h, `sed -i '/${mark}/d' "${authorized(h)}"`)));
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  test("removing a host that cannot be reached, with forgetUnreachableOnDestroy: exactly one survivor takes its ranges over (rmpeer), all forget it, no unreachable owner remains", async () => {
    if (lab.kind === "real")
      throw new Error("this test needs a lab with faults (namespace or DinD; WEAVE_LAB_HOSTS has none)");
    const engine = new Engine();
    const name = `forget-${lab.id}`;
    const three = ["host1", "host2", "host3"];
    const mk = (hosts: string[]) =>
      networkResources(
        specForLab(lab, {
          hosts,
          name,
          connectTimeoutSeconds: 3,
          network: { allocRange: RANGE, consensusTimeoutSeconds: consensusTimeoutFor(lab) },
        }),
        {
          forgetUnreachableOnDestroy: true,
        },
      ).resources;
    await engine.up(mk(three));
    const gone = routerOut(engine, "host3").peerName;
    await closeAll();
    await lab.faults.cutLink("host3");
    const mark = events.length;
    try {
      const steps = await engine.up(mk(["host1", "host2"]));
      expect(names(steps)).toEqual(
        [
          `${GATE}:update`,
          `${routerName("host1")}:update`,
          `${routerName("host2")}:update`,
          `${routerName("host3")}:delete`,
        ].sort(),
      );
    } finally {
      // Silence host3's router before it can reach its old peers again, then give the link back.
      await lab.nsExec("host3", [lab.real ? "weave" : DOUBLE_WEAVE, "reset", "--force"]);
      await lab.faults.restoreLink("host3");
    }
    const rmpeers = execsSince(mark).filter((c) => / rmpeer /.test(c));
    expect(rmpeers).toHaveLength(1);
    expect(rmpeers[0]).toMatch(new RegExp(`^host[12]: .* rmpeer ${gone}$`));
    for (const h of ["host1", "host2"]) {
      // The survivor that ran rmpeer knows at once; the other learns it by gossip.
      let owners = (await reportOf(h))?.ipam?.owners ?? [];
      for (let i = 0; i < 40 && owners.some((o) => o.peer === gone); i++) {
        await new Promise((r) => setTimeout(r, 250));
        owners = (await reportOf(h))?.ipam?.owners ?? [];
      }
      expect(owners.filter((o) => !o.reachable || o.peer === gone)).toEqual([]);
      expect(owners.reduce((a, o) => a + o.size, 0)).toBe(256);
    }
    await engine.destroy();
    await expectClean(three);
  });

  test("a host already running Weave with another range is refused naming the host and what runs there, and is left untouched; resetForeignRouters takes it over", async () => {
    const w = lab.real ? "weave" : DOUBLE_WEAVE;
    const foreign = await lab.ssh(
      "host1",
      `CHECKPOINT_DISABLE=1 ${w} launch --ipalloc-range 10.99.0.0/16 --proxy=false --plugin=false`,
    );
    expect(foreign.code).toBe(0);
    const before = await reportOf("host1");
    expect(before?.ipam?.range).toBe("10.99.0.0/16");
    const engine = new Engine();
    const name = `foreign-${lab.id}`;
    const err = await engine
      .up(networkResources(spec(["host1", "host2"], {}, name)).resources)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    const failures = (err as EngineError).failures;
    expect(failures.map((f) => f.name)).toEqual([routerName("host1")]);
    expect(failures[0].error.message).toMatch(
      /^host1: a running Weave router that is not this lab's is on this host: peer name \S+ \(this lab: \S+\), range 10\.99\.0\.0\/16 \(this lab: 172\.16\.16\.0\/24\)/,
    );
    expect(failures[0].error.message).toContain("resetForeignRouters");
    const after = await reportOf("host1");
    expect(after?.router.name).toBe(before?.router.name);
    expect(after?.ipam?.range).toBe("10.99.0.0/16");
    expect(engine.state.has(GATE)).toBe(false);

    await engine.up(
      networkResources(spec(["host1", "host2"], { resetForeignRouters: true }, name)).resources,
    );
    expect(engine.outputs<GateOutputs>(GATE).healthy).toBe(true);
    expect((await reportOf("host1"))?.ipam?.range).toBe(RANGE);
    await engine.destroy();
    await expectClean(["host1", "host2"]);
  });

  test("faults: an unreachable host fails the up naming it and a rerun converges; a router killed out of band is reported by refresh and relaunched; a changed host key is refused with both fingerprints", async () => {
    if (lab.kind === "real")
      throw new Error("this test needs a lab with faults (namespace or DinD; WEAVE_LAB_HOSTS has none)");
    const engine = new Engine();
    const name = `faults-${lab.id}`;
    const three = ["host1", "host2", "host3"];
    const s = specForLab(lab, {
      hosts: three,
      name,
      connectTimeoutSeconds: 3,
      network: { allocRange: RANGE, consensusTimeoutSeconds: consensusTimeoutFor(lab) },
    });
    await lab.faults.cutLink("host2");
    let err: unknown;
    try {
      err = await engine.up(networkResources(s).resources).catch((e: unknown) => e);
    } finally {
      await lab.faults.restoreLink("host2");
    }
    expect(err).toBeInstanceOf(EngineError);
    const failed = (err as EngineError).failures;
    expect(failed.map((f) => f.name)).toEqual([routerName("host2")]);
    expect(failed[0].error.message).toContain("host2");
    const steps = await engine.up(networkResources(s).resources);
    expect(names(steps)).toEqual(
      [
        `${GATE}:create`,
        `${routerName("host1")}:same`,
        `${routerName("host2")}:create`,
        `${routerName("host3")}:same`,
      ].sort(),
    );
    expect(engine.outputs<GateOutputs>(GATE).healthy).toBe(true);

    // Weave runs its router with Docker's restart policy `always` (real Weave and the double
    // alike): a killed weaver is restarted by Docker. A router an operator stopped stays
    // stopped, which is the drift to find.
    expect((await lab.ssh("host3", "docker stop weave >/dev/null")).code).toBe(0);
    const refresh = await engine.refresh();
    expect(refresh.find((r) => r.name === routerName("host3"))?.keys).toContain("status");
    expect(routerOut(engine, "host3").status).toBe("stopped");
    const heal = await engine.up(networkResources(s).resources);
    expect(heal.find((x) => x.name === routerName("host3"))?.kind).toBe("update");
    expect(routerOut(engine, "host3").status).toBe("running");
    expect(engine.outputs<GateOutputs>(GATE).healthy).toBe(true);

    const oldKey = lab.hosts.find((h) => h.name === "host1")!.hostKey;
    await closeAll();
    const newKey = await lab.faults.replaceHostKey("host1");
    expect(newKey).not.toBe(oldKey);
    // The spec still pins the old key: the refresh must refuse the host, not trust it.
    const refused = await engine.refresh().catch((e: unknown) => e as Error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(
      /host1.*host key mismatch.*expected SHA256:\S+.*presented SHA256:\S+/s,
    );
    // With the new key pinned, destroy works and leaves nothing.
    const fixed = specForLab(lab, { hosts: three, name, network: { allocRange: RANGE } });
    await engine.up(networkResources(fixed).resources);
    await engine.destroy();
    await expectClean(three);
  });
});
