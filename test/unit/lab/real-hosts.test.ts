import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { labFromEnv, parseRealHosts } from "../../lab/real";
import { fakePrivateKey, PEM_BEGIN } from "../../fake-key";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Rrc2V5MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3";

describe("WEAVE_LAB_HOSTS file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), "wl-real-"));
    await fsp.writeFile(path.join(dir, "key"), fakePrivateKey());
  });
  afterAll(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  test("every problem of the file is listed as path: message", () => {
    const text = JSON.stringify({
      hosts: [
        { name: "a", address: "192.0.2.1", privateKeyPath: "/k", hostKey: KEY, port: 70000 },
        { name: "a", address: "", privateKeyPath: "/k", hostKey: "AAAA" },
        { address: "192.0.2.3", privateKeyPath: "/k", hostKey: KEY, user: "" },
      ],
    });
    expect(() => parseRealHosts(text, "hosts.json")).toThrow(
      [
        "hosts.json: invalid WEAVE_LAB_HOSTS file:",
        "  hosts[0].port: 70000 must be an integer 1–65535",
        '  hosts[1].address: "" must be a non-empty string',
        '  hosts[1].name: "a" is given twice; names must be unique',
        '  hosts[1].hostKey: must be a key line like "ssh-ed25519 AAAA…" (type and base64, no host field)',
        "  hosts[2].name: undefined must be a non-empty string",
        '  hosts[2].user: "" must be a non-empty string',
      ].join("\n"),
    );
    expect(() => parseRealHosts("{", "f.json")).toThrow(/^f\.json: not JSON/);
    expect(() => parseRealHosts('{"hosts":[]}', "f.json")).toThrow(
      "f.json: hosts: expected a non-empty list",
    );
  });

  test("labFromEnv is undefined without the variable", async () => {
    expect(await labFromEnv({})).toBeUndefined();
  });

  test("real hosts come with defaults, a known_hosts pinning their keys, and faults that refuse clearly", async () => {
    const file = path.join(dir, "hosts.json");
    await fsp.writeFile(
      file,
      JSON.stringify({
        hosts: [
          { name: "h1", address: "192.0.2.11", privateKeyPath: path.join(dir, "key"), hostKey: KEY },
          {
            name: "h2",
            address: "192.0.2.12",
            port: 2222,
            user: "ops",
            privateKeyPath: path.join(dir, "key"),
            hostKey: KEY,
          },
        ],
      }),
    );
    const lab = await labFromEnv({ WEAVE_LAB_HOSTS: file });
    if (!lab) throw new Error("expected a lab");
    try {
      expect(lab.real).toBe(true);
      expect(lab.hosts.map((h) => [h.name, h.sshHost, h.sshPort, h.user, h.netns, h.home])).toEqual([
        ["h1", "192.0.2.11", 22, "root", undefined, undefined],
        ["h2", "192.0.2.12", 2222, "ops", undefined, undefined],
      ]);
      expect(lab.hosts[0].privateKey).toContain(PEM_BEGIN);
      expect(await fsp.readFile(lab.knownHostsFile, "utf8")).toBe(
        `192.0.2.11 ${KEY}\n[192.0.2.12]:2222 ${KEY}\n`,
      );
      const args = lab.sshArgs("h2");
      expect(args.slice(-5)).toEqual(["-p", "2222", "-l", "ops", "192.0.2.12"]);
      expect(args[args.indexOf("-i") + 1]).toBe(path.join(dir, "key"));
      expect(args).toContain("StrictHostKeyChecking=yes");
      expect(args).toContain(`UserKnownHostsFile=${lab.knownHostsFile}`);
      await expect(lab.faults.cutLink("h1")).rejects.toThrow(
        "faults.cutLink is not available on real hosts (WEAVE_LAB_HOSTS); check lab.real in the test",
      );
      await expect(lab.faults.setLatency("h1", 10)).rejects.toThrow(/not available on real hosts/);
      await expect(lab.nsExec("h1", ["true"])).rejects.toThrow("nsExec is not available on real hosts");
      expect(() => lab.sshArgs("h9")).toThrow('WEAVE_LAB_HOSTS: no host "h9"; hosts are h1, h2');
    } finally {
      await lab.destroy();
    }
    await expect(fsp.access(lab.knownHostsFile)).rejects.toThrow();
  });

  test("an unreadable key file names the host", async () => {
    const file = path.join(dir, "bad.json");
    await fsp.writeFile(
      file,
      JSON.stringify({
        hosts: [{ name: "h1", address: "192.0.2.11", privateKeyPath: path.join(dir, "nope"), hostKey: KEY }],
      }),
    );
    await expect(labFromEnv({ WEAVE_LAB_HOSTS: file })).rejects.toThrow(
      `${file}: host h1: cannot read privateKeyPath`,
    );
  });
});
