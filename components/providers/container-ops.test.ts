import { planLab, SpecError } from "../plan";
import type { LabPlan } from "../plan/types";
import type { ConnectParams, ExecOptions, ExecResult, HostConnection, HttpResponse } from "../remote/types";
import type { LabSpec } from "../spec";
import { planContainer } from "../container";
import { addressesOf, diffDnsRecord, normaliseName } from "./dns-record";
import {
  clearDnsArgsCache,
  containerInputs,
  createContainer,
  deleteContainer,
  diffContainer,
  extraNameChanges,
  LABEL_KEY,
  LABEL_LAB,
  parseGetentHosts,
  parseInspectLine,
  parseRunId,
  readContainer,
  updateContainer,
} from "./container-ops";
import type { ContainerInputs, ContainerOutputs, DnsRecordOutputs } from "./container-types";
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

/** An in-memory host: answers commands from a script and records every argv. */
class FakeHost implements HostConnection {
  readonly calls: string[][] = [];
  constructor(
    readonly hostName: string,
    private readonly answer: (argv: string[]) => Partial<ExecResult> | undefined,
    private readonly api: (path: string) => HttpResponse = () => ({ status: 200, body: "" }),
  ) {}
  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push(argv);
    const a = this.answer(argv) ?? {};
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
    return this.api(path);
  }
  async upload(): Promise<void> {}
  async close(): Promise<void> {}
}

function envWith(hosts: Record<string, FakeHost>): OpsEnv & { logs: string[] } {
  const logs: string[] = [];
  return { logs, connect: (p) => hosts[p.hostName], log: (m) => logs.push(m), sleep: async () => undefined };
}

/** A docker+weave that works: no container yet, run prints the id, attach and ps answer. */
function healthy(name = "docker1", existing?: string): FakeHost {
  return new FakeHost(name, (argv) => {
    const cmd = argv.slice(0, 2).join(" ");
    if (cmd === "docker inspect")
      return existing
        ? { stdout: existing }
        : { code: 1, stderr: `Error: No such object: ${argv[argv.length - 1]}` };
    if (cmd === "docker run") return { stdout: `${ID}\n` };
    if (argv[1] === "dns-args") return { stdout: "--dns=172.17.0.1 --dns-search=weave.local." };
    if (argv[1] === "attach") return { stdout: "172.16.16.3\n" };
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
      parseGetentHosts(
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
        restart: "sometimes" as never,
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

  test("create: one dns-args per host, its words as separate argv elements, env and command literal, our labels, attach on the default subnet, dns-add per extra name, outputs from weave ps", async () => {
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
    expect(host.calls.filter((c) => c[1] === "dns-args")).toHaveLength(1);
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
    const attaches = host.calls.filter((c) => c[1] === "attach");
    expect(attaches).toEqual([
      ["/opt/weave", "attach", "net:default", ID],
      ["/opt/weave", "attach", "172.16.16.200/24", ID],
    ]);
    expect(host.calls.filter((c) => c[1] === "dns-add")).toEqual([
      ["/opt/weave", "dns-add", ID, "-h", "www.weave.local"],
    ]);
  });

  test("create refuses a same-named container weave-lab did not create, and runs nothing", async () => {
    const host = healthy("docker1", `${ID2} running {"owner":"someone"}`);
    await expect(createContainer(envWith({ docker1: host }), inputsOf(plan, 0))).rejects.toThrow(
      /^docker1: a container named "web1" \(5f5b1d7e0f0a, running\) exists and was not created by this lab's weave-lab/,
    );
    expect(host.calls.map((c) => c.slice(0, 2).join(" "))).toEqual(["docker inspect"]);
  });

  test("create first removes our own half-created container of the same name", async () => {
    let removed = false;
    const host = new FakeHost("docker1", (argv) => {
      if (argv[1] === "inspect")
        return removed
          ? { code: 1, stderr: "Error: No such object: web1" }
          : { stdout: `${ID2} created {"${LABEL_KEY}":"docker1/web1","${LABEL_LAB}":"t"}` };
      if (argv[1] === "rm") removed = true;
      if (argv[1] === "run") return { stdout: ID };
      if (argv[1] === "dns-args") return { stdout: "--dns=172.17.0.1 --dns-search=weave.local." };
      if (argv[1] === "ps") return { stdout: `${ID.slice(0, 12)} 6a:1b:2c:3d:4e:5f 172.16.16.3/25\n` };
      return undefined;
    });
    const out = await createContainer(envWith({ docker1: host }), inputsOf(plan, 0));
    expect(out.containerId).toBe(ID);
    const order = host.calls.map((c) => c.slice(0, 2).join(" ").replace("/opt/weave", "weave"));
    // Never attached (not running): straight to rm -f, then the normal create.
    expect(order.slice(0, 3)).toEqual(["docker inspect", "docker rm", "weave dns-args"]);
  });

  test("a failing attach surfaces the transport's error (host, command, what was awaited)", async () => {
    const host = new FakeHost("docker2", (argv) =>
      argv[1] === "inspect"
        ? { code: 1, stderr: "Error: No such object: sub" }
        : argv[1] === "run"
          ? { stdout: ID }
          : argv[1] === "attach"
            ? { code: 1, stderr: "IP allocation exhausted" }
            : { stdout: "" },
    );
    await expect(createContainer(envWith({ docker2: host }), inputsOf(plan, 2))).rejects.toThrow(
      /docker2: .*attach net:172\.16\.16\.128\/26 .* exited 1: IP allocation exhausted \(while waiting for weave attach sub \(an address from IPAM: waits while the ring has no consensus/,
    );
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
      ["/opt/weave", "dns-remove", ID, "-h", "www.weave.local"],
      ["/opt/weave", "dns-add", ID, "-h", "api.weave.local"],
    ]);
    expect(out).toMatchObject({ containerId: ID, ip: "172.16.16.3", extraFqdns: ["api.weave.local"] });
  });

  test("delete: names off, detach, rm -f; a never-attached container still goes; an absent one is fine; an unlabelled one without a recorded id is left alone", async () => {
    const olds: ContainerOutputs = {
      ...inputsOf(plan, 0),
      containerId: ID,
      ip: "",
      cidr: "",
      mac: "",
      status: "running",
      statusDetail: "",
    };
    const attached = new FakeHost("docker1", (argv) =>
      argv[1] === "inspect" ? { stdout: `${ID} running {}` } : undefined,
    );
    await deleteContainer(envWith({ docker1: attached }), olds);
    expect(attached.calls.map((c) => c.slice(1).join(" "))).toEqual([
      `inspect --format {{.Id}} {{.State.Status}} {{json .Config.Labels}} ${ID}`,
      `dns-remove ${ID} -h www.weave.local`,
      `detach ${ID}`,
      `rm -f ${ID}`,
    ]);

    const never = new FakeHost("docker1", (argv) =>
      argv[1] === "inspect"
        ? { stdout: `${ID} running {}` }
        : argv[1] === "detach"
          ? { code: 1, stderr: "Link not found" }
          : undefined,
    );
    const env = envWith({ docker1: never });
    await deleteContainer(env, olds);
    expect(never.calls.at(-1)).toEqual(["docker", "rm", "-f", ID]);
    expect(env.logs.join("\n")).toMatch(/weave detach web1: Link not found \(continuing\)/);

    const absent = new FakeHost("docker1", () => ({ code: 1, stderr: `Error: No such object: ${ID}` }));
    await deleteContainer(envWith({ docker1: absent }), olds);
    expect(absent.calls).toHaveLength(1);

    const foreign = new FakeHost("docker1", () => ({ stdout: `${ID2} running {}` }));
    await deleteContainer(envWith({ docker1: foreign }), { ...olds, containerId: "" });
    expect(foreign.calls).toHaveLength(1);
  });
});
