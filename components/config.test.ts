import { ConfigError, ConfigSource, readLabConfig } from "./config";

/** A config source from a plain map; keys listed in `secrets` count as set with --secret. */
function source(
  values: Record<string, unknown>,
  secrets: string[] = [],
  files: Record<string, string> = {},
): ConfigSource {
  return {
    get: (k) => {
      const v = values[k];
      return v === undefined ? undefined : typeof v === "string" ? v : JSON.stringify(v);
    },
    isSecret: (k) => secrets.includes(k),
    readFile: (p) => {
      if (!(p in files)) throw new Error(`ENOENT: no such file '${p}'`);
      return files[p];
    },
    parseYaml: (t) => JSON.parse(t),
  };
}
/** Marks secret values so tests can see which fields were wrapped. */
const secret = (v: string): { secret: string } => ({ secret: v });

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("readLabConfig", () => {
  it("with no config at all asks for a local lab with defaults", () => {
    const c = readLabConfig(source({}), secret);
    expect(c).toEqual({
      spec: { network: {}, hosts: [] },
      local: true,
      localSettings: {},
      outputDir: ".",
      forgetUnreachableOnDestroy: false,
      timeouts: {},
    });
  });

  it("reads network, hosts and containers and wraps every secret with the given function", () => {
    const c = readLabConfig(
      source(
        {
          "weave-lab:name": "textbook",
          "weave-lab:network": { allocRange: "172.16.16.0/24" },
          "weave-lab:hosts": [
            { name: "docker1", address: "10.10.10.101", ssh: { hostKey: "ssh-ed25519 AAAA1", port: 2222 } },
            { name: "docker2", address: "10.10.10.102" },
          ],
          "weave-lab:containers": [{ name: "web1", host: "docker1", image: "lab/web:1" }],
          "weave-lab:password": "s3cret",
          "weave-lab:sshPrivateKey": "KEY-ALL",
          "weave-lab:sshPrivateKeys": { docker2: "KEY-2" },
        },
        ["weave-lab:password", "weave-lab:sshPrivateKey", "weave-lab:sshPrivateKeys"],
      ),
      secret,
    );
    expect(c.local).toBe(false);
    expect(c.spec.name).toBe("textbook");
    expect(c.spec.network).toEqual({ allocRange: "172.16.16.0/24", password: { secret: "s3cret" } });
    expect(c.spec.hosts[0].ssh).toEqual({
      hostKey: "ssh-ed25519 AAAA1",
      port: 2222,
      privateKey: { secret: "KEY-ALL" },
    });
    expect(c.spec.hosts[1].ssh).toEqual({ privateKey: { secret: "KEY-2" } });
    expect(c.spec.containers).toEqual([{ name: "web1", host: "docker1", image: "lab/web:1" }]);
  });

  it("starts from a spec file and lets individual keys override its parts", () => {
    const file = JSON.stringify({
      name: "from-file",
      network: { allocRange: "10.0.0.0/16" },
      hosts: [{ name: "a", address: "192.0.2.1" }],
    });
    const c = readLabConfig(
      source(
        { "weave-lab:specFile": "lab.yaml", "weave-lab:network": { allocRange: "172.16.16.0/24" } },
        [],
        { "lab.yaml": file },
      ),
      secret,
    );
    expect(c.spec.name).toBe("from-file");
    expect(c.spec.network?.allocRange).toBe("172.16.16.0/24");
    expect(c.spec.hosts.map((h) => h.name)).toEqual(["a"]);
  });

  it("refuses secrets stored in plain text, every one at once, without echoing their values", () => {
    const msgs = problems(() =>
      readLabConfig(
        source({
          "weave-lab:password": "hunter2",
          "weave-lab:network": { password: "hunter3" },
          "weave-lab:hosts": [{ name: "d1", address: "10.0.0.1", ssh: { privateKey: "PRIVATE" } }],
          "weave-lab:sshPrivateKey": "PRIVATE2",
        }),
        secret,
      ),
    );
    expect(msgs).toEqual([
      "weave-lab:network.password: a password in plain config is stored unencrypted; remove it and use 'pulumi config set --secret weave-lab:password' (the value is not shown here)",
      "weave-lab:password: the Weave password is stored in plain text; set it with 'pulumi config set --secret weave-lab:password …' (the value is not shown here)",
      "weave-lab:sshPrivateKey: the SSH private key is stored in plain text; set it with 'pulumi config set --secret weave-lab:sshPrivateKey …' (the value is not shown here)",
      "weave-lab:hosts[0].ssh.privateKey: a private key in plain config is stored unencrypted; use 'pulumi config set --secret --path weave-lab:sshPrivateKeys.d1' (the value is not shown here)",
    ]);
    expect(msgs.join("\n")).not.toMatch(/hunter|PRIVATE/);
  });

  it("names each malformed key with the bad value and how to set it", () => {
    const msgs = problems(() =>
      readLabConfig(
        source(
          {
            "weave-lab:hosts": "docker1",
            "weave-lab:containers": [1],
            "weave-lab:network": "172.16.16.0/24",
            "weave-lab:local": 4,
            "weave-lab:sshPrivateKeys": { ghost: "K" },
            "weave-lab:specFile": "missing.yaml",
          },
          ["weave-lab:sshPrivateKeys"],
        ),
        secret,
      ),
    );
    expect(msgs).toEqual([
      "weave-lab:specFile: cannot read 'missing.yaml': ENOENT: no such file 'missing.yaml'",
      "weave-lab:network: must be an object (set it with --path, e.g. 'weave-lab:network.allocRange'), got '172.16.16.0/24'",
      "weave-lab:hosts: must be a list (e.g. --path 'weave-lab:hosts[0].name'), got 'docker1'",
      "weave-lab:containers[0]: must be an object, got 1",
      "weave-lab:sshPrivateKeys.ghost: names no configured host; hosts are none",
      "weave-lab:local: must be an object (e.g. --path 'weave-lab:local.hosts' 4), got 4",
    ]);
  });

  it("passes local lab settings through", () => {
    const c = readLabConfig(source({ "weave-lab:local": { hosts: 2, sshPortBase: 2300 } }), secret);
    expect(c.localSettings).toEqual({ hosts: 2, sshPortBase: 2300 });
  });

  it("reads forgetUnreachableOnDestroy, the Weave call deadlines and the local hosts' start timeout", () => {
    // As `pulumi config set` stores them: plain text for a scalar, JSON for --path objects.
    const c = readLabConfig(
      source({
        "weave-lab:forgetUnreachableOnDestroy": "true",
        "weave-lab:timeouts": { launchMs: 600000, primeMs: 30000 },
        "weave-lab:local": { startTimeoutSeconds: 1200 },
      }),
      secret,
    );
    expect(c.forgetUnreachableOnDestroy).toBe(true);
    expect(c.timeouts).toEqual({ launchMs: 600000, primeMs: 30000 });
    expect(c.localSettings.startTimeoutSeconds).toBe(1200);
    expect(
      readLabConfig(source({ "weave-lab:forgetUnreachableOnDestroy": "false" }), secret)
        .forgetUnreachableOnDestroy,
    ).toBe(false);
  });

  it("lists wrong forgetUnreachableOnDestroy, timeouts and startTimeoutSeconds values together", () => {
    expect(
      problems(() =>
        readLabConfig(
          source({
            "weave-lab:forgetUnreachableOnDestroy": "yes",
            "weave-lab:timeouts": { launchMs: -1, waitMs: 5 },
            "weave-lab:local": { startTimeoutSeconds: "soon" },
          }),
          secret,
        ),
      ),
    ).toEqual([
      "weave-lab:local.startTimeoutSeconds: must be a positive number of seconds, got 'soon'",
      "weave-lab:forgetUnreachableOnDestroy: must be true or false, got 'yes'",
      "weave-lab:timeouts.launchMs: must be a positive number of milliseconds, got -1",
      "weave-lab:timeouts.waitMs: is not a deadline weave-lab knows; allowed: launchMs, resetMs, commandMs, primeMs",
    ]);
    expect(problems(() => readLabConfig(source({ "weave-lab:timeouts": "60000" }), secret))).toEqual([
      "weave-lab:timeouts: must be an object (e.g. --path 'weave-lab:timeouts.launchMs' 600000), got 60000",
    ]);
  });
});
