import type { LabSpec } from "../spec";
import { planLab, SpecError } from "./index";
import { validateSpec } from "./validate";
import type { SpecIssue } from "../model/plan";

/** A valid two-host lab; each test breaks one thing. */
function base(): LabSpec {
  return {
    name: "t",
    network: { allocRange: "172.16.16.0/24" },
    hosts: [
      {
        name: "docker1",
        address: "10.10.10.101",
        ssh: { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB" },
      },
      { name: "docker2", address: "10.10.10.102", ssh: { hostKey: "SHA256:pinnedDocker2" } },
    ],
    containers: [{ name: "web1", host: "docker1", image: "lab/web:1" }],
  };
}

type Mutable = Record<string, unknown> & LabSpec;
/** A section as YAML could give it: any field may hold a value of the wrong type. */
const loose = (section: object): Record<string, unknown> => section as Record<string, unknown>;
function errorsOf(mutate: (s: Mutable) => void): SpecIssue[] {
  const s = base() as Mutable;
  mutate(s);
  return validateSpec(s).errors;
}
function warningsOf(mutate: (s: Mutable) => void): SpecIssue[] {
  const s = base() as Mutable;
  mutate(s);
  return validateSpec(s).warnings;
}
/** Exactly one error, at `path`, whose message contains every fragment. */
function expectOne(issues: SpecIssue[], path: string, ...fragments: string[]): void {
  expect(issues.map((i) => i.path)).toEqual([path]);
  for (const f of fragments) expect(issues[0].message).toContain(f);
}

describe("a valid spec", () => {
  test("has no errors and no warnings", () => {
    const r = validateSpec(base());
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
});

describe("network rules", () => {
  test("malformed range names the value and the allowed form", () => {
    expectOne(
      errorsOf((s) => (s.network!.allocRange = "172.16.16/24")),
      "network.allocRange",
      '"172.16.16/24"',
      "IPv4",
      "CIDR",
    );
  });
  test("IPv6 range is rejected because Weave IPAM is IPv4 only", () => {
    expectOne(
      errorsOf((s) => (s.network!.allocRange = "fd00::/64")),
      "network.allocRange",
      '"fd00::/64"',
      "IPv6",
      "IPv4 only",
    );
  });
  test("range without prefix length", () => {
    expectOne(
      errorsOf((s) => (s.network!.allocRange = "10.0.0.0")),
      "network.allocRange",
      "no prefix length",
    );
  });
  test("range with host bits says which bits and what the network address would be", () => {
    expectOne(
      errorsOf((s) => (s.network!.allocRange = "172.16.16.5/24")),
      "network.allocRange",
      '"172.16.16.5/24"',
      "0.0.0.5",
      "use 172.16.16.0/24",
    );
  });
  test("range longer than /30 is too small for Weave", () => {
    expectOne(
      errorsOf((s) => (s.network!.allocRange = "10.0.0.0/31")),
      "network.allocRange",
      '"10.0.0.0/31"',
      "only 2 addresses",
      "/30 or shorter",
    );
  });
  test("/30 range is the smallest allowed", () => {
    expect(errorsOf((s) => (s.network!.allocRange = "10.0.0.0/30"))).toEqual([]);
  });
  test("default subnet outside the range", () => {
    expectOne(
      errorsOf((s) => (s.network!.defaultSubnet = "172.16.20.0/25")),
      "network.defaultSubnet",
      '"172.16.20.0/25"',
      '"172.16.16.0/24"',
      "172.16.16.0/25",
    );
  });
  test("default subnet with host bits", () => {
    expectOne(
      errorsOf((s) => (s.network!.defaultSubnet = "172.16.16.1/25")),
      "network.defaultSubnet",
      "use 172.16.16.0/25",
    );
  });
  test("unknown bootstrap mode", () => {
    expectOne(
      errorsOf((s) => (loose(s.network!).bootstrap = "seeds")),
      "network.bootstrap",
      '"seeds"',
      '"seed" or "consensus"',
    );
  });
  test("empty password", () => {
    expectOne(
      errorsOf((s) => (s.network!.password = "")),
      "network.password",
      "empty",
    );
  });
  test("trusted subnet malformed and with host bits", () => {
    const e = errorsOf((s) => (s.network!.trustedSubnets = ["10.0.0.0/8", "nope", "192.168.1.1/24"]));
    expect(e.map((i) => i.path)).toEqual(["network.trustedSubnets[1]", "network.trustedSubnets[2]"]);
    expect(e[0].message).toContain('"nope"');
    expect(e[1].message).toContain("192.168.1.0/24");
  });
  test("invalid DNS domain", () => {
    expectOne(
      errorsOf((s) => (s.network!.dns = { domain: "weave_local" })),
      "network.dns.domain",
      '"weave_local"',
      "DNS labels",
    );
  });
  test("a trailing dot on the domain is accepted and dropped", () => {
    expect(
      planLab({ ...base(), network: { allocRange: "172.16.16.0/24", dns: { domain: "lab.example." } } })
        .network.dns.domain,
    ).toBe("lab.example");
  });
  test.each([[-1], [1.5], [2147483648], ["30"]])("TTL %p is rejected with the allowed range", (ttl) => {
    expectOne(
      errorsOf((s) => (s.network!.dns = { ttl: ttl as number })),
      "network.dns.ttl",
      "0 to 2147483647",
    );
  });
  test("TTL bounds 0 and 2147483647 are legal", () => {
    expect(errorsOf((s) => (s.network!.dns = { ttl: 0 }))).toEqual([]);
    expect(errorsOf((s) => (s.network!.dns = { ttl: 2147483647 }))).toEqual([]);
  });
  test("unknown distribution", () => {
    expectOne(
      errorsOf((s) => (loose(s.network!).weave = { distribution: "weavenet" })),
      "network.weave.distribution",
      '"weavenet"',
      '"weaveworks"',
      '"rajch"',
    );
  });
  test("weaveworks only has 2.8.1", () => {
    expectOne(
      errorsOf((s) => (s.network!.weave = { version: "2.8.2" })),
      "network.weave.version",
      '"2.8.2"',
      '"2.8.1"',
    );
  });
  test("rajch only has 2.9.0 in the 2.9 line", () => {
    expectOne(
      errorsOf((s) => (s.network!.weave = { distribution: "rajch", version: "2.9.1" })),
      "network.weave.version",
      '"2.9.1"',
      '"2.9.0"',
    );
    expect(errorsOf((s) => (s.network!.weave = { distribution: "rajch" }))).toEqual([]);
  });
  test("download without sha256", () => {
    expectOne(
      errorsOf((s) => (s.network!.weave = { install: "download" })),
      "network.weave.scriptSha256",
      "missing",
      "64 hex",
    );
  });
  test("sha256 of the wrong length", () => {
    expectOne(
      errorsOf((s) => (s.network!.weave = { install: "download", scriptSha256: "abc" })),
      "network.weave.scriptSha256",
      '"abc"',
      "64 hexadecimal",
    );
  });
  test("relative script path", () => {
    expectOne(
      errorsOf((s) => (s.network!.weave = { scriptPath: "bin/weave" })),
      "network.weave.scriptPath",
      '"bin/weave"',
      "absolute path",
    );
  });
  test("docker API override must look like 1.N", () => {
    expectOne(
      errorsOf((s) => (s.network!.weave = { distribution: "rajch", dockerApiVersion: "v24" })),
      "network.weave.dockerApiVersion",
      '"v24"',
      '"1.N"',
    );
  });
  test("docker API override on weaveworks 2.8.1 warns that its helpers ignore it", () => {
    const w = warningsOf((s) => (s.network!.weave = { dockerApiVersion: "1.24" }));
    expectOne(w, "network.weave.dockerApiVersion", "1.18", "rajch");
  });
  test("consensus timeout must be positive", () => {
    expectOne(
      errorsOf((s) => (s.network!.consensusTimeoutSeconds = 0)),
      "network.consensusTimeoutSeconds",
      "0",
      "greater than 0",
    );
  });
  test("boolean settings reject strings", () => {
    expectOne(
      errorsOf((s) => (loose(s.network!).proxy = "yes")),
      "network.proxy",
      '"yes"',
      "true or false",
    );
  });
});

describe("host rules", () => {
  test("empty hosts list", () => {
    expectOne(
      errorsOf((s) => ((s.hosts = []), (s.containers = []))),
      "hosts",
      "empty",
      "at least one host",
    );
  });
  test("hosts that is not a list", () => {
    expectOne(
      errorsOf((s) => ((loose(s).hosts = "docker1"), (s.containers = []))),
      "hosts",
      '"docker1"',
      "list",
    );
  });
  test("invalid host name", () => {
    const e = errorsOf((s) => (s.hosts[0].name = "Docker_1"));
    expect(e[0]).toEqual({
      path: "hosts[0].name",
      message: expect.stringContaining('"Docker_1" is not a valid host name'),
    });
    expect(e[0].message).toContain("DNS label");
  });
  test("duplicate host name names the first holder", () => {
    const e = errorsOf((s) => (s.hosts[1].name = "docker1"));
    expect(e[0]).toEqual({
      path: "hosts[1].name",
      message: expect.stringContaining('"docker1" is already the name of hosts[0]'),
    });
  });
  test("malformed and IPv6 host addresses", () => {
    expectOne(
      errorsOf((s) => (s.hosts[0].address = "10.10.10.300")),
      "hosts[0].address",
      '"10.10.10.300"',
      "dotted quad",
    );
    expectOne(
      errorsOf((s) => (s.hosts[0].address = "fe80::1")),
      "hosts[0].address",
      "IPv6",
    );
  });
  test("duplicate host address", () => {
    expectOne(
      errorsOf((s) => (s.hosts[1].address = "10.10.10.101")),
      "hosts[1].address",
      '"10.10.10.101"',
      "hosts[0] (docker1)",
    );
  });
  test("host address inside the allocation range warns", () => {
    expectOne(
      warningsOf((s) => (s.hosts[1].address = "172.16.16.9")),
      "hosts[1].address",
      '"172.16.16.9"',
      "172.16.16.0/24",
    );
  });
  test("peer name not in MAC form", () => {
    expectOne(
      errorsOf((s) => (s.hosts[0].peerName = "docker1")),
      "hosts[0].peerName",
      '"docker1"',
      "02:00:00:00:00:01",
    );
  });
  test("peer names equal after normalisation collide", () => {
    const e = errorsOf((s) => {
      s.hosts[0].peerName = "02:00:00:00:00:01";
      s.hosts[1].peerName = "2::1";
    });
    expectOne(e, "hosts[1].peerName", '"2::1"', "hosts[0] (docker1)", "distinct");
  });
  test("the all-zero peer name is reserved", () => {
    expectOne(
      errorsOf((s) => (s.hosts[0].peerName = "00:00:00:00:00:00")),
      "hosts[0].peerName",
      "reserved",
    );
  });
  test("nickname with whitespace", () => {
    expectOne(
      errorsOf((s) => (s.hosts[0].nickname = "my host")),
      "hosts[0].nickname",
      '"my host"',
      "whitespace",
    );
  });
  test.each([[0], [65536], [22.5]])("SSH port %p", (port) => {
    expectOne(
      errorsOf((s) => (s.hosts[1].ssh = { insecureIgnoreHostKey: true, port })),
      "hosts[1].ssh.port",
      String(port),
      "1 to 65535",
    );
  });
  test("insecureIgnoreHostKey: true is allowed but warned about, naming the host and how to pin its key", () => {
    const w = warningsOf((s) => (s.hosts[1].ssh = { insecureIgnoreHostKey: true }));
    expect(w.map((x) => x.path)).toEqual(["hosts[1].ssh.insecureIgnoreHostKey"]);
    expect(w[0].message).toContain("SSH server of docker2 is not authenticated");
    expect(w[0].message).toContain("hosts[1].ssh.hostKey");
  });
  test("missing host key without insecureIgnoreHostKey", () => {
    expectOne(
      errorsOf((s) => (s.hosts[1].ssh = {})),
      "hosts[1].ssh.hostKey",
      "missing",
      "docker2",
      "insecureIgnoreHostKey: true",
    );
    expectOne(
      errorsOf((s) => delete s.hosts[1].ssh),
      "hosts[1].ssh.hostKey",
      "missing",
    );
  });
  test("host key in neither accepted form", () => {
    expectOne(
      errorsOf((s) => (s.hosts[0].ssh = { hostKey: "AAAAC3Nza" })),
      "hosts[0].ssh.hostKey",
      "SHA256:",
    );
  });
  test("jump host needs an address and a pinned key", () => {
    const e = errorsOf((s) => (s.hosts[0].ssh = { hostKey: "SHA256:x", jumpHost: { host: "", port: 0 } }));
    expect(e.map((i) => i.path)).toEqual([
      "hosts[0].ssh.jumpHost.host",
      "hosts[0].ssh.jumpHost.port",
      "hosts[0].ssh.jumpHost.hostKey",
    ]);
  });
  test("more hosts than addresses in seed mode warns", () => {
    const w = warningsOf((s) => {
      s.network!.allocRange = "10.0.0.0/30";
      s.hosts = ["a", "b", "c", "d", "e"].map((n, i) => ({
        name: n,
        address: `10.9.0.${i + 1}`,
        ssh: { hostKey: `SHA256:pinned-${n}` },
      }));
      s.containers = [];
    });
    expectOne(w, "hosts", "5 hosts", "only 4 addresses");
  });
});

describe("extraLaunchArgs rules", () => {
  const withArgs = (args: string[]) => errorsOf((s) => (s.hosts[1].extraLaunchArgs = args));
  test("the textbook docker4 mistake: a different range on one host", () => {
    expectOne(
      withArgs(["--conn-limit", "50", "--ipalloc-range", "172.64.65.0/24"]),
      "hosts[1].extraLaunchArgs[2]",
      "docker2 would launch with range 172.64.65.0/24 while the network uses 172.16.16.0/24",
      "'Incompatible IP allocation ranges'",
    );
  });
  test("a --password (or --token) given as a launch flag is refused without echoing its value anywhere", () => {
    const errs = withArgs([
      "--password=hunter2-sekrit",
      "--password",
      "hunter2 sekrit",
      "--token",
      "tok-sekrit",
    ]);
    const text = errs.map((e) => `${e.path}: ${e.message}`).join("\n");
    expect(text).not.toMatch(/hunter2|sekrit/);
    expect(text).toContain('"--password=<secret>" contradicts what weave-lab sets');
    expect(text).toContain(
      'hosts[1].extraLaunchArgs[3]: "--token" asks Weave Cloud\'s peer discovery, which is gone',
    );
    expect(text).toContain("allowed: no --token");
    let thrown = "";
    try {
      const spec = base();
      spec.hosts[1].extraLaunchArgs = ["--password=hunter2-sekrit", 7 as unknown as string];
      planLab(spec);
    } catch (e) {
      thrown = (e as Error).message;
    }
    expect(thrown).toContain("extraLaunchArgs");
    expect(thrown).not.toContain("hunter2");
  });
  test("the --ipalloc-range=value and --iprange spellings are caught too", () => {
    expectOne(withArgs(["--ipalloc-range=10.2.0.0/16"]), "hosts[1].extraLaunchArgs[0]", "range 10.2.0.0/16");
    expectOne(withArgs(["-iprange", "10.2.0.0/16"]), "hosts[1].extraLaunchArgs[0]", "range 10.2.0.0/16");
  });
  test("repeating the network's own range is only a warning", () => {
    const s = base();
    s.hosts[1].extraLaunchArgs = ["--ipalloc-range", "172.16.16.0/24"];
    const r = validateSpec(s);
    expect(r.errors).toEqual([]);
    expectOne(r.warnings, "hosts[1].extraLaunchArgs[0]", "repeats network.allocRange");
  });
  test.each([
    ["--ipalloc-init", "consensus=3", "network.bootstrap"],
    ["--name", "aa:bb:cc:dd:ee:ff", "hosts[].peerName"],
    ["--nickname", "x", "hosts[].nickname"],
    ["--password", "s3cret", "WEAVE_PASSWORD"],
    ["--dns-domain", "x.local", "network.dns.domain"],
    ["--no-dns", undefined, "network.dns.disabled"],
    ["--ipalloc-default-subnet", "172.16.16.0/25", "network.defaultSubnet"],
    ["--http-addr", "0.0.0.0:6784", "127.0.0.1:6784"],
    ["--trusted-subnets", "10.0.0.0/8", "network.trustedSubnets"],
  ])("%s is owned by weave-lab", (flag, value, field) => {
    const e = withArgs(value === undefined ? [flag] : [flag, value]);
    expectOne(e, "hosts[1].extraLaunchArgs[0]", JSON.stringify(flag), field);
  });
  test("a positional argument would be a peer", () => {
    expectOne(withArgs(["10.10.10.200"]), "hosts[1].extraLaunchArgs[0]", '"10.10.10.200"', "peer", "hosts");
  });
  test("removed 1.x commands are named as removed", () => {
    expectOne(
      withArgs(["launch-router"]),
      "hosts[1].extraLaunchArgs[0]",
      '"launch-router"',
      "removed in Weave 2.0",
    );
    expectOne(withArgs(["run"]), "hosts[1].extraLaunchArgs[0]", '"run"', "removed");
  });
  test("arguments with whitespace are rejected because the script re-splits them", () => {
    expectOne(withArgs(["--log-level debug"]), "hosts[1].extraLaunchArgs[0]", "whitespace", "re-splits");
  });
  test("an unknown flag is a warning (the router would die)", () => {
    const s = base();
    s.hosts[1].extraLaunchArgs = ["--conn-limt", "50"];
    const r = validateSpec(s);
    expectOne(r.warnings, "hosts[1].extraLaunchArgs[0]", '"--conn-limt"', "has died");
  });
  test("ordinary tuning flags pass", () => {
    expect(withArgs(["--conn-limit", "50", "--log-level=debug", "--no-discovery"])).toEqual([]);
  });
});

describe("container rules", () => {
  const c0 = (patch: Record<string, unknown>) => errorsOf((s) => Object.assign(s.containers![0], patch));
  test("invalid container name", () => {
    expectOne(c0({ name: "Web_1" }), "containers[0].name", '"Web_1"', "DNS label");
  });
  test("same name twice on one host", () => {
    const e = errorsOf((s) => s.containers!.push({ name: "web1", host: "docker1", image: "x" }));
    expectOne(e, "containers[1].name", '"web1"', "containers[0]", '"docker1"');
  });
  test("same name on two hosts is legal", () => {
    expect(errorsOf((s) => s.containers!.push({ name: "web1", host: "docker2", image: "x" }))).toEqual([]);
  });
  test("unknown host lists the hosts", () => {
    expectOne(c0({ host: "docker9" }), "containers[0].host", '"docker9"', '"docker1", "docker2"');
  });
  test("empty image", () => {
    expectOne(c0({ image: "" }), "containers[0].image", '""', "non-empty");
  });
  test("address and subnet together", () => {
    expectOne(
      c0({ address: "172.16.16.9/24", subnet: "172.16.16.0/25" }),
      "containers[0].address",
      '"172.16.16.9/24"',
      '"172.16.16.0/25"',
      "not both",
    );
  });
  test("malformed static address", () => {
    expectOne(c0({ address: "172.16.16.9" }), "containers[0].address", "no prefix length");
  });
  test("static address equal to the network or broadcast address", () => {
    expectOne(
      c0({ address: "172.16.16.0/24" }),
      "containers[0].address",
      "network address of 172.16.16.0/24",
      "172.16.16.1 to 172.16.16.254",
    );
    expectOne(c0({ address: "172.16.16.255/24" }), "containers[0].address", "broadcast address");
  });
  test("two containers with the same static IP", () => {
    const e = errorsOf((s) => {
      s.containers![0].address = "172.16.16.9/24";
      s.containers!.push({ name: "web2", host: "docker2", image: "x", address: "172.16.16.9/25" });
    });
    expectOne(e, "containers[1].address", "same IP as containers[0] (docker1/web1)");
  });
  test("static address outside the range is legal but warned about (Weave does not track it)", () => {
    const s = base();
    s.containers![0].address = "1.1.1.1/24";
    const r = validateSpec(s);
    expect(r.errors).toEqual([]);
    expectOne(r.warnings, "containers[0].address", '"1.1.1.1/24"', "does not track");
  });
  test("static address in the range with a wider netmask than the range warns", () => {
    const s = base();
    s.containers![0].address = "172.16.16.9/16";
    const r = validateSpec(s);
    expect(r.errors).toEqual([]);
    expectOne(r.warnings, "containers[0].address", '"172.16.16.9/16"', "/16", "use /24 or longer");
  });
  test("subnet outside the range", () => {
    expectOne(
      c0({ subnet: "172.16.17.0/25" }),
      "containers[0].subnet",
      '"172.16.17.0/25"',
      "not inside network.allocRange 172.16.16.0/24",
    );
  });
  test("subnet with host bits and too small", () => {
    expectOne(c0({ subnet: "172.16.16.4/25" }), "containers[0].subnet", "use 172.16.16.0/25");
    expectOne(c0({ subnet: "172.16.16.4/31" }), "containers[0].subnet", "at least 4");
  });
  test("a subnet straddling the default subnet warns about isolation", () => {
    const s = base();
    s.network!.defaultSubnet = "172.16.16.0/25";
    s.containers![0].subnet = "172.16.16.0/26";
    expectOne(
      validateSpec(s).warnings,
      "containers[0].subnet",
      "overlaps network.defaultSubnet 172.16.16.0/25",
    );
  });
  test("restart policy", () => {
    expectOne(c0({ restart: "sometimes" }), "containers[0].restart", '"sometimes"', '"unless-stopped"');
  });
  test("ports not in -p form", () => {
    expectOne(c0({ ports: ["80", "http"] }), "containers[0].ports", '"http"', "8080:80");
  });
  test("env with a bad name or a non-string value", () => {
    expectOne(c0({ env: { "A-B": "1", OK: "2", N: 3 } }), "containers[0].env", '"A-B"', '"N"=3');
  });
  test("command must be a list of strings", () => {
    expectOne(c0({ command: "sleep 10" }), "containers[0].command", '"sleep 10"', "list of strings");
  });
  test("extra DNS names outside the domain", () => {
    const e = c0({ dnsNames: ["www", "www.weave.local", "www.example.com"] });
    expectOne(e, "containers[0].dnsNames[2]", '"www.example.com"', ".weave.local");
  });
  test("DNS names with DNS disabled are warned about", () => {
    const s = base();
    s.network!.dns = { disabled: true };
    s.containers![0].dnsNames = ["www"];
    expectOne(validateSpec(s).warnings, "containers[0].dnsNames", "disabled");
  });
  test("hostname that is not a DNS name", () => {
    expectOne(c0({ hostname: "web 1" }), "containers[0].hostname", '"web 1"');
  });
});

describe("DNS record rules", () => {
  const rec = (r: Record<string, unknown>) => errorsOf((s) => (loose(s).dnsRecords = [r]));
  test("name outside the domain", () => {
    expectOne(
      rec({ name: "gw.example.com", ips: ["192.168.56.1"] }),
      "dnsRecords[0].name",
      '"gw.example.com"',
      ".weave.local",
    );
  });
  test("no ips, and non-IPv4 ips", () => {
    expectOne(rec({ name: "gw", ips: [] }), "dnsRecords[0].ips", "one or more");
    expectOne(rec({ name: "gw", ips: ["192.168.56.1", "gw"] }), "dnsRecords[0].ips", '"gw"');
  });
  test("unknown host", () => {
    expectOne(
      rec({ name: "gw", ips: ["192.168.56.1"], host: "docker7" }),
      "dnsRecords[0].host",
      '"docker7"',
      '"docker1"',
    );
  });
  test("records with DNS disabled", () => {
    const e = errorsOf((s) => {
      s.network!.dns = { disabled: true };
      s.dnsRecords = [{ name: "gw", ips: ["192.168.56.1"] }];
    });
    expectOne(e, "dnsRecords[0]", "disabled");
  });
  test("the same name twice from one host", () => {
    const e = errorsOf(
      (s) =>
        (s.dnsRecords = [
          { name: "gw", ips: ["192.168.56.1"] },
          { name: "gw.weave.local", ips: ["192.168.56.2"] },
        ]),
    );
    expectOne(e, "dnsRecords[1].name", '"gw.weave.local"', "dnsRecords[0]");
  });
});

describe("field names", () => {
  test("a misspelt field is reported with the allowed names", () => {
    const e = errorsOf((s) => ((s.hosts[0] as unknown as Record<string, unknown>).adress = "x"));
    expectOne(e, "hosts[0].adress", "not a known field", "address");
  });
});

describe("every problem at once", () => {
  test("a spec with many mistakes reports all of them in one SpecError", () => {
    const spec = {
      name: "t",
      network: { allocRange: "172.16.16.0/24", defaultSubnet: "10.0.0.0/24", dns: { ttl: -1 } },
      hosts: [
        { name: "docker1", address: "10.10.10.101" },
        {
          name: "docker1",
          address: "10.10.10.300",
          ssh: { insecureIgnoreHostKey: true },
          extraLaunchArgs: ["--ipalloc-range", "172.64.65.0/24"],
        },
      ],
      containers: [
        { name: "web1", host: "docker3", image: "" },
        { name: "web2", host: "docker1", image: "x", address: "172.16.16.0/24" },
      ],
    } as unknown as LabSpec;
    let err: unknown;
    try {
      planLab(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    const issues = (err as SpecError).issues;
    expect(issues.map((i) => i.path)).toEqual([
      "network.defaultSubnet",
      "network.dns.ttl",
      "hosts[0].ssh.hostKey",
      "hosts[1].name",
      "hosts[1].address",
      "hosts[1].extraLaunchArgs[0]",
      "containers[0].host",
      "containers[0].image",
      "containers[1].address",
    ]);
    const lines = (err as Error).message.split("\n");
    expect(lines[0]).toBe("Invalid weave-lab spec (9 problems):");
    expect(lines.slice(1)).toEqual(issues.map((i) => `${i.path}: ${i.message}`));
  });

  test("input of the wrong shape (e.g. from YAML) is reported, not crashed on", () => {
    const r = validateSpec({
      hosts: [42, { name: "a", address: "10.0.0.1", ssh: { insecureIgnoreHostKey: true } }],
      containers: "none",
    });
    expect(r.errors.map((i) => i.path)).toEqual(["containers", "hosts[0]"]);
    expect(validateSpec("hosts: []").errors[0].path).toBe("(spec)");
    const d = validateSpec({ ...base(), dnsRecords: ["gw=10.0.0.1"] }).errors;
    expect(d).toEqual([
      { path: "dnsRecords[0]", message: expect.stringContaining('"gw=10.0.0.1" is not a DNS record') },
    ]);
  });
});

describe("section shapes", () => {
  test.each([
    ["network", (s: Mutable) => (loose(s).network = "172.16.16.0/24")],
    ["network.dns", (s: Mutable) => (loose(s.network!).dns = true)],
    ["network.weave", (s: Mutable) => (loose(s.network!).weave = ["2.8.1"])],
  ])("%s that is not a mapping is reported with its value", (path, mutate) => {
    const e = errorsOf(mutate);
    expect(e.map((i) => i.path)).toEqual([path]);
    expect(e[0].message).toContain("must be a mapping of settings, got");
  });
});
