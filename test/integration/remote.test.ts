/**
 * The SSH transport against real OpenSSH servers. Each test's servers run on 127.0.0.1 with
 * their own host and user keys (a throw-away `sshd -D` per test group).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
  HostKeyMismatchError,
  RemoteCommandError,
  RemoteConnectError,
  RemoteTimeoutError,
  closeAll,
  connect,
  getConnection,
  resetStats,
  setLogger,
  stats,
  type ConnectParams,
  type RemoteLogEvent,
} from "../../components/remote";

jest.setTimeout(60_000);

/** A throw-away OpenSSH server on 127.0.0.1. */
interface Sshd {
  port: number;
  hostKeyLine: string;
  hostKeyFingerprint: string;
  privateKey: string;
  dir: string;
  proc?: ChildProcess;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "wl-remote-"));

function keygen(file: string, type = "ed25519"): void {
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "", "-f", file]);
}

function fingerprintByKeygen(pubFile: string): string {
  // "256 SHA256:abc… (ED25519)" → "SHA256:abc…"
  return execFileSync("ssh-keygen", ["-lf", pubFile], { encoding: "utf8" }).split(" ")[1];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
    s.on("error", reject);
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect({ host: "127.0.0.1", port }, () => {
        c.destroy();
        r(true);
      });
      c.on("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd on ${port} did not come up`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function makeSshd(name: string): Promise<Sshd> {
  const dir = fs.mkdtempSync(path.join(tmpRoot, name + "-"));
  keygen(path.join(dir, "host"));
  keygen(path.join(dir, "user"));
  fs.copyFileSync(path.join(dir, "user.pub"), path.join(dir, "authorized_keys"));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${dir}/host`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PidFile ${dir}/sshd.pid`,
      "PermitRootLogin yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "AllowTcpForwarding yes",
      "LogLevel ERROR",
      "",
    ].join("\n"),
  );
  fs.mkdirSync("/run/sshd", { recursive: true });
  const sshd: Sshd = {
    port,
    dir,
    hostKeyLine: fs.readFileSync(path.join(dir, "host.pub"), "utf8").trim(),
    hostKeyFingerprint: fingerprintByKeygen(path.join(dir, "host.pub")),
    privateKey: fs.readFileSync(path.join(dir, "user"), "utf8"),
    async start() {
      this.proc = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(dir, "sshd_config")], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      await waitForPort(port, 5000);
    },
    async stop() {
      const p = this.proc;
      if (p && p.exitCode === null) {
        const gone = new Promise((r) => p.once("exit", r));
        p.kill("SIGTERM");
        await gone;
      }
      this.proc = undefined;
    },
  };
  return sshd;
}

function paramsFor(s: Sshd, over: Partial<ConnectParams> = {}): ConnectParams {
  return {
    hostName: over.hostName ?? "h1",
    host: "127.0.0.1",
    port: s.port,
    user: "root",
    privateKey: s.privateKey,
    hostKey: s.hostKeyLine,
    insecureIgnoreHostKey: false,
    sudo: false,
    connectTimeoutSeconds: 10,
    ...over,
  };
}

/** Every process's argv, as the kernel shows it to `ps`. */
function allCmdlines(): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      out.push(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

let a: Sshd;
let b: Sshd;

beforeAll(async () => {
  a = await makeSshd("a");
  b = await makeSshd("b");
  await a.start();
  await b.start();
});

afterAll(async () => {
  await closeAll();
  await a?.stop();
  await b?.stop();
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

describe("exec", () => {
  test("argv elements with shell metacharacters arrive literally, one argument each", async () => {
    const c = await connect(paramsFor(a));
    try {
      const args = [
        "a b",
        "it's",
        '"dq"',
        "$(touch /tmp/wl-pwned)",
        "`id`",
        "; rm -rf /",
        "x\ny",
        "",
        "ünï©ødé",
        "*",
        "\\",
        "$HOME",
      ];
      const r = await c.exec(["printf", "%s\\0", ...args]);
      expect(r.code).toBe(0);
      expect(r.stdout.split("\0").slice(0, -1)).toEqual(args);
      expect(fs.existsSync("/tmp/wl-pwned")).toBe(false);
    } finally {
      await c.close();
    }
  });

  test("non-zero exit rejects with host, command, exit code and stderr tail; allowFailure resolves", async () => {
    const c = await connect(paramsFor(a, { hostName: "alpha" }));
    try {
      const script = 'for i in $(seq 1 30); do echo "line $i" >&2; done; exit 7';
      const err = await c.exec(["sh", "-c", script]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteCommandError);
      const e = err as RemoteCommandError;
      expect(e.exitCode).toBe(7);
      expect(e.message).toContain("host alpha");
      expect(e.message).toContain("sh -c");
      expect(e.message).toContain("exited with code 7");
      expect(e.message).toContain("line 30");
      expect(e.message).not.toContain("line 10\n");
      const r = await c.exec(["sh", "-c", script], { allowFailure: true });
      expect(r.code).toBe(7);
      expect(r.stderr.split("\n")).toHaveLength(31);
    } finally {
      await c.close();
    }
  });

  test("env is set and stdin data reaches the command", async () => {
    const c = await connect(paramsFor(a));
    try {
      const r = await c.exec(["sh", "-c", 'printf "%s|" "$FOO"; cat'], {
        env: { FOO: "x y'z" },
        stdin: "hello\nworld",
      });
      expect(r.stdout).toBe("x y'z|hello\nworld");
    } finally {
      await c.close();
    }
  });

  test("secret env reaches the command but never its argv, the process table or an error", async () => {
    const secret = "s3cr3t-" + Math.random().toString(36).slice(2) + " 'q' $(x)";
    const c = await connect(paramsFor(a, { hostName: "alpha" }));
    try {
      const r = await c.exec(["printenv", "WEAVE_PASSWORD"], { secretEnv: { WEAVE_PASSWORD: secret } });
      expect(r.stdout).toBe(secret + "\n");

      // While the command runs, nothing in /proc/*/cmdline carries the secret.
      const running = c.exec(["sh", "-c", 'sleep 1.5; test -n "$WEAVE_PASSWORD"; cat'], {
        secretEnv: { WEAVE_PASSWORD: secret },
        stdin: "after-secret",
      });
      await new Promise((res) => setTimeout(res, 700));
      const lines = allCmdlines();
      expect(lines.some((l) => l.includes("sleep 1.5"))).toBe(true);
      expect(lines.filter((l) => l.includes(secret.slice(0, 12)))).toEqual([]);
      expect((await running).stdout).toBe("after-secret");

      // A command that echoes the secret on stderr and fails: the error masks it.
      const err = await c
        .exec(["sh", "-c", 'echo "bad password $WEAVE_PASSWORD" >&2; exit 1'], {
          secretEnv: { WEAVE_PASSWORD: secret },
        })
        .catch((e: Error) => e);
      expect(err).toBeInstanceOf(RemoteCommandError);
      expect((err as Error).message).toContain("bad password <secret>");
      expect((err as Error).message).toContain("WEAVE_PASSWORD=<secret>");
      expect((err as Error).message).not.toContain(secret.slice(0, 12));
    } finally {
      await c.close();
    }
  });

  test("the deadline kills the command and names host, command, what and how long", async () => {
    const c = await connect(paramsFor(a, { hostName: "alpha" }));
    try {
      const t0 = Date.now();
      const err = await c
        .exec(["sleep", "97.4321"], { timeoutMs: 800, what: "the nap to end" })
        .catch((e: Error) => e);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(err).toBeInstanceOf(RemoteTimeoutError);
      expect((err as Error).message).toBe(
        "host alpha: gave up after 800 ms waiting for the nap to end: `sleep 97.4321`",
      );
      // TERM at the deadline, KILL after a grace second: the process is gone either way.
      const until = Date.now() + 4000;
      while (allCmdlines().some((l) => l.includes("sleep 97.4321")) && Date.now() < until) {
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(allCmdlines().filter((l) => l.includes("sleep 97.4321"))).toEqual([]);
      // The session survives a timed-out command.
      expect((await c.exec(["echo", "still here"])).stdout).toBe("still here\n");
    } finally {
      await c.close();
    }
  });
});

describe("connect", () => {
  test("a host key mismatch is refused, naming the host and both fingerprints as ssh-keygen shows them", async () => {
    const t0 = Date.now();
    const err = await connect(
      paramsFor(a, { hostName: "alpha", hostKey: b.hostKeyLine, connectTimeoutSeconds: 30 }),
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    const m = (err as Error).message;
    expect(m).toContain("host alpha");
    expect(m).toContain(`expected ${b.hostKeyFingerprint}`);
    expect(m).toContain(`presented ${a.hostKeyFingerprint}`);
    // Not retried: a mismatch is an answer, not an outage.
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test("a SHA256 fingerprint is accepted as the expected host key", async () => {
    const c = await connect(paramsFor(a, { hostKey: a.hostKeyFingerprint }));
    expect((await c.exec(["true"])).code).toBe(0);
    await c.close();
  });

  test("no host key and no opt-out is refused before any connection", async () => {
    const err = await connect(paramsFor(a, { hostKey: undefined, port: 1 })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RemoteConnectError);
    expect((err as RemoteConnectError).kind).toBe("config");
    expect((err as Error).message).toMatch(
      /hostKey: not given for host h1.*insecureIgnoreHostKey \(insecure\)/,
    );
  });

  test("insecureIgnoreHostKey connects without a host key and logs that it is insecure", async () => {
    const events: RemoteLogEvent[] = [];
    const prev = setLogger((e) => events.push(e));
    try {
      const c = await connect(paramsFor(a, { hostKey: undefined, insecureIgnoreHostKey: true }));
      expect((await c.exec(["echo", "ok"])).stdout).toBe("ok\n");
      await c.close();
      expect(events.some((e) => e.level === "warn" && /INSECURE/.test(e.message))).toBe(true);
    } finally {
      setLogger(prev);
    }
  });

  test("a rejected key fails at once without retrying and without leaking key or passphrase", async () => {
    const dir = fs.mkdtempSync(path.join(tmpRoot, "k-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "pass-phrase-9731", "-C", "", "-f", `${dir}/k`]);
    const key = fs.readFileSync(`${dir}/k`, "utf8");
    const t0 = Date.now();
    const err = await connect(
      paramsFor(a, { privateKey: key, passphrase: "pass-phrase-9731", connectTimeoutSeconds: 30 }),
    ).catch((e: Error) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(RemoteConnectError);
    expect((err as RemoteConnectError).kind).toBe("auth");
    const text = `${(err as Error).message} ${(err as Error).stack ?? ""}`;
    expect(text).toContain("authentication as root");
    expect(text).not.toContain("pass-phrase-9731");
    expect(text).not.toContain(key.split("\n")[1]);
    const bad = await connect(paramsFor(a, { privateKey: key, passphrase: "wrong-passphrase-5521" })).catch(
      (e: Error) => e,
    );
    expect((bad as RemoteConnectError).kind).toBe("config");
    expect((bad as Error).message).not.toContain("wrong-passphrase-5521");
  });

  test("connect retries until an sshd that starts late answers", async () => {
    const late = await makeSshd("late");
    const starting = new Promise<void>((res) => setTimeout(() => void late.start().then(res), 2500));
    try {
      const t0 = Date.now();
      const c = await connect(paramsFor(late, { connectTimeoutSeconds: 20 }));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2400);
      expect((await c.exec(["true"])).code).toBe(0);
      await c.close();
    } finally {
      await starting;
      await late.stop();
    }
  });

  test("connect gives up within its bound when sshd never starts", async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await connect(paramsFor(a, { hostName: "ghost", port, connectTimeoutSeconds: 3 })).catch(
      (e: Error) => e,
    );
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(2500);
    expect(took).toBeLessThan(4500);
    expect((err as RemoteConnectError).kind).toBe("unreachable");
    expect((err as Error).message).toMatch(
      /^host ghost: could not connect to root@127\.0\.0\.1:\d+ within 3 s \(\d+ attempt/,
    );
  });

  test("a jump host reaches a second host through forwardOut", async () => {
    const c = await connect(
      paramsFor(b, {
        hostName: "inner",
        jumpHost: {
          host: "127.0.0.1",
          port: a.port,
          user: "root",
          privateKey: a.privateKey,
          hostKey: a.hostKeyLine,
        },
      }),
    );
    try {
      // Each server has its own host key: the answer must come from b through a.
      const r = await c.exec(["cat", `${b.dir}/host.pub`]);
      expect(r.stdout.trim()).toBe(b.hostKeyLine);
    } finally {
      await c.close();
    }
    // And the bastion's key is checked too.
    const err = await connect(
      paramsFor(b, {
        jumpHost: {
          host: "127.0.0.1",
          port: a.port,
          user: "root",
          privateKey: a.privateKey,
          hostKey: b.hostKeyLine,
        },
      }),
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect((err as Error).message).toContain("jump host root@127.0.0.1");
  });
});

describe("http and upload", () => {
  test("http reaches a server listening on the host's loopback through the forward", async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        seen.push(`${req.method} ${req.url} ${req.headers.accept ?? ""} ${body}`);
        res.writeHead(req.url === "/missing" ? 404 : 200, { "Content-Type": "text/plain" });
        res.end(`you said ${req.method} ${req.url}`);
      });
    });
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    const apiPort = (server.address() as net.AddressInfo).port;
    const c = await connect(paramsFor(a), { routerApi: { host: "127.0.0.1", port: apiPort } });
    try {
      const r = await c.http("GET", "/status", { headers: { Accept: "application/json" } });
      expect(r).toEqual({ status: 200, body: "you said GET /status" });
      expect((await c.http("POST", "/connect", { body: "peer=1.2.3.4" })).status).toBe(200);
      expect((await c.http("GET", "/missing")).status).toBe(404);
      expect(seen).toEqual([
        "GET /status application/json ",
        "POST /connect  peer=1.2.3.4",
        "GET /missing  ",
      ]);
    } finally {
      await c.close();
      server.close();
    }
  });

  test("http to a port nobody listens on fails naming the host and the request", async () => {
    const port = await freePort();
    const c = await connect(paramsFor(a, { hostName: "alpha" }), { routerApi: { host: "127.0.0.1", port } });
    try {
      const err = await c.http("GET", "/status").catch((e: Error) => e);
      expect((err as Error).message).toMatch(
        /^host alpha: cannot reach 127\.0\.0\.1:\d+ through SSH forwarding/,
      );
    } finally {
      await c.close();
    }
  });

  test("http gives up at its deadline when the API never answers", async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((res) => silent.listen(0, "127.0.0.1", res));
    const port = (silent.address() as net.AddressInfo).port;
    const c = await connect(paramsFor(a, { hostName: "alpha" }), { routerApi: { host: "127.0.0.1", port } });
    try {
      const err = await c.http("GET", "/status", { timeoutMs: 500 }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(RemoteTimeoutError);
      expect((err as Error).message).toContain(
        "host alpha: gave up after 500 ms waiting for the router API to answer",
      );
    } finally {
      await c.close();
      silent.close();
    }
  });

  test("upload writes the exact bytes with the mode, atomically replacing the old file", async () => {
    const c = await connect(paramsFor(a));
    const target = path.join(a.dir, "up", "file.sh");
    fs.mkdirSync(path.dirname(target));
    try {
      fs.writeFileSync(target, "old");
      const content = Buffer.from("#!/bin/sh\necho 'hi' $(x)\n\u00e9\0binary", "utf8");
      await c.upload(target, content, 0o750);
      expect(fs.readFileSync(target)).toEqual(content);
      expect(fs.statSync(target).mode & 0o777).toBe(0o750);
      expect(fs.readdirSync(path.dirname(target))).toEqual(["file.sh"]);
      const err = await c.upload(path.join(a.dir, "no-such-dir", "f"), "x").catch((e: Error) => e);
      expect(err).toBeInstanceOf(RemoteCommandError);
      expect((err as Error).message).toContain("upload " + path.join(a.dir, "no-such-dir", "f"));
    } finally {
      await c.close();
    }
  });
});

describe("pool", () => {
  afterEach(async () => {
    await closeAll();
  });

  test("many operations from many callers share one connection per host", async () => {
    resetStats();
    const ops: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20; i++) {
      ops.push(getConnection(paramsFor(a, { hostName: "pa" })).exec(["echo", String(i)]));
      ops.push(getConnection(paramsFor(b, { hostName: "pb" })).exec(["echo", String(i)]));
    }
    const results = (await Promise.all(ops)) as Array<{ stdout: string }>;
    expect(results.map((r) => r.stdout)).toContain("19\n");
    expect(stats().opened).toEqual({ pa: 1, pb: 1 });
    expect(getConnection(paramsFor(a, { hostName: "pa" }))).toBe(
      getConnection(paramsFor(a, { hostName: "pa" })),
    );
  });

  test("a dropped connection is reopened once on next use", async () => {
    resetStats();
    const conn = getConnection(paramsFor(a, { hostName: "pa" }));
    // Our session's sshd process: the nearest "sshd" above the remote shell, found while it runs.
    const walk =
      'p=$$; while [ "$p" -gt 1 ] && [ "$(cat /proc/$p/comm)" != sshd ]; do p=$(cut -d" " -f4 /proc/$p/stat); done; echo $p';
    const pid = Number((await conn.exec(["sh", "-c", walk])).stdout.trim());
    expect(pid).toBeGreaterThan(1);
    process.kill(pid, "SIGTERM");
    await new Promise((res) => setTimeout(res, 300));
    expect((await conn.exec(["echo", "back"])).stdout).toBe("back\n");
    expect(stats().opened).toEqual({ pa: 2 });
  });

  test("idle pooled connections do not keep a Node process alive", async () => {
    const script = `
      const { getConnection } = require(${JSON.stringify(path.resolve(__dirname, "../../components/remote"))});
      const c = getConnection(${JSON.stringify(paramsFor(a))});
      c.exec(["echo", "hi"]).then((r) => process.stdout.write(r.stdout));
    `;
    const t0 = Date.now();
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
      cwd: path.resolve(__dirname, "../.."),
    });
    expect(out).toBe("hi\n");
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
