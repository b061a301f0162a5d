/**
 * The SSH half of a local lab host without Docker: OpenSSH's sshd runs with the host image's own
 * `docker/host/sshd_config` (only the port, paths and StrictModes adjusted for a temp dir), a host
 * key and a client key generated the way LocalLab's SshKeyPair does, and weave-lab's transport
 * connects with the ConnectParams LocalLab's outputs produce (127.0.0.1, published port, pinned
 * host key). Proves the generated keys work with real sshd and that pinning holds.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { generateKeyPair } from "../../components/local/keys";
import { closeAll, openConnection } from "../../components/remote";
import type { ConnectParams } from "../../components/remote/types";

jest.setTimeout(60_000);

const HOST_DIR = path.resolve(__dirname, "..", "..", "docker", "host");
const hostKey = generateKeyPair("weave-lab test docker1 host key");
const clientKey = generateKeyPair("weave-lab test client");
let dir: string;
let port: number;
let sshd: ChildProcess;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on("error", reject);
  });
}

async function waitForPort(p: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(p, "127.0.0.1", () => {
        c.end();
        resolve(true);
      });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on 127.0.0.1:${p} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The image's sshd_config with this test's port and paths. */
function testConfig(): string {
  return (
    fs
      .readFileSync(path.join(HOST_DIR, "sshd_config"), "utf8")
      .replace(/^Port .*/m, `Port ${port}\nListenAddress 127.0.0.1`)
      .replace(/^HostKey .*/m, `HostKey ${dir}/ssh_host_ed25519_key`)
      .replace(/^AuthorizedKeysFile .*/m, `AuthorizedKeysFile ${dir}/authorized_keys`)
      .replace(/^PidFile .*/m, `PidFile ${dir}/sshd.pid`) +
    // Temp dirs live under world-writable /tmp, which StrictModes rejects.
    "StrictModes no\n"
  );
}

const params = (overrides: Partial<ConnectParams> = {}): ConnectParams => ({
  hostName: "docker1",
  host: "127.0.0.1",
  port,
  user: os.userInfo().username,
  privateKey: clientKey.privateKey,
  hostKey: hostKey.publicKey,
  insecureIgnoreHostKey: false,
  sudo: false,
  connectTimeoutSeconds: 10,
  ...overrides,
});

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-localssh-"));
  port = await freePort();
  fs.writeFileSync(path.join(dir, "ssh_host_ed25519_key"), hostKey.privateKey, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "authorized_keys"), clientKey.publicKey + "\n", { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "sshd_config"), testConfig());
  fs.mkdirSync("/run/sshd", { recursive: true });
  // -t first: a config or key sshd rejects fails here with sshd's own words.
  execFileSync("/usr/sbin/sshd", ["-t", "-f", path.join(dir, "sshd_config")], { stdio: "pipe" });
  sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: "ignore" });
  await waitForPort(port, 15_000);
});

afterAll(async () => {
  await closeAll();
  sshd?.kill("SIGTERM");
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("a local lab host's sshd with per-stack keys", () => {
  // The transport pools one session per user@host:port; each case needs a fresh handshake.
  afterEach(() => closeAll());

  it("accepts the stack's client key and presents the pinned host key", async () => {
    const conn = await openConnection(params());
    const r = await conn.exec(["echo", "hello from docker1"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("hello from docker1");
  });

  it("also matches when the host key is pinned by its SHA256 fingerprint", async () => {
    const conn = await openConnection(params({ hostKey: hostKey.fingerprint }));
    expect((await conn.exec(["true"])).code).toBe(0);
  });

  it("refuses a host that presents another key, naming both fingerprints", async () => {
    const other = generateKeyPair("someone else");
    await expect(openConnection(params({ hostKey: other.publicKey }))).rejects.toThrow(
      new RegExp(
        `${escape(other.fingerprint)}[\\s\\S]*${escape(hostKey.fingerprint)}|${escape(hostKey.fingerprint)}[\\s\\S]*${escape(other.fingerprint)}`,
      ),
    );
  });

  it("refuses a client key the host does not authorise", async () => {
    const stranger = generateKeyPair("stranger");
    await expect(
      openConnection(params({ privateKey: stranger.privateKey, connectTimeoutSeconds: 5 })),
    ).rejects.toThrow(/authenticat/i);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
