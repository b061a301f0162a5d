import { listFixtures, readFixture } from "../../test/fixtures";
import { classifyLine, classifyOutput, stripLogPrefix } from "./errors";

const err = (f: string): string => readFixture(f).stderr;
const both = (f: string): string => {
  const fx = readFixture(f);
  return fx.stdout + fx.stderr;
};

describe("classifying Weave's messages", () => {
  test("06: incompatible ranges, with both ranges and the remote peer from the log line", () => {
    const all = classifyOutput(err("06-docker4-docker-logs-weave.txt"));
    const hit = all.find((e) => e.kind === "incompatible-range");
    expect(hit).toMatchObject({
      kind: "incompatible-range",
      received: "172.16.16.0/24",
      ours: "172.64.65.0/24",
    });
    expect(hit?.remote?.address).toMatch(/^10\.10\.10\.10[123]:\d+$/);
    expect(hit?.advice).toMatch(/same --ipalloc-range/);
  });

  test("17: seeded by different peers lists both rings' peers", () => {
    const e = classifyLine(
      readFixture("17-docker1-weave-status-connections-after-connect.txt").stdout.split("\n")[0],
    );
    expect(e).toMatchObject({
      kind: "seeded-by-different-peers",
      received: [{ name: "56:ff:8d:9e:da:f9", nickname: "docker2" }],
      ours: [{ name: "3e:a2:4a:17:e0:d9", nickname: "docker1" }],
    });
    const logs = classifyOutput(both("17-docker2-docker-logs-weave-tail-after-connect.txt"));
    expect(logs.filter((x) => x.kind === "seeded-by-different-peers")).toHaveLength(1);
    expect(logs.find((x) => x.kind === "seeded-by-different-peers")?.remote?.peer?.nickname).toBe("docker1");
  });

  test("09: a second launch is 'already running' (exit 3)", () => {
    const fx = readFixture("09-docker1-weave-launch-again.txt");
    expect(fx.exit).toBe(3);
    expect(classifyLine(fx.stderr)?.kind).toBe("already-running");
  });

  test("01/03: removed commands name the command", () => {
    expect(classifyOutput(err("01-docker1-weave-launch-router.txt"))).toEqual([
      expect.objectContaining({ kind: "command-removed", command: "launch-router" }),
    ]);
    expect(classifyLine(err("03-docker2-weave-run.txt").split("\n")[0])).toMatchObject({ command: "run" });
    expect(classifyLine(err("03-docker2-weave-launch-proxy.txt").split("\n")[0])).toMatchObject({
      command: "launch-proxy",
    });
  });

  test("router not running, not present, restarting, died", () => {
    expect(classifyLine(err("09-docker4-weave-status-after-stop.txt"))?.kind).toBe("router-not-running");
    expect(classifyLine(err("16-docker4-weave-status-ipam-after-relaunch.txt"))?.kind).toBe(
      "router-not-running",
    );
    expect(classifyLine("weave container is not present. Have you launched it?")?.kind).toBe(
      "router-not-present",
    );
    expect(classifyLine("weave container is restarting.")?.kind).toBe("router-restarting");
    expect(classifyLine(err("00-docker9-weave-launch-UNPATCHED-no-dummy-iface.txt"))?.kind).toBe(
      "router-died",
    );
    expect(classifyLine(err("16-docker4-weave-reset-force-after-stop.txt"))?.kind).toBe(
      "router-stopped-already",
    );
  });

  test("15: password texts on both sides, including Weave's 'specificed' typo", () => {
    const d3 = classifyOutput(both("15-docker3-docker-logs-weave-tail.txt")).map((e) => e.kind);
    expect(d3).toContain("password-missing-here");
    const d1 = classifyOutput(both("15-docker1-docker-logs-weave-tail.txt")).map((e) => e.kind);
    expect(d1).toContain("password-missing-on-peer");
    expect(classifyLine("-> 192.168.56.15:6783    retrying    Unable to decrypt TCP msg ")?.kind).toBe(
      "password-mismatch",
    );
  });

  test("G1: Docker API too old extracts both versions and says how to fix it", () => {
    const e = classifyLine(
      "unable to connect to docker: API error (400): client version 1.18 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version",
    );
    expect(e).toMatchObject({ kind: "docker-api-too-old", clientApi: "1.18", minimumApi: "1.24" });
    expect(e?.advice).toMatch(/pin Docker Engine 24\.x or older .* "rajch"/);
  });

  test("00/09: reset refuses when the router is not running; advice says --force", () => {
    const all = classifyOutput(err("09-docker4-weave-reset-after-stop.txt"));
    expect(all.map((e) => e.kind)).toEqual(["reset-refused-not-running"]);
    expect(all[0].advice).toMatch(/--force/);
  });

  test("peer-name collision and connecting to ourself", () => {
    const c = classifyLine(
      '-> 10.0.0.2:6783 failed local "ce:31:e0:06:45:1a(host1)" and remote "ce:31:e0:06:45:1a(host2)" peer names collision, retry: never',
    );
    expect(c).toMatchObject({
      kind: "peer-name-collision",
      local: { nickname: "host1" },
      remotePeer: { nickname: "host2" },
    });
    expect(classifyLine("cannot connect to ourself, retry: never")?.kind).toBe("connect-to-self");
  });

  test("claims: owned by a container, owned by another peer, in use", () => {
    expect(classifyLine("Unable to claim: address 10.32.0.9/12 is already owned by 4f1a")).toMatchObject({
      kind: "claim-owned-by-container",
      address: "10.32.0.9/12",
      owner: "4f1a",
    });
    expect(
      classifyLine("Unable to claim: address 10.32.0.5/12 is owned by other peer ea:2d:b2:e6:e4:f5 (host2)"),
    ).toMatchObject({
      kind: "claim-owned-by-other-peer",
      peer: "ea:2d:b2:e6:e4:f5",
      nickname: "host2",
    });
    expect(classifyLine("Unable to claim: address 10.2.1.1/24 already in use by 77aa")).toMatchObject({
      kind: "claim-in-use",
      owner: "77aa",
    });
  });

  test("09: Link not found from ps without a bridge; docker0 missing is told apart", () => {
    expect(classifyLine(err("09-docker4-weave-ps-after-reset.txt"))?.kind).toBe("link-not-found");
    expect(classifyLine('Failed to get netdev for "docker0" bridge: Link not found')).toMatchObject({
      kind: "docker-bridge-missing",
      bridge: "docker0",
    });
  });

  test("range overlapping a host route: the warning and the fatal default-range error", () => {
    const lines = classifyOutput(
      [
        "Network 10.32.0.0/12 overlaps with existing route 10.0.0.0/8 on host",
        "ERROR: Default --ipalloc-range 10.32.0.0/12 overlaps with existing route on host.",
        "You must pick another range and set it on all hosts.",
      ].join("\n"),
    );
    expect(lines).toEqual([
      expect.objectContaining({
        kind: "range-overlaps-route",
        network: "10.32.0.0/12",
        route: "10.0.0.0/8",
        fatal: false,
      }),
      expect.objectContaining({ kind: "range-overlaps-route", network: "10.32.0.0/12", fatal: true }),
    ]);
  });

  test("router fatal errors from docker logs: bridge type, default subnet, panic, generic FATA", () => {
    expect(
      classifyOutput(err("09-docker4-docker-logs-weave-after-failed-relaunch.txt")).map((e) => e.kind),
    ).toEqual(["bridge-type-mismatch"]);
    expect(classifyOutput(err("12-docker9-docker-logs-weave-default-subnet-without-range.txt"))).toEqual([
      expect.objectContaining({
        kind: "default-subnet-outside-range",
        subnet: "172.16.16.0/25",
        range: "10.32.0.0/12",
      }),
    ]);
    expect(classifyOutput(both("16-docker4-docker-logs-weave-panic-tail.txt")).map((e) => e.kind)).toEqual([
      "ipam-assertion-panic",
    ]);
    expect(classifyOutput(err("00-docker9-docker-logs-weave-UNPATCHED.txt"))).toEqual([
      expect.objectContaining({
        kind: "router-fatal",
        detail: "creating dummy interface: operation not supported",
      }),
    ]);
  });

  test("dial refused names the target; ordinary log lines classify as nothing", () => {
    expect(
      classifyLine("dial tcp :0->10.10.10.104:6783: connect: connection refused, retry: never"),
    ).toMatchObject({
      kind: "connection-refused",
      target: "10.10.10.104:6783",
    });
    expect(
      classifyLine("INFO: 2026/11/28 03:03:49.523384 Our name is e6:e4:80:96:15:77(docker4)"),
    ).toBeUndefined();
    expect(classifyLine("")).toBeUndefined();
  });

  test("every classification carries a sentence of advice", () => {
    const all = classifyOutput(
      [
        err("06-docker4-docker-logs-weave.txt"),
        both("17-docker1-docker-logs-weave-tail-after-connect.txt"),
        err("09-docker4-weave-reset-after-stop.txt"),
      ].join("\n"),
    );
    expect(all.length).toBeGreaterThan(3);
    for (const e of all) expect(e.advice).toMatch(/^[A-Z'`].{20,}[.)]$/);
  });

  test("log prefixes are stripped and the remote end is kept", () => {
    expect(
      stripLogPrefix(
        "INFO: 2026/11/28 03:33:18.631041 ->[10.10.10.102:6783|56:ff:8d:9e:da:f9(docker2)]: connection shutting down due to error: boom",
      ),
    ).toEqual({
      text: "boom",
      remote: { address: "10.10.10.102:6783", peer: { name: "56:ff:8d:9e:da:f9", nickname: "docker2" } },
    });
  });

  test("attach failures and disabled status sections", () => {
    expect(classifyLine("unable to inspect container web9: No such container: web9")).toMatchObject({
      kind: "no-such-container",
      container: "web9",
    });
    expect(classifyLine("container 4f1a2b not running")).toMatchObject({
      kind: "container-not-running",
      container: "4f1a2b",
    });
    expect(
      classifyLine("Container is running in the host network namespace, and therefore cannot be")?.kind,
    ).toBe("container-on-host-network");
    expect(classifyLine("error during template execution")?.kind).toBe("section-disabled");
    expect(
      classifyLine("ERROR: Operating systems other than Linux are not supported (you have Darwin)")?.kind,
    ).toBe("unsupported-host");
  });

  test("every failing `weave …` fixture's stderr is recognised", () => {
    const failing = listFixtures()
      .filter((f) => f.endsWith(".txt"))
      .map((f) => readFixture(f))
      .filter((fx) => /^(\S+=\S+ )*weave /.test(fx.command) && fx.exit !== 0 && fx.stderr.trim() !== "");
    expect(failing.length).toBeGreaterThanOrEqual(20);
    expect(failing.filter((fx) => classifyOutput(fx.stderr).length === 0).map((fx) => fx.file)).toEqual([]);
  });
});
