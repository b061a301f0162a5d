import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { forwardChainMayDrop, isRouterCommand } from "../../lab";
import { readDoubleConfig, writeDoubleConfig, DEFAULT_DOUBLE_CONFIG } from "../../lab/double-config";
import { publicKeyLine, sshdConfig } from "../../lab/sshd";

describe("sshd config of a lab host", () => {
  const base = {
    address: "10.10.10.101",
    port: 2022,
    hostKeyFile: "/s/key",
    pidFile: "/s/pid",
    authorizedKeysFile: "/s/ak",
  };

  test("listens on the host address, root by key only, and sets the session environment with SetEnv", () => {
    const text = sshdConfig({
      ...base,
      env: { PATH: "/repo/test/double/path:/usr/bin", WEAVE_DOUBLE_HOST: "host1" },
    });
    const lines = text.split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        "ListenAddress 10.10.10.101",
        "Port 2022",
        'HostKey "/s/key"',
        'PidFile "/s/pid"',
        "UsePAM no",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "AllowTcpForwarding yes",
        "AllowStreamLocalForwarding no",
        'SetEnv "PATH=/repo/test/double/path:/usr/bin" "WEAVE_DOUBLE_HOST=host1"',
      ]),
    );
  });

  test("a value that could break out of its quotes is refused", () => {
    expect(() => sshdConfig({ ...base, env: { X: 'a" B=b' } })).toThrow(/may not contain quotes or newlines/);
    expect(() => sshdConfig({ ...base, env: { X: "a\nHostKey /etc/x" } })).toThrow(
      /may not contain quotes or newlines/,
    );
  });

  test("public key lines drop the comment", () => {
    expect(publicKeyLine("ssh-ed25519 AAAAC3Nz host1@lab\n")).toBe("ssh-ed25519 AAAAC3Nz");
    expect(() => publicKeyLine("garbage")).toThrow(/not an OpenSSH public key/);
  });
});

describe("router processes", () => {
  test.each([
    ["node /repo/bin/test/double/router/main.js --port 6783 --name aa:bb", true],
    ["/usr/bin/node --enable-source-maps /repo/bin/test/double/router/main.js", true],
    ["/home/weave/weaver --port 6783", true],
    ["weave-router 300", true],
    ["node /repo/bin/test/double/cli/weave-main.js launch-router", false],
    ["/usr/sbin/sshd -D -f /run/weave-lab-test/x/.lab/host1/sshd_config", false],
    ["sleep 300", false],
  ])("%s → %s", (cmd, want) => {
    expect(isRouterCommand(cmd)).toBe(want);
  });
});

describe("double config file", () => {
  test("is written with the defaults, merged field by field, and read back", async () => {
    const home = await fsp.mkdtemp(path.join(os.tmpdir(), "wl-home-"));
    try {
      expect(await readDoubleConfig(home)).toEqual(DEFAULT_DOUBLE_CONFIG);
      await writeDoubleConfig(home, { cliDelayMs: 0, weaveDistribution: "rajch" });
      await writeDoubleConfig(home, { weaveVersion: "2.9.0", dockerApiVersion: undefined });
      const onDisk = JSON.parse(await fsp.readFile(path.join(home, "config.json"), "utf8"));
      expect(onDisk).toEqual({
        ...DEFAULT_DOUBLE_CONFIG,
        cliDelayMs: 0,
        weaveDistribution: "rajch",
        weaveVersion: "2.9.0",
      });
      expect((await fsp.readdir(home)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
      await fsp.rm(home, { recursive: true, force: true });
    }
  });
});

describe("host firewall", () => {
  test("an open FORWARD chain needs no rule; a DROP policy or foreign rules do", () => {
    expect(forwardChainMayDrop("-P FORWARD ACCEPT\n")).toBe(false);
    expect(forwardChainMayDrop("-P FORWARD ACCEPT\n-A FORWARD -i wlbab12cd -o wlbab12cd -j ACCEPT\n")).toBe(
      false,
    );
    expect(forwardChainMayDrop("-P FORWARD DROP\n")).toBe(true);
    expect(forwardChainMayDrop("-P FORWARD ACCEPT\n-A FORWARD -j DOCKER-USER\n")).toBe(true);
  });
});
