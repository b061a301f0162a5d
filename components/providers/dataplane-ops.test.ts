import type { ConnectParams, ExecOptions, ExecResult, HostConnection } from "../remote/types";
import {
  isDataPlaneError,
  probeDataPlane,
  runDataPlane,
  type DataPlaneContainer,
  type DataPlaneInputs,
} from "./dataplane-ops";
import type { OpsEnv } from "./ops-env";

const MISSING = (tool: string): ExecResult => ({
  code: 126,
  stdout: "",
  stderr: `OCI runtime exec failed: exec failed: container_linux.go:380: starting container process caused: exec: "${tool}": executable file not found in $PATH: unknown`,
  durationMs: 1,
});
const ok = (stdout = ""): ExecResult => ({ code: 0, stdout, stderr: "", durationMs: 1 });
const fail = (code: number, stdout = ""): ExecResult => ({ code, stdout, stderr: "", durationMs: 1 });

/** A world of containers: who answers ping, what names resolve to, which tools each image has. */
interface World {
  /** `<id> <ip>` pairs that answer. */
  reachable: Set<string>;
  names: Record<string, string[]>;
  tools: Record<string, string[]>;
  calls: Array<{ host: string; argv: string[] }>;
}

function fakeEnv(w: World): OpsEnv {
  const conn = (p: ConnectParams): HostConnection => ({
    hostName: p.hostName,
    async exec(argv: string[], _o?: ExecOptions): Promise<ExecResult> {
      w.calls.push({ host: p.hostName, argv });
      const [docker, exec, id, tool, ...args] = argv;
      if (docker !== "docker" || exec !== "exec") throw new Error(`unexpected ${argv.join(" ")}`);
      if (!(w.tools[id] ?? []).includes(tool)) return MISSING(tool);
      if (tool === "ping") return w.reachable.has(`${id} ${args[args.length - 1]}`) ? ok() : fail(1);
      const name = args[args.length - 1];
      const ips = w.names[name] ?? [];
      if (tool === "getent") return ips.length ? ok(ips.map((ip) => `${ip}  ${name}\n`).join("")) : fail(2);
      if (tool === "nslookup")
        return ips.length
          ? ok(
              `Server:\t\t172.17.0.1\nAddress:\t172.17.0.1:53\n\n${ips.map((ip) => `Name:\t${name}\nAddress: ${ip}\n`).join("")}`,
            )
          : fail(1, `** server can't find ${name}: NXDOMAIN\n`);
      throw new Error(`unexpected tool ${tool}`);
    },
    http: () => Promise.reject(new Error("no http here")),
    upload: () => Promise.reject(new Error("no upload here")),
    close: async () => undefined,
  });
  return { connect: conn, log: () => undefined, sleep: async () => undefined };
}

const params = (hostName: string): ConnectParams => ({
  hostName,
  host: hostName,
  port: 22,
  user: "root",
  insecureIgnoreHostKey: true,
  sudo: false,
  connectTimeoutSeconds: 5,
});

const web1: DataPlaneContainer = {
  key: "docker1/web1",
  name: "web1",
  host: "docker1",
  containerId: "id1",
  cidr: "172.16.16.1/24",
  names: ["web1.weave.local"],
  usesWeaveDns: true,
};
const web2: DataPlaneContainer = {
  key: "docker2/web2",
  name: "web2",
  host: "docker2",
  containerId: "id2",
  cidr: "172.16.16.129/24",
  names: ["web2.weave.local"],
  usesWeaveDns: true,
};

function inputs(settleMs = 0): DataPlaneInputs {
  return {
    lab: "t",
    containers: [web1, web2],
    records: [{ fqdn: "docker1.weave.local", ips: ["10.10.10.101"] }],
    connections: { docker1: params("docker1"), docker2: params("docker2") },
    settleMs,
    commandMs: 5_000,
  };
}

function world(): World {
  return {
    reachable: new Set(["id1 172.16.16.129", "id2 172.16.16.1"]),
    names: {
      "web1.weave.local": ["172.16.16.1"],
      "web2.weave.local": ["172.16.16.129"],
      "docker1.weave.local": ["10.10.10.101"],
    },
    // web1 is glibc-like (getent, ping), web2 busybox (ping, nslookup).
    tools: { id1: ["getent", "ping"], id2: ["nslookup", "ping"] },
    calls: [],
  };
}

describe("data-plane probes (in-memory hosts)", () => {
  test("a working lab: every pair pinged by argv inside the source container, names looked up with the tool the image has", async () => {
    const w = world();
    const out = await runDataPlane(fakeEnv(w), inputs());
    expect(out.ok).toBe(true);
    expect(out.matrix.failures).toEqual([]);
    expect(out.matrix.unverified).toEqual([]);
    expect(w.calls).toContainEqual({
      host: "docker1",
      argv: ["docker", "exec", "id1", "ping", "-c", "1", "-W", "2", "172.16.16.129"],
    });
    expect(w.calls).toContainEqual({
      host: "docker2",
      argv: ["docker", "exec", "id2", "nslookup", "docker1.weave.local"],
    });
    expect(w.calls).toContainEqual({
      host: "docker1",
      argv: ["docker", "exec", "id1", "getent", "hosts", "web2.weave.local"],
    });
    // busybox's missing getent is found out once, not once per name.
    expect(w.calls.filter((c) => c.argv[2] === "id2" && c.argv[3] === "getent")).toHaveLength(1);
    expect(out.matrix.dns.docker2["web1.weave.local"]).toMatchObject({ via: "nslookup", ok: true });
  });

  test("routers agree but web2 cannot reach web1: up fails naming the pair", async () => {
    const w = world();
    w.reachable.delete("id2 172.16.16.1");
    let err: unknown;
    try {
      await runDataPlane(fakeEnv(w), inputs());
    } catch (e) {
      err = e;
    }
    expect(isDataPlaneError(err)).toBe(true);
    expect((err as Error).message).toContain("docker2/web2 cannot reach docker1/web1 at 172.16.16.1");
    expect((err as Error).message).not.toContain("docker1/web1 cannot reach");
  });

  test("a pair that comes up while the check settles is asked again and passes", async () => {
    const w = world();
    w.reachable.delete("id1 172.16.16.129");
    const env = fakeEnv(w);
    let slept = 0;
    env.sleep = async () => {
      slept++;
      w.reachable.add("id1 172.16.16.129");
    };
    const m = await probeDataPlane(env, inputs(60_000));
    expect(m.ok).toBe(true);
    expect(slept).toBe(1);
    const pings = w.calls.filter((c) => c.argv[3] === "ping" && c.argv[2] === "id1");
    expect(pings).toHaveLength(2);
  });

  test("an image without ping or any resolver: not verifiable, listed, and not a failure", async () => {
    const w = world();
    w.tools.id2 = [];
    const m = await probeDataPlane(fakeEnv(w), inputs());
    expect(m.ok).toBe(true);
    expect(m.unverified).toContain("docker2/web2 → docker1/web1 (172.16.16.1): no ping in the image");
    expect(m.unverified).toContain(
      "web1.weave.local from docker2 (in docker2/web2): neither getent nor nslookup in web2's image",
    );
  });

  test("Docker's 'not found' may come on stdout (as on the DinD hosts with real Weave): still a missing tool", async () => {
    const w = world();
    const env = fakeEnv(w);
    const inner = env.connect;
    env.connect = (p) => {
      const c = inner(p);
      return {
        ...c,
        exec: async (argv, o) => {
          const r = await c.exec(argv, o);
          return r.code === 126 ? { ...r, stdout: r.stderr, stderr: "" } : r;
        },
      };
    };
    const m = await probeDataPlane(env, inputs());
    expect(m.failures).toEqual([]);
    expect(m.dns.docker2["web1.weave.local"]).toMatchObject({ via: "nslookup", ok: true });
  });

  test("a name that resolves to the wrong address fails with both lists", async () => {
    const w = world();
    w.names["docker1.weave.local"] = ["10.10.10.99"];
    const m = await probeDataPlane(fakeEnv(w), inputs());
    expect(m.failures).toEqual([
      "docker1.weave.local from docker1 (in docker1/web1) resolves to [10.10.10.99], declared [10.10.10.101]",
      "docker1.weave.local from docker2 (in docker2/web2) resolves to [10.10.10.99], declared [10.10.10.101]",
    ]);
  });
});
