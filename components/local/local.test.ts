import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runSerialized, serializeProvider } from "../../test/engine/serialize";
import { checkCompat } from "../weave/compat";
import { generateKeyPair, sshKeyPairProvider } from "./keys";
import { defaultLocalContainers, LocalLabError, planLocalTopology } from "./topology";
import { PEM_BEGIN } from "../../test/fake-key";

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LocalLabError);
    return (e as LocalLabError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a LocalLabError");
}

describe("planLocalTopology", () => {
  it("lays out the textbook hosts by default: docker1..3 at 10.10.10.101.., ssh on 127.0.0.1:2201..", () => {
    expect(planLocalTopology({ stack: "dev" })).toEqual({
      networkName: "weave-lab-dev",
      subnet: "10.10.10.0/24",
      gateway: "10.10.10.1",
      hosts: [
        { name: "docker1", containerName: "weave-lab-dev-docker1", address: "10.10.10.101", sshPort: 2201 },
        { name: "docker2", containerName: "weave-lab-dev-docker2", address: "10.10.10.102", sshPort: 2202 },
        { name: "docker3", containerName: "weave-lab-dev-docker3", address: "10.10.10.103", sshPort: 2203 },
      ],
    });
  });

  it("honours count, prefix, subnet, offset and port base", () => {
    const t = planLocalTopology({
      stack: "s2",
      hosts: 2,
      namePrefix: "node",
      subnet: "192.168.77.0/24",
      firstHostOffset: 10,
      sshPortBase: 3300,
    });
    expect(t.hosts.map((h) => [h.name, h.address, h.sshPort])).toEqual([
      ["node1", "192.168.77.10", 3300],
      ["node2", "192.168.77.11", 3301],
    ]);
  });

  it("reports every impossible setting at once with the allowed values", () => {
    expect(
      issuesOf(() =>
        planLocalTopology({
          stack: "dev",
          hosts: 0,
          namePrefix: "Docker_",
          subnet: "10.10.10.5/24",
          sshPortBase: 80,
        }),
      ),
    ).toEqual([
      "weave-lab:local.hosts: 0 is not allowed; use a whole number from 1 to 20",
      "weave-lab:local.namePrefix: 'Docker_' is not allowed; use lower-case letters, digits and '-' (a DNS label start), e.g. 'docker'",
      "weave-lab:local.subnet: '10.10.10.5/24' has host bits set; the network address is 10.10.10.0/24",
      "weave-lab:local.sshPortBase: 80 is not allowed; ports 80..80 must lie in 1024..65535",
    ]);
    expect(issuesOf(() => planLocalTopology({ stack: "dev", hosts: 4, subnet: "10.10.10.0/26" }))).toEqual([
      "weave-lab:local.firstHostOffset: hosts at offsets 101..104 do not fit in 10.10.10.0/26 (64 addresses, last usable offset 62)",
    ]);
    expect(issuesOf(() => planLocalTopology({ stack: "dev", subnet: "10.10.10/24" }))).toEqual([
      "weave-lab:local.subnet: '10.10.10/24' is not an IPv4 CIDR; use e.g. '10.10.10.0/24'",
    ]);
  });

  it("puts the textbook web1/web2 pair on the first two hosts, and only web1 on a one-host lab", () => {
    const t = planLocalTopology({ stack: "dev" });
    expect(defaultLocalContainers(t.hosts)).toEqual([
      { name: "web1", host: "docker1", image: "lab/web:1" },
      { name: "web2", host: "docker2", image: "lab/web:1" },
    ]);
    expect(defaultLocalContainers(planLocalTopology({ stack: "dev", hosts: 1 }).hosts)).toHaveLength(1);
  });
});

describe("the hosts' engine", () => {
  // bookworm's docker.io, what docker/host/Dockerfile installs, as `docker version` reports it.
  const debian = { serverVersion: "20.10.24+dfsg1", apiVersion: "1.41", minApiVersion: "1.12" };
  it("is one the compatibility check accepts for both distributions", () => {
    expect(checkCompat({ distribution: "weaveworks", version: "2.8.1" }, debian).ok).toBe(true);
    expect(checkCompat({ distribution: "rajch", version: "2.9.0" }, debian).ok).toBe(true);
  });
});

describe("weaveImagesArchive", () => {
  it("takes a docker save archive (.tar or .tar.zst) and names anything else", () => {
    expect(() => planLocalTopology({ stack: "dev", weaveImagesArchive: "images/weave.tar" })).not.toThrow();
    expect(() => planLocalTopology({ stack: "dev", weaveImagesArchive: "weave.tar.zst" })).not.toThrow();
    expect(issuesOf(() => planLocalTopology({ stack: "dev", weaveImagesArchive: "weave.zip" }))).toEqual([
      'weave-lab:local.weaveImagesArchive: "weave.zip" is not allowed; give a `docker save` archive ending in .tar or .tar.zst',
    ]);
  });
});

describe("SSH key pairs", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-keys-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("generates an OpenSSH ed25519 pair that ssh-keygen reads, with the fingerprint ssh-keygen prints", () => {
    const k = generateKeyPair("weave-lab test");
    expect(k.privateKey.startsWith(`${PEM_BEGIN}\n`)).toBe(true);
    expect(k.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ weave-lab test$/);
    const file = path.join(tmp, "k");
    fs.writeFileSync(file, k.privateKey, { mode: 0o600 });
    const derived = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim();
    expect(derived.split(" ").slice(0, 2)).toEqual(k.publicKey.split(" ").slice(0, 2));
    fs.writeFileSync(`${file}.pub`, k.publicKey + "\n");
    const fp = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`], {
      encoding: "utf8",
    }).split(" ")[1];
    expect(k.fingerprint).toBe(fp);
  });

  it("is accepted by sshd as a host key", () => {
    const k = generateKeyPair("host");
    const file = path.join(tmp, "hk");
    fs.writeFileSync(file, k.privateKey, { mode: 0o600 });
    fs.mkdirSync("/run/sshd", { recursive: true });
    // -t: test mode, loads the host key and config, exits 0 if usable.
    execFileSync("/usr/sbin/sshd", ["-t", "-f", "/dev/null", "-h", file, "-o", "PidFile=none"], {
      stdio: "pipe",
    });
  });

  it("gives two resources two different keys and replaces only on a rotation or comment change", async () => {
    const a = await sshKeyPairProvider.create!({ comment: "a" });
    const b = await sshKeyPairProvider.create!({ comment: "a" });
    expect(a.outs.privateKey).not.toBe(b.outs.privateKey);
    expect(a.id).toBe(a.outs.fingerprint);
    expect(await sshKeyPairProvider.diff!(a.id, a.outs, { comment: "a" })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect((await sshKeyPairProvider.diff!(a.id, a.outs, { comment: "a", rotation: "2" })).replaces).toEqual([
      "rotation",
    ]);
  });

  it("survives serialisation and generates keys in a fresh Node process, as the engine runs it", async () => {
    const text = await serializeProvider(sshKeyPairProvider);
    const { result } = await runSerialized<{ id: string; outs: { publicKey: string; fingerprint: string } }>(
      text,
      "create",
      [{ comment: "serialised" }],
    );
    expect(result.outs.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ serialised$/);
    expect(result.id).toBe(result.outs.fingerprint);
  }, 60_000);
});
