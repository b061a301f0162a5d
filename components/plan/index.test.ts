import type { LabSpec } from "../spec";
import { planLab } from "./index";

/** The fixtures' seed lab (step 13): explicit peer names deliberately not in host order. */
export function seedLab(): LabSpec {
  const names = ["02:00:00:00:00:03", "02:00:00:00:00:01", "02:00:00:00:00:04", "02:00:00:00:00:02"];
  return {
    name: "textbook",
    network: { allocRange: "172.16.16.0/24" },
    hosts: names.map((peerName, i) => ({
      name: `docker${i + 1}`,
      address: `10.10.10.10${i + 1}`,
      peerName,
      ssh: { insecureIgnoreHostKey: true },
    })),
    containers: [
      { name: "web1", host: "docker1", image: "lab/web:1" },
      {
        name: "web2",
        host: "docker2",
        image: "lab/web:1",
        subnet: "172.16.16.0/25",
        dnsNames: ["www", "api.weave.local"],
      },
      { name: "web1", host: "docker3", image: "lab/web:1", address: "172.16.16.200/24" },
      { name: "ext", host: "docker4", image: "lab/web:1", address: "1.1.1.1/24" },
    ],
    dnsRecords: [{ name: "gw", ips: ["10.10.10.1"] }],
  };
}

describe("planLab", () => {
  test("predicts each host's share exactly as fixture step 13 observed", () => {
    const plan = planLab(seedLab());
    expect(plan.hosts.map((h) => [h.name, h.peerName, h.predictedShare!.map((s) => s.cidr)])).toEqual([
      ["docker1", "02:00:00:00:00:03", ["172.16.16.128/26"]],
      ["docker2", "02:00:00:00:00:01", ["172.16.16.0/26"]],
      ["docker3", "02:00:00:00:00:04", ["172.16.16.192/26"]],
      ["docker4", "02:00:00:00:00:02", ["172.16.16.64/26"]],
    ]);
  });

  test("resolves every default from DEFAULTS", () => {
    const plan = planLab({
      hosts: [{ name: "h1", address: "192.168.56.11", ssh: { insecureIgnoreHostKey: true } }],
    });
    expect(plan.name).toBe("weave-lab");
    expect(plan.network).toMatchObject({
      allocRange: "10.32.0.0/12",
      defaultSubnet: "10.32.0.0/12",
      bootstrap: "seed",
      encrypted: false,
      trustedSubnets: [],
      dns: { domain: "weave.local", ttl: 1, disabled: false },
      weave: {
        distribution: "weaveworks",
        version: "2.8.1",
        dockerApiVersion: "1.18",
        install: "present",
        scriptPath: "/usr/local/bin/weave",
      },
      proxy: false,
      plugin: false,
      resetForeignRouters: false,
      consensusTimeoutSeconds: 120,
    });
    expect(plan.hosts[0]).toMatchObject({
      nickname: "h1",
      peers: [],
      ssh: {
        host: "192.168.56.11",
        port: 22,
        user: "root",
        hasPrivateKey: false,
        hasHostKey: false,
        sudo: false,
        connectTimeoutSeconds: 60,
      },
      predictedShare: [{ cidr: "10.32.0.0/12", size: 1048576 }],
    });
  });

  test("rajch resolves to 2.9.0 with Docker API 1.24, and download fills in the release URL", () => {
    const plan = planLab({
      network: { weave: { distribution: "rajch", install: "download", scriptSha256: "A".repeat(64) } },
      hosts: [{ name: "h1", address: "192.168.56.11", ssh: { insecureIgnoreHostKey: true } }],
    });
    expect(plan.network.weave).toEqual({
      distribution: "rajch",
      version: "2.9.0",
      dockerApiVersion: "1.24",
      install: "download",
      scriptPath: "/usr/local/bin/weave",
      scriptUrl: "https://github.com/rajch/weave/releases/download/v2.9.0/weave",
      scriptSha256: "a".repeat(64),
    });
  });

  test("each host's peers are the other hosts' addresses, in spec order", () => {
    const plan = planLab(seedLab());
    expect(plan.hosts[2].peers).toEqual(["10.10.10.101", "10.10.10.102", "10.10.10.104"]);
  });

  test("containers get keys, addressing and names", () => {
    const plan = planLab(seedLab());
    expect(plan.containers.map((c) => [c.key, c.addressing, c.fqdn, c.extraFqdns])).toEqual([
      ["docker1/web1", { kind: "dynamic", subnet: "172.16.16.0/24" }, "web1.weave.local", []],
      [
        "docker2/web2",
        { kind: "subnet", subnet: "172.16.16.0/25" },
        "web2.weave.local",
        ["www.weave.local", "api.weave.local"],
      ],
      [
        "docker3/web1",
        { kind: "static", cidr: "172.16.16.200/24", insideRange: true },
        "web1.weave.local",
        [],
      ],
      ["docker4/ext", { kind: "static", cidr: "1.1.1.1/24", insideRange: false }, "ext.weave.local", []],
    ]);
    expect(plan.containers[0]).toMatchObject({
      hostname: "web1",
      restart: "no",
      publishAll: false,
      command: [],
      env: {},
      ports: [],
    });
    expect(plan.warnings.map((w) => w.path)).toEqual(["containers[3].address"]);
  });

  test("DNS records default to the first host and are qualified with the domain", () => {
    expect(planLab(seedLab()).dnsRecords).toEqual([
      { key: "docker1/gw.weave.local", host: "docker1", fqdn: "gw.weave.local", ips: ["10.10.10.1"] },
    ]);
  });

  test("with DNS disabled containers have no names", () => {
    const spec = seedLab();
    spec.network!.dns = { disabled: true };
    spec.dnsRecords = [];
    const plan = planLab(spec);
    expect(plan.containers[1].fqdn).toBeUndefined();
    expect(plan.containers[1].extraFqdns).toEqual([]);
  });

  test("consensus mode predicts no shares", () => {
    const spec = seedLab();
    spec.network!.bootstrap = "consensus";
    expect(planLab(spec).hosts.every((h) => h.predictedShare === undefined)).toBe(true);
  });

  test("the password's presence turns encryption on; its value appears nowhere in the plan", () => {
    const spec = seedLab();
    spec.network!.password = "s3cret-lab";
    const plan = planLab(spec);
    expect(plan.network.encrypted).toBe(true);
    expect(JSON.stringify(plan)).not.toContain("s3cret-lab");
  });

  test("the plan is deterministic", () => {
    expect(planLab(seedLab())).toEqual(planLab(seedLab()));
  });

  describe("network fingerprint", () => {
    const fp = (mutate: (s: LabSpec) => void): string => {
      const s = seedLab();
      mutate(s);
      return planLab(s).network.fingerprint;
    };
    const baseFp = fp(() => undefined);
    test("is a short stable hex digest", () => {
      expect(baseFp).toMatch(/^[0-9a-f]{16}$/);
    });
    test.each<[string, (s: LabSpec) => void]>([
      ["range", (s) => (s.network!.allocRange = "172.16.0.0/16")],
      ["default subnet", (s) => (s.network!.defaultSubnet = "172.16.16.0/25")],
      ["bootstrap", (s) => (s.network!.bootstrap = "consensus")],
      ["seed set", (s) => (s.hosts[0].peerName = "02:00:00:00:00:09")],
      ["encryption", (s) => (s.network!.password = "x")],
      ["trusted subnets", (s) => (s.network!.trustedSubnets = ["10.0.0.0/8"])],
      ["DNS TTL", (s) => (s.network!.dns = { ttl: 5 })],
      ["distribution", (s) => (s.network!.weave = { distribution: "rajch" })],
    ])("changes when the %s changes", (_what, mutate) => {
      expect(fp(mutate)).not.toBe(baseFp);
    });
    test("does not change with containers, nicknames, host order or timeouts", () => {
      expect(fp((s) => s.containers!.pop())).toBe(baseFp);
      expect(fp((s) => (s.network!.consensusTimeoutSeconds = 5))).toBe(baseFp);
      expect(fp((s) => s.hosts.reverse())).toBe(baseFp);
      expect(fp((s) => (s.hosts[0].nickname = "d1"))).toBe(baseFp);
    });
  });
});
