/**
 * Router and gate logic with plain inputs: the diff's replace/update decisions, the launch argv
 * of a rejoining host, preflight refusals, foreign-router detection, delete of an unreachable
 * host, and the gate on the real reports of fixture 13 (healthy) and with a silent host (timeout
 * listing what is missing). Hosts are in-memory fakes of `HostConnection`.
 */
import { planLab } from "../../components/plan";
import type { LabPlan } from "../../components/model/plan";
import { runGate } from "../../components/providers/gate-ops";
import { gateInputs, routerInputs } from "../../components/providers/inputs";
import type { OpsEnv } from "../../components/providers/ops-env";
import { diffRouter } from "../../components/providers/router-diff";
import { createRouter, deleteRouter, shouldRejoin } from "../../components/providers/router-ops";
import { launchArgv, missingFlags, peerConnection } from "../../components/providers/router-launch";
import { describeForeign } from "../../components/providers/router-status";
import type { GateInputs, RouterInputs, RouterOutputs, RouterPeer } from "../../components/providers/types";
import type {
  ConnectParams,
  ExecOptions,
  ExecResult,
  HostConnection,
  HttpResponse,
} from "../../components/remote/types";
import type { LabSpec } from "../../components/spec";
import { readJsonFixture } from "../fixtures";

/** Fixture 13's lab: explicit peer names, deliberately not in host order. */
const NAMES: Record<string, string> = {
  docker1: "02:00:00:00:00:03",
  docker2: "02:00:00:00:00:01",
  docker3: "02:00:00:00:00:04",
  docker4: "02:00:00:00:00:02",
};
const spec: LabSpec = {
  name: "textbook",
  network: { allocRange: "172.16.16.0/24", consensusTimeoutSeconds: 1 },
  hosts: Object.entries(NAMES).map(([name, peerName], i) => ({
    name,
    address: `10.10.10.${101 + i}`,
    peerName,
    ssh: { hostKey: "SHA256:abc", privateKey: "k" },
  })),
};
const plan: LabPlan = planLab(spec);
const conns: Record<string, ConnectParams> = Object.fromEntries(
  plan.hosts.map((h) => [
    h.name,
    {
      hostName: h.name,
      host: h.address,
      port: 22,
      user: "root",
      insecureIgnoreHostKey: false,
      sudo: false,
      connectTimeoutSeconds: 5,
      privateKey: "k",
    },
  ]),
);
const inputsOf = (host: string, extra: Partial<RouterInputs> = {}): RouterInputs => ({
  ...routerInputs(plan, host, conns, undefined),
  ...extra,
});

type Handler = (argv: string[], opts?: ExecOptions) => ExecResult | Error;
class FakeHost implements HostConnection {
  readonly execs: string[][] = [];
  /** Requests to the router's API other than `/report`, as `METHOD path`. */
  readonly requests: string[] = [];
  /** `GET /ring`: the ring exists (200, empty) unless a test says otherwise. */
  onRing: () => HttpResponse = () => ({ status: 200, body: "" });
  constructor(
    readonly hostName: string,
    public onExec: Handler,
    public onReport: () => HttpResponse | Error,
  ) {}
  async exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    this.execs.push(argv);
    const r = this.onExec(argv, opts);
    if (r instanceof Error) throw r;
    if (r.code !== 0 && !opts?.allowFailure)
      throw new Error(
        `host ${this.hostName}: \`${argv.join(" ")}\` exited with code ${r.code}; stderr:\n${r.stderr}`,
      );
    return r;
  }
  async http(m: string, path: string): Promise<HttpResponse> {
    if (path === "/ring") {
      this.requests.push(`${m} ${path}`);
      return this.onRing();
    }
    if (path !== "/report") return { status: 404, body: "" };
    const r = this.onReport();
    if (r instanceof Error) throw r;
    return r;
  }
  async upload(): Promise<void> {}
  async close(): Promise<void> {}
}
const ok = (stdout = ""): ExecResult => ({ code: 0, stdout, stderr: "", durationMs: 1 });
const fail = (code: number, stderr: string): ExecResult => ({ code, stdout: "", stderr, durationMs: 1 });
const connectError = (host: string): Error =>
  Object.assign(new Error(`host ${host}: cannot connect to root@${host}:22: connect EHOSTUNREACH`), {
    name: "RemoteConnectError",
    kind: "unreachable",
    hostName: host,
  });

function envOf(hosts: Record<string, FakeHost>, logs: string[] = []): OpsEnv {
  return {
    connect: (p) =>
      hosts[p.hostName] ??
      (() => {
        throw new Error(`no fake for ${p.hostName}`);
      })(),
    log: (m) => logs.push(m),
    sleep: async () => undefined,
  };
}

/** The other hosts of the textbook lab, none answering (a first up: no ring anywhere yet). */
function silentPeers(): Record<string, FakeHost> {
  return Object.fromEntries(
    ["docker2", "docker3", "docker4"].map((n) => [
      n,
      new FakeHost(
        n,
        () => ok(),
        () => new Error("refused"),
      ),
    ]),
  );
}

/** A healthy fresh host: Docker 20.10, weave 2.8.1, no router yet; launch prints an id. */
function freshHost(name: string): FakeHost {
  let launched = false;
  return new FakeHost(
    name,
    (argv) => {
      const cmd = argv.join(" ");
      if (argv[0] === "docker" && argv[1] === "version") return ok("20.10.24+dfsg1 1.41 1.12\n");
      if (argv[0] === "grep" && argv.includes("^SCRIPT_VERSION=")) return ok('SCRIPT_VERSION="2.8.1"\n');
      if (argv[1] === "version") return ok("weave script 2.8.1\nweave 2.8.1\n");
      if (argv[0] === "docker" && argv[1] === "inspect")
        return launched ? ok(`abc running []\n`) : fail(1, "Error: No such object: weave");
      if (argv[1] === "launch") {
        launched = true;
        return ok(`${"a".repeat(64)}\n`);
      }
      return new Error(`unexpected command ${cmd}`);
    },
    () =>
      launched
        ? { status: 200, body: readJsonFixture(`13-${name}-weave-report-seed-before-containers.json`) }
        : new Error("connection refused"),
  );
}

describe("router diff", () => {
  const base = (): RouterOutputs => ({
    ...inputsOf("docker1"),
    containerId: "x",
    adopted: false,
    rejoined: false,
    status: "running",
    observedPeerName: NAMES.docker1,
    observedRange: "172.16.16.0/24",
    statusDetail: "running",
  });

  test("nothing changed → no changes", () => {
    expect(diffRouter(base(), inputsOf("docker1"))).toMatchObject({
      changes: false,
      replaces: [],
      updates: [],
    });
  });

  test("range, encryption and Weave version changes replace the router and say why", () => {
    const range = diffRouter(base(), { ...inputsOf("docker1"), allocRange: "172.16.17.0/24" });
    expect(range.replaces).toContain("allocRange");
    expect(range.reasons.join("\n")).toContain(
      'allocRange changed from "172.16.16.0/24" to "172.16.17.0/24"',
    );
    expect(diffRouter(base(), { ...inputsOf("docker1"), encrypted: true, password: "p" }).replaces).toEqual(
      expect.arrayContaining(["encrypted", "password"]),
    );
    expect(
      diffRouter(base(), {
        ...inputsOf("docker1"),
        weave: { ...inputsOf("docker1").weave, distribution: "rajch", version: "2.9.0" },
      }).replaces,
    ).toContain("weave");
  });

  test("an extra launch flag replaces; a changed script path is an in-place update", () => {
    const i = inputsOf("docker1");
    const extra = {
      ...i,
      launch: {
        ...i.launch,
        argv: [...i.launch.argv.slice(0, -3), "--conn-limit", "50", ...i.launch.argv.slice(-3)],
      },
    };
    expect(diffRouter(base(), extra).replaces).toEqual(["launch"]);
    const moved = diffRouter(base(), { ...i, weave: { ...i.weave, scriptPath: "/opt/weave" } });
    expect(moved).toMatchObject({ changes: true, replaces: [], updates: ["weave"] });
  });

  test("a host joining elsewhere is membership (update in place: connect), not a new ring", () => {
    const grown = planLab({
      ...spec,
      hosts: [...spec.hosts, { name: "docker5", address: "10.10.10.105", ssh: { hostKey: "SHA256:abc" } }],
    });
    const c5 = { ...conns, docker5: { ...conns.docker1, hostName: "docker5", host: "10.10.10.105" } };
    const news = routerInputs(grown, "docker1", c5, undefined);
    const d = diffRouter(base(), news);
    expect(d.replaces).toEqual([]);
    expect(d.updates).toEqual(expect.arrayContaining(["peers", "seedNames"]));
  });

  test("after a refresh: stopped → relaunch in place; reconfigured out of band → replace", () => {
    expect(diffRouter({ ...base(), status: "stopped" }, inputsOf("docker1"))).toMatchObject({
      replaces: [],
      updates: ["status"],
    });
    expect(
      diffRouter(
        { ...base(), status: "reconfigured", statusDetail: "running with range 10.0.0.0/8" },
        inputsOf("docker1"),
      ).replaces,
    ).toEqual(["status"]);
  });
});

describe("router operations", () => {
  test("a router reaches a peer at the peer's endpoint with the peer's own credentials (peerCredentials, apart from peers); state without them uses its own", () => {
    const own = { ...conns.docker1, privateKey: "own-key", passphrase: "own-pass" };
    const keyed = Object.fromEntries(
      Object.entries(conns).map(([k, c]) => [
        k,
        { ...c, privateKey: `key-of-${k}`, passphrase: `pass-of-${k}` },
      ]),
    );
    const i = routerInputs(plan, "docker1", { ...keyed, docker1: own }, undefined);
    expect(JSON.stringify(i.peers)).not.toMatch(/key-of-|pass-of-|own-/);
    expect(Object.keys(i.peerCredentials ?? {}).sort()).toEqual(["docker2", "docker3", "docker4"]);
    expect(JSON.stringify(i.peerCredentials)).not.toMatch(/own-/);
    const p2 = i.peers.find((p) => p.host === "docker2")!;
    expect(peerConnection({ connection: own, peerCredentials: i.peerCredentials }, p2)).toEqual({
      ...conns.docker2,
      privateKey: "key-of-docker2",
      passphrase: "pass-of-docker2",
    });
    // Written before peers' credentials were recorded: this host's own.
    expect(peerConnection({ connection: own }, p2)).toEqual({
      ...conns.docker2,
      privateKey: "own-key",
      passphrase: "own-pass",
    });
    // A peer behind a jump host: the peer's jump key, else its own key, as its own router uses.
    const viaJump = { ...p2, ssh: { ...p2.ssh, jumpHost: { host: "bastion", port: 22, user: "j" } } };
    expect(
      peerConnection(
        { connection: own, peerCredentials: { docker2: { privateKey: "k2", jumpHostKey: "jk2" } } },
        viaJump,
      ).jumpHost,
    ).toEqual({
      host: "bastion",
      port: 22,
      user: "j",
      privateKey: "jk2",
    });
    expect(
      peerConnection({ connection: own, peerCredentials: { docker2: { privateKey: "k2" } } }, viaJump)
        .jumpHost?.privateKey,
    ).toBe("k2");
    // State written before peers lost their keys still destroys. Its peers hold a `connection`
    // where `ssh` is now, a shape RouterPeer no longer describes: it comes in as read from state.
    const legacy: unknown = {
      host: "docker2",
      address: p2.address,
      peerName: p2.peerName,
      connection: conns.docker2,
    };
    expect(peerConnection({ connection: own }, legacy as RouterPeer)).toEqual(conns.docker2);
  });

  test("rejoin probes reach each peer with that peer's key (hosts with a key each); a change of a peer's key is recorded in place, naming no key", async () => {
    const keyed = Object.fromEntries(
      Object.entries(conns).map(([k, c]) => [k, { ...c, privateKey: `key-of-${k}` }]),
    );
    const used: Record<string, string | undefined> = {};
    const hosts = Object.fromEntries(
      Object.keys(NAMES).map((n) => [
        n,
        new FakeHost(
          n,
          () => ok(),
          () => ({ status: 200, body: readJsonFixture(`13-${n}-weave-report-seed-before-containers.json`) }),
        ),
      ]),
    );
    const env = envOf(hosts);
    const connect = env.connect;
    env.connect = (p) => {
      used[p.hostName] = p.privateKey;
      return connect(p);
    };
    const i = routerInputs(plan, "docker1", keyed, undefined);
    expect(await shouldRejoin(env, i)).toEqual({ rejoin: false });
    expect(used).toEqual({ docker2: "key-of-docker2", docker3: "key-of-docker3", docker4: "key-of-docker4" });

    const rotated = routerInputs(
      plan,
      "docker1",
      { ...keyed, docker3: { ...keyed.docker3, privateKey: "new-key-of-docker3" } },
      undefined,
    );
    const d = diffRouter({ ...i, status: "running" }, rotated);
    expect(d).toMatchObject({ replaces: [], updates: ["peerCredentials"] });
    expect(d.reasons.join(" ")).toMatch(/SSH credentials of peers changed/);
    expect(d.reasons.join(" ")).not.toMatch(/key-of/);
    // Its own connection settings and the seed list are in-place updates too, each with its reason.
    const own = diffRouter(
      { ...i, status: "running" },
      { ...i, connection: { ...i.connection, connectTimeoutSeconds: 30 }, seedNames: ["a", "b"] },
    );
    expect(own).toMatchObject({
      replaces: [],
      updates: ["seedNames", "connection"],
      reasons: [
        "seed list changed with membership: applied as connect/forget, the ring is kept",
        "SSH connection settings changed",
      ],
    });
  });

  test("a host joining later (or rejoining) still launches with its explicit --name", () => {
    const i = inputsOf("docker3");
    const argv = launchArgv(i, true);
    expect(argv[argv.indexOf("--name") + 1]).toBe(NAMES.docker3);
    expect(argv).not.toContain("--ipalloc-init");
  });
  test("a rejoining host launches without --ipalloc-init and keeps every other flag and peer", () => {
    const i = inputsOf("docker2");
    const seed = launchArgv(i, false);
    const rejoin = launchArgv(i, true);
    expect(seed).toContain("--ipalloc-init");
    expect(rejoin).toEqual(seed.filter((a, k) => a !== "--ipalloc-init" && seed[k - 1] !== "--ipalloc-init"));
    expect(rejoin.slice(-3)).toEqual(["10.10.10.101", "10.10.10.103", "10.10.10.104"]);
  });

  test("rejoin is chosen when a peer's ring for the range leaves this host out, not when the ring includes it", async () => {
    // docker1..4's reports from fixture 13: a ring with all four.
    const hosts = Object.fromEntries(
      Object.keys(NAMES).map((n) => [
        n,
        new FakeHost(
          n,
          () => ok(),
          () => ({ status: 200, body: readJsonFixture(`13-${n}-weave-report-seed-before-containers.json`) }),
        ),
      ]),
    );
    expect(await shouldRejoin(envOf(hosts), inputsOf("docker1"))).toEqual({ rejoin: false });
    const grown = planLab({
      ...spec,
      hosts: [...spec.hosts, { name: "docker5", address: "10.10.10.105", ssh: { hostKey: "SHA256:abc" } }],
    });
    const c5 = { ...conns, docker5: { ...conns.docker1, hostName: "docker5", host: "10.10.10.105" } };
    const r = await shouldRejoin(envOf(hosts), routerInputs(grown, "docker5", c5, undefined));
    expect(r.rejoin).toBe(true);
    expect(r.evidence).toMatch(/already has a ring for 172\.16\.16\.0\/24 without docker5/);
    // Peers that cannot be reached are skipped: the others decide, and with none there is no ring.
    const env = envOf(hosts);
    const connect = env.connect;
    env.connect = (p) => {
      if (p.hostName !== "docker1") throw new Error(`${p.hostName}: unreachable`);
      return connect(p);
    };
    expect((await shouldRejoin(env, routerInputs(grown, "docker5", c5, undefined))).rejoin).toBe(true);
    env.connect = () => {
      throw new Error("unreachable");
    };
    expect(await shouldRejoin(env, routerInputs(grown, "docker5", c5, undefined))).toEqual({ rejoin: false });
  });

  test("preflight refuses Docker Engine 25 for Weave 2.8.1 before changing anything, naming host, engine and fix", async () => {
    const h = freshHost("docker1");
    const inner = h.onExec;
    h.onExec = (argv, o) =>
      argv[0] === "docker" && argv[1] === "version" ? ok("25.0.3 1.44 1.24\n") : inner(argv, o);
    const err = await createRouter(envOf({ docker1: h }), inputsOf("docker1")).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /^docker1: preflight refused, nothing was changed: Docker Engine 25\.0\.3 \(API 1\.44, minimum 1\.24\) cannot run Weave weaveworks 2\.8\.1/,
    );
    expect((err as Error).message).toMatch(/Fix: .*(rajch|24)/);
    // Only reads ran (docker version, the script's version line, and the router container's
    // state, read alongside): nothing was launched, stopped or reset.
    expect(h.execs.map((a) => a.slice(0, 2).join(" ")).sort()).toEqual([
      "docker inspect",
      "docker version",
      `grep -m`,
    ]);
  });

  test("preflight refuses a weave script of another version at the planned path", async () => {
    const h = freshHost("docker1");
    const inner = h.onExec;
    h.onExec = (argv, o) => (argv[0] === "grep" ? ok('SCRIPT_VERSION="2.6.5"\n') : inner(argv, o));
    const err = (await createRouter(envOf({ docker1: h }), inputsOf("docker1")).catch(
      (e: Error) => e,
    )) as Error;
    expect(err.message).toBe(
      "docker1: /usr/local/bin/weave is weave script 2.6.5, but the lab wants weaveworks 2.8.1. Install that version (or change network.weave.version).",
    );
    expect(h.execs.some((a) => a[1] === "launch")).toBe(false);
  });

  test("preflight learns the version from the script's SCRIPT_VERSION line: a fresh launch runs no weave command but the launch", async () => {
    const h = freshHost("docker1");
    await createRouter(envOf({ docker1: h, ...silentPeers() }), inputsOf("docker1"));
    const grep = h.execs.find((a) => a[0] === "grep")!;
    expect(grep).toEqual(["grep", "-m", "1", "-E", "^SCRIPT_VERSION=", "/usr/local/bin/weave"]);
    expect(h.execs.filter((a) => a[0] === "/usr/local/bin/weave").map((a) => a[1])).toEqual(["launch"]);
  });

  test("a router Docker is restarting (weaver died; restart policy always) is waited for, not launched over", async () => {
    const base = freshHost("docker1");
    let inspects = 0;
    const h = new FakeHost(
      "docker1",
      (argv, o) => {
        if (argv[0] === "docker" && argv[1] === "inspect") {
          inspects++;
          // As real Docker shows it: restarting for a moment, then running again with its args.
          const args = JSON.stringify(inputsOf("docker1").launch.argv.slice(2));
          return ok(`abc ${inspects < 3 ? "restarting" : "running"} ${args}\n`);
        }
        return base.onExec(argv, o);
      },
      () => ({ status: 200, body: readJsonFixture("13-docker1-weave-report-seed-before-containers.json") }),
    );
    const logs: string[] = [];
    await createRouter(envOf({ docker1: h, ...silentPeers() }, logs), inputsOf("docker1"));
    expect(inspects).toBe(3);
    expect(h.execs.some((a) => a[1] === "stop" || a[1] === "launch")).toBe(false);
    expect(logs.join("\n")).toContain("adopting the running router");
  });

  test("a launch Weave refuses fails naming the host and the command, with the error classifier's advice", async () => {
    const base = freshHost("docker1");
    const h = new FakeHost(
      "docker1",
      (argv, o) => {
        if (argv[1] === "launch") {
          // As the transport raises it: the command, and the end of what it printed.
          const said = "weave is created, paused, or restarting; you can stop it with 'weave stop'.";
          return Object.assign(new Error(`host docker1: \`weave launch …\` exited with code 1: ${said}`), {
            stderrTail: said,
          });
        }
        return base.onExec(argv, o);
      },
      () => base.onReport(),
    );
    const err = (await createRouter(envOf({ docker1: h, ...silentPeers() }), inputsOf("docker1")).catch(
      (e: Error) => e,
    )) as Error;
    expect(err.message).toContain(
      "host docker1: `weave launch …` exited with code 1: weave is created, paused",
    );
    expect(err.message).toContain("run `weave stop` (or `weave reset --force`) before launching");
  });

  test("a router that keeps restarting is stopped before the relaunch (weave launch refuses a restarting container)", async () => {
    const base = freshHost("docker1");
    let stopped = false;
    const h = new FakeHost(
      "docker1",
      (argv, o) => {
        if (argv[0] === "docker" && argv[1] === "inspect" && !stopped) return ok("abc restarting []\n");
        if (argv[1] === "stop") {
          stopped = true;
          return ok();
        }
        return base.onExec(argv, o);
      },
      () => base.onReport(),
    );
    const logs: string[] = [];
    await createRouter(envOf({ docker1: h, ...silentPeers() }, logs), inputsOf("docker1"));
    const weave = h.execs.filter((a) => a[0] === "/usr/local/bin/weave").map((a) => a[1]);
    expect(weave).toEqual(["stop", "launch"]);
    expect(logs.join("\n")).toContain(
      "docker1: the weave container keeps restarting: stopping it to relaunch",
    );
  });

  test("a script without a SCRIPT_VERSION line (a wrapper) is asked with weave version; an unreadable one is refused naming the path", async () => {
    const wrapper = freshHost("docker1");
    const inner = wrapper.onExec;
    wrapper.onExec = (argv, o) => (argv[0] === "grep" ? fail(1, "") : inner(argv, o));
    await createRouter(envOf({ docker1: wrapper, ...silentPeers() }), inputsOf("docker1"));
    expect(wrapper.execs.filter((a) => a[0] === "/usr/local/bin/weave").map((a) => a[1])).toEqual([
      "version",
      "launch",
    ]);
    const missing = freshHost("docker1");
    const inner2 = missing.onExec;
    missing.onExec = (argv, o) =>
      argv[0] === "grep" ? fail(2, "grep: /usr/local/bin/weave: No such file or directory") : inner2(argv, o);
    const err = (await createRouter(envOf({ docker1: missing }), inputsOf("docker1")).catch(
      (e: Error) => e,
    )) as Error;
    expect(err.message).toBe(
      'docker1: the weave script is not usable at /usr/local/bin/weave: `grep SCRIPT_VERSION` exited 2: grep: /usr/local/bin/weave: No such file or directory. Install Weave 2.8.1 there, or set network.weave.install to "download".',
    );
  });

  test("a fresh host is launched with the planned argv and the password only through secret env", async () => {
    const h = freshHost("docker1");
    let seen: ExecOptions | undefined;
    const inner = h.onExec;
    h.onExec = (argv, o) => {
      if (argv[1] === "launch") seen = o;
      return inner(argv, o);
    };
    const encPlan = planLab({ ...spec, network: { ...spec.network, password: "s3cret-pw" } });
    const i = routerInputs(encPlan, "docker1", conns, "s3cret-pw");
    const others = Object.fromEntries(
      ["docker2", "docker3", "docker4"].map((n) => [
        n,
        new FakeHost(
          n,
          () => ok(),
          () => new Error("refused"),
        ),
      ]),
    );
    const out = await createRouter(envOf({ docker1: h, ...others }), i);
    const launch = h.execs.find((a) => a[1] === "launch")!;
    expect(launch).toEqual(i.launch.argv);
    expect(launch.join(" ")).not.toContain("s3cret-pw");
    expect(seen?.secretEnv).toEqual({ WEAVE_PASSWORD: "s3cret-pw" });
    expect(seen?.env).toMatchObject({ CHECKPOINT_DISABLE: "1" });
    expect(out).toMatchObject({
      status: "running",
      adopted: false,
      rejoined: false,
      containerId: "a".repeat(64),
      observedPeerName: NAMES.docker1,
    });
  });

  test("a relaunch refused for the bridge type (sleeve-only kernel, fixture 09) is retried once with WEAVE_NO_FASTDP=1", async () => {
    const h = freshHost("docker1");
    const envs: Array<Record<string, string> | undefined> = [];
    const inner = h.onExec;
    h.onExec = (argv, o) => {
      if (argv[1] === "launch") {
        envs.push(o?.env);
        if (!o?.env?.WEAVE_NO_FASTDP)
          return fail(1, "The weave container has died. Consult the container logs for further details.");
      }
      if (argv[0] === "docker" && argv[1] === "logs") {
        return {
          code: 0,
          stdout: "",
          stderr:
            'FATA: 2026/11/28 03:06:16.000000 Existing bridge type "bridge" is different than requested "bridged_fastdp". Please do \'weave reset\' and try again\n',
          durationMs: 1,
        };
      }
      return inner(argv, o);
    };
    const logs: string[] = [];
    const out = await createRouter(envOf({ docker1: h }, logs), { ...inputsOf("docker1"), peers: [] });
    expect(out.status).toBe("running");
    expect(envs.map((e) => e?.WEAVE_NO_FASTDP ?? null)).toEqual([null, "1"]);
    expect(logs.join("\n")).toContain("relaunching with WEAVE_NO_FASTDP=1");
  });

  test("a running router of another lab is described by name and range; drift in flags is found", () => {
    const i = inputsOf("docker1");
    const foreign = describeForeign(i, undefined, {
      state: "stopped",
      args: ["--name", "aa:bb:cc:dd:ee:ff", "--ipalloc-range", "10.32.0.0/12"],
    });
    expect(foreign).toBe(
      `peer name aa:bb:cc:dd:ee:ff (this lab: ${NAMES.docker1}), range 10.32.0.0/12 (this lab: 172.16.16.0/24)`,
    );
    expect(
      describeForeign(i, undefined, { state: "stopped", args: launchArgv(i, false).slice(2) }),
    ).toBeUndefined();
    const args = ["--port", "6783", ...launchArgv(i, false).slice(2)].map((a) =>
      a === "weave.local." ? "other.local." : a,
    );
    expect(missingFlags(i, args, false)).toEqual(["--dns-domain weave.local."]);
  });

  test("destroying an unreachable host fails naming it, unless forgetUnreachableOnDestroy: then exactly one survivor runs rmpeer", async () => {
    const out: RouterOutputs = {
      ...inputsOf("docker4"),
      containerId: "x",
      adopted: false,
      rejoined: false,
      status: "running",
      observedPeerName: NAMES.docker4,
      observedRange: "172.16.16.0/24",
      statusDetail: "running",
    };
    const down = new FakeHost(
      "docker4",
      () => connectError("docker4"),
      () => connectError("docker4"),
    );
    const survivors = Object.fromEntries(
      ["docker1", "docker2", "docker3"].map((n) => [
        n,
        new FakeHost(
          n,
          (argv) => (argv[1] === "rmpeer" ? ok(`64 IPs taken over from ${NAMES.docker4}\n`) : ok()),
          () => ({ status: 200, body: readJsonFixture(`13-${n}-weave-report-seed-before-containers.json`) }),
        ),
      ]),
    );
    const err = (await deleteRouter(envOf({ docker4: down, ...survivors }), out).catch(
      (e: Error) => e,
    )) as Error;
    expect(err.message).toMatch(
      /^docker4: cannot reach the host to reset its router \(host docker4: cannot connect.*forgetUnreachableOnDestroy: true/s,
    );
    expect(Object.values(survivors).flatMap((h) => h.execs)).toEqual([]);

    const logs: string[] = [];
    await deleteRouter(envOf({ docker4: down, ...survivors }, logs), {
      ...out,
      forgetUnreachableOnDestroy: true,
    });
    const rmpeers = Object.values(survivors).flatMap((h) =>
      h.execs.filter((a) => a[1] === "rmpeer").map((a) => `${h.hostName} ${a.slice(1).join(" ")}`),
    );
    expect(rmpeers).toEqual([`docker1 rmpeer ${NAMES.docker4}`]);
    for (const h of Object.values(survivors))
      expect(h.execs.filter((a) => a[1] === "forget")).toEqual([
        [out.weave.scriptPath, "forget", "10.10.10.104"],
      ]);
    expect(logs.join("\n")).toContain(
      `docker1 took its ranges over: 64 IPs taken over from ${NAMES.docker4}`,
    );
  });
});

describe("consensus gate", () => {
  const ids = Object.fromEntries(plan.hosts.map((h) => [h.name, `${h.name}-id`]));
  const reportHosts = (): Record<string, FakeHost> =>
    Object.fromEntries(
      Object.keys(NAMES).map((n) => [
        n,
        new FakeHost(
          n,
          () => ok(),
          () => ({ status: 200, body: readJsonFixture(`13-${n}-weave-report-seed-before-containers.json`) }),
        ),
      ]),
    );

  test("fixture 13's four real reports: prime once on the first host (GET /ring, no helper container), healthy, each host's share equals the seed prediction", async () => {
    const hosts = reportHosts();
    const out = await runGate(envOf(hosts), gateInputs(plan, conns, ids), { pollMs: 1 });
    expect(out.healthy).toBe(true);
    expect(Object.values(hosts).flatMap((h) => h.requests.map((r) => `${h.hostName} ${r}`))).toEqual([
      "docker1 GET /ring",
    ]);
    expect(Object.values(hosts).flatMap((h) => h.execs)).toEqual([]);
    expect(
      Object.fromEntries(Object.entries(out.results).map(([k, r]) => [k, r.shares.map((s) => s.cidr)])),
    ).toEqual({
      docker1: ["172.16.16.128/26"],
      docker2: ["172.16.16.0/26"],
      docker3: ["172.16.16.192/26"],
      docker4: ["172.16.16.64/26"],
    });
    for (const h of plan.hosts) expect(out.results[h.name].shares).toEqual(h.predictedShare);
  });

  test("after a router rejoined a live ring (its old range handed over), shares are not held to the seed prediction; without a rejoin they are", async () => {
    // The ring of fixture 13, against a plan whose docker1 and docker2 predictions are swapped:
    // what a hand-over makes of the seed's layout.
    const swapped = (i: GateInputs): GateInputs => ({
      ...i,
      timeoutSeconds: 0.05,
      hosts: i.hosts.map((h) =>
        h.host === "docker1"
          ? { ...h, predictedShare: i.hosts[1].predictedShare }
          : h.host === "docker2"
            ? { ...h, predictedShare: i.hosts[0].predictedShare }
            : h,
      ),
    });
    const strict = swapped(gateInputs(plan, conns, ids));
    await expect(runGate(envOf(reportHosts()), strict, { pollMs: 1 })).rejects.toThrow(
      /docker1: owns 172\.16\.16\.128\/26 but the plan predicted 172\.16\.16\.0\/26/,
    );
    const rejoined = swapped(gateInputs(plan, conns, ids, { rejoinedHosts: ["docker3"] }));
    expect(rejoined.rejoinedHosts).toEqual(["docker3"]);
    const out = await runGate(envOf(reportHosts()), rejoined, { pollMs: 1 });
    expect(out.healthy).toBe(true);
  });

  test("priming a router with IPAM off (GET /ring is 404, the script's exit 4) fails naming the host, the request and the fix", async () => {
    const hosts = reportHosts();
    hosts.docker1.onRing = () => ({ status: 404, body: "404 page not found\n" });
    const err = (await runGate(envOf(hosts), gateInputs(plan, conns, ids), { pollMs: 1 }).catch(
      (e: Error) => e,
    )) as Error;
    expect(err.message).toMatch(
      /^docker1: priming the IPAM ring \(GET \/ring on the router's API, what `weave prime` asks\) answered 404: the router has IPAM off.*--ipalloc-range/,
    );
    hosts.docker1.onRing = () => ({ status: 500, body: "allocator stopped" });
    await expect(runGate(envOf(hosts), gateInputs(plan, conns, ids), { pollMs: 1 })).rejects.toThrow(
      /answered 500: "allocator stopped"/,
    );
  });

  test("while the same problems stay open the gate waits half as long again each round (250 ms up to 1 s); when they change it polls at 250 ms again", async () => {
    const hosts = reportHosts();
    let round = 0;
    const answer = hosts.docker1.onReport;
    hosts.docker1.onReport = () => {
      round++;
      return answer();
    };
    // Rounds 1-6: docker3's router is silent; rounds 7-9: docker4's instead; round 10: all answer.
    const silentIn = (from: number, to: number, h: FakeHost) => {
      const real = h.onReport;
      h.onReport = () => (round >= from && round <= to ? new Error("connect ECONNREFUSED") : real());
    };
    silentIn(1, 6, hosts.docker3);
    silentIn(7, 9, hosts.docker4);
    const sleeps: number[] = [];
    const env = { ...envOf(hosts), sleep: async (ms: number) => void sleeps.push(ms) };
    const out = await runGate(env, gateInputs(plan, conns, ids));
    expect(out.healthy).toBe(true);
    expect(round).toBe(10);
    expect(sleeps).toEqual([250, 375, 563, 845, 1000, 1000, 250, 375, 563]);
  });

  test("a host whose router does not answer: the timeout error names it and what is missing", async () => {
    const hosts = reportHosts();
    hosts.docker3.onReport = () => new Error("connect ECONNREFUSED 127.0.0.1:6784");
    const logs: string[] = [];
    const inputs = { ...gateInputs(plan, conns, ids), timeoutSeconds: 0.05 };
    const err = (await runGate(envOf(hosts, logs), inputs, { pollMs: 1 }).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(
      /^consensus not reached on 172\.16\.16\.0\/24 within 0\.05 s \(network\.consensusTimeoutSeconds\):\n/,
    );
    expect(err.message).toMatch(/\n  docker3: .*(6784|not running|answer)/);
    expect(err.message).not.toMatch(/\n  docker[124]: /);
  });
});
