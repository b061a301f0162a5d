import { fakePrivateKey } from "../../test/fake-key";
import { parseSpecText } from "../cli/text";
import { planLab } from "../plan";
import type { LabSpec } from "../spec";
import { weaveReport } from "../../test/builders";
import type { ConnectParams } from "../remote/types";
import type { HostLive } from "./compare";
import { runStatus, STATUS_USAGE, type StatusIo } from "./cli";
import type { DataPlaneMatrix } from "../providers/dataplane-matrix";

const SPEC = `
name: cli
network: { allocRange: 172.16.16.0/24 }
hosts:
  - { name: docker1, address: 10.10.10.101, ssh: { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost1" } }
`;

interface Run {
  code: number;
  out: string;
  err: string;
  seen: Record<string, ConnectParams>;
  verified: boolean;
  closed: boolean;
}

async function run(
  args: string[],
  opts: {
    files?: Record<string, string>;
    env?: Record<string, string>;
    live?: (conns: Record<string, ConnectParams>) => HostLive[];
    matrix?: DataPlaneMatrix;
    stdin?: string;
  } = {},
): Promise<Run> {
  const r: Run = { code: -1, out: "", err: "", seen: {}, verified: false, closed: false };
  const files: Record<string, string> = { "lab.yaml": SPEC, ...opts.files };
  const io: StatusIo = {
    stdout: (t) => (r.out += t),
    stderr: (t) => (r.err += t),
    readFile: (p) => {
      if (!(p in files)) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
      return files[p];
    },
    ...(opts.stdin !== undefined ? { readStdin: () => opts.stdin! } : {}),
    env: opts.env ?? {},
    observe: async (_plan, conns) => {
      r.seen = conns;
      return opts.live ? opts.live(conns) : [{ host: "docker1", router: "absent", containers: [] }];
    },
    verify: async () => {
      r.verified = true;
      return opts.matrix!;
    },
    done: async () => {
      r.closed = true;
    },
  };
  r.code = await runStatus(args, io);
  return r;
}

describe("weave-lab status (command line, hosts injected)", () => {
  test("--help prints the usage and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(STATUS_USAGE);
  });

  test("bad input exits 2: no file, two files, unknown option, unreadable file, invalid spec", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(["a.yaml", "b.yaml"])).code).toBe(2);
    const opt = await run(["lab.yaml", "--bogus"]);
    expect(opt.code).toBe(2);
    expect(opt.err).toContain("unknown option '--bogus'");
    const missing = await run(["nope.yaml"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("cannot use nope.yaml: ENOENT");
    const invalid = await run(["bad.yaml"], { files: { "bad.yaml": "hosts: []\n" } });
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/^bad\.yaml: \d+ problems?:\nhosts/);
  });

  test("with --json a failure is one JSON document on stdout, same exit code (the CLI's convention)", async () => {
    const r = await run(["bad.yaml", "--json"], { files: { "bad.yaml": "hosts: []\n" } });
    expect(r.code).toBe(2);
    expect(r.err).toBe("");
    const doc = JSON.parse(r.out) as { ok: boolean; exitCode: number; issues: Array<{ path: string }> };
    expect(doc.ok).toBe(false);
    expect(doc.exitCode).toBe(2);
    expect(doc.issues[0].path).toMatch(/^hosts/);
  });

  test("'-' reads the spec from stdin (YAML or JSON); its problems are attributed to <stdin>", async () => {
    const yaml = await run(["-", "--json"], { stdin: SPEC });
    expect(yaml.code).toBe(1);
    expect((JSON.parse(yaml.out) as { lab: string }).lab).toBe("cli");
    expect(Object.keys(yaml.seen)).toEqual(["docker1"]);
    const json = await run(["-", "--json"], { stdin: JSON.stringify(parseSpecText(SPEC, "lab.yaml")) });
    expect((JSON.parse(json.out) as { lab: string }).lab).toBe("cli");
    const bad = await run(["-"], { stdin: "hosts: []\n" });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^<stdin>: \d+ problems?:\nhosts/);
    const none = await run(["-"]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("reading the spec from stdin is not available here");
  });

  test("drift exits 1 and is printed; the SSH sessions are closed", async () => {
    const r = await run(["lab.yaml"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("router-missing: docker1: no weave router container");
    expect(r.closed).toBe(true);
  });

  test("an unreachable host exits 2 and --verify does not run", async () => {
    const r = await run(["lab.yaml", "--verify"], {
      live: () => [
        { host: "docker1", unreachable: "connect ECONNREFUSED", router: "absent", containers: [] },
      ],
    });
    expect(r.code).toBe(2);
    expect(r.verified).toBe(false);
  });

  test("--json prints the comparison as JSON", async () => {
    const r = await run(["lab.yaml", "--json"]);
    const parsed = JSON.parse(r.out) as { lab: string; exitCode: number; drift: Array<{ kind: string }> };
    expect(parsed.lab).toBe("cli");
    expect(parsed.exitCode).toBe(1);
    expect(parsed.drift.map((d) => d.kind)).toContain("router-missing");
  });

  test("the key comes from $WEAVE_LAB_SSH_KEY_FILE when the spec has none, and never reaches the output", async () => {
    const key = fakePrivateKey("status-cli");
    const r = await run(["lab.yaml", "--json"], {
      files: { "/keys/lab": key },
      env: { WEAVE_LAB_SSH_KEY_FILE: "/keys/lab" },
    });
    expect(r.seen.docker1.privateKey).toBe(key);
    expect(r.seen.docker1.hostKey).toBe("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost1");
    expect(r.out + r.err).not.toContain(key.split("\n")[1]);
    const bad = await run(["lab.yaml"], { env: { WEAVE_LAB_SSH_KEY_FILE: "/keys/none" } });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("cannot read the key file named by WEAVE_LAB_SSH_KEY_FILE");
  });

  test("--verify: a healthy lab exits 0 when the data plane works and 1 when it does not", async () => {
    const good: DataPlaneMatrix = {
      ok: true,
      reach: {},
      dns: {},
      failures: [],
      unverified: [],
      summary: "all good",
    };
    const failing: DataPlaneMatrix = {
      ok: false,
      reach: {},
      dns: {},
      failures: ["docker1/a cannot reach docker1/b at 172.16.16.2"],
      unverified: [],
      summary: "0/2 container pairs as expected",
    };
    const ok = await run(["lab.yaml", "--verify"], { live: healthyLive, matrix: good });
    expect(ok.verified).toBe(true);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("Lab cli (172.16.16.0/24): healthy and as specified");
    const r = await run(["lab.yaml", "--verify"], { live: healthyLive, matrix: failing });
    expect(r.code).toBe(1);
    expect(r.out).toContain("FAIL docker1/a cannot reach docker1/b at 172.16.16.2");
  });
});

/** The one-host lab of SPEC as specified: its router, named as planned, owning the whole range. */
function healthyLive(): HostLive[] {
  const h = planLab(parseSpecText(SPEC, "lab.yaml") as LabSpec).hosts[0];
  const whole = { cidr: "172.16.16.0/24", start: "172.16.16.0", end: "172.16.16.255", size: 256 };
  const report = weaveReport({
    router: {
      name: h.peerName,
      nickname: "docker1",
      peers: [{ name: h.peerName, nickname: "docker1", uid: "1", shortId: 1, version: 1, connections: [] }],
    },
    ipam: {
      entries: [
        {
          token: "172.16.16.0",
          size: 256,
          peer: h.peerName,
          nickname: "docker1",
          isKnownPeer: true,
          version: 1,
        },
      ],
      owners: [{ peer: h.peerName, nickname: "docker1", size: 256, reachable: true, shares: [whole] }],
    },
  });
  return [{ host: "docker1", router: "running", report, containers: [], attached: [] }];
}
