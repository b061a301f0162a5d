import type { LabSpec } from "../spec";
import fc from "fast-check";
import { planLab, SpecError } from "./index";
import { seedLab as seedLabOf } from "../../test/builders";

/** The seed lab with a container of each addressing kind, an untracked address and a record. */
function seedLab(): LabSpec {
  return seedLabOf({
    ssh: { hostKey: "SHA256:pinned-host-key" },
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
  });
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

  test("every launch names its peer explicitly (hosts with a blank machine-id cannot launch without --name), in seed and consensus mode, with or without given peer names", () => {
    for (const bootstrap of ["seed", "consensus"] as const) {
      for (const named of [true, false]) {
        const spec = seedLab();
        spec.network = { ...spec.network, bootstrap };
        if (!named) for (const h of spec.hosts) delete h.peerName;
        for (const h of planLab(spec).hosts) {
          const argv = h.launch.argv;
          const at = argv.indexOf("--name");
          expect({ bootstrap, named, host: h.name, name: at > 0 ? argv[at + 1] : undefined }).toEqual({
            bootstrap,
            named,
            host: h.name,
            name: h.peerName,
          });
          expect(h.peerName).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
        }
      }
    }
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

describe("planLab on arbitrary input", () => {
  // YAML and JSON can hold anything; the planner must answer with a SpecError, never crash.
  const host = fc.record(
    {
      name: fc.oneof(fc.constantFrom("h1", "h2", "Bad_Name", ""), fc.anything()),
      address: fc.oneof(fc.constantFrom("10.0.0.1", "10.0.0.2", "10.0.0.300", "fe80::1"), fc.anything()),
      peerName: fc.oneof(fc.constantFrom("::1", "02:00:00:00:00:01", "zz"), fc.anything()),
      ssh: fc.oneof(fc.constant({ insecureIgnoreHostKey: true }), fc.anything()),
      extraLaunchArgs: fc.oneof(
        fc.array(fc.constantFrom("--ipalloc-range", "10.0.0.0/8", "--conn-limit", "5", "peer", "")),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  );
  const spec = fc.record(
    {
      name: fc.anything(),
      network: fc.oneof(
        fc.record(
          {
            allocRange: fc.oneof(
              fc.constantFrom("10.0.0.0/24", "10.0.0.1/24", "10.0.0.0/31", "x"),
              fc.anything(),
            ),
            defaultSubnet: fc.oneof(fc.constantFrom("10.0.0.0/25", "10.1.0.0/25"), fc.anything()),
            bootstrap: fc.oneof(fc.constantFrom("seed", "consensus"), fc.anything()),
            dns: fc.anything(),
            weave: fc.anything(),
            trustedSubnets: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
      hosts: fc.oneof(fc.array(host, { maxLength: 4 }), fc.anything()),
      containers: fc.oneof(
        fc.array(
          fc.record(
            {
              name: fc.oneof(fc.constantFrom("web", "db"), fc.anything()),
              host: fc.oneof(fc.constantFrom("h1", "h2"), fc.anything()),
              image: fc.oneof(fc.constant("img"), fc.anything()),
              address: fc.oneof(fc.constantFrom("10.0.0.5/24", "1.1.1.1/24"), fc.anything()),
              subnet: fc.oneof(fc.constantFrom("10.0.0.0/26"), fc.anything()),
              dnsNames: fc.anything(),
              env: fc.anything(),
              ports: fc.anything(),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
        fc.anything(),
      ),
      dnsRecords: fc.anything(),
    },
    { requiredKeys: [] },
  );

  test("property: any input either plans or throws a SpecError with at least one path: message", () => {
    fc.assert(
      fc.property(fc.oneof(spec, fc.anything()), (input) => {
        try {
          const plan = planLab(input as LabSpec);
          expect(plan.hosts.length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(SpecError);
          expect((e as SpecError).issues.length).toBeGreaterThan(0);
          for (const i of (e as SpecError).issues) {
            expect(typeof i.path).toBe("string");
            expect(i.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  test("property: in seed mode the predicted shares of a valid lab cover the range exactly once", () => {
    const lab = fc.record({
      prefix: fc.integer({ min: 16, max: 30 }),
      hosts: fc.integer({ min: 1, max: 12 }),
    });
    fc.assert(
      fc.property(lab, ({ prefix, hosts }) => {
        const plan = planLab({
          network: { allocRange: `10.64.0.0/${prefix}` },
          hosts: Array.from({ length: hosts }, (_, i) => ({
            name: `h${i}`,
            address: `192.168.1.${i + 1}`,
            ssh: { insecureIgnoreHostKey: true },
          })),
        });
        const total = plan.hosts.flatMap((h) => h.predictedShare!).reduce((n, s) => n + s.size, 0);
        expect(total).toBe(2 ** (32 - prefix));
        for (const h of plan.hosts) {
          expect(h.launch.argv.every((a) => a.length > 0 && !/\s/.test(a))).toBe(true);
        }
      }),
    );
  });
});
