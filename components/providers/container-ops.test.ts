import * as pulumi from "@pulumi/pulumi";
import { innerPositions, inRouterArgv as inRouter, withUnknownAt } from "../../test/builders";
import { readFixture } from "../../test/fixtures";
import { planLab, SpecError } from "../plan";
import type { LabPlan } from "../model/plan";
import type { ConnectParams, ExecOptions, ExecResult, HostConnection, HttpResponse } from "../remote/types";
import type { ContainerSpec, LabSpec } from "../spec";
import { planContainer } from "../container";
import { CONTAINER_SECRET_OUTPUTS, checkContainerInputs, containerProvider } from "./container";
import { addressesOf, diffDnsRecord, dnsRecordProvider, normaliseName } from "./dns-record";
import { parseGetent, parseNslookup } from "../weave/lookup";
import {
  containerInputs,
  diffContainer,
  extraNameChanges,
  LABEL_KEY,
  LABEL_LAB,
  parseAttachOutput,
  parseInspectLine,
  parseRunId,
  prefixOf,
} from "./container-diff";
import {
  STATE_FORMAT,
  createContainer,
  deleteContainer,
  readContainer,
  updateContainer,
} from "./container-ops";
import { clearDnsArgsCache, dnsArgsOf } from "./dns-args";
import { saidBy, withWeaveAdvice } from "./host-errors";
import { RemoteCommandError } from "../remote/errors";
import { expectResolves, resolveFrom } from "./name-lookup";
import type {
  ContainerInputs,
  ContainerOutputs,
  ContainerWeave,
  DnsRecordInputs,
  DnsRecordOutputs,
} from "./container-types";
import type { OpsEnv } from "./ops-env";

const ID = "4e5b1d7e0f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4";
const ID2 = "5f5b1d7e0f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4";

function lab(): LabSpec {
  return {
    name: "t",
    network: {
      allocRange: "172.16.16.0/24",
      defaultSubnet: "172.16.16.0/25",
      weave: { scriptPath: "/opt/weave" },
    },
    hosts: ["docker1", "docker2"].map((name, i) => ({
      name,
      address: `10.10.10.10${i + 1}`,
      ssh: { insecureIgnoreHostKey: true },
    })),
    containers: [
      {
        name: "web1",
        host: "docker1",
        image: "lab/web:1",
        env: { B: "2", A: "$(touch /tmp/x); 'q'" },
        dnsNames: ["www"],
      },
      { name: "web2", host: "docker1", image: "lab/web:1", address: "172.16.16.200/24" },
      {
        name: "sub",
        host: "docker2",
        image: "lab/web:1",
        subnet: "172.16.16.128/26",
        command: ["sh", "-c", "echo $HOME"],
      },
    ],
  };
}

const CONN: ConnectParams = {
  hostName: "docker1",
  host: "10.10.10.101",
  port: 22,
  user: "root",
  insecureIgnoreHostKey: true,
  sudo: false,
  connectTimeoutSeconds: 5,
};

function inputsOf(plan: LabPlan, i: number): ContainerInputs {
  return containerInputs(plan, plan.containers[i], { ...CONN, hostName: plan.containers[i].host });
}

/**
 * A 2.8.1 router's API with DNS on, as the reference's table gives it: `GET /domain` is
 * `weave.local.`, `GET /dns-address` the docker bridge's address; other paths answer empty.
 */
function routerApi(path: string): HttpResponse {
  if (path === "/domain") return { status: 200, body: "weave.local." };
  if (path === "/dns-address") return { status: 200, body: "172.17.0.1" };
  return { status: 200, body: "" };
}

/** The weave script the DNS-argument tests name. */
const WEAVE: ContainerWeave = { scriptPath: "/opt/weave" };

/** Docker's answer to `docker run --name <name>` when the name is taken (it creates nothing). */
const nameTaken = (name: string): Partial<ExecResult> => ({
  code: 125,
  stderr: `docker: Error response from daemon: Conflict. The container name "/${name}" is already in use by container "${ID2}". You have to remove (or rename) that container to be able to reuse that name.\nSee 'docker run --help'.\n`,
});

/**
 * The script's argv of a command run in the router container (`docker exec … weave
 * /home/weave/weave --local <args>` → `/opt/weave <args>`), so hosts answer both forms alike.
 */
function asScript(argv: string[]): string[] {
  const local = argv.indexOf("--local");
  return argv[1] === "exec" && argv[local - 1] === "/home/weave/weave"
    ? ["/opt/weave", ...argv.slice(local + 1)]
    : argv;
}

/**
 * An in-memory host: answers commands from a script and records every argv and its options.
 * Commands run in the router container are answered as the script's own (`asScript`).
 * Unless the script answers them, the container's state query says `running 0`, its ethwe MAC
 * reads `6a:1b:2c:3d:4e:5f` and its logs are empty.
 */
class FakeHost implements HostConnection {
  readonly calls: string[][] = [];
  readonly opts: ExecOptions[] = [];
  /** The paths asked of the router's API, in order. */
  readonly requests: string[] = [];
  /** Docker's Engine API; absent (as on a transport without it) unless a test gives one. */
  dockerGet?: (path: string) => Promise<HttpResponse>;
  constructor(
    readonly hostName: string,
    private readonly answer: (argv: string[]) => Partial<ExecResult> | undefined,
    private readonly api: (path: string) => HttpResponse = routerApi,
  ) {}
  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push(argv);
    this.opts.push(opts);
    const a =
      this.answer(asScript(argv)) ??
      (argv[1] === "inspect" && argv[3] === STATE_FORMAT
        ? { stdout: "running 0\n" }
        : argv[1] === "exec" && argv[4] === "/sys/class/net/ethwe/address"
          ? { stdout: "6a:1b:2c:3d:4e:5f\n" }
          : {});
    const r: ExecResult = {
      code: a.code ?? 0,
      stdout: a.stdout ?? "",
      stderr: a.stderr ?? "",
      durationMs: 1,
    };
    if (r.code !== 0 && !opts.allowFailure)
      throw new Error(
        `${this.hostName}: ${argv.join(" ")} exited ${r.code}: ${r.stderr} (while waiting for ${opts.what})`,
      );
    return r;
  }
  async http(_m: string, path: string): Promise<HttpResponse> {
    this.requests.push(path);
    return this.api(path);
  }
  async upload(): Promise<void> {}
  async close(): Promise<void> {}
}

function envWith(hosts: Record<string, FakeHost>): OpsEnv & { logs: string[] } {
  const logs: string[] = [];
  return { logs, connect: (p) => hosts[p.hostName], log: (m) => logs.push(m), sleep: async () => undefined };
}

/** The container-state query of `exitedError`. */
const isStateQuery = (argv: string[]): boolean => argv[1] === "inspect" && argv[3] === STATE_FORMAT;

type Answer = Partial<ExecResult> | undefined;

/**
 * A host without a container of the name yet, whose `docker run` prints ID; `more` answers the
 * other commands by their verb (`argv[1]`), `state` the container-state query (running if absent).
 */
function freshHost(
  name: string,
  more: Record<string, Answer | (() => Answer)> = {},
  state?: () => Answer,
): FakeHost {
  return new FakeHost(name, (argv) => {
    if (isStateQuery(argv)) return state?.();
    if (argv[1] === "inspect") return { code: 1, stderr: `Error: No such object: ${argv[argv.length - 1]}` };
    if (argv[1] === "run") return { stdout: `${ID}\n` };
    const a = more[argv[1]];
    return typeof a === "function" ? a() : a;
  });
}

/**
 * A docker+weave that works: no container yet, run prints the id, attach prints the address.
 * `first`, when given, answers before it (undefined: not its command).
 */
function healthy(name = "docker1", existing?: string, first?: (argv: string[]) => Answer): FakeHost {
  return new FakeHost(name, (argv) => {
    const own = first?.(argv);
    if (own) return own;
    const cmd = argv.slice(0, 2).join(" ");
    if (isStateQuery(argv)) return undefined;
    if (cmd === "docker inspect")
      return existing
        ? { stdout: existing }
        : { code: 1, stderr: `Error: No such object: ${argv[argv.length - 1]}` };
    if (cmd === "docker run") return existing ? nameTaken(argv[4]) : { stdout: `${ID}\n` };
    if (argv[1] === "attach")
      return { stdout: argv[2] === "172.16.16.200/24" ? "172.16.16.200\n" : "172.16.16.3\n" };
    if (argv[1] === "ps") return { stdout: `${ID.slice(0, 12)} 6a:1b:2c:3d:4e:5f 172.16.16.3/25\n` };
    return undefined;
  });
}

beforeEach(() => clearDnsArgsCache());

describe("container decisions (pure)", () => {
  const plan = planLab(lab());
  const outs = (i: ContainerInputs): ContainerOutputs => ({
    ...i,
    containerId: ID,
    ip: "172.16.16.3",
    cidr: "172.16.16.3/25",
    mac: "6a:1b:2c:3d:4e:5f",
    status: "running",
    statusDetail: "running",
  });

  test("a change Docker cannot apply in place replaces the container and names the field", () => {
    const base = inputsOf(plan, 0);
    const cases: Array<[Partial<ContainerInputs>, string]> = [
      [{ image: "lab/web:2" }, "image"],
      [{ command: ["true"] }, "command"],
      [{ env: { ...base.env, C: "3" } }, "env"],
      [{ ports: ["8080:80"] }, "ports"],
      [{ publishAll: true }, "publishAll"],
      [{ restart: "always" }, "restart"],
      [{ hostname: "other" }, "hostname"],
      [{ addressing: { kind: "subnet", subnet: "172.16.16.128/26" } }, "addressing"],
      [{ host: "docker2" }, "host"],
    ];
    for (const [change, field] of cases) {
      expect(diffContainer(outs(base), { ...base, ...change })).toEqual({
        changes: true,
        replaces: [field],
        updates: [],
        deleteBeforeReplace: true,
      });
    }
  });

  test("env in another key order, same inputs: no change; extra DNS names alone: an in-place update", () => {
    const base = inputsOf(plan, 0);
    const reordered = { ...base, env: Object.fromEntries(Object.entries(base.env).reverse()) };
    expect(diffContainer(outs(base), reordered)).toMatchObject({ changes: false, replaces: [] });
    expect(diffContainer(outs(base), { ...base, extraFqdns: ["api.weave.local"] })).toMatchObject({
      changes: true,
      replaces: [],
      updates: ["extraFqdns"],
    });
  });

  test("a router-wide change (another range: routers relaunched with IPAM reset) replaces every container", () => {
    const other = planLab({
      ...lab(),
      network: { ...lab().network, allocRange: "172.16.0.0/16", defaultSubnet: "172.16.16.0/25" },
    });
    const base = inputsOf(plan, 0);
    const moved = containerInputs(other, other.containers[0], base.connection);
    expect(moved.networkFingerprint).not.toBe(base.networkFingerprint);
    expect(diffContainer(outs(base), moved).replaces).toContain("networkFingerprint");
  });

  test("a container a refresh found detached or stopped is rebuilt", () => {
    const base = inputsOf(plan, 0);
    expect(diffContainer({ ...outs(base), status: "detached", ip: "", cidr: "" }, base).replaces).toEqual([
      "status",
    ]);
    expect(diffContainer({ ...outs(base), status: "stopped" }, base).replaces).toEqual(["status"]);
  });

  test("extra names: added and removed, compared without case", () => {
    expect(
      extraNameChanges(["www.weave.local", "API.weave.local"], ["api.weave.local", "db.weave.local"]),
    ).toEqual({
      add: ["db.weave.local"],
      remove: ["www.weave.local"],
    });
  });

  test("docker run's id is its last line; inspect lines keep labels with spaces; getent lines give sorted unique addresses", () => {
    expect(parseRunId(`Unable to find image 'x' locally\nPulling…\n${ID}\n`)).toBe(ID);
    expect(parseRunId("oops\n")).toBeUndefined();
    expect(parseInspectLine(`${ID} running {"weave-lab.key":"docker1/web 1","weave-lab.lab":"t"}`)).toEqual({
      id: ID,
      state: "running",
      labels: { "weave-lab.key": "docker1/web 1", "weave-lab.lab": "t" },
    });
    expect(parseInspectLine("Error: No such object")).toBeUndefined();
    expect(
      parseGetent(
        "172.16.16.9     web1.weave.local\n172.16.16.2 web1.weave.local\n172.16.16.9 web1.weave.local\n",
      ),
    ).toEqual(["172.16.16.2", "172.16.16.9"]);
  });

  test("DNS records: names compare without case or trailing dot; tombstones and other names do not count; addresses change in place, host or name replace", () => {
    expect(normaliseName("Docker1.Weave.Local.")).toBe("docker1.weave.local");
    const entries = [
      { ContainerID: "weave:extern", Addr: "10.10.10.101", Hostname: "docker1.weave.local.", Tombstone: 0 },
      { ContainerID: "weave:extern", Addr: "10.10.10.109", Hostname: "docker1.weave.local.", Tombstone: 1 },
      { ContainerID: ID, Addr: "172.16.16.3", Hostname: "DOCKER1.weave.local", Tombstone: 0 },
      { ContainerID: "weave:extern", Addr: "10.10.10.102", Hostname: "docker2.weave.local.", Tombstone: 0 },
    ];
    expect(addressesOf(entries, "docker1.weave.local")).toEqual(["10.10.10.101", "172.16.16.3"]);
    expect(addressesOf(entries, "docker1.weave.local", "weave:extern")).toEqual(["10.10.10.101"]);
    const rec: DnsRecordOutputs = {
      lab: "t",
      networkFingerprint: "f1",
      key: "docker1/x.weave.local",
      host: "docker1",
      fqdn: "x.weave.local",
      ips: ["10.0.0.1"],
      connection: CONN,
      weave: { scriptPath: "weave" },
      commandMs: 1000,
      resolved: [],
      present: true,
    };
    expect(diffDnsRecord(rec, { ...rec, ips: ["10.0.0.2"] })).toMatchObject({ changes: true, replaces: [] });
    expect(diffDnsRecord(rec, { ...rec, host: "docker2" }).replaces).toEqual(["host"]);
    expect(diffDnsRecord(rec, { ...rec, networkFingerprint: "f2" }).replaces).toEqual(["networkFingerprint"]);
    expect(diffDnsRecord(rec, { ...rec })).toMatchObject({ changes: false, replaces: [] });
  });
});

describe("planContainer", () => {
  const plan = planLab({ ...lab(), containers: [] });

  test("plans a spec against an already planned network exactly as a whole-lab spec would", () => {
    const whole = planLab(lab());
    for (const [i, c] of lab().containers!.entries())
      expect(planContainer(plan, c)).toEqual(whole.containers[i]);
  });

  test("a bad container is refused with every problem, each naming the field, the value and what is allowed", () => {
    let err: unknown;
    try {
      planContainer(plan, {
        name: "Bad Name",
        host: "docker9",
        image: "",
        address: "172.16.16.300/24",
        restart: "sometimes" as ContainerSpec["restart"],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    const paths = (err as SpecError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(
      expect.arrayContaining([
        "containers[0].name",
        "containers[0].host",
        "containers[0].image",
        "containers[0].address",
        "containers[0].restart",
      ]),
    );
    expect((err as SpecError).message).toMatch(/docker9/);
  });
});

describe("container operations against an in-memory host", () => {
  const plan = planLab(lab());

  test("create: the DNS arguments from the router's API once per host (no weave dns-args), its words as separate argv elements, env and command literal, our labels, attach on the default subnet, dns-add per extra name, outputs from attach's answer (no weave ps)", async () => {
    const host = healthy();
    const env = envWith({ docker1: host });
    const a = await createContainer(env, inputsOf(plan, 0));
    await createContainer(env, { ...inputsOf(plan, 1) });
    expect(a).toMatchObject({
      containerId: ID,
      ip: "172.16.16.3",
      cidr: "172.16.16.3/25",
      mac: "6a:1b:2c:3d:4e:5f",
      status: "running",
    });
    expect(host.calls.filter((c) => c[1] === "dns-args")).toEqual([]);
    expect(host.requests).toEqual(["/domain", "/dns-address"]);
    expect(host.calls.filter((c) => c[1] === "ps")).toEqual([]);
    const run = host.calls.find((c) => c[1] === "run")!;
    expect(run).toEqual([
      "docker",
      "run",
      "-d",
      "--name",
      "web1",
      "--hostname",
      "web1",
      "--domainname",
      "weave.local",
      "--dns=172.17.0.1",
      "--dns-search=weave.local.",
      "-e",
      "A=$(touch /tmp/x); 'q'",
      "-e",
      "B=2",
      "--restart",
      "no",
      "--label",
      `${LABEL_KEY}=docker1/web1`,
      "--label",
      `${LABEL_LAB}=t`,
      "lab/web:1",
    ]);
    // attach and dns-add by the script in the router container: no helper container, no host script.
    expect(host.calls.filter((c) => c.includes("attach"))).toEqual([
      inRouter("attach", "net:default", ID),
      inRouter("attach", "172.16.16.200/24", ID),
    ]);
    expect(host.calls.filter((c) => c.includes("dns-add"))).toEqual([
      inRouter("dns-add", ID, "-h", "www.weave.local"),
    ]);
    expect(host.calls.filter((c) => c[0] === "/opt/weave")).toEqual([]);
  });

  test("create refuses a same-named container weave-lab did not create: Docker refused the name, only its holder is read, nothing is removed or attached", async () => {
    const host = healthy("docker1", `${ID2} running {"owner":"someone"}`);
    await expect(createContainer(envWith({ docker1: host }), inputsOf(plan, 0))).rejects.toThrow(
      /^docker1: a container named "web1" \(5f5b1d7e0f0a, running\) exists and was not created by this lab's weave-lab: weave-lab changed nothing/,
    );
    expect(host.calls.map((c) => c.slice(0, 2).join(" "))).toEqual(["docker run", "docker inspect"]);
  });

  test("a docker run that fails for another reason is not retried and is not taken for a taken name", async () => {
    const host = freshHost("docker1", {});
    const exec = host.exec.bind(host);
    host.exec = async (argv, opts) => {
      if (argv[1] !== "run") return exec(argv, opts);
      host.calls.push(argv);
      throw new RemoteCommandError("docker1", "docker run …", 125, "docker: invalid reference format.");
    };
    await expect(createContainer(envWith({ docker1: host }), inputsOf(plan, 0))).rejects.toThrow(
      /invalid reference format/,
    );
    expect(host.calls.map((c) => c.slice(0, 2).join(" "))).toEqual(["docker run"]);
  });

  test("create first removes our own half-created container of the same name", async () => {
    let removed = false;
    const host = new FakeHost("docker1", (argv) => {
      if (isStateQuery(argv)) return undefined;
      if (argv[1] === "inspect")
        return removed
          ? { code: 1, stderr: "Error: No such object: web1" }
          : { stdout: `${ID2} created {"${LABEL_KEY}":"docker1/web1","${LABEL_LAB}":"t"}` };
      if (argv[1] === "rm") removed = true;
      if (argv[1] === "run") return removed ? { stdout: ID } : nameTaken("web1");
      if (argv[1] === "attach") return { stdout: "172.16.16.3\n" };
      if (argv[1] === "ps") return { stdout: `${ID.slice(0, 12)} 6a:1b:2c:3d:4e:5f 172.16.16.3/25\n` };
      return undefined;
    });
    const out = await createContainer(envWith({ docker1: host }), inputsOf(plan, 0));
    expect(out.containerId).toBe(ID);
    const order = host.calls.map((c) => asScript(c).slice(0, 2).join(" ").replace("/opt/weave", "weave"));
    // Docker refused the name; ours and never attached (not running): rm -f, then run again.
    expect(order.slice(0, 5)).toEqual([
      "docker run",
      "docker inspect",
      "docker rm",
      "docker run",
      "weave attach",
    ]);
  });

  test("a failing attach surfaces the transport's error (host, command, what was awaited) and removes the container it ran", async () => {
    const host = freshHost("docker2", { attach: { code: 1, stderr: "IP allocation exhausted" } });
    const env = envWith({ docker2: host });
    await expect(createContainer(env, inputsOf(plan, 2))).rejects.toThrow(
      /docker2: .*attach net:172\.16\.16\.128\/26 .* exited 1: IP allocation exhausted \(while waiting for weave attach sub \(an address from IPAM: waits while the ring has no consensus/,
    );
    // No resource is recorded for a failed create: what it started must not outlive it.
    expect(host.calls.at(-1)).toEqual(["docker", "rm", "-f", ID]);
    expect(env.logs).toContain(`docker2: removing sub (${ID.slice(0, 12)}): its create failed`);
  });

  test("a create that fails after docker run raises its own error even when removing the container fails too", async () => {
    const host = freshHost("docker2", {
      attach: { code: 1, stderr: "IP allocation exhausted" },
      rm: { code: 1, stderr: "Error response from daemon: removal of container is already in progress" },
    });
    const env = envWith({ docker2: host });
    await expect(createContainer(env, inputsOf(plan, 2))).rejects.toThrow(
      /exited 1: IP allocation exhausted/,
    );
    expect(env.logs.at(-1)).toMatch(
      /^docker2: could not remove sub \(4e5b1d7e0f0a\): docker2: `docker rm -f sub` failed \(exit 1\): .*removal of container is already in progress/,
    );
  });

  test("a failing attach that Weave explains carries the error classifier's advice after the transport's message", async () => {
    const said = "Unable to claim: address 172.16.16.200 is already owned by 0123456789ab";
    const host = freshHost("docker1");
    const exec = host.exec.bind(host);
    host.exec = async (argv, opts) => {
      if (asScript(argv)[1] !== "attach") return exec(argv, opts);
      host.calls.push(argv);
      throw new RemoteCommandError("docker1", argv.join(" "), 1, said);
    };
    const err = await createContainer(envWith({ docker1: host }), inputsOf(plan, 1)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /^host docker1: `.*attach 172\.16\.16\.200\/24 .*` exited with code 1; stderr:\n {4}Unable to claim/,
    );
    expect(err?.message.split("\n").pop()).toBe(
      "Address 172.16.16.200 is already held by container 0123456789ab; pick another static address or remove that container.",
    );
    // The script in the router container said no: the host's script is not asked again.
    expect(host.calls.filter((c) => c.includes("attach"))).toEqual([
      inRouter("attach", "172.16.16.200/24", ID),
    ]);
  });

  test("a router image without the script: docker exec cannot run it (126/127), so the host's weave script attaches, and the log says so", async () => {
    /** A healthy host whose commands in the router container end with `code`, saying `stderr`. */
    const inRouterEnds = (code: number, stderr: string): FakeHost => {
      const host = healthy();
      const exec = host.exec.bind(host);
      host.exec = async (argv, opts) => {
        if (argv[1] !== "exec" || argv[8] !== "--local") return exec(argv, opts);
        host.calls.push(argv);
        throw new RemoteCommandError("docker1", argv.join(" "), code, stderr);
      };
      return host;
    };
    for (const code of [126, 127]) {
      // Docker 20.10 prints "OCI runtime exec failed: … stat /home/weave/weave: no such file …" on stdout.
      const host = inRouterEnds(code, "");
      const env = envWith({ docker1: host });
      const out = await createContainer(env, inputsOf(plan, 0));
      expect(out).toMatchObject({ ip: "172.16.16.3", cidr: "172.16.16.3/25" });
      expect(host.calls.filter((c) => c.includes("attach"))).toEqual([
        inRouter("attach", "net:default", ID),
        ["/opt/weave", "attach", "net:default", ID],
      ]);
      expect(env.logs).toContain(
        `docker1: /home/weave/weave could not start in the router container (exit ${code}): running the host's weave script`,
      );
    }
    // The script ran and failed (its own exit code, even naming itself): that is the answer.
    const host = inRouterEnds(1, "/home/weave/weave: line 1412: weaveutil: failed");
    await expect(createContainer(envWith({ docker1: host }), inputsOf(plan, 0))).rejects.toThrow(
      /exited with code 1; stderr:\n {4}\/home\/weave\/weave: line 1412/,
    );
    expect(host.calls.filter((c) => c[0] === "/opt/weave")).toEqual([]);
  });

  test("an attach error Weave does not explain is passed on as the transport raised it", () => {
    const e = new RemoteCommandError("docker2", "weave attach", 1, "something new");
    expect(withWeaveAdvice(e)).toBe(e);
    expect(e.message).toBe("host docker2: `weave attach` exited with code 1; stderr:\n    something new");
    const plain = new Error("no stderr here");
    expect(withWeaveAdvice(plain)).toBe(plain);
    expect(plain.message).toBe("no stderr here");
  });

  test("read: gone when Docker has no such container, stopped, detached when IPAM holds nothing, running with the held address", async () => {
    const base: ContainerOutputs = {
      ...inputsOf(plan, 0),
      containerId: ID,
      ip: "172.16.16.3",
      cidr: "172.16.16.3/25",
      mac: "m",
      status: "running",
      statusDetail: "running",
    };
    const read = (inspect: Partial<ExecResult>, ip = ""): Promise<ContainerOutputs | undefined> =>
      readContainer(
        envWith({
          docker1: new FakeHost(
            "docker1",
            () => inspect,
            () => ({ status: 200, body: ip }),
          ),
        }),
        base,
      );
    expect(await read({ code: 1, stderr: `Error: No such object: ${ID}` })).toBeUndefined();
    expect(await read({ stdout: `${ID} exited {}` })).toMatchObject({ status: "stopped", ip: "" });
    expect(await read({ stdout: `${ID} running {}` }, "")).toMatchObject({
      status: "detached",
      ip: "",
      cidr: "",
    });
    expect(await read({ stdout: `${ID} running {}` }, "172.16.16.3/25")).toMatchObject({
      status: "running",
      ip: "172.16.16.3",
    });
  });

  test("update changes only DNS names, on the same container", async () => {
    const host = healthy();
    const olds: ContainerOutputs = {
      ...inputsOf(plan, 0),
      containerId: ID,
      ip: "172.16.16.3",
      cidr: "172.16.16.3/25",
      mac: "m",
      status: "running",
      statusDetail: "running",
    };
    const out = await updateContainer(envWith({ docker1: host }), olds, {
      ...inputsOf(plan, 0),
      extraFqdns: ["api.weave.local"],
    });
    expect(host.calls).toEqual([
      inRouter("dns-remove", ID, "-h", "www.weave.local"),
      inRouter("dns-add", ID, "-h", "api.weave.local"),
    ]);
    expect(out).toMatchObject({ containerId: ID, ip: "172.16.16.3", extraFqdns: ["api.weave.local"] });
  });

  test("delete: rm -f alone (Weave frees the address and the DNS names when the container dies and is destroyed); an absent one is fine; an unlabelled one without a recorded id is left alone", async () => {
    const olds: ContainerOutputs = {
      ...inputsOf(plan, 0),
      containerId: ID,
      ip: "",
      cidr: "",
      mac: "",
      status: "running",
      statusDetail: "",
    };
    const attached = new FakeHost("docker1", () => undefined);
    await deleteContainer(envWith({ docker1: attached }), olds);
    // The recorded id is ours: nothing is read first.
    expect(attached.calls.map((c) => c.slice(1).join(" "))).toEqual([`rm -f ${ID}`]);

    const secret = "s3cr3t-token";
    const failing = new FakeHost("docker1", (argv) =>
      argv[1] === "inspect"
        ? { stdout: `${ID} running {}` }
        : { code: 1, stderr: `Error response from daemon: driver failed near TOKEN=${secret}` },
    );
    const err = await deleteContainer(envWith({ docker1: failing }), {
      ...olds,
      secretEnv: { TOKEN: secret },
    }).catch((e: unknown) => e as Error);
    expect((err as Error).message).toMatch(
      /^docker1: `docker rm -f web1` failed \(exit 1\): .*TOKEN=<secret>/,
    );
    expect((err as Error).message).not.toContain(secret);

    const absent = new FakeHost("docker1", () => ({ code: 1, stderr: `Error: No such container: ${ID}` }));
    await deleteContainer(envWith({ docker1: absent }), olds);
    expect(absent.calls.map((c) => c[1])).toEqual(["rm"]);

    const foreign = new FakeHost("docker1", () => ({ stdout: `${ID2} running {}` }));
    await deleteContainer(envWith({ docker1: foreign }), { ...olds, containerId: "" });
    expect(foreign.calls.map((c) => c[1])).toEqual(["inspect"]);

    const ours = new FakeHost("docker1", (argv) =>
      argv[1] === "inspect"
        ? { stdout: `${ID2} created {"${LABEL_KEY}":"docker1/web1","${LABEL_LAB}":"t"}` }
        : undefined,
    );
    await deleteContainer(envWith({ docker1: ours }), { ...olds, containerId: "" });
    expect(ours.calls.map((c) => c.slice(1).join(" "))).toEqual([
      `inspect --format {{.Id}} {{.State.Status}} {{json .Config.Labels}} web1`,
      `rm -f ${ID2}`,
    ]);
  });
});

describe("issue 9: what real Weave 2.8.1 showed", () => {
  const plan = planLab(lab());
  const NOT_FOUND = {
    code: 126,
    stderr:
      'OCI runtime exec failed: exec failed: container_linux.go:380: starting container process caused: exec: "getent": executable file not found in $PATH: unknown\n',
  };

  test("busybox nslookup output (fixture 08, real 2.8.1 lab) gives the answer's addresses, not the server's", () => {
    expect(parseNslookup(readFixture("08-docker2-docker-exec-web2-nslookup-web1.txt").stdout)).toEqual({
      ips: ["172.16.16.1", "172.16.16.224"],
      notFound: false,
    });
    expect(parseNslookup(readFixture("08-docker2-docker-exec-web2-nslookup-www.txt").stdout)).toEqual({
      ips: ["172.16.16.200"],
      notFound: false,
    });
    // busybox 1.36 for a name weaveDNS does not know (once per query type).
    const nx =
      "Server:\t\t172.17.0.1\nAddress:\t172.17.0.1:53\n\n** server can't find nope.weave.local: NXDOMAIN\n\n** server can't find nope.weave.local: NXDOMAIN\n\n";
    expect(parseNslookup(nx)).toEqual({ ips: [], notFound: true });
    // Older busybox numbers its addresses and repeats the server's.
    const old =
      "Server:    172.17.0.1\nAddress 1: 172.17.0.1\n\nName:      web1.weave.local\nAddress 1: 172.16.16.9 web1.weave.local\nAddress 2: 172.16.16.2 web1.weave.local\n";
    expect(parseNslookup(old).ips).toEqual(["172.16.16.2", "172.16.16.9"]);
  });

  test("the resolution check falls back to nslookup where the image has no getent (busybox), and keeps using it", async () => {
    const nslookup = readFixture("08-docker2-docker-exec-web2-nslookup-web1.txt").stdout;
    const host = new FakeHost("docker2", (argv) =>
      argv[3] === "getent" ? NOT_FOUND : argv[3] === "nslookup" ? { stdout: nslookup } : undefined,
    );
    expect(await resolveFrom(host, "web2", "web1.weave.local")).toEqual(["172.16.16.1", "172.16.16.224"]);
    expect(host.calls).toEqual([
      ["docker", "exec", "web2", "getent", "hosts", "web1.weave.local"],
      ["docker", "exec", "web2", "nslookup", "web1.weave.local"],
    ]);
    host.calls.length = 0;
    await expectResolves(host, "web2", "web1.weave.local", ["172.16.16.224", "172.16.16.1"]);
    expect(host.calls.map((c) => c[3])).toEqual(["getent", "nslookup"]);
  });

  test("glibc/musl images still use getent; a resolver that cannot be reached is an error naming host and command", async () => {
    const glibc = new FakeHost("docker2", (argv) =>
      argv[3] === "getent" ? { stdout: "172.16.16.1     web1.weave.local\n" } : undefined,
    );
    expect(await resolveFrom(glibc, "web2", "web1.weave.local")).toEqual(["172.16.16.1"]);
    expect(glibc.calls).toHaveLength(1);
    const nx = new FakeHost("docker2", (argv) =>
      argv[3] === "getent"
        ? NOT_FOUND
        : {
            code: 1,
            stdout: "Server:\t\t172.17.0.1\nAddress:\t172.17.0.1:53\n\n** server can't find x: NXDOMAIN\n",
          },
    );
    expect(await resolveFrom(nx, "web2", "x")).toEqual([]);
    const down = new FakeHost("docker2", (argv) =>
      argv[3] === "getent"
        ? NOT_FOUND
        : { code: 1, stdout: ";; connection timed out; no servers could be reached\n" },
    );
    await expect(resolveFrom(down, "web2", "x")).rejects.toThrow(
      /^docker2: `docker exec web2 nslookup x` failed \(exit 1; the image has no getent either\): ;; connection timed out; no servers could be reached$/,
    );
  });

  test("a container whose command exits at once: attach's refusal becomes an error with host, container, command, exit code, last log lines (secrets masked)", async () => {
    const secret = "hunter2-very-secret";
    const host = freshHost(
      "docker2",
      {
        logs: { stdout: "starting\n", stderr: `fatal: bad token ${secret}\n` },
        attach: { code: 1, stderr: `container ${ID} not running\n` },
      },
      () => ({ stdout: "exited 3\n" }),
    );
    const err = (await createContainer(envWith({ docker2: host }), {
      ...inputsOf(plan, 2),
      secretEnv: { TOKEN: secret },
    }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /^docker2: container sub \(4e5b1d7e0f0a, image lab\/web:1, command \["sh","-c","echo \$HOME"\]\) is exited, exit code 3: /,
    );
    expect(err.message).toMatch(/Last log lines:\n {4}starting\n {4}fatal: bad token <secret>$/);
    expect(err.message).not.toContain(secret);
    expect(host.calls.find((c) => c[1] === "logs")).toEqual(["docker", "logs", "--tail", "20", ID]);
  });

  test("a command that ends while attach runs: attach's `not running` becomes the same clear error", async () => {
    let attached = false;
    const host = freshHost(
      "docker2",
      {
        attach: () => {
          attached = true;
          return { code: 1, stderr: `container ${ID} not running\n` };
        },
      },
      () => ({ stdout: attached ? "exited 0\n" : "running 0\n" }),
    );
    await expect(createContainer(envWith({ docker2: host }), inputsOf(plan, 2))).rejects.toThrow(
      /^docker2: container sub \(4e5b1d7e0f0a, .*\) is exited, exit code 0: .*\(the logs are empty\)$/s,
    );
  });
});

describe("issue 10: fewer helper containers per container", () => {
  const plan = planLab(lab());

  test("attach's printed address plus the addressing's prefix give ip and cidr (default subnet /25, net: subnet /26, claim /24); no weave ps", async () => {
    const h1 = healthy();
    const a = await createContainer(envWith({ docker1: h1 }), inputsOf(plan, 0));
    const b = await createContainer(envWith({ docker1: h1 }), inputsOf(plan, 1));
    const h2 = freshHost("docker2", { attach: { stdout: "172.16.16.130\n" } });
    const c = await createContainer(envWith({ docker2: h2 }), inputsOf(plan, 2));
    expect([a.cidr, b.cidr, c.cidr]).toEqual(["172.16.16.3/25", "172.16.16.200/24", "172.16.16.130/26"]);
    expect([a.mac, c.mac]).toEqual(["6a:1b:2c:3d:4e:5f", "6a:1b:2c:3d:4e:5f"]);
    expect([...h1.calls, ...h2.calls].filter((x) => x[1] === "ps")).toEqual([]);
  });

  test("when the MAC cannot be read in the container (no cat in the image), weave ps answers", async () => {
    const host = freshHost("docker1", {
      attach: { stdout: "172.16.16.3\n" },
      exec: { code: 126, stderr: 'exec: "cat": executable file not found in $PATH' },
      ps: { stdout: `${ID.slice(0, 12)} 0a:0b:0c:0d:0e:0f 172.16.16.3/25\n` },
    });
    const out = await createContainer(envWith({ docker1: host }), inputsOf(plan, 0));
    expect(out).toMatchObject({ cidr: "172.16.16.3/25", mac: "0a:0b:0c:0d:0e:0f" });
  });

  test("the MAC through the container's own sysfs under /proc/<pid>/root (pid from Docker's API): no docker exec", async () => {
    const proc = (argv: string[]): boolean =>
      argv[0] === "cat" && argv[1] === "/proc/4242/root/sys/class/net/ethwe/address";
    const host = healthy("docker1", undefined, (argv) =>
      proc(argv) ? { stdout: "0A:0B:0C:0D:0E:0F\n" } : undefined,
    );
    host.dockerGet = async (path) =>
      path === `/containers/${ID}/json`
        ? {
            status: 200,
            body: JSON.stringify({ Id: ID, State: { Status: "running", Running: true, Pid: 4242 } }),
          }
        : { status: 404, body: "{}" };
    const out = await createContainer(envWith({ docker1: host }), inputsOf(plan, 0));
    expect(out.mac).toBe("0a:0b:0c:0d:0e:0f");
    expect(host.calls.filter(proc)).toHaveLength(1);
    expect(host.calls.filter((a) => (a[1] === "exec" && a[2] === ID) || asScript(a)[1] === "ps")).toEqual([]);
  });

  test("the MAC falls back to docker exec when /proc cannot be read (a login user who is not root) or the API says the container does not run", async () => {
    const apis: Array<[() => HttpResponse, number]> = [
      [
        () => ({
          status: 200,
          body: JSON.stringify({ State: { Status: "running", Running: true, Pid: 4242 } }),
        }),
        1,
      ],
      [
        () => ({
          status: 200,
          body: JSON.stringify({ State: { Status: "exited", Running: false, Pid: 0 } }),
        }),
        0,
      ],
    ];
    for (const [api, cats] of apis) {
      const host = healthy("docker1", undefined, (argv) =>
        argv[0] === "cat"
          ? { code: 1, stderr: "cat: /proc/4242/root/sys/class/net/ethwe/address: Permission denied\n" }
          : undefined,
      );
      host.dockerGet = async () => api();
      const out = await createContainer(envWith({ docker1: host }), inputsOf(plan, 0));
      expect(out.mac).toBe("6a:1b:2c:3d:4e:5f");
      expect(host.calls.filter((a) => a[0] === "cat")).toHaveLength(cats);
      expect(host.calls.filter((a) => a[1] === "exec" && a[2] === ID)).toHaveLength(1);
    }
  });

  test("attach output: one line of addresses, else nothing", () => {
    expect(parseAttachOutput(readFixture("09-docker4-weave-attach-plain.txt").stdout)).toEqual([
      "172.16.16.65",
    ]);
    expect(parseAttachOutput("10.2.1.1 10.2.2.1\n")).toEqual(["10.2.1.1", "10.2.2.1"]);
    expect(parseAttachOutput("")).toBeUndefined();
    expect(parseAttachOutput("cancelled\n")).toBeUndefined();
    expect(prefixOf({ kind: "dynamic", subnet: "10.32.0.0/12" })).toBe("12");
  });

  test("DNS arguments: once per router; a relaunched router with other network facts is asked again", async () => {
    const host = healthy();
    const env = envWith({ docker1: host });
    const one = inputsOf(plan, 0);
    await createContainer(env, one);
    await createContainer(env, { ...inputsOf(plan, 1) });
    expect(host.requests.filter((p) => p === "/domain")).toHaveLength(1);
    await createContainer(env, { ...one, networkFingerprint: "other-range" });
    expect(host.requests.filter((p) => p === "/domain")).toHaveLength(2);
  });

  test("DNS arguments from the API as the script's dns_args reads it: /domain 404 is DNS off (no arguments), an empty domain is weave.local.", async () => {
    const off = new FakeHost(
      "docker1",
      () => undefined,
      () => ({ status: 404, body: "404 page not found\n" }),
    );
    expect(await dnsArgsOf(off, WEAVE, 1000)).toEqual([]);
    expect(off.requests).toEqual(["/domain"]);
    clearDnsArgsCache();
    const empty = new FakeHost(
      "docker1",
      () => undefined,
      (p) => (p === "/dns-address" ? { status: 200, body: "10.1.2.3" } : { status: 200, body: "" }),
    );
    expect(await dnsArgsOf(empty, WEAVE, 1000)).toEqual(["--dns=10.1.2.3", "--dns-search=weave.local."]);
    expect([...off.calls, ...empty.calls]).toEqual([]);
  });

  test("DNS arguments: an API answer the script would not give (no listener, a 500, no IPv4 address) falls back to `weave dns-args`; an SSH failure does not", async () => {
    const cliSays = (argv: string[]): Partial<ExecResult> | undefined =>
      argv[1] === "dns-args" ? { stdout: "--dns=172.17.0.1 --dns-search=lab.example." } : undefined;
    const apis: Array<(p: string) => HttpResponse> = [
      () => {
        throw new Error("(SSH) Channel open failure: Connection refused");
      },
      () => ({ status: 500, body: "boom" }),
      (p) => (p === "/domain" ? { status: 200, body: "weave.local." } : { status: 200, body: "" }),
    ];
    for (const api of apis) {
      clearDnsArgsCache();
      const host = new FakeHost("docker1", cliSays, api);
      expect(await dnsArgsOf(host, WEAVE, 1000)).toEqual(["--dns=172.17.0.1", "--dns-search=lab.example."]);
      expect(host.calls.map((c) => c[1])).toEqual(["dns-args"]);
    }
    clearDnsArgsCache();
    const lost = new FakeHost("docker1", cliSays, () => {
      throw Object.assign(new Error("host docker1: SSH connection lost"), {
        name: "RemoteConnectError",
        kind: "lost",
        hostName: "docker1",
      });
    });
    await expect(dnsArgsOf(lost, WEAVE, 1000)).rejects.toThrow(/SSH connection lost/);
    expect(lost.calls).toEqual([]);
  });
});

describe("issue 11: secrets, option-like images, masked outputs, diff reasons", () => {
  const plan = planLab(lab());
  const secret = "pa55:word with spaces";

  test("secret env: docker run names the variable (-e TOKEN) and gets the value through the transport's secret environment only", async () => {
    const host = healthy();
    await createContainer(envWith({ docker1: host }), { ...inputsOf(plan, 0), secretEnv: { TOKEN: secret } });
    const i = host.calls.findIndex((c) => c[1] === "run");
    expect(host.calls[i]).toContain("TOKEN");
    expect(JSON.stringify(host.calls)).not.toContain(secret);
    expect(host.opts[i].secretEnv).toEqual({ TOKEN: secret });
    expect(JSON.stringify(host.opts.filter((_, j) => j !== i))).not.toContain(secret);
  });

  test("secret env is checked without quoting a value: bad names, names also in env, multi-line values", () => {
    const base = inputsOf(plan, 0);
    const failures = checkContainerInputs({
      ...base,
      secretEnv: { "BAD NAME": "x", PATH: "x", B: "y", OK: "line1\nline2-" + secret },
    });
    expect(failures.map((f) => f.property)).toEqual(["secretEnv", "secretEnv", "secretEnv", "secretEnv"]);
    expect(failures.map((f) => f.reason).join("\n")).toMatch(/"BAD NAME" is not allowed/);
    expect(failures.map((f) => f.reason).join("\n")).toMatch(/"PATH" is not allowed/);
    expect(failures.map((f) => f.reason).join("\n")).toMatch(/B is in both env and secretEnv/);
    expect(JSON.stringify(failures)).not.toContain(secret);
    expect(checkContainerInputs({ ...base, secretEnv: { TOKEN: secret } })).toEqual([]);
    expect(CONTAINER_SECRET_OUTPUTS).toEqual(expect.arrayContaining(["connection", "secretEnv"]));
  });

  test("an image named like an option is refused at plan time, by the provider's check, and before anything runs", async () => {
    let err: unknown;
    try {
      planLab({ ...lab(), containers: [{ name: "x", host: "docker1", image: "--privileged" }] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    const issue = (err as SpecError).issues.find((i) => i.path === "containers[0].image")!;
    expect(issue.message).toMatch(
      /"--privileged" is not an image reference; allowed: .*does not start with "-"/,
    );
    const base = inputsOf(plan, 0);
    expect(checkContainerInputs({ ...base, image: "--privileged" }).map((f) => f.property)).toEqual([
      "image",
    ]);
    const host = healthy();
    await expect(
      createContainer(envWith({ docker1: host }), { ...base, image: "-v/:/host" }),
    ).rejects.toThrow(
      /^docker1: image "-v\/:\/host" of web1 starts with "-": docker run would read it as an option/,
    );
    expect(host.calls).toEqual([]);
  });

  test("what a command allowed to fail said: secrets masked, last 20 lines, stderr first", () => {
    const many = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    expect(saidBy({ code: 1, stdout: "", stderr: many })).toBe(
      "[… 10 earlier line(s)]\n" + Array.from({ length: 20 }, (_, i) => `line ${i + 10}`).join("\n"),
    );
    expect(saidBy({ code: 1, stdout: `out ${secret}`, stderr: "" }, [secret])).toBe("out <secret>");
    expect(saidBy({ code: 7, stdout: "", stderr: "" })).toBe("(no output, exit 7)");
  });

  test("the provider's diff names the field that replaces a container; extra names update in place", async () => {
    const base = inputsOf(plan, 0);
    const outs: ContainerOutputs = {
      ...base,
      secretEnv: { TOKEN: "a" },
      containerId: ID,
      ip: "172.16.16.3",
      cidr: "172.16.16.3/25",
      mac: "m",
      status: "running",
      statusDetail: "running",
    };
    expect(
      await containerProvider.diff!("t/docker1/web1", outs, { ...base, secretEnv: { TOKEN: "b" } }),
    ).toEqual({
      changes: true,
      replaces: ["secretEnv"],
      deleteBeforeReplace: true,
    });
    expect(
      await containerProvider.diff!("t/docker1/web1", outs, {
        ...base,
        secretEnv: { TOKEN: "a" },
        image: "x:2",
      }),
    ).toMatchObject({
      replaces: ["image"],
    });
    expect(diffContainer(outs, { ...base, secretEnv: { TOKEN: "a" }, extraFqdns: [] })).toMatchObject({
      changes: true,
      replaces: [],
      updates: ["extraFqdns"],
    });
  });
});

describe("issue 9 item 6: preview's unknown values in the Container and DnsRecord providers", () => {
  const plan = planLab(lab());
  const news: ContainerInputs = { ...inputsOf(plan, 0), secretEnv: { TOKEN: "t" } };
  const olds: ContainerOutputs = {
    ...news,
    containerId: ID,
    ip: "172.16.16.3",
    cidr: "172.16.16.3/25",
    mac: "m",
    status: "running",
    statusDetail: "running",
  };

  test("Container check and diff take the placeholder at every position: no failure, no throw, a possible change of that field", async () => {
    const ps = innerPositions(news);
    expect(ps.length).toBeGreaterThan(25);
    for (const p of ps) {
      const n = withUnknownAt(news, p);
      const where = p.join(".");
      const check = await containerProvider.check!({}, n);
      expect({ where, failures: check.failures }).toEqual({ where, failures: [] });
      const d = diffContainer(olds, n);
      const field = String(p[0]);
      expect({ where, changes: d.changes, named: [...d.replaces, ...d.updates].includes(field) }).toEqual({
        where,
        changes: true,
        named: true,
      });
      expect((await containerProvider.diff!("id", olds, n)).changes).toBe(true);
    }
    // An unknown replace field is a possible replace, an unknown connection only an update.
    expect(diffContainer(olds, { ...news, image: pulumi.runtime.unknownValue }).replaces).toEqual(["image"]);
    expect(diffContainer(olds, withUnknownAt(news, ["connection", "port"]))).toMatchObject({
      replaces: [],
      updates: ["connection"],
    });
  });

  test("DnsRecord check and diff take the placeholder at every position: no failure, no throw, a possible change", async () => {
    const rec: DnsRecordInputs = {
      lab: "t",
      networkFingerprint: "f1",
      key: "docker1/x.weave.local",
      host: "docker1",
      fqdn: "x.weave.local",
      ips: ["10.0.0.1", "10.0.0.2"],
      connection: CONN,
      weave: { scriptPath: "weave" },
      commandMs: 1000,
    };
    const outs: DnsRecordOutputs = { ...rec, resolved: rec.ips, present: true };
    const ps = innerPositions(rec);
    expect(ps.length).toBeGreaterThan(15);
    for (const p of ps) {
      const n = withUnknownAt(rec, p);
      const where = p.join(".");
      const check = await dnsRecordProvider.check!({}, n);
      expect({ where, failures: check.failures }).toEqual({ where, failures: [] });
      const d = await dnsRecordProvider.diff!("id", outs, n);
      expect({ where, changes: d.changes }).toEqual({ where, changes: true });
    }
    expect(diffDnsRecord(outs, { ...rec, fqdn: pulumi.runtime.unknownValue }).replaces).toEqual(["fqdn"]);
    expect(diffDnsRecord(outs, withUnknownAt(rec, ["ips"]))).toMatchObject({
      replaces: [],
      updates: ["ips"],
    });
    // Known inputs still fail what they should.
    expect(
      (await dnsRecordProvider.check!({}, { ...rec, ips: [] })).failures?.map((f) => f.property),
    ).toEqual(["ips"]);
    expect(
      (
        await containerProvider.check!({}, { ...news, timeouts: { attachMs: 0, commandMs: 1 } })
      ).failures?.map((f) => f.property),
    ).toEqual(["timeouts"]);
  });
});
