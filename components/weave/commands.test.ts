import { readFixture } from "../../test/fixtures";
import { planLab } from "../plan";
import type { LabSpec } from "../spec";
import { inRouterArgv, seedLab } from "../../test/builders";
import type { ContainerPlan, NetworkPlan } from "../model/plan";
import * as cmd from "./commands";

/** Split the fixture's `$ ENV=V weave launch …` line into env and argv (no quoting in these lines). */
function fixtureCommand(file: string): { env: Record<string, string>; argv: string[] } {
  const words = readFixture(file).command.split(" ");
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0])) {
    const [k, v] = words.shift()!.split("=");
    env[k] = v;
  }
  return { env, argv: words };
}

/** Value following `flag` in argv. */
const flagValue = (argv: string[], flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
};

describe("launch (golden against fixture step 13)", () => {
  const plan = planLab(seedLab());
  test.each([1, 2, 3, 4])(
    "docker%i: same name, nickname, range, seed set and peers as the real launch",
    (n) => {
      const real = fixtureCommand(`13-docker${n}-weave-launch-seed.txt`);
      const ours = plan.hosts[n - 1].launch;
      expect(ours.argv[1]).toBe("launch");
      for (const flag of ["--name", "--nickname", "--ipalloc-range"]) {
        expect(flagValue(ours.argv, flag)).toBe(flagValue(real.argv, flag));
      }
      // Weave sorts the seed list itself, so the set matters, not the order given in the capture.
      const seeds = (argv: string[]) =>
        flagValue(argv, "--ipalloc-init")!
          .replace(/^seed=/, "")
          .split(",")
          .sort();
      expect(seeds(ours.argv)).toEqual(seeds(real.argv));
      expect(flagValue(ours.argv, "--ipalloc-init")).toBe(
        "seed=02:00:00:00:00:01,02:00:00:00:00:02,02:00:00:00:00:03,02:00:00:00:00:04",
      );
      // Positional peers come last, as in the capture.
      const realPeers = real.argv.filter((w) => /^\d+\.\d+\.\d+\.\d+$/.test(w));
      expect(ours.argv.slice(-realPeers.length)).toEqual(realPeers);
      expect(ours.env).toEqual(real.env);
      expect(real.env).toEqual({ CHECKPOINT_DISABLE: "1" });
      expect(ours.secretEnv).toEqual([]);
    },
  );

  test("our extra explicit flags: DNS domain with trailing dot, TTL, proxy and plugin off", () => {
    const argv = plan.hosts[0].launch.argv;
    expect(argv[0]).toBe("/usr/local/bin/weave");
    expect(flagValue(argv, "--dns-domain")).toBe("weave.local.");
    expect(flagValue(argv, "--dns-ttl")).toBe("1");
    expect(argv).toContain("--proxy=false");
    expect(argv).toContain("--plugin=false");
    expect(argv).not.toContain("--ipalloc-default-subnet");
  });
});

describe("launch variants", () => {
  const net = (patch: (s: LabSpec) => void): NetworkPlan => {
    const s = seedLab();
    patch(s);
    return planLab(s).network;
  };
  const host = {
    peerName: "02:00:00:00:00:01",
    nickname: "docker2",
    peers: ["10.10.10.101"],
    extraLaunchArgs: ["--conn-limit", "50"],
  };
  const seeds = ["02:00:00:00:00:02", "02:00:00:00:00:01"];

  test("a rejoining host launches without --ipalloc-init (fixture 16: seed= on rejoin panics weaver)", () => {
    const argv = cmd.launchCommand(
      net(() => undefined),
      host,
      seeds,
      { rejoin: true },
    ).argv;
    expect(argv).not.toContain("--ipalloc-init");
    expect(flagValue(argv, "--name")).toBe("02:00:00:00:00:01");
  });

  test("consensus mode passes the host count", () => {
    const argv = cmd.launchCommand(
      net((s) => (s.network!.bootstrap = "consensus")),
      host,
      seeds,
    ).argv;
    expect(flagValue(argv, "--ipalloc-init")).toBe("consensus=2");
  });

  test("encryption names WEAVE_PASSWORD as secret env and never puts it in argv", () => {
    const c = cmd.launchCommand(
      net((s) => (s.network!.password = "s3cret-lab")),
      host,
      seeds,
    );
    expect(c.secretEnv).toEqual(["WEAVE_PASSWORD"]);
    expect(JSON.stringify(c)).not.toContain("s3cret-lab");
    expect(c.argv.some((a) => a.includes("password"))).toBe(false);
  });

  test("default subnet, trusted subnets, DNS off, proxy and plugin on, API override", () => {
    const n = net((s) => {
      s.network = {
        ...s.network,
        defaultSubnet: "172.16.16.0/25",
        trustedSubnets: ["10.0.0.0/8", "192.168.0.0/16"],
        dns: { disabled: true },
        proxy: true,
        plugin: true,
        weave: { distribution: "rajch", dockerApiVersion: "1.41" },
      };
    });
    const c = cmd.launchCommand(n, host, seeds);
    expect(flagValue(c.argv, "--ipalloc-default-subnet")).toBe("172.16.16.0/25");
    expect(flagValue(c.argv, "--trusted-subnets")).toBe("10.0.0.0/8,192.168.0.0/16");
    expect(c.argv).toContain("--no-dns");
    expect(c.argv).not.toContain("--dns-domain");
    expect(c.argv.filter((a) => a.startsWith("--proxy") || a.startsWith("--plugin"))).toEqual([]);
    expect(c.env).toEqual({
      CHECKPOINT_DISABLE: "1",
      DOCKER_API_VERSION: "1.41",
      WEAVEEXEC_DOCKER_ARGS: "--tty=false",
    });
  });

  test("extra args come after our flags (so Go's last-wins cannot undo ours) and before the peers", () => {
    const argv = cmd.launchCommand(
      net(() => undefined),
      host,
      seeds,
    ).argv;
    expect(argv.slice(-3)).toEqual(["--conn-limit", "50", "10.10.10.101"]);
  });

  test("refuses a host whose name is not among the seeds", () => {
    expect(() =>
      cmd.launchCommand(
        net(() => undefined),
        host,
        ["02:00:00:00:00:09"],
      ),
    ).toThrow(/02:00:00:00:00:01 is not in the seed list/);
  });
});

describe("other weave commands", () => {
  const t = { weave: { scriptPath: "/opt/weave", dockerApiVersionOverride: "1.24" } };
  const w = cmd.weaveCommands(t);
  test.each<[string, () => { argv: string[] }, string[]]>([
    ["connect", () => cmd.connect(["10.0.0.2", "10.0.0.3"]), ["weave", "connect", "10.0.0.2", "10.0.0.3"]],
    [
      "connect --replace",
      () => cmd.connect(["10.0.0.2"], { replace: true }),
      ["weave", "connect", "--replace", "10.0.0.2"],
    ],
    ["forget", () => cmd.forget(["10.0.0.2"]), ["weave", "forget", "10.0.0.2"]],
    [
      "attach static",
      () => cmd.attach(["172.16.16.200/24"], "c1"),
      ["weave", "attach", "172.16.16.200/24", "c1"],
    ],
    [
      "attach without dns",
      () => cmd.attach(["net:default"], "c1", { withoutDns: true }),
      ["weave", "attach", "net:default", "--without-dns", "c1"],
    ],
    ["detach", () => cmd.detach([], "c1"), ["weave", "detach", "c1"]],
    [
      "dns-add container",
      () => cmd.dnsAdd([], { containerId: "c1", fqdn: "www.weave.local" }),
      ["weave", "dns-add", "c1", "-h", "www.weave.local"],
    ],
    [
      "dns-add extern",
      () => cmd.dnsAdd(["192.168.56.200"], { fqdn: "gw.weave.local" }),
      ["weave", "dns-add", "192.168.56.200", "-h", "gw.weave.local"],
    ],
    [
      "dns-remove",
      () => cmd.dnsRemove(["10.32.0.1"], { containerId: "c1" }),
      ["weave", "dns-remove", "10.32.0.1", "c1"],
    ],
    ["dns-args", () => cmd.dnsArgs(), ["weave", "dns-args"]],
    ["dns-lookup", () => cmd.dnsLookup("web1"), ["weave", "dns-lookup", "web1"]],
    ["prime", () => cmd.prime(), ["weave", "prime"]],
    ["rmpeer", () => cmd.rmpeer(["02:00:00:00:00:02"]), ["weave", "rmpeer", "02:00:00:00:00:02"]],
    ["stop", () => cmd.stop(), ["weave", "stop"]],
    ["reset", () => cmd.reset(), ["weave", "reset"]],
    ["reset --force", () => cmd.reset({ force: true }), ["weave", "reset", "--force"]],
    ["version", () => cmd.version(), ["weave", "version"]],
    ["status", () => cmd.status(), ["weave", "status"]],
    ["status ipam", () => cmd.status("ipam"), ["weave", "status", "ipam"]],
    ["report", () => cmd.report(), ["weave", "report"]],
    ["report -f", () => cmd.report("{{.Version}}"), ["weave", "report", "-f", "{{.Version}}"]],
    ["ps", () => cmd.ps(["c1", "c2"]), ["weave", "ps", "c1", "c2"]],
  ])("%s", (_n, build, argv) => {
    expect(build().argv).toEqual(argv);
  });

  test("the fixture commands these mirror were captured with the same argv", () => {
    expect(readFixture("16-docker1-weave-rmpeer-docker4.txt").command).toBe(
      cmd.rmpeer(["02:00:00:00:00:02"]).argv.join(" "),
    );
    expect(readFixture("14-docker3-weave-prime.txt").command).toBe(cmd.prime().argv.join(" "));
  });

  test("rajch: every weave call turns off the helper's TTY (its script adds docker run -t)", () => {
    const rajch = cmd.weaveCommands({ weave: { scriptPath: "/usr/local/bin/weave", distribution: "rajch" } });
    expect(rajch.status().env).toEqual({ CHECKPOINT_DISABLE: "1", WEAVEEXEC_DOCKER_ARGS: "--tty=false" });
    expect(
      cmd.weaveCommands({ weave: { scriptPath: "weave", distribution: "weaveworks" } }).status().env,
    ).toEqual({ CHECKPOINT_DISABLE: "1" });
  });

  test("bound builders use the planned script and environment", () => {
    expect(w.status("peers")).toEqual({
      argv: ["/opt/weave", "status", "peers"],
      env: { CHECKPOINT_DISABLE: "1", DOCKER_API_VERSION: "1.24" },
      secretEnv: [],
    });
    expect(w.attach(["net:10.0.0.0/24"], "abc").argv).toEqual([
      "/opt/weave",
      "attach",
      "net:10.0.0.0/24",
      "abc",
    ]);
  });

  test("inRouterContainer: the script's own --local run, in the router container, env as -e", () => {
    // The helper the script would start gets HOST_ROOT=/host for attach (exec_options) and runs
    // `weaveexec --local attach …`; the router image has the script at /home/weave/weave.
    expect(cmd.inRouterContainer(w.attach(["net:default"], "abc", { withoutDns: true }))).toEqual({
      argv: [
        "docker",
        "exec",
        "-e",
        "HOST_ROOT=/host",
        "-e",
        "CHECKPOINT_DISABLE=1",
        "-e",
        "DOCKER_API_VERSION=1.24",
        "weave",
        "/home/weave/weave",
        "--local",
        "attach",
        "net:default",
        "--without-dns",
        "abc",
      ],
      env: {},
      secretEnv: [],
    });
    const rajch = cmd.weaveCommands({ weave: { scriptPath: "/usr/local/bin/weave", distribution: "rajch" } });
    expect(
      cmd.inRouterContainer(rajch.dnsAdd([], { containerId: "abc", fqdn: "x.weave.local" })).argv,
    ).toEqual(inRouterArgv("dns-add", "abc", "-h", "x.weave.local"));
  });

  test("inRouterContainer refuses a command with secret variables (-e would put the value in argv)", () => {
    expect(() =>
      cmd.inRouterContainer({ argv: ["weave", "launch"], env: {}, secretEnv: ["WEAVE_PASSWORD"] }),
    ).toThrow("weave launch: a command with secret variables cannot run in the router container");
  });

  test("misuse is refused instead of producing a command the script rejects", () => {
    expect(() => cmd.connect([])).toThrow(/at least one/);
    expect(() => cmd.dnsAdd(["10.0.0.1"], {})).toThrow(/-h <fqdn>/);
    expect(() => cmd.dnsAdd([], { fqdn: "x.weave.local" })).toThrow(/IP addresses, a container/);
    expect(() => cmd.rmpeer([""])).toThrow(/empty value/);
  });

  test("addressArgs maps each addressing kind to weave attach's syntax", () => {
    expect(cmd.addressArgs({ kind: "dynamic", subnet: "10.32.0.0/12" })).toEqual(["net:default"]);
    expect(cmd.addressArgs({ kind: "subnet", subnet: "10.32.1.0/24" })).toEqual(["net:10.32.1.0/24"]);
    expect(cmd.addressArgs({ kind: "static", cidr: "1.1.1.1/24", insideRange: false })).toEqual([
      "1.1.1.1/24",
    ]);
  });
});

describe("docker commands", () => {
  const container: ContainerPlan = {
    key: "docker1/web1",
    name: "web1",
    host: "docker1",
    image: "lab/web:1",
    command: ["sh", "-c", "echo $HOME; rm -rf / # not run by a shell"],
    env: { B: "x y", A: "$(id)" },
    ports: ["8080:80", "53/udp"],
    publishAll: true,
    restart: "unless-stopped",
    hostname: "web1",
    addressing: { kind: "dynamic", subnet: "10.32.0.0/12" },
    fqdn: "web1.weave.local",
    extraFqdns: [],
  };
  test("docker run passes everything literally, env sorted, command after the image", () => {
    expect(
      cmd.dockerRun(container, ["--dns=172.17.0.1", "--dns-search=weave.local"], {
        labels: { "weave-lab.key": "docker1/web1" },
        inheritEnv: ["TOKEN"],
      }).argv,
    ).toEqual([
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
      "--dns-search=weave.local",
      "-e",
      "A=$(id)",
      "-e",
      "B=x y",
      "-e",
      "TOKEN",
      "-p",
      "8080:80",
      "-p",
      "53/udp",
      "-P",
      "--restart",
      "unless-stopped",
      "--label",
      "weave-lab.key=docker1/web1",
      "lab/web:1",
      "sh",
      "-c",
      "echo $HOME; rm -rf / # not run by a shell",
    ]);
  });
  test("no domainname when DNS is off or the hostname is already qualified", () => {
    expect(cmd.dockerRun({ ...container, fqdn: undefined }, []).argv).not.toContain("--domainname");
    expect(cmd.dockerRun({ ...container, hostname: "web1.example.org" }, []).argv).not.toContain(
      "--domainname",
    );
  });
  test("docker version uses the format of fixture 19", () => {
    expect(cmd.dockerVersion().argv).toEqual([
      "docker",
      "version",
      "--format",
      "{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}",
    ]);
    expect(readFixture("19-docker1-docker-version-server-api.txt").command).toContain(
      cmd.DOCKER_VERSION_FORMAT,
    );
  });
  test("inspect, rm, ps, logs", () => {
    expect(cmd.dockerInspect(["weave"], "{{.State.Status}}").argv).toEqual([
      "docker",
      "inspect",
      "--format",
      "{{.State.Status}}",
      "weave",
    ]);
    expect(cmd.dockerRm(["web1"], { force: true }).argv).toEqual(["docker", "rm", "-f", "web1"]);
    expect(
      cmd.dockerPs({ all: true, filters: { label: "weave-lab.lab=textbook" }, format: "{{.Names}}" }).argv,
    ).toEqual(["docker", "ps", "-a", "--filter", "label=weave-lab.lab=textbook", "--format", "{{.Names}}"]);
    expect(cmd.dockerLogs("weave", { tail: 50 }).argv).toEqual(["docker", "logs", "--tail", "50", "weave"]);
  });
});
