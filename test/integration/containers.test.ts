/**
 * Containers and DNS on the namespace lab with the Weave double (or real hosts through
 * WEAVE_LAB_HOSTS): the Container and DnsRecord providers driven the way the engine drives them,
 * after real routers and a real consensus gate.
 */
import * as fs from "fs";
import { closeAll, getConnection, setLogger, type RemoteLogEvent } from "../../components/remote";
import type { HostConnection } from "../../components/remote/types";
import { containerInputs } from "../../components/providers/container-diff";
import { createContainer, deleteContainer } from "../../components/providers/container-ops";
import { expectResolves, resolveFrom } from "../../components/providers/name-lookup";
import type { OpsEnv } from "../../components/providers/ops-env";
import type { ContainerOutputs, DnsRecordOutputs } from "../../components/providers/container-types";
import type { ContainerSpec, DnsRecordSpec, LabSpec, NetworkSpec } from "../../components/spec";
import { Engine, type Step } from "../engine/engine";
import { containerName, dnsRecordName, labResources } from "../engine/containers";
import { connectionsOf, specForLab, DOUBLE_WEAVE } from "../engine/network";
import { planLab } from "../../components/plan";
import { getLab, resetHostsAfterEachTest, type TestLab, consensusTimeoutFor } from "../lab";

jest.setTimeout(240_000);
process.env.CHECKPOINT_DISABLE = "1";

const HOSTS = ["docker1", "docker2", "docker3", "docker4"];
const RANGE = "172.16.16.0/24";
let lab: TestLab;
const events: RemoteLogEvent[] = [];

beforeAll(async () => {
  lab = await getLab({ names: HOSTS, double: { cliDelayMs: 0 } });
  setLogger((e) => events.push(e));
});

resetHostsAfterEachTest(() => lab);

afterAll(async () => {
  setLogger(undefined);
  await closeAll();
  await lab?.destroy();
});

function spec(
  name: string,
  containers: ContainerSpec[],
  network: NetworkSpec = {},
  dnsRecords: DnsRecordSpec[] = [],
): LabSpec {
  const s = specForLab(lab, {
    name,
    network: { allocRange: RANGE, consensusTimeoutSeconds: consensusTimeoutFor(lab), ...network },
  });
  return { ...s, containers, ...(dnsRecords.length ? { dnsRecords } : {}) };
}

function connTo(s: LabSpec, host: string): HostConnection {
  return getConnection(connectionsOf(planLab(s), s)[host]);
}

const out = (e: Engine, key: string): ContainerOutputs => e.outputs<ContainerOutputs>(containerName(key));
const kinds = (steps: Step[]): Record<string, string> =>
  Object.fromEntries(steps.map((s) => [s.name, s.kind]));

/** Commands that change a host. */
const MUTATING =
  /(\/weave|^weave)( --local)? (launch|reset|stop|connect|forget|rmpeer|prime|attach|detach|dns-add|dns-remove)\b|\bdocker (run|rm|stop|start|kill)\b/;
const execsSince = (from: number): string[] =>
  events
    .slice(from)
    .filter((e) => e.message.startsWith("exec "))
    .map((e) => `${e.hostName}: ${e.message.slice(5)}`);

/** Names of the lab's containers on a host (labelled by weave-lab), running or not. */
async function labContainers(host: string): Promise<string[]> {
  const r = await lab.ssh(host, "docker ps -a --filter label=weave-lab.key --format '{{.Names}}'");
  return r.stdout
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();
}

/** Live (non-tombstoned) weaveDNS names the host's router knows. */
async function dnsNames(conn: HostConnection): Promise<string[]> {
  const r = await conn.http("GET", "/name", { headers: { Accept: "application/json" } });
  const entries = JSON.parse(r.body) as Array<{ Hostname: string; Tombstone: number }>;
  return [...new Set(entries.filter((e) => !e.Tombstone).map((e) => e.Hostname.replace(/\.$/, "")))].sort();
}

const inRange = (ip: string, base: string, len: number): boolean => {
  const n = (s: string): number => s.split(".").reduce((a, x) => a * 256 + Number(x), 0);
  const size = 2 ** (32 - len);
  return n(ip) >= n(base) && n(ip) < n(base) + size;
};

describe("containers and DNS on the Weave network (namespace lab + Weave double)", () => {
  test("the textbook lab: web1 on docker1, web2 on docker2, another web1 on docker3; outputs give addresses; web1.weave.local resolves to both web1s from web2; extra names and records; up twice changes nothing; destroy leaves no container or DNS entry; up again works", async () => {
    const s = spec(
      "textbook",
      [
        { name: "web1", host: "docker1", image: "lab/web:1" },
        { name: "web2", host: "docker2", image: "lab/web:1", dnsNames: ["www"] },
        { name: "web1", host: "docker3", image: "lab/web:1" },
      ],
      {},
      [{ name: "docker1", ips: [lab.hosts[0].address], host: "docker1" }],
    );
    const engine = new Engine();
    const upFrom = events.length;
    const steps = await engine.up(labResources(s).resources);
    expect(steps.filter((x) => x.kind !== "create")).toEqual([]);
    // The DNS arguments came from the routers' API, not from `weave dns-args` helper containers.
    expect(execsSince(upFrom).filter((c) => / dns-args/.test(c))).toEqual([]);

    const w1 = out(engine, "docker1/web1");
    const w2 = out(engine, "docker2/web2");
    const w3 = out(engine, "docker3/web1");
    for (const c of [w1, w2, w3]) {
      expect(c.status).toBe("running");
      expect(c.containerId).toMatch(/^[0-9a-f]{64}$/);
      expect(c.cidr).toBe(`${c.ip}/24`);
      expect(inRange(c.ip, "172.16.16.0", 24)).toBe(true);
      expect(c.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    }
    expect(new Set([w1.ip, w2.ip, w3.ip]).size).toBe(3);
    expect(w1.fqdn).toBe("web1.weave.local");
    // Each MAC is the one Weave reports for the container (`weave ps`). Real Docker's API gave
    // the pid and the MAC came from the container's sysfs under /proc, with no `docker exec`;
    // the namespace lab forbids the API forwarding, so there `docker exec` reads it.
    for (const [host, c] of [
      ["docker1", w1],
      ["docker2", w2],
      ["docker3", w3],
    ] as const) {
      const ps = await lab.ssh(
        host,
        `CHECKPOINT_DISABLE=1 ${lab.real ? "weave" : DOUBLE_WEAVE} ps ${c.containerId}`,
      );
      expect(ps.stdout.trim().split(/\s+/).slice(0, 3)).toEqual([c.containerId.slice(0, 12), c.mac, c.cidr]);
    }
    const viaProc = /^cat \/proc\/\d+\/root\/sys\/class\/net\/ethwe\/address$/;
    const viaExec = /^docker exec [0-9a-f]{64} cat \/sys\/class\/net\/ethwe\/address$/;
    const macReads = execsSince(upFrom)
      .filter((c) => c.includes("/class/net/ethwe/address"))
      .map((c) => {
        const [host, command] = c.split(": ");
        return `${host}: ${viaProc.test(command) ? "/proc" : viaExec.test(command) ? "docker exec" : command}`;
      });
    const how = lab.real ? "/proc" : "docker exec";
    expect(macReads.sort()).toEqual(["docker1", "docker2", "docker3"].map((h) => `${h}: ${how}`));
    // attach, the extra name's and the record's dns-add ran the script inside each router
    // container, with no weaveexec helper container; the names resolving below show that they
    // registered in DNS.
    const inRouter = "docker exec -e HOST_ROOT=/host -e CHECKPOINT_DISABLE=1 weave /home/weave/weave --local";
    expect(
      execsSince(upFrom)
        .filter((c) => / (attach|dns-add) /.test(c))
        .sort(),
    ).toEqual([
      `docker1: ${inRouter} attach net:default ${w1.containerId}`,
      `docker1: ${inRouter} dns-add ${lab.hosts[0].address} -h docker1.weave.local`,
      `docker2: ${inRouter} attach net:default ${w2.containerId}`,
      `docker2: ${inRouter} dns-add ${w2.containerId} -h www.weave.local`,
      `docker3: ${inRouter} attach net:default ${w3.containerId}`,
    ]);

    const c2 = connTo(s, "docker2");
    // The textbook's "ping web1" from web2: both web1s, across hosts, through weaveDNS.
    await expectResolves(c2, "web2", "web1.weave.local", [w1.ip, w3.ip]);
    await expectResolves(c2, "web2", "www.weave.local", [w2.ip]);
    await expectResolves(c2, "web2", "docker1.weave.local", [lab.hosts[0].address]);
    expect(engine.outputs<DnsRecordOutputs>(dnsRecordName("docker1/docker1.weave.local")).present).toBe(true);
    // The resolver is the one `weave dns-args` names, though read from the API, passed as argv.
    const resolv = await lab.ssh("docker2", "docker exec web2 cat /etc/resolv.conf");
    const cliArgs = await lab.ssh(
      "docker2",
      `CHECKPOINT_DISABLE=1 ${lab.real ? "weave" : DOUBLE_WEAVE} dns-args`,
    );
    const dns = /--dns=(\S+)/.exec(cliArgs.stdout)?.[1];
    expect(dns).toBeDefined();
    expect(resolv.stdout).toMatch(new RegExp(`^nameserver ${dns!.replace(/\./g, "\\.")}$`, "m"));
    // dns-args says `weave.local.`; Docker writes the search domain without the dot (seen on
    // real 2.8.1 DinD hosts), and so does the double's docker.
    expect(cliArgs.stdout).toMatch(/--dns-search=weave\.local\.$/);
    expect(resolv.stdout).toMatch(/^search weave\.local$/m);

    // Up twice: nothing changes and nothing mutating runs.
    const mark = events.length;
    const again = await engine.up(labResources(s).resources);
    expect(new Set(again.map((x) => x.kind))).toEqual(new Set(["same"]));
    expect(execsSince(mark).filter((c) => MUTATING.test(c))).toEqual([]);

    // Extra names update in place.
    const s2 = {
      ...s,
      containers: s.containers!.map((c) => (c.name === "web2" ? { ...c, dnsNames: ["api"] } : c)),
    };
    const upd = await engine.up(labResources(s2).resources);
    expect(kinds(upd)["container-docker2/web2"]).toBe("update");
    expect(out(engine, "docker2/web2").containerId).toBe(w2.containerId);
    await expectResolves(c2, "web2", "api.weave.local", [w2.ip]);
    await expectResolves(c2, "web2", "www.weave.local", []);

    // Destroy the containers and records, keep the routers: nothing of them is left.
    const down = await engine.up(labResources(s2, { networkOnly: true }).resources);
    expect(
      down
        .filter((x) => x.kind === "delete")
        .map((x) => x.name)
        .sort(),
    ).toEqual(
      [
        "container-docker1/web1",
        "container-docker2/web2",
        "container-docker3/web1",
        "dns-docker1/docker1.weave.local",
      ].sort(),
    );
    for (const h of HOSTS) expect(await labContainers(h)).toEqual([]);
    for (const h of ["docker1", "docker2", "docker3"]) expect(await dnsNames(connTo(s, h))).toEqual([]);

    // Up again works, then everything goes.
    await engine.up(labResources(s2).resources);
    await expectResolves(c2, "web2", "web1.weave.local", [
      out(engine, "docker1/web1").ip,
      out(engine, "docker3/web1").ip,
    ]);
    await engine.destroy();
    expect(engine.state.size).toBe(0);
    for (const h of HOSTS) expect(await labContainers(h)).toEqual([]);
  });

  test("isolation: defaultSubnet 172.16.16.0/25 for dynamic containers, subnet 172.16.16.128/26 containers there, a static address honoured; a name and env value with shell metacharacters arrive literally", async () => {
    const evil = `$(touch /tmp/pwned-${lab.id}); 'x' "y" \`id\` | ; & > <`;
    const s = spec(
      "isolation",
      [
        { name: "dyn1", host: "docker1", image: "lab/web:1", env: { EVIL: evil } },
        { name: "dyn2", host: "docker2", image: "lab/web:1" },
        { name: "sub1", host: "docker3", image: "lab/web:1", subnet: "172.16.16.128/26" },
        {
          name: "sub2",
          host: "docker4",
          image: "lab/web:1",
          subnet: "172.16.16.128/26",
          command: ["sh", "-c", "echo $HOME; exec sleep 3600 && rm -rf /"],
        },
        { name: "stat", host: "docker1", image: "lab/web:1", address: "172.16.16.200/24" },
      ],
      { defaultSubnet: "172.16.16.0/25" },
    );
    const engine = new Engine();
    try {
      await engine.up(labResources(s).resources);
      for (const k of ["docker1/dyn1", "docker2/dyn2"]) {
        expect(inRange(out(engine, k).ip, "172.16.16.0", 25)).toBe(true);
        expect(out(engine, k).cidr).toMatch(/\/25$/);
      }
      for (const k of ["docker3/sub1", "docker4/sub2"]) {
        expect(inRange(out(engine, k).ip, "172.16.16.128", 26)).toBe(true);
        expect(out(engine, k).cidr).toMatch(/\/26$/);
      }
      expect(out(engine, "docker1/stat").cidr).toBe("172.16.16.200/24");

      const env = await lab.ssh("docker1", "docker inspect --format '{{json .Config.Env}}' dyn1");
      expect(JSON.parse(env.stdout) as string[]).toContain(`EVIL=${evil}`);
      const args = await lab.ssh("docker4", "docker inspect --format '{{json .Config.Cmd}}' sub2");
      expect(JSON.parse(args.stdout)).toEqual(["sh", "-c", "echo $HOME; exec sleep 3600 && rm -rf /"]);
      expect(fs.existsSync(`/tmp/pwned-${lab.id}`)).toBe(false);
      const pwned = await lab.ssh("docker1", `test -e /tmp/pwned-${lab.id} && echo yes || echo no`);
      expect(pwned.stdout.trim()).toBe("no");
    } finally {
      await engine.destroy();
    }
  });

  test("out of band: a removed container is reported gone by refresh and recreated by up; a detached one is reported without address and rebuilt", async () => {
    const s = spec("oob", [
      { name: "web1", host: "docker1", image: "lab/web:1" },
      { name: "web2", host: "docker2", image: "lab/web:1" },
    ]);
    const engine = new Engine();
    try {
      await engine.up(labResources(s).resources);
      const before = out(engine, "docker2/web2");
      const rm = await lab.ssh("docker2", "docker rm -f web2");
      expect(rm.code).toBe(0);
      const w = await lab.ssh("docker1", `${lab.real ? "weave" : DOUBLE_WEAVE} detach web1`);
      expect(w.code).toBe(0);

      const refreshed = kinds(await engine.refresh());
      expect(refreshed["container-docker2/web2"]).toBe("gone");
      expect(engine.state.has(containerName("docker2/web2"))).toBe(false);
      expect(out(engine, "docker1/web1")).toMatchObject({ status: "detached", ip: "", cidr: "" });

      const steps = kinds(await engine.up(labResources(s).resources));
      expect(steps["container-docker2/web2"]).toBe("create");
      expect(steps["container-docker1/web1"]).toBe("replace");
      const after = out(engine, "docker2/web2");
      expect(after.containerId).not.toBe(before.containerId);
      expect(out(engine, "docker1/web1").status).toBe("running");
      const ips = await resolveFrom(connTo(s, "docker2"), "web2", "web1.weave.local");
      expect(ips).toEqual([out(engine, "docker1/web1").ip]);
    } finally {
      await engine.destroy();
    }
  });

  test("a container name taken by something weave-lab did not create is refused, naming the host, and left alone", async () => {
    const s = spec("foreign", [{ name: "mine", host: "docker3", image: "lab/web:1" }]);
    const made = await lab.ssh("docker3", "docker run -d --name mine lab/web:1 sleep 1000");
    expect(made.code).toBe(0);
    const engine = new Engine();
    try {
      await expect(engine.up(labResources(s).resources)).rejects.toThrow(
        /docker3: a container named "mine" .* was not created by this lab/,
      );
      expect(await lab.ssh("docker3", "docker inspect --format '{{.State.Status}}' mine")).toMatchObject({
        code: 0,
        stdout: "running\n",
      });
    } finally {
      await lab.ssh("docker3", "docker rm -f mine");
      await engine.destroy();
    }
  });
  test("secret env reaches the container by name only, never in a command line or a log; a command that exits at once is refused with its exit code and logs, and holds no address", async () => {
    const s = spec("secrets", []);
    const engine = new Engine();
    const env: OpsEnv = {
      connect: (p) => getConnection(p),
      log: () => undefined,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    };
    const withContainers = {
      ...s,
      containers: [
        { name: "vault", host: "docker1", image: "lab/web:1" },
        {
          name: "quick",
          host: "docker2",
          image: "lab/web:1",
          command: ["sh", "-c", "echo starting up; exit 3"],
        },
      ],
    };
    const plan = planLab(withContainers);
    const conns = connectionsOf(plan, withContainers);
    const secret = `tok-${lab.id}-'"$(id)`;
    let vault: ContainerOutputs | undefined;
    try {
      await engine.up(labResources(s).resources);
      const from = events.length;
      vault = await createContainer(env, {
        ...containerInputs(plan, plan.containers[0], conns.docker1),
        secretEnv: { TOKEN: secret },
      });
      const inspected = await lab.ssh("docker1", "docker inspect --format '{{json .Config.Env}}' vault");
      expect(JSON.parse(inspected.stdout) as string[]).toContain(`TOKEN=${secret}`);
      expect(JSON.stringify(events.slice(from))).not.toContain(secret);
      expect(execsSince(from).find((e) => / run /.test(e))).toMatch(/ -e TOKEN /);

      const refused = await createContainer(
        env,
        containerInputs(plan, plan.containers[1], conns.docker2),
      ).then(
        () => new Error("created"),
        (e: unknown) => e as Error,
      );
      expect(refused.message).toMatch(
        /^docker2: container quick \([0-9a-f]{12}, image lab\/web:1, command \["sh","-c","echo starting up; exit 3"\]\) is exited, exit code 3: .*Last log lines:\n {4}starting up$/s,
      );
      // attach was refused for a dead container: the router gave it no address.
      const quickId = /container quick \(([0-9a-f]{12})/.exec(refused.message)![1];
      const owned = await getConnection(conns.docker2).http("GET", "/ip");
      expect(owned.status).toBe(200);
      const ids = ((JSON.parse(owned.body) as { owned: { containerid: string }[] | null }).owned ?? []).map(
        (o) => o.containerid,
      );
      expect(ids.filter((x) => x.startsWith(quickId))).toEqual([]);
      // Its create failed: the exited container is not left behind.
      expect(await labContainers("docker2")).toEqual([]);
    } finally {
      if (vault) await deleteContainer(env, vault);
      await lab.ssh("docker2", "docker rm -f quick");
      await engine.destroy();
    }
  });

  test("attach without a ring gives up at its deadline saying what it waited for, and the create removes the container it ran", async () => {
    const weave = lab.real ? "weave" : DOUBLE_WEAVE;
    // A router whose IPAM waits for three peers that never come: no ring, attach blocks.
    const launched = await lab.ssh(
      "docker4",
      `CHECKPOINT_DISABLE=1 ${weave} launch --ipalloc-range ${RANGE} --ipalloc-init consensus=3 --proxy=false --plugin=false`,
    );
    expect(launched.code).toBe(0);
    try {
      const s = spec("noring", [{ name: "stuck", host: "docker4", image: "lab/web:1" }]);
      const plan = planLab(s);
      const inputs = containerInputs(plan, plan.containers[0], connectionsOf(plan, s).docker4, {
        attachMs: 3_000,
      });
      const env: OpsEnv = {
        connect: (p) => getConnection(p),
        log: () => undefined,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      };
      // The attach deadline ends the wait (the error names it and what it waited for); how
      // long the whole create takes is not asserted.
      await expect(createContainer(env, inputs)).rejects.toThrow(
        /docker4: gave up after 3(\.0)? ?s waiting for weave attach stuck \(an address from IPAM: waits while the ring has no consensus or no free address\)/,
      );
      // The engine records nothing for a failed create, so nothing else would remove it.
      expect(await labContainers("docker4")).toEqual([]);
    } finally {
      await lab.ssh("docker4", `${weave} reset --force`);
    }
  });
});
